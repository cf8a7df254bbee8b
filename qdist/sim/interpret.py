"""The circuit as data: padded block tables run by one compiled program per register size.

A circuit and an observable become arrays (`Tables`): for every fused block (`qdist.sim.blocks`)
its wire-pair index and ``K`` primitives (basis ``(5, 4, 4)``, parameter index, coefficient,
offset); for every Pauli term its flip mask, sign mask, phase ``i^{#Y}`` and coefficient. The
programs below take those arrays as *arguments* and loop over them with ``jax.lax.fori_loop`` (the
trip count is an argument too), so they are compiled once per ``(n, table buckets, dtype,
batching, kernels)`` and every structurally new circuit of that size reuses them
([the interpreter][interpreter], [block kernels][block-kernels]).

* forward: ``B_i = M_{i,K}(φ) ⋯ M_{i,1}(φ)`` for all blocks at once (4 × 4 algebra), then one pass
  over the state per block — the C++ block kernels of `qdist.sim.native` where they are built
  (in place, the pair a run-time argument; a blocks-only circuit is one kernel call), else two XLA
  gathers;
* gradient (adjoint): back from ``ψ_T`` and ``λ_T = Oψ_T``, each block updates ``ψ ← B†ψ`` and
  ``λ ← B†λ`` and reduces ``G_{cr} = Σ_rest ψ_c λ_r^*`` (one pass over both states with the
  kernels, three without) and then ``∂f/∂θ = ∂/∂θ Σ_i 2 Re tr(B_i(θ) G_i)`` on the 4 × 4 blocks
  only (the fused derivative reduction: prefix and suffix products in C++, else JAX's gradient of
  the product tree); memory is two states plus ``16`` numbers per block, whatever the number of
  parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.sim import native, programs
from qdist.sim.blocks import Block, basis_functions, fuse, primitives
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable
from qdist.sim.stages import Stage, walsh

__all__ = ["Tables", "interpretable", "observable_tables", "run", "circuit_tables"]


def _bucket(x: int, least: int) -> int:
    return max(least, 1 << max(0, int(x) - 1).bit_length())


@dataclass(frozen=True, eq=False)
class Tables:
    """Padded arrays of one circuit: ``count`` items (``kind`` 0: block row ``ref``, 1: stage row
    ``ref``); blocks of ``K`` primitives each; stages as in `qdist.sim.stages` (``None`` if none)."""

    num_qubits: int
    num_params: int
    count: int
    kind: np.ndarray  # (NI,) int32
    ref: np.ndarray  # (NI,) int32
    pair: np.ndarray  # (NB, 2) int32: state-index bits (hi, lo) of the block's wire pair
    basis: np.ndarray  # (NB, K, 5, 4, 4) complex128
    index: np.ndarray  # (NB, K) int32 into the padded parameter vector (fixed: its zero entry; padding: −1)
    coeff: np.ndarray  # (NB, K) float64
    offset: np.ndarray  # (NB, K) float64
    padded_params: int
    stages: tuple[np.ndarray, ...] | None = None  # see `_stage_tables`
    padded_data: int = 1

    def args(self) -> tuple:
        """The programs' table argument."""
        blocks = (np.int32(self.count), self.kind, self.ref, self.pair, self.basis, self.index)
        return blocks + (self.coeff, self.offset), self.stages


def interpretable(circuit: Circuit) -> bool:
    """True when the interpreter runs ``circuit`` (every op except non-diagonal ops on more than
    two wires other than Pauli rotations)."""
    return _blocks(_lifted(circuit)) is not None


@lru_cache(maxsize=256)
def _lifted(circuit: Circuit) -> Circuit:
    """A one-qubit circuit as a two-qubit one (wire 1 idle): blocks need a wire pair."""
    if circuit.num_qubits > 1:
        return circuit
    return Circuit(2, circuit.ops, circuit.num_params, circuit.num_data)


@lru_cache(maxsize=256)
def _blocks(circuit: Circuit):
    prims = primitives(circuit)
    return None if prims is None else fuse(prims, circuit.num_qubits)


