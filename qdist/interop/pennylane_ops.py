"""PennyLane operations → qdist ops, recognised by their *class* (never by a name a custom
operation could share), expanded through ``decomposition()`` otherwise.

Multi-controlled rotations (``qml.ctrl`` of a Pauli rotation or ``PhaseShift`` with ≥ 2 controls)
are converted exactly, without decomposing: with controls ``C`` (values ``v_c``) the projector is
``Π = ⊗_c (I + σ_c Z_c)/2``, ``σ_c = −1`` for ``v_c = 1`` and ``+1`` for ``v_c = 0``, and

    C-exp(−iθ/2 · Σ_k g_k P_k) = exp(−iθ/2 · Π ⊗ Σ_k g_k P_k)
                               = Π_{S ⊆ C, k} exp(−i (2^{−|C|} Π_{c∈S} σ_c g_k θ)/2 · Z_S P_k),

a product of commuting ``pauli_rot`` ops whose angles stay affine in θ (a term that is the
identity is a global phase). ``PhaseShift(φ) = exp(−iφ/2 (Z − I))``.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import jax.numpy as jnp
import numpy as np

from qdist.interop.pennylane_checks import checked_unitary
from qdist.interop.phases import phase_ops, shift
from qdist.sim.circuit import Angle, Op, diagonal, gate, pauli_rot

__all__ = ["expand", "split_data", "to_ops"]

#: PennyLane class name → qdist gate name (angles in the same order).
_SIMPLE = {
    "PauliX": "X",
    "PauliY": "Y",
    "PauliZ": "Z",
    "Hadamard": "H",
    "S": "S",
    "T": "T",
    "SX": "SX",
    "RX": "RX",
    "RY": "RY",
    "RZ": "RZ",
    "PhaseShift": "PHASE",
    "U1": "PHASE",
    "U3": "U",
    "CNOT": "CX",
    "CZ": "CZ",
    "CY": "CY",
    "CH": "CH",
    "SWAP": "SWAP",
    "ISWAP": "ISWAP",
    "CRX": "CRX",
    "CRY": "CRY",
    "CRZ": "CRZ",
    "ControlledPhaseShift": "CPHASE",
    "IsingXX": "RXX",
    "IsingYY": "RYY",
    "IsingZZ": "RZZ",
    "Toffoli": "CCX",
}
_ADJOINT = {"S": "SDG", "T": "TDG", "SX": "SXDG"}
_SPECIAL = (
    "Identity",
    "U2",
    "Rot",
    "CRot",
    "PauliRot",
    "MultiRZ",
    "QubitUnitary",
    "DiagonalQubitUnitary",
    "GlobalPhase",
)
_SKIP = ("Barrier", "Snapshot")
_ROTATIONS = ("RX", "RY", "RZ", "PauliRot", "MultiRZ", "IsingXX", "IsingYY", "IsingZZ", "PhaseShift")
_MAX_CONTROLS = 8
_MAX_DEPTH = 32


@lru_cache(maxsize=1)
def _tables() -> dict:
    import pennylane as qml

    def cls(name):
        return getattr(qml, name)

    return {
        "simple": {cls(k): v for k, v in _SIMPLE.items()},
        "adjoint": {cls(k): v for k, v in _ADJOINT.items()},
        "special": {cls(k): k for k in _SPECIAL},
        "skip": tuple(cls(k) for k in _SKIP),
        "rotations": {cls(k): k for k in _ROTATIONS},
        "adjoint_type": qml.ops.op_math.Adjoint,
        "controlled_type": qml.ops.op_math.Controlled,
    }


def kind_of(op) -> str | None:
    """How ``op`` maps directly: ``"gate:<qdist name>"``, a special name, ``"ctrl"``, or None."""
    t = _tables()
    typ = type(op)
    if typ in t["simple"]:
        return "gate:" + t["simple"][typ]
    if typ in t["special"]:
        return t["special"][typ]
    if isinstance(op, t["adjoint_type"]) and type(op.base) in t["adjoint"]:
        return "gate:" + t["adjoint"][type(op.base)]
    if (
        isinstance(op, t["controlled_type"])
        and type(op.base) in t["rotations"]
        and 2 <= len(op.control_wires) <= _MAX_CONTROLS
    ):
        return "ctrl"
    return None


def expand(op, depth: int = 0, root: str | None = None) -> list:
    """``op`` as a list of directly mapped operations (decomposing recursively); errors name the
    user's operation ``root`` and the part that failed."""
    import pennylane as qml

    if kind_of(op) is not None:
        return [op]
    if isinstance(op, _tables()["skip"]):
        return []
    name = op.name
    what = repr(name) if root is None or root == name else f"{root!r} (its part {name!r})"
    if "MidMeasure" in type(op).__name__ or name.startswith("Conditional") or "MidMeasure" in name:
        raise ValueError(
            f"obj: unsupported PennyLane operation {name!r}; mid-circuit measurements and classical "
            "conditions cannot be converted"
        )
    if depth >= _MAX_DEPTH:
        raise ValueError(f"obj: PennyLane operation {what} does not decompose into supported gates")
    if op.has_decomposition:
        try:
            dec = op.decomposition()
        except Exception as exc:  # noqa: BLE001 - PennyLane/JAX raise several types
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(f"obj: cannot decompose PennyLane operation {what} ({first})") from None
        return [x for d in dec for x in expand(d, depth + 1, root or name)]
    if op.has_matrix:
        return [qml.QubitUnitary(qml.matrix(op), wires=op.wires)]
    raise ValueError(
        f"obj: unsupported PennyLane operation {what} (no qdist equivalent, no decomposition, no matrix)"
    )


