"""The C++ block kernels (`qdist.sim.native`) against NumPy oracles built from the bit definition.

Oracles: for small ``n`` the dense ``2ⁿ × 2ⁿ`` matrix ``U[j', j] = m[k(j'), k(j)]`` when ``j'`` and
``j`` agree off the pair (``k(j) = 2·bit_hi(j) + bit_lo(j)``); for any ``n`` the state as an
``n``-axis tensor contracted with ``m`` on the two axes of the pair (`np.einsum`), and
``G_{cr} = Σ_rest ψ'_c conj(λ_r)`` as the same contraction. Every pair at n = 2..7 (all three run
layouts of the kernels: low, middle and high bits), a sample at n = 16 (where the kernels split the
work over threads), complex128 and complex64, batches under ``jax.vmap``; then the interpreter with
and without the kernels, the thread-count independence of ``G`` and the fallback without a compiler.
"""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import qdist
from qdist.sim import native

# complex128: a 4-term sum of unit-size products, ~1e-16 each, and G sums 2ⁿ⁻² of them
TOL = {np.complex128: 1e-12, np.complex64: 2e-5}

pytestmark = pytest.mark.skipif(not native.available(), reason=native.status())


def _state(rng, n, dtype, batch=()):
    s = rng.normal(size=batch + (2**n,)) + 1j * rng.normal(size=batch + (2**n,))
    return (s / np.linalg.norm(s, axis=-1, keepdims=True)).astype(dtype)


def _matrix(rng, batch=()):
    return rng.normal(size=batch + (4, 4)) + 1j * rng.normal(size=batch + (4, 4))


def _tensor(n, hi, lo, psi):
    """``ψ`` as ``(2, 2, rest…)`` with the axes of bits ``hi`` and ``lo`` first."""
    t = np.asarray(psi, complex).reshape((2,) * n)  # axis a is bit n − 1 − a
    return np.moveaxis(t, (n - 1 - hi, n - 1 - lo), (0, 1))


def _apply_oracle(n, hi, lo, m, psi):
    t = _tensor(n, hi, lo, psi)
    out = np.einsum("hlHL,HL...->hl...", np.asarray(m).reshape(2, 2, 2, 2), t)
    return np.moveaxis(out, (0, 1), (n - 1 - hi, n - 1 - lo)).reshape(-1)


def _g_oracle(n, hi, lo, psi_new, lam_old):
    a, b = _tensor(n, hi, lo, psi_new).reshape(4, -1), _tensor(n, hi, lo, lam_old).reshape(4, -1)
    return a @ np.conj(b).T


def _dense(n, hi, lo, m):
    j = np.arange(2**n)
    k = 2 * ((j >> hi) & 1) + ((j >> lo) & 1)
    rest = j & ~((1 << hi) | (1 << lo))
    return np.where(rest[:, None] == rest[None, :], np.asarray(m)[k[:, None], k[None, :]], 0)


def _pairs(n):
    return [(hi, lo) for hi in range(1, n) for lo in range(hi)]


_apply = jax.jit(native.apply4)
_adjoint = jax.jit(native.adjoint4)


def test_oracles_agree_with_each_other():
    rng = np.random.default_rng(0)
    for hi, lo in _pairs(4):
        m, psi = _matrix(rng), _state(rng, 4, complex)
        np.testing.assert_allclose(_apply_oracle(4, hi, lo, m, psi), _dense(4, hi, lo, m) @ psi, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 16])
