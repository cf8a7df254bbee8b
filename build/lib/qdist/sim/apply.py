"""State-vector kernels: apply a k-qubit matrix, a diagonal or a Pauli string to an n-qubit state.

All functions take and return a flat state of length ``2ⁿ`` (wire 0 = most significant bit) and are
pure, so they compose under ``jax.jit`` and ``jax.vmap``. One- and two-qubit matrices are applied
as fused element-wise expressions over strided views of the state (no transposes); when the matrix
has a known sparsity ``pattern`` (fixed gates, controlled gates) the zero entries are skipped at trace
time, so e.g. CNOT compiles to a pure permutation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def _is_one(x) -> bool:
    return isinstance(x, (complex, float, np.number)) and x == 1


def _combine(m, pattern, row, slices):
    """Σ_c m[row, c] · slices[c] over the non-zero entries of ``pattern[row]``."""
    out = None
    for col, s in enumerate(slices):
        if pattern is not None and not pattern[row, col]:
            continue
        entry = m[row][col]
        term = s if _is_one(entry) else entry * s
        out = term if out is None else out + term
    if out is None:
        return jnp.zeros_like(slices[0])
    return out


def _concrete(m):
    """Return ``m`` as a numpy array of Python-typed entries if it is concrete, else ``None``."""
    if isinstance(m, jax.core.Tracer):
        return None
    return np.asarray(m)


def apply_matrix(psi: jnp.ndarray, m, wires: tuple[int, ...], n: int, pattern=None) -> jnp.ndarray:
    """``ψ ← (M on wires) ψ``; ``M`` is ``2ᵏ × 2ᵏ`` with the first wire most significant.

    ``pattern`` is an optional boolean mask of the entries that can be non-zero.
    """
    k = len(wires)
    mc = _concrete(m)
    if mc is not None:
        pattern = np.abs(mc) > 0 if pattern is None else pattern & (np.abs(mc) > 0)
        m = mc.tolist()  # Python scalars fold into the expression
    if k == 1:
        (w,) = wires
        v = psi.reshape(2**w, 2, 2 ** (n - w - 1))
        s = (v[:, 0, :], v[:, 1, :])
        out = jnp.stack([_combine(m, pattern, r, s) for r in range(2)], axis=1)
        return out.reshape(-1)
    if k == 2:
        a, b = wires
        if a > b:  # reorder the matrix so that its first factor is the lower wire
            perm = [0, 2, 1, 3]
            if mc is not None:
                m = np.asarray(m)[np.ix_(perm, perm)].tolist()
            else:
                m = m[jnp.array(perm)][:, jnp.array(perm)]
            pattern = None if pattern is None else pattern[np.ix_(perm, perm)]
            a, b = b, a
        v = psi.reshape(2**a, 2, 2 ** (b - a - 1), 2, 2 ** (n - b - 1))
        s = tuple(v[:, i, :, j, :] for i in range(2) for j in range(2))
        rows = [_combine(m, pattern, r, s) for r in range(4)]
        out = jnp.stack(
            [jnp.stack(rows[0:2], axis=2), jnp.stack(rows[2:4], axis=2)], axis=1
        )  # (A, 2, B, 2, C)
        return out.reshape(-1)
    # general k: tensordot on the (2,)*n view
    t = psi.reshape((2,) * n)
    mt = jnp.asarray(m if mc is None else mc, dtype=psi.dtype).reshape((2,) * (2 * k))
    out = jnp.tensordot(mt, t, axes=(tuple(range(k, 2 * k)), wires))
    out = jnp.moveaxis(out, tuple(range(k)), wires)
    return out.reshape(-1)


def broadcast_on_wires(d: jnp.ndarray, wires: tuple[int, ...], n: int) -> jnp.ndarray:
    """Reshape a vector over ``2ᵏ`` basis states of ``wires`` to broadcast against the ``(2,)*n`` view."""
    k = len(wires)
    dt = d.reshape((2,) * k)
    order = np.argsort(wires)
    dt = jnp.transpose(dt, order)
    shape = [1] * n
    for w in wires:
        shape[w] = 2
    return dt.reshape(shape)


def apply_diagonal(psi: jnp.ndarray, d: jnp.ndarray, wires: tuple[int, ...], n: int) -> jnp.ndarray:
    """``ψ ← diag(d) on wires · ψ`` (``d`` has ``2ᵏ`` entries)."""
    if tuple(wires) == tuple(range(n)):
        return psi * d
    t = psi.reshape((2,) * n)
    return (t * broadcast_on_wires(jnp.asarray(d), tuple(wires), n)).reshape(-1)


def apply_pauli(psi: jnp.ndarray, word: tuple[tuple[int, str], ...], n: int) -> jnp.ndarray:
    """``ψ ← P ψ`` for a sparse Pauli string ``((wire, letter), …)``; cost one pass over ψ."""
    if not word:
        return psi
    t = psi.reshape((2,) * n)
    flips = tuple(w for w, p in word if p in "XY")
    if flips:
        t = jnp.flip(t, axis=flips)
    # after the flip, entry with bit b on wire w came from bit 1-b; phases in terms of the new bit:
    # X: 1; Z: (-1)^b; Y = iXZ: Y|0> = i|1>, Y|1> = -i|0>  ->  new bit b gets i·(-1)^(1-b)... i.e. [-i, i]
    phase = None
    for w, p in word:
        if p == "X":
            continue
        vec = np.array([1.0, -1.0]) if p == "Z" else np.array([-1j, 1j])
        shape = [1] * n
        shape[w] = 2
        f = vec.reshape(shape)
        phase = f if phase is None else phase * f
    if phase is not None:
        t = t * jnp.asarray(phase, dtype=psi.dtype)
    return t.reshape(-1)


def pauli_sign_vector(word: tuple[tuple[int, str], ...], n: int) -> np.ndarray:
    """Diagonal of a Z-only Pauli string as a ``(2,)*n``-broadcastable ±1 array."""
    out = np.ones([1] * n)
    for w, p in word:
        shape = [1] * n
        shape[w] = 2
        out = out * np.array([1.0, -1.0]).reshape(shape)
    return out
