"""Communication-cost curves, quantum against classical, and where they cross (DESIGN.md §1, §3).

:func:`run_curves` sweeps N = 2¹ … 2^{n_max} (and optionally several ε, L, K), evaluates the closed
forms of :mod:`qdist.network.costs` for every scheme, runs the protocols on the simulated network
for the small sizes (n ≤ ``sim_max_n``), and writes, atomically (temp file + ``os.replace``):

* ``curves.csv`` — one row per (scheme, N, ε, L, K, source): ``task, problem, scheme, kind, N, n,
  epsilon, layers, parties, qubits, classical_bits, communication, messages, copies, source,
  formula_match`` (``source`` is ``formula`` or ``simulated``; ``communication`` = qubits + bits;
  ``formula_match`` on simulated rows: the ledger equals the closed form — for ``tomography``, whose
  copies are random and whose line is the worst-case bound, the ledger is below it);
* ``curves.json`` — the same rows with the configuration;
* ``crossover.json`` — for each quantum scheme, the smallest N from which it is cheaper (qubits +
  bits) than the best classical scheme of the same problem for every larger N of the sweep, refined
  to the exact integer N by bisection on the closed forms (null if it never is), and the same
  against each classical scheme;
* ``curves.png`` — log-log lines (closed forms) with simulated points as markers, crossovers
  marked.

Problems: ``model`` (the compositional model of DESIGN §2; quantum vs pipeline / ship-data /
ship-model) and, for inference, ``linear`` (sign⟨w, x⟩ at margin γ, default the worst case
γ = 1/√N; quantum vs ship-data / sketch). A qubit and a bit count the same in ``communication``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qdist.io import atomic_write_bytes, atomic_write_text
from qdist.network import costs
from qdist.network.costs import CostTotals
from qdist.network.linear import linear_cost, resolve_margin
from qdist.network.model import ModelSpec

COLUMNS = (
    "task",
    "problem",
    "scheme",
    "kind",
    "N",
    "n",
    "epsilon",
    "layers",
    "parties",
    "qubits",
    "classical_bits",
    "communication",
    "messages",
    "copies",
    "source",
    "formula_match",
)
GRADIENT_SCHEMES = ("param-shift", "shadow", "tomography")
TASKS = ("inference", "gradient", "training")
#: Largest register simulated by default (seconds per point grow with n: compile + shots).
DEFAULT_SIM_MAX_N = {"inference": 6, "gradient": 2, "training": 1}


@dataclass(frozen=True)
class Scheme:
    name: str
    problem: str
    kind: str  # "quantum" | "classical"
    cost: Callable[[int], CostTotals]  # N -> closed-form totals


def _spec(N: int, cfg: dict) -> ModelSpec:
    return ModelSpec(
        features=N,
        layers=cfg["layers"],
        parties=cfg["parties"],
        schedule=cfg["schedule"],
        model=cfg["model"],
    )


def schemes_for(task: str, cfg: dict) -> list[Scheme]:
    """The schemes of one task for one (ε, L, K) configuration."""
    eps, dlt, b = cfg["epsilon"], cfg["delta"], cfg["bits"]
    out: list[Scheme] = []
    if task == "inference":
        out.append(
            Scheme(
                "quantum", "model", "quantum", lambda N: costs.quantum_inference_cost(_spec(N, cfg), eps, dlt)
            )
        )
        for s in costs.CLASSICAL_SCHEMES:
            out.append(
                Scheme(
                    s,
                    "model",
                    "classical",
                    lambda N, s=s: costs.classical_cost(_spec(N, cfg), s, "inference", b),
                )
            )
        m = cfg["margin"]
        out.append(
            Scheme("linear-quantum", "linear", "quantum", lambda N: linear_cost(N, "quantum", m, dlt, b))
        )
        out.append(
            Scheme(
                "linear-ship-data", "linear", "classical", lambda N: linear_cost(N, "ship-data", m, dlt, b)
            )
        )
        out.append(
            Scheme("linear-sketch", "linear", "classical", lambda N: linear_cost(N, "sketch", m, dlt, b))
        )
        return out
    T = cfg["steps"] if task == "training" else 1
    B = cfg["batch"] if task == "training" else 1
    for meth in GRADIENT_SCHEMES:
        out.append(
            Scheme(
                meth,
                "model",
                "quantum",
                lambda N, meth=meth: costs.quantum_gradient_cost(
                    _spec(N, cfg), meth, eps, dlt, b, batch=B
                ).scale(T),
            )
        )
    for s in costs.CLASSICAL_SCHEMES:
        out.append(
            Scheme(
                s,
                "model",
                "classical",
                lambda N, s=s: costs.classical_cost(_spec(N, cfg), s, "gradient", b, batch=B).scale(T),
            )
        )
    return out


def _row(task, sch: Scheme, N: int, cfg: dict, t: CostTotals, source: str, match) -> dict:
    return {
        "task": task,
        "problem": sch.problem,
        "scheme": sch.name,
        "kind": sch.kind,
        "N": N,
        "n": max(1, (N - 1).bit_length()),
        "epsilon": cfg["epsilon"],
        "layers": cfg["layers"],
        "parties": cfg["parties"],
        "qubits": t.qubits,
        "classical_bits": t.classical_bits,
        "communication": t.communication,
        "messages": t.messages,
        "copies": t.copies,
        "source": source,
        "formula_match": match,
    }


# ------------------------------------------------------------------------------------------------
# simulated points
# ------------------------------------------------------------------------------------------------


def _linear_instance(N: int, margin: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x, w with ⟨ŵ, x̂⟩ = margin exactly."""
    rng = np.random.default_rng([seed, N])
    x = rng.normal(size=N)
    xh = x / np.linalg.norm(x)
    u = rng.normal(size=N)
    u -= (u @ xh) * xh
    if N == 1 or np.linalg.norm(u) < 1e-12:
        return x, x.copy()
    u /= np.linalg.norm(u)
    return x, margin * xh + math.sqrt(max(0.0, 1 - margin**2)) * u


