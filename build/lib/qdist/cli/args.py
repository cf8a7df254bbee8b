"""Argument parsing shared by the sub-commands: numbers with one-line errors, and API error messages
re-labelled with the flag the user typed (``shots: …`` → ``--shots: …``)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping


def parse_int(value, flag: str, low: int | None = None) -> int:
    """An integer (``"4"``, ``"4.0"``), optionally ``≥ low``; ``ValueError("<flag>: …")`` otherwise."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{flag}: expected an integer, got {value!r}") from None
    if not math.isfinite(f) or f != int(f):
        raise ValueError(f"{flag}: expected an integer, got {value!r}")
    if low is not None and f < low:
        raise ValueError(f"{flag}: expected an integer ≥ {low}, got {int(f)}")
    return int(f)


def parse_float(value, flag: str) -> float:
    """A finite number; ``ValueError("<flag>: …")`` otherwise."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{flag}: expected a number, got {value!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{flag}: expected a finite number, got {value!r}")
    return f


def flag_map(names: Iterable[str], renames: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{api_name: "--api-name"}`` for ``names``, overridden by ``renames``."""
    out = {n: "--" + n.replace("_", "-") for n in names}
    out.update(renames or {})
    return out


def flag_message(exc: BaseException, flags: Mapping[str, str]) -> str:
    """The first line of an API error, its leading argument name replaced by the user's flag."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    m = re.match(r"^([a-z_]+)(?=( \([^)]*\))?:)", msg)
    if m and m.group(1) in flags:
        return flags[m.group(1)] + msg[len(m.group(1)) :]
    return msg
