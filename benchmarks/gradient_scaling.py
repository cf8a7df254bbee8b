"""Benchmark: copies needed for a max-norm gradient error ε versus the number of parameters M.

Circuits: hardware-efficient ansatz ``HEA(n, blocks)`` — per block RY on every wire, RZ on every
wire (one parameter each), a CX chain — so ``M = 2·n·blocks``; observable ``Z₀``; random angles.
Two series: *narrow* (n = 4, the depth grows: M = 8…512) and *wide* (n = 8, M = 16…512).

Target: ``P(max_i |ĝ_i − ∂_i f| ≤ ε) ≥ 1 − δ``, δ = 0.05, for ε = 0.1 and 0.05.

* ``param-shift``, ``shadow`` (derandomised layer basis), ``spsa``: the budget comes from the
  closed form of the variance — the exact per-shot variance of every component (from the exact
  outcome probabilities, ``extra["exact_std_error"]`` at ``shots=1``) and the union bound over
  components with Gaussian tails, ``Σ_i 2Φ̄(ε√S/σ_i) ≤ δ``, solved for the smallest integer S.
  copies: param-shift ``2·M·S``; shadow ``L·S`` (L layers); SPSA ``2·R·S`` with R directions of S
  shots per evaluation, per-direction variance ``v_dir,i + v_shot/S`` (``v_dir,i`` from 2048 exact-f
  directions, ``v_shot = (1 − f²)/(2c²)``) and bias ``b_i(c)``: SPSA's mean is exactly
  ``(tan c/c)·E_Δ[∇f(θ + cΔ)]`` here (one Pauli rotation per parameter), estimated from 64 exact
  gradients at c₀ = 0.1, taken conservatively as ``|b̂_i| + 3·se_i`` and scaled as ``(c/c₀)²`` for
  c ≤ c₀; the budget then needs
  ``Σ_i [Φ̄((ε−b_i)/s_i) + Φ̄((ε+b_i)/s_i)] ≤ δ``, and (c, S) are minimised over a grid.
* ``tomography`` (whole-circuit construction): the copies the algorithm actually consumes when run
  with ``epsilon = ε, delta = δ`` (emulated statistics, one seed), next to the worst case its
  constants allow, ``(T_max+1)·k + T_max·k_est``. Narrow series all M; wide series M ≤ 32 (the
  hypothesis is 512×512 there and every MMW step costs a few eigendecompositions).
* Verification at a few points: every estimator run R times at its budget; the fraction of runs
  with max-norm error ≤ ε is reported with its 95% Wilson interval (expected ≈ or ≥ 1 − δ; the union
  bound is tight when one component dominates, conservative otherwise). SPSA's cheapest plan often
  uses a few shots per direction and ~10⁵ directions (2 distinct circuits each), too many to repeat;
  it is verified at the cheapest plan with ≤ 8000 directions (same variance and bias model).
* "Backpropagation scaling" (docs/concepts/gradients.md#backpropagation-scaling): cost(gradient)/cost(one evaluation of f to ±ε with
  probability 1 − δ), in copies and in wall time (this emulator's time, warm; SPSA is timed on at
  most 256 directions and scaled linearly), next to classical
  backprop: ``qdist.value_and_grad`` time / ``qdist.expval`` time (jitted, warm; up to M = 64 —
  compiling the unrolled circuit takes tens of seconds beyond).
* Fitted exponents: least-squares slope of log(copies) against log(M) per method, ε and series.
  The tomography exponents of these two series are fitted *before* saturation (n = 4: M ≤ 512 =
  M_s; n = 8: M ≤ 32): they are not the asymptotic slope.
* Tomography past saturation (``benchmarks/tomography_saturation.py``): the learner alone on
  n = 2, 3, 4 up to 4·d²/2 (n = 4: 2·d²/2); the saturation model
  `shadows.tomography_model` fitted on it, the slopes before and after saturation, and the M from
  which tomography needs fewer copies per gradient than parameter shift (``tomography_model``).

Output (atomic): ``benchmarks/results/gradient_scaling.json`` and ``gradient_scaling.png``
(``_quick`` suffix with ``--quick``). Run: ``python benchmarks/gradient_scaling.py [--quick]``
(full ≈ 5 min + the saturation series, quick ≈ 20 s on the shared 2-core machine); ``--replot``
redraws the PNG from the JSON; ``--tomography-only`` re-measures only the saturation series and
updates the saved JSON in place.
BLAS is pinned to one thread (set before numpy is imported): on the shared 2-core machine
multithreaded ``eigh`` was 3–10× slower.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import RESULTS, machine, write_json  # noqa: E402
from tomography_saturation import run_series, summarize  # noqa: E402

import qdist  # noqa: E402
from qdist.estimators.expval import expval_estimate  # noqa: E402
from shadows.layers import find_layers  # noqa: E402
from shadows.tomography import circuit_family, tomography_constants  # noqa: E402

DELTA = 0.05
EPSILONS = (0.1, 0.05)
SPSA_C = 0.1  # reference step: the direction variance and the bias are measured here
SPSA_C_GRID = (0.1, 0.05, 0.025, 0.0125)  # ≤ c₀: the c² scaling is only used downwards
SPSA_MC = 2048  # exact-f directions for the direction variance (256 underestimated it by 3–12%)
SPSA_BIAS_MC = 64  # exact gradients at θ + cΔ for the bias
SPSA_SHOTS_GRID = (1, 3, 10, 30, 100, 300, 1000, 3000, 10000)
SPSA_TIMED_MAX = 256  # directions actually run for the wall-time measurement (time scales linearly)
SPSA_VERIFY_MAX_DIRECTIONS = 8000  # verification uses the cheapest plan with at most this many directions
METHODS = ("param-shift", "shadow", "spsa", "tomography")


def hea(n: int, blocks: int) -> qdist.Circuit:
    ops, k = [], 0
    for _ in range(blocks):
        for w in range(n):
            ops.append(qdist.gate("RY", w, k))
            k += 1
        for w in range(n):
            ops.append(qdist.gate("RZ", w, k))
            k += 1
        for w in range(n - 1):
            ops.append(qdist.gate("CX", (w, w + 1)))
    return qdist.make_circuit(n, ops)


def budget(sigma: np.ndarray, eps: float, delta: float = DELTA, bias=None) -> int | None:
    """Smallest integer S with ``Σ_i [Φ̄((ε − b_i)√S/σ_i) + Φ̄((ε + b_i)√S/σ_i)] ≤ δ`` (σ_i:
    single-shot standard deviations, b_i biases, default 0); ``None`` if some ``|b_i| ≥ ε``."""
    sigma = np.asarray(sigma, dtype=float)
    b = np.zeros_like(sigma) if bias is None else np.broadcast_to(np.asarray(bias, dtype=float), sigma.shape)
    if np.any(np.abs(b) >= eps):
        return None
    keep = sigma > 1e-12
    sigma, b = sigma[keep], b[keep]
    if sigma.size == 0:
        return 1

    def fail(s):
        r = math.sqrt(s) / sigma
        return float(np.sum(norm.sf((eps - b) * r) + norm.sf((eps + b) * r)))

    hi = 1
    while fail(hi) > delta:
        hi *= 2
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fail(mid) > delta:
            lo = mid
        else:
            hi = mid
    return hi


def spsa_bias(c, p, obs, g, step: float, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """SPSA's bias at step ``c`` and its Monte-Carlo standard error.

    When every parameter enters one Pauli rotation (f has frequencies 0, ±1 in each), the SPSA mean is
    exactly ``E[ĝ] = (tan c/c)·E_Δ[∇f(θ + cΔ)]`` (checked by enumeration in the tests), a
    perturbation-averaged gradient: estimated from ``samples`` exact gradients, whose spread is only
    ``O(c)``, instead of SPSA's own ``O(‖∇f‖)``-noisy directions.
    """
    rng = np.random.default_rng(seed + 1)
    grads = np.array(
        [
            qdist.grad(c, p + step * rng.choice([-1.0, 1.0], c.num_params), obs, method="shadow").value
            for _ in range(samples)
        ]
    )
    k = math.tan(step) / step
    return k * grads.mean(axis=0) - g, k * grads.std(axis=0, ddof=1) / math.sqrt(samples)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def fit_exponent(ms, ys) -> float | None:
    ms, ys = np.asarray(ms, float), np.asarray(ys, float)
    ok = (ys > 0) & np.isfinite(ys)
    if ok.sum() < 2:
        return None
    return float(np.polyfit(np.log(ms[ok]), np.log(ys[ok]), 1)[0])


def measure_config(series: str, n: int, m: int, tomo: bool, seed: int) -> dict:
    blocks = m // (2 * n)
    c = hea(n, blocks)
    p = np.random.default_rng(seed).uniform(0, 2 * np.pi, c.num_params)
    obs = qdist.pauli("Z", (0,))
    t_start = time.perf_counter()
    exact = qdist.grad(c, p, obs, method="shadow")  # exact layer expectations (= adjoint, 1e-10)
    g = exact.value
    f = expval_estimate(c, p, obs, shots=None)["value"]
    layers = len(find_layers(c))
    ps1 = qdist.grad(c, p, obs, method="param-shift", shots=1, seed=seed)
    sh1 = qdist.grad(c, p, obs, method="shadow", shots=1, seed=seed)
    mc = qdist.grad(c, p, obs, method="spsa", shots=None, seed=seed, samples=SPSA_MC, c=SPSA_C)
    v_dir = np.asarray(mc.std_error) ** 2 * SPSA_MC
    bias0, bias0_se = spsa_bias(c, p, obs, g, SPSA_C, SPSA_BIAS_MC, seed)
    # warm-ups (untimed): compile the kernels for the batch shapes the timed runs use
    qdist.grad(c, p, obs, method="spsa", shots=1, seed=seed, samples=SPSA_TIMED_MAX, c=SPSA_C)
    if tomo:
        circuit_family(c, p, obs)
    row = {
        "series": series,
        "n": n,
        "blocks": blocks,
        "M": m,
        "layers": layers,
        "f": f,
        "grad_norm": float(np.linalg.norm(g)),
        "grad_max": float(np.abs(g).max()),
        "spsa_bias_max_at_c0": float(np.abs(bias0).max()),
        "spsa_bias_std_error_at_c0": float(bias0_se.max()),
        "per_eps": {},
    }
    for eps in EPSILONS:
        s_eval = budget(np.array([math.sqrt(max(1 - f * f, 1e-12))]), eps)
        ev, t_eval = timed(lambda s_eval=s_eval: expval_estimate(c, p, obs, shots=s_eval, seed=1))
        ev, t_eval = timed(lambda s_eval=s_eval: expval_estimate(c, p, obs, shots=s_eval, seed=2))
        res = {"eval_shots": s_eval, "eval_copies": ev["copies"], "eval_seconds": t_eval}
        s_ps = budget(np.array(ps1.extra["exact_std_error"]), eps)
        s_sh = budget(np.array(sh1.extra["exact_std_error"]), eps)
        best = verify_plan = None
        for cc in SPSA_C_GRID:
            b = (np.abs(bias0) + 3 * bias0_se) * (cc / SPSA_C) ** 2  # conservative; leading order O(c²)
            v_shot = (1.0 - f * f) / (2 * cc**2)
            for s in SPSA_SHOTS_GRID:
                r = budget(np.sqrt(v_dir + v_shot / s), eps, bias=b)
                if r is None:
                    continue
                if best is None or 2 * r * s < best[0]:
                    best = (2 * r * s, r, s, cc)
                if r <= SPSA_VERIFY_MAX_DIRECTIONS and (verify_plan is None or 2 * r * s < verify_plan[0]):
                    verify_plan = (2 * r * s, r, s, cc)
        plans = {
            "param-shift": ({"shots": s_ps}, 2 * m * s_ps),
            "shadow": ({"shots": s_sh}, layers * s_sh),
            "spsa": ({"shots": best[2], "samples": best[1], "c": best[3]}, best[0]),
        }
        for method, (opts, copies) in plans.items():
            run_opts, scale = dict(opts), 1
            if method == "spsa" and opts["samples"] > SPSA_TIMED_MAX:
                run_opts["samples"] = SPSA_TIMED_MAX
                scale = opts["samples"] / SPSA_TIMED_MAX
            r, t = timed(lambda method=method, o=run_opts: qdist.grad(c, p, obs, method=method, seed=3, **o))
            assert round(r.copies * scale) == copies, (method, r.copies, copies)
            res[method] = {
                "options": opts,
                "copies": copies,
                "seconds": t * scale,
                "seconds_extrapolated": scale != 1,
                "classical_seconds": r.classical_seconds * scale,
                "error_max": float(np.abs(r.value - g).max()) if scale == 1 else None,
                "ratio_copies": copies / ev["copies"],
                "ratio_seconds": t * scale / t_eval,
            }
        if verify_plan is not None:
            res["spsa"]["verify_options"] = {
                "shots": verify_plan[2],
                "samples": verify_plan[1],
                "c": verify_plan[3],
            }
            res["spsa"]["verify_copies"] = verify_plan[0]
        if tomo:
            r, t = timed(
                lambda eps=eps: qdist.grad(c, p, obs, method="tomography", epsilon=eps, delta=DELTA, seed=4)
            )
            const = tomography_constants(eps, DELTA, 2 * m, 2 ** (n + 1))
            worst = (const["max_updates"] + 1) * const["batch_size"] + const["max_updates"] * const[
                "estimate_size"
            ]
            res["tomography"] = {
                "copies": r.copies,
                "copies_worst_case": worst,
                "updates": r.extra["updates"],
                "rounds": r.extra["rounds"],
                "batch_size": r.extra["batch_size"][0],
                "estimate_size": r.extra["estimate_size"][0],
                "max_updates": const["max_updates"],
                "converged": r.extra["converged"],
                "seconds": t,
                "classical_seconds": r.classical_seconds,
                "error_max": float(np.abs(r.value - g).max()),
                "within_epsilon": bool(np.abs(r.value - g).max() <= eps),
                "ratio_copies": r.copies / ev["copies"],
                "ratio_seconds": t / t_eval,
            }
        row["per_eps"][str(eps)] = res
    row["seconds_total"] = time.perf_counter() - t_start
    return row


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a success probability from ``k`` successes in ``n`` runs."""
    if n == 0:
        return (float("nan"), float("nan"))
    ph = k / n
    den = 1 + z * z / n
    mid = (ph + z * z / (2 * n)) / den
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
    return (mid - half, mid + half)