def test_apply_and_adjoint_step_every_pair(n, dtype):
    rng = np.random.default_rng(10 + n)
    cases = _pairs(n) if n <= 7 else [(1, 0), (15, 14), (15, 0), (8, 7), (5, 2), (12, 1), (9, 4)]
    for hi, lo in cases:
        m, psi, lam = _matrix(rng), _state(rng, n, dtype), _state(rng, n, dtype)
        out = np.asarray(_apply(jnp.asarray(psi), jnp.asarray(m), hi, lo))
        assert out.dtype == dtype and out.shape == psi.shape
        want = _apply_oracle(n, hi, lo, m, psi)
        np.testing.assert_allclose(out, want, rtol=0, atol=TOL[dtype] * 8)
        p2, l2, g = (
            np.asarray(x) for x in _adjoint(jnp.asarray(psi), jnp.asarray(lam), jnp.asarray(m), hi, lo)
        )
        assert p2.dtype == l2.dtype == g.dtype == dtype and g.shape == (4, 4)
        np.testing.assert_allclose(p2, want, rtol=0, atol=TOL[dtype] * 8)
        np.testing.assert_allclose(l2, _apply_oracle(n, hi, lo, m, lam), rtol=0, atol=TOL[dtype] * 8)
        g_want = _g_oracle(n, hi, lo, want, lam)
        np.testing.assert_allclose(g, g_want, rtol=0, atol=TOL[dtype] * 16)


def test_vmap_batches_states_matrices_and_pairs():
    n, rng = 6, np.random.default_rng(3)
    states, lams, mats = _state(rng, n, complex, (5,)), _state(rng, n, complex, (5,)), _matrix(rng, (5,))
    pairs = np.array([(1, 0), (5, 0), (4, 2), (5, 4), (3, 1)], np.int32)
    shared = jax.jit(jax.vmap(native.apply4, in_axes=(0, None, None, None)))
    out = np.asarray(shared(jnp.asarray(states), jnp.asarray(mats[0]), 4, 1))
    for b in range(5):
        np.testing.assert_allclose(out[b], _apply_oracle(n, 4, 1, mats[0], states[b]), atol=1e-13)
    each = jax.jit(jax.vmap(native.adjoint4))
    p2, l2, g = each(jnp.asarray(states), jnp.asarray(lams), jnp.asarray(mats), pairs[:, 0], pairs[:, 1])
    for b, (hi, lo) in enumerate(pairs):
        want = _apply_oracle(n, hi, lo, mats[b], states[b])
        np.testing.assert_allclose(np.asarray(p2[b]), want, atol=1e-13)
        np.testing.assert_allclose(np.asarray(l2[b]), _apply_oracle(n, hi, lo, mats[b], lams[b]), atol=1e-13)
        np.testing.assert_allclose(np.asarray(g[b]), _g_oracle(n, hi, lo, want, lams[b]), atol=1e-13)


@pytest.mark.parametrize("n", [3, 9, 16])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_whole_sweeps_follow_their_reference_list(n, dtype):
    """``sweep`` applies ``B_ref[0]`` first, reuses blocks the list repeats and stops at ``count``;
    ``adjoint_sweep`` runs the list backwards with one ``G`` per block (the last visit's)."""
    rng = np.random.default_rng(n)
    pairs = [tuple(sorted(rng.choice(n, 2, replace=False))[::-1]) for _ in range(12)]
    pairs[:3] = [(1, 0), (2, 1), (2, 0)]  # chains: neighbouring blocks sharing a bit
    pair = np.array(pairs, np.int32)
    mats = np.linalg.qr(_matrix(rng, (12,)))[0]  # unitary: the states keep norm 1 (TOL holds)
    ref = np.concatenate([np.arange(12), rng.integers(0, 12, 8)]).astype(np.int32)
    count = 17
    psi, lam = _state(rng, n, dtype), _state(rng, n, dtype)
    want = np.asarray(psi, complex)
    for r in ref[:count]:
        want = _apply_oracle(n, *pair[r], mats[r], want)
    got = native.sweep(
        jnp.asarray(psi), jnp.asarray(mats), jnp.asarray(pair), jnp.asarray(ref), jnp.int32(count)
    )
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=TOL[dtype] * 8)
    p2, l2, gs = native.adjoint_sweep(
        jnp.asarray(psi),
        jnp.asarray(lam),
        jnp.asarray(mats),
        jnp.asarray(pair),
        jnp.asarray(ref),
        jnp.int32(count),
    )
    wp, wl, wg = np.asarray(psi, complex), np.asarray(lam, complex), np.zeros((12, 4, 4), complex)
    for r in ref[:count][::-1]:
        wp = _apply_oracle(n, *pair[r], mats[r], wp)
        wg[r] = _g_oracle(n, *pair[r], wp, wl)
        wl = _apply_oracle(n, *pair[r], mats[r], wl)
    np.testing.assert_allclose(np.asarray(p2), wp, rtol=0, atol=TOL[dtype] * 8)
    np.testing.assert_allclose(np.asarray(l2), wl, rtol=0, atol=TOL[dtype] * 8)
    np.testing.assert_allclose(np.asarray(gs), wg, rtol=0, atol=TOL[dtype] * 16)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_a_staged_sweep_equals_its_blocks_one_by_one(dtype):
    """A state larger than a chunk (half a core's L2) is swept in stages, chunk by chunk: the
    amplitudes go through the same products in the same order as with one call per block, so the
    result is bitwise the one of `apply4` block after block (n = 20: 8–16 MiB, more than the
    L2 of the machines this runs on), and matches the oracle."""
    n, rng = 20, np.random.default_rng(20)
    pairs = [(k, k - 1) for k in range(n - 1, 0, -1)] * 2 + [(19, 0), (5, 2), (3, 1), (12, 7), (2, 0)]
    mats = np.linalg.qr(_matrix(rng, (len(pairs),)))[0]
    psi = _state(rng, n, dtype)
    got = native.sweep(
        jnp.asarray(psi),
        jnp.asarray(mats),
        jnp.asarray(pairs, jnp.int32),
        jnp.arange(len(pairs), dtype=jnp.int32),
        jnp.int32(len(pairs)),
    )
    one_by_one, want = jnp.asarray(psi), np.asarray(psi, complex)
    for m, (hi, lo) in zip(mats, pairs):
        one_by_one = _apply(one_by_one, jnp.asarray(m), hi, lo)
        want = _apply_oracle(n, hi, lo, m, want)
    assert np.array_equal(np.asarray(got), np.asarray(one_by_one))
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=TOL[dtype] * 8)


