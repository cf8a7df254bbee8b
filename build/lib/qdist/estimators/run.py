"""Run a `Plan` on a device: ``finish(device.run(batch))``, with the exact probabilities when the
device is a simulator (they give the ``exact_std_error`` a simulator can report)."""

from __future__ import annotations

import time

from qdist.devices.protocol import Device, require_exact
from qdist.estimators.protocol import Estimator, Plan
from qdist.estimators.result import GradientResult

__all__ = ["run_plan"]


def run_plan(plan: Plan, device: Device, seed: int, estimator: Estimator | None = None) -> GradientResult:
    """Execute ``plan.batch`` on ``device`` and return ``plan.finish(outcomes, probabilities)``."""
    if estimator is not None and estimator.simulation_only:
        require_exact(device, f"method '{estimator.name}'")
    t0 = time.perf_counter()
    probabilities = None
    if not plan.batch:
        outcomes = []
    elif getattr(device, "exact", False):  # exact devices also return the probabilities
        outcomes, probabilities = device.run(plan.batch, seed, with_probabilities=True)
    else:
        outcomes = device.run(plan.batch, seed)
    t1 = time.perf_counter()
    res = plan.finish(outcomes, probabilities)
    if plan.batch:
        res.extra.setdefault("simulation_seconds", t1 - t0)
    return res
