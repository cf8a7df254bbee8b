"""Classical shadows (docs/concepts/shadows.md#classical-shadows): agreement with PennyLane, exact sampling, unbiasedness, 1/√T
error scaling, global Clifford fidelities and input validation. Fixed seeds throughout; statistical
tolerances are derived in the comments next to them."""

from __future__ import annotations

import os

import jax
import numpy as np
import pennylane as qml
import pytest
from scipy import stats

import qdist
import shadows
from shadows.clifford import clifford_unitaries
from shadows.estimate import parse_observables, snapshot_values

H = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
SDG = np.diag([1, -1j])
BASIS = {0: H, 1: H @ SDG, 2: np.eye(2)}  # PennyLane's diagonalising gates for X, Y, Z
PL_OPS = {"X": qml.X, "Y": qml.Y, "Z": qml.Z}


# ---------------------------------------------------------------------- helpers
def random_circuit(n: int, layers: int, seed: int):
    """Random rotations + CNOT ladders, with its parameter vector."""
    rng = np.random.default_rng(seed)
    ops, p = [], 0
    for _ in range(layers):
        for q in range(n):
            for name in ("RY", "RZ", "RX"):
                ops.append(qdist.gate(name, q, p))
                p += 1
        for q in range(n - 1):
            ops.append(qdist.gate("CNOT", (q, q + 1)))
    return qdist.make_circuit(n, ops), rng.uniform(-np.pi, np.pi, p)


def random_words(n: int, count: int, max_weight: int, seed: int, min_weight: int = 1):
    rng = np.random.default_rng(seed)
    words = []
    for _ in range(count):
        w = int(rng.integers(min_weight, max_weight + 1))
        wires = sorted(rng.choice(n, w, replace=False).tolist())
        words.append(tuple((q, "XYZ"[rng.integers(3)]) for q in wires))
    return words


def exact_expvals(circuit, params, words) -> np.ndarray:
    """⟨ψ|P|ψ⟩ from the state and dense Pauli matrices, cross-checked with qdist.expval on two words
    (qdist.expval compiles one function per observable, too slow for dozens)."""
    psi = qdist.state(circuit, params)
    obs = [qdist.pauli_sum([(1.0, dict(w))]) for w in words]
    vals = np.array([np.real(psi.conj() @ o.matrix(circuit.num_qubits) @ psi) for o in obs])
    for i in (0, len(words) - 1):
        assert abs(qdist.expval(circuit, params, obs[i]) - vals[i]) < 1e-10
    return vals


def to_pl(word, coeff: float = 1.0):
    if not word:
        return coeff * qml.Identity(0)
    op = (
        qml.prod(*[PL_OPS[letter](q) for q, letter in word])
        if len(word) > 1
        else PL_OPS[word[0][1]](word[0][0])
    )
    return op if coeff == 1.0 else coeff * op


def born(psi: np.ndarray, recipe, wires) -> np.ndarray:
    """Dense reference: marginal outcome distribution on ``wires`` (qdist order) in basis ``recipe``."""
    n = int(np.log2(psi.size))
    rest = [w for w in range(n) if w not in wires]
    mat = np.transpose(psi.reshape((2,) * n), list(wires) + rest).reshape(2 ** len(wires), -1)
    u = np.array([[1.0]])
    for r in recipe:
        u = np.kron(u, BASIS[r])
    return np.sum(np.abs(u @ mat) ** 2, axis=1)


def outcome_index(bits: np.ndarray) -> np.ndarray:
    k = bits.shape[1]
    return bits.astype(np.int64) @ (1 << np.arange(k - 1, -1, -1))


def chi2_pvalue(counts: np.ndarray, probs: np.ndarray) -> float:
    """Pearson χ² goodness of fit over the cells with p > 0 (each row one multinomial)."""
    chi2, dof = 0.0, 0
    for c, p in zip(np.atleast_2d(counts), np.atleast_2d(probs), strict=True):
        if c.sum() == 0:
            continue
        assert np.all(c[p < 1e-14] == 0), "an outcome of probability 0 was drawn"
        keep = p > 1e-14
        e = c.sum() * p[keep]
        chi2 += float(np.sum((c[keep] - e) ** 2 / e))
        dof += int(keep.sum()) - 1
    return float(stats.chi2.sf(chi2, dof))


