"""Regression tests for the six causes of silently wrong conversions (issue 14): each case now
gives the number of the other library's own simulator (Qiskit ``Statevector``, PennyLane
``default.qubit``) to 1e-10, or a clear one-line refusal naming the operation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, Parameter
from qiskit.quantum_info import SparsePauliOp, Statevector

import qdist
from qdist.interop.pennylane import pennylane_parameters

ATOL = 1e-10
DEV = qml.device("default.qubit")


def _qiskit_expval(qc, values, spo):
    return Statevector(qc.assign_parameters(values)).expectation_value(spo).real


# (1) Qiskit gates are recognised by class, never by a name that collides with a standard gate
@pytest.mark.parametrize("name", ["x", "cx", "rz", "h", "s"])
def test_custom_gate_named_like_a_standard_gate_uses_its_definition(name):
    a = Parameter("a")
    body = QuantumCircuit(2, name=name)
    body.h(0)
    body.ry(a, 1)
    body.cx(1, 0)
    qc = QuantumCircuit(3)
    qc.rx(0.3, 2)
    qc.append(body.to_gate(), [2, 0])
    opaque = Gate(name, 1, [])  # a named gate with a definition but no library class
    opaque.definition = QuantumCircuit(1)
    opaque.definition.sx(0)
    qc.append(opaque, [1])
    spo = SparsePauliOp(["XZI", "IYX", "ZZZ"], [0.5, -1.0, 0.3])
    values = [0.81]
    want = _qiskit_expval(qc, values, spo)
    assert abs(qdist.expval(qc, values, spo) - want) < ATOL
    assert abs(qdist.expval(qdist.from_qiskit(qc), values, spo) - want) < ATOL


# (2) complex op data of a PennyLane tape is kept
def test_pennylane_complex_op_data_is_kept():
    ops = [qml.RX(0.3, 0), qml.exp(qml.X(0) @ qml.Y(1), -0.4j), qml.RY(0.2, 1)]
    tape = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(0) @ qml.X(1))])
    want = qml.execute([tape], DEV)[0]
    circuit = qdist.from_pennylane(tape)
    assert circuit.num_params == 2  # the complex coefficient is fixed data, not a parameter
    np.testing.assert_array_equal(pennylane_parameters(tape), [0.3, 0.2])
    assert abs(qdist.expval(circuit, pennylane_parameters(tape), qml.Z(0) @ qml.X(1)) - want) < ATOL
    assert abs(qdist.expval(tape) - want) < ATOL  # the tape alone: its parameters and observable


# (3) a Python `if` on a parameter value would freeze a branch: refused
def test_python_branch_on_a_parameter_is_refused():
    def branch(p):
        if p[0] > 0.5:
            qml.RX(p[0], 0)
        else:
            qml.RY(p[0], 0)

    def inline(p):
        qml.RX(p[0] if p[0] > 0.5 else 2 * p[0], 0)

    for f in (branch, inline):
        with pytest.raises(ValueError, match=r"^obj: .*Python control flow.*freeze the branch"):
            qdist.from_pennylane(f, params=np.array([0.7]))
        with pytest.raises(ValueError, match=r"^obj: .*Python control flow"):
            qdist.grad(qml.QNode(lambda p, f=f: (f(p), qml.expval(qml.Z(0)))[1], DEV), np.array([0.7]))


# (4) a piecewise angle passes a two-point check but not the multi-point value check: it is not
# taken for affine, it becomes an angle expression evaluated at every θ (right values and gradients)
def test_piecewise_angle_is_evaluated_not_fitted():
    def f(p):
        qml.RX(jnp.where(p[0] > 0.5, p[0], 3 * p[0]), 0)
        qml.RY(p[1], 1)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(1) + 0.5 * qml.Y(0))

    qnode = qml.QNode(f, DEV, interface="jax")
    converted = qdist.from_pennylane(f, params=np.array([0.7, 0.1]))
    assert isinstance(converted, qdist.interop.expressions.Reparametrized)
    assert len(converted.expressions) == 1 and "RX" in converted.expressions[0].where
    for p in ([0.7, 0.1], [0.2, -1.3], [-2.0, 0.4]):  # both branches
        p = np.array(p)
        assert abs(qdist.expval(qnode, p) - float(qnode(jnp.asarray(p)))) < ATOL
        want = np.asarray(jax.grad(qnode)(jnp.asarray(p)))
        np.testing.assert_allclose(qdist.grad(qnode, p).value, want, atol=ATOL)
        np.testing.assert_allclose(qdist.grad(qnode, p, method="param-shift").value, want, atol=ATOL)


# (5) matrix-valued parameters are checked by value, not only through their derivative
def test_matrix_built_from_params_is_refused():
    def frozen(p):
        qml.QubitUnitary(qml.RX.compute_matrix(jax.lax.stop_gradient(p[0])), 0)

    def live(p):
        qml.QubitUnitary(qml.RX.compute_matrix(p[0]), 0)

    with pytest.raises(
        ValueError, match=r"^obj: the matrix of operation 'QubitUnitary' on wires \[0\] changes"
    ):
        qdist.from_pennylane(frozen, params=np.array([0.7]))
    with pytest.raises(
        ValueError, match=r"^obj: the matrix of operation 'QubitUnitary' on wires \[0\] depends"
    ):
        qdist.from_pennylane(live, params=np.array([0.7]))
    u = qml.RX.compute_matrix(0.7)  # a constant matrix is fine
    qnode = qml.QNode(lambda p: (qml.QubitUnitary(u, 0), qml.RY(p[0], 0), qml.expval(qml.X(0)))[-1], DEV)
    assert abs(qdist.expval(qnode, np.array([0.4])) - qnode(np.array([0.4]))) < ATOL


# (6) the circuit carries its wire map: observables in the user's labels land on the right qubit
def test_wire_map_travels_with_the_circuit():
    def f(p):
        qml.RX(p[0], 2)
        qml.RY(p[1], 0)
        qml.CNOT([2, 1])
        qml.RZ(p[2], 1)
        qml.CRX(p[1], [1, 0])

    p = np.array([0.3, -0.5, 1.1])
    c = qdist.from_pennylane(f, wires=[2, 0, 1], params=p)
    assert c.wire_labels == (2, 0, 1)
    for obs in (qml.Z(2), qml.X(0) @ qml.Y(1), 0.5 * qml.Z(1) + qml.X(2)):
        qnode = qml.QNode(lambda q, obs=obs: (f(q), qml.expval(obs))[1], DEV)
        want = qnode(p)
        want_grad = jax.grad(qml.QNode(lambda q, obs=obs: (f(q), qml.expval(obs))[1], DEV, interface="jax"))(
            jnp.asarray(p)
        )
        assert abs(qdist.expval(c, p, obs) - want) < ATOL
        np.testing.assert_allclose(qdist.grad(c, p, obs).value, want_grad, atol=ATOL)
        ps = qdist.grad(c, p, obs, method="param-shift")  # exact (no shots): the same gradient
        np.testing.assert_allclose(ps.value, want_grad, atol=ATOL)
    with pytest.raises(ValueError, match=r"^observable: wire label 5 is not a wire of the circuit"):
        qdist.grad(c, p, qml.Z(5))
