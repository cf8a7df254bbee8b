"""Exact (adjoint) gradients — docs/concepts/gradients.md#exact-and-parameter-shift — against PennyLane parameter shift, central finite
differences of Qiskit ``Statevector`` expectations, and plain JAX autodiff through ``qdist.state_fn``.

Tolerance 1e-7 against parameter shift / finite differences: the fourth-order stencil with h = 1e-3
has truncation error ~h⁴·|f⁽⁵⁾|/30 ≲ 1e-10 for these circuits (|f⁽⁵⁾| ≤ ‖O‖·(Σ|coeff|)⁵) and
rounding error ~1e-16/h ≈ 1e-13. Exact-vs-exact comparisons (custom VJP vs JAX autodiff) use 1e-10.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers.oracles import finite_difference, pennylane_param_shift, qiskit_expval

import qdist

GRAD_ATOL = 1e-7
ATOL = 1e-10


def dense_expval_fn(circuit, observable):
    """Reference f(params, state, data) = Re⟨ψ'|O|ψ'⟩ with ψ' = ``qdist.state_fn`` (ordinary autodiff)."""
    sf = qdist.state_fn(circuit)
    om = jnp.asarray(observable.matrix(circuit.num_qubits))

    def f(p, s, d):
        psi = sf(p, s, d)
        return jnp.real(jnp.vdot(psi, om @ psi))

    return f


def random_state(rng, n):
    v = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return v / np.linalg.norm(v)


