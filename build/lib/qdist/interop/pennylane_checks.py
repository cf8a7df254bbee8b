"""Checks on what `qdist.interop.pennylane.from_pennylane` reads from a PennyLane tape."""

from __future__ import annotations

import numpy as np

from qdist.sim.circuit import Op, unitary

__all__ = ["checked_unitary"]

#: ``max |U†U − I|`` allowed for a ``QubitUnitary`` matrix (loose enough for complex64 input).
UNITARY_ATOL = 1e-6


def checked_unitary(matrix, wires, op_name: str) -> Op:
    """``unitary(matrix, wires)`` after checking that the matrix of ``op_name`` is unitary."""
    m = np.asarray(matrix, dtype=np.complex128)
    if m.ndim == 2 and m.shape[0] == m.shape[1]:
        err = float(np.max(np.abs(m.conj().T @ m - np.eye(m.shape[0])), initial=0.0))
        if not err <= UNITARY_ATOL:
            raise ValueError(
                f"obj: expected a unitary matrix for operation {op_name} on wires {tuple(wires)}, "
                f"got one with max |U†U − I| = {err:.3g}"
            )
    return unitary(m, wires, check=False)
