"""Bad input to the public API gives a one-line ``"<argument>: expected …, got …"`` error.

Each case is (callable, exception type, message regex); the regex is anchored at the argument name.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import qdist

C2 = qdist.make_circuit(2, [qdist.gate("RX", 0, 0), qdist.gate("CX", (0, 1)), qdist.gate("RY", 1, 1)])
C0 = qdist.make_circuit(2, [qdist.gate("H", 0), qdist.gate("CX", (0, 1))])
OBS = qdist.pauli("ZZ")
P = [0.1, 0.2]


def _pennylane_non_unitary():
    qml = pytest.importorskip("pennylane")
    m = np.array([[1.0, 0.5], [0.5, 1.0]])
    tape = qml.tape.QuantumScript([qml.QubitUnitary(m, wires=0)], [qml.expval(qml.PauliZ(0))])
    return qdist.from_pennylane(tape)


def _to_qiskit(params, **kw):
    pytest.importorskip("qiskit")
    return qdist.to_qiskit(C2, params, **kw)


CASES = [
    # observables
    ("pauli_sum nan coeff", lambda: qdist.pauli_sum({"ZZ": float("nan")}), ValueError, r"^terms: .*finite"),
    ("pauli_sum inf coeff", lambda: qdist.pauli_sum([(np.inf, {0: "Z"})]), ValueError, r"^terms: .*finite"),
    ("pauli_sum complex coeff", lambda: qdist.pauli_sum({"ZZ": 1 + 2j}), ValueError, r"^terms: .*real"),
    ("pauli_sum str coeff", lambda: qdist.pauli_sum({"ZZ": "abc"}), ValueError, r"^terms: .*got 'abc'"),
    ("pauli_sum non-str label", lambda: qdist.pauli_sum({3: 1.0}), TypeError, r"^terms: "),
    ("pauli nan coeff", lambda: qdist.pauli("Z", coeff=float("nan")), ValueError, r"^coeff: .*finite"),
    ("pauli None letters", lambda: qdist.pauli(None), TypeError, r"^letters: "),
    ("pauli_sum bad letter type", lambda: qdist.pauli_sum([(1.0, {0: 3})]), ValueError, r"^observable: "),
    # expval / state / value_and_grad
    ("expval observable None", lambda: qdist.expval(C2, P, None), TypeError, r"^observable: .*got NoneType"),
    (
        "value_and_grad observable None",
        lambda: qdist.value_and_grad(C2, P, None),
        TypeError,
        r"^observable: ",
    ),
    (
        "expval params str",
        lambda: qdist.expval(C2, "abc", OBS),
        ValueError,
        r"^params: expected real numbers, got 'abc'",
    ),
    (
        "expval params None with parameters",
        lambda: qdist.expval(C2, None, OBS),
        ValueError,
        r"^params: .*got None",
    ),
    ("state params omitted with parameters", lambda: qdist.state(C2), ValueError, r"^params: .*got None"),
    (
        "expval params complex",
        lambda: qdist.expval(C2, [0.1 + 1j, 0.2], OBS),
        ValueError,
        r"^params: expected real numbers, got complex",
    ),
    (
        "expval params complex, zero imag",
        lambda: qdist.expval(C2, np.array([0.1, 0.2], complex), OBS),
        ValueError,
        r"^params: expected real numbers, got complex",
    ),
    ("expval params object", lambda: qdist.expval(C2, [0.1, None], OBS), ValueError, r"^params: expected "),
    (
        "expval params nan",
        lambda: qdist.expval(C2, [np.nan, 0.2], OBS),
        ValueError,
        r"^params: expected finite",
    ),
    (
        "state data complex",
        lambda: qdist.state(qdist.make_circuit(1, [qdist.data_phase((0,))]), None, data=[1j, 0]),
        ValueError,
        r"^data: expected real numbers, got complex",
    ),
    (
        "state data str",
        lambda: qdist.state(qdist.make_circuit(1, [qdist.data_phase((0,))]), None, data="ab"),
        ValueError,
        r"^data: expected real numbers",
    ),
    (
        "traced complex params",
        lambda: jax.jit(lambda p: qdist.expval(C2, p, OBS))(jnp.array([0.1, 0.2], complex)),
        ValueError,
        r"^params: expected real numbers, got complex",
    ),
    # circuits
    ("gate name None", lambda: qdist.gate(None, 0, 0), TypeError, r"^name: "),
    ("gate angle complex", lambda: qdist.gate("RX", 0, 0.5j), TypeError, r"^param: "),
    ("gate angle str", lambda: qdist.gate("RX", 0, "abc"), TypeError, r"^param: "),
    (
        "make_circuit float qubits",
        lambda: qdist.make_circuit(2.5, []),
        ValueError,
        r"^num_qubits: expected an integer",
    ),
    (
        "make_circuit bool qubits",
        lambda: qdist.make_circuit(True, []),
        ValueError,
        r"^num_qubits: expected an integer",
    ),
    (
        "make_circuit float num_params",
        lambda: qdist.make_circuit(1, [qdist.gate("RX", 0, 0)], num_params=2.5),
        ValueError,
        r"^num_params: expected an integer",
    ),
    ("unitary str matrix", lambda: qdist.unitary("abc", (0,)), ValueError, r"^matrix: "),
    # states
    (
        "amplitude_encode float qubits",
        lambda: qdist.amplitude_encode([1.0, 2.0], num_qubits=2.7),
        ValueError,
        r"^num_qubits: expected an integer ≥ 1, got 2.7",
    ),
    (
        "amplitude_encode zero qubits",
        lambda: qdist.amplitude_encode([1.0], num_qubits=0),
        ValueError,
        r"^num_qubits: expected an integer ≥ 1",
    ),
    # interop
    ("to_qiskit nan params", lambda: _to_qiskit([np.nan, 0.2]), ValueError, r"^params: expected finite"),
    (
        "to_qiskit complex params",
        lambda: _to_qiskit([1j, 0.2]),
        ValueError,
        r"^params: expected real numbers, got complex",
    ),
    ("to_qiskit str params", lambda: _to_qiskit(["a", "b"]), ValueError, r"^params: expected real numbers"),
    (
        "from_pennylane non-unitary",
        _pennylane_non_unitary,
        ValueError,
        r"^obj: expected a unitary matrix for operation QubitUnitary",
    ),
    (
        "as_observable float num_qubits",
        lambda: qdist.as_observable("ZZ", num_qubits=2.5),
        ValueError,
        r"^num_qubits: ",
    ),
]


@pytest.mark.parametrize(("fn", "exc", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_a_one_line_error_naming_the_argument(fn, exc, pattern):
    with pytest.raises(exc, match=pattern) as info:
        fn()
    assert "\n" not in str(info.value)


# ---- the valid neighbours still work -----------------------------------------------------------


def test_valid_neighbours():
    assert qdist.expval(C0, None, OBS) == pytest.approx(1.0)
    assert qdist.expval(C0, [], OBS) == pytest.approx(1.0)
    assert qdist.state(C0).shape == (4,)
    assert np.isfinite(qdist.expval(C2, P, OBS))
    assert np.isfinite(qdist.expval(C2, np.array([1, 2]), OBS))  # integer angles
    assert qdist.expval(C2, np.zeros((3, 2)), OBS).shape == (3,)
    val, g = qdist.value_and_grad(C2, P, OBS)
    assert np.isfinite(val) and g.shape == (2,)
    assert qdist.pauli_sum({"ZZ": 0.5, "XI": np.float32(-1)}).coeffs == (0.5, -1.0)
    assert qdist.pauli_sum({"ZZ": complex(0.5, 0)}).coeffs == (0.5,)
    assert qdist.pauli("Z", coeff=np.int64(2)).coeffs == (2.0,)
    assert qdist.gate("rx", 0, np.float64(0.3)).angles[0].offset == pytest.approx(0.3)
    assert qdist.gate("RX", 0, np.array(0.3)).angles[0].offset == pytest.approx(0.3)
    assert qdist.make_circuit(np.int64(2), [], num_params=np.int64(0)).num_params == 0
    state, norm = qdist.amplitude_encode([3.0, 4.0], num_qubits=np.int64(2))
    assert state.shape == (4,) and norm == pytest.approx(5.0)
    c = qdist.make_circuit(1, [qdist.data_phase((0,))])
    assert qdist.state(c, None, data=[0.1, 0.2]).shape == (2,)


def test_traced_params_still_work():
    f = jax.jit(lambda p: qdist.expval(C2, p, OBS))
    assert float(f(jnp.asarray(P))) == pytest.approx(qdist.expval(C2, P, OBS))
    g = jax.grad(lambda p: qdist.expval(C2, p, OBS))(jnp.asarray(P))
    assert np.all(np.isfinite(np.asarray(g)))


def test_interop_valid_neighbours():
    pytest.importorskip("qiskit")
    assert qdist.to_qiskit(C2, P).num_parameters == 0
    assert qdist.to_qiskit(C2).num_parameters == 2
    qml = pytest.importorskip("pennylane")
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    tape = qml.tape.QuantumScript([qml.QubitUnitary(h, wires=0)], [qml.expval(qml.PauliZ(0))])
    circ = qdist.from_pennylane(tape)
    np.testing.assert_allclose(qdist.state(circ), [2**-0.5, 2**-0.5], atol=1e-12)
