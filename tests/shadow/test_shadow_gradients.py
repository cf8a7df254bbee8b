"""Shot-based gradient estimators: param-shift, layer shadows, shadow tomography, SPSA (docs/concepts/gradients.md#gradients).

Statistical tolerances come from each estimator's own variance; every check states its false-failure
probability. References: qdist's exact adjoint gradient (``qdist.value_and_grad``) and the
simulator's state (``qdist.state``).
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

import qdist
from qdist.estimators.shift_rules import shift_rule
from shadows import layers as L
from shadows import tomography as T

N = 3  # register size of most tests (kernels are compiled once per gate/wires and shared)
ROT = ("RX", "RY", "RZ")
STRINGS = ("XZ", "YY", "ZXY")


def random_pauli_circuit(seed: int, n: int = N, blocks: int = 3, shared: bool = True) -> qdist.Circuit:
    """Random circuit of Pauli rotations (some shared/affine parameters) and fixed gates."""
    rng = np.random.default_rng(seed)
    ops, k = [], 0
    for _ in range(blocks):
        for w in range(n):
            if shared and k > 0 and rng.random() < 0.2:
                ops.append(qdist.gate(ROT[rng.integers(3)], w, qdist.Angle(int(rng.integers(k)), -0.7, 0.4)))
            else:
                ops.append(qdist.gate(ROT[rng.integers(3)], w, k))
                k += 1
        if rng.random() < 0.5:
            ops.append(qdist.gate("RZZ", (0, n - 1), k))
            k += 1
        s = STRINGS[rng.integers(len(STRINGS))]
        ops.append(qdist.pauli_rot(s, tuple(range(len(s))), k))
        k += 1
        for w in range(n - 1):
            ops.append(qdist.gate("CX", (w, w + 1)))
    return qdist.make_circuit(n, ops)


def random_observable(seed: int, n: int = N, terms: int = 3) -> qdist.Observable:
    rng = np.random.default_rng(seed)
    labels = {}
    while len(labels) < terms:
        lab = "".join(rng.choice(list("IXYZ"), n))
        if lab != "I" * n:
            labels[lab] = float(rng.normal())
    return qdist.pauli_sum(labels)


def mixed_circuit() -> qdist.Circuit:
    """Every kind of trainable gate: Pauli rotations, U, PHASE, CRX, CU, CPHASE, data re-upload."""
    ops = [
        qdist.gate("H", 0),
        qdist.gate("RX", 0, 0),
        qdist.gate("U", 1, 1, 0.3, 2),
        qdist.gate("CRX", (0, 2), 3),
        qdist.data_phase((1, 2), 0.7, 0),
        qdist.gate("PHASE", 1, 4),
        qdist.gate("CU", (2, 0), 5, qdist.Angle(0, 2.0, 0.1), 6),
        qdist.gate("CPHASE", (1, 0), 7),
        qdist.gate("RZZ", (0, 2), qdist.Angle(3, 0.5, 0.3)),
        qdist.gate("CX", (0, 1)),
    ]
    return qdist.make_circuit(N, ops)


def params_for(circuit, seed):
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, circuit.num_params)


# --------------------------------------------------------------------------------------- machinery
def test_methods_registered():
    assert {"param-shift", "shadow", "tomography", "spsa"} <= set(qdist.methods())


def test_executor_matches_simulator():
    c = mixed_circuit()
    p = params_for(c, 0)
    data = np.random.default_rng(1).normal(size=c.num_data)
    ex = L.executor(c)
    phi = L.slot_values(ex.slots, p)[None, :]
    psi0 = qdist.zero_state(N)[None, :]
    out = np.asarray(ex.run(psi0, phi, data))
    assert np.abs(out[0] - qdist.state(c, p, data=data)).max() < 1e-12
    back = np.asarray(ex.run(out, phi, data, adjoint=True))
    assert np.abs(back - np.asarray(psi0)).max() < 1e-12


def test_find_layers_and_error_message():
    ops = [
        qdist.gate("RX", 0, 0),
        qdist.gate("RY", 1, 1),
        qdist.gate("RZZ", (1, 2), 2),  # overlaps wire 1 → new layer
        qdist.gate("RZ", 0, 3),
        qdist.gate("CX", (0, 1)),  # fixed gate → new layer
        qdist.pauli_rot("XIZ", (0, 1, 2), 4),
    ]
    c = qdist.make_circuit(N, ops)
    layers = L.find_layers(c)
    assert [layer.ops for layer in layers] == [(0, 1), (2, 3), (5,)]
    assert layers[2].words == (((0, "X"), (2, "Z")),)
    bad = qdist.make_circuit(N, [*ops[:3], qdist.gate("U", 0, 5, 6, 7)])
    with pytest.raises(
        ValueError, match=r"^circuit: method 'shadow' needs Pauli-rotation generators; op 3 \(U\) has none$"
    ):
        qdist.grad(bad, params_for(bad, 0), qdist.pauli("Z", (0,)), method="shadow", shots=10, seed=0)


# --------------------------------------------------------------------------------------- the layer identity
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layer_identity_to_1e10(seed):
    """∂_j f = −⟨Φ_ℓ|P_j ⊗ Y_anc|Φ_ℓ⟩ (docs/concepts/gradients.md#layer-shadows) for every slot, against the adjoint gradient."""
    c = random_pauli_circuit(seed)
    obs = random_observable(seed)
    p = params_for(c, seed)
    data = None
    _, g = qdist.value_and_grad(c, p, obs)
    layers = L.find_layers(c)
    a, b = L.layer_states(c, p, obs, layers)
    phis = L.ancilla_states(a, b)
    terms = L.observable_terms(obs)
    slots = L.angle_slots(c)
    dphi = np.zeros(len(slots))
    for ell, layer in enumerate(layers):
        for k, (ck, _) in enumerate(terms):
            for word, j in zip(layer.words, layer.slots, strict=True):
                op = qdist.Observable((1.0,), (tuple(word) + ((N, "Y"),),)).matrix(N + 1)
                dphi[j] -= ck * np.vdot(phis[ell, k], op @ phis[ell, k]).real
    assert np.abs(L.chain_matrix(slots, c.num_params) @ dphi - g).max() < 1e-10
    exact = qdist.grad(c, p, obs, method="shadow", data=data)  # shots=None: exact layer expectations
    assert np.abs(exact.value - g).max() < 1e-10
    assert exact.copies == 0 and exact.circuits == len(layers) * len(terms)


def test_layer_circuit_on_simulator_equals_sweep():
    """The n+1-qubit preparation circuit (H_anc, U, controlled-Q, U_{>ℓ}†) gives the swept states."""
    c = random_pauli_circuit(5, blocks=2)
    obs = random_observable(5, terms=2)
    p = params_for(c, 5)
    layers = L.find_layers(c)
    phis = L.ancilla_states(*L.layer_states(c, p, obs, layers))
    start = np.kron(np.asarray(qdist.zero_state(N)), [1.0, 0.0])
    for ell in (0, len(layers) - 1):
        for k, (_, word) in enumerate(L.observable_terms(obs)):
            circ = L.layer_circuit(c, layers[ell], word)
            assert circ.num_qubits == N + 1
            assert np.abs(qdist.state(circ, p, state=start) - phis[ell, k]).max() < 1e-12


# --------------------------------------------------------------------------------------- param-shift
def test_shift_rules():
    c = mixed_circuit()
    rules = {c.ops[s.op].name + str(s.pos): shift_rule(c.ops[s.op], s.pos) for s in L.angle_slots(c)}
    shifts, coeffs = rules["CRX0"]
    cp, cm = (2 + math.sqrt(2)) / 8, (2 - math.sqrt(2)) / 8
    assert np.allclose(shifts, [np.pi / 2, 3 * np.pi / 2, -3 * np.pi / 2, -np.pi / 2])
    assert np.allclose(coeffs, [cp, -cm, cm, -cp])
    for key in ("RX0", "U0", "U2", "PHASE0", "CPHASE0", "CU1", "CU2"):
        assert np.allclose(rules[key][0], [np.pi / 2, -np.pi / 2]) and np.allclose(rules[key][1], [0.5, -0.5])
    assert len(rules["CU0"][0]) == 4


def test_param_shift_exact_general_gates():
    """Exact shifted expectations (shots=None) reproduce the adjoint gradient through U, PHASE, CRX,
    CU, CPHASE, data re-upload and shared/affine parameters."""
    c = mixed_circuit()
    obs = random_observable(3, terms=4)
    for seed in range(2):
        p = params_for(c, seed)
        data = np.random.default_rng(seed).normal(size=c.num_data)
        _, g = qdist.value_and_grad(c, p, obs, data=data)
        r = qdist.grad(c, p, obs, method="param-shift", data=data)
        assert np.abs(r.value - g).max() < 1e-10
        assert r.copies == 0 and r.circuits == sum(r.extra["rule_terms"])
        assert sorted(r.extra["rule_terms"]) == [2] * 8 + [4, 4]  # CRX θ and CU θ: 4-term rule


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_param_shift_unbiased(seed):
    """|est − exact| ≤ 5σ per component, σ from the exact binomial variances.
    False failure ≤ 30 components × 5.7e-7 ≈ 2e-5 per circuit (Gaussian limit, shots = 4000)."""
    c = random_pauli_circuit(seed)
    obs = random_observable(seed, terms=3)
    p = params_for(c, seed)
    _, g = qdist.value_and_grad(c, p, obs)
    r = qdist.grad(c, p, obs, method="param-shift", shots=4000, seed=seed)
    sigma = np.array(r.extra["exact_std_error"])
    assert np.all(np.abs(r.value - g) <= 5 * sigma + 1e-12)
    live = sigma > 0.01
    # empirical vs exact standard error: relative error of a variance from 4000 shots is ~2%
    assert np.all(np.abs(r.std_error[live] / sigma[live] - 1) < 0.2)


# --------------------------------------------------------------------------------------- shadow
@pytest.mark.parametrize("basis", ["derandomized", "random"])
@pytest.mark.parametrize("seed", [20, 21])
def test_shadow_unbiased(seed, basis):
    """|est − exact| ≤ 5σ per component; σ from the exact single-shot (or single-snapshot) variance.
    False failure ≈ 30 × 5.7e-7 per case for the derandomised mean; the random-basis median of means
    (10 groups, σ inflated by √(π/2)) is slightly biased (O(σ/√T)), still far inside 5σ."""
    c = random_pauli_circuit(seed)
    obs = random_observable(seed, terms=2)
    p = params_for(c, seed)
    _, g = qdist.value_and_grad(c, p, obs)
    r = qdist.grad(c, p, obs, method="shadow", shots=4000, seed=seed, basis=basis)
    sigma = np.array(r.extra["exact_std_error"])
    assert np.all(np.abs(r.value - g) <= 5 * sigma + 1e-12)
    live = sigma > 0.01
    assert np.all(np.abs(r.std_error[live] / sigma[live] - 1) < 0.3)
    assert r.extra["ancilla_wire"] == N


def test_error_shrinks_like_one_over_sqrt_copies():
    """Mean squared error / exact variance ≈ 1 at every budget (so the error is σ₁/√shots), and the
    exact standard error scales exactly as 1/√shots. 40 repetitions × P components → the normalised
    MSE is a χ²_N/N with N ≥ 200: 1 ± 0.1; bounds [0.5, 1.6] fail with probability < 1e-5."""
    c = random_pauli_circuit(30, blocks=2)
    obs = qdist.pauli("ZZ", (0, 2))
    p = params_for(c, 30)
    _, g = qdist.value_and_grad(c, p, obs)
    for method in ("param-shift", "shadow"):
        rms, sig1 = [], None
        for shots in (100, 1600):
            errs, sig = [], None
            for rep in range(40):
                r = qdist.grad(c, p, obs, method=method, shots=shots, seed=1000 * shots + rep)
                sig = np.array(r.extra["exact_std_error"])
                errs.append(r.value - g)
            errs = np.array(errs)
            live = sig > 1e-3
            nmse = np.mean((errs[:, live] / sig[live]) ** 2)
            assert 0.5 < nmse < 1.6, (method, shots, nmse)
            if sig1 is None:
                sig1 = sig * math.sqrt(shots)
            assert np.allclose(sig * math.sqrt(shots), sig1, rtol=1e-9)
            rms.append(math.sqrt(np.mean(errs[:, live] ** 2)))
        assert 2.5 < rms[0] / rms[1] < 6.4  # √16 = 4 (ratio of two χ² means, N ≥ 200)


# --------------------------------------------------------------------------------------- resources
def test_resource_counts():
    c = random_pauli_circuit(40)
    obs = qdist.pauli_sum(
        {"ZZI": 1.0, "IZZ": 0.5, "XII": 0.3, "IXX": -0.2}
    )  # qwc groups: {ZZI,IZZ} {XII,IXX}
    p = params_for(c, 40)
    J = len(L.angle_slots(c))
    r = qdist.grad(c, p, obs, method="param-shift", shots=50, seed=1)
    assert r.extra["groups"] == 2
    assert r.circuits == 2 * J and r.copies == 2 * J * 50 * 2 and r.shots == r.copies
    r = qdist.grad(c, p, obs, method="param-shift", shots=50, seed=1, grouping="terms")
    assert r.copies == 2 * J * 50 * 4
    layers = L.find_layers(c)
    r = qdist.grad(c, p, obs, method="shadow", shots=70, seed=1)
    assert r.circuits == len(layers) * 4 and r.copies == len(layers) * 4 * 70
    r = qdist.grad(c, p, obs, method="spsa", shots=30, seed=1, samples=5)
    assert r.circuits == 10 and r.copies == 2 * 5 * 30 * 2
    r = qdist.grad(c, p, obs, method="tomography", seed=1, epsilon=0.3)
    ex = r.extra
    assert r.circuits == 1 and ex["runs"] == 1 and ex["converged"]
    assert r.copies == ex["rounds"] * ex["batch_size"][0] + ex["updates"] * ex["estimate_size"][0]
    for method in ("param-shift", "shadow"):
        assert qdist.grad(c, p, obs, method=method).copies == 0


# --------------------------------------------------------------------------------------- spsa
def test_spsa_bias_and_unbiasedness_for_its_mean():
    """SPSA is biased by O(c²): with exact f the mean over all 2^P directions differs from ∇f, the
    difference shrinks ~4× when c halves, and it equals (tan c/c) times the gradient averaged over the
    ±c perturbations. With shots it is unbiased for that mean:
    |mean − E_Δ ĝ| ≤ 5·std_error (std_error from 600 directions; false failure ~1e-5)."""
    ops = [qdist.gate("RX", 0, 0), qdist.gate("RY", 1, 1), qdist.gate("CX", (0, 1)), qdist.gate("RY", 0, 2)]
    c = qdist.make_circuit(2, ops)
    obs = qdist.pauli("ZX", (0, 1))
    p = np.array([0.4, 1.1, -0.7])
    _, g = qdist.value_and_grad(c, p, obs)
    dirs = np.array(np.meshgrid(*[[-1.0, 1.0]] * 3)).reshape(3, -1).T

    def expected(cc):
        f = qdist.expval(c, np.concatenate([p + cc * dirs, p - cc * dirs]), obs)
        return np.mean(((f[:8] - f[8:]) / (2 * cc))[:, None] * dirs, axis=0)

    b1, b2 = np.abs(expected(0.2) - g).max(), np.abs(expected(0.1) - g).max()
    assert 1e-4 < b1 < 0.05 and 3.0 < b1 / b2 < 5.0
    # one Pauli rotation per parameter: E[ĝ] = (tan c/c)·E_Δ[∇f(θ + cΔ)] exactly (used by the benchmark)
    avg = np.mean([qdist.value_and_grad(c, p + 0.2 * d, obs)[1] for d in dirs], axis=0)
    assert np.abs(expected(0.2) - math.tan(0.2) / 0.2 * avg).max() < 1e-12
    r = qdist.grad(c, p, obs, method="spsa", shots=200, seed=3, samples=600, c=0.2)
    assert np.all(np.abs(r.value - expected(0.2)) <= 5 * r.std_error)
    assert r.extra["biased"] and r.copies == 2 * 600 * 200
    one = qdist.grad(c, p, obs, method="spsa", shots=10, seed=3)
    assert np.all(np.isnan(one.std_error))


# --------------------------------------------------------------------------------------- tomography
def test_tomography_meets_epsilon_with_probability():
    """max_j |est − exact| ≤ ε·(chain factors) in ≥ (1 − δ) of the runs. With δ = 0.2 and 8 seeds the
    count of successes is ≥ Binomial(8, 0.8); requiring ≥ 5 fails with probability ≤ 0.06 even at the
    worst case allowed, and the analysis (union bounds) predicts failures ≪ δ, i.e. 8/8."""
    c = random_pauli_circuit(50, blocks=2)
    obs = random_observable(50, terms=2)
    p = params_for(c, 50)
    _, g = qdist.value_and_grad(c, p, obs)
    wins = 0
    for seed in range(8):
        r = qdist.grad(c, p, obs, method="tomography", epsilon=0.25, delta=0.2, seed=seed)
        assert r.extra["converged"]
        wins += bool(np.all(np.abs(r.value - g) <= r.std_error + 1e-12))
    assert wins >= 5, wins
    r = qdist.grad(c, p, obs, method="tomography", epsilon=0.25, delta=0.2, seed=0, construction="layer")
    assert np.all(np.abs(r.value - g) <= r.std_error + 1e-12)
    assert r.extra["runs"] == len(L.find_layers(c)) * 2 and r.circuits == r.extra["runs"]


def test_tomography_family_and_threshold_search():
    """tr(ρB_{jk}) of the whole-circuit construction = −∂f_k/∂φ_j; dense B and the fast traces agree;
    a hypothesis equal to ρ on every observable passes the first threshold search (no update)."""
    c = random_pauli_circuit(60, blocks=2)
    obs = random_observable(60, terms=2)
    p = params_for(c, 60)
    fam, truth, slots, terms = T.circuit_family(c, p, obs)
    slot_grad = np.zeros(len(slots))
    for k, (ck, word) in enumerate(terms):
        single = qdist.Observable((1.0,), (word,))
        # finite slot derivatives via the exact shadow method on a one-term observable
        r = qdist.grad(c, p, single, method="shadow")
        assert np.allclose(
            L.chain_matrix(slots, c.num_params) @ -truth.reshape(len(slots), -1)[:, k], r.value
        )
        slot_grad += ck * -truth.reshape(len(slots), -1)[:, k]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(fam.d, fam.d)) + 1j * rng.normal(size=(fam.d, fam.d))
    sigma = x @ x.conj().T
    sigma /= np.trace(sigma)
    dense = np.array([np.trace(sigma @ fam.dense(b)).real for b in range(fam.size)])
    assert np.abs(fam.traces(sigma) - dense).max() < 1e-12
    flat = fam.traces(np.eye(fam.d) / fam.d)  # truth = what σ = I/d predicts
    run = T.shadow_tomography(fam, flat, 0.2, 0.05, np.random.default_rng(1))
    assert run.converged and run.updates == 0 and run.rounds == 1 and run.copies == run.batch_size