# ---------------------------------------------------------------------- PennyLane agreement
@pytest.mark.parametrize("k", [1, 2, 3, 7, 16])
def test_estimate_matches_pennylane(k):
    rng = np.random.default_rng(11)
    T, wires = 1003, (5, 2, 0, 4, 1, 3)
    sh = shadows.Shadow(rng.integers(0, 2, (T, 6)), rng.integers(0, 3, (T, 6)), wires)
    words = random_words(6, 40, 4, seed=k, min_weight=0)
    sums = [[(0.5, words[0]), (-1.25, words[1]), (0.3, ())], [(2.0, words[2]), (0.7, words[3])]]
    pl_obs = [to_pl(w) for w in words] + [qml.sum(*[to_pl(w, c) for c, w in s]) for s in sums]
    ours = [w if w else "I" for w in words] + [qdist.pauli_sum([(c, dict(w)) for c, w in s]) for s in sums]
    ref = shadows.Shadow.to_pennylane(sh).expval(pl_obs, k=k)
    est = shadows.estimate(sh, ours, groups=k)
    np.testing.assert_allclose(est.mean, ref, rtol=0, atol=1e-12)
    # PennyLane operators as input give the same numbers
    np.testing.assert_allclose(shadows.estimate(sh, pl_obs, groups=k).mean, ref, rtol=0, atol=1e-12)


def test_observable_forms_and_std_error():
    rng = np.random.default_rng(3)
    T = 500
    sh = shadows.Shadow(rng.integers(0, 2, (T, 4)), rng.integers(0, 3, (T, 4)))
    forms = ["XIZY", {0: "X", 2: "Z", 3: "Y"}, ((0, "X"), (2, "Z"), (3, "Y")), qdist.pauli("XZY", (0, 2, 3))]
    means = [shadows.estimate(sh, f).mean[0] for f in forms]
    from qiskit.quantum_info import SparsePauliOp

    means.append(shadows.estimate(sh, SparsePauliOp("YZIX")).mean[0])  # Qiskit: rightmost = qubit 0
    assert np.ptp(means) == 0.0
    # per-snapshot values against PennyLane's, and std_error = sample std / √T
    terms = [(0.5, ((0, "X"), (1, "Z"))), (-1.5, ((1, "Y"),)), (0.25, ())]
    obs = qdist.pauli_sum([(c, dict(w)) for c, w in terms])
    from pennylane.shadows.classical_shadow import pauli_expval

    ref = np.zeros(T)
    for c, w in terms:
        word = np.full(4, -1)
        for q, letter in w:
            word[q] = "XYZ".index(letter)
        ref += c * pauli_expval(sh.bits, sh.recipes, word[None, :])[:, 0]
    z = snapshot_values(sh, parse_observables(obs, sh.wires)[0])
    np.testing.assert_allclose(z, ref, atol=1e-12)
    est = shadows.estimate(sh, [obs, terms[0][1]])
    assert est.std_error[0] == pytest.approx(np.std(ref, ddof=1) / np.sqrt(T), rel=1e-10)
    # identity: exact, zero error
    ident = shadows.estimate(sh, [(), qdist.pauli_sum({"IIII": 0.7})])
    np.testing.assert_allclose(ident.mean, [1.0, 0.7])
    np.testing.assert_allclose(ident.std_error, 0.0, atol=1e-12)
    np.testing.assert_allclose(ident.half_width(), 0.0, atol=1e-12)


def test_conversions_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    sh = shadows.Shadow(rng.integers(0, 2, (50, 3)), rng.integers(0, 3, (50, 3)), (2, 0, 7))
    back = shadows.Shadow.from_pennylane(sh.to_pennylane())
    assert (
        back.wires == (2, 0, 7)
        and np.array_equal(back.bits, sh.bits)
        and np.array_equal(back.recipes, sh.recipes)
    )
    path = sh.save(tmp_path / "s.npz")
    loaded = shadows.load(path)
    assert loaded.wires == sh.wires and np.array_equal(loaded.bits, sh.bits)
    assert np.array_equal(loaded.recipes, sh.recipes)
    assert os.listdir(tmp_path) == ["s.npz"]  # no temporary file left behind
    both = shadows.concatenate([sh, sh[:10]])
    assert both.num_snapshots == 60 and sh.concatenate(sh).num_snapshots == 100
    assert np.array_equal(both.bits[50:], sh.bits[:10])
    assert sh.marginal((7, 2)).wires == (7, 2)

    # a shadow measured by PennyLane itself converts as is
    dev = qml.device("default.qubit", wires=[0, 1, 2])

    @qml.set_shots(200)
    @qml.qnode(dev)
    def circuit():
        qml.Hadamard(0)
        qml.CNOT((0, 1))
        qml.RY(0.4, 2)
        return qml.classical_shadow(wires=[2, 0, 1])

    bits, recipes = circuit()
    cs = qml.ClassicalShadow(bits, recipes, wire_map=[2, 0, 1])
    own = shadows.Shadow.from_pennylane(cs)
    assert own.wires == (2, 0, 1)
    obs = [qml.X(0) @ qml.X(1), qml.Z(2), qml.Y(1) @ qml.Z(2)]
    np.testing.assert_allclose(shadows.estimate(own, obs).mean, cs.expval(obs), atol=1e-12)


