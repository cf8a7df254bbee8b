"""The tomography saturation series of ``benchmarks/gradient_scaling.py`` (docs/concepts/shadows.md#tomography-copies-model).

Shadow tomography's learner (`shadows.tomography.shadow_tomography`) is run on HEA(n, blocks) with
Z₀ for n = 2, 3, 4 and M = 2n·2^j parameters up to 4·d²/2 (d = 2ⁿ⁺¹; n = 4 up to 2·d²/2;
d²/2 ≈ 2(D² − 1), twice the dimension of the observables' span), ε ∈ {0.1, 0.05}, δ = 0.05, three instances (angle + learner
seeds) per point (two for n = 4). From the
measured copies:

* the saturation model `shadows.tomography_model` is fitted (`fit_updates`) and its fit quality
  reported (RMS of ln(measured/model) copies);
* slopes of ln(copies) against ln(M) (mean over instances) before (M ≤ M_s) and after (M ≥ M_s)
  saturation, M_s the fitted knee, per n and ε;
* the M from which tomography needs fewer copies per gradient than parameter shift:
  param shift's closed form 2M·⌈ln(2M/δ)/ε²⌉ (Hoeffding for the difference,
  `qdist.network.costs.param_shift_copies`) against the fitted model (``model_M``) and against
  the updates held at their value at the largest measured M (``plateau_M``, β = 0), per n and ε.
  Both lie beyond the measured range: extrapolations of the tail.
"""

from __future__ import annotations

import math
import time

import numpy as np

from qdist.reports.crossovers import first_cheaper
from shadows.tomography import tomography_constants
from shadows.tomography_model import fit_updates, measure_run, saturation_point, tomography_model_copies

SAT_N = (2, 3, 4)
SAT_SEEDS = {2: (0, 1, 2), 3: (0, 1, 2), 4: (0, 1)}  # n = 4: two instances (≈ 10–40 s per run)
SAT_REACH = {2: 4, 3: 4, 4: 2}  # measured up to SAT_REACH·M_s


def sat_grid(n: int, quick: bool) -> list[int]:
    """M = 2n·2^j up to SAT_REACH[n]·M_s (quick: up to 2·M_s, n ≤ 3 only)."""
    ms = (2 if quick else SAT_REACH[n]) * 2 ** (2 * n + 1)  # × d²/2
    out, m = [], 2 * n
    while m <= ms:
        out.append(m)
        m *= 2
    return out


def param_shift_closed_form(M: int, epsilon: float, delta: float) -> int:
    """2M·⌈ln(2M/δ)/ε²⌉ copies per gradient."""
    return 2 * M * math.ceil(math.log(2 * M / delta) / epsilon**2)


def plateau_copies(M: int, dim: int, epsilon: float, delta: float, updates: float) -> float:
    """(U + 1)·k + U·k_est with U held at a measured plateau value (β = 0)."""
    c = tomography_constants(epsilon, delta, 2 * M, dim)
    return (updates + 1) * c["batch_size"] + updates * c["estimate_size"]


def overtaking_m(n: int, epsilon: float, delta: float, fit: dict, plateau: float | None = None) -> int | None:
    """Smallest M (observables B = parameters, one term) with tomography's copies < parameter
    shift's for every larger M up to 2⁴⁰ (doublings, then bisection): the fitted model, or with
    ``plateau`` the updates held at that measured value."""
    d = 2 ** (n + 1)

    def tomo(M):
        if plateau is None:
            return tomography_model_copies(epsilon, delta, 2 * M, d, fit)
        return plateau_copies(M, d, epsilon, delta, plateau)

    # smallest M from which tomography stays cheaper, refined by bisection (as the cost curves do)
    return first_cheaper(
        tomo, lambda M: param_shift_closed_form(M, epsilon, delta), [2**k for k in range(1, 41)]
    )


def slope(ms, ys) -> float | None:
    ms, ys = np.asarray(ms, float), np.asarray(ys, float)
    if len(ms) < 2:
        return None
    return float(np.polyfit(np.log(ms), np.log(ys), 1)[0])