def verify(row: dict, reps: dict, tomo_seeds: int) -> dict:
    """Run every estimator ``reps[method]`` times at its planned budget (SPSA: at its verification
    plan, the cheapest with ≤ SPSA_VERIFY_MAX_DIRECTIONS directions); fraction with max error ≤ ε."""
    c = hea(row["n"], row["blocks"])
    p = np.random.default_rng(0).uniform(0, 2 * np.pi, c.num_params)
    obs = qdist.pauli("Z", (0,))
    g = qdist.grad(c, p, obs, method="shadow").value
    out = {}
    for eps in EPSILONS:
        res = row["per_eps"][str(eps)]
        for method in ("param-shift", "shadow", "spsa"):
            opts = res[method].get("verify_options") if method == "spsa" else res[method]["options"]
            if opts is None:
                out[f"{method}@{eps}"] = {
                    "success": None,
                    "runs": 0,
                    "note": "no plan within the direction cap",
                }
                continue
            wins = 0
            for rep in range(reps[method]):
                r = qdist.grad(c, p, obs, method=method, seed=10_000 + rep, **opts)
                wins += bool(np.abs(r.value - g).max() <= eps)
            out[f"{method}@{eps}"] = {
                "success": wins / reps[method],
                "runs": reps[method],
                "wilson95": wilson(wins, reps[method]),
                "options": opts,
            }
        if "tomography" in res and tomo_seeds:
            wins = 0
            for s in range(tomo_seeds):
                r = qdist.grad(c, p, obs, method="tomography", epsilon=eps, delta=DELTA, seed=20_000 + s)
                wins += bool(np.abs(r.value - g).max() <= eps)
            out[f"tomography@{eps}"] = {"success": wins / tomo_seeds, "runs": tomo_seeds}
    return out