# --------------------------------------------------------------------------------------- inputs, seeds
def test_bad_inputs():
    c = random_pauli_circuit(70, blocks=1)
    p = params_for(c, 70)
    z = qdist.pauli("Z", (0,))
    for method in ("param-shift", "shadow", "spsa"):
        for shots in (0, -5, 2.5, True):
            with pytest.raises(ValueError, match="^shots: "):
                qdist.grad(c, p, z, method=method, shots=shots, seed=0)
        with pytest.raises(ValueError, match="^bogus: unknown option for method"):
            qdist.grad(c, p, z, method=method, shots=10, seed=0, bogus=1)
        with pytest.raises(ValueError, match="^seed: "):
            qdist.grad(c, p, z, method=method, shots=10)
        with pytest.raises(ValueError, match="^observable: "):
            qdist.grad(c, p, qdist.pauli("Z", (N,)), method=method, shots=10, seed=0)
        with pytest.raises(ValueError, match="^params: "):
            qdist.grad(c, p[:-1], z, method=method, shots=10, seed=0)
    bad = {
        "shadow": [{"basis": "sobol"}, {"basis": "random", "groups": 20}],
        "spsa": [{"samples": 0}, {"c": 0.0}, {"c": -1}],
        "param-shift": [{"grouping": "greedy"}],
    }
    for method, cases in bad.items():
        for opts in cases:
            name = next(iter(opts)) if "groups" not in opts else "groups"
            with pytest.raises(ValueError, match=f"^{name}: "):
                qdist.grad(c, p, z, method=method, shots=10, seed=0, **opts)
    for opts, name in (({"epsilon": 0}, "epsilon"), ({"delta": 1.0}, "delta"), ({"shots": 10}, "shots")):
        with pytest.raises(ValueError, match=f"^{name}: "):
            qdist.grad(c, p, z, method="tomography", seed=0, **opts)
    with pytest.raises(ValueError, match="^construction: "):
        qdist.grad(c, p, z, method="tomography", seed=0, construction="whole")


def test_seeds_reproducible():
    c = random_pauli_circuit(81, blocks=2)
    p = params_for(c, 81)
    obs = qdist.pauli_sum({"ZXI": 1.0, "IYZ": -0.5})
    for method, opts in (
        ("param-shift", {"shots": 50}),
        ("shadow", {"shots": 50}),
        ("shadow", {"shots": 50, "basis": "random"}),
        ("spsa", {"shots": 50, "samples": 3}),
        ("tomography", {"epsilon": 0.1}),
    ):
        a = qdist.grad(c, p, obs, method=method, seed=7, **opts)
        b = qdist.grad(c, p, obs, method=method, seed=7, **opts)
        d = qdist.grad(c, p, obs, method=method, seed=8, **opts)
        assert np.array_equal(a.value, b.value) and a.copies == b.copies
        assert not np.array_equal(a.value, d.value)
        k1 = qdist.grad(c, p, obs, method=method, seed=jax.random.PRNGKey(7), **opts)
        k2 = qdist.grad(c, p, obs, method=method, seed=jax.random.PRNGKey(7), **opts)
        assert np.array_equal(k1.value, k2.value)
