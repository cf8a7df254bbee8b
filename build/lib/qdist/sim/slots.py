"""Angle slots: every trainable angle of a circuit, and the chain rule back to the parameters.

Slot ``j`` is angle ``pos`` of op ``op`` with value ``φ_j = coeff_j·θ[index_j] + offset_j``.
Shot-based estimators differentiate with respect to slots and apply
``∂f/∂θ_i = Σ_{j: index_j = i} coeff_j ∂f/∂φ_j`` (shared and affine parameters), see
[the gradient estimators][gradients].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from qdist.sim.circuit import Angle, Circuit, make_circuit

__all__ = ["Slot", "angle_slots", "chain_matrix", "slot_circuit", "slot_values"]


@dataclass(frozen=True)
class Slot:
    """One trainable angle: ``φ = coeff·θ[index] + offset`` is angle ``pos`` of op ``op``."""

    op: int
    pos: int
    index: int
    coeff: float
    offset: float


def angle_slots(circuit: Circuit) -> tuple[Slot, ...]:
    """All trainable angles of ``circuit`` in op order."""
    out = []
    for i, op in enumerate(circuit.ops):
        for k, a in enumerate(op.angles):
            if a.trainable:
                out.append(Slot(i, k, a.index, float(a.coeff), float(a.offset)))
    return tuple(out)


def slot_values(slots: Sequence[Slot], params: np.ndarray) -> np.ndarray:
    """``φ_j = coeff_j·θ[index_j] + offset_j`` for ``params`` ``(P,)`` or ``(B, P)`` → ``(…, J)``."""
    params = np.asarray(params, dtype=np.float64)
    if not slots:
        return np.zeros(params.shape[:-1] + (0,))
    idx = np.array([s.index for s in slots])
    coeff = np.array([s.coeff for s in slots])
    off = np.array([s.offset for s in slots])
    return params[..., idx] * coeff + off


def chain_matrix(slots: Sequence[Slot], num_params: int) -> np.ndarray:
    """``(P, J)`` matrix ``C`` with ``∂f/∂θ = C @ ∂f/∂φ``."""
    c = np.zeros((num_params, len(slots)))
    for j, s in enumerate(slots):
        c[s.index, j] += s.coeff
    return c


def slot_circuit(circuit: Circuit) -> Circuit:
    """The circuit with slot ``j`` reading its own parameter ``j`` (coefficient 1, offset 0)."""
    ops, j = [], 0
    for op in circuit.ops:
        if op.angles and any(a.trainable for a in op.angles):
            angles = []
            for a in op.angles:
                if a.trainable:
                    angles.append(Angle(j))
                    j += 1
                else:
                    angles.append(a)
            op = replace(op, angles=tuple(angles))
        ops.append(op)
    return make_circuit(circuit.num_qubits, ops, num_params=j)