# ---------------------------------------------------------------------- exact sampling
def test_sampling_matches_born_distribution_fixed_bases():
    psi = qdist.state(*random_circuit(3, 2, seed=1))
    recipes = [(0, 1, 2), (1, 1, 0), (2, 2, 2), (0, 0, 1)]
    counts, probs = [], []
    for i, r in enumerate(recipes):
        sh = shadows.collect_from_state(psi, 20000, seed=i, recipes=np.array(r))
        assert np.all(sh.recipes == np.array(r))
        counts.append(np.bincount(outcome_index(sh.bits), minlength=8))
        probs.append(born(psi, r, (0, 1, 2)))
    counts, probs = np.array(counts), np.array(probs)
    # Pearson χ² over 4 independent multinomials (≤ 28 dof). A correct sampler fails with
    # probability 1e-6; a wrong basis convention gives p-values ~ 0.
    assert chi2_pvalue(counts, probs) > 1e-6
    # total variation per basis within 5 multinomial standard deviations of its expectation:
    # E[TV] ≤ ½ Σ √(p(1−p)/S)
    S = 20000
    for c, p in zip(counts, probs, strict=True):
        tv = 0.5 * np.abs(c / S - p).sum()
        assert tv <= 5 * 0.5 * np.sum(np.sqrt(p * (1 - p) / S))


def test_sampling_random_bases_and_marginal():
    circuit, params = random_circuit(4, 2, seed=2)
    psi = qdist.state(circuit, params)
    for wires in [(0, 1, 2, 3), (3, 1)]:
        sh = shadows.collect(circuit, params, 40000, seed=9, wires=wires)
        assert sh.wires == wires
        k = len(wires)
        rec_index = sh.recipes.astype(np.int64) @ (3 ** np.arange(k - 1, -1, -1))
        counts = np.zeros((3**k, 2**k))
        np.add.at(counts, (rec_index, outcome_index(sh.bits)), 1)
        probs = np.array([born(psi, np.unravel_index(i, (3,) * k), wires) for i in range(3**k)])
        # recipes uniform: χ² on the recipe counts (dof 3^k − 1), then per-basis outcomes given the
        # recipe (dof ≤ 3^k(2^k − 1)); each fails with probability 1e-6 for a correct sampler
        rc = counts.sum(axis=1)
        assert chi2_pvalue(rc, np.full(3**k, 3.0**-k)) > 1e-6
        assert chi2_pvalue(counts, probs) > 1e-6


def test_seeds_and_given_recipes():
    psi = qdist.state(*random_circuit(3, 1, seed=4))
    a = shadows.collect_from_state(psi, 300, 42)
    b = shadows.collect_from_state(psi, 300, 42)
    c = shadows.collect_from_state(psi, 300, 43)
    assert np.array_equal(a.bits, b.bits) and np.array_equal(a.recipes, b.recipes)
    assert not np.array_equal(a.recipes, c.recipes)
    for key in (jax.random.PRNGKey(0), jax.random.key(0)):
        s1 = shadows.collect_from_state(psi, 100, key)
        s2 = shadows.collect_from_state(psi, 100, key)
        assert np.array_equal(s1.bits, s2.bits) and np.array_equal(s1.recipes, s2.recipes)
    fixed = shadows.collect_from_state(psi, 200, 1, recipes=["Y", "*", "Z"])
    assert np.all(fixed.recipes[:, 0] == 1) and np.all(fixed.recipes[:, 2] == 2)
    assert set(np.unique(fixed.recipes[:, 1])) == {0, 1, 2}
    batch = shadows.collect_from_state(np.stack([psi, psi]), 50, 3)
    assert len(batch) == 2 and batch[0].num_snapshots == 50


