"""``qdist.primitives`` against Qiskit's ``StatevectorEstimator`` (exact, 1e-9, same shapes) and
``StatevectorSampler`` / the exact distribution (variance-derived tolerances, fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.circuit.library import efficient_su2
from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2, StatevectorEstimator, StatevectorSampler
from qiskit.quantum_info import SparsePauliOp, Statevector

from qdist.primitives import EstimatorV2, SamplerV2

QC = efficient_su2(4)  # RY/RZ layers and CX entanglers, 32 parameters
OBS = [
    [SparsePauliOp(["ZZII", "IXYI", "IIII"], [0.5, -1.0, 0.25])],
    [SparsePauliOp("XXXX")],
    [SparsePauliOp(["YIIZ", "IZZI"], [1.5, 0.3])],
]
VALUES = np.random.default_rng(0).uniform(-np.pi, np.pi, (2, 5, QC.num_parameters))


def test_subclasses_of_the_qiskit_bases():
    assert isinstance(EstimatorV2(), BaseEstimatorV2) and isinstance(SamplerV2(), BaseSamplerV2)


def test_estimator_equals_statevector_estimator():
    pubs = [(QC, OBS, VALUES[0]), (QC, "ZIZI", VALUES), (QC, OBS[0][0], VALUES[1, 2])]
    got = EstimatorV2().run(pubs).result()
    want = StatevectorEstimator().run(pubs).result()
    for g, w in zip(got, want, strict=True):
        assert g.data.evs.shape == w.data.evs.shape == g.data.stds.shape
        np.testing.assert_allclose(g.data.evs, w.data.evs, atol=1e-9)
        np.testing.assert_array_equal(g.data.stds, 0.0)
    assert got[0].data.evs.shape == (3, 5) and got[1].data.evs.shape == (2, 5)


def test_estimator_precision_gives_shots_and_honest_standard_errors():
    precision = 0.02
    pub = (QC, OBS, VALUES[0])
    exact = StatevectorEstimator().run([pub]).result()[0].data.evs
    res = EstimatorV2(seed=11).run([pub], precision=precision).result()[0]
    assert res.metadata["shots"] == int(np.ceil(1 / precision**2)) == 2500
    again = EstimatorV2(seed=11).run([pub], precision=precision).result()[0]
    np.testing.assert_array_equal(res.data.evs, again.data.evs)
    # stds is the standard error of each estimate: every deviation within 5 of them
    assert np.all(res.data.stds > 0)
    assert np.all(np.abs(res.data.evs - exact) < 5 * res.data.stds)


def test_sampler_agrees_with_statevector_sampler_and_the_born_rule():
    shots = 4000
    qc = QC.copy()
    qc.measure_all()
    values = VALUES[0, :3]
    got = SamplerV2(seed=5).run([(qc, values)], shots=shots).result()[0].data.meas
    ref = StatevectorSampler(seed=5).run([(qc, values)], shots=shots).result()[0].data.meas
    assert got.shape == ref.shape == (3,) and got.num_shots == ref.num_shots == shots
    assert got.num_bits == ref.num_bits == 4
    for i, row in enumerate(values):
        p = Statevector(QC.assign_parameters(row)).probabilities_dict()
        for counts in (got.get_counts(i), ref.get_counts(i)):
            for key, pk in p.items():
                # a count is binomial(shots, p): 5 standard deviations
                n = counts.get(key, 0)
                assert abs(n - shots * pk) <= 5 * np.sqrt(shots * pk * (1 - pk)) + 1, (key, n, pk)
        # the two samplers against each other: difference of two binomials
        a, b = got.get_counts(i), ref.get_counts(i)
        for key, pk in p.items():
            diff = a.get(key, 0) - b.get(key, 0)
            assert abs(diff) <= 5 * np.sqrt(2 * shots * pk * (1 - pk)) + 1


def test_sampler_registers_bits_and_seeds():
    q, a, b = QuantumRegister(3), ClassicalRegister(2, "a"), ClassicalRegister(3, "b")
    qc = QuantumCircuit(q, a, b)
    t = Parameter("t")
    qc.x(0)
    qc.ry(t, 2)
    qc.measure(0, a[1])  # qubit 0 (always 1) into bit 1 of a
    qc.measure(2, b[0])
    qc.measure(0, b[2])
    res = SamplerV2(seed=2).run([(qc, [[0.0], [np.pi]])], shots=50).result()[0].data
    assert res.a.get_counts(0) == {"10": 50} and res.b.get_counts(0) == {"100": 50}
    assert res.b.get_counts(1) == {"101": 50}
    again = SamplerV2(seed=2).run([(qc, [[1.0]])], shots=200).result()[0].data.b
    first = SamplerV2(seed=2).run([(qc, [[1.0]])], shots=200).result()[0].data.b
    np.testing.assert_array_equal(again.array, first.array)


def test_bad_inputs_are_one_line_errors():
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    qc.x(0)
    with pytest.raises(ValueError, match="mid-circuit measurement"):
        SamplerV2().run([qc]).result()
    with pytest.raises(ValueError, match="precision"):
        EstimatorV2(default_precision=-1.0)
    with pytest.raises(ValueError, match="seed"):
        SamplerV2(seed="x")