def test_bad_pairs_and_dtypes_are_refused():
    psi = jnp.ones(16, complex)
    with pytest.raises(Exception, match="n > hi > lo >= 0"):
        jax.block_until_ready(_apply(psi, jnp.eye(4), 1, 1))
    with pytest.raises(Exception, match="n > hi > lo >= 0"):
        jax.block_until_ready(_apply(psi, jnp.eye(4), 4, 0))
    with pytest.raises(ValueError, match="psi: expected complex64 or complex128"):
        native.apply4(jnp.ones(16), jnp.eye(4), 1, 0)


_G_SCRIPT = """
import sys, numpy as np, jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
from qdist.sim import native
rng = np.random.default_rng(1)
n = 19
psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
lam = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
m = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
outs = [jax.jit(native.adjoint4)(jnp.asarray(psi), jnp.asarray(lam), jnp.asarray(m), hi, lo) for hi, lo in ((18, 17), (9, 0), (3, 1))]
chain = jnp.asarray([(k, k - 1) for k in range(n - 1, 0, -1)] * 2, jnp.int32)  # staged: a state > a chunk
mats = jnp.asarray(np.broadcast_to(m, (len(chain), 4, 4)))
refs = jnp.arange(len(chain), dtype=jnp.int32)
outs.append((native.sweep(jnp.asarray(psi), mats, chain, refs, len(chain)),))
outs.append(native.adjoint_sweep(jnp.asarray(psi), jnp.asarray(lam), mats, chain, refs, len(chain)))
sys.stdout.write("".join(np.asarray(x).tobytes().hex() for out in outs for x in out))
"""


