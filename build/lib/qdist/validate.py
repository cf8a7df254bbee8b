"""Argument checks shared by every layer: one function per kind of argument.

Every error is one line of the form ``"<argument>: expected <what>, got <value>"`` and is a
`ValueError` (a `TypeError` only where Python's own convention asks for one: a wrong container
type such as a circuit that is not a qdist `Circuit`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "check_bits",
    "check_choice",
    "check_delta",
    "check_epsilon",
    "check_count",
    "check_int",
    "check_options",
    "check_positive",
    "check_probability",
    "check_seed",
    "check_shots",
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
