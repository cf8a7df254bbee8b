"""Distributed amplitude estimation for sign⟨w, x⟩ (docs/concepts/protocols.md#linear-classifiers):
the simulated measurement distribution against the closed-form phase-estimation distribution, the
decision's failure rate at a margin near 1/√N against the binomial, the ledger against the closed
form, and the quadratic separation from the Gap-Hamming lower bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from qdist.network.amplitude_estimation import (
    RUN_SUCCESS,
    majority_failure,
    qae_cost,
    qae_distribution,
    qae_grid,
    qae_repetitions,
    reflect_a,
    reflect_b,
    reflections,
    vote,
)
from qdist.network.linear import gap_hamming_bits, linear_cost, run_linear


def _unit(v):
    return v / np.linalg.norm(v)


def _instance(N: int, f: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """x, w ∈ ℝᴺ with ⟨ŵ, x̂⟩ = f exactly (random directions)."""
    xh = _unit(rng.normal(size=N))
    u = rng.normal(size=N)
    u = _unit(u - (u @ xh) * xh)
    return xh * rng.uniform(0.5, 2.0), f * xh + math.sqrt(1 - f * f) * u


def _phase_estimation(theta: float, M: int) -> np.ndarray:
    """Textbook QPE on a state with equal weight on eigenphases ±2θ:
    P(y) = ½(|D(2θ − 2πy/M)|² + |D(−2θ − 2πy/M)|²), D(α) = (1/M) Σ_k e^{ikα}."""
    k, y = np.arange(M), np.arange(M)

    def fejer(a):
        return np.abs(np.exp(1j * np.outer(a, k)).sum(axis=1) / M) ** 2

    return 0.5 * (fejer(2 * theta - 2 * np.pi * y / M) + fejer(-2 * theta - 2 * np.pi * y / M))


@pytest.mark.parametrize("N, M", [(2, 8), (3, 5), (8, 32), (13, 51)])
def test_distribution_is_phase_estimation_of_the_grover_angle(N, M):
    rng = np.random.default_rng(N)
    d = 2 ** max(1, (N - 1).bit_length())
    x, w = rng.normal(size=N), rng.normal(size=N)
    xh, wh = np.pad(_unit(x), (0, d - N)), np.pad(_unit(w), (0, d - N))
    f = float(xh @ wh)
    psi, R_A, R_B = reflections(xh, wh)
    assert np.allclose(R_A @ R_A, np.eye(2 * d)) and np.allclose(R_B @ R_B, np.eye(2 * d))
    assert psi @ R_B @ psi == pytest.approx(-f, abs=1e-12)  # ⟨ψ|I − 2Π|ψ⟩ = 1 − 2p = −f
    theta = math.asin(math.sqrt((1 + f) / 2))
    P = qae_distribution(xh, wh, M)
    assert np.abs(P - _phase_estimation(theta, M)).max() < 1e-12
    # BHMT: one of the grid points within π/M of θ or of π − θ carries probability ≥ 8/π²
    grid = np.pi * np.arange(M) / M
    near = (np.abs(grid - theta) <= np.pi / M + 1e-12) | (np.abs(grid - (np.pi - theta)) <= np.pi / M + 1e-12)
    assert P[near].sum() >= RUN_SUCCESS


def test_structured_reflections_equal_the_dense_matrices():
    rng = np.random.default_rng(11)
    for d in (2, 8, 32):
        xh, wh = _unit(rng.normal(size=d)), _unit(rng.normal(size=d))
        psi, R_A, R_B = reflections(xh, wh)
        rows = rng.normal(size=(5, 2 * d))
        np.testing.assert_allclose(reflect_a(rows, psi), rows @ R_A.T, rtol=0, atol=1e-13)
        np.testing.assert_allclose(reflect_b(rows, wh), rows @ R_B.T, rtol=0, atol=1e-13)
    e0 = np.eye(4)[0]  # ŵ = e₀: no Householder reflection
    _, _, R_B = reflections(_unit(rng.normal(size=4)), e0)
    rows = rng.normal(size=(3, 8))
    np.testing.assert_allclose(reflect_b(rows, e0), rows @ R_B.T, rtol=0, atol=1e-13)


def test_grid_and_repetitions_closed_forms():
    for g in (1.0, 0.5, 0.3, 0.25, 1 / 8, 1 / 32, 1 / 1024):
        M = qae_grid(g)
        assert M > 2 * math.pi / math.asin(g) >= M - 1
    for dlt in (0.3, 0.05, 0.01, 1e-6):
        R = qae_repetitions(dlt)
        assert R % 2 == 1 and majority_failure(R) <= dlt
        assert R == 1 or majority_failure(R - 2) > dlt
        assert R <= math.ceil(math.log(1 / dlt) / (2 * (RUN_SUCCESS - 0.5) ** 2)) + 1  # Hoeffding
    assert qae_repetitions(0.05) == 7
    assert vote(np.array([0, 7, 8, 9, 23, 24, 25, 31]), 32).tolist() == [-1, -1, 0, 1, 1, 0, -1, -1]
    assert vote(np.array([0, 6, 7, 20, 21]), 27).tolist() == [-1, -1, 1, 1, -1]  # 27/4 = 6.75


def test_decision_correct_with_probability_one_minus_delta_near_worst_margin():
    """N = 16, margin parameter γ = 1/√N = 0.25, instances with ⟨ŵ, x̂⟩ = ±0.26, δ = 0.05.

    For each seeded trial the exact per-run success q (probability mass of the correct vote) gives
    the exact failure probability of the majority, `majority_failure(R, q)`; it must be ≤ δ (the
    protocol's guarantee), and the observed number of wrong decisions must be consistent with the
    sum of those exact probabilities: failures ~ Poisson-binomial with mean μ; we reject if the count
    exceeds the 1 − 10⁻⁴ quantile of Binomial(T, δ) (which dominates it). The T·R individual votes
    are checked against their exact mean and variance (5σ)."""
    N, T, dlt = 16, 300, 0.05
    rng = np.random.default_rng(2026)
    M = qae_grid(0.25)
    R = qae_repetitions(dlt)
    wrong, mu = 0, 0.0
    bad_votes, bad_mean, bad_var = 0, 0.0, 0.0  # the individual runs' wrong votes
    for trial in range(T):
        f = 0.26 if trial % 2 else -0.26
        x, w = _instance(N, f, rng)
        r = run_linear(x, w, margin=0.25, delta=dlt, seed=trial, scheme="amplitude-estimation")
        assert r["exact_decision"] == (1 if f > 0 else -1)
        P = qae_distribution(_unit(x), _unit(w), M)
        q = float(P[vote(np.arange(M), M) == r["exact_decision"]].sum())
        assert q >= RUN_SUCCESS - 1e-12
        fail = majority_failure(R, q)
        assert fail <= dlt
        mu += fail
        wrong += r["decision"] != r["exact_decision"]
        bad_votes += sum(v != r["exact_decision"] for v in r["amplitude_estimation"]["votes"])
        bad_mean += R * (1 - q)
        bad_var += R * q * (1 - q)
    assert wrong <= binom.isf(1e-4, T, dlt)
    # and not suspiciously few either, relative to the exact mean (Poisson tail P(0) = e^{−μ})
    assert wrong > 0 or math.exp(-mu) > 1e-4
    # the runs' votes are sampled from the exact distribution: wrong votes within 5σ of their mean
    assert abs(bad_votes - bad_mean) <= 5 * math.sqrt(bad_var)


@pytest.mark.parametrize(
    "N, margin, dlt", [(2, "sqrtN", 0.05), (5, 0.4, 0.1), (16, "sqrtN", 0.01), (32, 0.9, 0.2)]
)
def test_ledger_equals_closed_form(N, margin, dlt):
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=N), rng.normal(size=N)
    r = run_linear(x, w, margin=margin, delta=dlt, seed=3, scheme="amplitude-estimation")
    assert (
        r["ledger"].totals()
        == r["formula"].to_dict()
        == linear_cost(N, "amplitude-estimation", margin, dlt).to_dict()
    )
    n = max(1, (N - 1).bit_length())
    recs = list(r["ledger"])
    M = qae_grid(r["margin"])
    R = qae_repetitions(dlt)
    assert (recs[0].sender, recs[0].size, recs[0].count, recs[0].copies) == ("alice", n + 1, R, R)
    rounds = recs[1:-1]
    assert len(rounds) == 2 * (M - 1)
    assert all(m.size == n + 2 and m.count == R for m in rounds)
    assert [m.sender for m in rounds] == ["bob", "alice"] * (M - 1)
    assert (recs[-1].kind, recs[-1].size, recs[-1].receiver) == ("classical", 1, "alice")
    # privacy: both parties send and receive qubits, so the two-way Holevo bound applies to each
    assert all(p["bound_that_applies"] == "two-way" for p in r["privacy"]["holevo"].values())


def test_quadratic_separation_at_the_worst_margin():
    R = qae_repetitions(0.05)
    for k in range(4, 61, 2):
        N = 2**k
        q = qae_cost(N, 1 / math.sqrt(N), 0.05)
        rounds = 2 * (q.messages - 1 - R) // (2 * R)  # 2(M − 1) per run
        M = rounds // 2 + 1
        # arcsin γ ≥ γ: 2π√N(1 − 1/N) < 2π/arcsin(1/√N) < M ≤ 2π√N + 1
        assert M == qae_grid(1 / math.sqrt(N))
        assert 2 * math.pi * math.sqrt(N) * (1 - 1 / N) < M <= 2 * math.pi * math.sqrt(N) + 1
        assert q.qubits == R * ((k + 1) + 2 * (M - 1) * (k + 2))
        assert gap_hamming_bits(N, "sqrtN") == N
        ratio = q.qubits / (math.sqrt(N) * k)
        assert 4 * math.pi * R * 0.99 < ratio < 4 * math.pi * R * (1 + 3 / k)  # ≈ 4πR √N log₂N
    # quadratic: the amplitude-estimation protocol beats the sampling protocol and, eventually,
    # the classical lower bound and ship-the-data
    big = 2**40
    ae = linear_cost(big, "amplitude-estimation", "sqrtN", 0.05).communication
    assert ae < gap_hamming_bits(big, "sqrtN") < linear_cost(big, "ship-data", "sqrtN", 0.05).communication
    # against the sampling protocol: S(γ,δ)(n+1) / [R·2M(n+2)] ≈ 2 ln(40)·N / (14·M), M ≈ 2π√N,
    # so the ratio grows like √N (≈ 2 ln 40/(28π) √N ≈ 0.084 √N)
    for k in (20, 40, 60):
        N = 2**k
        sampling = linear_cost(N, "quantum", "sqrtN", 0.05).communication
        ae = linear_cost(N, "amplitude-estimation", "sqrtN", 0.05).communication
        assert 0.08 * math.sqrt(N) < sampling / ae < 0.09 * math.sqrt(N)
    assert gap_hamming_bits(10**6, 0.1) == 100


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"^margin: expected"):
        qae_grid(0.0)
    with pytest.raises(ValueError, match=r"^delta:"):
        qae_repetitions(1.5)
    with pytest.raises(ValueError, match=r"^margin:"):
        gap_hamming_bits(16, -1)


def test_schemes_and_crossovers_at_the_worst_margin():
    from qdist.reports.crossovers import _first_cheaper, crossovers
    from qdist.reports.schemes import schemes_for
    from qdist.reports.simulate import simulate_point

    cfg = {"epsilon": 0.1, "delta": 0.05, "bits": 32, "layers": 2, "parties": 2}
    cfg |= {"schedule": "pipeline", "model": "diag", "margin": "sqrtN"}
    sch = {s.name: s for s in schemes_for("inference", cfg)}
    ae, lb = sch["linear-amplitude-estimation"], sch["linear-lower-bound"]
    assert (ae.kind, ae.problem, lb.kind, lb.problem) == ("quantum", "linear", "lower-bound", "linear")
    assert lb.cost(2**30).classical_bits == 2**30
    assert simulate_point("inference", lb, 16, cfg, 0) is None  # a bound: nothing to simulate
    assert simulate_point("inference", ae, 16, cfg, 0) == ae.cost(16)
    grid = [2**k for k in range(1, 61)]
    cross = crossovers(list(sch.values()), grid)["linear-amplitude-estimation"]
    # checked by brute force over every N: the first N from which every larger N is cheaper
    assert cross["vs"] == {"linear-ship-data": 1277, "linear-sketch": 5255}
    comm = lambda s: lambda N: s.cost(N).communication  # noqa: E731
    assert _first_cheaper(comm(ae), comm(lb), grid) == 4836120
    assert comm(ae)(4836119) >= comm(lb)(4836119) and comm(ae)(4836120) < comm(lb)(4836120)
    assert crossovers(list(sch.values()), grid)["linear-quantum"]["vs_best_classical"] is None
