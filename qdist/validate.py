"""Argument checks shared by every layer: one function per kind of argument.

Every error is one line of the form ``"<argument>: expected <what>, got <value>"`` and is a
`ValueError` (a `TypeError` only where Python's own convention asks for one: a wrong container
type such as a circuit that is not a qdist `Circuit`).
"""

from __future__ import annotations

import math
import numbers
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "MAX_EPOCHS",
    "MAX_SAMPLES",
    "available_memory",
    "check_batch_size",
    "check_bits",
    "check_choice",
    "check_delta",
    "check_epochs",
    "check_epsilon",
    "check_memory",
    "check_count",
    "check_int",
    "check_options",
    "check_output_dir",
    "check_output_file",
    "check_positive",
    "check_probability",
    "check_sample_count",
    "check_seed",
    "check_shots",
    "format_bytes",
    "state_vector_bytes",
]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, low: int = 1, high: int | None = None) -> int:
    """An integer in ``[low, high]`` (``high=None``: no upper bound)."""
    if not _is_int(value) or int(value) < low or (high is not None and int(value) > high):
        span = f"≥ {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name}: expected an integer {span}, got {value!r}")
    return int(value)


def check_count(value, name: str) -> int:
    """A positive integer count (``steps``, ``batch``, …)."""
    return check_int(name, value, 1)


def check_shots(shots, allow_none: bool = True, name: str = "shots") -> int | None:
    """Shots per measured circuit: an integer ≥ 1, or ``None`` (exact) when ``allow_none``."""
    if shots is None and allow_none:
        return None
    if not _is_int(shots) or int(shots) < 1:
        raise ValueError(f"{name}: expected an integer ≥ 1{' or None' if allow_none else ''}, got {shots!r}")
    return int(shots)


def check_positive(name: str, value) -> float:
    """A finite real number > 0."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not (math.isfinite(float(value)) and float(value) > 0)
    ):
        raise ValueError(f"{name}: expected a number > 0, got {value!r}")
    return float(value)


def check_probability(name: str, value, *, closed_high: bool = False) -> float:
    """A number in ``(0, 1)`` (``(0, 1]`` with ``closed_high``): accuracies and failure rates."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    v = float(value) if ok else math.nan
    if not (0 < v < 1 or (closed_high and v == 1)):
        span = "(0, 1]" if closed_high else "(0, 1)"
        raise ValueError(f"{name}: expected a number in {span}, got {value!r}")
    return v


def check_epsilon(epsilon, name: str = "epsilon") -> float:
    """A target accuracy: a finite number > 0."""
    if (
        isinstance(epsilon, (bool, np.bool_))
        or not isinstance(epsilon, numbers.Real)
        or not math.isfinite(float(epsilon))
        or float(epsilon) <= 0
    ):
        raise ValueError(f"{name}: expected a number > 0, got {epsilon!r}")
    return float(epsilon)


def check_delta(delta, name: str = "delta") -> float:
    """A failure probability in ``(0, 1)``."""
    ok = isinstance(delta, numbers.Real) and not isinstance(delta, (bool, np.bool_))
    if not ok or not 0 < float(delta) < 1:
        raise ValueError(f"{name}: expected a number in (0, 1), got {delta!r}")
    return float(delta)


