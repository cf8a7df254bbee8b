"""Affine-angle helpers shared by the Qiskit and PennyLane conversions: scaling an angle and the
global phase ``exp(i Σ γ_k)`` as ops on wire 0."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qdist.sim.circuit import Angle, Op, diagonal, gate

__all__ = ["phase_ops", "shift"]


def shift(a: Angle, scale: float, add: float = 0.0) -> Angle:
    """The angle ``scale·a + add``."""
    if not a.trainable:
        return Angle(-1, 0.0, scale * a.offset + add)
    return Angle(a.index, scale * a.coeff, scale * a.offset + add)


def phase_ops(phases: Sequence[Angle]) -> list[Op]:
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
