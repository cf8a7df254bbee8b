"""The circuit as data: padded block tables run by one compiled program per register size.

A circuit and an observable become arrays (`Tables`): for every fused block (`qdist.sim.blocks`)
its wire-pair index and ``K`` primitives (basis ``(5, 4, 4)``, parameter index, coefficient,
offset); for every Pauli term its flip mask, sign mask, phase ``i^{#Y}`` and coefficient. The
programs below take those arrays as *arguments* and loop over them with ``jax.lax.fori_loop`` (the
trip count is an argument too), so they are compiled once per ``(n, table buckets, dtype,
batching)`` and every structurally new circuit of that size reuses them ([the interpreter][interpreter]).

* forward: ``B_i = M_{i,K}(φ) ⋯ M_{i,1}(φ)`` for all blocks at once (4 × 4 algebra), then one pass
  over the state per block, ``lax.switch`` on the wire pair;
* gradient (adjoint): back from ``ψ_T`` and ``λ_T = Oψ_T``, each block costs three passes —
  ``ψ ← B†ψ``, the reduction ``G_{cr} = Σ_rest ψ_c λ_r^*`` and ``λ ← B†λ`` — and then
  ``∂f/∂θ = ∂/∂θ Σ_i 2 Re tr(B_i(θ) G_i)`` on the 4 × 4 blocks only (the fused derivative
  reduction); memory is two states plus ``16`` numbers per block, whatever the number of parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.sim.blocks import basis_functions, fuse, primitives
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable

__all__ = ["Tables", "interpretable", "observable_tables", "run", "circuit_tables"]


def _bucket(x: int, least: int) -> int:
    return max(least, 1 << max(0, int(x) - 1).bit_length())


@dataclass(frozen=True, eq=False)
class Tables:
    """Padded arrays of one circuit: ``count`` real blocks of ``NB`` rows, ``K`` primitives each."""

    num_qubits: int
    num_params: int
    count: int
    pair: np.ndarray  # (NB, 2) int32: state-index bits (hi, lo) of the block's wire pair
    basis: np.ndarray  # (NB, K, 5, 4, 4) complex128
    index: np.ndarray  # (NB, K) int32 into the padded parameter vector (padding → a zero entry)
    coeff: np.ndarray  # (NB, K) float64
    offset: np.ndarray  # (NB, K) float64
    padded_params: int


def interpretable(circuit: Circuit) -> bool:
    """True when the interpreter runs ``circuit`` (n ≥ 2; ops on ≤ 2 wires; no data re-upload)."""
    return circuit.num_qubits >= 2 and _blocks(circuit) is not None


@lru_cache(maxsize=256)
def _blocks_cached(circuit: Circuit):
    prims = primitives(circuit)
    return None if prims is None else fuse(prims, circuit.num_qubits)


def _blocks(circuit: Circuit):
    return _blocks_cached(circuit)


@lru_cache(maxsize=256)
def circuit_tables(circuit: Circuit) -> Tables:
    """The padded tables of ``circuit`` (cached by content)."""
    n = circuit.num_qubits
    blocks = _blocks(circuit)
    if blocks is None or n < 2:
        raise ValueError(f"circuit: the interpreter cannot run {circuit!r}")
    nb = _bucket(len(blocks), 8)
    k = _bucket(max((len(b.prims) for b in blocks), default=1), 2)
    pp = _bucket(circuit.num_params + 1, 8)
    pair = np.tile(np.array([[1, 0]], np.int32), (nb, 1))
    basis = np.zeros((nb, k, 5, 4, 4), np.complex128)
    basis[:, :, 0] = np.eye(4)
    index = np.full((nb, k), pp - 1, np.int32)
    coeff = np.zeros((nb, k))
    offset = np.zeros((nb, k))
    for i, blk in enumerate(blocks):
        pair[i] = (n - 1 - blk.pair[0], n - 1 - blk.pair[1])
        for j, prim in enumerate(blk.prims):
            basis[i, j] = prim.basis
            if prim.angle is not None:
                index[i, j], coeff[i, j], offset[i, j] = prim.angle.index, prim.angle.coeff, prim.angle.offset
    return Tables(n, circuit.num_params, len(blocks), pair, basis, index, coeff, offset, pp)


@lru_cache(maxsize=256)
def observable_tables(observable: Observable, n: int) -> tuple[np.ndarray, ...]:
    """``(count, flip, sign, phase, coeff)``: ``(Pψ)[j] = phase·(−1)^{|j⊕flip ∧ sign|}·ψ[j ⊕ flip]``."""
    t = _bucket(len(observable.words), 1)
    flip, sign = np.zeros(t, np.int32), np.zeros(t, np.int32)
    phase, coeff = np.ones(t, np.complex128), np.zeros(t)
    for i, (c, word) in enumerate(zip(observable.coeffs, observable.words, strict=True)):
        for w, p in word:
            bit = 1 << (n - 1 - w)
            flip[i] |= bit if p in "XY" else 0
            sign[i] |= bit if p in "YZ" else 0
            phase[i] *= 1j if p == "Y" else 1.0  # Y|x⟩ = i(−1)^x |1−x⟩
        coeff[i] = c
    return np.int32(len(observable.words)), flip, sign, phase, coeff


# ---------------------------------------------------------------------------------------------
# the programs (pure functions of the tables)
# ---------------------------------------------------------------------------------------------


def block_matrices(params, basis, index, coeff, offset):
    """``B_i = M_{i,K} ⋯ M_{i,1}``, ``M = Σ_j f_j(coeff·θ[index] + offset) basis_j`` → ``(NB, 4, 4)``."""
    phi = coeff * params[index] + offset
    m = jnp.einsum("bkf,bkfij->bkij", basis_functions(phi).astype(basis.dtype), basis)
    out = m[:, 0]
    for j in range(1, m.shape[1]):
        out = m[:, j] @ out
    return out


def _pair_indices(n: int, hi, lo):
    """``(4, 2ⁿ⁻²)`` positions of the amplitudes ``|k⟩`` on bits ``hi > lo`` (``k = 2·bit_hi + bit_lo``)."""
    r = jnp.arange(2 ** (n - 2), dtype=jnp.int32)
    low = r & ((1 << lo) - 1)
    mid = (r >> lo) & ((1 << (hi - 1 - lo)) - 1)
    base = low | (mid << (lo + 1)) | ((r >> (hi - 1)) << (hi + 1))
    return jnp.stack([base, base | (1 << lo), base | (1 << hi), base | (1 << hi) | (1 << lo)])


def _inverse_positions(n: int, hi, lo):
    """For every state index ``j``, its position ``k·2ⁿ⁻² + r`` in the ``(4, 2ⁿ⁻²)`` layout."""
    j = jnp.arange(2**n, dtype=jnp.int32)
    k = ((j >> hi) & 1) * 2 + ((j >> lo) & 1)
    mid = ((j >> (lo + 1)) & ((1 << (hi - 1 - lo)) - 1)) << lo
    return k * (2 ** (n - 2)) + ((j & ((1 << lo) - 1)) | mid | ((j >> (hi + 1)) << (hi - 1)))


def _times(m, v):
    """``m @ v`` for ``(4, 4)`` by ``(4, R)`` as element-wise sums (faster than a dot on CPU)."""
    return jnp.stack([m[k, 0] * v[0] + m[k, 1] * v[1] + m[k, 2] * v[2] + m[k, 3] * v[3] for k in range(4)])


def forward(n, count, bits, mats, psi):
    """``ψ ← B_{count−1} ⋯ B_0 ψ``; ``bits[i] = (hi, lo)`` are the state-index bits of block i's pair.

    Each block gathers the ``(4, 2ⁿ⁻²)`` amplitudes of its pair, multiplies and gathers back."""

    def body(i, psi):
        hi, lo = bits[i, 0], bits[i, 1]
        out = _times(mats[i].astype(psi.dtype), psi[_pair_indices(n, hi, lo)])
        return out.reshape(-1)[_inverse_positions(n, hi, lo)]

    return jax.lax.fori_loop(0, count, body, psi)


def apply_obs(n, obs, psi):
    """``Oψ = Σ_t c_t P_t ψ`` from the observable tables."""
    count, flip, sign, phase, coeff = obs
    j = jnp.arange(2**n, dtype=jnp.int32)

    def body(t, acc):
        src = j ^ flip[t]
        par = jax.lax.population_count(src & sign[t]) & 1
        factor = (coeff[t] * phase[t]).astype(psi.dtype)
        return acc + factor * (1 - 2 * par).astype(psi.dtype) * psi[src]

    return jax.lax.fori_loop(0, count, body, jnp.zeros_like(psi))


def expval_program(n, tab, obs, params, psi):
    mats = block_matrices(params, *tab[2:])
    out = forward(n, tab[0], tab[1], mats, psi)
    return jnp.real(jnp.vdot(out, apply_obs(n, obs, out)))


def state_program(n, tab, params, psi):
    mats = block_matrices(params, *tab[2:])
    return forward(n, tab[0], tab[1], mats, psi)


def grad_program(n, tab, obs, params, psi):
    """``(f, ∂f/∂params)`` by the adjoint sweep with the fused 4 × 4 derivative reduction."""
    count, pair = tab[0], tab[1]
    mats = block_matrices(params, *tab[2:])
    psi = forward(n, count, pair, mats, psi)
    lam = apply_obs(n, obs, psi)
    val = jnp.real(jnp.vdot(psi, lam))
    daggers = jnp.conj(jnp.swapaxes(mats, 1, 2)).astype(psi.dtype)

    def body(r, carry):
        psi, lam, gs = carry
        i = count - 1 - r
        hi, lo = pair[i, 0], pair[i, 1]
        idx, pos = _pair_indices(n, hi, lo), _inverse_positions(n, hi, lo)
        vp, vl = _times(daggers[i], psi[idx]), lam[idx]
        g = vp @ jnp.conj(vl).T  # G_cr = Σ_rest ψ_c λ_r^*, ψ before block i, λ after it
        psi = vp.reshape(-1)[pos]
        lam = _times(daggers[i], vl).reshape(-1)[pos]
        return psi, lam, gs.at[i].set(g)

    gs0 = jnp.zeros(mats.shape, psi.dtype)
    _, _, gs = jax.lax.fori_loop(0, count, body, (psi, lam, gs0))
    gs = jax.lax.stop_gradient(gs.astype(mats.dtype))

    def reduced(p):  # Σ_i 2 Re tr(B_i(p) G_i): its gradient is the circuit's
        return 2.0 * jnp.real(jnp.sum(block_matrices(p, *tab[2:]) * jnp.swapaxes(gs, 1, 2)))

    return val, jax.grad(reduced)(params)


@lru_cache(maxsize=64)
def _program(kind: str, n: int, batched: tuple[bool, bool]):
    """One jitted program per (kind, n, batching); the tables are arguments."""
    if kind == "expval":
        f = lambda tab, obs, p, s: expval_program(n, tab, obs, p, s)  # noqa: E731
    elif kind == "grad":
        f = lambda tab, obs, p, s: grad_program(n, tab, obs, p, s)  # noqa: E731
    else:
        f = lambda tab, obs, p, s: state_program(n, tab, p, s)  # noqa: E731
    if any(batched):
        f = jax.vmap(f, in_axes=(None, None, 0 if batched[0] else None, 0 if batched[1] else None))
    return jax.jit(f)


def run(kind: str, circuit: Circuit, observable: Observable | None, params, psi):
    """Evaluate ``kind`` (``"expval"``, ``"grad"`` → ``(value, grad)``, ``"state"``) by the interpreter.

    ``params`` ``(P,)`` or ``(B, P)`` float64, ``psi`` ``(2ⁿ,)`` or ``(B, 2ⁿ)`` complex (its dtype is
    the simulation dtype). Call inside ``jax.enable_x64(True)``.
    """
    from qdist.sim.jaxcache import enable_compile_cache

    enable_compile_cache()
    n = circuit.num_qubits
    t = circuit_tables(circuit)
    params = jnp.asarray(params, jnp.float64)
    pad = [(0, 0)] * (params.ndim - 1) + [(0, t.padded_params - params.shape[-1])]
    padded = jnp.pad(params, pad)
    tab = (np.int32(t.count), t.pair, t.basis, t.index, t.coeff, t.offset)
    obs = observable_tables(observable, n) if observable is not None else _NO_OBS
    f = _program(kind, n, (params.ndim == 2, np.ndim(psi) == 2))
    out = f(tab, obs, padded, psi)
    if kind == "grad":
        return out[0], out[1][..., : circuit.num_params]
    return out


_NO_OBS = (np.int32(0), np.zeros(1, np.int32), np.zeros(1, np.int32), np.ones(1, complex), np.zeros(1))
