"""Closed forms of the link terms: ebits, teleport corrections, expected transmissions under loss, and
the expected network time ([link models][link-models]).

The quantum protocols move registers hop by hop; their *traffic* is a list of
[`Hop`][qdist.network.link_costs.Hop]s (round, sender, receiver, register size, registers), derived
here from the [`ModelSpec`][qdist.network.model.ModelSpec] alone (integers, valid at N = 2⁶⁰).
Given the [`Links`][qdist.network.links.Links], with k = size · count units on a hop of loss p:

* direct hop: k qubits; teleport hop: k ebits, plus 2k classical bits and ``count`` more messages
  (the corrections), and no qubit;
* E[transmissions] = Σ_hops k / (1 − p) (a geometric number of attempts per unit, mean 1/(1 − p)),
  with variance Σ_hops k · p / (1 − p)² — exactly ``qubits + ebits`` when no link loses;
* E[seconds] = Σ_rounds max over the round's hops of the hop's expected time: a direct hop
  latency · (2 E[max A] − 1) + bits/bandwidth, where max A is the most attempts among its k units,
  E[max A] = Σ_{a ≥ 0} (1 − (1 − p^a)^k) ([`expected_max_attempts`][qdist.network.link_costs.expected_max_attempts]);
  a classical-only or teleport hop latency + bits/bandwidth. (The expectation of the max over the
  round's hops equals the max of the expectations when at most one hop of a round has a random
  time, which holds for every protocol here: a round's qubits cross one hop.)
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

from qdist.gradients import get_estimator
from qdist.network.links import Links
from qdist.network.model import ModelSpec


class Hop(NamedTuple):
    """``count`` registers of ``size`` qubits crossing ``sender → receiver`` in ``round``."""

    round: int
    sender: str
    receiver: str
    size: int
    count: int


class Bits(NamedTuple):
    """A classical message of ``bits`` bits ``sender → receiver`` in ``round``."""

    round: int
    sender: str
    receiver: str
    bits: int


def _owners(spec: ModelSpec) -> list[str]:
    names = spec.party_names
    return [names[k] for k, _, _ in spec.segments]


def journey(spec: ModelSpec, size: int, count: int, back_to_segment: int | None = None) -> list[Hop]:
    """``count`` copies through every hop (round s: owner(s) → owner(s+1)), then optionally back to
    the owner of ``back_to_segment`` (rounds H, H+1, …)."""
    if count == 0:
        return []
    owner, H = _owners(spec), spec.hops
    out = [Hop(s, owner[s], owner[s + 1], size, count) for s in range(H)]
    if back_to_segment is not None:
        out += [
            Hop(H + r, owner[s], owner[s - 1], size, count)
            for r, s in enumerate(range(H, back_to_segment, -1))
        ]
    return out


def inference_traffic(spec: ModelSpec, shots: int, result_back: bool) -> tuple[list[Hop], list[Bits]]:
    """S copies of n qubits forward; the S·m outcome bits to Alice in round H if ``result_back``."""
    names = spec.party_names
    bits = [Bits(spec.hops, names[spec.last_owner], "alice", shots * spec.classes)] if result_back else []
    return journey(spec, spec.n, shots), bits


def gradient_traffic(spec: ModelSpec, method, copies: list, bits: int) -> tuple[list[Hop], list[Bits]]:
    """One gradient step: ``copies`` has one entry per sample of the batch — an int (forward-pass
    estimators) or one int per segment (ancilla estimators). The copies' journeys, and for the
    forward-pass estimators the gradient blocks the last owner sends in round 2H + 1."""
    est = get_estimator(method)
    hops: list[Hop] = []
    for c in copies:
        if est.ancilla:
            for s, cs in enumerate(c):
                hops += journey(spec, spec.n + est.ancilla, int(cs), back_to_segment=s)
        else:
            hops += journey(spec, spec.n, int(c))
    names, last = spec.party_names, spec.last_owner
    results = []
    if not est.ancilla and any(int(c) for c in copies):
        results = [
            Bits(2 * spec.hops + 1, names[last], names[k], spec.party_params(k) * bits)
            for k in range(spec.parties)
            if k != last
        ]
    return hops, results


def linked_totals(ideal, traffic: list[Hop], links: Links):
    """The ideal closed form (a [`CostTotals`][qdist.network.costs.CostTotals]) with the link
    terms of ``traffic``: ebits and corrections on teleport hops, expected transmissions."""
    direct = teleported = corrections = 0
    expected, lossy = [], False
    for h in traffic:
        link, k = links.for_hop(h.sender, h.receiver), h.size * h.count
        if link.teleport:
            teleported += k
            corrections += h.count
        else:
            direct += k
        lossy = lossy or link.loss > 0
        expected.append(k / (1.0 - link.loss))
    if direct + teleported != ideal.qubits + ideal.ebits:
        raise ValueError(f"traffic: {direct + teleported} qubits moved, the closed form says {ideal.qubits}")
    return replace(
        ideal,
        qubits=direct,
        ebits=teleported,
        classical_bits=ideal.classical_bits + 2 * teleported,
        messages=ideal.messages + corrections,
        transmissions=math.fsum(expected) if lossy else direct + teleported,
    )


def transmissions_variance(traffic: list[Hop], links: Links) -> float:
    """Var[transmissions] = Σ_hops k · p / (1 − p)² (a sum of independent geometric counts)."""
    out = []
    for h in traffic:
        p = links.for_hop(h.sender, h.receiver).loss
        out.append(h.size * h.count * p / (1.0 - p) ** 2)
    return math.fsum(out)


def expected_max_attempts(units: int, loss: float) -> float:
    """E[max of ``units`` iid Geometric(1 − p) attempts] = Σ_{a ≥ 0} (1 − (1 − p^a)^k); 1 if p = 0
    or k = 0. The series is summed until its terms fall below 10⁻¹⁷ of the sum (they decay like k·p^a)."""
    if loss == 0.0 or units == 0:
        return 1.0
    terms, a = [1.0], 1
    while True:
        t = -math.expm1(units * math.log1p(-(loss**a)))
        terms.append(t)
        if t < 1e-17 * math.fsum(terms) or a > 100_000:
            return math.fsum(terms)
        a += 1


def expected_seconds(traffic: list[Hop], bits: list[Bits], links: Links) -> float:
    """Σ over rounds of the slowest hop's expected time (module docstring)."""
    rounds: dict[int, dict[tuple[str, str], list]] = {}
    for h in traffic:
        hop = rounds.setdefault(h.round, {}).setdefault((h.sender, h.receiver), [0, 0, False])
        if links.for_hop(h.sender, h.receiver).teleport:
            hop[1] += 2 * h.size * h.count
            hop[2] = True
        else:
            hop[0] += h.size * h.count
    for b in bits:
        hop = rounds.setdefault(b.round, {}).setdefault((b.sender, b.receiver), [0, 0, False])
        hop[1] += b.bits
        hop[2] = True
    total = []
    for hops in rounds.values():
        times = []
        for (a, b), (units, nbits, classical) in hops.items():
            link = links.for_hop(a, b)
            if units:
                t = link.latency * (2 * expected_max_attempts(units, link.loss) - 1)
            else:
                t = link.latency if classical else 0.0
            if nbits and link.bandwidth is not None:
                t += nbits / link.bandwidth
            times.append(t)
        total.append(max(times))
    return math.fsum(total)


__all__ = [
    "Bits",
    "Hop",
    "expected_max_attempts",
    "expected_seconds",
    "gradient_traffic",
    "inference_traffic",
    "journey",
    "linked_totals",
    "transmissions_variance",
]
