"""PennyLane operations → a qdist [`Circuit`][qdist.Circuit] whose every angle is a parameter.

The device `qdist.plugins.pennylane_device.QdistQubit` runs tapes already decomposed to the gates
of `NATIVE` (PennyLane's ``decompose`` transform with
[`supported`][qdist.plugins.pennylane_ops.supported] as stopping condition). Each op is matched by
its **class** (never by its name, so a user's gate called ``"RX"`` is decomposed, not trusted):

* named gates (``RX``, ``CNOT``, ``IsingZZ``, ``U3`` …) → `qdist.gate`, ``PauliRot`` / ``MultiRZ``
  → `qdist.pauli_rot`, ``QubitUnitary`` / ``DiagonalQubitUnitary`` → fixed ``unitary`` / ``diagonal``
  ops, ``GlobalPhase(φ)`` → the factor ``e^{−iφ}`` on the final state, a leading state
  preparation (``StatePrep``, ``BasisState``, ``AmplitudeEmbedding`` …) → the initial state;
* a rotation ``R_P(θ)`` (``P`` = X, Y, Z) with ``k ≤ 6`` controls is
  ``exp(−iθ/2 · P_t ⊗ Π_c)`` with the projector ``Π_c = 2^{−k} Σ_{S⊆c} (−1)^{|S|} Z_S``: a product
  of ``2^k`` commuting Pauli rotations ``exp(−i (−1)^{|S|} θ/2^k · P_t Z_S / 2)`` sharing the angle
  (affine, so the adjoint gradient and the shift rules stay exact); a controlled
  ``PhaseShift(φ)`` on ``m = k + 1`` wires is ``exp(iφ Π)``, the same with ``2^m`` Z strings
  (the empty one a global phase ``e^{iφ/2^m}``). Controls on ``|0⟩`` are conjugated by X;
* an operation without a decomposition but with a matrix (``DoubleExcitationPlus``,
  ``BlockEncode`` …, at most 6 wires) → a fixed ``unitary`` op (its matrix checked unitary).
* every scalar angle becomes its own entry of the parameter vector (``Angle(j)``, value in
  ``values[j]``), so circuits that differ only in their angles share one compiled simulation, and
  ``columns[j]`` names the tape parameter (``tape.get_parameters(trainable_only=False)`` index)
  that entry came from: the adjoint gradient over ``values`` is the tape's Jacobian.

Wire order: ``wire_order[k]`` is qdist wire ``k`` (the most significant bit of the state index,
PennyLane's convention too), see [qubit order][qubit-order].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pennylane as qml

from qdist.sim.circuit import Angle, Circuit, Op, diagonal, gate, make_circuit, pauli_rot, unitary

__all__ = ["NATIVE", "Converted", "convert", "supported", "trainable_ok"]

#: PennyLane class → qdist gate name (angles in the same order and convention).
_GATES: dict[type, str] = {
    qml.Identity: "I",
    qml.PauliX: "X",
    qml.PauliY: "Y",
    qml.PauliZ: "Z",
    qml.Hadamard: "H",
    qml.S: "S",
    qml.T: "T",
    qml.SX: "SX",
    qml.RX: "RX",
    qml.RY: "RY",
    qml.RZ: "RZ",
    qml.PhaseShift: "PHASE",
    qml.U3: "U",
    qml.CNOT: "CX",
    qml.CY: "CY",
    qml.CZ: "CZ",
    qml.CH: "CH",
    qml.CRX: "CRX",
    qml.CRY: "CRY",
    qml.CRZ: "CRZ",
    qml.ControlledPhaseShift: "CPHASE",
    qml.SWAP: "SWAP",
    qml.ISWAP: "ISWAP",
    qml.IsingXX: "RXX",
    qml.IsingYY: "RYY",
    qml.IsingZZ: "RZZ",
    qml.Toffoli: "CCX",
}
#: ``Adjoint(base)`` ops with a native inverse.
_ADJOINTS: dict[type, str] = {qml.S: "SDG", qml.T: "TDG", qml.SX: "SXDG"}
_ROTATIONS = (qml.PauliRot, qml.MultiRZ)
_FIXED = (qml.QubitUnitary, qml.DiagonalQubitUnitary)
_CONTROLLED_BASES = {qml.RX: "X", qml.RY: "Y", qml.RZ: "Z", qml.PhaseShift: "Z"}
_MAX_CONTROLS = 6
_MAX_MATRIX_WIRES = 6

#: Names of the native operations (the ``target_gates`` of PennyLane's graph decomposition).
NATIVE = frozenset(
    {c.__name__ for c in _GATES}
    | {f"Adjoint({c.__name__})" for c in _ADJOINTS}
    | {"PauliRot", "MultiRZ", "QubitUnitary", "DiagonalQubitUnitary", "GlobalPhase"}
    | {"StatePrep", "BasisState", "C(RX)", "C(RY)", "C(RZ)", "C(PhaseShift)"}
)


def _adjoint_base(op) -> type | None:
    if isinstance(op, qml.ops.op_math.Adjoint) and type(op.base) in _ADJOINTS:
        return type(op.base)
    return None


def _controlled_base(op) -> type | None:
    """The rotation class of a multi-controlled rotation handled natively, else ``None``."""
    if type(op) in _GATES or not isinstance(op, qml.ops.op_math.Controlled):
        return None
    base = type(op.base)
    if base not in _CONTROLLED_BASES or len(op.control_wires) > _MAX_CONTROLS:
        return None
    return base


def supported(op) -> bool:
    """True when ``op`` runs natively (the device's decomposition stopping condition; a state
    preparation is native only as the first operation, which PennyLane's ``decompose`` keeps)."""
    t = type(op)
    if t in _GATES or t in _ROTATIONS or t is qml.GlobalPhase or _controlled_base(op) is not None:
        return True
    if t in _FIXED:
        return len(op.wires) <= 12
    if _adjoint_base(op) is not None:
        return True
    # an operation PennyLane cannot decompose but knows the matrix of: a fixed unitary
    return not op.has_decomposition and op.has_matrix and len(op.wires) <= _MAX_MATRIX_WIRES


def trainable_ok(op) -> bool:
    """Stopping condition under adjoint differentiation: native, and a trainable op only when its
    angles are scalar gate angles (a trainable matrix or state is decomposed further)."""
    if not supported(op):
        return False
    if not any(qml.math.requires_grad(d) for d in op.data):
        return True
    t = type(op)
    return t in _GATES or t in _ROTATIONS or t is qml.GlobalPhase or _controlled_base(op) is not None


def _controlled_rotation(op, wmap: dict, angle) -> tuple[list[Op], float]:
    """A multi-controlled rotation as commuting Pauli rotations (module docstring); returns the ops
    and ``s`` with the global phase ``e^{i s φ}`` (controlled phase shift only)."""
    base = _controlled_base(op)
    controls = [wmap[w] for w in op.control_wires]
    target = wmap[op.target_wires[0]]
    phase = base is qml.PhaseShift
    zs = controls + [target] if phase else controls
    m = len(zs)
    flips = [gate("X", c) for c, v in zip(controls, op.control_values, strict=True) if not v]
    ops = list(flips)
    for mask in range(1 << m):
        sub = [zs[i] for i in range(m) if mask >> i & 1]
        sign = -1.0 if len(sub) % 2 else 1.0
        if phase:
            if sub:  # exp(iφ sign Z_S / 2^m) = pauli_rot(Z_S, −2 sign φ / 2^m)
                ops.append(pauli_rot("Z" * len(sub), sub, angle(-2.0 * sign / 2**m)))
            continue
        word = _CONTROLLED_BASES[base] + "Z" * len(sub)
        ops.append(pauli_rot(word, [target] + sub, angle(sign / 2**m)))
    return ops + flips, (1.0 / 2**m if phase else 0.0)


@dataclass(frozen=True)
class Converted:
    """A tape's operations as a qdist circuit.

    Attributes:
        circuit: the circuit over ``values`` (every angle a parameter).
        values: ``(P,)`` the angles.
        columns: ``(P,)`` the tape parameter index of each angle.
        state: the initial state ``(2ⁿ,)`` of a leading state preparation, else ``None``.
        phase: the global phase factor ``∏ e^{−iφ}`` of the ``GlobalPhase`` ops.
    """

    circuit: Circuit
    values: np.ndarray
    columns: np.ndarray
    state: np.ndarray | None
    phase: complex


def _real(x, what: str) -> float:
    z = complex(np.asarray(qml.math.unwrap(x)).item())
    if abs(z.imag) > 1e-12:
        raise ValueError(f"{what}: expected a real angle, got {z}")
    return z.real


def convert(operations: Sequence, wire_order: Sequence, first_param: int = 0) -> Converted:
    """``operations`` (native, see `supported`) on ``wire_order`` → [`Converted`][qdist.plugins.pennylane_ops.Converted].

    ``first_param`` is the tape parameter index of the first op's first parameter."""
    wmap = {w: i for i, w in enumerate(wire_order)}
    ops: list[Op] = []
    values: list[float] = []
    columns: list[int] = []
    state, phase = None, 1.0 + 0j
    k = first_param

    def angle(x, what: str) -> Angle:
        values.append(_real(x, what))
        columns.append(k)
        return Angle(len(values) - 1)

    def shared(coeff: float) -> Angle:  # one more use of the last angle, scaled
        return Angle(len(values) - 1, coeff)

    for pos, op in enumerate(operations):
        t = type(op)
        wires = [wmap[w] for w in op.wires]
        name = f"operation {op.name}"
        if t in _GATES:
            if t is not qml.Identity:
                angles = []
                for d in op.data:
                    angles.append(angle(d, name))
                    k += 1
                ops.append(gate(_GATES[t], wires, *angles))
            continue
        if t in _ROTATIONS:
            word = op.hyperparameters["pauli_word"] if t is qml.PauliRot else "Z" * len(wires)
            ops.append(pauli_rot(word, wires, angle(op.data[0], name)))
        elif t is qml.GlobalPhase:
            phase *= np.exp(-1j * _real(op.data[0], name))
        elif _controlled_base(op) is not None:
            angle(op.data[0], name)
            new, s = _controlled_rotation(op, wmap, shared)
            ops.extend(new)
            phase *= np.exp(1j * s * values[-1])
        elif isinstance(op, qml.operation.StatePrepBase) and pos == 0:
            vec = np.asarray(qml.math.unwrap(op.state_vector(wire_order=list(wire_order))))
            state = vec.reshape(-1).astype(np.complex128)
        elif t is qml.QubitUnitary:
            m = np.asarray(qml.math.unwrap(op.matrix()), dtype=np.complex128)
            ops.append(unitary(m, wires, check=False))
        elif t is qml.DiagonalQubitUnitary:
            ops.append(diagonal(np.asarray(qml.math.unwrap(op.data[0]), dtype=np.complex128), wires))
        elif _adjoint_base(op) is not None:
            ops.append(gate(_ADJOINTS[_adjoint_base(op)], wires))
        elif op.has_matrix and not op.has_decomposition and len(wires) <= _MAX_MATRIX_WIRES:
            m = np.asarray(qml.math.unwrap(op.matrix()), dtype=np.complex128)
            ops.append(unitary(m, wires, name=op.name))
        else:
            raise ValueError(f"{name}: not native to qdist.qubit (decompose it first)")
        k += len(op.data)
    circuit = make_circuit(max(1, len(wire_order)), ops, num_params=len(values))
    return Converted(
        circuit, np.asarray(values, dtype=np.float64), np.asarray(columns, dtype=int), state, phase
    )
