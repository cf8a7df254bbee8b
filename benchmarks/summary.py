"""Write ``benchmarks/results/SUMMARY.md`` from the benchmark JSON files (atomically).

    python benchmarks/summary.py [--results DIR]

Every figure is shown next to its target and its competitor, as a ratio of two numbers measured in
the same run (same process, same machine, same inputs). For each benchmark the full run
(``<name>.json``) is used when present, else the quick run (``<name>_quick.json``); missing or
unreadable files are listed, never fatal. Known schemas (``simulator``, ``shadow_speed``,
``gradient_scaling``, ``hardware_path``, ``executor``, ``block_kernels``) get dedicated tables; any other ``<name>.json`` with a ``"benchmark"`` key gets
a generic table of its ratios, targets and flags. Two plots are drawn here (``summary_simulator.png``,
``summary_shadow_speed.png``); plots written by the scripts themselves are linked.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
KNOWN = ("simulator", "shadow_speed", "gradient_scaling", "hardware_path", "executor", "block_kernels")
NOT_BENCHMARKS = {"run_all", "run_all_quick"}


# ------------------------------------------------------------------------------------------------
# loading
# ------------------------------------------------------------------------------------------------


def load(results: Path, name: str) -> tuple[dict | None, str | None, str | None]:
    """``(payload, file name, problem)`` for the full run, else the quick run, else nothing."""
    problems = []
    for fname in (f"{name}.json", f"{name}_quick.json"):
        path = results / fname
        if not path.is_file():
            continue
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            problems.append(f"`{fname}` unreadable ({type(exc).__name__})")
            continue
        if not isinstance(data, dict):
            problems.append(f"`{fname}` is not a JSON object")
            continue
        return data, fname, None
    return None, None, "; ".join(problems) or "no result file"


def benchmark_names(results: Path) -> list[str]:
    """Known benchmarks first, then any other ``*.json`` that declares a ``"benchmark"``."""
    names = list(KNOWN)
    if results.is_dir():
        for path in sorted(results.glob("*.json")):
            stem = path.stem.removesuffix("_quick")
            if stem in names or stem in NOT_BENCHMARKS:
                continue
            try:
                with open(path) as fh:
                    if isinstance(json.load(fh), dict):
                        names.append(stem)
            except (OSError, ValueError):
                names.append(stem)
    return names


# ------------------------------------------------------------------------------------------------
# formatting
# ------------------------------------------------------------------------------------------------


def num(x, unit: str = "") -> str:
    """Compact number: seconds as ms/µs, counts with thousands separators."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if not isinstance(x, (int, float)) or (isinstance(x, float) and not math.isfinite(x)):
        return str(x)
    if unit == "s":
        if x == 0:
            return "0 s"
        if abs(x) < 1e-3:
            return f"{x * 1e6:.3g} µs"
        if abs(x) < 1:
            return f"{x * 1e3:.3g} ms"
        return f"{x:.3g} s"
    if unit == "B":
        for u, k in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if abs(x) >= k:
                return f"{x / k:.3g} {u}"
        return f"{int(x)} B"
    if isinstance(x, int) or (float(x).is_integer() and abs(x) >= 1000):
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def ratio(a, b) -> float | None:
    try:
        return float(a) / float(b) if b not in (0, None) and a is not None else None
    except (TypeError, ValueError):
        return None


def met(flag) -> str:
    return "–" if flag is None else ("✅ met" if flag else "❌ not met")


def table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out + [""]


def get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def machine_line(m: dict | None) -> str:
    """One line from either machine schema (``_common.machine`` or shadow_speed's own)."""
    if not isinstance(m, dict):
        return "machine not recorded"
    cpu = m.get("cpu") or m.get("processor") or "?"
    cores = m.get("cores", m.get("cpu_count", "?"))
    versions = dict(m.get("versions") or {})
    for k in ("numpy", "pennylane", "qiskit", "jax"):
        if k in m and k not in versions:
            versions[k] = m[k]
    vs = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    load = m.get("load_average_1min")
    parts = [f"{cpu}, {cores} cores"]
    if load is not None:
        parts.append(f"load {load:.2f}" if isinstance(load, (int, float)) else f"load {load}")
    if m.get("python"):
        parts.append(f"Python {m['python']}")
    if m.get("date"):
        parts.append(str(m["date"]))
    return "; ".join(parts) + (f" — {vs}" if vs else "")


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_figure(fig, path: Path) -> None:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write(path, buf.getvalue())


