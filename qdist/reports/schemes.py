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
from qdist.network.linear import gap_hamming_bits, linear_cost
from qdist.network.links import IDEAL, Links
from qdist.network.model import ModelSpec
from qdist.network.timing import gradient_step_seconds, inference_seconds
from shadows.tomography_model import model_segment_copies

GRADIENT_SCHEMES = ("param-shift", "shadow", "tomography")


@dataclass(frozen=True)
class Scheme:
    name: str
    problem: str
    kind: str  # "quantum" | "classical" (a protocol: an upper bound) | "lower-bound"
    cost: Callable[[int], CostTotals]  # N -> closed-form totals
    seconds: Callable[[int], float] | None = None  # N -> expected network time (quantum schemes)


def cfg_links(cfg: dict) -> Links:
    """The links of a curve configuration (``cfg["links"]``, a `Links.to_dict`; ideal without)."""
    return Links.from_dict(cfg["links"]) if cfg.get("links") else IDEAL


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


def linear_amplitude_schemes(margin, delta: float, bits: int) -> list[Scheme]:
    """Distributed amplitude estimation (quantum) and the Gap-Hamming lower bound min(N, 1/γ²) bits
    (kind ``"lower-bound"``: a scaling with constant 1) for the linear classifier."""
    return [
        Scheme(
            "linear-amplitude-estimation",
            "linear",
            "quantum",
            lambda N: linear_cost(N, "amplitude-estimation", margin, delta, bits),
        ),
        Scheme(
            "linear-lower-bound",
            "linear",
            "lower-bound",
            lambda N: CostTotals(0, gap_hamming_bits(N, margin), 0, 0),
        ),
    ]


def tomography_model_scheme(cfg: dict, steps: int, batch: int) -> Scheme:
    """Shadow tomography with the copies of the fitted saturation model
    (`shadows.tomography_model.model_segment_copies`) instead of the worst-case bound."""
    eps, dlt, b = cfg["epsilon"], cfg["delta"], cfg["bits"]

    def cost(N: int) -> CostTotals:
        spec = _spec(N, cfg)
        copies = [
            model_segment_copies(costs.copy_shape(spec, s), eps, dlt) for s in range(len(spec.segments))
        ]
        return costs.quantum_gradient_cost(
            spec, "tomography", eps, dlt, b, copies=copies, batch=batch, links=cfg_links(cfg)
        ).scale(steps)

    def seconds(N: int) -> float:
        spec = _spec(N, cfg)
        copies = [
            model_segment_copies(costs.copy_shape(spec, s), eps, dlt) for s in range(len(spec.segments))
        ]
        t = gradient_step_seconds(spec, "tomography", eps, dlt, b, copies, batch=batch, links=cfg_links(cfg))
        return steps * t

    return Scheme("tomography-model", "model", "quantum", cost, seconds)


def schemes_for(task: str, cfg: dict) -> list[Scheme]:
    """The schemes of one task for one (ε, L, K) configuration."""
    eps, dlt, b = cfg["epsilon"], cfg["delta"], cfg["bits"]
    links = cfg_links(cfg)
    out: list[Scheme] = []
    if task == "inference":
        out.append(
            Scheme(
                "quantum",
                "model",
                "quantum",
                lambda N: costs.quantum_inference_cost(_spec(N, cfg), eps, dlt, links=links),
                lambda N: inference_seconds(_spec(N, cfg), eps, dlt, links=links),
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
        out += linear_amplitude_schemes(m, dlt, b)
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
                    _spec(N, cfg), meth, eps, dlt, b, batch=B, links=links
                ).scale(T),
                lambda N, meth=meth: (
                    T * gradient_step_seconds(_spec(N, cfg), meth, eps, dlt, b, batch=B, links=links)
                ),
            )
        )
    out.append(tomography_model_scheme(cfg, T, B))
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