def check_bits(bits) -> int:
    """Bits per classical float on the wire."""
    if not _is_int(bits) or int(bits) < 1:
        raise ValueError(f"bits: expected a positive integer (32 or 64), got {bits!r}")
    return int(bits)


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """One of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_seed(seed, name: str = "seed") -> int:
    """A non-negative integer seed."""
    if not _is_int(seed) or int(seed) < 0:
        raise ValueError(f"{name}: expected an integer ≥ 0, got {seed!r}")
    return int(seed)


def check_options(method: str, options: Mapping, defaults: Mapping) -> dict:
    """``defaults`` updated with ``options``; an unknown option is a one-line error naming it."""
    for key in options:
        if key not in defaults:
            raise ValueError(
                f"{key}: unknown option for method '{method}'; expected one of {', '.join(sorted(defaults))}"
            )
    return {**defaults, **options}


# ------------------------------------------------------------------------------------------------
# output paths: checked before any work starts
# ------------------------------------------------------------------------------------------------


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def check_output_dir(name: str, path) -> Path:
    """A folder that results can be written into: created if missing (with its parents), then probed
    with a temporary file. One-line ``ValueError("<name>: …")`` when ``path`` is a file, cannot be
    created, or is not writable (a read-only folder or file system)."""
    if path is None or (isinstance(path, str) and not path.strip()):
        raise ValueError(f"{name}: expected a folder, got {path!r}")
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise ValueError(f"{name}: {p} is a file, expected a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{name}: cannot create the folder {p} ({_reason(exc)})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=p, prefix=".qdist-probe-")
    except OSError as exc:
        raise ValueError(f"{name}: cannot write into {p} ({_reason(exc)})") from None
    os.close(fd)
    os.unlink(probe)
    return p


def check_output_file(name: str, path) -> Path:
    """A file name results can be written to (atomically: a temporary file in its folder, then a
    rename): not a folder, and its folder passes `check_output_dir`."""
    if path is None or (isinstance(path, str) and not path.strip()):
        raise ValueError(f"{name}: expected a file name, got {path!r}")
    p = Path(path).expanduser()
    if p.is_dir() or str(path).endswith(os.sep):
        raise ValueError(f"{name}: {p} is a folder, expected a file name")
    try:
        check_output_dir(name, p.parent)
    except ValueError as exc:
        raise ValueError(f"{exc} (the folder of {p})") from None
    return p


# ------------------------------------------------------------------------------------------------
# sanity bounds: sizes estimated before anything is allocated
# ------------------------------------------------------------------------------------------------

#: the most samples one binomial / multinomial draw can count (numpy's 64-bit integers)
MAX_SAMPLES = 2**62
#: the most training epochs a run may ask for
MAX_EPOCHS = 100_000


def format_bytes(nbytes: float) -> str:
    """``1.5 GiB``, ``16 TiB``: binary units, three significant digits."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def available_memory() -> int:
    """Bytes of memory available to this process now (psutil), the default limit of `check_memory`."""
    import psutil

    return int(psutil.virtual_memory().available)


def state_vector_bytes(num_qubits: int, batch: int = 1, live_states: int = 4, itemsize: int = 16) -> int:
    """Bytes of ``batch`` simulations of ``num_qubits`` qubits: ``batch · live_states · 2ⁿ · itemsize``
    (complex128 amplitudes; the simulator keeps about four states alive: state, work buffer, adjoint)."""
    return int(batch) * int(live_states) * (2 ** int(num_qubits)) * int(itemsize)


def check_memory(name: str, nbytes: int, what: str, value, limit: int | None = None) -> int:
    """``nbytes`` (estimated before allocating ``what``) must fit in ``limit`` (default: the memory
    available now); else ``ValueError("<name>: <value> needs <bytes> for <what>; the limit is …")``."""
    cap = available_memory() if limit is None else int(limit)
    if nbytes > cap:
        where = "available memory" if limit is None else "limit"
        raise ValueError(
            f"{name}: {value} needs {format_bytes(nbytes)} for {what}; the limit is {format_bytes(cap)} ({where})"
        )
    return int(nbytes)


def check_sample_count(name: str, count: int, value) -> int:
    """A number of samples drawn at once must fit numpy's 64-bit counts (`MAX_SAMPLES` = 2⁶²)."""
    if count > MAX_SAMPLES:
        raise ValueError(
            f"{name}: {value!r} needs {float(count):.3g} samples in one draw; the limit is 2^62 ≈ "
            f"{float(MAX_SAMPLES):.3g} (64-bit counts)"
        )
    return int(count)


def check_epochs(epochs, name: str = "epochs") -> int:
    """Training epochs: an integer between 1 and `MAX_EPOCHS` (a run that cannot end is a mistake)."""
    if _is_int(epochs) and int(epochs) > MAX_EPOCHS:
        raise ValueError(f"{name}: expected at most {MAX_EPOCHS} epochs (sanity bound), got {epochs!r}")
    return check_int(name, epochs, 1)


def check_batch_size(batch_size, train_size: int, name: str = "batch_size") -> int:
    """A mini-batch no larger than the training set (a larger one would pad every step)."""
    if not _is_int(batch_size) or int(batch_size) < 1:
        raise ValueError(f"{name}: expected an integer ≥ 1, got {batch_size!r}")
    if int(batch_size) > int(train_size):
        raise ValueError(
            f"{name}: expected at most {train_size} (the size of the training set), got {batch_size!r}"
        )
    return int(batch_size)
