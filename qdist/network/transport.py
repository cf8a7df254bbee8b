"""Moving registers over physical links: direct or teleported, heralded loss, and the network time of
a ledger ([link models][link-models]).

[`send`][qdist.network.transport.send] records ``count`` registers of ``size`` qubits crossing one hop
according to the hop's [`Link`][qdist.network.links.Link]:

* ``direct``: one quantum record (``size`` qubits per message);
* ``teleport``: one ebit record (``size`` pairs per message, one half of each pair crosses the link —
  the distribution, done ahead of the protocol) and one classical record of ``2·size`` bits per
  message (the Bell-measurement outcomes); no quantum message crosses the link at protocol time.

**Loss** (probability p per qubit or ebit half, heralded): every unit takes a geometric number of
attempts A with P(A = a) = p^(a−1)(1 − p). The ledger records the sampled number of lost attempts
(``lost`` = Σ (A − 1)) and the largest A of the record (``tries``), drawn unit by unit from a numpy
generator seeded by the protocol's seed (a stream of its own, so the estimates do not change with
the loss). The closed forms give the expectations: E[lost] = k·p/(1 − p) for k units, hence
E[transmissions] = k/(1 − p) (`qdist.network.link_costs`).

**Time** ([the time model][link-models-time]): copies travel in parallel, so a round of the ledger
is one step on the network and [`network_seconds`][qdist.network.transport.network_seconds] =
Σ over rounds of the slowest hop of the round, a hop taking

    latency · (2·tries − 1)  +  classical bits / bandwidth

when it carries qubits directly (a lost attempt is heralded back to the sender, one latency each
way, before the resend: 2 latencies per lost attempt, 1 for the last), ``latency + bits/bandwidth``
when it carries only classical messages (teleport corrections included), and nothing for the ebit
distribution (pre-shared: done before the protocol starts).
"""

from __future__ import annotations

import math

import numpy as np

from qdist.network.ledger import CLASSICAL, EBIT, QUANTUM, Ledger, Message
from qdist.network.links import IDEAL, Links

#: Units sampled per call of the generator (bounds the memory of a large record).
_CHUNK = 1 << 20

#: The stream of the loss sampler: ``SeedSequence([seed, LOSS_STREAM])``.
LOSS_STREAM = 0x1055


