"""The PennyLane device ``qdist.qubit`` against PennyLane's ``default.qubit`` (exact to 1e-10) and
against the exact distribution (shots, variance-derived tolerances)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest

from qdist.plugins.pennylane_device import QdistQubit

WIRES = ["a", 1, "c"]  # non-integer labels: the wire map is exercised everywhere


def _layer(x):
    """Native gates, decomposed ones (Rot, QFT, IsingXY, a controlled RY) and a global phase."""
    qml.Hadamard("a")
    qml.RX(x[0], "a")
    qml.RY(x[1], 1)
    qml.CNOT(["a", 1])
    qml.Rot(x[2], x[0], 0.3, wires="c")
    qml.CRZ(x[1], ["c", "a"])
    qml.IsingXY(x[2], [1, "c"])
    qml.ctrl(qml.RY(x[0], "c"), control=["a", 1], control_values=[0, 1])
    qml.ctrl(qml.PhaseShift(x[2], 1), control=["a", "c"])
    qml.QFT(wires=WIRES)
    qml.U3(x[0], x[1], x[2], wires=1)
    qml.MultiRZ(x[1], wires=["a", "c"])
    qml.GlobalPhase(0.7)


H = qml.Hamiltonian([0.5, -1.2, 0.3], [qml.Z("a") @ qml.X("c"), qml.Y(1), qml.X("a") @ qml.Y(1)])
HERM = np.array([[1.0, 0.5 - 0.2j], [0.5 + 0.2j, -0.3]])
X0 = np.array([0.4, -0.7, 1.1])


def _measure_all():
    return (
        qml.expval(H),
        qml.var(qml.X(1)),
        qml.expval(qml.Hermitian(HERM, "c")),
        qml.probs(wires=["c", "a"]),
        qml.state(),
    )


def _both(fn, **kw):
    dev = qml.device("qdist.qubit", wires=WIRES, **kw)
    ref = qml.device("default.qubit", wires=WIRES)
    return qml.QNode(fn, dev), qml.QNode(fn, ref)


def test_entry_point_gives_the_device():
    dev = qml.device("qdist.qubit", wires=2)
    assert isinstance(dev, QdistQubit) and dev.name == "qdist.qubit"


def test_exact_results_equal_default_qubit():
    def f(x):
        _layer(x)
        return _measure_all()

    got, want = _both(f)
    for g, w in zip(got(X0), want(X0), strict=True):
        np.testing.assert_allclose(g, w, atol=1e-10)


def test_state_preparation_and_broadcasting():
    state = np.arange(1.0, 9.0) + 1j * np.arange(8.0)
    state /= np.linalg.norm(state)

    def f(x):
        qml.StatePrep(state, wires=WIRES)
        qml.RX(x, 1)
        qml.CNOT([1, "c"])
        return qml.expval(qml.Y("c")), qml.probs(wires=[1])

    got, want = _both(f)
    xs = np.array([0.1, 0.9, -2.0])  # parameter broadcasting
    for g, w in zip(got(xs), want(xs), strict=True):
        np.testing.assert_allclose(g, w, atol=1e-10)


def _small_layer(x):
    qml.RX(x[0], "a")
    qml.IsingXY(x[1], [1, "c"])
    qml.ctrl(qml.RY(x[2], "c"), control=["a", 1], control_values=[1, 0])
    qml.ctrl(qml.PhaseShift(x[0], "a"), control=[1, "c"])
    qml.Rot(x[2], x[1], x[0], wires="a")


@pytest.mark.parametrize("interface", ["autograd", "jax", "jax-jit"])
def test_adjoint_jacobian_equals_default_qubit_backprop(interface):
    def f(x):
        _small_layer(x)
        return qml.expval(H), qml.expval(qml.Hermitian(HERM, 1))

    dev = qml.device("qdist.qubit", wires=WIRES)
    got = qml.QNode(f, dev, diff_method="adjoint", interface=interface)
    want = qml.QNode(f, qml.device("default.qubit", wires=WIRES), diff_method="backprop")
    ref = qml.jacobian(lambda x: qml.math.stack(want(x)))(qml.numpy.array(X0, requires_grad=True))
    if interface == "autograd":
        jac = qml.jacobian(lambda x: qml.math.stack(got(x)))(qml.numpy.array(X0, requires_grad=True))
    else:
        with jax.enable_x64(True):
            fn = jax.jacobian(lambda x: jnp.stack(got(x)))
            jac = (jax.jit(fn) if interface == "jax-jit" else fn)(jnp.asarray(X0))
    np.testing.assert_allclose(np.asarray(jac), ref, atol=1e-10)


def test_best_is_adjoint_without_shots():
    def f(x):
        qml.RX(x, 0)
        return qml.expval(qml.Z(0))

    qnode = qml.QNode(f, qml.device("qdist.qubit", wires=1))
    assert qml.workflow.get_best_diff_method(qnode)(0.3) == "adjoint"


def test_shots_are_seeded_and_match_the_exact_distribution():
    shots = 20_000

    def f(x):
        _layer(x)
        return qml.expval(qml.X("a") @ qml.Y(1)), qml.probs(wires=["c"]), qml.sample(wires=WIRES)

    dev = qml.device("qdist.qubit", wires=WIRES, seed=7)
    sampled = qml.set_shots(qml.QNode(f, dev), shots=shots)
    e, p, s = sampled(X0)
    again = qml.set_shots(qml.QNode(f, qml.device("qdist.qubit", wires=WIRES, seed=7)), shots=shots)
    np.testing.assert_array_equal(again(X0)[2], s)
    assert s.shape == (shots, 3) and set(np.unique(s)) <= {0, 1}

    def exact(x):
        _layer(x)
        return qml.expval(qml.X("a") @ qml.Y(1)), qml.probs(wires=["c"])

    e0, p0 = qml.QNode(exact, qml.device("default.qubit", wires=WIRES))(X0)
    # a ±1 observable: Var = 1 − ⟨O⟩²; a probability: Var = p(1 − p); 5 standard errors
    assert abs(e - e0) < 5 * np.sqrt((1 - e0**2) / shots)
    assert np.all(np.abs(p - p0) < 5 * np.sqrt(p0 * (1 - p0) / shots) + 1e-12)


def test_shot_vector_and_non_commuting_measurements():
    def f():
        qml.Hadamard(0)
        qml.RY(0.4, 1)
        return qml.expval(qml.X(0)), qml.expval(qml.Z(0)), qml.expval(qml.X(1))

    dev = qml.device("qdist.qubit", wires=2, seed=3)
    res = qml.set_shots(qml.QNode(f, dev), shots=[(1000, 2), 5000])()
    assert len(res) == 3 and all(len(r) == 3 for r in res)
    x, z, x1 = res[-1]
    assert x == 1.0  # |+⟩ measured in the X basis
    assert abs(z) < 5 / np.sqrt(5000)
    assert abs(x1 - np.sin(0.4)) < 5 * np.sqrt((1 - np.sin(0.4) ** 2) / 5000)


def test_a_gate_is_matched_by_class_not_by_name():
    class RX(qml.operation.Operation):  # called RX, but its body is a Hadamard
        num_wires = 1

        @staticmethod
        def compute_decomposition(wires):
            return [qml.Hadamard(wires)]

    def f():
        RX(wires=0)
        return qml.expval(qml.X(0))

    assert qml.QNode(f, qml.device("qdist.qubit", wires=1))() == pytest.approx(1.0, abs=1e-12)


def test_bad_seed_is_a_one_line_error():
    with pytest.raises(ValueError, match="seed: expected an int"):
        qml.device("qdist.qubit", wires=1, seed="zero")


def test_an_operation_known_only_by_its_matrix_is_a_fixed_unitary():
    def f():
        qml.Hadamard("a")
        qml.CNOT(["a", "c"])
        qml.DoubleExcitationPlus(0.3, wires=["a", 1, "c", "d"])
        return qml.state()

    wires = WIRES + ["d"]
    got = qml.QNode(f, qml.device("qdist.qubit", wires=wires))()
    want = qml.QNode(f, qml.device("default.qubit", wires=wires))()
    np.testing.assert_allclose(got, want, atol=1e-10)
