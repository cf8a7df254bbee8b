"""qdist [`Circuit`][qdist.Circuit] → PennyLane quantum function (the conventions of
[`qdist.interop.pennylane`][qdist.interop.pennylane])."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qdist.sim.circuit import Angle, Circuit

__all__ = ["to_pennylane"]


def _pl_gate(name: str):
    """qdist gate name → callable ``(angles, wires) -> PennyLane op``."""
    import pennylane as qml

    table = {
        "I": qml.Identity,
        "X": qml.PauliX,
        "Y": qml.PauliY,
        "Z": qml.PauliZ,
        "H": qml.Hadamard,
        "S": qml.S,
        "SDG": lambda wires: qml.adjoint(qml.S(wires)),
        "T": qml.T,
        "TDG": lambda wires: qml.adjoint(qml.T(wires)),
        "SX": qml.SX,
        "SXDG": lambda wires: qml.adjoint(qml.SX(wires)),
        "RX": qml.RX,
        "RY": qml.RY,
        "RZ": qml.RZ,
        "PHASE": qml.PhaseShift,
        "U": qml.U3,
        "CX": qml.CNOT,
        "CY": qml.CY,
        "CZ": qml.CZ,
        "CH": qml.CH,
        "CRX": qml.CRX,
        "CRY": qml.CRY,
        "CRZ": qml.CRZ,
        "CPHASE": qml.ControlledPhaseShift,
        "SWAP": qml.SWAP,
        "ISWAP": qml.ISWAP,
        "RXX": qml.IsingXX,
        "RYY": qml.IsingYY,
        "RZZ": qml.IsingZZ,
        "CCX": qml.Toffoli,
    }
    if name in table:
        f = table[name]
        return lambda angles, wires: f(*angles, wires=wires if len(wires) > 1 else wires[0])
    if name.startswith("C") and name[1:] in table:  # CU, CS, CSDG, CSX, CT, …: controlled base gate
        base = table[name[1:]]
        return lambda angles, wires: qml.ctrl(base(*angles, wires=wires[1]), control=wires[0])
    raise ValueError(f"circuit: gate {name!r} has no PennyLane equivalent")


def to_pennylane(circuit: Circuit, wires: Sequence | None = None) -> Callable:
    """qdist [`Circuit`][qdist.Circuit] → PennyLane quantum function ``qfunc(params, data=None)``.

    ``qfunc`` applies the ops (qdist wire i on PennyLane wire ``wires[i]``, default ``i``) and
    returns nothing; call it inside a QNode. It works with numpy and with JAX arrays under
    ``jax.jit``. ``Angle(i, a, b)`` is applied as ``a*params[i] + b``; ``data`` is required when
    the circuit has ``data_phase`` ops (applied as ``DiagonalQubitUnitary``).
    """
    import pennylane as qml

    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    labels = list(range(circuit.num_qubits)) if wires is None else list(wires)
    if len(labels) != circuit.num_qubits:
        raise ValueError(f"wires: expected {circuit.num_qubits} wire labels, got {len(labels)}")
    makers = {op.name: _pl_gate(op.name) for op in circuit.ops if op.kind == "gate"}

    def qfunc(params=None, data=None):
        if circuit.num_params:
            if params is None or qml.math.shape(params) != (circuit.num_params,):
                got = None if params is None else tuple(qml.math.shape(params))
                raise ValueError(f"params: expected shape ({circuit.num_params},), got {got}")
        if circuit.num_data:
            if data is None or qml.math.shape(data) != (circuit.num_data,):
                got = None if data is None else tuple(qml.math.shape(data))
                raise ValueError(
                    f"data: the circuit has data_phase ops; expected data of shape ({circuit.num_data},), got {got}"
                )

        def value(a: Angle):
            if not a.trainable:
                return a.offset
            x = params[a.index]
            if a.coeff != 1.0:
                x = a.coeff * x
            return x + a.offset if a.offset != 0.0 else x

        for op in circuit.ops:
            w = [labels[i] for i in op.wires]
            if op.kind == "gate":
                makers[op.name]([value(a) for a in op.angles], w)
            elif op.kind == "pauli_rot":
                qml.PauliRot(value(op.angles[0]), op.pauli, wires=w)
            elif op.kind == "unitary":
                qml.QubitUnitary(op.matrix, wires=w)
            elif op.kind == "diagonal":
                qml.DiagonalQubitUnitary(op.matrix, wires=w)
            elif op.kind == "data_phase":
                start, stop = op.data_slice
                qml.DiagonalQubitUnitary(qml.math.exp(1j * op.scale * data[start:stop]), wires=w)
            else:  # pragma: no cover - guarded by make_circuit
                raise ValueError(f"circuit: unknown op kind {op.kind!r}")

    qfunc.__doc__ = (
        f"Quantum function of a {circuit.num_qubits}-qubit qdist circuit ({len(circuit.ops)} ops)."
    )
    return qfunc
