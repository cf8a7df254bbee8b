"""Gate fusion: a run of fixed *monomial* gates (one non-zero per row: CNOT, CZ, SWAP, X, S, T,
fixed diagonals, …) becomes one permutation-with-phases of the whole state.

``U ψ = phase ⊙ ψ[src]`` — a single gather instead of one pass over the state per gate. A CNOT
ladder of n−1 gates, the entangler of every hardware-efficient layer, costs one pass instead of n−1.
The inverse is ``U† ψ = (conj(phase) ⊙ ψ)[inv_src]``. Index arithmetic is big-endian (wire 0 =
most significant bit, [qubit order][qubit-order]).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

#: largest register for which the permutation tables (two int32 + one complex vector) are built.
MAX_FUSION_QUBITS = 22


@dataclass(frozen=True, eq=False)
class FusedPermutation:
    """``ψ ← phase ⊙ ψ[src]``; ``phase is None`` for a pure permutation."""

    src: np.ndarray
    inv_src: np.ndarray
    phase: np.ndarray | None
    num_ops: int

    def apply(self, psi: jnp.ndarray, adjoint: bool = False) -> jnp.ndarray:
        if not adjoint:
            out = jnp.take(psi, self.src, unique_indices=True, indices_are_sorted=False)
            return out if self.phase is None else out * jnp.asarray(self.phase, dtype=psi.dtype)
        if self.phase is not None:
            psi = psi * jnp.asarray(np.conj(self.phase), dtype=psi.dtype)
        return jnp.take(psi, self.inv_src, unique_indices=True)


def monomial_columns(m: np.ndarray) -> np.ndarray | None:
    """For a matrix with exactly one non-zero per row and column, the column of each row's entry."""
    nz = np.abs(m) > 1e-14
    if not (np.all(nz.sum(axis=1) == 1) and np.all(nz.sum(axis=0) == 1)):
        return None
    return np.argmax(nz, axis=1)


def fuse(blocks: list[tuple[np.ndarray, tuple[int, ...]]], n: int) -> FusedPermutation:
    """Compose monomial ``(matrix_or_diagonal, wires)`` blocks (applied in order) into one gather."""
    idx = np.arange(2**n, dtype=np.int64)
    src = idx.copy()
    phase = np.ones(2**n, dtype=np.complex128)
    for m, wires in blocks:
        k = len(wires)
        if m.ndim == 1:  # a diagonal
            m = np.diag(m)
        cols = monomial_columns(m)
        shifts = [n - 1 - w for w in wires]
        # local row index r of every output basis state j
        r = np.zeros_like(idx)
        for b, s in enumerate(shifts):
            r |= ((idx >> s) & 1) << (k - 1 - b)
        c = cols[r]
        jprime = idx.copy()
        for b, s in enumerate(shifts):
            bit_r = (r >> (k - 1 - b)) & 1
            bit_c = (c >> (k - 1 - b)) & 1
            jprime += (bit_c - bit_r) << s
        phase = m[r, c] * phase[jprime]
        src = src[jprime]
    inv = np.empty_like(src)
    inv[src] = idx
    ph = None if np.allclose(phase, 1.0, atol=0, rtol=0) else phase
    return FusedPermutation(src.astype(np.int32), inv.astype(np.int32), ph, len(blocks))
