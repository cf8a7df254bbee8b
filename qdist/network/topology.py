"""Parties and links: two-party and K-party pipeline networks ([the model][compositional-model]).

A [`Network`][qdist.network.topology.Network] is static data: the party names (party 0 is always Alice, who holds the data),
the quantum links (undirected, a register can travel both ways) and the classical links. Every
protocol checks each message against the network before recording it, so a message over a link that
does not exist is an error, not a silent cost.

* [`pipeline`][qdist.network.topology.pipeline] — K parties in a line ``alice — bob — carol — …``; with ``ring=True`` a quantum link
  from the last party back to Alice (needed when the layers are interleaved round-robin over K ≥ 3
  parties). Classical links connect every pair (results and parameters may go to anyone).
* [`two_party`][qdist.network.topology.two_party] — Alice and Bob with one quantum and one classical link.
"""

from __future__ import annotations

from dataclasses import dataclass

from qdist.network.ledger import QUANTUM_KINDS, Message

NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")


def party_names(num_parties: int) -> tuple[str, ...]:
    """``alice, bob, carol, …`` then ``party10, party11, …``."""
    return tuple(NAMES[k] if k < len(NAMES) else f"party{k}" for k in range(num_parties))


def _edge(a: str, b: str) -> frozenset:
    return frozenset((a, b))


@dataclass(frozen=True)
class Network:
    """Parties with quantum and classical links (undirected)."""

    parties: tuple[str, ...]
    quantum_links: frozenset
    classical_links: frozenset

    @property
    def num_parties(self) -> int:
        return len(self.parties)

    def has_link(self, a: str, b: str, kind: str) -> bool:
        links = self.quantum_links if kind in QUANTUM_KINDS else self.classical_links
        return _edge(a, b) in links

    def check(self, msg: Message) -> Message:
        """Raise ``ValueError`` if ``msg`` uses an unknown party or a missing link."""
        for p in (msg.sender, msg.receiver):
            if p not in self.parties:
                raise ValueError(f"party: {p!r} is not in the network {self.parties}")
        if not self.has_link(msg.sender, msg.receiver, msg.kind):
            raise ValueError(f"link: no {msg.kind} link {msg.sender} — {msg.receiver} in this network")
        return msg

    def to_dict(self) -> dict:
        return {
            "parties": list(self.parties),
            "quantum_links": sorted(sorted(e) for e in self.quantum_links),
            "classical_links": sorted(sorted(e) for e in self.classical_links),
        }


def pipeline(num_parties: int, ring: bool = False) -> Network:
    """K parties in a line (quantum links between neighbours, ``ring`` adds last → Alice);
    classical links between every pair."""
    if isinstance(num_parties, bool) or not isinstance(num_parties, int) or num_parties < 2:
        raise ValueError(f"parties: expected an integer ≥ 2, got {num_parties!r}")
    names = party_names(num_parties)
    q = {_edge(names[k], names[k + 1]) for k in range(num_parties - 1)}
    if ring and num_parties > 2:
        q.add(_edge(names[-1], names[0]))
    c = {_edge(a, b) for i, a in enumerate(names) for b in names[i + 1 :]}
    return Network(names, frozenset(q), frozenset(c))


def two_party() -> Network:
    """Alice (data) and Bob (model): one quantum and one classical link."""
    return pipeline(2)