def run_series(epsilons, delta: float, quick: bool, log=print) -> dict:
    points = []
    for n in SAT_N if not quick else (2, 3):
        for m in sat_grid(n, quick):
            for eps in epsilons:
                t0 = time.perf_counter()
                for s in SAT_SEEDS[n]:
                    points.append(measure_run(n, m, eps, delta, seed=s))
                got = [p["updates"] for p in points[-len(SAT_SEEDS[n]) :]]
                log(f"tomography n={n} M={m:5d} ε={eps}: updates {got} ({time.perf_counter() - t0:.1f}s)")
    return summarize(points, epsilons, delta)


def summarize(points: list[dict], epsilons, delta: float) -> dict:
    """Fit, slopes and overtaking M from measured ``points`` (`measure_run` dicts)."""
    fit = fit_updates(points, delta)
    for p in points:
        p["model"] = tomography_model_copies(p["epsilon"], delta, 2 * p["M"], p["dim"], fit)
    slopes, overtake = {}, {}
    for n in sorted({p["n"] for p in points}):
        Ms = saturation_point(2 ** (n + 1), fit)
        for eps in epsilons:
            sel = [p for p in points if p["n"] == n and p["epsilon"] == eps]
            ms = sorted({p["M"] for p in sel})
            mean = [float(np.mean([p["copies"] for p in sel if p["M"] == m])) for m in ms]
            pre = [(m, y) for m, y in zip(ms, mean, strict=True) if m <= Ms]
            post = [(m, y) for m, y in zip(ms, mean, strict=True) if m >= Ms]
            slopes[f"{n}|{eps}"] = {
                "saturation_M": Ms,
                "before": slope(*zip(*pre, strict=True)) if len(pre) > 1 else None,
                "after": slope(*zip(*post, strict=True)) if len(post) > 1 else None,
                "before_from_M": ms[0],
            }
            measured_cheaper = [
                m for m, y in zip(ms, mean, strict=True) if y < param_shift_closed_form(m, eps, delta)
            ]
            u_last = float(np.mean([p["updates"] for p in sel if p["M"] == ms[-1]]))
            overtake[f"{n}|{eps}"] = {
                "model_M": overtaking_m(n, eps, delta, fit),
                "plateau_updates": u_last,
                "plateau_M": overtaking_m(n, eps, delta, fit, plateau=u_last),
                "measured_M_max": ms[-1],
                "measured_cheaper_at": measured_cheaper,
                "param_shift_at_measured_max": param_shift_closed_form(ms[-1], eps, delta),
                "tomography_at_measured_max": mean[-1],
            }
    return {"points": points, "fit": fit, "slopes": slopes, "overtake": overtake}


def saturation_panel(ax, sat: dict, eps: float, delta: float) -> None:
    """Measured tomography copies (mean over instances, and each instance) against the fitted
    model, with parameter shift's closed form, per n at one ε."""
    fit = sat["fit"]
    for i, n in enumerate(sorted({p["n"] for p in sat["points"]})):
        col, d = f"C{i}", 2 ** (n + 1)
        sel = [p for p in sat["points"] if p["n"] == n and p["epsilon"] == eps]
        ms = sorted({p["M"] for p in sel})
        ax.plot([p["M"] for p in sel], [p["copies"] for p in sel], ".", color=col, alpha=0.4, ms=4)
        mean = [np.mean([p["copies"] for p in sel if p["M"] == m]) for m in ms]
        ax.plot(ms, mean, "o", color=col, ms=5, label=f"tomography measured, n = {n}")
        grid = np.unique(np.geomspace(ms[0], 2e6, 80).astype(int))
        model = [tomography_model_copies(eps, delta, 2 * int(m), d, fit) for m in grid]
        ax.plot(grid, model, "-", color=col, label=f"saturation model, n = {n}")
        ax.axvline(saturation_point(d, fit), color=col, ls=":", lw=0.8)
    grid = np.geomspace(2, 2e6, 80)
    ax.plot(grid, [param_shift_closed_form(int(m), eps, delta) for m in grid], "k--", label="parameter shift")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("parameters M (dotted: fitted M_s; lines beyond the points: extrapolation)")
    ax.set_ylabel("copies per gradient")
    ax.set_title(f"tomography past saturation, ε = {eps}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6.5)