def simulate_point(task: str, sch: Scheme, N: int, cfg: dict, seed: int) -> CostTotals | None:
    """Run the scheme on the simulated network; None if it cannot run here (method missing)."""
    import qdist
    from qdist.network.classical import classical_ledger
    from qdist.network.linear import run_linear
    from qdist.network.model import random_model
    from qdist.network.protocols import run_gradient, run_inference, run_training

    eps, dlt, b = cfg["epsilon"], cfg["delta"], cfg["bits"]
    if sch.problem == "linear":
        g = resolve_margin(cfg["margin"], N)
        x, w = _linear_instance(N, g, seed)
        scheme = sch.name.removeprefix("linear-")
        r = run_linear(x, w, margin=g, delta=dlt, seed=seed, scheme=scheme, bits=b)
        return CostTotals(**r["ledger"].totals())
    spec = _spec(N, cfg)
    if sch.kind == "classical":
        model = random_model(spec, seed)
        if task == "training":
            led = classical_ledger(model, sch.name, "gradient", b, batch=cfg["batch"])
            return CostTotals(**led.totals()).scale(cfg["steps"])
        return CostTotals(**classical_ledger(model, sch.name, task, b).totals())
    if task == "inference":
        return CostTotals(**run_inference(random_model(spec, seed), eps, dlt, seed).totals)
    if sch.name not in qdist.methods():
        return None
    if task == "gradient":
        r = run_gradient(random_model(spec, seed), sch.name, eps, dlt, seed, bits=b, reference=False)
        return CostTotals(**r.totals)
    r = run_training(
        spec, sch.name, eps, dlt, seed, steps=cfg["steps"], batch=cfg["batch"], bits=b, reference=False
    )
    return CostTotals(**r.totals)


def simulate_task(task: str, scheme: str, N: int, cfg: dict, seed: int) -> dict | None:
    """One simulated point as an executor task (top level, picklable, explicit seed): the
    ledger totals of :func:`simulate_point` as a dict, or None when the scheme cannot run here."""
    sch = next((s for s in schemes_for(task, cfg) if s.name == scheme), None)
    if sch is None:
        raise ValueError(f"scheme: {scheme!r} is not a scheme of task {task!r}")
    t = simulate_point(task, sch, N, cfg, seed)
    return None if t is None else t.to_dict()


def task_name(task: str, scheme: str, N: int, cfg: dict) -> str:
    return f"{task}/{scheme}/N={N}/eps={cfg['epsilon']}/L={cfg['layers']}/K={cfg['parties']}"


