"""Shared helpers for the benchmark scripts: machine description, timing, atomic JSON output."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = ("qdist", "jax", "jaxlib", "pennylane", "pennylane_lightning", "qiskit", "qiskit-aer", "numpy")


def machine() -> dict:
    """CPU, core count and library versions, recorded next to every measurement."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_1min": load,
        "versions": versions,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def median_time(fn, repeats: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def write_json(name: str, payload: dict) -> Path:
    """Write ``benchmarks/results/<name>.json`` atomically (temp file + rename)."""
    from qdist.io import atomic_write_json

    return atomic_write_json(RESULTS / f"{name}.json", payload, default=float)