def _stage_tables(stages: list[Stage], n: int, pp: int) -> tuple[np.ndarray, ...]:
    """``(mask, index, coeff, offset)`` ``(NS, T)`` and ``(start, scale)`` ``(NS, D)``,
    ``(pos, shift)`` ``(NS, D, n)``: data entry d reads ``data[start + Σ_j bit(x, pos_j) << shift_j]``
    (``shift = −1``: unused)."""
    ns = _bucket(len(stages), 1)
    t = _bucket(max(len(s.terms) for s in stages), 1)
    d = _bucket(max(len(s.data) for s in stages), 1)
    mask, index = np.zeros((ns, t), np.int32), np.full((ns, t), pp - 1, np.int32)
    coeff, offset = np.zeros((ns, t)), np.zeros((ns, t))
    start, scale = np.zeros((ns, d), np.int32), np.zeros((ns, d))
    pos, shift = np.zeros((ns, d, n), np.int32), np.full((ns, d, n), -1, np.int32)
    for i, st in enumerate(stages):
        for j, (m, a) in enumerate(st.terms):
            mask[i, j], coeff[i, j], offset[i, j] = m, a.coeff if a.trainable else 0.0, a.offset
            index[i, j] = a.index if a.trainable else pp - 1
        for j, (wires, first, gamma) in enumerate(st.data):
            start[i, j], scale[i, j] = first, gamma
            for k, w in enumerate(wires):
                pos[i, j, k], shift[i, j, k] = n - 1 - w, len(wires) - 1 - k
    return mask, index, coeff, offset, start, scale, pos, shift


@lru_cache(maxsize=256)
def circuit_tables(circuit: Circuit) -> Tables:
    """The padded tables of ``circuit`` (cached by content)."""
    circuit = _lifted(circuit)
    n = circuit.num_qubits
    items = _blocks(circuit)
    if items is None:
        raise ValueError(f"circuit: the interpreter cannot run {circuit!r}")
    blocks = [b for b in items if isinstance(b, Block)]
    stages = [b for b in items if isinstance(b, Stage)]
    ni, nb = _bucket(len(items), 8), _bucket(len(blocks), 8)
    k = _bucket(max((len(b.prims) for b in blocks), default=1), 2)
    pp = _bucket(circuit.num_params + 1, 8)
    kind, ref = np.zeros(ni, np.int32), np.zeros(ni, np.int32)
    pair = np.tile(np.array([[1, 0]], np.int32), (nb, 1))
    basis = np.zeros((nb, k, 5, 4, 4), np.complex128)
    basis[:, :, 0] = np.eye(4)
    index = np.full((nb, k), -1, np.int32)  # padding: −1 (the zero entry pp − 1 for XLA's indexing)
    coeff = np.zeros((nb, k))
    offset = np.zeros((nb, k))
    rows = {"block": 0, "stage": 0}
    for i, item in enumerate(items):
        if isinstance(item, Stage):
            kind[i], ref[i] = 1, rows["stage"]
            rows["stage"] += 1
            continue
        r = ref[i] = rows["block"]
        rows["block"] += 1
        pair[r] = (n - 1 - item.pair[0], n - 1 - item.pair[1])
        for j, prim in enumerate(item.prims):
            basis[r, j], index[r, j] = prim.basis, pp - 1
            if prim.angle is not None:
                index[r, j], coeff[r, j], offset[r, j] = prim.angle.index, prim.angle.coeff, prim.angle.offset
    st = _stage_tables(stages, n, pp) if stages else None
    pd = _bucket(circuit.num_data + 1, 8)
    return Tables(n, circuit.num_params, len(items), kind, ref, pair, basis, index, coeff, offset, pp, st, pd)


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


def _matmul4(a, b):
    """``a @ b`` for stacks of ``4 × 4`` matrices as element-wise sums (XLA's batched dots of tiny
    matrices cost more on CPU than the arithmetic). For ``(4, 4) @ (4, 2ⁿ⁻²)`` on the state use
    `_times`: its stacked rows measured ~20 % faster at n = 16."""
    return sum(a[..., :, k, None] * b[..., None, k, :] for k in range(4))


def block_matrices(params, basis, index, coeff, offset):
    """``B_i = M_{i,K} ⋯ M_{i,1}``, ``M = Σ_j f_j(coeff·θ[index] + offset) basis_j`` → ``(NB, 4, 4)``.

    The product is a pairwise tree (``K`` is a power of two): log₂K batched steps instead of K − 1,
    which at n = 8 takes the matrices from 0.58 to 0.15 ms and their gradient from 1.5 to 0.8 ms."""
    phi = coeff * params[index] + offset
    m = jnp.sum(basis_functions(phi).astype(basis.dtype)[..., None, None] * basis, axis=2)
    while m.shape[1] > 1:
        m = _matmul4(m[:, 1::2], m[:, 0::2])
    return m[:, 0]


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


def stage_phase(n, st, s, params, data):
    """``φ(x)`` of stage row ``s`` (`qdist.sim.stages`): a Walsh transform plus the data entries."""
    mask, index, coeff, offset, start, scale, pos, shift = st
    v = coeff[s] * params[index[s]] + offset[s]
    phi = walsh(jnp.zeros(2**n, v.dtype).at[mask[s]].add(v))
    x = jnp.arange(2**n, dtype=jnp.int32)

    def entry(d, phi):  # φ += γ_d · data[s_d + x|_{W_d}], the bits gathered by a loop (small traces)
        def bit(j, sub):
            sh = shift[s, d, j]
            return sub + jnp.where(sh >= 0, ((x >> pos[s, d, j]) & 1) << jnp.maximum(sh, 0), 0)

        sub = jax.lax.fori_loop(0, n, bit, jnp.zeros_like(x))
        return phi + scale[s, d] * data[start[s, d] + sub]

    phi = jax.lax.fori_loop(0, start.shape[1], entry, phi)
    return phi


