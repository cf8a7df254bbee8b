"""Shots for a target accuracy: ``S(ε, δ) = ⌈2 ln(2/δ)/ε²⌉`` (Hoeffding for a mean of ±1 outcomes).

See [protocols and their communication][protocols-and-communication].
"""

from __future__ import annotations

import math

from qdist.validate import check_probability

__all__ = ["shots_for"]


def shots_for(epsilon: float, delta: float) -> int:
    """S(ε, δ) = ⌈2 ln(2/δ)/ε²⌉: a mean of ±1 outcomes to ±ε w.p. ≥ 1 − δ.

    A relative slack of 1e-12 keeps values that are integers in exact arithmetic from being rounded
    up by floating-point noise.
    """
    eps = check_probability("epsilon", epsilon, closed_high=True)
    dlt = check_probability("delta", delta)
    return max(1, math.ceil(2.0 * math.log(2.0 / dlt) / eps**2 * (1.0 - 1e-12)))