# ---------------------------------------------------------------------- statistics of the estimates
def test_estimates_unbiased_on_random_circuits():
    words = random_words(5, 60, 3, seed=8)
    for seed in (0, 1):
        circuit, params = random_circuit(5, 3, seed=10 + seed)
        exact = exact_expvals(circuit, params, words)
        sh = shadows.collect(circuit, params, 6000, seed=seed)
        ham = qdist.pauli_sum([(0.5, dict(words[0])), (-0.8, dict(words[1])), (0.3, dict(words[2]))])
        exact_h = 0.5 * exact[0] - 0.8 * exact[1] + 0.3 * exact[2]
        for groups in (1, 10):
            est = shadows.estimate(sh, words + [ham], groups=groups)
            err = np.abs(est.mean - np.append(exact, exact_h))
            # 61 estimates at 5 standard errors: false-failure probability ≈ 61 × 6e-7 (Gaussian
            # approximation; T = 6000 snapshots, ≥ 200 matching ones for weight 3)
            assert np.all(err <= 5 * est.std_error), (groups, np.max(err / est.std_error))
            # the rigorous simultaneous interval (union bound over all 61) holds with prob ≥ 0.99
            lo, hi = est.ci(0.99, simultaneous=True)
            assert np.all((lo <= np.append(exact, exact_h)) & (np.append(exact, exact_h) <= hi))
            # … but only groups = 1 makes that a check: a median of K = 10 means certifies nothing at
            # δ_k = 0.01/61 (K ≤ 2 ln(1/δ_k) ≈ 17.4, Estimate.half_width), so its interval is infinite
            assert np.all(np.isfinite(hi - lo)) == (groups == 1) and np.all(np.isinf(hi - lo)) == (groups > 1)


def test_error_shrinks_like_inverse_sqrt_T():
    circuit, params = random_circuit(4, 2, seed=21)
    words = random_words(4, 20, 2, seed=22)
    exact = exact_expvals(circuit, params, words)
    psi = qdist.state(circuit, params)
    sizes = np.array([250, 1000, 4000, 16000])
    rms = []
    for T in sizes:
        errs = [
            shadows.estimate(shadows.collect_from_state(psi, int(T), seed=1000 * r + int(T)), words).mean
            - exact
            for r in range(6)
        ]
        rms.append(np.sqrt(np.mean(np.square(errs))))
    slope = np.polyfit(np.log(sizes), np.log(rms), 1)[0]
    # each RMS pools 120 errors (6 independent shadows × 20 observables): relative sd ≈ 1/√(2·120)
    # ≈ 6.5% (less independent data → at most ~2×), so sd(slope) ≈ 0.065/√Σ(ln T − mean)² ≈ 0.02–0.04;
    # the window ±0.15 around −1/2 is ≥ 4 sd.
    assert -0.65 <= slope <= -0.35, slope


def test_half_width_formulas():
    rng = np.random.default_rng(0)
    T = 4000
    sh = shadows.Shadow(rng.integers(0, 2, (T, 3)), rng.integers(0, 3, (T, 3)))
    est = shadows.estimate(sh, ["XZI", "ZII"], delta=0.01)
    hoeff = 2 * 3.0 ** np.array([2, 1]) * np.sqrt(np.log(2 / 0.01) / (2 * T))
    cheb = np.sqrt(3.0 ** np.array([2, 1]) / (T * 0.01))
    np.testing.assert_allclose(est.half_width(), np.minimum(hoeff, cheb))
    lo, hi = est.confidence_interval
    np.testing.assert_allclose(hi - lo, 2 * est.half_width())
    assert np.all(est.half_width(0.99, simultaneous=True) > est.half_width(0.99))
    # PennyLane's split would leave an empty group for T = 10, K = 6 (it returns NaN): balanced split
    from shadows.estimate import group_bounds

    np.testing.assert_array_equal(group_bounds(10, 6), [0, 1, 3, 5, 6, 8, 10])
    np.testing.assert_array_equal(group_bounds(10, 4), [0, 3, 6, 9, 10])  # PennyLane's
    assert np.all(np.isfinite(shadows.estimate(sh[:10], ["XZI", "ZII"], groups=6).mean))
    assert shadows.groups_for(0.01, 10) == int(np.ceil(8 * np.log(1000)))
    assert shadows.snapshots_for(0.1, 0.01, 2) == shadows.groups_for(0.01) * 3600


# ---------------------------------------------------------------------- global Clifford shadows
def test_clifford_unitaries_match_qiskit():
    from qiskit.quantum_info import random_clifford

    rng = np.random.default_rng(1)
    for k in (1, 2, 3):
        cliffs = [random_clifford(k, seed=rng) for _ in range(10)]
        ours = clifford_unitaries(np.stack([c.tableau for c in cliffs]))
        for c, u in zip(cliffs, ours, strict=True):
            m = c.to_matrix()
            i = np.argmax(np.abs(m[:, 0]))
            phase = u[i, 0] / m[i, 0]
            assert abs(abs(phase) - 1) < 1e-12
            np.testing.assert_allclose(u, phase * m, atol=1e-12)


