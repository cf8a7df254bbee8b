"""The schemes of a cost curve: `Scheme` (name, problem, quantum or classical, and its closed
form N → [`qdist.network.costs.CostTotals`][qdist.network.costs.CostTotals]) and `schemes_for`, the schemes of one task
(``inference``, ``gradient``, ``training``) for one (ε, L, K) configuration, built on the closed
forms of [`qdist.network.costs`][qdist.network.costs] (the compositional model) and [`qdist.network.linear`][qdist.network.linear] (the
linear classifier, inference only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qdist.network import costs
from qdist.network.costs import CostTotals
from qdist.network.importance import SCHEME as IMPORTANCE
from qdist.network.importance import (
    importance_applies,
    importance_gradient_cost,
    importance_inference_cost,
)
from qdist.network.linear import linear_cost
from qdist.network.model import ModelSpec

GRADIENT_SCHEMES = ("param-shift", "shadow", "tomography")


@dataclass(frozen=True)
class Scheme:
    name: str
    problem: str
    kind: str  # "quantum" | "classical" (a protocol: an upper bound) | "lower-bound"
    cost: Callable[[int], CostTotals]  # N -> closed-form totals


#: The classical lower bound for the hard family of instances behind the exponential separation:
#: Ω(N^{1/3}) bits (vector in subspace, Klartag–Regev), drawn with constant 1 — a scaling, not a
#: number ([classical bounds][classical-bounds]).
LOWER_BOUND = "lower-bound-hard-family"


def lower_bound_bits(N: int) -> int:
    """⌈N^{1/3}⌉ bits: the Ω(N^{1/3}) classical lower bound with constant 1 (exact on integers)."""
    r = round(N ** (1 / 3))
    while r**3 < N:
        r += 1
    while r > 1 and (r - 1) ** 3 >= N:
        r -= 1
    return max(1, r)


def _lower_bound() -> Scheme:
    return Scheme(LOWER_BOUND, "model", "lower-bound", lambda N: CostTotals(0, lower_bound_bits(N), 0, 0))


def _spec(N: int, cfg: dict) -> ModelSpec:
    return ModelSpec(
        features=N,
        layers=cfg["layers"],
        parties=cfg["parties"],
        schedule=cfg["schedule"],
        model=cfg["model"],
    )


def schemes_for(task: str, cfg: dict) -> list[Scheme]:
    """The schemes of one task for one (ε, L, K) configuration."""
    eps, dlt, b = cfg["epsilon"], cfg["delta"], cfg["bits"]
    out: list[Scheme] = []
    if task == "inference":
        out.append(
            Scheme(
                "quantum", "model", "quantum", lambda N: costs.quantum_inference_cost(_spec(N, cfg), eps, dlt)
            )
        )
        for s in costs.CLASSICAL_SCHEMES:
            out.append(
                Scheme(
                    s,
                    "model",
                    "classical",
                    lambda N, s=s: costs.classical_cost(_spec(N, cfg), s, "inference", b),
                )
            )
        if importance_applies(_spec(2, cfg)) is None:
            out.append(
                Scheme(
                    IMPORTANCE,
                    "model",
                    "classical",
                    lambda N: importance_inference_cost(_spec(N, cfg), eps, dlt, b),
                )
            )
        out.append(_lower_bound())
        m = cfg["margin"]
        out.append(
            Scheme("linear-quantum", "linear", "quantum", lambda N: linear_cost(N, "quantum", m, dlt, b))
        )
        out.append(
            Scheme(
                "linear-ship-data", "linear", "classical", lambda N: linear_cost(N, "ship-data", m, dlt, b)
            )
        )
        out.append(
            Scheme("linear-sketch", "linear", "classical", lambda N: linear_cost(N, "sketch", m, dlt, b))
        )
        return out
    T = cfg["steps"] if task == "training" else 1
    B = cfg["batch"] if task == "training" else 1
    for meth in GRADIENT_SCHEMES:
        out.append(
            Scheme(
                meth,
                "model",
                "quantum",
                lambda N, meth=meth: costs.quantum_gradient_cost(
                    _spec(N, cfg), meth, eps, dlt, b, batch=B
                ).scale(T),
            )
        )
    for s in costs.CLASSICAL_SCHEMES:
        out.append(
            Scheme(
                s,
                "model",
                "classical",
                lambda N, s=s: costs.classical_cost(_spec(N, cfg), s, "gradient", b, batch=B).scale(T),
            )
        )
    if importance_applies(_spec(2, cfg)) is None:
        out.append(
            Scheme(
                IMPORTANCE,
                "model",
                "classical",
                lambda N: importance_gradient_cost(_spec(N, cfg), eps, dlt, b, batch=B).scale(T),
            )
        )
    out.append(_lower_bound())
    if task == "training":  # Alice could train locally after one transfer of the model
        out.append(
            Scheme(
                "ship-model-once",
                "model",
                "classical",
                lambda N: costs.ship_model_once_cost(_spec(N, cfg), b),
            )
        )
    return out