# ----------------------------------------------------------------------------------------------
# random circuits: adjoint vs parameter shift vs finite differences
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_random_circuit_gradients(ref, seed):
    n, spec, params, data = ref.random_case(5000 + seed, max_qubits=5, max_ops=10)
    terms = ref.random_observable(np.random.default_rng(seed), n)
    obs = ref.obs_qdist(terms)
    circuit = ref.build_qdist(n, spec, len(params))
    d = data if len(data) else None

    val, g = qdist.value_and_grad(circuit, params, obs, data=d)
    assert g.shape == params.shape
    assert abs(val - qiskit_expval(ref, n, spec, params, data, terms)) < ATOL

    res = qdist.grad(circuit, params, obs, method="exact", data=d)
    assert res.method == "exact" and res.copies == 0 and res.shots == 0
    np.testing.assert_allclose(res.value, g, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(res.std_error, np.zeros_like(g))
    assert res.expval == pytest.approx(val, abs=1e-14)

    ps = pennylane_param_shift(ref, n, spec, params, data, terms)
    np.testing.assert_allclose(g, ps, rtol=0, atol=GRAD_ATOL)
    fd = finite_difference(lambda p: qiskit_expval(ref, n, spec, p, data, terms), params)
    np.testing.assert_allclose(g, fd, rtol=0, atol=GRAD_ATOL)


def test_random_gradient_circuits_use_every_gate(ref):
    names = set()
    for seed in range(20):
        _, spec, _, _ = ref.random_case(5000 + seed, max_qubits=5, max_ops=10)
        names |= {name for kind, name, _, payload in spec if kind == "gate" and payload}
    assert {"U", "CU", "RX", "CRX", "PHASE", "CPHASE", "RXX", "RYY", "RZZ"} <= names


# ----------------------------------------------------------------------------------------------
# several angles per gate, shared parameters, affine angles
# ----------------------------------------------------------------------------------------------

A = qdist.Angle


def _multi_angle_spec():
    """U and CU with every angle trainable, parameters shared across angles and gates."""
    return [
        ("gate", "H", (0,), ()),
        ("gate", "U", (0,), (0, A(1, 2.0, 0.3), A(0, -1.0, 0.5))),
        ("gate", "CU", (0, 1), (1, 0, A(2, 0.5, -1.0))),
        ("gate", "U", (2,), (2, 2, 2)),
        ("gate", "CU", (2, 0), (A(2, -1.5, 0.0), 2, 1.1)),
        ("gate", "CU", (1, 2), (0.4, A(0, 3.0, 0.2), 1)),
        ("gate", "RY", (1,), (A(1, -0.5, 1.0),)),
    ]


def _shared_generators_spec():
    """One parameter (index 0) drives gates with very different generators."""
    return [
        ("gate", "H", (0,), ()),
        ("gate", "H", (2,), ()),
        ("gate", "RX", (1,), (0,)),
        ("gate", "CRZ", (0, 1), (A(0, 2.0, 0.1),)),
        ("gate", "PHASE", (2,), (A(0, -1.0, 0.0),)),
        ("gate", "CPHASE", (2, 1), (0,)),
        ("gate", "RXX", (0, 2), (A(0, 0.5, -0.4),)),
        ("pauli_rot", "YZX", (2, 0, 1), (A(0, -2.0, 0.7),)),
        ("gate", "CRY", (1, 0), (1,)),
        ("gate", "U", (1,), (0, 1, A(0, 1.0, 1.0))),
        ("gate", "RZZ", (1, 2), (1,)),
        ("gate", "ISWAP", (0, 1), ()),
    ]


@pytest.mark.parametrize("make_spec", [_multi_angle_spec, _shared_generators_spec])
def test_multi_angle_shared_and_affine(ref, make_spec):
    n, spec = 3, make_spec()
    num_params = 1 + max(
        (a if isinstance(a, int) else a.index)
        for kind, _, _, payload in spec
        if kind in ("gate", "pauli_rot")
        for a in payload
        if not isinstance(a, float)
    )
    circuit = ref.build_qdist(n, spec, num_params)
    terms = [(0.8, "XZY"), (-0.6, "ZIZ"), (0.3, "IYX")]
    obs = ref.obs_qdist(terms)
    f = jax.jit(jax.grad(qdist.expval_fn(circuit, obs)))
    for params in np.random.default_rng(len(spec)).uniform(-np.pi, np.pi, (3, num_params)):
        _, g = qdist.value_and_grad(circuit, params, obs)
        ps = pennylane_param_shift(ref, n, spec, params, None, terms)
        fd = finite_difference(lambda p: qiskit_expval(ref, n, spec, p, None, terms), params)
        np.testing.assert_allclose(g, ps, rtol=0, atol=GRAD_ATOL)
        np.testing.assert_allclose(g, fd, rtol=0, atol=GRAD_ATOL)
        g_jax = f(jnp.asarray(params), qdist.zero_state(n), jnp.zeros(0))
        np.testing.assert_allclose(np.asarray(g_jax), g, rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# gradients with respect to data and the input state, vs plain JAX autodiff
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(2))
def test_grad_wrt_params_data_and_state(ref, seed):
    """``jax.grad(expval_fn, argnums=(0, 1, 2))`` under ``jax.jit`` (custom VJP, adjoint sweep) equals
    ordinary JAX reverse mode through ``qdist.state_fn`` — for params, the input state and the data."""
    rng = np.random.default_rng(6000 + seed)
    n = 4
    spec = ref.random_spec(rng, n, 8, 3, data=True)
    # data ops on unsorted wires, overlapping slices, negative scale, and one on every wire
    spec = [
        ("data_phase", "DP", (2, 0), (0.7, 1)),
        *spec[:4],
        ("data_phase", "DP", (3, 1, 0), (-1.2, 0)),
        *spec[4:],
        ("data_phase", "DP", (0, 1, 2, 3), (0.4, 2)),
        ("data_phase", "DP", (1,), (2.0, 17)),
    ]
    circuit = ref.build_qdist(n, spec, 3)
    obs = ref.obs_qdist(ref.random_observable(rng, n))
    p = jnp.asarray(rng.uniform(-np.pi, np.pi, 3))
    s = jnp.asarray(random_state(rng, n))
    d = jnp.asarray(rng.uniform(-2, 2, circuit.num_data))
    assert circuit.num_data == 19

    f = qdist.expval_fn(circuit, obs)
    g = jax.jit(jax.grad(f, argnums=(0, 1, 2)))(p, s, d)
    want = jax.jit(jax.grad(dense_expval_fn(circuit, obs), argnums=(0, 1, 2)))(p, s, d)
    for got, ref_g in zip(g, want, strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(ref_g), rtol=0, atol=ATOL)
    assert np.all(np.asarray(g[2])[[0, 18]] != 0)  # every data entry is read by some op

    # the data gradient alone (argnums=2) and its value agree with the public entry point
    gd = jax.jit(jax.grad(f, argnums=2))(p, s, d)
    np.testing.assert_allclose(np.asarray(gd), np.asarray(want[2]), rtol=0, atol=ATOL)
    val, gp = qdist.value_and_grad(circuit, np.asarray(p), obs, state=np.asarray(s), data=np.asarray(d))
    np.testing.assert_allclose(gp, np.asarray(want[0]), rtol=0, atol=ATOL)
    assert abs(val - float(dense_expval_fn(circuit, obs)(p, s, d))) < ATOL


# ----------------------------------------------------------------------------------------------
# batching: jax.vmap over params with jax.grad, and batched qdist.grad
# ----------------------------------------------------------------------------------------------


def test_vmap_of_grad_and_batched_grad(ref):
    rng = np.random.default_rng(7)
    n, B = 3, 4
    spec = [("gate", "H", (1,), ())] + ref.random_spec(rng, n, 8, 3, data=False)
    spec += [("gate", "U", (2,), (0, 1, 2)), ("gate", "CRX", (2, 0), (A(1, -1.0, 0.2),))]
    circuit = ref.build_qdist(n, spec, 3)
    terms = [(1.0, "ZXI"), (0.5, "IYY")]
    obs = ref.obs_qdist(terms)
    P = rng.uniform(-np.pi, np.pi, (B, 3))
    S = np.stack([random_state(rng, n) for _ in range(B)])
    f = qdist.expval_fn(circuit, obs)
    zero, nodata = qdist.zero_state(n), jnp.zeros(0)

    g_vmap = np.asarray(jax.jit(jax.vmap(jax.grad(f), in_axes=(0, None, None)))(jnp.asarray(P), zero, nodata))
    vals, g_batch = qdist.value_and_grad(circuit, P, obs)
    res = qdist.grad(circuit, P, obs)
    assert g_batch.shape == (B, 3) and vals.shape == (B,) and res.value.shape == (B, 3)
    np.testing.assert_allclose(g_vmap, g_batch, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.value, g_batch, rtol=0, atol=1e-14)
    for b in range(B):
        ps = pennylane_param_shift(ref, n, spec, P[b], None, terms)
        np.testing.assert_allclose(g_batch[b], ps, rtol=0, atol=GRAD_ATOL)
        assert abs(vals[b] - qiskit_expval(ref, n, spec, P[b], None, terms)) < ATOL

    # vmap over input states (params shared): params and state cotangents vs plain autodiff
    gs = jax.jit(jax.vmap(jax.grad(f, argnums=(0, 1)), in_axes=(None, 0, None)))(
        jnp.asarray(P[0]), jnp.asarray(S), nodata
    )
    plain = jax.jit(
        jax.vmap(jax.grad(dense_expval_fn(circuit, obs), argnums=(0, 1)), in_axes=(None, 0, None))
    )
    want = plain(jnp.asarray(P[0]), jnp.asarray(S), nodata)
    np.testing.assert_allclose(np.asarray(gs[0]), np.asarray(want[0]), rtol=0, atol=ATOL)
    np.testing.assert_allclose(np.asarray(gs[1]), np.asarray(want[1]), rtol=0, atol=ATOL)


def test_complex64_gradient(ref):
    n, spec, params, data = ref.random_case(5003, max_qubits=5, max_ops=10)
    terms = ref.random_observable(np.random.default_rng(3), n)
    circuit = ref.build_qdist(n, spec, len(params))
    d = data if len(data) else None
    val64, g64 = qdist.value_and_grad(circuit, params, ref.obs_qdist(terms), data=d, dtype="complex64")
    val, g = qdist.value_and_grad(circuit, params, ref.obs_qdist(terms), data=d)
    assert abs(val64 - val) < 1e-5
    np.testing.assert_allclose(g64, g, rtol=0, atol=1e-5)


# ----------------------------------------------------------------------------------------------
# a long layered circuit (≥ 400 steps: the simulator may run repeated layers under lax.scan)
# ----------------------------------------------------------------------------------------------


def layered_spec(num_layers: int) -> tuple[list[tuple], int]:
    """Layer l uses a_l = 1 + 2l (twice), b_l = 2 + 2l and the global parameter 0 (every layer)."""
    spec = []
    for layer in range(num_layers):
        a, b = 1 + 2 * layer, 2 + 2 * layer
        spec += [
            ("gate", "RY", (0,), (a,)),
            ("gate", "RZ", (1,), (A(a, -2.0, 0.3),)),
            ("gate", "CRX", (2, 1), (b,)),
            ("gate", "U", (2,), (b, 0, A(a, 0.5, 0.0))),
            ("gate", "CX", (0, 1), ()),
            ("gate", "CZ", (1, 2), ()),
            ("data_phase", "DP", (2, 0), (0.3, 1)),
            ("pauli_rot", "XY", (0, 2), (A(0, 0.1, 0.0),)),
        ]
    return spec, 1 + 2 * num_layers


def test_long_layered_circuit(ref):
    n, L = 3, 58
    spec, P = layered_spec(L)
    circuit = ref.build_qdist(n, spec, P)
    rng = np.random.default_rng(58)
    terms = [(0.9, "ZYX"), (-0.4, "XII"), (0.3, "IZZ")]
    obs = ref.obs_qdist(terms)
    params, data = rng.uniform(-np.pi, np.pi, P), rng.uniform(-2, 2, 5)
    s = jnp.asarray(random_state(rng, n))

    psi = qdist.state(circuit, params, data=data)
    np.testing.assert_allclose(
        psi, ref.qiskit_state(ref.build_qiskit(n, spec, params, data)), rtol=0, atol=ATOL
    )
    val, g = qdist.value_and_grad(circuit, params, obs, data=data)
    assert abs(val - qiskit_expval(ref, n, spec, params, data, terms)) < ATOL
    for v in rng.normal(size=(2, P)):  # directional derivatives by finite differences
        fd = finite_difference(
            lambda t, v=v: qiskit_expval(ref, n, spec, params + t[0] * v, data, terms), np.zeros(1)
        )
        assert abs(g @ v - fd[0]) < GRAD_ATOL * np.linalg.norm(v, 1)

    # all three gradients (params, state, data) vs ordinary JAX autodiff through qdist.state_fn
    args = (jnp.asarray(params), s, jnp.asarray(data))
    got = jax.jit(jax.grad(qdist.expval_fn(circuit, obs), argnums=(0, 1, 2)))(*args)
    want = jax.jit(jax.grad(dense_expval_fn(circuit, obs), argnums=(0, 1, 2)))(*args)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=ATOL)


@pytest.mark.parametrize("seed", range(7100, 7103))
def test_gradient_through_fixed_gate_runs(ref, seed):
    """Trainable gates separated by runs of fixed monomial gates (fused by the simulator)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    spec = ref.monomial_runs_spec(rng, n, num_runs=4, run_length=5, num_params=3)
    circuit = ref.build_qdist(n, spec, 3)
    terms = ref.random_observable(rng, n)
    params = rng.uniform(-np.pi, np.pi, 3)
    val, g = qdist.value_and_grad(circuit, params, ref.obs_qdist(terms))
    assert abs(val - qiskit_expval(ref, n, spec, params, None, terms)) < ATOL
    np.testing.assert_allclose(
        g, pennylane_param_shift(ref, n, spec, params, None, terms), rtol=0, atol=GRAD_ATOL
    )
    fd = finite_difference(lambda p: qiskit_expval(ref, n, spec, p, None, terms), params)
    np.testing.assert_allclose(g, fd, rtol=0, atol=GRAD_ATOL)
