"""Qiskit ``QuantumCircuit`` → qdist [`Circuit`][qdist.Circuit] ([conventions][conventions]).

Qubit order: Qiskit qubit ``q`` (``qc.find_bit(q).index``, whatever the registers) is qdist wire
``q``. Qiskit matrices (``UnitaryGate``, ``DiagonalGate``) and Pauli labels are little-endian in their
qargs (qarg 0 = least significant bit / rightmost letter) while qdist matrices have the first wire
most significant, so a k-qubit matrix on qargs ``(q₀, …, q_{k−1})`` becomes the *same* matrix on
qdist wires ``(q_{k−1}, …, q₀)``.

Gates are recognised by their *class* (``op.base_class``), never by their name: a custom gate or
sub-circuit called ``"x"`` is converted from its definition. Library gates without a direct
qdist equivalent become fixed matrices (≤ 3 qubits, no free parameters) or are expanded through
their definition; ``Clifford`` and ``AnnotatedOperation`` instructions through their operator
(fixed) or definition. Final measurements (``measure_all()``) and the barriers before them are
stripped; ``initialize`` / ``StatePreparation`` on qubits no gate has touched yet becomes the
state-preparation unitary. Mid-circuit measurements, resets and classical control are refused
with a one-line error naming the instruction.

Parameters: the qdist parameter vector follows ``qc.parameters`` (Qiskit's sorted order; elements of
a ``ParameterVector`` sort by index) unless ``parameters=`` gives the order explicitly. An angle
affine in one parameter, ``a·θ + b``, becomes ``Angle(index, a, b)``; any other differentiable
expression (products of parameters as in ``zz_feature_map``, ``a + b``, ``sin(a)``) makes the
result a [`Reparametrized`][qdist.interop.expressions.Reparametrized] circuit (chain rule through
the expression).

Global phase: by default the circuit's ``global_phase`` (and the global phases of gate definitions
that are expanded) is dropped, so ``from_qiskit(qc)`` equals ``qc`` *up to a global phase*, which
no expectation value or probability can see. ``global_phase=True`` keeps it exactly (a fixed
``diagonal`` op, or ``PHASE(2γ)·RZ(−2γ) = e^{iγ}`` on wire 0 for a parameterised phase). All gate
mappings themselves are exact, including ``CUGate``'s γ (a ``PHASE(γ)`` on the control).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qdist.interop.expressions import Expression, Reparametrized, qiskit_expression
from qdist.interop.phases import phase_ops, shift
from qdist.interop.qiskit_export import to_qiskit
from qdist.sim.circuit import Angle, Circuit, Op, diagonal, gate, make_circuit, pauli_rot, unitary
from qdist.sim.gates import GATES

__all__ = ["from_qiskit", "to_qiskit"]

#: Qiskit library class name → qdist gate name (same angles, same wire order, exact).
_DIRECT_CLASSES = {
    "IGate": "I",
    "XGate": "X",
    "YGate": "Y",
    "ZGate": "Z",
    "HGate": "H",
    "SGate": "S",
    "SdgGate": "SDG",
    "TGate": "T",
    "TdgGate": "TDG",
    "SXGate": "SX",
    "SXdgGate": "SXDG",
    "RXGate": "RX",
    "RYGate": "RY",
    "RZGate": "RZ",
    "PhaseGate": "PHASE",
    "U1Gate": "PHASE",
    "UGate": "U",
    "U3Gate": "U",
    "CXGate": "CX",
    "CYGate": "CY",
    "CZGate": "CZ",
    "CHGate": "CH",
    "CRXGate": "CRX",
    "CRYGate": "CRY",
    "CRZGate": "CRZ",
    "CPhaseGate": "CPHASE",
    "CU1Gate": "CPHASE",
    "CU3Gate": "CU",
    "CSGate": "CS",
    "CSdgGate": "CSDG",
    "CSXGate": "CSX",
    "SwapGate": "SWAP",
    "iSwapGate": "ISWAP",
    "RXXGate": "RXX",
    "RYYGate": "RYY",
    "RZZGate": "RZZ",
    "CCXGate": "CCX",
}
_MATRIX_FALLBACK_MAX_QUBITS = 3


@lru_cache(maxsize=1)
def _classes() -> dict:
    """Qiskit library classes by role (looked up once)."""
    from qiskit.circuit import Barrier, Delay
    from qiskit.circuit import library as lib

    direct = {getattr(lib, k): v for k, v in _DIRECT_CLASSES.items()}
    return {
        "direct": direct,
        "skip": (Barrier, Delay),
        "u2": lib.U2Gate,
        "cu": lib.CUGate,
        "rzx": lib.RZXGate,
        "unitary": lib.UnitaryGate,
        "diagonal": lib.DiagonalGate,
        "evolution": lib.PauliEvolutionGate,
        "init": lib.Initialize,
    }


def _real(x, what: str) -> float:
    c = complex(x)
    if abs(c.imag) > 1e-12:
        raise ValueError(f"{what}: expected a real angle, got {c}")
    return c.real


class _Ctx:
    """Conversion state: parameter indices, collected ops, global-phase angles, expressions."""

    def __init__(self, index_of: dict, keep_phase: bool):
        self.index_of = index_of
        self.keep_phase = keep_phase
        self.ops: list[Op] = []
        self.phases: list[Angle] = []
        self.expressions: list[Expression] = []
        self.touched: set[int] = set()

    def angle(self, value, where: str, affine_only: bool = False) -> Angle:
        """``value`` (number or ``ParameterExpression``) → [`Angle`][qdist.Angle]; an angle that is
        not affine in one parameter becomes an expression entry of φ (module docstring)."""
        from qiskit.circuit import ParameterExpression

        if not isinstance(value, ParameterExpression):
            return Angle(-1, 0.0, _real(value, where))
        params = list(value.parameters)
        if not params:
            return Angle(-1, 0.0, _real(value.numeric(), where))
        for p in params:
            if p not in self.index_of:
                raise ValueError(f"parameters: {where} uses parameter {p.name!r}, which is not in parameters")
        affine = _affine(value, params[0], where) if len(params) == 1 else None
        if affine is not None:
            coeff, offset = affine
            return Angle(-1, 0.0, offset) if coeff == 0.0 else Angle(self.index_of[params[0]], coeff, offset)
        if affine_only:
            raise ValueError(
                f"qc: {where} has angle {value}; expected an affine function a*θ + b of one parameter"
            )
        self.expressions.append(qiskit_expression(value, self.index_of, where))
        return Angle(len(self.index_of) + len(self.expressions) - 1, 1.0, 0.0)


def _affine(value, p, where: str) -> tuple[float, float] | None:
    """``(a, b)`` if ``value = a·p + b`` (checked at two points beyond the derivative), else None."""
    from qiskit.circuit import ParameterExpression

    try:
        g = value.gradient(p)
        if isinstance(g, ParameterExpression):
            if g.parameters:
                return None
            g = g.numeric()
        coeff = _real(g, where)
        offset = _real(value.bind({p: 0.0}).numeric(), where)
        checks = [(x, _real(value.bind({p: x}).numeric(), where)) for x in (0.7311, -2.173)]
    except ValueError:
        raise
    except Exception:  # noqa: BLE001 - symbolic backends raise several types (ZeroDivision, …)
        return None
    ok = all(np.isclose(y, coeff * x + offset, rtol=1e-10, atol=1e-10) for x, y in checks)
    return (coeff, offset) if ok else None


def _unsupported(name: str, where: str, why: str = "") -> ValueError:
    return ValueError(
        f"qc: unsupported instruction {name!r} at {where}"
        + (f" ({why})" if why else "")
        + "; expected unitary gates, final measurements, or initialize on untouched qubits"
    )


def _is_open_controlled(op) -> bool:
    from qiskit.circuit import ControlledGate

    return isinstance(op, ControlledGate) and op.ctrl_state != 2**op.num_ctrl_qubits - 1


def _base_class(op):
    return getattr(op, "base_class", type(op))


def _qdist_name(op) -> str | None:
    """qdist gate name of a Qiskit *library* gate with the same angles and wires, if any (exact)."""
    from qiskit.circuit import ControlledGate

    direct = _classes()["direct"]
    if _is_open_controlled(op):
        return None
    if _base_class(op) in direct:
        return direct[_base_class(op)]
    # singly controlled library one-qubit gates built with .control(1): ct, ctdg, csxdg, …
    if _base_class(op) is ControlledGate and op.num_ctrl_qubits == 1 and op.num_qubits == 2:
        base = direct.get(_base_class(op.base_gate))
        if base is not None and "C" + base in GATES and len(op.params) == GATES["C" + base].num_params:
            return "C" + base
    return None


def _commuting_terms(spo) -> bool:
    paulis = spo.paulis
    return all(paulis[i].commutes(paulis[j]) for i in range(len(paulis)) for j in range(i))


def _has_free_parameters(op) -> bool:
    from qiskit.circuit import ParameterExpression

    return any(isinstance(v, ParameterExpression) and v.parameters for v in getattr(op, "params", ()))


def _fixed_matrix(op, gname: str) -> np.ndarray:
    from qiskit.quantum_info import Operator

    try:
        return np.asarray(Operator(op).data)
    except Exception as exc:  # noqa: BLE001 - Qiskit raises several types
        raise ValueError(f"qc: cannot get the matrix of {gname} ({str(exc).splitlines()[0]})") from None


def _convert(qc, wires: Sequence[int], ctx: _Ctx, prefix: str) -> None:
    """Append the ops of ``qc`` (its qubit ``i`` on qdist wire ``wires[i]``) to ``ctx``."""
    from qiskit.circuit import AnnotatedOperation, Gate, Instruction
    from qiskit.quantum_info import Clifford, SparsePauliOp

    cls = _classes()
    for pos, ins in enumerate(qc.data):
        op = ins.operation
        name = op.name
        where = f"position {prefix}{pos}"
        qargs = tuple(wires[qc.find_bit(q).index] for q in ins.qubits)
        if isinstance(op, cls["skip"]):
            continue
        gname = f"gate {name!r} at {where}"
        if isinstance(op, cls["init"]):
            _state_prep(op, qargs, ctx, gname)
            continue
        ctx.touched.update(qargs)
        if isinstance(op, Clifford):
            ctx.ops.append(unitary(_fixed_matrix(op, gname), qargs[::-1], name="CLIFFORD", check=False))
            continue
        if isinstance(op, AnnotatedOperation):
            if not _has_free_parameters(op.base_op) and op.num_qubits <= _MATRIX_FALLBACK_MAX_QUBITS:
                ctx.ops.append(unitary(_fixed_matrix(op, gname), qargs[::-1], name="ANNOTATED", check=False))
            else:
                _convert(_unannotated(op, name, where), qargs, ctx, f"{prefix}{pos}.")
            continue
        if (
            ins.clbits
            or not isinstance(op, Instruction)
            or not (isinstance(op, Gate) or (op.definition is not None and op.num_clbits == 0))
        ):
            why = "a mid-circuit measurement" if name == "measure" else ""
            raise _unsupported(name, where, why)
        kind = _base_class(op)
        qname = _qdist_name(op)
        if qname is not None:
            angles = [ctx.angle(v, gname) for v in op.params]
            ctx.ops.append(gate(qname, qargs, *angles))
        elif kind is cls["u2"]:
            phi, lam = (ctx.angle(v, gname) for v in op.params)
            ctx.ops.append(gate("U", qargs, np.pi / 2, phi, lam))
        elif kind is cls["cu"] and not _is_open_controlled(op):
            # CU(θ,φ,λ,γ) = |0⟩⟨0|⊗I + |1⟩⟨1|⊗e^{iγ}U(θ,φ,λ) = PHASE(γ) on the control · CU(θ,φ,λ)
            th, phi, lam, gam = (ctx.angle(v, gname) for v in op.params)
            ctx.ops.append(gate("CU", qargs, th, phi, lam))
            if gam.trainable or gam.offset != 0.0:
                ctx.ops.append(gate("PHASE", qargs[0], gam))
        elif kind is cls["rzx"]:
            # RZX(θ) = exp(−iθ/2 · Z_{q0} X_{q1})
            ctx.ops.append(pauli_rot("ZX", qargs, ctx.angle(op.params[0], gname)))
        elif kind is cls["unitary"]:
            ctx.ops.append(unitary(np.asarray(op.to_matrix()), qargs[::-1], check=False))
        elif kind is cls["diagonal"]:
            ctx.ops.append(diagonal(np.asarray(op.params, dtype=complex), qargs[::-1]))
        elif (
            kind is cls["evolution"]
            and isinstance(op.operator, SparsePauliOp)
            and op.operator.coeffs.dtype != object
            and np.allclose(np.imag(op.operator.coeffs), 0.0)
            and _commuting_terms(op.operator)
        ):
            # exp(−i t Σ_k c_k P_k) = Π_k exp(−i (2 c_k t) P_k / 2) for commuting P_k
            t = ctx.angle(op.params[0], gname, affine_only=True)
            for label, c in op.operator.to_list():
                ctx.ops.append(pauli_rot(label[::-1], qargs, shift(t, 2.0 * float(np.real(c)))))
        elif kind is cls["evolution"] and _has_free_parameters(op):
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
                or kind is cls["evolution"]  # exact exponential, not the Trotterised definition
            )
        ):
            ctx.ops.append(unitary(_fixed_matrix(op, gname), qargs[::-1], name=name.upper(), check=False))
        elif op.definition is not None:
            sub = op.definition
            if ctx.keep_phase:
                ctx.phases.append(ctx.angle(sub.global_phase, f"global phase of {gname}", affine_only=True))
            _convert(sub, qargs, ctx, f"{prefix}{pos}.")
        else:
            raise _unsupported(name, where)


def _unannotated(op, name: str, where: str):
    """An ``AnnotatedOperation`` as a one-gate circuit: its base gate with the modifiers applied in
    order (inverse, control with its control state, integer power)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ControlModifier, InverseModifier, PowerModifier

    g = op.base_op
    for m in op.modifiers:
        if isinstance(m, InverseModifier):
            g = g.inverse()
        elif isinstance(m, ControlModifier):
            g = g.control(m.num_ctrl_qubits, ctrl_state=m.ctrl_state, annotated=False)
        elif isinstance(m, PowerModifier) and float(m.power).is_integer() and m.power >= 0:
            rep = QuantumCircuit(g.num_qubits)
            for _ in range(int(m.power)):
                rep.append(g, range(g.num_qubits))
            g = rep.to_gate(label=f"{g.name}^{int(m.power)}")
        else:
            raise _unsupported(name, where, f"an AnnotatedOperation with modifier {m!r} and free parameters")
    sub = QuantumCircuit(op.num_qubits)
    sub.append(g, range(op.num_qubits))
    return sub


