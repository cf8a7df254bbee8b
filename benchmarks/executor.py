"""The same sweep on 1 local process, 2 local processes and a 2-worker Dask LocalCluster.

The sweep is the list of simulated points of ``qdist curves --task inference`` (every scheme, N = 2¹ …
2^{sim_max_n}; each task runs one protocol on the simulated network and returns its ledger totals),
or with ``--task gradient`` those of ``qdist curves --task gradient`` on the default model, or with
``--task seeds`` a seed study: one gradient point (``--scheme``, ``--N``, default model) repeated
for ``--tasks`` seeds — equal tasks, ~1.5 s each at the default N = 1024 (the sweep shape the
simulator issue targets: ≥ 40 tasks of ~2 s).
Wall times include starting the pool (spawned processes import JAX and qdist): that is what a user
pays. The cluster is timed twice: cold (its workers import qdist on their first task) and warm.
Every run must give the same results (explicit seeds). Output: benchmarks/results/executor.json
(``--task gradient`` / ``seeds``: executor_gradient.json / executor_seeds.json).

    .venv/bin/python benchmarks/executor.py [--quick] [--sim-max-n N] [--task inference|gradient]
    .venv/bin/python benchmarks/executor.py --task seeds [--scheme shadow] [--N 1024] [--tasks 40]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, write_json  # noqa: E402


def _config(task: str) -> dict:
    from qdist.network.spec import DEFAULT_MODEL

    cfg = {
        "epsilon": 0.1,
        "delta": 0.05,
        "layers": 2,
        "parties": 2,
        "schedule": "pipeline",
        "model": "diag",
        "bits": 32,
        "margin": "sqrtN",
        "steps": 10,
        "batch": 1,
    }
    if task != "inference":
        cfg.update(DEFAULT_MODEL)
    return cfg


def _sweep(sim_max_n: int, task: str = "inference"):
    from qdist.reports.curves import simulation_tasks

    grid = [2**k for k in range(1, sim_max_n + 1)]
    return simulation_tasks(task, [_config(task)], grid, sim_max_n, seed=0)


def _seed_study(scheme: str, N: int, count: int):
    """``count`` equal tasks: one gradient point of ``scheme`` at ``N``, seeds 0 … count − 1."""
    from qdist.reports.simulate import simulate_task, task_name
    from qdist.scale import Task

    cfg = _config("gradient")
    kw = {"task": "gradient", "scheme": scheme, "N": N, "cfg": cfg}
    name = task_name("gradient", scheme, N, cfg)
    return [Task(f"{name}/seed={s}", simulate_task, dict(kw, seed=s)) for s in range(count)]


def _timed(tasks, **kw):
    from qdist.scale import run_tasks

    t0 = time.perf_counter()
    r = run_tasks(tasks, progress=False, **kw)
    wall = time.perf_counter() - t0
    if r.failed:
        raise RuntimeError(f"failed tasks: {r.failed}")
    return wall, r.done


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smaller sweep (n ≤ 4)")
    ap.add_argument("--sim-max-n", type=int, default=None, help="largest simulated n (default 6)")
    ap.add_argument("--task", choices=("inference", "gradient", "seeds"), default="inference")
    ap.add_argument("--scheme", default="shadow", help="--task seeds: the gradient scheme")
    ap.add_argument("--N", type=int, default=1024, help="--task seeds: the input size N")
    ap.add_argument("--tasks", type=int, default=40, help="--task seeds: the number of seeds")
    args = ap.parse_args(argv)
    sim_max_n = args.sim_max_n or (4 if args.quick else 6)
    if args.task == "seeds":
        tasks = _seed_study(args.scheme, args.N, 8 if args.quick else args.tasks)
    else:
        tasks = _sweep(sim_max_n, args.task)
    from distributed import LocalCluster

    runs, results = {}, {}
    runs["processes_1"], results["processes_1"] = _timed(tasks, scheduler="processes", workers=1)
    runs["processes_2"], results["processes_2"] = _timed(tasks, scheduler="processes", workers=2)
    t0 = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        cluster_start = time.perf_counter() - t0
        addr = cluster.scheduler_address
        runs["dask_2_cold"], results["dask_2_cold"] = _timed(tasks, scheduler=addr)
        runs["dask_2_warm"], results["dask_2_warm"] = _timed(tasks, scheduler=addr)
    same = all(r == results["processes_1"] for r in results.values())
    base = runs["processes_1"]
    payload = {
        "machine": machine(),
        "sweep": {
            "what": f"{len(tasks)} seeds of one `{args.scheme}` gradient point at N = {args.N}"
            if args.task == "seeds"
            else f"simulated points of `qdist curves --task {args.task}`",
            "config": tasks[0].kwargs["cfg"],
            "sim_max_n": None if args.task == "seeds" else sim_max_n,
            "tasks": len(tasks),
            "quick": args.quick,
            "mean_task_seconds_1_process": round(runs["processes_1"] / len(tasks), 3),
        },
        "wall_seconds": {k: round(v, 3) for k, v in runs.items()},
        "cluster_start_seconds": round(cluster_start, 3),
        "speedup_vs_1_process": {k: round(base / v, 3) for k, v in runs.items()},
        "results_identical": same,
        "note": "wall times include pool start-up (spawn + imports); the machine is shared, see "
        "load_average_1min",
    }
    path = write_json("executor" if args.task == "inference" else f"executor_{args.task}", payload)
    print(f"{len(tasks)} tasks; results identical: {same}; cluster start {cluster_start:.1f} s")
    for k, v in runs.items():
        print(f"  {k:12} {v:7.2f} s   speed-up vs 1 process {base / v:5.2f}×")
    print(f"→ {path}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
