"""Shots for a target accuracy: ``S(ε, δ) = ⌈2 ln(2/δ)/ε²⌉`` (Hoeffding for a mean of ±1 outcomes).

See [protocols and their communication][protocols-and-communication].
"""

from __future__ import annotations

import math

from qdist.validate import check_probability

__all__ = ["difference_shots_for", "shots_for"]


def shots_for(epsilon: float, delta: float) -> int:
    """S(ε, δ) = ⌈2 ln(2/δ)/ε²⌉: a mean of ±1 outcomes to ±ε w.p. ≥ 1 − δ.

    A relative slack of 1e-12 keeps values that are integers in exact arithmetic from being rounded
    up by floating-point noise.
    """
    eps = check_probability("epsilon", epsilon, closed_high=True)
    dlt = check_probability("delta", delta)
    return max(1, math.ceil(2.0 * math.log(2.0 / dlt) / eps**2 * (1.0 - 1e-12)))


def difference_shots_for(epsilon: float, delta: float) -> int:
    """Shots per circuit for a two-term parameter-shift derivative ``(f̂₊ − f̂₋)/2`` to ±ε w.p. ≥ 1 − δ.

    Each f̂ is the mean of S outcomes ±1, so the estimate is a sum of 2S independent terms
    ``±x_i/(2S)``, each of range ``1/S``; Hoeffding gives ``P(|ĝ − g| ≥ ε) ≤ 2 exp(−2ε²/(2S·S⁻²))
    = 2 exp(−ε² S)``, hence ``S = ⌈ln(2/δ)/ε²⌉`` — half of ``S(ε, δ)``, which would bound each
    mean separately. (A rule with coefficients ``c_μ`` needs ``2·Σ_μ c_μ²`` times this; the
    two-term rule has ``Σ c² = 1/2``.)
    """
    eps = check_probability("epsilon", epsilon, closed_high=True)
    dlt = check_probability("delta", delta)
    return max(1, math.ceil(math.log(2.0 / dlt) / eps**2 * (1.0 - 1e-12)))
