"""A saturation model of the copies shadow tomography really consumes ([copies consumed][tomography-copies-model]).

A run of `shadows.tomography.shadow_tomography` with U multiplicative-weights updates consumes
exactly

$$ \\text{copies} = (U + 1)\\,k + U\\,k_{\\text{est}} , $$

with the batch size k and the estimation size k_est of
[`tomography_constants`][shadows.tomography.tomography_constants] (closed forms in ε, δ, m, d).
The worst case (`shadows.tomography_estimator.run_bound`) puts U = T_max = ⌈(512/9) ln d/ε_A²⌉;
runs stop far earlier. What is **derived** and what is **fitted**:

* *derived* — the copies given U (above), and where saturation starts. With one observable term
  (K = 1) the whole-circuit observables are B_j = [[0, −iP̃_jQ̃], [iQ̃P̃_j, 0]] (ancilla blocks,
  D = d/2), linear in the Heisenberg-picture generators P̃_j, which are Hermitian and traceless:
  their real span has dimension at most **D² − 1 = d²/4 − 1** (checked by the rank test), so beyond
  that many parameters every new B is a linear combination of earlier ones and the updates level
  off. The level-off is soft (a combination can still miss by more than ε); the knee sits at
  M_s = κ·(D² − 1) with κ fitted (κ ≈ 2, i.e. M_s ≈ d²/2).
* *fitted* — U as a function of M = J·K (the number of observables B, i.e. parameters × terms),
  d and ε, on runs of the benchmark family (HEA(n, blocks), observable Z₀, random angles,
  `measure_run`):

  $$ U(M) = c\\,\\varepsilon^{-b}\\,M^{\\alpha}\\,d^{\\,g}\\ (M \\le M_s), \\qquad
     U(M) = U(M_s)\\,(M/M_s)^{\\beta}\\ (M > M_s) . $$

  `FIT` holds the constants, fitted by least
  squares on ln U (`fit_updates`, `benchmarks/gradient_scaling.py`), and the RMS of the
  residuals of ln(copies), ``log_rms``: the model's copies are right to a factor e^{±log_rms} for
  one instance (a 1σ band; instances of the same size differ by about that much).

Outside the fitted range (n = 2…4, M ≤ 4·M_s, ε ∈ {0.1, 0.05}) the model is an extrapolation, and
it describes this instance family, not every circuit.
"""

from __future__ import annotations

import math

import numpy as np

from qdist.estimators.protocol import CopyShape
from qdist.sim.circuit import Circuit, gate, make_circuit
from qdist.sim.observables import pauli
from shadows.tomography import circuit_family, shadow_tomography, tomography_constants
from shadows.tomography_estimator import TOMOGRAPHY

__all__ = [
    "FIT",
    "fit_updates",
    "hea_circuit",
    "measure_run",
    "model_segment_copies",
    "model_updates",
    "saturation_point",
    "span_dimension",
    "tomography_model_copies",
]

#: Fitted constants of `model_updates` (from `benchmarks/gradient_scaling.py`, the
#: ``tomography_model`` entry of ``benchmarks/results/gradient_scaling.json``).
FIT = {
    "c": 0.2527,
    "b": 1.154,
    "alpha": 1.934,
    "g": -1.706,
    "beta": 0.0795,
    "kappa": 1.298,
    "log_rms": 0.689,  # RMS of ln(measured/model copies) over the fitted runs
    "points": 110,
}


