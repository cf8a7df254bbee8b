"""The simulated points of a cost curve: `simulate_point` runs one scheme on the simulated
network at one N and returns its ledger totals; `simulate_task` is the same as a picklable
executor task, named by `task_name`; `simulation_tasks` lists the tasks of a sweep for
`qdist.scale.run_tasks` (the small sizes, n ≤ ``sim_max_n``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qdist.network.costs import CostTotals
from qdist.network.linear import resolve_margin
from qdist.reports.schemes import IMPORTANCE, Scheme, _spec, cfg_links, schemes_for

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
    from qdist.gradients import methods
    from qdist.network.classical import classical_ledger
    from qdist.network.linear import run_linear
    from qdist.network.model import random_model
    from qdist.network.protocols import run_gradient, run_inference, run_training

    eps, dlt, b = cfg["epsilon"], cfg["delta"], cfg["bits"]
    if sch.kind == "lower-bound":  # a bound over all protocols: nothing to run
        return None
    if sch.problem == "linear":
        g = resolve_margin(cfg["margin"], N)
        x, w = _linear_instance(N, g, seed)
        scheme = sch.name.removeprefix("linear-")
        r = run_linear(x, w, margin=g, delta=dlt, seed=seed, scheme=scheme, bits=b)
        return CostTotals(**r["ledger"].totals())
    spec = _spec(N, cfg)
    if sch.name == IMPORTANCE:
        return _simulate_importance(task, spec, cfg, seed)
    if sch.kind == "classical":
        model = random_model(spec, seed)
        if sch.name == "ship-model-once":  # the model to Alice and the trained blocks back, once
            return CostTotals(**classical_ledger(model, "ship-model", "gradient", b).totals())
        if task == "training":
            led = classical_ledger(model, sch.name, "gradient", b, batch=cfg["batch"])
            return CostTotals(**led.totals()).scale(cfg["steps"])
        return CostTotals(**classical_ledger(model, sch.name, task, b).totals())
    links = cfg_links(cfg)
    if task == "inference":
        return CostTotals(**run_inference(random_model(spec, seed), eps, dlt, seed, links=links).totals)
    if sch.name not in methods():
        return None
    if task == "gradient":
        r = run_gradient(
            random_model(spec, seed), sch.name, eps, dlt, seed, bits=b, reference=False, links=links
        )
        return CostTotals(**r.totals)
    r = run_training(
        spec,
        sch.name,
        eps,
        dlt,
        seed,
        steps=cfg["steps"],
        batch=cfg["batch"],
        bits=b,
        reference=False,
        links=links,
    )
    return CostTotals(**r.totals)


def _simulate_importance(task: str, spec, cfg: dict, seed: int) -> CostTotals:
    """The importance-sampling protocol's ledger: one inference, or T steps over B samples (the
    parameter broadcast once per step, the sample sets per sample)."""
    from qdist.network.importance import run_importance_gradient, run_importance_inference
    from qdist.network.model import random_instance

    eps, dlt, b = cfg["epsilon"], cfg["delta"], cfg["bits"]
    x, theta = random_instance(spec, seed)
    if task == "inference":
        return CostTotals(**run_importance_inference(spec, x, theta, eps, dlt, seed, b)["ledger"].totals())
    r = run_importance_gradient(spec, x, theta, eps, dlt, seed, b)
    per_sample = r["ledger"].filter(lambda m: m.purpose != "parameter broadcast").totals()
    broadcast = r["ledger"].filter(lambda m: m.purpose == "parameter broadcast").totals()
    B, T = (cfg["batch"], cfg["steps"]) if task == "training" else (1, 1)
    return (CostTotals(**per_sample).scale(B) + CostTotals(**broadcast)).scale(T)


def simulate_task(task: str, scheme: str, N: int, cfg: dict, seed: int) -> dict | None:
    """One simulated point as an executor task (top level, picklable, explicit seed): the
    ledger totals of `simulate_point` as a dict, or None when the scheme cannot run here."""
    sch = next((s for s in schemes_for(task, cfg) if s.name == scheme), None)
    if sch is None:
        raise ValueError(f"scheme: {scheme!r} is not a scheme of task {task!r}")
    t = simulate_point(task, sch, N, cfg, seed)
    return None if t is None else t.to_dict()


def task_name(task: str, scheme: str, N: int, cfg: dict) -> str:
    links = f"/links={cfg_links(cfg).default}" if cfg.get("links") else ""  # a resume keeps its links
    return f"{task}/{scheme}/N={N}/eps={cfg['epsilon']}/L={cfg['layers']}/K={cfg['parties']}{links}"


def simulation_tasks(task: str, configs: Sequence[dict], grid: Sequence[int], sim_max_n: int, seed: int):
    """The simulated points of a sweep as `qdist.scale.Task` items (n ≤ ``sim_max_n``)."""
    from qdist.scale import Task

    out = []
    for cfg in configs:
        for N in grid:
            if max(1, (N - 1).bit_length()) > sim_max_n:
                continue
            for sch in schemes_for(task, cfg):
                if sch.kind == "lower-bound":
                    continue
                out.append(
                    Task(
                        task_name(task, sch.name, N, cfg),
                        simulate_task,
                        {"task": task, "scheme": sch.name, "N": N, "cfg": cfg, "seed": seed},
                    )
                )
    return out
