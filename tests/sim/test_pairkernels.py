"""The switch-over-pairs kernels (`qdist.sim.pairkernels`) against a dense NumPy oracle.

The oracle is built from the bit definition alone: ``U[j', j] = m[k(j'), k(j)]`` when ``j'`` and
``j`` agree off the pair (else 0), ``k(j) = 2·bit_hi(j) + bit_lo(j)``, and
``G_{cr} = Σ_{j: k(j)=c} ψ'_j conj(λ_{j ⊕ mask(c) ⊕ mask(r)})``. Every pair at n = 2..6 and a
sample at n = 9, complex128 and complex64, each n compiled once (the pair id is traced).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qdist.sim import interpret, pairkernels

TOL = {np.complex128: 1e-12, np.complex64: 2e-5}


def _random(rng, shape, dtype):
    return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)


def _state(rng, n, dtype):
    s = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return (s / np.linalg.norm(s)).astype(dtype)


def _k(j, hi, lo):
    return 2 * ((j >> hi) & 1) + ((j >> lo) & 1)


def _dense(n, hi, lo, m):
    """The ``2ⁿ × 2ⁿ`` matrix of ``m`` on bits ``(hi, lo)``."""
    j = np.arange(2**n)
    rest = j & ~((1 << hi) | (1 << lo))
    same = rest[:, None] == rest[None, :]
    return np.where(same, np.asarray(m)[_k(j, hi, lo)[:, None], _k(j, hi, lo)[None, :]], 0)


def _g_reference(n, hi, lo, psi_new, lam_old):
    j = np.arange(2**n)
    mask = np.array([0, 1 << lo, 1 << hi, (1 << hi) | (1 << lo)])
    k = _k(j, hi, lo)
    g = np.zeros((4, 4), complex)
    for c in range(4):
        for r in range(4):
            sel = j[k == c]
            g[c, r] = np.sum(psi_new[sel] * np.conj(lam_old[sel ^ mask[c] ^ mask[r]]))
    return g


def _cases(n):
    all_pairs = pairkernels.pairs(n)
    if n <= 6:
        return all_pairs
    rng = np.random.default_rng(n)
    pick = rng.choice(len(all_pairs), size=8, replace=False)
    return tuple(all_pairs[i] for i in sorted(pick)) + ((n - 1, 0), (1, 0), (n - 1, n - 2))


def test_pair_ids_roundtrip():
    for n in (2, 5, 9):
        ps = np.array(pairkernels.pairs(n))
        assert len(ps) == pairkernels.num_pairs(n)
        np.testing.assert_array_equal(pairkernels.pair_ids(ps), np.arange(len(ps)))
        np.testing.assert_array_equal(np.asarray(pairkernels.pair_ids(jnp.asarray(ps))), np.arange(len(ps)))
    assert pairkernels.pair_ids(np.array([[3, 1]])).dtype == np.int32


@pytest.mark.parametrize("bad", [[[1, 1]], [[0, 1]], [[2, -1]], [1, 0, 0]])
def test_pair_ids_rejects_bad_pairs(bad):
    with pytest.raises(ValueError):
        pairkernels.pair_ids(np.array(bad))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 9])
def test_apply_pair_every_pair(n, dtype):
    rng = np.random.default_rng(100 + n)
    f = jax.jit(lambda pid, m, s: pairkernels.apply_pair(n, pid, m, s))
    for hi, lo in _cases(n):
        m, psi = _random(rng, (4, 4), np.complex128), _state(rng, n, dtype)
        pid = pairkernels.pair_ids(np.array([hi, lo]))
        out = np.asarray(f(pid, jnp.asarray(m), jnp.asarray(psi)))
        assert out.dtype == dtype
        np.testing.assert_allclose(out, _dense(n, hi, lo, m) @ psi.astype(complex), atol=TOL[dtype] * 8)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 9])
def test_apply_pair_and_reduce_every_pair(n, dtype):
    rng = np.random.default_rng(200 + n)
    f = jax.jit(lambda pid, m, a, b: pairkernels.apply_pair_and_reduce(n, pid, m, a, b))
    for hi, lo in _cases(n):
        mdag = _random(rng, (4, 4), np.complex128)
        psi, lam = _state(rng, n, dtype), _state(rng, n, dtype)
        pid = pairkernels.pair_ids(np.array([hi, lo]))
        p2, l2, g = (np.asarray(x) for x in f(pid, jnp.asarray(mdag), jnp.asarray(psi), jnp.asarray(lam)))
        u = _dense(n, hi, lo, mdag)
        want_p, want_l = u @ psi.astype(complex), u @ lam.astype(complex)
        assert p2.dtype == l2.dtype == g.dtype == dtype
        np.testing.assert_allclose(p2, want_p, atol=TOL[dtype] * 8)
        np.testing.assert_allclose(l2, want_l, atol=TOL[dtype] * 8)
        np.testing.assert_allclose(
            g, _g_reference(n, hi, lo, want_p, lam.astype(complex)), atol=TOL[dtype] * 16
        )


def test_reduce_matches_the_interpreter_step():
    """Same ``G`` (and states) as the gather step inside ``interpret.grad_program``."""
    n, rng = 5, np.random.default_rng(7)
    for hi, lo in pairkernels.pairs(n):
        mdag = jnp.asarray(_random(rng, (4, 4), np.complex128))
        psi, lam = jnp.asarray(_state(rng, n, np.complex128)), jnp.asarray(_state(rng, n, np.complex128))
        idx, pos = interpret._pair_indices(n, hi, lo), interpret._inverse_positions(n, hi, lo)
        vp, vl = interpret._times(mdag, psi[idx]), lam[idx]
        p2, l2, g = pairkernels.reduce_static(n, hi, lo, mdag, psi, lam)
        np.testing.assert_allclose(np.asarray(g), np.asarray(vp @ jnp.conj(vl).T), atol=1e-13)
        np.testing.assert_allclose(np.asarray(p2), np.asarray(vp.reshape(-1)[pos]), atol=1e-13)
        want_l = interpret._times(mdag, vl).reshape(-1)[pos]
        np.testing.assert_allclose(np.asarray(l2), np.asarray(want_l), atol=1e-13)


def test_vmap_over_states_with_a_shared_pair():
    n, rng = 4, np.random.default_rng(3)
    m = _random(rng, (4, 4), np.complex128)
    states = np.stack([_state(rng, n, np.complex128) for _ in range(3)])
    f = jax.jit(jax.vmap(lambda s, pid: pairkernels.apply_pair(n, pid, jnp.asarray(m), s), in_axes=(0, None)))
    for hi, lo in pairkernels.pairs(n):
        out = np.asarray(f(jnp.asarray(states), pairkernels.pair_ids(np.array([hi, lo]))))
        np.testing.assert_allclose(out, states @ _dense(n, hi, lo, m).T, atol=1e-12)


def test_too_few_bits():
    with pytest.raises(ValueError):
        pairkernels.apply_pair(1, 0, jnp.eye(4), jnp.ones(2, complex))
