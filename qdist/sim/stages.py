"""Diagonal stages: runs of commuting diagonal operations as one phase vector.

Operations the 4 × 4 blocks (`qdist.sim.blocks`) cannot hold — data re-upload ``D(x)``, Z-string
rotations on more than two wires (the ``diag`` model's 2ⁿ − 1 of them), fixed diagonals on more
than two wires — are diagonal, so every run of them is one *stage* (`Stage`):

``ψ(x) ← e^{iφ(x)} ψ(x)``,  ``φ(x) = Σ_t v_t (−1)^{|x ∧ m_t|} + Σ_d γ_d · data[s_d + x|_{W_d}]``,

with ``v_t = c_t θ[i_t] + o_t`` (a Z-string rotation ``exp(−iθ Z_S/2)`` is the term ``m = mask(S)``,
``v = −θ/2``; a fixed diagonal on ``k`` wires is its ``2^k`` Walsh coefficients) and ``x|_W`` the
bits of ``x`` on the wires ``W`` (big-endian in ``W``). The first sum is the Walsh–Hadamard
transform of the vector ``a[m] = Σ_{t: m_t = m} v_t``, ``n`` butterfly passes over real numbers.

Gradient (adjoint sweep, ``ψ`` and ``λ`` taken after the stage):
``∂f/∂φ(x) = g(x) = −2 Im(λ(x)^* ψ(x))`` and ``∂f/∂v_t = Σ_x (−1)^{|x ∧ m_t|} g(x) = (H g)[m_t]``,
one more transform for all terms at once ([the interpreter][interpreter]).
A Pauli rotation on more than two wires with X or Y letters is a stage between basis changes:
``exp(−iθP/2) = V† exp(−iθZ_S/2) V`` with ``V = H`` for X and ``V = H·S†`` for Y.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from qdist.sim.circuit import Angle, Op
from qdist.sim.gates import gate_spec

__all__ = ["Stage", "StagePart", "basis_change", "stage_part", "walsh"]


@dataclass(frozen=True, eq=False)
class StagePart:
    """One diagonal operation as stage content: Walsh ``terms`` ``(mask, v)`` and ``data`` entries
    ``(wires, start, scale)``; ``alternative``: the same op as block primitives, used when no stage
    is open on its wires (a Z rotation on one or two wires joins a neighbouring stage, else a block)."""

    wires: tuple[int, ...]
    terms: tuple[tuple[int, Angle], ...] = ()
    data: tuple[tuple[tuple[int, ...], int, float], ...] = ()
    alternative: tuple = ()


@dataclass(eq=False)
class Stage:
    """A run of commuting diagonal operations (the sums of the module docstring)."""

    wires: set[int] = field(default_factory=set)
    terms: list[tuple[int, Angle]] = field(default_factory=list)
    data: list[tuple[tuple[int, ...], int, float]] = field(default_factory=list)

    def add(self, part: StagePart) -> None:
        self.wires |= set(part.wires)
        self.terms += part.terms
        self.data += part.data


def _mask(wires, n: int) -> int:
    return sum(1 << (n - 1 - w) for w in wires)


def _half(a: Angle) -> Angle:
    """``v = −φ/2`` for the rotation angle ``φ = c θ + o``."""
    return Angle(a.index, -a.coeff / 2, -a.offset / 2)


def walsh(values: np.ndarray) -> np.ndarray:
    """``(H v)[x] = Σ_m v[m] (−1)^{|x ∧ m|}`` for ``v`` of length ``2^k`` (numpy or JAX, last axis)."""
    xp = jnp if not isinstance(values, np.ndarray) else np
    k = values.shape[-1].bit_length() - 1
    lead = values.shape[:-1]
    out = values
    for j in range(k):
        v = out.reshape(lead + (2**j, 2, 2 ** (k - j - 1)))
        a, b = v[..., 0, :], v[..., 1, :]
        out = xp.stack([a + b, a - b], axis=-2).reshape(lead + (2**k,))
    return out


def _fixed_terms(diag: np.ndarray, wires: tuple[int, ...], n: int) -> tuple[tuple[int, Angle], ...]:
    """Walsh coefficients ``a = H α / 2^k`` of the phases ``α = arg d`` of a fixed diagonal."""
    k = len(wires)
    coef = walsh(np.angle(np.asarray(diag, np.complex128))) / 2**k
    out = []
    for m, c in enumerate(coef):
        if abs(c) > 1e-15:
            state_mask = sum(1 << (n - 1 - wires[j]) for j in range(k) if (m >> (k - 1 - j)) & 1)
            out.append((state_mask, Angle(-1, 0.0, float(c))))
    return tuple(out)


def stage_part(op: Op, n: int) -> StagePart | None:
    """``op`` as stage content, or ``None`` when it is not diagonal in the computational basis
    (Pauli rotations with X or Y letters are split by `basis_change` first)."""
    if op.kind == "data_phase":
        start, _ = op.data_slice
        return StagePart(op.wires, data=((op.wires, start, op.scale),))
    if op.kind == "pauli_rot":
        word = [w for w, p in zip(op.wires, op.pauli, strict=True) if p != "I"]
        if any(p not in "IZ" for p in op.pauli):
            return None
        return StagePart(tuple(word), terms=((_mask(word, n), _half(op.angles[0])),))
    if op.kind == "diagonal":
        return StagePart(op.wires, terms=_fixed_terms(op.matrix, op.wires, n))
    if op.kind == "gate":
        spec = gate_spec(op.name)
        if not spec.diagonal or op.trainable:
            return None
        from qdist.sim.blocks import _fixed_gate  # noqa: PLC0415 - blocks imports this module

        m = _fixed_gate(spec.name, tuple(a.offset for a in op.angles))
        return StagePart(op.wires, terms=_fixed_terms(np.diag(m), op.wires, n))
    return None


_H = np.array([[1, 1], [1, -1]], complex) / np.sqrt(2)
_SDG = np.diag([1, -1j])


def basis_change(op: Op) -> tuple[list[tuple[int, np.ndarray]], Op] | None:
    """``(V, Z-string op)`` with ``op = V† · exp(−iθ Z_S/2) · V`` for a Pauli rotation: ``V`` as
    ``(wire, 2×2 matrix)`` pairs (H for X, H·S† for Y); ``None`` for other ops."""
    if op.kind != "pauli_rot" or set(op.pauli) <= set("IZ"):
        return None
    changes = [
        (w, _H if p == "X" else _H @ _SDG) for w, p in zip(op.wires, op.pauli, strict=True) if p in "XY"
    ]
    z = "".join("I" if p == "I" else "Z" for p in op.pauli)
    return changes, Op("pauli_rot", op.name, op.wires, op.angles, pauli=z)
