"""Communication-cost curves, quantum against classical, and where they cross ([what qdist is for][what-qdist-is-for], [protocols and communication][protocols-and-communication]).

[`run_curves`][qdist.reports.curves.run_curves] sweeps N = 2¹ … 2^{n_max} (and optionally several ε, L, K), evaluates the closed
forms of [`qdist.network.costs`][qdist.network.costs] for every scheme, runs the protocols on the simulated network
for the small sizes (n ≤ ``sim_max_n``), and writes, atomically (temp file + ``os.replace``):

* ``curves.csv`` — one row per (scheme, N, ε, L, K, source): ``task, problem, scheme, kind, N, n,
  epsilon, layers, parties, qubits, classical_bits, communication, messages, copies, source,
  formula_match, ebits, transmissions, network_seconds`` (``source`` is ``formula`` or
  ``simulated``; ``communication`` = qubits + ebits + bits; ``transmissions`` the expectation under
  the links' loss; ``network_seconds`` the expected time of a quantum scheme's formula row,
  [the time model][link-models-time], empty otherwise;
  ``formula_match`` on simulated rows: the ledger equals the closed form — for ``tomography``, whose
  copies are random and whose line is the worst-case bound, the ledger is below it);
* ``curves.json`` — the same rows with the configuration;
* ``crossover.json`` — for each quantum scheme, the smallest N from which it is cheaper (qubits +
  bits) than the best classical scheme of the same problem for every larger N of the sweep, refined
  to the exact integer N by bisection on the closed forms (null if it never is), and the same
  against each classical scheme;
* ``curves.png`` — log-log lines (closed forms) with simulated points as markers, crossovers
  marked; with ``metric="time"`` also ``curves_time.png`` — the quantum schemes' network time
  against N ([`plot_time_curves`][qdist.reports.plots.time_curves.plot_time_curves]).

``links`` ([link models][link-models]) apply to the quantum schemes, closed forms and simulated
points alike (the classical baselines keep their ideal classical links).

Problems: ``model`` (the compositional model ([the model][compositional-model]); quantum vs pipeline / ship-data /
ship-model) and, for inference, ``linear`` (sign⟨w, x⟩ at margin γ, default the worst case
γ = 1/√N; quantum vs ship-data / sketch). A qubit and a bit count the same in ``communication``.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Sequence

from qdist.io import atomic_write_bytes, atomic_write_text
from qdist.network import costs
from qdist.network.costs import CostTotals
from qdist.network.importance import importance_applies
from qdist.network.linear import resolve_margin
from qdist.network.links import IDEAL, Links, check_links
from qdist.network.model import ModelSpec
from qdist.network.spec import DEFAULT_MODEL

# Re-exported: every name of this module before its split stays importable from here.
from qdist.reports.crossovers import _first_cheaper, crossovers  # noqa: F401
from qdist.reports.plot_curves import _plot
from qdist.reports.schemes import GRADIENT_SCHEMES, LOWER_BOUND, Scheme, _spec, schemes_for  # noqa: F401
from qdist.reports.simulate import (  # noqa: F401
    _linear_instance,
    simulate_point,
    simulate_task,
    simulation_tasks,
    task_name,
)

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
    "ebits",
    "transmissions",
    "network_seconds",
)
METRICS = ("volume", "time")
TASKS = ("inference", "gradient", "training")
#: Largest register simulated by default (seconds per point grow with n; the interpreter runs the
#: diag model without compiling per circuit, so inference points reach n = 10 in ~15 s in all).
DEFAULT_SIM_MAX_N = {"inference": 10, "gradient": 3, "training": 1}


def _importance_note(cfg: dict) -> str:
    why = importance_applies(
        ModelSpec(features=2, **{k: cfg[k] for k in ("layers", "parties", "schedule", "model")})
    )
    if why is None:
        return (
            "a cheaper classical protocol (upper bound) that applies to this model: Alice sends importance "
            "samples of her vector, O((n + b)/eps^2) bits; compared in 'vs'"
        )
    return f"does not apply to this model: {why}"


def _row(task, sch: Scheme, N: int, cfg: dict, t: CostTotals, source: str, match, seconds="") -> dict:
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
        "ebits": t.ebits,
        "transmissions": t.transmissions,
        "network_seconds": seconds,
    }


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
    layers: int | Sequence[int] = DEFAULT_MODEL["layers"],
    parties: int | Sequence[int] = DEFAULT_MODEL["parties"],
    schedule: str = DEFAULT_MODEL["schedule"],
    model: str = DEFAULT_MODEL["model"],
    bits: int = 32,
    margin="sqrtN",
    steps: int = 10,
    batch: int = 1,
    sim_max_n: int | None = None,
    seed: int = 0,
    progress: bool = True,
    scheduler: str | None = None,
    workers: int | None = None,
    operating_points: Sequence[dict] = (),
    links: Links = IDEAL,
    metric: str = "volume",
) -> dict:
    """Sweep N = 2¹ … 2^{n_max}, write curves.csv/json, crossover.json and curves.png to ``out_dir``.

    ``sim_max_n``: simulate the protocols for n ≤ this (default `DEFAULT_SIM_MAX_N` per task;
    at most 20). ``model``: ``"diag"`` (the model owners' layers carry 2ⁿ − 1 phases, P ∝ N — the
    regime of [the communication advantage][what-qdist-is-for]) or ``"hea"`` (P = 2nL: shipping the model is cheap).

    The simulated points are independent tasks run by `qdist.scale.run_tasks`: ``scheduler``
    ``None`` (``$QDIST_SCHEDULER``, else local spawned processes), ``"processes"``, ``"serial"`` or a
    Dask address ``tcp://host:port``; ``workers`` local processes (default: cores). As they finish
    they are appended to ``out_dir/curves.partial.jsonl`` (a rerun resumes from it) and curves.csv /
    curves.json are rewritten (at most every 2 s); a point that fails twice is reported by name in
    ``failed`` and the checkpoint is kept; with no failure it is removed at the end.

    ``operating_points``: measured runs to mark on the plot, dicts ``{"label", "N",
    "communication"[, "scheme"]}`` (the demo marks its training runs).

    Returns a summary: ``{"task", "files", "crossovers", "config", "rows", "failed", …}`` where
    ``crossovers`` is the content of crossover.json for the first (ε, L, K) configuration.
    """
    from pathlib import Path

    from qdist.scale import resolve_scheduler

    if task not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(TASKS)}, got {task!r}")
    if metric not in METRICS:
        raise ValueError(f"metric: expected one of {', '.join(METRICS)}, got {metric!r}")
    links = check_links(links)
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
    resolve_scheduler(scheduler)  # validate only: run_tasks picks serial for a small sweep
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
                        **({} if links.ideal else {"links": links.to_dict()}),
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
                sec = sch.seconds(N) if sch.seconds is not None else ""
                slots.append((name, _row(task, sch, N, cfg, t, "formula", "", sec)))
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
        match = sim.communication <= t.communication if sch.name == "tomography" else costs.matches(value, t)
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
        # what kind of bound each curve is (docs/concepts/protocols.md#classical-bounds)
        "bounds": {
            "quantum": "cost of the simulated protocol (exact ledger; tomography: its worst-case bound)",
            "classical": "naive classical protocols (pipeline, ship-the-data, ship-the-model"
            + (", ship-the-model-once" if task == "training" else "")
            + "): upper bounds on the classical cost, not the lower bound over all classical protocols",
            "importance-sampling": _importance_note(configs[0]),
            LOWER_BOUND: "lower bound over ALL classical protocols, for the hard family of instances "
            "(vector in subspace, Omega(N^(1/3)) bits, Klartag-Regev) drawn with constant 1: a scaling, "
            "not a number; vs_lower_bound is the N from which the quantum scheme is below it",
        },
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
    atomic_write_bytes(
        out / "curves.png",
        _plot(
            task,
            first_rows,
            all_cross[0]["crossovers"],
            first,
            title,
            operating_points=tuple(operating_points),
        ),
    )
    extra_files = ()
    if metric == "time":
        from qdist.reports.plots.time_curves import plot_time_curves

        atomic_write_bytes(out / "curves_time.png", plot_time_curves(first_rows, title))
        extra_files = (("time_png", "curves_time.png"),)
    files = {
        k: str(out / f)
        for k, f in (
            ("csv", "curves.csv"),
            ("json", "curves.json"),
            ("crossover", "crossover.json"),
            ("png", "curves.png"),
            *extra_files,
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
        "bounds": cross_doc["bounds"],
    }
