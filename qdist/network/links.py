"""Physical link models: heralded loss, noise channels, transport, latency, bandwidth ([link models][link-models]).

A [`Link`][qdist.network.links.Link] describes one quantum link of the
[topology][qdist.network.topology] (and the classical link between the same two parties):

* ``loss`` p ∈ [0, 1): every transmitted qubit (or, with teleportation, every ebit half) is lost
  with probability p, independently; the loss is *heralded* (detected) and the qubit is resent, so
  each delivered qubit takes a geometric number of attempts, 1/(1 − p) on average. The ledger counts
  every attempt as a ``transmission``.
* ``noise``: single-qubit [`Channel`][qdist.sim.channels.Channel]s applied, in order, to every
  delivered qubit.
* ``transport``: ``"direct"`` sends the qubits; ``"teleport"`` moves each qubit with one pre-shared
  ebit plus two classical bits, and no quantum message crosses the link at protocol time.
* ``ebit_fidelity`` F ∈ [1/4, 1]: the fidelity of the Werner pairs used to teleport; teleporting
  through them acts as ``depolarizing`` with p = 4(1 − F)/3
  ([`teleport_channel`][qdist.sim.channels.teleport_channel]).
* ``latency`` (seconds per hop) and ``bandwidth`` (classical bits per second, ``None`` = unlimited):
  the [time model][link-models-time].

**Teleportation and the link's noise and loss.** With ``transport="teleport"`` the link's ``loss``
and ``noise`` act on the *ebit distribution*: one half of each ebit travels over the link. A lost
half is heralded and resent (the ledger's ``ebits`` stay the ebits used, ``transmissions`` count
every half sent). A travelling half that undergoes a Pauli channel N turns the pair into
(I ⊗ N)(Φ⁺), and teleporting through that pair applies N to the teleported qubit — so a delivered
qubit undergoes ``noise`` then the Werner depolarizing of F, exactly as
[`Link.channels`][qdist.network.links.Link.channels] says. Amplitude damping is not a Pauli
channel: teleporting through a damped pair applies its Pauli twirl, which is none of the channel
kinds, so a teleport link with amplitude-damping noise is rejected.

[`Links`][qdist.network.links.Links] holds a default link and per-hop overrides;
[`IDEAL`][qdist.network.links.IDEAL] (no loss, no noise, direct, no latency, unlimited bandwidth)
reproduces the ideal network: ledgers and results bit-identical to a run without links.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from qdist.sim.channels import Channel, parse_channel, teleport_channel

#: Transport modes of a quantum link.
TRANSPORTS = ("direct", "teleport")


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    x = float(value)
    if math.isnan(x):
        raise ValueError(f"{name}: expected a number, got nan")
    return x


def check_loss(value, name: str = "loss") -> float:
    """A loss probability p ∈ [0, 1) (p = 1 would never deliver a qubit)."""
    p = _real(value, name)
    if not (0.0 <= p < 1.0):
        raise ValueError(f"{name}: expected a probability in [0, 1), got {value!r}")
    return p


def check_latency(value, name: str = "latency") -> float:
    """Seconds per hop: finite and ≥ 0."""
    s = _real(value, name)
    if not (0.0 <= s < math.inf):
        raise ValueError(f"{name}: expected seconds ≥ 0 (finite), got {value!r}")
    return s


def check_bandwidth(value, name: str = "bandwidth") -> float | None:
    """Classical bits per second: ``None`` (unlimited) or a finite number > 0."""
    if value is None:
        return None
    b = _real(value, name)
    if not (0.0 < b < math.inf):
        raise ValueError(f"{name}: expected bits per second > 0 (finite) or None, got {value!r}")
    return b


def check_fidelity(value, name: str = "ebit_fidelity") -> float:
    """An ebit (Werner pair) fidelity F ∈ [1/4, 1]."""
    f = _real(value, name)
    if not (0.25 <= f <= 1.0):
        raise ValueError(f"{name}: expected a fidelity in [0.25, 1], got {value!r}")
    return f


def check_transport(value, name: str = "transport") -> str:
    if value not in TRANSPORTS:
        raise ValueError(f"{name}: expected one of {', '.join(TRANSPORTS)}, got {value!r}")
    return value


def _channels(value, name: str = "noise") -> tuple[Channel, ...]:
    if isinstance(value, Channel):
        return (value,)
    if isinstance(value, str):
        return (parse_channel(value, name),)
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: expected a sequence of Channel, got {type(value).__name__}") from None
    out = []
    for c in items:
        if isinstance(c, str):
            c = parse_channel(c, name)
        if not isinstance(c, Channel):
            raise TypeError(f"{name}: expected Channel items, got {type(c).__name__}")
        out.append(c)
    return tuple(out)


@dataclass(frozen=True)
class Link:
    """One quantum link (and the classical link alongside it); see the module docstring.

    Attributes:
        loss: heralded loss probability p ∈ [0, 1) per qubit (per ebit half when teleporting).
        noise: channels every delivered qubit undergoes, in order.
        latency: seconds per hop (one way).
        bandwidth: classical bits per second, ``None`` = unlimited.
        transport: ``"direct"`` or ``"teleport"``.
        ebit_fidelity: F ∈ [1/4, 1] of the pre-shared pairs (used when teleporting).
    """

    loss: float = 0.0
    noise: tuple[Channel, ...] = ()
    latency: float = 0.0
    bandwidth: float | None = None
    transport: str = "direct"
    ebit_fidelity: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "loss", check_loss(self.loss, "loss"))
        object.__setattr__(self, "noise", _channels(self.noise, "noise"))
        object.__setattr__(self, "latency", check_latency(self.latency, "latency"))
        object.__setattr__(self, "bandwidth", check_bandwidth(self.bandwidth, "bandwidth"))
        check_transport(self.transport, "transport")
        object.__setattr__(self, "ebit_fidelity", check_fidelity(self.ebit_fidelity, "ebit_fidelity"))
        if self.teleport and any(c.kind == "amplitude-damping" for c in self.noise):
            raise ValueError(
                "noise: amplitude-damping on a teleport link is not a Pauli channel "
                "(teleporting through a damped ebit applies its Pauli twirl); use depolarizing or dephasing"
            )

    @property
    def teleport(self) -> bool:
        return self.transport == "teleport"

    @property
    def ideal(self) -> bool:
        """No loss, no noise (channels of strength 0 are no noise), direct, no latency, unlimited
        bandwidth (F is unused when direct)."""
        return (
            not self.teleport
            and self.loss == 0.0
            and self.noiseless
            and self.latency == 0.0
            and self.bandwidth is None
        )

    @property
    def noiseless(self) -> bool:
        """Whether a delivered qubit arrives unchanged (``channels()`` is empty)."""
        return not self.channels()

    def channels(self) -> tuple[Channel, ...]:
        """The channels a delivered qubit undergoes, in order: the link's ``noise``, then — when
        teleporting with F < 1 — ``depolarizing`` with p = 4(1 − F)/3. Channels of strength 0
        are dropped (they are the identity)."""
        out = [c for c in self.noise if c.p > 0]
        if self.teleport and self.ebit_fidelity < 1.0:
            out.append(teleport_channel(self.ebit_fidelity))
        return tuple(out)

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "noise": [str(c) for c in self.noise],
            "latency": self.latency,
            "bandwidth": self.bandwidth,
            "transport": self.transport,
            "ebit_fidelity": self.ebit_fidelity,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Link:
        return cls(
            loss=d.get("loss", 0.0),
            noise=tuple(parse_channel(c, "noise") for c in d.get("noise", ())),
            latency=d.get("latency", 0.0),
            bandwidth=d.get("bandwidth"),
            transport=d.get("transport", "direct"),
            ebit_fidelity=d.get("ebit_fidelity", 1.0),
        )


def _hop_key(key) -> tuple[str, str]:
    if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(p, str) and p for p in key)):
        raise TypeError(f"per_hop: expected keys (sender, receiver) of party names, got {key!r}")
    if key[0] == key[1]:
        raise ValueError(f"per_hop: a hop needs two different parties, got {key!r}")
    return key


@dataclass(frozen=True)
class Links:
    """The links of a network: ``default`` for every hop, ``per_hop`` overrides keyed by
    ``(sender, receiver)`` (links are undirected: the key also covers ``(receiver, sender)``)."""

    default: Link = field(default_factory=Link)
    per_hop: Mapping[tuple[str, str], Link] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.default, Link):
            raise TypeError(f"default: expected a Link, got {type(self.default).__name__}")
        if not isinstance(self.per_hop, Mapping):
            raise TypeError(f"per_hop: expected a mapping (sender, receiver) → Link, got {self.per_hop!r}")
        hops: dict[frozenset, tuple[tuple[str, str], Link]] = {}
        for key, link in self.per_hop.items():
            key = _hop_key(key)
            if not isinstance(link, Link):
                raise TypeError(f"per_hop: expected Link values, got {type(link).__name__} for {key}")
            edge = frozenset(key)
            if edge in hops and hops[edge][1] != link:
                raise ValueError(f"per_hop: two different links for the hop {key[0]} — {key[1]}")
            hops[edge] = (key, link)
        object.__setattr__(self, "per_hop", MappingProxyType(dict(hops.values())))

    def __hash__(self) -> int:
        return hash((self.default, tuple(sorted(self.per_hop.items()))))

    def for_hop(self, sender: str, receiver: str) -> Link:
        """The link between ``sender`` and ``receiver`` (either direction), else ``default``."""
        if (sender, receiver) in self.per_hop:
            return self.per_hop[(sender, receiver)]
        return self.per_hop.get((receiver, sender), self.default)

    def all(self) -> tuple[Link, ...]:
        """The default and every override."""
        return (self.default, *self.per_hop.values())

    @property
    def ideal(self) -> bool:
        """Whether every link is ideal (the network of a run without links)."""
        return all(link.ideal for link in self.all())

    def check(self, network) -> Links:
        """Raise ``ValueError`` if an override names a hop that is not a quantum link of
        ``network`` (a [`Network`][qdist.network.topology.Network])."""
        for a, b in self.per_hop:
            if not network.has_link(a, b, "quantum"):
                raise ValueError(f"per_hop: no quantum link {a} — {b} in this network")
        return self

    def to_dict(self) -> dict:
        return {
            "default": self.default.to_dict(),
            "per_hop": {f"{a}->{b}": link.to_dict() for (a, b), link in self.per_hop.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Links:
        """The inverse of `to_dict` (hop keys ``"sender->receiver"``)."""
        per_hop = {tuple(k.split("->")): Link.from_dict(v) for k, v in d.get("per_hop", {}).items()}
        return cls(Link.from_dict(d.get("default", {})), per_hop)

    @classmethod
    def uniform(cls, link: Link) -> Links:
        """Every hop the same ``link``."""
        return cls(link, {})


#: Ideal links: every qubit arrives perfect and instantly (the behaviour without links).
IDEAL = Links(Link(), {})


def check_links(links) -> Links:
    """``links`` as a [`Links`][qdist.network.links.Links] (a single [`Link`][qdist.network.links.Link]
    applies to every hop)."""
    if isinstance(links, Link):
        return Links.uniform(links)
    if not isinstance(links, Links):
        raise TypeError(f"links: expected a Links or a Link, got {type(links).__name__}")
    return links


__all__ = [
    "IDEAL",
    "TRANSPORTS",
    "Link",
    "Links",
    "check_bandwidth",
    "check_fidelity",
    "check_latency",
    "check_links",
    "check_loss",
    "check_transport",
]
