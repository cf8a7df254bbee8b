"""Circuits users have (issue 14, item 2): non-affine angle expressions (chain rule), state
preparation, annotated and Clifford instructions, multi-controlled rotations, PennyLane
time-evolution templates — values against Qiskit ``Statevector`` / PennyLane ``default.qubit`` to
1e-10; gradients of non-affine expressions against central finite differences of ``Statevector``
(step h = 1e-5: truncation ~h²·|f'''|/6 ≲ 1e-10, rounding ~1e-16/h = 1e-11, so 1e-8 is a safe bound)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import AnnotatedOperation, ControlModifier, InverseModifier, Parameter
from qiskit.circuit.library import HGate, RXGate, StatePreparation, real_amplitudes, zz_feature_map
from qiskit.quantum_info import SparsePauliOp, Statevector, random_clifford

import qdist

ATOL = 1e-10
FD_ATOL = 1e-8
DEV = qml.device("default.qubit")
SPO = SparsePauliOp(["ZZI", "XIX", "IYZ"], [0.5, -0.3, 0.8])


def _sv(qc, values, spo=SPO) -> float:
    return float(Statevector(qc.assign_parameters(values)).expectation_value(spo).real)


def _fd(qc, values, spo=SPO, h=1e-5) -> np.ndarray:
    out = np.zeros(len(values))
    for i in range(len(values)):
        e = np.zeros(len(values))
        e[i] = h
        out[i] = (_sv(qc, values + e, spo) - _sv(qc, values - e, spo)) / (2 * h)
    return out


def _expressions_circuit():
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(3)
    qc.h([0, 1, 2])
    qc.rx(a + b, 0)
    qc.ry(a * b, 1)
    qc.rz(a.sin(), 2)
    qc.cx(0, 1)
    qc.crx(2 * a - b, 1, 2)
    qc.rzz(a, 0, 2)
    return qc


@pytest.mark.parametrize("which", ["feature_map", "expressions"])
def test_non_affine_angles_values_and_chain_rule(which):
    if which == "feature_map":
        qc = zz_feature_map(3, reps=2).compose(real_amplitudes(3, reps=1))
    else:
        qc = _expressions_circuit()
    values = np.random.default_rng(1).uniform(-1, 1, qc.num_parameters)
    converted = qdist.from_qiskit(qc)
    assert isinstance(converted, qdist.interop.expressions.Reparametrized)
    assert abs(qdist.expval(qc, values, SPO) - _sv(qc, values)) < ATOL
    want = _fd(qc, values)
    np.testing.assert_allclose(qdist.grad(qc, values, SPO).value, want, atol=FD_ATOL)
    exact_shift = qdist.grad(qc, values, SPO, method="param-shift")  # no shots: exact rows
    np.testing.assert_allclose(exact_shift.value, want, atol=FD_ATOL)
    np.testing.assert_allclose(qdist.value_and_grad(qc, values, SPO)[1], want, atol=FD_ATOL)


def test_param_shift_with_shots_on_expressions_is_unbiased_within_its_std_error():
    qc = _expressions_circuit()
    values = np.array([0.4, -0.9])
    exact = qdist.grad(qc, values, SPO).value
    res = qdist.grad(qc, values, SPO, method="param-shift", shots=4000, seed=7)
    assert res.value.shape == res.std_error.shape == (2,) and np.all(res.std_error > 0)
    # the chain-rule standard errors: |estimate − exact| within 4σ for every component
    assert np.all(np.abs(res.value - exact) < 4 * res.std_error), (res.value, exact, res.std_error)


def test_correlated_estimators_refuse_non_affine_expressions():
    qc = _expressions_circuit()
    with pytest.raises(
        ValueError, match=r"^method: 'shadow' cannot differentiate non-affine .*'rx' at position 3: a \+ b"
    ):
        qdist.grad(qc, [0.4, -0.9], SPO, method="shadow", shots=10, seed=1)


def test_state_preparation_annotated_and_clifford():
    qc = QuantumCircuit(3)
    qc.initialize([0.6, 0.8j], 1)
    qc.append(StatePreparation([0.5, 0.5, 0.5, 0.5j]), [0, 2])
    qc.append(AnnotatedOperation(HGate(), [InverseModifier(), ControlModifier(1)]), [0, 1])
    qc.append(random_clifford(2, seed=3), [2, 0])
    assert abs(qdist.expval(qc, [], SPO) - _sv(qc, [])) < ATOL
    late = QuantumCircuit(2)
    late.h(1)
    late.initialize([0.6, 0.8], 1)
    with pytest.raises(
        ValueError, match=r"^qc: gate 'initialize' at position 1 acts on qubit\(s\) \[1\] after other"
    ):
        qdist.from_qiskit(late)
    a = Parameter("a")
    annotated = QuantumCircuit(3)
    annotated.h([0, 1])
    annotated.append(AnnotatedOperation(RXGate(a), [ControlModifier(2, ctrl_state=1)]), [0, 1, 2])
    annotated.append(AnnotatedOperation(RXGate(2 * a), [InverseModifier(), ControlModifier(1)]), [2, 0])
    for v in (0.3, -1.2):
        assert abs(qdist.expval(annotated, [v], SPO) - _sv(annotated, [v])) < ATOL


def test_qiskit_multi_controlled_rotation():
    a = Parameter("a")
    qc = QuantumCircuit(3)
    qc.h([0, 1])
    qc.append(RXGate(a).control(2, annotated=False), [0, 1, 2])
    qc.mcrx(2 * a, [0, 2], 1)
    for v in (0.4, -1.3):
        assert abs(qdist.expval(qc, [v], SPO) - _sv(qc, [v])) < ATOL


H3 = qml.Z(0) @ qml.X(2) + 0.4 * qml.Y(1) - 0.7 * qml.X(0) @ qml.X(1)


def _pennylane_check(f, p):
    qnode = qml.QNode(lambda q: (f(q), qml.expval(H3))[1], DEV, interface="jax")
    assert abs(qdist.expval(f, p, H3) - float(qnode(jnp.asarray(p)))) < ATOL
    want = np.asarray(jax.grad(qnode)(jnp.asarray(p)))
    np.testing.assert_allclose(qdist.grad(f, p, H3).value, want, atol=ATOL)
    np.testing.assert_allclose(qdist.grad(f, p, H3, method="param-shift").value, want, atol=ATOL)


def test_pennylane_multi_controlled_rotations_are_exact():
    def f(p):
        qml.H(0)
        qml.H(1)
        qml.RY(0.3, 2)
        qml.ctrl(qml.RX(p[0], 2), control=[0, 1], control_values=[1, 0])
        qml.ctrl(qml.PhaseShift(p[1], 2), control=[0, 1])
        qml.ctrl(qml.IsingZZ(p[0], [1, 2]), control=[0])
        qml.ctrl(qml.RY(2 * p[1] + 0.1, 0), control=[1, 2])

    _pennylane_check(f, np.array([0.4, -1.1]))


def test_pennylane_time_evolution_templates():
    h = qml.Hamiltonian([0.3, -0.5, 0.8], [qml.X(0) @ qml.X(1), qml.Z(1) @ qml.Y(2), qml.Z(0)])
    _pennylane_check(lambda p: (qml.H(1), qml.ApproxTimeEvolution(h, p[0], 2)), np.array([0.4]))
    _pennylane_check(lambda p: (qml.H(1), qml.TrotterProduct(h, p[0], n=2, order=2)), np.array([0.7]))
    for op in (qml.ApproxTimeEvolution(h, 0.4, 2), qml.TrotterProduct(h, 0.4, n=3, order=1)):
        tape = qml.tape.QuantumScript([qml.H(1), op], [qml.expval(H3)])  # coefficients are parameters too
        assert abs(qdist.expval(tape) - qml.execute([tape], DEV)[0]) < ATOL


def test_unsupported_operations_are_named():
    def mid(p):
        qml.RX(p[0], 0)
        qml.measure(0)

    with pytest.raises(ValueError, match=r"^obj: unsupported PennyLane operation 'MidMeasureMP'"):
        qdist.expval(mid, np.array([0.1]), qml.Z(0))