def test_clifford_fidelity_estimates():
    circuit, params = random_circuit(3, 2, seed=31)
    psi = qdist.state(circuit, params)
    other = qdist.state(*random_circuit(3, 2, seed=32))
    cs = shadows.collect_clifford(circuit, 3000, seed=5, params=params)
    assert cs.num_snapshots == 3000 and cs.clifford(0).num_qubits == 3
    targets = np.stack([psi, other, (psi + other) / np.linalg.norm(psi + other)])
    exact = np.abs(targets.conj() @ psi) ** 2
    est = shadows.estimate_fidelity(cs, targets)
    # 3 estimates at 5 standard errors (median of 24 means; std_error includes the √(π/2) factor)
    assert np.all(np.abs(est.mean - exact) <= 5 * est.std_error), (est.mean, exact, est.std_error)
    lo, hi = est.ci(0.99, simultaneous=True)
    assert np.all((lo <= exact) & (exact <= hi))
    # a marginal: wires (2, 0) of the 3-qubit state; fidelity of a pure 2-qubit target with ρ_A
    cs2 = shadows.collect_clifford(psi, 3000, seed=6, wires=(2, 0))
    mat = np.transpose(psi.reshape(2, 2, 2), (2, 0, 1)).reshape(4, 2)
    rho = mat @ mat.conj().T
    phi = np.linalg.eigh(rho)[1][:, -1]
    est2 = shadows.estimate_fidelity(cs2, phi, groups=1)
    assert abs(est2.mean[0] - np.real(phi.conj() @ rho @ phi)) <= 5 * est2.std_error[0]


# ---------------------------------------------------------------------- bad inputs
def _one_line(exc_info, prefix):
    msg = str(exc_info.value)
    assert msg.startswith(prefix) and "\n" not in msg, msg


def test_bad_inputs():
    rng = np.random.default_rng(0)
    sh = shadows.Shadow(rng.integers(0, 2, (20, 3)), rng.integers(0, 3, (20, 3)), (0, 1, 5))
    psi = qdist.zero_state(2)
    cases = [
        (lambda: shadows.estimate(sh, "XXXZ"), "observables:"),  # wider than the shadow
        (lambda: shadows.estimate(sh, {2: "X"}), "observables:"),  # wire not in the shadow
        (lambda: shadows.estimate(sh, qdist.pauli("Z", (4,))), "observables:"),
        (lambda: shadows.estimate(sh, "XAZ"), "observables:"),  # not a Pauli letter
        (lambda: shadows.estimate(sh, []), "observables:"),
        (lambda: shadows.estimate(sh, "XII", groups=21), "groups:"),
        (lambda: shadows.estimate(sh, "XII", groups=0), "groups:"),
        (lambda: shadows.estimate(sh, "XII", delta=1.5), "delta:"),
        (lambda: shadows.collect_from_state(psi, 0, 1), "snapshots:"),
        (lambda: shadows.collect_from_state(psi, -3, 1), "snapshots:"),
        (lambda: shadows.collect_from_state(psi, 2.5, 1), "snapshots:"),
        (lambda: shadows.collect_from_state(psi, 5, 1, wires=(0, 2)), "wires:"),
        (lambda: shadows.collect_from_state(psi, 5, 1, recipes=np.zeros((4, 2), int)), "recipes:"),
        (lambda: shadows.collect_from_state(psi, 5, 1, recipes=["X", "Q"]), "recipes:"),
        (lambda: shadows.collect_from_state(np.ones(4), 5, 1), "psi:"),
        (lambda: shadows.Shadow(np.zeros((3, 2), int), np.full((3, 2), 3)), "recipes:"),
        (lambda: shadows.collect_clifford(psi, 0, 1), "snapshots:"),
        (
            lambda: shadows.estimate_fidelity(shadows.collect_clifford(psi, 4, 1), np.ones(8) / np.sqrt(8)),
            "target_state:",
        ),
    ]
    for fn, prefix in cases:
        with pytest.raises(ValueError) as info:
            fn()
        _one_line(info, prefix)
    with pytest.raises(TypeError) as info:
        shadows.collect_from_state(psi, 5, 1.5)
    _one_line(info, "seed:")