def test_results_do_not_depend_on_the_number_of_threads():
    """The work is cut into a fixed number of parts whatever the thread count (``QDIST_THREADS``),
    and ``G``'s partial sums are added in part order: bitwise equal results (n = 19: the states
    are larger than a core's L2, so their blocks are split over the threads)."""
    outs = []
    for threads in ("1", "2", "3"):
        env = dict(os.environ, QDIST_THREADS=threads)
        done = subprocess.run(
            [sys.executable, "-c", _G_SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        outs.append(done.stdout)
    assert outs[0] and outs[0] == outs[1] == outs[2]


def _hea(n, layers):
    ops = []
    k = 0
    for _ in range(layers):
        for w in range(n):
            ops += [qdist.gate("RY", w, k), qdist.gate("RZ", w, k + 1)]
            k += 2
        ops += [qdist.gate("CNOT", (w, (w + 3) % n)) for w in range(n)]
    return qdist.make_circuit(n, ops)


def test_interpreter_with_and_without_the_kernels(monkeypatch):
    """The kernels change how a block is applied, not what: the gather path agrees to rounding,
    for values, gradients, states, batches and complex64."""
    monkeypatch.setenv("QDIST_SIM_MODE", "interpret")
    circuit = _hea(7, 3)
    rng = np.random.default_rng(4)
    params = rng.uniform(-3, 3, (3, circuit.num_params))
    obs = qdist.pauli("Z", [0]) + 0.4 * qdist.pauli("XY", [2, 6])

    def evaluate():
        v, g = qdist.value_and_grad(circuit, params, obs)
        s = qdist.state(circuit, params[0])
        v32, g32 = qdist.value_and_grad(circuit, params[1], obs, dtype="complex64")
        return v, g, s, v32, g32

    with_kernels = evaluate()
    monkeypatch.setattr(native, "_STATE", {"error": "switched off for the test"})
    assert not native.available()
    without = evaluate()
    for a, b, tol in zip(with_kernels, without, (1e-12, 1e-12, 1e-12, 2e-6, 2e-6), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=tol)


def test_without_a_compiler_the_interpreter_falls_back(monkeypatch, tmp_path):
    monkeypatch.setattr(native, "_STATE", {})
    monkeypatch.setenv("QDIST_NATIVE_DIR", str(tmp_path))  # nothing built there
    monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
    assert not native.available()
    line = native.status()
    assert line.startswith("native kernels off:") and "\n" not in line
    monkeypatch.setattr(native, "_STATE", {})
    monkeypatch.setenv("QDIST_NATIVE", "0")
    assert not native.available() and "QDIST_NATIVE" in native.status()


def test_block_matrices_and_gradient_match_the_xla_algebra():
    """``native.block_matrices`` = ``interpret.block_matrices`` and ``native.block_gradient`` = JAX's
    gradient of ``Σ_i 2 Re tr(B_i(θ) G_i)`` through it, on the tables of a real circuit (padding
    blocks and primitives included), unbatched and batched."""
    from qdist.sim import interpret

    circuit = _hea(5, 2)
    t = interpret.circuit_tables(circuit)
    tables = tuple(jnp.asarray(x) for x in (t.basis, t.index, t.coeff, t.offset))
    rng = np.random.default_rng(8)
    theta = jnp.asarray(
        np.concatenate(
            [
                rng.uniform(-3, 3, (3, circuit.num_params)),
                np.zeros((3, t.padded_params - circuit.num_params)),
            ],
            axis=1,
        )
    )
    gs = jnp.asarray(_matrix(rng, (3, t.basis.shape[0])))

    def reduced(p, g):
        return 2.0 * jnp.real(jnp.sum(interpret.block_matrices(p, *tables) * jnp.swapaxes(g, -1, -2)))

    want_m = jax.vmap(lambda p: interpret.block_matrices(p, *tables))(theta)
    want_g = jax.vmap(jax.grad(reduced))(theta, gs)
    got_m = jax.jit(jax.vmap(lambda p: native.block_matrices(p, *tables)))(theta)
    got_g = jax.jit(jax.vmap(lambda p, g: native.block_gradient(p, *tables, g)))(theta, gs)
    np.testing.assert_allclose(np.asarray(got_m), np.asarray(want_m), rtol=0, atol=1e-13)
    np.testing.assert_allclose(np.asarray(got_g), np.asarray(want_g), rtol=0, atol=1e-11)
    one = native.block_gradient(theta[0], *tables, gs[0])
    np.testing.assert_allclose(np.asarray(one), np.asarray(want_g[0]), rtol=0, atol=1e-11)
    shared = jax.vmap(lambda g: native.block_gradient(theta[1], *tables, g))(gs)
    np.testing.assert_allclose(
        np.asarray(shared[2]), np.asarray(jax.grad(reduced)(theta[1], gs[2])), atol=1e-11
    )
