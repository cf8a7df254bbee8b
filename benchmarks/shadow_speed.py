"""Benchmark: ``shadows.estimate`` against PennyLane's ``qml.ClassicalShadow.expval``.

Default: 16 qubits, 10⁵ snapshots (exact samples of a random state via
``shadows.collect_from_state``), 1,000 random Pauli observables of weight 1–4, plain means
(``groups=1``). Both run in this process on the same ``(bits, recipes)``. PennyLane is timed on a
subset of observables, one ``expval`` call per observable (its fastest mode here: a list builds
``T × M × n`` arrays), and extrapolated linearly to all observables — the output says so. The two
must agree to 1e-12 on the subset (mean and median of means). Results go atomically to
``benchmarks/results/shadow_speed.json`` (``shadow_speed_quick.json`` with ``--quick``).

Run: ``python benchmarks/shadow_speed.py [--quick]`` (< 2 min; ``--quick`` a few seconds).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pennylane as qml  # noqa: E402

import shadows  # noqa: E402
from qdist.io import atomic_write_json  # noqa: E402

TARGET_RATIO = 20.0


def random_state(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return psi / np.linalg.norm(psi)


def random_words(n: int, count: int, max_weight: int, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        w = int(rng.integers(1, max_weight + 1))
        wires = sorted(rng.choice(n, w, replace=False).tolist())
        out.append(tuple((q, "XYZ"[rng.integers(3)]) for q in wires))
    return out


def to_pennylane(word):
    ops = {"X": qml.X, "Y": qml.Y, "Z": qml.Z}
    factors = [ops[letter](q) for q, letter in word]
    return factors[0] if len(factors) == 1 else qml.prod(*factors)


def timed(fn, repeats: int):
    """Median wall and CPU seconds over ``repeats`` runs (after one warm-up run); last result."""
    result = fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), result


def machine() -> dict:
    import jax
    import qiskit

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pennylane": qml.__version__,
        "qiskit": qiskit.__version__,
        "jax": jax.__version__,
    }


def write_json(path: Path, payload: dict) -> None:
    """Atomic JSON write (`qdist.io.atomic_write_json`)."""
    atomic_write_json(path, payload)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 qubits, 10⁴ snapshots, 200 observables")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    if args.quick:
        n, T, M, subset, repeats, pl_repeats = 8, 10_000, 200, 10, 5, 3
    else:
        n, T, M, subset, repeats, pl_repeats = 16, 100_000, 1000, 20, 5, 3
    groups_mom = 10

    t0 = time.perf_counter()
    shadow = shadows.collect_from_state(random_state(n, args.seed), T, args.seed)
    collect_seconds = time.perf_counter() - t0
    words = random_words(n, M, 4, args.seed + 1)
    cs = shadow.to_pennylane()
    pl_obs = [to_pennylane(w) for w in words[:subset]]

    ours_wall, ours_cpu, est = timed(lambda: shadows.estimate(shadow, words), repeats)
    mom_wall, mom_cpu, est_mom = timed(lambda: shadows.estimate(shadow, words, groups=groups_mom), repeats)

    def pl_run(k):
        return np.array([float(cs.expval(o, k=k)) for o in pl_obs])

    pl_wall, pl_cpu, pl_vals = timed(lambda: pl_run(1), pl_repeats)
    pl_mom = pl_run(groups_mom)
    diff = float(np.max(np.abs(pl_vals - est.mean[:subset])))
    diff_mom = float(np.max(np.abs(pl_mom - est_mom.mean[:subset])))
    agree = diff <= 1e-12 and diff_mom <= 1e-12

    scale = M / subset
    pl_wall_all, pl_cpu_all = pl_wall * scale, pl_cpu * scale
    ratio, ratio_cpu = pl_wall_all / ours_wall, pl_cpu_all / ours_cpu
    result = {
        "benchmark": "shadow_speed",
        "quick": args.quick,
        "num_qubits": n,
        "num_snapshots": T,
        "num_observables": M,
        "max_weight": 4,
        "seed": args.seed,
        "collect_seconds": collect_seconds,
        "ours_seconds_median": ours_wall,
        "ours_cpu_seconds_median": ours_cpu,
        "ours_median_of_means_seconds_median": mom_wall,
        "pennylane_subset": subset,
        "pennylane_subset_seconds_median": pl_wall,
        "pennylane_seconds_extrapolated": pl_wall_all,
        "pennylane_cpu_seconds_extrapolated": pl_cpu_all,
        "pennylane_mode": f"one expval call per observable on {subset} observables, extrapolated x{scale:g}",
        "speed_ratio": ratio,
        "speed_ratio_cpu": ratio_cpu,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "max_abs_diff_mean": diff,
        "max_abs_diff_median_of_means": diff_mom,
        "agree": agree,
        "repeats": {"ours": repeats, "pennylane": pl_repeats},
        "machine": machine(),
    }
    out = ROOT / "benchmarks" / "results" / ("shadow_speed_quick.json" if args.quick else "shadow_speed.json")
    write_json(out, result)

    print(f"classical shadows: {n} qubits, T = {T:,} snapshots, {M:,} Pauli observables (weight ≤ 4)")
    print(f"  collect (exact sampling):        {collect_seconds:8.3f} s")
    print(f"  shadows.estimate (mean):         {ours_wall:8.4f} s   median of {repeats}")
    print(f"  shadows.estimate (MoM, K={groups_mom}):     {mom_wall:8.4f} s")
    print(
        f"  PennyLane ClassicalShadow.expval: {pl_wall_all:8.3f} s   "
        f"(timed on {subset} observables, {pl_wall:.3f} s, extrapolated linearly x{scale:g})"
    )
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(
        f"  speed ratio: {ratio:.0f}x wall, {ratio_cpu:.0f}x CPU ({verdict} the {TARGET_RATIO:.0f}x target)"
    )
    print(
        f"  agreement on the subset: max |diff| = {diff:.1e} (mean), {diff_mom:.1e} (MoM) -> {'OK' if agree else 'MISMATCH'}"
    )
    mach = result["machine"]
    print(
        f"  machine: {mach['platform']}, {mach['cpu_count']} CPUs, load {mach['load_average_1min']}, "
        f"numpy {mach['numpy']}, pennylane {mach['pennylane']}"
    )
    print(f"  wrote {out.relative_to(ROOT)}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