def split_data(op) -> tuple[list, list]:
    """Scalar leaves (angles) and array leaves (matrices, vectors) of ``op.data``."""
    scalars, arrays = [], []
    for x in op.data:
        (scalars if jnp.ndim(x) == 0 else arrays).append(x)
    return scalars, arrays


def _generator_terms(base) -> list[tuple[float, str]]:
    """``[(g_k, P_k)]`` with ``base(θ) = exp(−iθ/2 Σ_k g_k P_k)`` on ``base.wires``."""
    name = _tables()["rotations"][type(base)]
    k = len(base.wires)
    if name in ("RX", "RY", "RZ"):
        return [(1.0, name[1])]
    if name.startswith("Ising"):
        return [(1.0, name[-2:])]
    if name == "MultiRZ":
        return [(1.0, "Z" * k)]
    if name == "PauliRot":
        return [(1.0, base.hyperparameters["pauli_word"])]
    return [(1.0, "Z"), (-1.0, "I")]  # PhaseShift(φ) = exp(−iφ/2 (Z − I))


def _controlled_rotation(op, angle: Angle, wires: tuple, phases: list) -> list[Op]:
    """The multi-controlled rotation ``op`` as commuting ``pauli_rot`` ops (module docstring)."""
    m = len(op.control_wires)
    signs = [-1.0 if bool(v) else 1.0 for v in op.control_values]
    ctrl, target = wires[:m], wires[m:]
    out = []
    for subset in itertools.product((False, True), repeat=m):
        sign = float(np.prod([s for s, used in zip(signs, subset, strict=True) if used]))
        for g, word in _generator_terms(op.base):
            coeff = g * sign / 2**m
            letters = ["Z" if used else "I" for used in subset] + list(word)
            on = [(w, p) for w, p in zip(ctrl + target, letters, strict=True) if p != "I"]
            if not on:  # exp(−i c θ/2) · I: a global phase
                phases.append(shift(angle, -coeff / 2))
                continue
            out.append(pauli_rot("".join(p for _, p in on), tuple(w for w, _ in on), shift(angle, coeff)))
    return out


def to_ops(flat, angles: list[Angle], arrays: np.ndarray, wmap: dict, keep_phase: bool) -> list[Op]:
    """qdist ops of the expanded PennyLane ops ``flat`` with their angles and array data."""
    ops: list[Op] = []
    phases: list[Angle] = []
    ai = 0  # next angle
    di = 0  # next array entry
    for op in flat:
        s, a = split_data(op)
        A = angles[ai : ai + len(s)]
        ai += len(s)
        mats = []
        for x in a:
            shape = tuple(jnp.shape(x))
            size = int(np.prod(shape))
            re, im = arrays[di : di + size], arrays[di + size : di + 2 * size]
            di += 2 * size
            mats.append((re + 1j * im).reshape(shape))
        try:
            w = tuple(wmap[x] for x in op.wires)
        except KeyError as exc:
            raise ValueError(
                f"wires: operation {op.name!r} acts on wire {exc.args[0]!r}, which is not in wires"
            ) from None
        kind = kind_of(op)
        if kind.startswith("gate:"):
            ops.append(gate(kind[5:], w, *A))
        elif kind == "ctrl":
            ops.extend(_controlled_rotation(op, A[0], w, phases))
        elif kind == "Identity":
            ops.extend(gate("I", x) for x in w)
        elif kind == "U2":  # U2(φ, δ) = U3(π/2, φ, δ)
            ops.append(gate("U", w, np.pi / 2, A[0], A[1]))
        elif kind == "Rot":  # Rot(φ, θ, ω) = RZ(ω) RY(θ) RZ(φ)
            ops += [gate("RZ", w, A[0]), gate("RY", w, A[1]), gate("RZ", w, A[2])]
        elif kind == "CRot":  # controlled product = product of controlled factors
            ops += [gate("CRZ", w, A[0]), gate("CRY", w, A[1]), gate("CRZ", w, A[2])]
        elif kind == "PauliRot":
            ops.append(pauli_rot(op.hyperparameters["pauli_word"], w, A[0]))
        elif kind == "MultiRZ":
            ops.append(pauli_rot("Z" * len(w), w, A[0]))
        elif kind == "QubitUnitary":
            m = mats[0]
            if m.ndim != 2:
                raise ValueError("obj: broadcast (batched) QubitUnitary is not supported")
            ops.append(checked_unitary(m, w, op.name))
        elif kind == "DiagonalQubitUnitary":
            ops.append(diagonal(mats[0], w))
        elif kind == "GlobalPhase":  # GlobalPhase(φ) = exp(−iφ)
            phases.append(shift(A[0], -1.0))
        else:  # pragma: no cover - expand only returns mapped kinds
            raise ValueError(f"obj: unsupported PennyLane operation {op.name!r}")
    if keep_phase:
        ops += phase_ops(phases)
    return ops
