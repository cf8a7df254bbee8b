"""Qiskit ``QuantumCircuit`` ↔ qdist [`Circuit`][qdist.Circuit] ([conventions][conventions]).

Qubit order: Qiskit qubit ``q`` (``qc.find_bit(q).index``, whatever the registers) is qdist wire
``q``. Qiskit matrices (``UnitaryGate``, ``DiagonalGate``) and Pauli labels are little-endian in their
qargs (qarg 0 = least significant bit / rightmost letter) while qdist matrices have the first wire
most significant, so a k-qubit matrix on qargs ``(q₀, …, q_{k−1})`` becomes the *same* matrix on
qdist wires ``(q_{k−1}, …, q₀)``.

Parameters: the qdist parameter vector follows ``qc.parameters`` (Qiskit's sorted order; elements of
a ``ParameterVector`` sort by index) unless ``parameters=`` gives the order explicitly. Every angle
must be an affine function ``a·θ + b`` of at most one parameter; it becomes ``Angle(index, a, b)``.

Global phase: by default the circuit's ``global_phase`` (and the global phases of gate definitions
that are expanded) is dropped, so ``from_qiskit(qc)`` equals ``qc`` *up to a global phase*, which
no expectation value or probability can see. ``global_phase=True`` keeps it exactly (a fixed
``diagonal`` op, or ``PHASE(2γ)·RZ(−2γ) = e^{iγ}`` on wire 0 for a parameterised phase). All gate
mappings themselves are exact, including ``CUGate``'s γ (a ``PHASE(γ)`` on the control).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qdist.sim.circuit import Angle, Circuit, Op, diagonal, gate, make_circuit, pauli_rot, unitary
from qdist.sim.gates import GATES

__all__ = ["from_qiskit", "to_qiskit"]

#: Qiskit gate name → qdist gate name (same angles, same wire order, exact).
_DIRECT = {
    "id": "I",
    "x": "X",
    "y": "Y",
    "z": "Z",
    "h": "H",
    "s": "S",
    "sdg": "SDG",
    "t": "T",
    "tdg": "TDG",
    "sx": "SX",
    "sxdg": "SXDG",
    "rx": "RX",
    "ry": "RY",
    "rz": "RZ",
    "p": "PHASE",
    "u1": "PHASE",
    "u": "U",
    "u3": "U",
    "cx": "CX",
    "cy": "CY",
    "cz": "CZ",
    "ch": "CH",
    "crx": "CRX",
    "cry": "CRY",
    "crz": "CRZ",
    "cp": "CPHASE",
    "cu1": "CPHASE",
    "cu3": "CU",
    "cs": "CS",
    "csdg": "CSDG",
    "csx": "CSX",
    "swap": "SWAP",
    "iswap": "ISWAP",
    "rxx": "RXX",
    "ryy": "RYY",
    "rzz": "RZZ",
    "ccx": "CCX",
}
_SKIP = {"barrier", "delay"}
_MATRIX_FALLBACK_MAX_QUBITS = 3


# ---------------------------------------------------------------------------------------------
# Qiskit → qdist
# ---------------------------------------------------------------------------------------------


def _shift(a: Angle, scale: float, add: float = 0.0) -> Angle:
    """The angle ``scale·a + add``."""
    if not a.trainable:
        return Angle(-1, 0.0, scale * a.offset + add)
    return Angle(a.index, scale * a.coeff, scale * a.offset + add)


def _real(x, what: str) -> float:
    c = complex(x)
    if abs(c.imag) > 1e-12:
        raise ValueError(f"{what}: expected a real angle, got {c}")
    return c.real


class _Ctx:
    """Conversion state: parameter indices, collected ops, collected global-phase angles."""

    def __init__(self, index_of: dict, keep_phase: bool):
        self.index_of = index_of
        self.keep_phase = keep_phase
        self.ops: list[Op] = []
        self.phases: list[Angle] = []

    def angle(self, value, where: str) -> Angle:
        """``value`` (number or ``ParameterExpression``) → [`Angle`][qdist.Angle], checking affinity."""
        from qiskit.circuit import ParameterExpression

        if not isinstance(value, ParameterExpression):
            return Angle(-1, 0.0, _real(value, where))
        params = list(value.parameters)
        if not params:
            return Angle(-1, 0.0, _real(value.numeric(), where))
        if len(params) > 1:
            names = ", ".join(sorted(p.name for p in params))
            raise ValueError(
                f"qc: {where} has angle {value} depending on {len(params)} parameters ({names}); "
                "expected an affine function a*θ + b of one parameter"
            )
        (p,) = params
        if p not in self.index_of:
            raise ValueError(f"parameters: {where} uses parameter {p.name!r}, which is not in parameters")
        nonaffine = ValueError(
            f"qc: {where} has angle {value}, which is not affine in {p.name} (expected c*{p.name} + d)"
        )
        try:
            g = value.gradient(p)
            if isinstance(g, ParameterExpression):
                if g.parameters:
                    raise nonaffine
                g = g.numeric()
            coeff = _real(g, where)
            offset = _real(value.bind({p: 0.0}).numeric(), where)
            check = _real(value.bind({p: 0.7311}).numeric(), where)
        except ValueError:
            raise
        except Exception:  # noqa: BLE001 - symengine/Rust raise several types (ZeroDivision, …)
            raise nonaffine from None
        if not np.isclose(check, coeff * 0.7311 + offset, rtol=1e-10, atol=1e-10):
            raise nonaffine
        if coeff == 0.0:
            return Angle(-1, 0.0, offset)
        return Angle(self.index_of[p], coeff, offset)


def _unsupported(name: str, where: str) -> ValueError:
    return ValueError(
        f"qc: unsupported instruction {name!r} at {where}; expected standard unitary gates "
        "(no measure, reset, classical control or other non-unitary instructions)"
    )


def _is_open_controlled(op) -> bool:
    from qiskit.circuit import ControlledGate

    return isinstance(op, ControlledGate) and op.ctrl_state != 2**op.num_ctrl_qubits - 1


def _qdist_name(op) -> str | None:
    """qdist gate name of a Qiskit gate with the same angles and wires, if any (exact)."""
    from qiskit.circuit import ControlledGate

    if _is_open_controlled(op):
        return None
    if op.name in _DIRECT:
        return _DIRECT[op.name]
    # singly controlled one-qubit gates built with .control(1): ct, ctdg, csxdg, …
    if isinstance(op, ControlledGate) and op.num_ctrl_qubits == 1 and op.num_qubits == 2:
        base = _DIRECT.get(op.base_gate.name)
        if base is not None and "C" + base in GATES and len(op.params) == GATES["C" + base].num_params:
            return "C" + base
    return None


def _commuting_terms(spo) -> bool:
    paulis = spo.paulis
    return all(paulis[i].commutes(paulis[j]) for i in range(len(paulis)) for j in range(i))


def _has_free_parameters(op) -> bool:
    from qiskit.circuit import ParameterExpression

    return any(isinstance(v, ParameterExpression) and v.parameters for v in op.params)


def _convert(qc, wires: Sequence[int], ctx: _Ctx, prefix: str) -> None:
    """Append the ops of ``qc`` (its qubit ``i`` on qdist wire ``wires[i]``) to ``ctx``."""
    from qiskit.circuit import Gate
    from qiskit.quantum_info import Operator, SparsePauliOp

    for pos, ins in enumerate(qc.data):
        op = ins.operation
        name = op.name
        where = f"position {prefix}{pos}"
        qargs = tuple(wires[qc.find_bit(q).index] for q in ins.qubits)
        if name in _SKIP:
            continue
        if ins.clbits or not (isinstance(op, Gate) or (op.definition is not None and op.num_clbits == 0)):
            raise _unsupported(name, where)
        gname = f"gate {name!r} at {where}"
        qname = _qdist_name(op)
        if qname is not None:
            angles = [ctx.angle(v, gname) for v in op.params]
            ctx.ops.append(gate(qname, qargs, *angles))
        elif name == "u2":
            phi, lam = (ctx.angle(v, gname) for v in op.params)
            ctx.ops.append(gate("U", qargs, np.pi / 2, phi, lam))
        elif name == "cu" and not _is_open_controlled(op):
            # CU(θ,φ,λ,γ) = |0⟩⟨0|⊗I + |1⟩⟨1|⊗e^{iγ}U(θ,φ,λ) = PHASE(γ) on the control · CU(θ,φ,λ)
            th, phi, lam, gam = (ctx.angle(v, gname) for v in op.params)
            ctx.ops.append(gate("CU", qargs, th, phi, lam))
            if gam.trainable or gam.offset != 0.0:
                ctx.ops.append(gate("PHASE", qargs[0], gam))
        elif name == "rzx":
            # RZX(θ) = exp(−iθ/2 · Z_{q0} X_{q1})
            ctx.ops.append(pauli_rot("ZX", qargs, ctx.angle(op.params[0], gname)))
        elif name == "unitary":
            ctx.ops.append(unitary(np.asarray(op.to_matrix()), qargs[::-1], check=False))
        elif name == "diagonal":
            ctx.ops.append(diagonal(np.asarray(op.params, dtype=complex), qargs[::-1]))
        elif (
            name == "PauliEvolution"
            and isinstance(op.operator, SparsePauliOp)
            and op.operator.coeffs.dtype != object
            and np.allclose(np.imag(op.operator.coeffs), 0.0)
            and _commuting_terms(op.operator)
        ):
            # exp(−i t Σ_k c_k P_k) = Π_k exp(−i (2 c_k t) P_k / 2) for commuting P_k
            t = ctx.angle(op.params[0], gname)
            for label, c in op.operator.to_list():
                ctx.ops.append(pauli_rot(label[::-1], qargs, _shift(t, 2.0 * float(np.real(c)))))
        elif name == "PauliEvolution" and _has_free_parameters(op):
            raise ValueError(
                f"qc: {gname} has a parameterised time and non-commuting (or complex/symbolic) terms; "
                "its Qiskit definition is only a Trotter approximation, so it is not converted"
            )
        elif (
            not _has_free_parameters(op)
            and isinstance(op, Gate)
            and (
                op.num_qubits <= _MATRIX_FALLBACK_MAX_QUBITS
                or op.definition is None
                or name == "PauliEvolution"  # exact exponential, not the Trotterised definition
            )
        ):
            try:
                m = Operator(op).data
            except Exception as exc:  # noqa: BLE001 - Qiskit raises several types
                raise ValueError(f"qc: cannot get the matrix of {gname} ({exc})") from None
            ctx.ops.append(unitary(m, qargs[::-1], name=name.upper(), check=False))
        elif op.definition is not None:
            sub = op.definition
            if ctx.keep_phase:
                ctx.phases.append(ctx.angle(sub.global_phase, f"global phase of {gname}"))
            _convert(sub, qargs, ctx, f"{prefix}{pos}.")
        else:
            raise _unsupported(name, where)


def from_qiskit(qc, *, parameters: Sequence | None = None, global_phase: bool = False) -> Circuit:
    """Qiskit ``QuantumCircuit`` of unitary gates → qdist [`Circuit`][qdist.Circuit] (module docstring).

    Args:
        qc: the circuit; barriers and delays are skipped; gates without a direct qdist equivalent
            become fixed ``unitary`` ops (≤ 3 qubits, no free parameters) or are expanded through
            their Qiskit definition.
        parameters: the order of the parameter vector (default ``list(qc.parameters)``); pass e.g.
            the ``ParameterVector`` (``element.vector`` of any of its elements) to keep entries the
            circuit does not use.
        global_phase: keep ``qc.global_phase`` exactly (default: drop it, see module docstring).

    Returns:
        A circuit with ``num_params = len(parameters)``; ``params[i]`` is the value of
        ``parameters[i]``.

    Raises:
        ValueError: a non-unitary instruction (``measure``, ``reset``, ``if_else``, …) or an angle
            that is not affine in a single parameter; the message names the instruction.
    """
    from qiskit import QuantumCircuit

    if not isinstance(qc, QuantumCircuit):
        raise TypeError(f"qc: expected a qiskit QuantumCircuit, got {type(qc).__name__}")
    order = list(qc.parameters) if parameters is None else list(parameters)
    index_of = {p: i for i, p in enumerate(order)}
    if len(index_of) != len(order):
        raise ValueError("parameters: contains a parameter twice")
    missing = [p.name for p in qc.parameters if p not in index_of]
    if missing:
        raise ValueError(f"parameters: missing circuit parameter(s) {', '.join(missing)}")
    ctx = _Ctx(index_of, global_phase)
    _convert(qc, tuple(range(qc.num_qubits)), ctx, "")
    ops = ctx.ops
    if global_phase:
        ctx.phases.append(ctx.angle(qc.global_phase, "global phase of qc"))
        ops = ops + _phase_ops(ctx.phases)
    return make_circuit(max(qc.num_qubits, 1), ops, num_params=len(order))


def _phase_ops(phases: Sequence[Angle]) -> list[Op]:
    """Ops on wire 0 equal to ``exp(i Σ γ_k)`` for the affine angles ``γ_k``.

    A fixed phase γ is ``diag(e^{iγ}, e^{iγ})``; a parameter term ``c·θ`` is
    ``PHASE(2cθ)·RZ(−2cθ) = diag(1, e^{2icθ})·diag(e^{icθ}, e^{−icθ}) = e^{icθ}``.
    """
    const, coeffs = 0.0, {}
    for a in phases:
        const += a.offset
        if a.trainable:
            coeffs[a.index] = coeffs.get(a.index, 0.0) + a.coeff
    ops = []
    for k, c in coeffs.items():
        if c != 0.0:
            ops.append(gate("PHASE", 0, Angle(k, 2.0 * c, 0.0)))
            ops.append(gate("RZ", 0, Angle(k, -2.0 * c, 0.0)))
    const = float(np.remainder(const, 2 * np.pi))
    if const != 0.0:
        ops.append(diagonal(np.full(2, np.exp(1j * const)), (0,), name="GLOBAL_PHASE"))
    return ops


# ---------------------------------------------------------------------------------------------
# qdist → Qiskit
# ---------------------------------------------------------------------------------------------


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