def span_dimension(dim: int) -> int:
    """D² − 1 (D = d/2): the real dimension of the span of the one-term observables B_j."""
    return (dim // 2) ** 2 - 1


def saturation_point(dim: int, fit: dict = FIT) -> float:
    """M_s = κ·(D² − 1): the knee of the fitted update count."""
    return fit["kappa"] * span_dimension(dim)


def model_updates(num_observables: float, dim: int, epsilon: float, fit: dict = FIT) -> float:
    """U(M, d, ε) of the module docstring (M = ``num_observables`` observables B, not m = 2M)."""
    M, Ms = float(num_observables), saturation_point(dim, fit)
    below = fit["c"] * epsilon ** (-fit["b"]) * min(M, Ms) ** fit["alpha"] * dim ** fit["g"]
    return below if M <= Ms else below * (M / Ms) ** fit["beta"]


def tomography_model_copies(
    epsilon: float, delta: float, num_observables: int, dim: int, fit: dict = FIT
) -> int:
    """Modelled copies of one run: ⌈(U + 1)·k + U·k_est⌉ with U = `model_updates`(m/2, d, ε).

    Same arguments as `shadows.tomography_estimator.run_bound`: ``num_observables`` = m = 2·J·K
    (the A_i = (1 ± B)/2), ``dim`` = d = 2ⁿ⁺¹; never more than the worst case (U ≤ T_max).
    """
    if isinstance(num_observables, bool) or not isinstance(num_observables, (int, np.integer)):
        raise ValueError(f"num_observables: expected an even integer ≥ 2, got {num_observables!r}")
    if num_observables < 2:
        raise ValueError(f"num_observables: expected an even integer ≥ 2, got {num_observables!r}")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 2:
        raise ValueError(f"dim: expected an integer ≥ 2, got {dim!r}")
    c = tomography_constants(epsilon, delta, int(num_observables), int(dim))
    U = min(model_updates(num_observables / 2, dim, epsilon, fit), c["max_updates"])
    return math.ceil((U + 1) * c["batch_size"] + U * c["estimate_size"])


def model_segment_copies(shape: CopyShape, epsilon: float, delta: float, fit: dict = FIT) -> int:
    """Modelled copies of the run of one segment: as `Tomography.copies` (δ_s = δ·P_s/P,
    m = 2·P_s·terms, d = 2ⁿ⁺¹) with `tomography_model_copies` in place of the worst case."""
    o = TOMOGRAPHY.sized_options(shape, epsilon, delta)
    m = 2 * shape.num_params * shape.terms
    return tomography_model_copies(o["epsilon"], o["delta"], m, 2 ** (shape.num_qubits + 1), fit)


# ---------------------------------------------------------------------------------------------
# measuring and fitting
# ---------------------------------------------------------------------------------------------
def hea_circuit(n: int, blocks: int) -> Circuit:
    """HEA(n, blocks): per block RY on every wire, RZ on every wire, a CX chain (M = 2·n·blocks)."""
    ops, k = [], 0
    for _ in range(blocks):
        for kind in ("RY", "RZ"):
            for w in range(n):
                ops.append(gate(kind, w, k))
                k += 1
        ops += [gate("CX", (w, w + 1)) for w in range(n - 1)]
    return make_circuit(n, ops)


def measure_run(n: int, num_params: int, epsilon: float, delta: float, seed: int) -> dict:
    """One learner run on HEA(n, M/(2n)) with Z₀ at angles drawn from ``seed`` (learner seed
    ``seed + 1``): ``{"n", "M", "dim", "epsilon", "updates", "copies", "converged", "model"}``."""
    blocks = num_params // (2 * n)
    if blocks < 1 or blocks * 2 * n != num_params:
        raise ValueError(f"num_params: expected a positive multiple of 2n = {2 * n}, got {num_params!r}")
    c = hea_circuit(n, blocks)
    p = np.random.default_rng([seed, 0]).uniform(0, 2 * np.pi, c.num_params)
    fam, truth, _, _ = circuit_family(c, p, pauli("Z", (0,)))
    run = shadow_tomography(fam, truth, epsilon, delta, np.random.default_rng([seed, 1]))
    return {
        "n": n,
        "M": num_params,
        "dim": fam.d,
        "epsilon": epsilon,
        "updates": run.updates,
        "copies": run.copies,
        "converged": run.converged,
        "model": tomography_model_copies(epsilon, delta, 2 * fam.size, fam.d),
    }


def fit_updates(points: list[dict], delta: float) -> dict:
    """Least squares on ln U over ``points`` (dicts with ``M``, ``dim``, ``epsilon``, ``updates``;
    points with U = 0 are left out): ``FIT``-shaped constants plus ``log_rms``, the RMS residual of
    ln(copies) of the fitted model over the same points."""
    from scipy.optimize import least_squares

    pts = [p for p in points if p["updates"] > 0]
    M = np.array([p["M"] for p in pts], float)
    d = np.array([p["dim"] for p in pts], float)
    e = np.array([p["epsilon"] for p in pts], float)
    lu = np.log([p["updates"] for p in pts])
    span = (d / 2) ** 2 - 1

    def resid(v):
        lc, b, a, g, beta, lk = v
        Ms = math.exp(lk) * span
        low = lc - b * np.log(e) + a * np.log(np.minimum(M, Ms)) + g * np.log(d)
        tail = beta * np.log(np.maximum(M / Ms, 1.0))
        return low + tail - lu

    sol = least_squares(resid, x0=[0.0, 1.0, 1.0, 0.0, 0.0, math.log(2.0)])
    lc, b, a, g, beta, lk = sol.x
    fit = {"c": math.exp(lc), "b": b, "alpha": a, "g": g, "beta": beta, "kappa": math.exp(lk)}
    fit = {k: float(v) for k, v in fit.items()}
    res = [
        math.log(tomography_model_copies(p["epsilon"], delta, 2 * p["M"], p["dim"], fit) / p["copies"])
        for p in pts
    ]
    fit["log_rms"] = float(np.sqrt(np.mean(np.square(res))))
    fit["points"] = len(pts)
    fit["log_rms_updates"] = float(np.sqrt(np.mean(np.square(resid(sol.x)))))
    return fit
