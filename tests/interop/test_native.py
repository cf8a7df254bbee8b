"""Native objects at every entry point (issue 14, item 1): Qiskit circuits and ``SparsePauliOp``,
PennyLane QNodes / quantum functions / tapes and operators, label strings — each checked against
Qiskit ``Statevector`` or PennyLane ``default.qubit`` to 1e-10 (gradients of Pauli-rotation
circuits against Qiskit's exact two-term shift rule on ``Statevector``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import efficient_su2
from qiskit.quantum_info import SparsePauliOp, Statevector

import qdist
import shadows
from qdist.interop.boundary import as_circuit

ATOL = 1e-10
DEV = qml.device("default.qubit")


def _sv_expval(qc, values, spo) -> float:
    return float(Statevector(qc.assign_parameters(values)).expectation_value(spo).real)


def _sv_shift_grad(qc, values, spo) -> np.ndarray:
    """Exact gradient of a circuit whose parameters each enter one Pauli rotation with coefficient 1."""
    out = np.zeros(len(values))
    for i in range(len(values)):
        e = np.zeros(len(values))
        e[i] = np.pi / 2
        out[i] = (_sv_expval(qc, values + e, spo) - _sv_expval(qc, values - e, spo)) / 2
    return out


@pytest.fixture(scope="module")
def su2():
    qc = efficient_su2(3, reps=1)
    values = np.random.default_rng(3).uniform(-np.pi, np.pi, qc.num_parameters)
    spo = SparsePauliOp(["ZZI", "XIY", "IXX"], [0.7, -0.4, 0.25])
    return qc, values, spo


def test_quantum_circuit_and_sparse_pauli_op(su2):
    qc, values, spo = su2
    want = _sv_expval(qc, values, spo)
    assert abs(qdist.expval(qc, values, spo) - want) < ATOL
    np.testing.assert_allclose(qdist.grad(qc, values, spo).value, _sv_shift_grad(qc, values, spo), atol=ATOL)
    val, g = qdist.value_and_grad(qc, values, spo)
    assert abs(val - want) < ATOL
    np.testing.assert_allclose(g, _sv_shift_grad(qc, values, spo), atol=ATOL)
    sv = Statevector(qc.assign_parameters(values)).reverse_qargs().data
    np.testing.assert_allclose(qdist.state(qc, values), sv, atol=ATOL)
    pauli = spo.paulis[1]  # a Pauli alone
    assert abs(qdist.expval(qc, values, pauli) - _sv_expval(qc, values, SparsePauliOp(pauli))) < ATOL


def test_label_string_is_qdist_order(su2):
    qc, values, _ = su2
    want = _sv_expval(qc, values, SparsePauliOp("XZY"[::-1]))  # wire 0 first = Qiskit qubit 0 last
    assert abs(qdist.expval(qc, values, "XZY") - want) < ATOL
    ref = _sv_shift_grad(qc, values, SparsePauliOp("XZY"[::-1]))
    np.testing.assert_allclose(qdist.grad(qc, values, "XZY").value, ref, atol=ATOL)
    c = qdist.from_qiskit(qc)
    assert abs(qdist.expval(c, values, "XZY") - want) < ATOL


def _pl_circuit(p):
    qml.RX(p[0, 0], "a")
    qml.RY(p[0, 1], "b")
    qml.CNOT(["a", "c"])
    qml.IsingZZ(p[1, 0], ["b", "c"])
    qml.Rot(p[1, 1], p[0, 2], p[1, 2], "a")


H = qml.Hamiltonian([0.5, -1.2, 0.3], [qml.Z("a") @ qml.Z("c"), qml.X("b"), qml.Y("a") @ qml.X("b")])


def test_qnode_alone_expval_and_grad():
    qnode = qml.QNode(lambda p: (_pl_circuit(p), qml.expval(H))[1], DEV, interface="jax")
    p = np.random.default_rng(5).uniform(-2, 2, (2, 3))
    want = float(qnode(jnp.asarray(p)))
    want_grad = np.asarray(jax.grad(qnode)(jnp.asarray(p)))
    assert abs(qdist.expval(qnode, p) - want) < ATOL
    res = qdist.grad(qnode, p)
    assert res.value.shape == (2, 3) and res.std_error.shape == (2, 3)
    np.testing.assert_allclose(res.value, want_grad, atol=ATOL)
    val, g = qdist.value_and_grad(qnode, p)
    assert abs(val - want) < ATOL
    np.testing.assert_allclose(g, want_grad, atol=ATOL)
    # the quantum function alone, with the observable in its own wire labels (a sum and a product)
    obs = qml.X("c") + 2.0 * qml.Z("a") @ qml.Y("b")
    ref = qml.QNode(lambda q: (_pl_circuit(q), qml.expval(obs))[1], DEV)(p)
    assert abs(qdist.expval(_pl_circuit, p, obs) - ref) < ATOL
    # a batch of parameter arrays
    batch = np.stack([p, 0.5 * p])
    np.testing.assert_allclose(
        qdist.expval(qnode, batch), [want, float(qnode(jnp.asarray(0.5 * p)))], atol=ATOL
    )


def test_tape_alone():
    ops = [qml.RX(0.4, 0), qml.CNOT([0, 1]), qml.RY(-0.9, 1)]
    tape = qml.tape.QuantumScript(ops, [qml.expval(qml.X(1) @ qml.Z(0))])
    assert abs(qdist.expval(tape) - qml.execute([tape], DEV)[0]) < ATOL


def test_shadows_collect_quantum_circuit(su2):
    qc, values, _ = su2
    sv = Statevector(qc.assign_parameters(values)).reverse_qargs().data
    got = shadows.collect(qc, values, 500, seed=11)
    want = shadows.collect_from_state(sv, 500, seed=11)
    np.testing.assert_array_equal(got.bits, want.bits)
    np.testing.assert_array_equal(got.recipes, want.recipes)


def test_conversion_happens_once_and_notices_appends(su2):
    qc, values, spo = su2
    first = as_circuit(qc)
    assert as_circuit(qc) is first
    qc2 = qc.copy()
    qc2.x(0)
    assert as_circuit(qc2) is not first
    assert abs(qdist.expval(qc2, values, spo) - _sv_expval(qc2, values, spo)) < ATOL
    qc2.h(1)  # appended in place: a new instruction count, converted again
    assert as_circuit(qc2).circuit.ops[-1].name == "H"
    assert abs(qdist.expval(qc2, values, spo) - _sv_expval(qc2, values, spo)) < ATOL


def test_wrong_types_are_one_line_errors_naming_the_converters():
    c = qdist.from_qiskit(efficient_su2(2, reps=1))
    p = np.zeros(c.num_params)
    cases = [
        (
            lambda: qdist.expval({"a": 1}, p, "ZZ"),
            r"^circuit: .*from_qiskit, qdist.from_pennylane.*got dict$",
        ),
        (lambda: qdist.grad(42, p, "ZZ"), r"^circuit: .*from_qiskit.*got int$"),
        (lambda: shadows.collect("ZZ", p, 10, 0), r"^circuit: .*from_pennylane.*got str$"),
        (lambda: qdist.expval(c, p, 3.0), r"^observable: .*qdist.as_observable.*got float$"),
        (lambda: qdist.grad(c, p, None), r"^observable: .*got NoneType"),
    ]
    for call, pattern in cases:
        with pytest.raises(TypeError, match=pattern) as info:
            call()
        assert "\n" not in str(info.value)


def test_final_measurements_are_stripped():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.3, 1)
    qc.measure_all()
    bare = qc.remove_final_measurements(inplace=False)
    spo = SparsePauliOp(["XX", "ZI"], [1.0, 0.5])
    assert abs(qdist.expval(qc, [], spo) - _sv_expval(bare, [], spo)) < ATOL
