"""Two-wire block kernels with a *traced* wire pair and no gathers: one compiled program per size.

The interpreter (`qdist.sim.interpret`) applies fused ``4 × 4`` blocks inside ``jax.lax.fori_loop``,
so the wire pair of block ``i`` is a traced value. Gathering the ``(4, 2ⁿ⁻²)`` amplitudes with
computed indices works for any pair but runs at ~5 GB/s from n ≈ 12 on (XLA's CPU gather). Here
the pair is instead an index ``pair_id`` into the static list `pairs` of all ``n(n−1)/2``
state-index bit pairs ``(hi, lo)``, ``hi > lo`` (bit ``b`` of index ``j`` is ``(j >> b) & 1``;
wire ``w`` is bit ``n−1−w``), and ``jax.lax.switch`` picks a branch in which the pair is static:

* the state is *viewed* (a free reshape) as ``v[a, h, b, l, c]`` of shape
  ``(2ⁿ⁻¹⁻ʰⁱ, 2, 2^{hi−lo−1}, 2, 2^{lo})``, ``h = bit_hi``, ``l = bit_lo``;
* its four quarters ``x_k = v[:, h, :, l, :]``, ``k = 2h + l``, are combined as
  ``x'_k = Σ_c m_{kc} x_c`` written out as element-wise sums (one fused loop; a ``dot`` is slower
  on CPU) and stacked back into the same view.

``pair_id`` is defined without ``n``, ``id(hi, lo) = hi(hi−1)/2 + lo``, so an id table stays valid
for every register size ``n > hi``. The id must not be batched under ``jax.vmap`` (a batched
``switch`` index runs every branch); the state and the matrix may be.

Cost notes (see ``benchmarks/pair_kernels.py`` for the numbers): every branch is compiled, so the
compile time of a program grows with ``n²`` (tens of seconds at n = 16–20, once per size with the
persistent cache). When a conditional is the last op of a ``fori_loop`` body, XLA copies the state
once per iteration to keep the loop carry in place; applying two blocks per iteration (pad with an
identity block) removes that copy. In the adjoint step the reduction ``G`` (a ``(4, R) × (R, 4)``
product of the stacked quarters, ``R = 2ⁿ⁻²``) costs more than the two state updates on XLA's CPU
backend: it is the step's bottleneck, not the layout.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "apply_pair",
    "apply_pair_and_reduce",
    "apply_static",
    "num_pairs",
    "pair_ids",
    "pairs",
    "reduce_static",
]


def num_pairs(n: int) -> int:
    """``n(n−1)/2``: the number of bit pairs ``(hi, lo)``, ``n > hi > lo ≥ 0``."""
    return n * (n - 1) // 2


def pairs(n: int) -> tuple[tuple[int, int], ...]:
    """All bit pairs of an ``n``-bit index in id order: ``pairs(n)[hi(hi−1)/2 + lo] == (hi, lo)``."""
    return tuple((hi, lo) for hi in range(1, n) for lo in range(hi))


def pair_ids(bits):
    """``id = hi(hi−1)/2 + lo`` for ``bits[..., :] = (hi, lo)`` → int32 of shape ``bits.shape[:-1]``.

    NumPy input is checked (``hi > lo ≥ 0``) and gives NumPy; a JAX array (possibly traced) gives
    a JAX array, unchecked.
    """
    if isinstance(bits, jax.Array):
        hi, lo = bits[..., 0].astype(jnp.int32), bits[..., 1].astype(jnp.int32)
        return hi * (hi - 1) // 2 + lo
    b = np.asarray(bits, dtype=np.int64)
    if b.shape[-1:] != (2,):
        raise ValueError(f"pair_ids: bits must have shape (..., 2), got {b.shape}")
    hi, lo = b[..., 0], b[..., 1]
    if np.any(lo < 0) or np.any(hi <= lo):
        raise ValueError("pair_ids: every pair needs hi > lo >= 0")
    return (hi * (hi - 1) // 2 + lo).astype(np.int32)


def _shape(n: int, hi: int, lo: int) -> tuple[int, ...]:
    return (2 ** (n - 1 - hi), 2, 2 ** (hi - lo - 1), 2, 2**lo)


def _quarters(n: int, hi: int, lo: int, psi) -> list:
    """``[x_0, x_1, x_2, x_3]``, ``x_k = v[..., a, h, b, l, c]`` with ``k = 2h + l`` (leading batch dims kept)."""
    v = psi.reshape(psi.shape[:-1] + _shape(n, hi, lo))
    return [v[..., h, :, l, :] for h in (0, 1) for l in (0, 1)]


def _assemble(q: list):
    """Inverse of `_quarters`: the flat ``(…, 2ⁿ)`` state from four ``(…, A, B, C)`` quarters."""
    top = jnp.stack([q[0], q[1]], axis=-2)
    bottom = jnp.stack([q[2], q[3]], axis=-2)
    out = jnp.stack([top, bottom], axis=-4)
    return out.reshape(out.shape[:-5] + (-1,))


def _rows(m, q: list) -> list:
    """``[Σ_c m_{kc} q_c for k in 0..3]`` as element-wise sums."""
    return [m[k, 0] * q[0] + m[k, 1] * q[1] + m[k, 2] * q[2] + m[k, 3] * q[3] for k in range(4)]


def apply_static(n: int, hi: int, lo: int, m, psi):
    """``ψ' = (m on bits (hi, lo)) ψ`` for a *static* pair.

    ``ψ'_{…k…} = Σ_c m_{kc} ψ_{…c…}`` with ``k = 2·bit_hi + bit_lo``; ``m`` ``(4, 4)``, ``psi``
    ``(2ⁿ,)`` (or ``(…, 2ⁿ)``), result like ``psi`` (``m`` is cast to its dtype).
    """
    return _assemble(_rows(m.astype(psi.dtype), _quarters(n, hi, lo, psi)))


def reduce_static(n: int, hi: int, lo: int, mdag, psi, lam):
    """One adjoint step for a *static* pair → ``(ψ', λ', G)``.

    ``ψ' = (m† on the pair) ψ``, ``λ' = (m† on the pair) λ`` and
    ``G_{cr} = Σ_rest ψ'_c λ_r^*`` (``λ`` *before* its update, ``c, r = 2·bit_hi + bit_lo``), i.e.
    exactly the step of ``interpret.grad_program`` with ``mdag = B_i†``. ``mdag`` ``(4, 4)``,
    ``psi``, ``lam`` ``(2ⁿ,)``; ``G`` ``(4, 4)`` in the state's dtype.
    """
    md = mdag.astype(psi.dtype)
    lq = _quarters(n, hi, lo, lam)
    vp = _rows(md, _quarters(n, hi, lo, psi))
    g = jnp.einsum("kabc,rabc->kr", jnp.stack(vp), jnp.conj(jnp.stack(lq)))
    return _assemble(vp), _assemble(_rows(md, lq)), g


def _check(n: int) -> None:
    if n < 2:
        raise ValueError(f"pair kernels need n >= 2 bits, got {n}")


def apply_pair(n: int, pair_id, m, psi):
    """``ψ' = (m ⊗ 1_rest) ψ`` on the pair ``pairs(n)[pair_id]`` — see `apply_static`.

    ``pair_id`` int32 scalar (traced or not; out-of-range ids are clamped by ``lax.switch``),
    ``m`` ``(4, 4)`` (traced), ``psi`` ``(2ⁿ,)`` complex64/128 → ``(2ⁿ,)``.
    """
    _check(n)
    branches = [lambda m, s, hi=hi, lo=lo: apply_static(n, hi, lo, m, s) for hi, lo in pairs(n)]
    return jax.lax.switch(pair_id, branches, m, psi)


def apply_pair_and_reduce(n: int, pair_id, mdag, psi, lam):
    """The adjoint step on ``pairs(n)[pair_id]`` → ``(ψ', λ', G)`` — see `reduce_static`.

    ``ψ' = m†ψ``, ``G_{cr} = Σ_rest ψ'_c λ_r^*``, ``λ' = m†λ`` (``mdag = m†`` is passed, as in
    ``interpret.grad_program``); shapes ``()``, ``(4, 4)``, ``(2ⁿ,)``, ``(2ⁿ,)`` →
    ``(2ⁿ,)``, ``(2ⁿ,)``, ``(4, 4)``.
    """
    _check(n)
    branches = [lambda m, a, b, hi=hi, lo=lo: reduce_static(n, hi, lo, m, a, b) for hi, lo in pairs(n)]
    return jax.lax.switch(pair_id, branches, mdag, psi, lam)