def _rotate(psi, phi, sign: float):
    return psi * jnp.exp(sign * 1j * phi).astype(psi.dtype)


def _apply_block(n, m, psi, hi, lo, kernels: bool):
    """``(m on bits hi > lo) ψ``: the C++ kernel in place (`qdist.sim.native`), else two gathers of
    the ``(4, 2ⁿ⁻²)`` amplitudes of the pair."""
    if kernels:
        return native.apply4(psi, m, hi, lo)
    out = _times(m.astype(psi.dtype), psi[_pair_indices(n, hi, lo)])
    return out.reshape(-1)[_inverse_positions(n, hi, lo)]


def _adjoint_block(n, mdag, psi, lam, hi, lo, kernels: bool):
    """``(B†ψ, B†λ, G)``, ``G_{cr} = Σ_rest (B†ψ)_c λ_r^*`` (``λ`` before its update)."""
    if kernels:
        return native.adjoint4(psi, lam, mdag, hi, lo)
    idx, pos = _pair_indices(n, hi, lo), _inverse_positions(n, hi, lo)
    vp, vl = _times(mdag, psi[idx]), lam[idx]
    g = vp @ jnp.conj(vl).T
    return vp.reshape(-1)[pos], _times(mdag, vl).reshape(-1)[pos], g


def forward(n, tab, mats, params, data, psi, kernels: bool = False):
    """``ψ ← item_{count−1} ⋯ item_0 ψ``: a block applies its ``4 × 4`` matrix on its pair
    (state-index bits ``pair[r] = (hi, lo)``, `_apply_block`); a stage multiplies by ``e^{iφ}``."""
    (count, kind, ref, pair, *_), st = tab

    def block(i, psi):
        r = ref[i]
        return _apply_block(n, mats[r], psi, pair[r, 0], pair[r, 1], kernels)

    def stage(i, psi):
        return _rotate(psi, stage_phase(n, st, ref[i], params, data), 1.0)

    if st is None and kernels:  # blocks only: the whole loop in one kernel call
        return native.sweep(psi, mats, pair, ref, count)
    body = block if st is None else (lambda i, psi: jax.lax.cond(kind[i] == 0, block, stage, i, psi))
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


def _mats(tab, params, kernels: bool = False):
    return (native.block_matrices if kernels else block_matrices)(params, *tab[0][4:])


def expval_program(n, tab, obs, params, data, psi, kernels: bool = False):
    out = forward(n, tab, _mats(tab, params, kernels), params, data, psi, kernels)
    return jnp.real(jnp.vdot(out, apply_obs(n, obs, out)))


def state_program(n, tab, params, data, psi, kernels: bool = False):
    return forward(n, tab, _mats(tab, params, kernels), params, data, psi, kernels)


def grad_program(n, tab, obs, params, data, psi, kernels: bool = False):
    """``(f, ∂f/∂params)`` by the adjoint sweep with the fused 4 × 4 derivative reduction; a stage
    adds ``coeff_t · (H g)[m_t]``, ``g = −2 Im(λ^* ψ)`` to its terms' parameters."""
    (count, kind, ref, pair, *_), st = tab
    mats = _mats(tab, params, kernels)
    psi = forward(n, tab, mats, params, data, psi, kernels)
    lam = apply_obs(n, obs, psi)
    val = jnp.real(jnp.vdot(psi, lam))
    daggers = jnp.conj(jnp.swapaxes(mats, 1, 2)).astype(psi.dtype)

    def block(i, carry):
        psi, lam, gs, dg = carry
        r = ref[i]
        psi, lam, g = _adjoint_block(n, daggers[r], psi, lam, pair[r, 0], pair[r, 1], kernels)
        return psi, lam, gs.at[r].set(g), dg

    def stage(i, carry):
        psi, lam, gs, dg = carry
        s = ref[i]
        mask, index, coeff = st[0][s], st[1][s], st[2][s]
        h = walsh(-2.0 * jnp.imag(jnp.conj(lam) * psi).astype(jnp.float64))
        phi = stage_phase(n, st, s, params, data)
        return _rotate(psi, phi, -1.0), _rotate(lam, phi, -1.0), gs, dg.at[index].add(coeff * h[mask])

    def body(r, carry):
        i = count - 1 - r
        return block(i, carry) if st is None else jax.lax.cond(kind[i] == 0, block, stage, i, carry)

    if st is None and kernels:  # blocks only: the whole sweep in one kernel call
        _, _, gs = native.adjoint_sweep(psi, lam, daggers, pair, ref, count)
        dg = jnp.zeros(params.shape, jnp.float64)
    else:
        gs0 = jnp.zeros(mats.shape, psi.dtype)
        carry = (psi, lam, gs0, jnp.zeros(params.shape, jnp.float64))
        _, _, gs, dg = jax.lax.fori_loop(0, count, body, carry)
    gs = jax.lax.stop_gradient(gs.astype(mats.dtype))
    if kernels:
        return val, native.block_gradient(params, *tab[0][4:], gs) + dg

    def reduced(p):  # Σ_i 2 Re tr(B_i(p) G_i): its gradient is the circuit's
        return 2.0 * jnp.real(jnp.sum(block_matrices(p, *tab[0][4:]) * jnp.swapaxes(gs, 1, 2)))

    return val, jax.grad(reduced)(params) + dg