def loss_rng(seed: int) -> np.random.Generator:
    """The generator of the attempts of a protocol run with ``seed`` (independent of its other
    random choices)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), LOSS_STREAM]))


def sample_attempts(rng: np.random.Generator, units: int, loss: float) -> tuple[int, int]:
    """``(lost, tries)`` for ``units`` independent units with loss probability ``loss``: the lost
    attempts Σ (A_i − 1) and the largest A_i, with A_i ~ Geometric(1 − loss). No draw when
    ``loss == 0`` or ``units == 0`` (then ``(0, 1)``)."""
    if loss == 0.0 or units == 0:
        return 0, 1
    lost, tries, left = 0, 1, int(units)
    while left:
        k = min(left, _CHUNK)
        a = rng.geometric(1.0 - loss, size=k)
        lost += int(a.sum()) - k
        tries = max(tries, int(a.max()))
        left -= k
    return lost, tries


def send(
    ledger: Ledger,
    network,
    links: Links,
    rng: np.random.Generator | None,
    *,
    sender: str,
    receiver: str,
    size: int,
    purpose: str,
    round: int,
    count: int,
    copies: int = 0,
) -> Ledger:
    """Record ``count`` registers of ``size`` qubits moving ``sender → receiver`` over the hop's
    link (module docstring); every record is checked against ``network``."""
    link = links.for_hop(sender, receiver)
    kind = EBIT if link.teleport else QUANTUM
    if link.loss and rng is None:
        raise ValueError("rng: a lossy link needs a generator (transport.loss_rng(seed))")
    lost, tries = sample_attempts(rng, count * size, link.loss) if link.loss else (0, 1)
    msg = Message(sender, receiver, kind, size, purpose, round, count, copies, lost, tries)
    ledger = ledger.add(network.check(msg))
    if link.teleport:
        bits = Message(sender, receiver, CLASSICAL, 2 * size, "teleport corrections", round, count, 0)
        ledger = ledger.add(network.check(bits))
    return ledger


def record_journey(
    ledger: Ledger,
    model,
    *,
    size: int,
    count: int,
    purpose: str,
    back_to_segment: int | None = None,
    back_purpose: str = "uncompute pass",
    links: Links = IDEAL,
    rng: np.random.Generator | None = None,
) -> Ledger:
    """Record ``count`` copies of a register of ``size`` qubits travelling through every segment
    (hop s: owner(s) → owner(s+1), round s), optionally back to ``back_to_segment``; each hop over
    its link ([`transport.send`][qdist.network.transport.send]: direct or teleported, attempts
    sampled from ``rng`` when the link loses)."""
    if count == 0:
        return ledger
    spec, names = model.spec, model.spec.party_names
    owner = [names[k] for k, _, _ in spec.segments]
    H = spec.hops
    hop = {"network": model.network, "links": links, "rng": rng, "size": size, "count": count}
    for s in range(H):
        first = count if s == 0 else 0
        ledger = send(
            ledger, **hop, sender=owner[s], receiver=owner[s + 1], purpose=purpose, round=s, copies=first
        )
    if back_to_segment is not None:
        for r, s in enumerate(range(H, back_to_segment, -1)):
            ledger = send(
                ledger, **hop, sender=owner[s], receiver=owner[s - 1], purpose=back_purpose, round=H + r
            )
    return ledger


def link_details(ledger: Ledger, links: Links, expected_seconds: float) -> dict:
    """The network time of ``ledger`` next to its closed form, and the links when not ideal
    ([link models][link-models])."""
    out = {"network_seconds": network_seconds(ledger, links), "expected_network_seconds": expected_seconds}
    if not links.ideal:
        out["links"] = links.to_dict()
    return out


def hop_seconds(link, *, quantum_tries: int | None, bits: int, classical: bool) -> float:
    """One hop of one round: ``latency·(2·tries − 1)`` if qubits cross it directly, else
    ``latency`` if classical messages do (else 0), plus ``bits / bandwidth``."""
    if quantum_tries is not None:
        t = link.latency * (2 * quantum_tries - 1)
    else:
        t = link.latency if classical else 0.0
    if bits and link.bandwidth is not None:
        t += bits / link.bandwidth
    return t


def round_hops(ledger: Ledger) -> dict[int, dict[tuple[str, str], dict]]:
    """Per round, per directed hop: the largest ``tries`` of its direct quantum records (``None``
    if none), its classical bits and whether it carries classical messages."""
    out: dict[int, dict[tuple[str, str], dict]] = {}
    for m in ledger:
        hop = out.setdefault(m.round, {}).setdefault(
            (m.sender, m.receiver), {"quantum_tries": None, "bits": 0, "classical": False}
        )
        if m.kind == QUANTUM:
            hop["quantum_tries"] = max(hop["quantum_tries"] or 1, m.tries)
        elif m.kind == CLASSICAL:
            hop["bits"] += m.classical_bits
            hop["classical"] = True
    return out


def network_seconds(ledger: Ledger, links: Links) -> float:
    """Σ over rounds of the slowest hop of the round (module docstring); 0 on ideal links."""
    total = []
    for hops in round_hops(ledger).values():
        total.append(max(hop_seconds(links.for_hop(a, b), **h) for (a, b), h in hops.items()))
    return math.fsum(total)


__all__ = [
    "link_details",
    "record_journey",
    "LOSS_STREAM",
    "hop_seconds",
    "loss_rng",
    "network_seconds",
    "round_hops",
    "sample_attempts",
    "send",
]
