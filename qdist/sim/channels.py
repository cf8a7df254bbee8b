"""Single-qubit noise channels as data: kind and strength, their Kraus operators, and the channel a
teleportation through an imperfect ebit acts as ([link models][link-models]).

A [`Channel`][qdist.sim.channels.Channel] acts independently on every qubit it is applied to.
Conventions (the strength ``p`` is in [0, 1]):

| kind | map on one qubit | Pauli expectations |
|---|---|---|
| ``depolarizing`` | ρ ↦ (1 − p) ρ + p · I/2 | ⟨X⟩, ⟨Y⟩, ⟨Z⟩ × (1 − p) |
| ``dephasing`` | ρ ↦ (1 − p) ρ + p · ZρZ | ⟨X⟩, ⟨Y⟩ × (1 − 2p); ⟨Z⟩ kept |
| ``amplitude-damping`` | K₀ = diag(1, √(1−p)), K₁ = √p · |0⟩⟨1| | ⟨X⟩, ⟨Y⟩ × √(1 − p); ⟨Z⟩ ↦ (1 − p)⟨Z⟩ + p |

``depolarizing`` is Qiskit's ``depolarizing_error(p, 1)``; PennyLane's ``DepolarizingChannel(q)`` is
the same map with q = 3p/4. ``dephasing`` is PennyLane's ``PhaseFlip(p)`` and
``amplitude-damping`` its ``AmplitudeDamping(p)``.

**Teleportation.** Teleporting a qubit through a Werner pair of fidelity F
(F |Φ⁺⟩⟨Φ⁺| + (1 − F)/3 · (the other three Bell states)) applies the Pauli channel
ρ ↦ F ρ + (1 − F)/3 · (XρX + YρY + ZρZ), which is ``depolarizing`` with p = 4(1 − F)/3
([`teleport_channel`][qdist.sim.channels.teleport_channel]).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

#: The channel kinds, in the spelling of the CLI (``--link-noise KIND:P``).
KINDS = ("depolarizing", "dephasing", "amplitude-damping")

_I = np.eye(2, dtype=np.complex128)
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
_Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex128)
_Z = np.array([[1, 0], [0, -1]], dtype=np.complex128)


def _strength(value, name: str = "p") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number in [0, 1], got {value!r}")
    p = float(value)
    if not (0.0 <= p <= 1.0) or math.isnan(p):
        raise ValueError(f"{name}: expected a number in [0, 1], got {value!r}")
    return p


@dataclass(frozen=True)
class Channel:
    """A single-qubit channel ``kind`` of strength ``p`` ∈ [0, 1], applied to each qubit alike."""

    kind: str
    p: float

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "p", _strength(self.p, "p"))

    @property
    def unital(self) -> bool:
        """Whether the channel maps I/2 to itself (every kind but amplitude damping)."""
        return self.kind != "amplitude-damping"

    def __str__(self) -> str:
        return f"{self.kind}:{self.p:g}"


def parse_channel(text: str, name: str = "--link-noise") -> Channel:
    """``"depolarizing:0.2"`` → ``Channel("depolarizing", 0.2)``; a one-line ``ValueError`` naming
    ``name`` otherwise."""
    if not isinstance(text, str) or text.count(":") != 1:
        raise ValueError(f"{name}: expected KIND:P with KIND one of {', '.join(KINDS)}, got {text!r}")
    kind, _, raw = text.partition(":")
    kind = kind.strip().lower().replace("_", "-")
    if kind not in KINDS:
        raise ValueError(f"{name}: expected KIND one of {', '.join(KINDS)}, got {kind!r}")
    try:
        p = float(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a number P in [0, 1] after '{kind}:', got {raw!r}") from None
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"{name}: expected a number P in [0, 1] after '{kind}:', got {raw!r}")
    return Channel(kind, p)


def kraus_operators(channel: Channel) -> np.ndarray:
    """The Kraus operators ``(k, 2, 2)`` of ``channel``, with Σ_k K_k† K_k = I."""
    p = channel.p
    if channel.kind == "depolarizing":
        return np.stack([math.sqrt(1 - 3 * p / 4) * _I] + [math.sqrt(p / 4) * P for P in (_X, _Y, _Z)])
    if channel.kind == "dephasing":
        return np.stack([math.sqrt(1 - p) * _I, math.sqrt(p) * _Z])
    k0 = np.array([[1, 0], [0, math.sqrt(1 - p)]], dtype=np.complex128)
    k1 = np.array([[0, math.sqrt(p)], [0, 0]], dtype=np.complex128)
    return np.stack([k0, k1])


def pauli_factors(channel: Channel) -> tuple[float, float, float]:
    """How the channel scales ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)`` of one qubit (amplitude damping also shifts ⟨Z⟩
    by ``p``: ⟨Z⟩ ↦ (1 − p)⟨Z⟩ + p)."""
    p = channel.p
    if channel.kind == "depolarizing":
        return (1 - p, 1 - p, 1 - p)
    if channel.kind == "dephasing":
        return (1 - 2 * p, 1 - 2 * p, 1.0)
    r = math.sqrt(1 - p)
    return (r, r, 1 - p)


def teleport_channel(fidelity: float) -> Channel:
    """The channel of teleporting through a Werner pair of fidelity F ∈ [1/4, 1]:
    ``depolarizing`` with p = 4(1 − F)/3."""
    if isinstance(fidelity, bool) or not isinstance(fidelity, numbers.Real):
        raise TypeError(f"fidelity: expected a real number in [0.25, 1], got {fidelity!r}")
    f = float(fidelity)
    if not (0.25 <= f <= 1.0):
        raise ValueError(f"fidelity: expected a number in [0.25, 1], got {fidelity!r}")
    return Channel("depolarizing", min(1.0, 4 * (1 - f) / 3))
