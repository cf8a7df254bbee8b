"""What a protocol run produced ([quantum protocols][quantum-protocols]): the estimate, the exact
value — noiseless and, through noisy links, noisy ([link models][link-models]) — the ledger and
its closed form."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qdist.network.costs import CostTotals, matches
from qdist.network.ledger import Ledger
from qdist.network.spec import ModelSpec

__all__ = ["ProtocolResult"]


@dataclass(frozen=True)
class ProtocolResult:
    """What one protocol run produced: the estimate, the exact value, the ledger and its formula."""

    task: str
    scheme: str
    spec: ModelSpec
    epsilon: float | None
    delta: float | None
    estimate: np.ndarray
    exact: np.ndarray
    ledger: Ledger
    formula: CostTotals
    privacy: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    noisy_exact: np.ndarray | None = None  # the exact value through the noisy links (None: = exact)

    @property
    def totals(self) -> dict[str, int]:
        return self.ledger.totals()

    @property
    def matches_formula(self) -> bool:
        return matches(self.totals, self.formula)

    @property
    def bias(self) -> np.ndarray:
        """noisy_exact − exact: what the links' noise does to the value (0 on noiseless links)."""
        return np.asarray(self.exact if self.noisy_exact is None else self.noisy_exact) - np.asarray(
            self.exact
        )

    @property
    def error(self) -> float:
        return float(np.max(np.abs(np.asarray(self.estimate) - np.asarray(self.exact))))

    @property
    def noisy_error(self) -> float:
        """max |estimate − noisy_exact|: the estimator's own error, the value it converges to being the
        noisy one (equal to `error` on noiseless links)."""
        target = self.exact if self.noisy_exact is None else self.noisy_exact
        return float(np.max(np.abs(np.asarray(self.estimate) - np.asarray(target))))

    def to_dict(self) -> dict:
        t = self.totals
        return {
            "task": self.task,
            "scheme": self.scheme,
            "config": {**self.spec.to_dict(), "epsilon": self.epsilon, "delta": self.delta},
            **t,
            "formula": self.formula.to_dict(),
            "matches_formula": self.matches_formula,
            "network_seconds": self.details.get("network_seconds", 0.0),
            "estimate": _jsonable(self.estimate),
            "exact": _jsonable(self.exact),
            "noisy_exact": _jsonable(self.exact if self.noisy_exact is None else self.noisy_exact),
            "bias": _jsonable(self.bias),
            "max_abs_error": self.error,
            "max_abs_error_noisy": self.noisy_error,
            "by_link": self.ledger.by_link(),
            "by_purpose": self.ledger.by_purpose(),
            "privacy": self.privacy,
            "details": self.details,
        }


def _jsonable(x):
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.tolist()
