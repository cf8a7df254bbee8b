"""The result type shared by every gradient estimator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class GradientResult:
    """A gradient estimate with its exact resource counts ([gradient estimators][gradients], [units][units]).

    Attributes:
        value: the gradient, same order as ``params`` (batched: ``(B, P)``).
        std_error: per-component standard error (or the algorithm's bound); zeros when exact.
        copies: state preparations used (0 for the exact adjoint sweep).
        circuits: distinct circuits run.
        shots: measurement shots in total.
        method: the estimator's name.
        classical_seconds: classical post-processing time.
        expval: ``f(θ)`` where the method gives it for free, else ``None``.
        extra: method-specific details (layers, updates, …).
    """

    value: np.ndarray
    std_error: np.ndarray
    copies: int
    circuits: int
    shots: int
    method: str
    classical_seconds: float = 0.0
    expval: float | np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["value"] = np.asarray(self.value).tolist()
        d["std_error"] = np.asarray(self.std_error).tolist()
        if isinstance(self.expval, np.ndarray):
            d["expval"] = self.expval.tolist()
        return d
