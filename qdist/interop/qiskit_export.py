"""qdist [`Circuit`][qdist.Circuit] → Qiskit ``QuantumCircuit`` (the conventions of
[`qdist.interop.qiskit`][qdist.interop.qiskit])."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qdist.sim.circuit import Angle, Circuit

__all__ = ["to_qiskit"]


def _gate_ctor(name: str):
    from qiskit.circuit import library as lib

    table = {
        "I": lib.IGate,
        "X": lib.XGate,
        "Y": lib.YGate,
        "Z": lib.ZGate,
        "H": lib.HGate,
        "S": lib.SGate,
        "SDG": lib.SdgGate,
        "T": lib.TGate,
        "TDG": lib.TdgGate,
        "SX": lib.SXGate,
        "SXDG": lib.SXdgGate,
        "RX": lib.RXGate,
        "RY": lib.RYGate,
        "RZ": lib.RZGate,
        "PHASE": lib.PhaseGate,
        "U": lib.UGate,
        "CX": lib.CXGate,
        "CY": lib.CYGate,
        "CZ": lib.CZGate,
        "CH": lib.CHGate,
        "CRX": lib.CRXGate,
        "CRY": lib.CRYGate,
        "CRZ": lib.CRZGate,
        "CPHASE": lib.CPhaseGate,
        "CU": lambda th, ph, lam: lib.CUGate(th, ph, lam, 0.0),
        "CS": lib.CSGate,
        "CSDG": lib.CSdgGate,
        "CSX": lib.CSXGate,
        "SWAP": lib.SwapGate,
        "ISWAP": lib.iSwapGate,
        "RXX": lib.RXXGate,
        "RYY": lib.RYYGate,
        "RZZ": lib.RZZGate,
        "CCX": lib.CCXGate,
    }
    if name in table:
        return table[name]
    if name.startswith("C") and name[1:] in table:  # CT, CTDG, CSXDG, …
        base = table[name[1:]]
        return lambda *a: base(*a).control(1)
    raise ValueError(f"circuit: gate {name!r} has no Qiskit equivalent")


def to_qiskit(circuit: Circuit, params=None, *, data=None, parameters: Sequence | None = None):
    """qdist [`Circuit`][qdist.Circuit] → Qiskit ``QuantumCircuit`` (qdist wire w = Qiskit qubit w).

    Args:
        circuit: the circuit.
        params: ``None`` for a parameterised circuit over ``ParameterVector("θ", num_params)``
            (angle ``Angle(i, a, b)`` ↦ ``a*θ[i] + b``; ``from_qiskit`` of the result with
            ``parameters=`` that vector, or with every entry used, gives back the same indices),
            or a vector of length ``num_params`` to bind numeric angles.
        parameters: with ``params=None``, the Qiskit parameters to use instead of a new
            ``ParameterVector("θ", num_params)`` (e.g. a vector you keep and later pass to
            [`from_qiskit`][qdist.interop.qiskit.from_qiskit], so that entries no op uses keep their index).
        data: the run-time data vector, required when the circuit has ``data_phase`` ops (they
            become ``DiagonalGate``\\ s with ``diag(exp(i·scale·data[start:stop]))``).

    ``pauli_rot`` ops become ``PauliEvolutionGate(P, time=θ/2)``; ``unitary``/``diagonal`` ops
    ``UnitaryGate``/``DiagonalGate`` on the reversed wires (module docstring).
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.circuit.library import DiagonalGate, PauliEvolutionGate, UnitaryGate
    from qiskit.quantum_info import SparsePauliOp

    from qdist.sim.execute import real_array

    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    if params is None:
        theta = ParameterVector("θ", circuit.num_params) if parameters is None else list(parameters)
        if len(theta) != circuit.num_params:
            raise ValueError(f"parameters: expected {circuit.num_params} Qiskit parameters, got {len(theta)}")
    else:
        theta = real_array("params", params)
        if theta.shape != (circuit.num_params,):
            raise ValueError(f"params: expected shape ({circuit.num_params},), got {theta.shape}")
    if circuit.num_data:
        if data is None:
            raise ValueError(
                f"data: the circuit has data_phase ops; pass data= of length {circuit.num_data} to bind them"
            )
        data = real_array("data", data)
        if data.shape != (circuit.num_data,):
            raise ValueError(f"data: expected shape ({circuit.num_data},), got {data.shape}")

    def value(a: Angle):
        if not a.trainable:
            return float(a.offset)
        x = theta[a.index]
        if params is not None:
            return float(a.coeff * x + a.offset)
        if a.coeff != 1.0:
            x = a.coeff * x
        return x + a.offset if a.offset != 0.0 else x

    qc = QuantumCircuit(circuit.num_qubits)
    for op in circuit.ops:
        qargs = list(op.wires)
        if op.kind == "gate":
            qc.append(_gate_ctor(op.name)(*[value(a) for a in op.angles]), qargs)
        elif op.kind == "pauli_rot":
            spo = SparsePauliOp(op.pauli[::-1])
            qc.append(PauliEvolutionGate(spo, time=value(op.angles[0]) / 2), qargs)
        elif op.kind == "unitary":
            qc.append(UnitaryGate(op.matrix, label=op.name, check_input=False), qargs[::-1])
        elif op.kind == "diagonal":
            qc.append(DiagonalGate(list(op.matrix)), qargs[::-1])
        elif op.kind == "data_phase":
            start, stop = op.data_slice
            qc.append(DiagonalGate(list(np.exp(1j * op.scale * data[start:stop]))), qargs[::-1])
        else:  # pragma: no cover - guarded by make_circuit
            raise ValueError(f"circuit: unknown op kind {op.kind!r}")
    return qc
