"""The importance-sampling protocol of the easy instances (qdist.network.importance).

References: the decomposition f = A + Σ v·u against the simulator's expectation value and finite
differences of it; the sampled estimates against Hoeffding's guarantee (failure ≤ δ); the ledger
against the closed form.
"""

import math

import numpy as np
import pytest
from scipy.stats import binom

import qdist
from qdist.network.importance import (
    decompose,
    importance_applies,
    importance_gradient_cost,
    importance_inference_cost,
    run_importance_gradient,
    run_importance_inference,
)
from qdist.network.model import ModelSpec, encode_samples, random_instance
from qdist.network.spec import DEFAULT_MODEL, flat_circuit


def _easy(N, layers=2):
    return ModelSpec(features=N, layers=layers, parties=2, model="diag")


def _reference(spec, x, theta):
    psi, data = encode_samples(spec, x)
    obs = qdist.pauli("Z" + "I" * (spec.n - 1))
    c = flat_circuit(spec)
    f = lambda t: float(qdist.expval(c, t, obs, state=psi[0], data=data[0]))  # noqa: E731
    return f


@pytest.mark.parametrize("N,layers", [(2, 2), (4, 2), (8, 3), (16, 2)])
def test_decomposition_is_exact(N, layers):
    spec = _easy(N, layers)
    x, theta = random_instance(spec, N)
    f = _reference(spec, x, theta)
    parts = decompose(spec, x, theta)
    assert parts["A"] + np.real(np.sum(parts["v"] * parts["u"])) == pytest.approx(f(theta), abs=1e-12)
    assert np.sum(np.abs(parts["v"])) <= 1 + 1e-12  # Λ ≤ 1: the estimator's range
    assert np.allclose(np.abs(parts["u"]), 1)


def test_gradient_decomposition_matches_finite_differences():
    spec = _easy(8)
    x, theta = random_instance(spec, 3)
    f = _reference(spec, x, theta)
    h = 1e-5
    fd = np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    r = run_importance_gradient(spec, x, theta, 0.1, 0.05, seed=0)
    assert np.max(np.abs(r["exact"] - fd)) < 1e-8


def test_inference_is_within_epsilon_with_probability_one_minus_delta():
    spec, eps, dlt, trials = _easy(8), 0.1, 0.05, 200
    x, theta = random_instance(spec, 5)
    fails = 0
    for seed in range(trials):
        r = run_importance_inference(spec, x, theta, eps, dlt, seed)
        fails += abs(r["estimate"] - r["exact"]) > eps
    # failures ~ Binomial(trials, p ≤ δ): reject only beyond its 1 − 1e-4 quantile
    assert fails <= binom.ppf(1 - 1e-4, trials, dlt)


def test_gradient_is_within_epsilon_everywhere():
    # δ = 1e-3: every one of the P derivatives within ε with probability ≥ 0.999 (union bound)
    spec = _easy(8)
    for seed in range(2):
        x, theta = random_instance(spec, 10 + seed)
        r = run_importance_gradient(spec, x, theta, 0.1, 1e-3, seed)
        assert np.max(np.abs(r["gradient"] - r["exact"])) <= 0.1


@pytest.mark.parametrize("N", [2, 4, 16])
@pytest.mark.parametrize("bits", [32, 64])
def test_ledgers_equal_the_closed_forms(N, bits):
    spec = _easy(N)
    x, theta = random_instance(spec, 0)
    inf = run_importance_inference(spec, x, theta, 0.2, 0.1, 0, bits)
    assert inf["ledger"].totals() == importance_inference_cost(spec, 0.2, 0.1, bits).to_dict()
    grad = run_importance_gradient(spec, x, theta, 0.2, 0.1, 0, bits)
    assert grad["ledger"].totals() == importance_gradient_cost(spec, 0.2, 0.1, bits).to_dict()


def test_cost_is_polylogarithmic_in_N():
    # O((n + b)/ε²) bits: from N = 2^10 to 2^60 the inference cost grows by less than 3×
    small = importance_inference_cost(_easy(2**10), 0.1, 0.05).communication
    large = importance_inference_cost(_easy(2**60), 0.1, 0.05).communication
    assert large < 3 * small
    S = math.ceil(2 * math.log(2 / 0.05) / 0.1**2)
    assert large == 2 * 60 * 32 + S * (60 + 32) + 3 * 32


def test_where_it_applies():
    assert importance_applies(_easy(8)) is None  # L = 2, K = 2: Bob holds the last layer only
    assert importance_applies(ModelSpec(features=8, layers=3, parties=2, model="diag")) is None
    assert importance_applies(ModelSpec(features=8, layers=4, parties=2, model="diag")) is not None
    assert importance_applies(ModelSpec(features=8, layers=2, parties=2, model="hea")) is not None
    default = ModelSpec(features=8, **DEFAULT_MODEL)
    assert "data layers" in importance_applies(default)
    with pytest.raises(ValueError, match="does not apply"):
        importance_inference_cost(default, 0.1, 0.05)