def pyplot():
    """matplotlib's pyplot on the Agg backend, or None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


# ------------------------------------------------------------------------------------------------
# per-benchmark sections
# ------------------------------------------------------------------------------------------------

HEADER = ["case", "figure", "qdist", "competitor", "ratio", "target", "status"]


def section_simulator(d: dict, results: Path, plots: bool) -> list[str]:
    lines = [
        "Forward pass and gradient of a hardware-efficient circuit (⟨Z₀⟩), qdist against PennyLane "
        "and Qiskit Aer in the same process. *ratio* = competitor time / qdist time (> 1: qdist "
        "faster).",
        "",
    ]
    rows = []
    for case in d.get("cases") or []:
        label = f"n={case.get('n')}, L={case.get('layers')}, P={case.get('params')}"
        secs = case.get("seconds") or {}
        ours = secs.get("qdist") or {}
        fastest = case.get("fastest_competitor_gradient")
        targets = case.get("targets") or {}
        for comp, t in secs.items():
            if comp == "qdist":
                continue
            is_fastest = comp == fastest
            rows.append(
                [
                    label,
                    "gradient time",
                    num(ours.get("gradient"), "s"),
                    f"{comp}: {num(t.get('gradient'), 's')}",
                    f"{num(ratio(t.get('gradient'), ours.get('gradient')))}×",
                    "≥ 3× vs fastest" if is_fastest else "",
                    met(targets.get("gradient_speedup_vs_fastest>=3")) if is_fastest else "",
                ]
            )
        comp_t = secs.get(fastest) or {}
        rows.append(
            [
                label,
                "gradient / forward",
                num(ratio(ours.get("gradient"), ours.get("forward"))),
                f"{fastest}: {num(ratio(comp_t.get('gradient'), comp_t.get('forward')))}",
                "",
                "≤ 3",
                met(targets.get("gradient_over_forward<=3")),
            ]
        )
        diffs = case.get("max_abs_gradient_difference") or {}
        if diffs:
            rows.append(
                [label, "max gradient difference", "", f"worst: {num(max(diffs.values()))}", "", "", ""]
            )
    mem = d.get("memory") or []
    if mem:
        lo, hi = mem[0], mem[-1]
        rows.append(
            [
                f"n={hi.get('n')}, P={lo.get('params')}→{hi.get('params')}",
                "gradient scratch memory",
                f"{num(lo.get('qdist_adjoint_temp_bytes'), 'B')} → {num(hi.get('qdist_adjoint_temp_bytes'), 'B')}",
                f"plain JAX autodiff: {num(lo.get('jax_autodiff_temp_bytes'), 'B')} → "
                f"{num(hi.get('jax_autodiff_temp_bytes'), 'B')}",
                f"{num(ratio(hi.get('jax_autodiff_temp_bytes'), hi.get('qdist_adjoint_temp_bytes')))}× at P={hi.get('params')}",
                "independent of P",
                met(d.get("memory_independent_of_params")),
            ]
        )
    lines += table(HEADER, rows)
    if plots and d.get("cases"):
        plt = pyplot()
        if plt is not None:
            cases = d["cases"]
            names = list((cases[0].get("seconds") or {}).keys())
            fig, ax = plt.subplots(figsize=(8, 4))
            width = 0.8 / max(1, len(names))
            for i, name in enumerate(names):
                ys = [get(c, "seconds", name, "gradient", default=float("nan")) for c in cases]
                ax.bar([j + i * width for j in range(len(cases))], ys, width, label=name)
            ax.set_xticks([j + 0.4 - width / 2 for j in range(len(cases))])
            ax.set_xticklabels([f"n={c.get('n')}, P={c.get('params')}" for c in cases])
            ax.set_yscale("log")
            ax.set_ylabel("gradient wall time (s)")
            ax.set_title("simulator: gradient time, same run")
            ax.legend(fontsize=7)
            save_figure(fig, results / "summary_simulator.png")
            plt.close(fig)
    return lines


def section_shadow_speed(d: dict, results: Path, plots: bool) -> list[str]:
    lines = [
        f"`shadows.estimate` against PennyLane's `ClassicalShadow.expval` on the same shadow: "
        f"{d.get('num_qubits')} qubits, {num(d.get('num_snapshots'))} snapshots, "
        f"{num(d.get('num_observables'))} Pauli observables of weight ≤ {d.get('max_weight')}. "
        f"PennyLane: {d.get('pennylane_mode', 'timed on a subset')}.",
        "",
    ]
    ours, theirs = d.get("ours_seconds_median"), d.get("pennylane_seconds_extrapolated")
    label = f"n={d.get('num_qubits')}, T={num(d.get('num_snapshots'))}, M={num(d.get('num_observables'))}"
    rows = [
        [
            label,
            "estimate all observables (wall)",
            num(ours, "s"),
            f"PennyLane: {num(theirs, 's')}",
            f"{num(d.get('speed_ratio', ratio(theirs, ours)))}×",
            f"≥ {num(d.get('target_ratio'))}×",
            met(d.get("meets_target")),
        ],
        [
            label,
            "estimate all observables (CPU)",
            "",
            f"PennyLane: {num(d.get('pennylane_cpu_seconds_extrapolated'), 's')}",
            f"{num(d.get('speed_ratio_cpu'))}×",
            "",
            "",
        ],
        [
            label,
            "agreement (mean, median of means)",
            "",
            f"max diff {num(d.get('max_abs_diff_mean'))}, {num(d.get('max_abs_diff_median_of_means'))}",
            "",
            "≤ 1e-12",
            met(d.get("agree")),
        ],
    ]
    lines += table(HEADER, rows)
    if plots and ours and theirs:
        plt = pyplot()
        if plt is not None:
            fig, ax = plt.subplots(figsize=(6, 3))
            ax.barh(["PennyLane (extrapolated)", "shadows.estimate"], [theirs, ours], color=["C1", "C0"])
            ax.set_xscale("log")
            ax.set_xlabel("wall time (s)")
            ax.set_title(f"classical-shadow estimation, {label}")
            save_figure(fig, results / "summary_shadow_speed.png")
            plt.close(fig)
    return lines


def section_gradient_scaling(d: dict, results: Path, plots: bool) -> list[str]:
    settings = d.get("settings") or {}
    delta = settings.get("delta", 0.05)
    rows_in = d.get("rows") or []
    lines = [
        f"Copies (state preparations) for a max-norm gradient error ≤ ε with probability ≥ "
        f"{1 - delta:g}, on {settings.get('circuit', 'a hardware-efficient circuit')}. The competitor "
        "of every shot-based estimator is parameter shift in the same run; *ratio* = parameter-shift "
        "copies / method copies (> 1: fewer copies than parameter shift).",
        "",
    ]
    rows = []
    for series in ("narrow", "wide"):
        sel = [r for r in rows_in if r.get("series") == series]
        if not sel:
            continue
        r = max(sel, key=lambda r: r.get("M", 0))
        for eps, res in (r.get("per_eps") or {}).items():
            ps = get(res, "param-shift", "copies")
            label = f"{series}: n={r.get('n')}, M={r.get('M')}, ε={eps}"
            for method in ("shadow", "tomography", "spsa"):
                if method not in res:
                    continue
                c = res[method].get("copies")
                rows.append(
                    [
                        label,
                        f"{method} copies",
                        num(c),
                        f"param-shift: {num(ps)}",
                        f"{num(ratio(ps, c))}×",
                        "",
                        "",
                    ]
                )
    lines += table(HEADER, rows)

    # backpropagation scaling (docs/concepts/gradients.md#backpropagation-scaling), smallest ε row of the narrow series
    narrow = [r for r in rows_in if r.get("series") == "narrow"]
    cb = {x.get("M"): x for x in d.get("classical_backprop") or []}
    if narrow:
        lines += [
            "**[Backpropagation scaling](../../concepts/gradients.md#backpropagation-scaling)**: cost(gradient) / cost(one evaluation of f to the "
            "same ε), narrow series; classical backprop = `value_and_grad` time / `expval` time in the "
            "same run.",
            "",
        ]
        eps0 = str((settings.get("epsilons") or [0.1])[0])
        brows = []
        for r in narrow:
            res = get(r, "per_eps", eps0) or {}
            cells = [str(r.get("M"))]
            for method in ("param-shift", "shadow", "spsa", "tomography"):
                m = res.get(method)
                cells.append(f"{num(m.get('ratio_copies'))} / {num(m.get('ratio_seconds'))}" if m else "–")
            cells.append(num(get(cb, r.get("M"), "ratio")))
            brows.append(cells)
        lines += table(
            [f"M (ε={eps0})", "param-shift", "shadow", "spsa", "tomography", "classical backprop"],
            brows,
        )
        lines += ["Cells: copies ratio / wall-time ratio.", ""]

    ver = d.get("verification") or {}
    if ver:
        vrows = []
        for point, res in ver.items():
            for key, v in res.items():
                runs = v.get("runs") or 0
                se = math.sqrt(delta * (1 - delta) / runs) if runs else None
                vrows.append(
                    [
                        point.replace("|", " · "),
                        key,
                        num(v.get("success")),
                        f"{runs} (± {num(se)} at the target rate)" if se else str(runs),
                        f"≥ {1 - delta:g}",
                        met(v.get("success", 0) >= 1 - delta) if v.get("runs", 0) >= 10 else "– (few runs)",
                    ]
                )
        lines += ["**Verification** — fraction of runs at the planned budget with max error ≤ ε:", ""]
        lines += table(["point", "method@ε", "success", "runs", "target", "status"], vrows)
    fits = d.get("fits") or {}
    if fits:
        frows = [[k.replace("|", " · "), num(v)] for k, v in fits.items()]
        lines += ["**Fitted exponents** a in copies ∝ M^a (method · ε · series):", ""]
        lines += table(["fit", "a"], frows)
    return lines


def section_hardware_path(d: dict, results: Path, plots: bool) -> list[str]:
    cfg = d.get("config") or {}
    ours = d.get("qdist_param_shift") or {}
    shadow = d.get("qdist_shadow") or {}
    rt = d.get("runtime_one_job_per_circuit") or {}
    pl = d.get("pennylane_qiskit_remote") or {}
    speed = d.get("speedup") or {}
    cover = d.get("accuracy_on_competitor_components") or {}
    label = (
        f"{cfg.get('device')}, n={cfg.get('qubits')}, P={cfg.get('params')}, {num(cfg.get('shots'))} shots"
    )
    lines = [
        "A parameter-shift gradient on a fake IBM device: qdist's one-job path against Runtime with one "
        "job per circuit (a) and pennylane-qiskit's remote device (b). *ratio* = competitor time / qdist "
        "time. Competitor times marked *extrapolated* come from the jobs they ran (see the JSON).",
        "",
    ]
    target = speed.get("target")
    rows = []
    for key, comp, name in (
        ("runtime", rt, "(a) Runtime, one job per circuit"),
        ("pennylane", pl, "(b) pennylane-qiskit"),
    ):
        if not comp or comp.get("available") is False:
            if comp.get("reason"):
                rows.append(
                    [label, "gradient time", "", f"{name}: unavailable ({comp['reason']})", "", "", ""]
                )
            continue
        extra = " (extrapolated)" if comp.get("extrapolated") else ""
        for temp in ("cold", "warm"):
            rows.append(
                [
                    label,
                    f"gradient end to end ({temp})",
                    num(ours.get(f"{temp}_seconds"), "s"),
                    f"{name}: {num(comp.get('end_to_end_seconds'), 's')}{extra}",
                    f"{num(speed.get(f'vs_{key}_{temp}'))}×",
                    f"≥ {num(target)}×" if temp == "cold" and target is not None else "",
                    met(speed.get("target_met_cold")) if temp == "cold" else "",
                ]
            )
    qe, re_ = cover.get("qdist_errors") or {}, cover.get("runtime_errors") or {}
    if qe or re_:
        rows.append(
            [
                label,
                f"max error on {cover.get('components')} components",
                num(qe.get("max_abs_error")),
                f"(a): {num(re_.get('max_abs_error'))}",
                "",
                "",
                "",
            ]
        )
    first = d.get("first_circuit_identical_to_full_device")
    if isinstance(first, dict):
        flag = first.get("identical", first.get("equal"))
        rows.append(
            [
                label,
                "restricted vs full noise model, circuit 0",
                "",
                "(a), same seed",
                "",
                "identical",
                met(flag),
            ]
        )
    if shadow:
        rows.append(
            [
                label,
                "layer-shadow gradient (warm)",
                f"{num(shadow.get('warm_seconds'), 's')}, {num(shadow.get('copies'))} copies",
                f"qdist param-shift: {num(ours.get('copies'))} copies",
                f"{num(ratio(ours.get('copies'), shadow.get('copies')))}× fewer copies",
                "",
                "",
            ]
        )
    return lines + table(HEADER, rows)


def section_executor(d: dict, results: Path, plots: bool) -> list[str]:
    walls = d.get("wall_seconds") or {}
    sweep = d.get("sweep") or {}
    base_key = next((k for k in walls if "1" in k), next(iter(walls), None))
    base = walls.get(base_key)
    rows = [[k, num(v, "s"), f"{num(ratio(base, v))}×" if base else ""] for k, v in walls.items()]
    lines = [
        f"The same sweep ({sweep.get('what', 'simulated points')}, {sweep.get('tasks')} tasks) on different "
        f"executors; *ratio* = `{base_key}` time / this time. Results identical across runs: "
        f"{met(d.get('results_identical'))}.",
        "",
    ]
    return lines + table(["executor", "wall time", "ratio"], rows)


def _spread(values, fmt=".1f") -> str:
    """``min–max`` of some numbers (one number when they agree to the format)."""
    vals = [v for v in values if isinstance(v, (int, float))]
    if not vals:
        return "–"
    lo, hi = format(min(vals), fmt), format(max(vals), fmt)
    return lo if lo == hi else f"{lo}–{hi}"


def section_block_kernels(d: dict, results: Path, plots: bool) -> list[str]:
    stream = d.get("stream_GBps") or {}
    lines = [
        "One block (apply) and one adjoint step per call of a jitted loop of "
        f"{get(d, 'settings', 'blocks_per_loop', default='?')} blocks on a traced pair: the interpreter's "
        "two XLA gathers against the C++ kernels on 1 and 2 threads (separate processes). Cells: GB/s "
        "over the five measured pairs (min–max), in brackets as a fraction of the in-place streaming "
        "bandwidth measured in the same process ("
        + ", ".join(f"{k}: {num(v)} GB/s" for k, v in stream.items())
        + "); *speedup* = gather time / native time.",
        "",
    ]
    groups: dict[tuple, dict] = {}
    for r in d.get("rows") or []:
        engine = r.get("engine") if r.get("threads") is None else f"{r.get('engine')} {r.get('threads')}"
        groups.setdefault((r.get("n"), r.get("dtype"), r.get("op")), {}).setdefault(engine, []).append(r)

    def cell(rs):
        gbps = _spread(r.get("GBps") for r in rs)
        return f"{gbps} ({_spread((r.get('fraction_of_stream') for r in rs), '.2f')})"

    rows = []
    for (n, dtype, op), by in groups.items():
        speed = [r.get("speedup_vs_gather") for e in ("native 1", "native 2") for r in by.get(e) or []]
        cells = [cell(by.get(e) or []) for e in ("gather", "native 1", "native 2")]
        rows.append([f"n={n}, {dtype}, {op}", *cells, _spread(speed)])
    lines += table(["case", "gather", "native, 1 thread", "native, 2 threads", "speedup"], rows)
    for dtype, c in (d.get("checks") or {}).items():
        tol = c.get("tolerance")
        flag = f" (< {num(tol)}: {met(c.get('agree'))})" if tol else ""
        lines += [
            f"* max abs difference native − gather, {dtype}: {num(c.get('max_abs_diff_vs_gather'))}{flag}"
        ]
    return lines + [""]


def _flatten(d, prefix=""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and k != "machine":
            yield from _flatten(v, key + ".")
        elif isinstance(v, (int, float, bool)) or v is None:
            yield key, v


def section_generic(d: dict, results: Path, plots: bool) -> list[str]:
    words = ("ratio", "speedup", "speed_up", "target", "meets", "agree", "within", "over", "vs")
    rows = [
        [k, num(v)]
        for k, v in _flatten({k: v for k, v in d.items() if k != "machine"})
        if any(w in k.lower() for w in words)
    ]
    if not rows:
        return ["No ratios or targets found in this file; see the JSON.", ""]
    return ["Ratios, targets and flags recorded by the script:", ""] + table(["quantity", "value"], rows)


SECTIONS = {
    "simulator": section_simulator,
    "shadow_speed": section_shadow_speed,
    "gradient_scaling": section_gradient_scaling,
    "hardware_path": section_hardware_path,
    "executor": section_executor,
    "block_kernels": section_block_kernels,
}


# ------------------------------------------------------------------------------------------------
# the page
# ------------------------------------------------------------------------------------------------


def render(results: Path = RESULTS, plots: bool = True) -> str:
    lines = [
        "# Benchmark summary",
        "",
        "Generated by `benchmarks/summary.py` from the JSON files in this folder (`make bench` "
        "measures and regenerates it). Every ratio compares two numbers measured in the same run on "
        "the machine named under each benchmark. *quick* marks a `--quick` run (small sizes).",
        "",
    ]
    log, log_name, _ = load(results, "run_all")
    if log is None:
        log, log_name, _ = load(results, "run_all_quick")
    if log:
        failed = log.get("failed") or []
        runs = log.get("runs") or []
        status = f"failed: {', '.join(failed)}" if failed else "all scripts succeeded"
        lines += [
            f"Last `run_all.py` ({'quick' if log.get('quick') else 'full'}, "
            f"{get(log, 'machine', 'date', default='?')}): "
            f"{', '.join(str(r.get('script')) for r in runs) or 'no scripts'}; {status}.",
            "",
        ]
    missing = []
    for name in benchmark_names(results):
        d, fname, problem = load(results, name)
        if d is None:
            missing.append(f"`{name}` ({problem})")
            continue
        quick = bool(d.get("quick") or get(d, "sweep", "quick")) or fname.endswith("_quick.json")
        lines += [f"## {name}", "", f"Source: [`{fname}`]({fname}){' — *quick*' if quick else ''}.", ""]
        lines += [f"Machine: {machine_line(d.get('machine'))}.", ""]
        try:
            fallback = section_executor if name.startswith("executor") else section_generic
            lines += SECTIONS.get(name, fallback)(d, results, plots)
        except Exception as exc:  # a schema change must not lose the rest of the summary
            lines += [f"Could not summarise this file ({type(exc).__name__}: {exc}).", ""]
        stem = fname.removesuffix(".json")
        pngs = [f"summary_{name}.png"] if (results / f"summary_{name}.png").is_file() else []
        pngs += [f"{stem}.png"] if (results / f"{stem}.png").is_file() else []
        for png in dict.fromkeys(pngs):
            lines += [f"![{name}]({png})", ""]
    if missing:
        lines += ["## Not measured yet", "", *[f"* {m}" for m in missing], ""]
    return "\n".join(lines).rstrip() + "\n"


def write_summary(results: Path = RESULTS, plots: bool = True) -> Path:
    """Render and write ``SUMMARY.md`` atomically; returns its path."""
    results = Path(results)
    text = render(results, plots)
    path = results / "SUMMARY.md"
    atomic_write(path, text.encode())
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(RESULTS), help="results folder (default benchmarks/results)")
    ap.add_argument("--no-plots", dest="plots", action="store_false", help="do not draw summary plots")
    args = ap.parse_args(argv)
    print(f"wrote {write_summary(Path(args.results), args.plots)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