@lru_cache(maxsize=64)
def _program(kind: str, n: int, batched: tuple[bool, bool, bool], kernels: bool = False):
    """One jitted program per (kind, n, batching of params, data, state, kernels); the tables are
    arguments."""
    if kind == "expval":
        f = lambda tab, obs, p, d, s: expval_program(n, tab, obs, p, d, s, kernels)  # noqa: E731
    elif kind == "grad":
        f = lambda tab, obs, p, d, s: grad_program(n, tab, obs, p, d, s, kernels)  # noqa: E731
    else:
        f = lambda tab, obs, p, d, s: state_program(n, tab, p, d, s, kernels)  # noqa: E731
    if any(batched):
        f = jax.vmap(f, in_axes=(None, None) + tuple(0 if b else None for b in batched))
    return jax.jit(f)


def _pad_last(x, size: int):
    if isinstance(x, jax.Array):
        return jnp.pad(x.astype(jnp.float64), [(0, 0)] * (x.ndim - 1) + [(0, size - x.shape[-1])])
    x = np.asarray(x, np.float64)
    return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, size - x.shape[-1])])


@lru_cache(maxsize=256)
def _device_args(t: Tables, observable: Observable | None):
    """The tables on the device, once per (tables, observable): calls do not copy them again."""
    obs = observable_tables(observable, t.num_qubits) if observable is not None else _NO_OBS
    return jax.device_put(t.args()), jax.device_put(obs)


def run(kind: str, circuit: Circuit, observable: Observable | None, params, psi, data=None):
    """Evaluate ``kind`` (``"expval"``, ``"grad"`` → ``(value, grad)``, ``"state"``) by the interpreter.

    ``params`` ``(P,)`` or ``(B, P)`` float64, ``psi`` ``(2ⁿ,)`` or ``(B, 2ⁿ)`` complex (its dtype is
    the simulation dtype), ``data`` ``(D,)`` or ``(B, D)`` for data re-upload ops. Call inside
    ``jax.enable_x64(True)``.
    """
    from qdist.sim.jaxcache import enable_compile_cache

    enable_compile_cache()
    one = circuit.num_qubits == 1
    t = circuit_tables(circuit)
    n = t.num_qubits
    if one:  # |ψ⟩ ⊗ |0⟩ on the lifted register
        psi = jnp.stack([jnp.asarray(psi), jnp.zeros_like(jnp.asarray(psi))], axis=-1).reshape(
            np.shape(psi)[:-1] + (4,)
        )
    data = np.zeros(0) if data is None else data
    padded, d = _pad_last(params, t.padded_params), _pad_last(data, t.padded_data)
    tab, obs = _device_args(t, observable)
    batched = (padded.ndim == 2, d.ndim == 2, np.ndim(psi) == 2)
    kernels = native.available()
    f = _program(kind, n, batched, kernels)
    psi = psi if isinstance(psi, jax.Array) else np.asarray(psi)  # numpy goes in as it is (no dispatch)
    name = f"interpret/{kind}/{n}/{batched}" + ("/native" if kernels else "")
    out = programs.call(name, f, tab, obs, padded, d, psi)
    if kind == "grad":  # lax.slice: jnp indexing costs ~0.4 ms of Python per call
        return out[0], jax.lax.slice_in_dim(out[1], 0, circuit.num_params, axis=out[1].ndim - 1)
    if kind == "state" and one:
        return out.reshape(out.shape[:-1] + (2, 2))[..., 0]
    return out


_NO_OBS = (np.int32(0), np.zeros(1, np.int32), np.zeros(1, np.int32), np.ones(1, complex), np.zeros(1))