def classical_backprop(n: int, m: int, seed: int) -> dict:
    c = hea(n, m // (2 * n))
    p = np.random.default_rng(seed).uniform(0, 2 * np.pi, c.num_params)
    obs = qdist.pauli("Z", (0,))
    t0 = time.perf_counter()
    qdist.expval(c, p, obs)
    t_c1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    qdist.value_and_grad(c, p, obs)
    t_c2 = time.perf_counter() - t0

    def med(fn, k=30):
        ts = []
        for _ in range(k):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        return float(np.median(ts))

    te = med(lambda: qdist.expval(c, p, obs))
    tg = med(lambda: qdist.value_and_grad(c, p, obs))
    return {
        "M": m,
        "n": n,
        "expval_seconds": te,
        "value_and_grad_seconds": tg,
        "ratio": tg / te,
        "compile_seconds": {"expval": t_c1, "value_and_grad": t_c2},
    }


def atomic_png(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
    os.close(fd)
    fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    os.chmod(tmp, 0o644)  # mkstemp creates 0600
    os.replace(tmp, path)


def plot(payload: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"param-shift": "C0", "shadow": "C1", "spsa": "C2", "tomography": "C3", "eval": "k"}
    sat = payload.get("tomography_model")
    fig, axes = plt.subplots(1, 4 if sat else 3, figsize=(23 if sat else 17, 5))
    for ax, eps in zip(axes[:2], EPSILONS, strict=True):
        for series, style in (("narrow", "-o"), ("wide", "--s")):
            rows = [r for r in payload["rows"] if r["series"] == series]
            if not rows:
                continue
            ms = [r["M"] for r in rows]
            for method in METHODS:
                ys = [r["per_eps"][str(eps)].get(method, {}).get("copies", np.nan) for r in rows]
                if np.all(np.isnan(ys)):
                    continue
                fit = payload["fits"].get(f"{method}|{eps}|{series}")
                lab = f"{method} ({series}, slope {fit:.2f})" if fit is not None else f"{method} ({series})"
                ax.plot(ms, ys, style, color=colors[method], label=lab, ms=4)
            tw = [r["per_eps"][str(eps)].get("tomography", {}).get("copies_worst_case", np.nan) for r in rows]
            if series == "narrow" and not np.all(np.isnan(tw)):
                fit = payload["fits"].get(f"tomography-worst-case|{eps}|{series}")
                ax.plot(
                    ms, tw, ":", color=colors["tomography"], label=f"tomography worst case (slope {fit:.2f})"
                )
            ys = [r["per_eps"][str(eps)]["eval_copies"] for r in rows]
            ax.plot(ms, ys, style, color="k", alpha=0.5, label=f"one evaluation ({series})", ms=3)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("parameters M")
        ax.set_ylabel("copies for max-norm error ≤ ε (prob. ≥ 0.95)")
        ax.set_title(f"ε = {eps}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6.5)
    ax = axes[2]
    eps = EPSILONS[0]
    rows = [r for r in payload["rows"] if r["series"] == "narrow"]
    ms = [r["M"] for r in rows]
    for method in METHODS:
        ys = [r["per_eps"][str(eps)].get(method, {}).get("ratio_copies", np.nan) for r in rows]
        ax.plot(ms, ys, "-o", color=colors[method], label=f"{method}: copies", ms=4)
        ys = [r["per_eps"][str(eps)].get(method, {}).get("ratio_seconds", np.nan) for r in rows]
        ax.plot(ms, ys, ":", color=colors[method], label=f"{method}: wall time", ms=3)
    cb = payload["classical_backprop"]
    ax.plot(
        [x["M"] for x in cb], [x["ratio"] for x in cb], "-^k", label="classical backprop (jax adjoint): time"
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("parameters M (n = 4)")
    ax.set_ylabel("cost(gradient) / cost(one evaluation)")
    ax.set_title(f"backpropagation scaling, ε = {eps}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6.5)
    if sat:
        from tomography_saturation import saturation_panel

        saturation_panel(axes[3], sat, EPSILONS[0], DELTA)
    atomic_png(fig, path)
    plt.close(fig)


def _log(msg: str) -> None:
    print(msg, flush=True)


def report_saturation(sat: dict) -> None:
    f = sat["fit"]
    print(
        f"tomography model: U = {f['c']:.3g}·ε^-{f['b']:.2f}·M^{f['alpha']:.2f}·d^{f['g']:.2f} (M ≤ M_s = "
        f"{f.get('kappa', 2.0):.2f}·(d²/4 − 1)), ×(M/M_s)^{f['beta']:.2f} beyond; "
        f"copies log-RMS {f['log_rms']:.3f} on {f['points']} runs"
    )
    for k, v in sat["slopes"].items():
        o = sat["overtake"][k]
        print(
            f"  n|ε = {k}: M_s = {v['saturation_M']:.0f}, slope before {v['before']}, after {v['after']}; "
            f"overtakes parameter shift from M = {o['model_M']} (model), {o['plateau_M']} (plateau)"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small version (M ≤ 32, < 1 min)")
    ap.add_argument("--replot", action="store_true", help="redraw the PNG from the saved JSON only")
    ap.add_argument(
        "--tomography-only", action="store_true", help="re-measure only the tomography saturation series"
    )
    ap.add_argument("--refit", action="store_true", help="refit the saturation model on the saved points")
    args = ap.parse_args(argv)
    name = "gradient_scaling_quick" if args.quick else "gradient_scaling"
    if args.refit:
        import json

        payload = json.loads((RESULTS / f"{name}.json").read_text())
        old = payload["tomography_model"]
        payload["tomography_model"] = summarize(old["points"], EPSILONS, DELTA) | {"seconds": old["seconds"]}
        report_saturation(payload["tomography_model"])
        os.chmod(write_json(name, payload), 0o644)
        plot(payload, RESULTS / f"{name}.png")
        return 0
    if args.replot or args.tomography_only:
        import json

        payload = json.loads((RESULTS / f"{name}.json").read_text())
        if args.tomography_only:
            t0 = time.perf_counter()
            payload["tomography_model"] = run_series(EPSILONS, DELTA, args.quick, log=_log)
            payload["tomography_model"]["seconds"] = time.perf_counter() - t0
            report_saturation(payload["tomography_model"])
            os.chmod(write_json(name, payload), 0o644)
        plot(payload, RESULTS / f"{name}.png")
        return 0
    t_all = time.perf_counter()
    if args.quick:
        configs = [("narrow", 4, m, True) for m in (8, 16, 32)] + [("wide", 8, m, False) for m in (16, 32)]
        ver_points = [("narrow", 8, {"param-shift": 50, "shadow": 50, "spsa": 20}, 2)]
        cb_points = (8, 16)
    else:
        configs = [("narrow", 4, m, True) for m in (8, 16, 32, 64, 128, 256, 512)]
        configs += [("wide", 8, m, m <= 32) for m in (16, 32, 64, 128, 256, 512)]
        ver_points = [
            ("narrow", 8, {"param-shift": 500, "shadow": 500, "spsa": 100}, 3),
            ("narrow", 64, {"param-shift": 500, "shadow": 500, "spsa": 100}, 3),
            ("wide", 16, {"param-shift": 500, "shadow": 500, "spsa": 30}, 0),
        ]
        cb_points = (8, 16, 32, 64)
    rows = []
    for series, n, m, tomo in configs:
        row = measure_config(series, n, m, tomo, seed=0)
        rows.append(row)
        e = row["per_eps"][str(EPSILONS[0])]
        print(
            f"{series:6s} n={n} M={m:4d} L={row['layers']:3d}  copies@{EPSILONS[0]}: "
            + "  ".join(f"{k}={e[k]['copies']:.3g}" for k in METHODS if k in e)
            + f"  eval={e['eval_copies']}  ({row['seconds_total']:.1f}s)",
            flush=True,
        )
    fits = {}
    for method in METHODS:
        for eps in EPSILONS:
            for series in ("narrow", "wide"):
                sel = [r for r in rows if r["series"] == series and method in r["per_eps"][str(eps)]]
                if len(sel) >= 2:
                    fits[f"{method}|{eps}|{series}"] = fit_exponent(
                        [r["M"] for r in sel], [r["per_eps"][str(eps)][method]["copies"] for r in sel]
                    )
                    if method == "tomography":
                        fits[f"tomography-worst-case|{eps}|{series}"] = fit_exponent(
                            [r["M"] for r in sel],
                            [r["per_eps"][str(eps)][method]["copies_worst_case"] for r in sel],
                        )
    verification = {}
    for series, m, reps, tomo_seeds in ver_points:
        row = next(r for r in rows if r["series"] == series and r["M"] == m)
        t0 = time.perf_counter()
        verification[f"{series}|M={m}"] = v = verify(row, reps, tomo_seeds)
        print(
            f"verified {series} M={m} ({time.perf_counter() - t0:.0f}s): "
            + ", ".join(f"{k} {x['success']:.3f}" for k, x in v.items() if x["success"] is not None),
            flush=True,
        )
    t_sat = time.perf_counter()
    saturation = run_series(EPSILONS, DELTA, args.quick, log=_log)
    saturation["seconds"] = time.perf_counter() - t_sat
    cb = [classical_backprop(4, m, seed=0) for m in cb_points]
    for x in cb:
        print(f"classical backprop M={x['M']}: value_and_grad/expval = {x['ratio']:.2f}", flush=True)
    payload = {
        "benchmark": "gradient_scaling",
        "quick": args.quick,
        "machine": machine(),
        "settings": {
            "delta": DELTA,
            "epsilons": EPSILONS,
            "observable": "Z0",
            "circuit": "HEA(n, blocks): RY all, RZ all, CX chain; M = 2·n·blocks",
            "spsa_c_reference": SPSA_C,
            "spsa_c_grid": SPSA_C_GRID,
            "spsa_shots_grid": SPSA_SHOTS_GRID,
            "spsa_mc_directions": SPSA_MC,
            "spsa_bias_mc_gradients": SPSA_BIAS_MC,
            "budget_rule": "smallest S with Σ_i 2Φ̄(ε√S/σ_i) ≤ δ (exact per-shot σ_i)",
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        },
        "rows": rows,
        "fits": fits,
        "verification": verification,
        "classical_backprop": cb,
        "tomography_model": saturation,
        "seconds_total": time.perf_counter() - t_all,
    }
    path = write_json(name, payload)
    os.chmod(path, 0o644)  # written through mkstemp (0600)
    plot(payload, RESULTS / f"{name}.png")
    print("fitted exponents (copies ∝ M^a):")
    for k, v in fits.items():
        print(f"  {k:40s} {v:.2f}" if v is not None else f"  {k}: n/a")
    report_saturation(saturation)
    print(f"wrote {path} and {name}.png in {payload['seconds_total']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