def simulation_tasks(task: str, configs: Sequence[dict], grid: Sequence[int], sim_max_n: int, seed: int):
    """The simulated points of a sweep as :class:`qdist.scale.Task` items (n ≤ ``sim_max_n``)."""
    from qdist.scale import Task

    out = []
    for cfg in configs:
        for N in grid:
            if max(1, (N - 1).bit_length()) > sim_max_n:
                continue
            for sch in schemes_for(task, cfg):
                out.append(
                    Task(
                        task_name(task, sch.name, N, cfg),
                        simulate_task,
                        {"task": task, "scheme": sch.name, "N": N, "cfg": cfg, "seed": seed},
                    )
                )
    return out


# ------------------------------------------------------------------------------------------------
# crossovers
# ------------------------------------------------------------------------------------------------


def _first_cheaper(q: Callable[[int], int], c: Callable[[int], int], grid: Sequence[int]) -> int | None:
    """Smallest N with q(N) < c(N) for N and every larger grid point, refined by bisection between
    the previous grid point and the first good one (exact when, inside that interval, q is constant
    and c non-decreasing — true for these costs, which depend on N through n = ⌈log₂ N⌉ and N·b)."""
    good = [q(N) < c(N) for N in grid]
    if not good[-1]:
        return None
    i = len(grid) - 1
    while i > 0 and good[i - 1]:
        i -= 1
    if i == 0:
        return grid[0]
    lo, hi = grid[i - 1], grid[i]  # q(lo) ≥ c(lo), q(hi) < c(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if q(mid) < c(mid):
            hi = mid
        else:
            lo = mid
    return hi


def crossovers(schemes: list[Scheme], grid: Sequence[int]) -> dict:
    """For each quantum scheme: crossover N against the best classical scheme of its problem and
    against each classical scheme."""
    out = {}
    for q in (s for s in schemes if s.kind == "quantum"):
        classical = [s for s in schemes if s.kind == "classical" and s.problem == q.problem]
        qc = lambda N, q=q: q.cost(N).communication  # noqa: E731
        best = lambda N, cl=classical: min(s.cost(N).communication for s in cl)  # noqa: E731
        n_best = _first_cheaper(qc, best, grid)
        vs = {s.name: _first_cheaper(qc, lambda N, s=s: s.cost(N).communication, grid) for s in classical}
        out[q.name] = {
            "problem": q.problem,
            "vs_best_classical": n_best,
            "log2_N": None if n_best is None else round(math.log2(n_best), 3),
            "communication_at_crossover": None if n_best is None else qc(n_best),
            "vs": vs,
        }
    return out


# ------------------------------------------------------------------------------------------------
# plot
# ------------------------------------------------------------------------------------------------


