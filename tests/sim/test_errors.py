"""Bad inputs give a clear one-line ``ValueError``/``TypeError`` that starts with the argument's name
(contract: "Errors for user mistakes")."""

from __future__ import annotations

import numpy as np
import pytest

import qdist


@pytest.fixture(scope="module")
def rx2():
    """2 qubits, 2 parameters."""
    return qdist.make_circuit(2, [qdist.gate("RX", 0, 0), qdist.gate("CRY", (0, 1), 1)])


def raises(exc, start, fn, *args, **kwargs):
    """Assert ``fn`` raises ``exc`` with a one-line message starting with ``start``."""
    with pytest.raises(exc, match="^" + start) as info:
        fn(*args, **kwargs)
    assert "\n" not in str(info.value), str(info.value)
    return str(info.value)


# ---- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [np.zeros(3), np.zeros(1), np.zeros((4, 3)), np.zeros((2, 2, 2)), 0.5])
def test_wrong_parameter_count(rx2, params):
    msg = raises(ValueError, "params:", qdist.expval, rx2, params, qdist.pauli("Z"))
    assert "(2,)" in msg
    raises(ValueError, "params:", qdist.state, rx2, params)
    raises(ValueError, "params:", qdist.value_and_grad, rx2, params, qdist.pauli("Z"))
    raises(ValueError, "params:", qdist.grad, rx2, params, qdist.pauli("Z"))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_parameters(rx2, bad):
    raises(ValueError, "params:", qdist.expval, rx2, [0.1, bad], qdist.pauli("Z"))
    raises(ValueError, "params:", qdist.state, rx2, [[0.1, 0.2], [bad, 0.0]])
    raises(ValueError, "params:", qdist.grad, rx2, [bad, 0.0], qdist.pauli("Z"), method="exact")


def test_wrong_number_of_gate_angles():
    raises(ValueError, "params:", qdist.gate, "RX", 0)
    raises(ValueError, "params:", qdist.gate, "U", 0, 0, 1)
    raises(ValueError, "params:", qdist.gate, "H", 0, 0)


def test_bad_parameter_references():
    raises(ValueError, "param:", qdist.gate, "RX", 0, -1)
    raises(TypeError, "param:", qdist.gate, "RX", 0, None)
    raises(TypeError, "param:", qdist.gate, "RX", 0, True)
    raises(ValueError, "num_params:", qdist.make_circuit, 1, [qdist.gate("RX", 0, 4)], num_params=2)


# ---- wires ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        qdist.gate("X", 3),
        qdist.gate("CX", (0, 5)),
        qdist.pauli_rot("XZ", (1, 7), 0),
        qdist.unitary(np.eye(2), (3,)),
        qdist.diagonal(np.ones(2), (4,)),
        qdist.data_phase((0, 3)),
    ],
)
def test_wire_out_of_range(op):
    msg = raises(ValueError, "wires:", qdist.make_circuit, 3, [op])
    assert "0..2" in msg


def test_negative_wire_rejected_when_the_op_is_built():
    raises(ValueError, "wires:", qdist.gate, "H", -1)
    raises(ValueError, "wires:", qdist.pauli_rot, "XZ", (0, -2), 0)


@pytest.mark.parametrize(
    "op",
    [
        qdist.gate("CX", (1, 1)),
        qdist.gate("CCX", (0, 2, 0)),
        qdist.pauli_rot("XY", (2, 2), 0),
        qdist.unitary(np.eye(4), (0, 0)),
        qdist.data_phase((1, 1)),
    ],
)
def test_repeated_wire(op):
    raises(ValueError, "wires:", qdist.make_circuit, 3, [op])


def test_wrong_number_of_wires():
    raises(ValueError, "wires:", qdist.gate, "CX", 0)
    raises(ValueError, "wires:", qdist.gate, "RX", (0, 1), 0)
    raises(ValueError, "pauli:", qdist.pauli_rot, "XY", (0,), 0)
    raises(ValueError, "pauli:", qdist.pauli_rot, "XA", (0, 1), 0)
    raises(ValueError, "matrix:", qdist.unitary, np.eye(2), (0, 1))
    raises(ValueError, "matrix:", qdist.unitary, np.ones((2, 2)), (0,))
    raises(ValueError, "diagonal:", qdist.diagonal, np.ones(4), (0,))
    raises(ValueError, "diagonal:", qdist.diagonal, np.array([1.0, 0.5]), (0,))


def test_bad_num_qubits():
    raises(ValueError, "num_qubits:", qdist.make_circuit, 0, [])
    raises(TypeError, r"ops\[1\]:", qdist.make_circuit, 1, [qdist.gate("X", 0), "X"])


# ---- names ------------------------------------------------------------------------------------


def test_unknown_gate_name():
    # the message starts with "gate:" (the function's subject) and lists the known gates
    msg = raises(ValueError, "gate:", qdist.gate, "FOO", 0)
    assert "'FOO'" in msg and "CRX" in msg


def test_unknown_grad_method(rx2):
    msg = raises(ValueError, "method:", qdist.grad, rx2, [0.1, 0.2], qdist.pauli("Z"), method="backprop")
    assert "exact" in msg
    raises(TypeError, "grad:", qdist.grad, rx2, [0.1, 0.2], qdist.pauli("Z"), method="exact", shots=10)


def test_bad_dtype(rx2):
    raises(ValueError, "dtype:", qdist.expval, rx2, [0.1, 0.2], qdist.pauli("Z"), dtype="float32")


# ---- states and data --------------------------------------------------------------------------