def _state_prep(op, qargs, ctx: _Ctx, gname: str) -> None:
    """``initialize`` on untouched qubits (``|0…0⟩`` there): its ``StatePreparation`` unitary."""
    if _has_free_parameters(op):
        raise ValueError(f"qc: {gname} has free parameters; expected a fixed state")
    used = sorted(ctx.touched.intersection(qargs))
    if used:
        raise ValueError(
            f"qc: {gname} acts on qubit(s) {used} after other gates (a reset, not unitary); "
            "expected initialize before any gate on its qubits"
        )
    ctx.touched.update(qargs)
    # Initialize = reset on every qubit, then a StatePreparation gate on all of them
    preps = [ins.operation for ins in op.definition.data if ins.operation.name != "reset"]
    if len(preps) != 1 or preps[0].num_qubits != len(qargs):
        raise ValueError(f"qc: cannot read the state of {gname} from its definition")
    ctx.ops.append(unitary(_fixed_matrix(preps[0], gname), qargs[::-1], name="STATE_PREP", check=False))


def _strip_final_measurements(qc):
    """``qc`` without its final measurements (and the barriers just before them)."""
    if not any(ins.operation.name == "measure" for ins in qc.data):
        return qc
    return qc.remove_final_measurements(inplace=False)


def from_qiskit(
    qc, *, parameters: Sequence | None = None, global_phase: bool = False
) -> Circuit | Reparametrized:
    """Qiskit ``QuantumCircuit`` → qdist [`Circuit`][qdist.Circuit] (module docstring).

    Args:
        qc: the circuit; barriers, delays and final measurements are skipped; gates without a
            direct qdist equivalent become fixed ``unitary`` ops (≤ 3 qubits, no free parameters)
            or are expanded through their Qiskit definition.
        parameters: the order of the parameter vector (default ``list(qc.parameters)``); pass e.g.
            the ``ParameterVector`` (``element.vector`` of any of its elements) to keep entries the
            circuit does not use.
        global_phase: keep ``qc.global_phase`` exactly (default: drop it, see module docstring).

    Returns:
        A circuit with ``num_params = len(parameters)``; ``params[i]`` is the value of
        ``parameters[i]``. When an angle is not affine in a single parameter, a
        [`Reparametrized`][qdist.interop.expressions.Reparametrized] circuit (same parameters), which
        every qdist entry point accepts.

    Raises:
        ValueError: a non-unitary instruction (mid-circuit ``measure``, ``reset``, ``if_else``, …) or
            an angle that is not a differentiable expression of the parameters; the message names
            the instruction.
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
    _convert(_strip_final_measurements(qc), tuple(range(qc.num_qubits)), ctx, "")
    ops = ctx.ops
    if global_phase:
        ctx.phases.append(ctx.angle(qc.global_phase, "global phase of qc", affine_only=True))
        ops = ops + phase_ops(ctx.phases)
    circuit = make_circuit(max(qc.num_qubits, 1), ops, num_params=len(order) + len(ctx.expressions))
    if ctx.expressions:
        return Reparametrized(circuit, len(order), tuple(ctx.expressions))
    return circuit
