"""Small picklable top-level tasks for tests, benchmarks and examples of `qdist.scale.run_tasks`.

Each takes explicit arguments only (seeds, paths), so it gives the same result on any worker.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def seeded_sum(seed: int, size: int = 1000) -> float:
    """Sum of ``size`` standard normals drawn from ``default_rng(seed)``."""
    return float(np.random.default_rng(seed).normal(size=size).sum())


def fail_once(seed: int, marker: str) -> float:
    """Raise on the first call (creating ``marker``), then behave like `seeded_sum`."""
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once\n")
        raise RuntimeError(f"planned failure of seed {seed}")
    return seeded_sum(seed)


def always_fail(seed: int) -> float:
    raise ValueError(f"seed {seed} always fails")


def kill_worker_once(seed: int, marker: str, delay: float = 0.0) -> float:
    """Kill the worker process that runs it the first time (``os._exit``; ``marker`` remembers),
    then behave like `seeded_sum`."""
    path = Path(marker)
    if not path.exists():
        path.write_text(f"killed pid {os.getpid()}\n")
        time.sleep(delay)
        os._exit(13)
    return seeded_sum(seed)


def sleep_then(seed: int, seconds: float) -> float:
    time.sleep(seconds)
    return seeded_sum(seed)