@pytest.mark.parametrize("x", [np.zeros(5), [0.0], np.array([[1.0, 2.0], [0.0, 0.0]])])
def test_amplitude_encode_zero_vector(x):
    raises(ValueError, "x:", qdist.amplitude_encode, x)


def test_amplitude_encode_other_bad_inputs():
    raises(ValueError, "x:", qdist.amplitude_encode, np.zeros(0))
    raises(ValueError, "x:", qdist.amplitude_encode, [1.0, np.nan])
    raises(ValueError, "x:", qdist.amplitude_encode, [1.0, 1j])
    raises(ValueError, "x:", qdist.amplitude_encode, np.ones(9), num_qubits=3)
    raises(ValueError, "num_features:", qdist.num_qubits_for, 0)


@pytest.mark.parametrize(
    "state", [np.ones(2) / np.sqrt(2), np.ones(8) / np.sqrt(8), np.ones((3, 2)) / np.sqrt(2)]
)
def test_wrong_state_length(rx2, state):
    msg = raises(ValueError, "state:", qdist.expval, rx2, [0.1, 0.2], qdist.pauli("Z"), state=state)
    assert "(4,)" in msg
    raises(ValueError, "state:", qdist.state, rx2, [0.1, 0.2], state=state)


def test_unnormalised_state(rx2):
    raises(ValueError, "state:", qdist.state, rx2, [0.1, 0.2], state=np.ones(4))


def test_bad_data():
    c = qdist.make_circuit(2, [qdist.data_phase((1, 0), start=1)])
    assert c.num_data == 5
    raises(ValueError, "data:", qdist.state, c, None)
    raises(ValueError, "data:", qdist.state, c, None, data=np.zeros(4))
    raises(ValueError, "data:", qdist.state, c, None, data=[0, 0, np.nan, 0, 0])


def test_batch_length_mismatch(rx2):
    raises(ValueError, "batch:", qdist.expval, rx2, np.zeros((3, 2)), qdist.pauli("Z"), state=np.eye(4)[:2])


# ---- observables ------------------------------------------------------------------------------


def test_observable_wider_than_circuit(rx2):
    msg = raises(ValueError, "observable:", qdist.expval, rx2, [0.1, 0.2], qdist.pauli("ZIX"))
    assert "wire 2" in msg
    raises(ValueError, "observable:", qdist.value_and_grad, rx2, [0.1, 0.2], qdist.pauli("X", wires=(5,)))
    raises(ValueError, "observable:", qdist.grad, rx2, [0.1, 0.2], qdist.pauli_sum({"ZZZ": 1.0}))


def test_bad_observables(rx2):
    raises(ValueError, "wires:", qdist.pauli, "XZ", wires=(0,))
    raises(ValueError, "observable:", qdist.pauli, "XA")
    raises(ValueError, "observable:", qdist.pauli, "ZZ", wires=(1, 1))
    raises(
        TypeError, "observable:", qdist.expval, rx2, [0.1, 0.2], 3.0
    )  # label strings are accepted (issue 14)


# ---- regression tests for validation bugs found by this suite (fixed)


def test_bug_negative_observable_wire(rx2):
    """qdist/sim/observables.py `_word` accepts wire −1 and execute.py `check_observable` only checks
    `max_wire >= num_qubits`; apply_pauli then indexes axis −1 (the last wire): a silent wrong answer.
    Reproducer: ``qdist.expval(make_circuit(2, [gate("H", 1)]), [], pauli("X", wires=(-1,)))`` → 1.0."""
    c = qdist.make_circuit(2, [qdist.gate("H", 1)])
    with pytest.raises(ValueError, match="^(observable|wires):"):
        qdist.expval(c, [], qdist.pauli("X", wires=(-1,)))


@pytest.mark.parametrize("angle", [np.nan, np.inf, (0, np.nan, 0.0), (0, 1.0, np.inf)])
def test_bug_non_finite_fixed_angle(angle):
    """qdist/sim/circuit.py `_angle` (and `Angle`) accept NaN/inf; `qdist.state` then returns the zero
    vector (RX(nan)) or NaNs, with no error. Reproducer:
    ``qdist.state(make_circuit(1, [gate("RX", 0, float("nan"))]))`` → ``[0, 0]``."""
    with pytest.raises(ValueError, match="^param"):
        if isinstance(angle, tuple):
            angle = qdist.Angle(*angle)
        c = qdist.make_circuit(1, [qdist.gate("RX", 0, angle)], num_params=1)
        qdist.state(c, [0.3])


def test_bug_scalar_state(rx2):
    """qdist/sim/states.py `as_state` reads ``s.shape[-1]`` before checking ``s.ndim``."""
    raises(ValueError, "state:", qdist.state, rx2, [0.1, 0.2], state=1.0)


def test_bug_negative_data_start():
    """qdist/sim/circuit.py `data_phase` does not check ``start >= 0``: with start=−1 on one wire the
    slice ``data[-1:1]`` has one entry, which broadcasts to a global phase instead of raising."""
    with pytest.raises(ValueError, match="^start:"):
        c = qdist.make_circuit(1, [qdist.data_phase((0,), start=-1)])
        qdist.state(c, None, data=[0.1])


def test_bug_float_wire():
    """qdist/sim/circuit.py `gate`: ``gate("X", 0.5)`` raises "'float' object is not iterable"."""
    raises((TypeError, ValueError), "wires:", qdist.gate, "X", 0.5)


def test_bug_pauli_rot_int_wire():
    """qdist/sim/circuit.py `pauli_rot`: ``pauli_rot("X", 0, 0)`` raises TypeError "object of type 'int'
    has no len()" whereas ``gate("RX", 0, 0)`` accepts the int wire."""
    assert qdist.pauli_rot("X", 0, 0).wires == (0,)
