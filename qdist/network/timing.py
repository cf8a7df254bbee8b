"""Expected network time of the quantum protocols: the closed form of
[`network_seconds`][qdist.network.transport.network_seconds] ([time model][link-models-time]).

Copies travel in parallel: the time is Σ over rounds of the round's slowest hop
([`expected_seconds`][qdist.network.link_costs.expected_seconds]); training pays its steps one after
the other (T × a step).
"""

from __future__ import annotations

from qdist.gradients import get_estimator
from qdist.network import costs
from qdist.network.link_costs import expected_seconds, gradient_traffic, inference_traffic
from qdist.network.links import IDEAL, Links, check_links
from qdist.network.model import ModelSpec


def inference_seconds(
    spec: ModelSpec, epsilon: float, delta: float, result_to: str = "alice", links: Links = IDEAL
) -> float:
    """Expected network time of inference ([time model][link-models-time]): H hops of S copies in
    parallel, then the result back to Alice."""
    S = costs.shots_for(epsilon, costs.check_delta(delta) / spec.classes)
    hops, bits = inference_traffic(spec, S, costs._result_back(spec, result_to))
    return expected_seconds(hops, bits, check_links(links))


def gradient_step_seconds(
    spec: ModelSpec,
    method: str,
    epsilon: float,
    delta: float,
    bits: int = costs.DEFAULT_BITS,
    copies=None,
    batch: int = 1,
    samples: int = 1,
    links: Links = IDEAL,
) -> float:
    """Expected network time of one gradient step ([time model][link-models-time]): the batch's
    copies in parallel, then the gradient blocks. ``copies``: per sample as in `gradient_parts`,
    or a list with one such entry per sample of the batch (``batch`` is then its length)."""
    if copies is None:
        copies = costs.estimator_copies(spec, method, epsilon, delta, samples)
    per = list(copies) if _per_sample_list(method, copies) else [copies] * costs.check_count(batch, "batch")
    hops, results = gradient_traffic(spec, method, per, costs.check_bits(bits))
    return expected_seconds(hops, results, check_links(links))


def _per_sample_list(method, copies) -> bool:
    """Whether ``copies`` lists one entry per sample (a list of lists for the ancilla estimators, a
    list of ints for the forward-pass ones)."""
    if not isinstance(copies, (list, tuple)):
        return False
    if get_estimator(method).ancilla:
        return bool(copies) and isinstance(copies[0], (list, tuple))
    return True


__all__ = ["gradient_step_seconds", "inference_seconds"]