def _plot(task: str, rows: list[dict], cross: dict, cfg: dict, title_extra: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = [p for p in ("model", "linear") if any(r["problem"] == p for r in rows)]
    fig, axes = plt.subplots(1, len(problems), figsize=(7.5 * len(problems), 5.5), squeeze=False)
    for ax, prob in zip(axes[0], problems, strict=True):
        names = list(dict.fromkeys(r["scheme"] for r in rows if r["problem"] == prob))
        for i, name in enumerate(names):
            color = f"C{i}"
            f = [r for r in rows if r["scheme"] == name and r["problem"] == prob and r["source"] == "formula"]
            kind = f[0]["kind"]
            ax.plot(
                [r["N"] for r in f],
                [max(r["communication"], 1) for r in f],
                color=color,
                ls="-" if kind == "quantum" else "--",
                label=f"{name} ({kind}{', worst-case bound' if name == 'tomography' else ''})",
            )
            sim = [
                r for r in rows if r["scheme"] == name and r["problem"] == prob and r["source"] == "simulated"
            ]
            if sim:
                ax.plot(
                    [r["N"] for r in sim],
                    [max(r["communication"], 1) for r in sim],
                    "o",
                    color=color,
                    mfc="none",
                    ms=6,
                )
            c = cross.get(name, {}).get("vs_best_classical") if kind == "quantum" else None
            if c is not None:
                ax.axvline(c, color=color, ls=":", lw=1)
                y = cross[name].get("communication_at_crossover") or 1
                ax.plot([c], [y], "*", color=color, ms=12)
                ax.annotate(
                    f"N={c}" if c < 2**20 else f"N≈2^{math.log2(c):.1f}",
                    (c, y),
                    color=color,
                    fontsize=8,
                    rotation=90,
                    va="bottom",
                )
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("N (input dimension)")
        ax.set_ylabel("communication: qubits + bits")
        ax.set_title(
            f"{task} — {prob}" + (" (margin " + str(cfg["margin"]) + ")" if prob == "linear" else "")
        )
        ax.grid(True, which="major", alpha=0.3)
        ax.plot([], [], "ko", mfc="none", label="simulated (ledger)")
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(title_extra, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# driver
# ------------------------------------------------------------------------------------------------


def _as_list(v, name: str, conv) -> list:
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if not vals:
        raise ValueError(f"{name}: expected at least one value")
    return [conv(x) for x in vals]


def run_curves(
    out_dir,
    task: str = "inference",
    *,
    n_max: int = 60,
    epsilon: float | Sequence[float] = 0.1,
    delta: float = 0.05,
    layers: int | Sequence[int] = 2,
    parties: int | Sequence[int] = 2,
    schedule: str = "pipeline",
    model: str = "diag",
    bits: int = 32,
    margin="sqrtN",
    steps: int = 10,
    batch: int = 1,
    sim_max_n: int | None = None,
    seed: int = 0,
    progress: bool = True,
    scheduler: str | None = None,
    workers: int | None = None,
) -> dict:
    """Sweep N = 2¹ … 2^{n_max}, write curves.csv/json, crossover.json and curves.png to ``out_dir``.

    ``sim_max_n``: simulate the protocols for n ≤ this (default :data:`DEFAULT_SIM_MAX_N` per task;
    at most 20). ``model``: ``"diag"`` (the model owners' layers carry 2ⁿ − 1 phases, P ∝ N — the
    regime of DESIGN §1's advantage) or ``"hea"`` (P = 2nL: shipping the model is cheap).

    The simulated points are independent tasks run by :func:`qdist.scale.run_tasks`: ``scheduler``
    ``None`` (``$QDIST_SCHEDULER``, else local spawned processes), ``"processes"``, ``"serial"`` or a
    Dask address ``tcp://host:port``; ``workers`` local processes (default: cores). As they finish
    they are appended to ``out_dir/curves.partial.jsonl`` (a rerun resumes from it) and curves.csv /
    curves.json are rewritten (at most every 2 s); a point that fails twice is reported by name in
    ``failed`` and the checkpoint is kept; with no failure it is removed at the end.

    Returns a summary: ``{"task", "files", "crossovers", "config", "rows", "failed", …}`` where
    ``crossovers`` is the content of crossover.json for the first (ε, L, K) configuration.
    """
    from pathlib import Path

    from qdist.scale import resolve_scheduler

    if task not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(TASKS)}, got {task!r}")
    n_max = costs.check_count(n_max, "n_max")
    if n_max > 200:
        raise ValueError(f"n_max: expected at most 200, got {n_max}")
    if sim_max_n is None:
        sim_max_n = DEFAULT_SIM_MAX_N.get(task, 0)
    if isinstance(sim_max_n, bool) or not isinstance(sim_max_n, int) or sim_max_n < 0:
        raise ValueError(f"sim_max_n: expected an integer ≥ 0, got {sim_max_n!r}")
    if sim_max_n > 20:
        raise ValueError(f"sim_max_n: the simulator is limited to n ≤ 20 qubits, got {sim_max_n}")
    eps_list = _as_list(epsilon, "epsilon", costs.check_epsilon)
    dlt = costs.check_delta(delta)
    L_list = _as_list(layers, "layers", lambda v: costs.check_count(v, "layers"))
    K_list = _as_list(parties, "parties", lambda v: costs.check_count(v, "parties"))
    b = costs.check_bits(bits)
    steps, batch = costs.check_count(steps, "steps"), costs.check_count(batch, "batch")
    resolve_margin(margin, 4)  # validate
    scheduler = resolve_scheduler(scheduler)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers: expected an integer ≥ 1, got {workers!r}")
    configs = []
    for e in eps_list:
        for L in L_list:
            for K in K_list:
                ModelSpec(features=2, layers=L, parties=K, schedule=schedule, model=model)  # validate
                configs.append(
                    {
                        "epsilon": e,
                        "delta": dlt,
                        "layers": L,
                        "parties": K,
                        "schedule": schedule,
                        "model": model,
                        "bits": b,
                        "margin": margin,
                        "steps": steps,
                        "batch": batch,
                    }
                )
    out = Path(out_dir)
    grid = [2**k for k in range(1, n_max + 1)]
    scheme_sets = [schemes_for(task, cfg) for cfg in configs]
    # canonical row order: per (config, N, scheme) the formula row, then the simulated row if any
    slots: list[tuple[str, dict]] = []
    formula: dict[str, tuple] = {}
    for cfg, schemes in zip(configs, scheme_sets, strict=True):
        for N in grid:
            for sch in schemes:
                name = task_name(task, sch.name, N, cfg)
                t = sch.cost(N)
                formula[name] = (sch, N, cfg, t)
                slots.append((name, _row(task, sch, N, cfg, t, "formula", "")))
    simulated: dict[str, dict] = {}

    def current_rows() -> list[dict]:
        rows = []
        for name, row in slots:
            rows.append(row)
            if name in simulated:
                rows.append(simulated[name])
        return rows

    def write_tables(rows: list[dict]) -> None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        atomic_write_text(out / "curves.csv", buf.getvalue())
        atomic_write_text(
            out / "curves.json",
            json.dumps({"task": task, "configs": configs, "rows": rows}, indent=1) + "\n",
        )

    last_write = [0.0]

    def on_result(name: str, value) -> None:
        if value is None:
            return
        sch, N, cfg, t = formula[name]
        sim = CostTotals(**value)
        # tomography consumes a random number of copies: its line is an upper bound
        match = sim.communication <= t.communication if sch.name == "tomography" else sim == t
        simulated[name] = _row(task, sch, N, cfg, sim, "simulated", match)
        if time.monotonic() - last_write[0] > 2.0:
            write_tables(current_rows())
            last_write[0] = time.monotonic()

    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "curves.partial.jsonl"
    failed: dict[str, str] = {}
    sim_tasks = simulation_tasks(task, configs, grid, sim_max_n, seed)
    if sim_tasks:
        from qdist.scale import run_tasks

        res = run_tasks(
            sim_tasks,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            on_result=on_result,
            checkpoint=ckpt,
            desc=f"curves {task}",
        )
        failed = dict(res.failed)
    rows = current_rows()
    all_cross = []
    for cfg, schemes in zip(configs, scheme_sets, strict=True):
        all_cross.append({"config": cfg, "crossovers": crossovers(schemes, grid)})
    write_tables(rows)
    if not failed and ckpt.exists():
        ckpt.unlink()
    cross_doc = {
        "task": task,
        "metric": "qubits + classical bits",
        "note": "smallest N from which the quantum scheme is cheaper than the best classical scheme "
        "of the same problem (null: never up to N = 2^n_max)",
        "n_max": n_max,
        "results": all_cross,
    }
    atomic_write_text(out / "crossover.json", json.dumps(cross_doc, indent=1) + "\n")
    first = configs[0]
    title = (
        f"ε={first['epsilon']}, δ={dlt}, L={first['layers']}, K={first['parties']}, {schedule}, "
        f"model={model}, b={b}" + (f", T={steps}, B={batch}" if task == "training" else "")
    )
    first_rows = [
        r
        for r in rows
        if r["epsilon"] == first["epsilon"]
        and r["layers"] == first["layers"]
        and r["parties"] == first["parties"]
    ]
    atomic_write_bytes(out / "curves.png", _plot(task, first_rows, all_cross[0]["crossovers"], first, title))
    files = {
        k: str(out / f)
        for k, f in (
            ("csv", "curves.csv"),
            ("json", "curves.json"),
            ("crossover", "crossover.json"),
            ("png", "curves.png"),
        )
    }
    return {
        "task": task,
        "files": files,
        "config": first,
        "crossovers": all_cross[0]["crossovers"],
        "all_crossovers": all_cross,
        "rows": len(rows),
        "simulated_rows": sum(r["source"] == "simulated" for r in rows),
        "mismatches": [
            (r["scheme"], r["N"]) for r in rows if r["source"] == "simulated" and r["formula_match"] is False
        ],
        "failed": failed,
    }
