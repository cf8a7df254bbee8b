"""The library install: ranges in pyproject.toml, exact pins in constraints.txt, no global side effect."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def _requirements() -> list[str]:
    reqs = list(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        reqs += extra
    return reqs


def test_dependencies_are_ranges_not_pins():
    pinned = [r for r in _requirements() if "==" in r]
    assert pinned == [], f"exact pins belong in constraints.txt, not pyproject.toml: {pinned}"


def test_every_range_starts_at_the_locked_version():
    # the lowest version a range allows is the one the lock installs and the tests run on
    lock = _lock()
    wrong = []
    for r in _requirements():
        m = re.search(r">=\s*([^,;\s]+)", r)
        name = _name(r)
        if name not in lock:
            wrong.append(f"{r}: not in constraints.txt")
        elif m is None or m.group(1) != lock[name]:
            wrong.append(f"{r}: lock has {name}=={lock[name]}")
    assert wrong == [], "\n".join(wrong)


def test_spdx_license():
    assert PROJECT["license"] == "Apache-2.0"
    for f in PROJECT["license-files"]:
        assert (ROOT / f).is_file(), f


def test_importing_qdist_and_its_plugins_keeps_jax_32_bit():
    code = (
        "import jax.numpy as jnp, pennylane as qml, qdist, qdist.primitives\n"
        "dev = qml.device('qdist.qubit', wires=1)\n"
        "print(jnp.ones(1).dtype)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "float32"
