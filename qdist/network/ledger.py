"""The communication ledger: every message a protocol sends, with exact totals ([counting rules][counting-rules]).

A [`Ledger`][qdist.network.ledger.Ledger] is an immutable tuple of [`Message`][qdist.network.ledger.Message] records. ``ledger.add(...)`` and
``ledger + other`` return new ledgers; nothing is mutated.

**Multiplicity.** A record stands for ``count`` identical messages (same sender, receiver, kind, size,
round and purpose). A protocol that sends 10⁵ copies of the register through a hop writes *one*
record with ``count = 10⁵``, so the ledger stays small and the totals stay exact (Python integers):

* ``qubits``         = Σ count · size over quantum records (qubits *delivered*);
* ``classical_bits`` = Σ count · size over classical records;
* ``messages``       = Σ count;
* ``copies``         = Σ copies — the number of fresh state preparations (a record whose hop starts
  the journey of ``copies`` new registers carries them; all other records carry 0);
* ``ebits``          = Σ count · size over ebit records — the pre-shared pairs a teleporting link
  uses, one per qubit moved ([link models][link-models]);
* ``transmissions``  = Σ (count · size + lost) over quantum and ebit records — every qubit (or ebit
  half) put on a link, delivered or lost. Without loss it equals ``qubits + ebits``.

``lost`` is the number of attempts of a record that were lost (heralded) and resent, ``tries`` the
largest number of attempts any one of its qubits needed (1 without loss); both are sampled by the
protocol with its seeded generator ([`qdist.network.transport`][qdist.network.transport]), so a
ledger is exact and reproducible. Records with the defaults ``lost = 0``, ``tries = 1`` serialise
without those two keys (the ledgers of ideal links are unchanged).

``round`` is the position of the message in one copy's journey (hop 0, 1, …); classical messages
sent after the quantum part use the next round numbers. Copies of the register travel in
parallel, so a round is one step of the whole protocol on the network (the [time model][link-models-time]).
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from qdist.io import atomic_write_bytes, atomic_write_text  # noqa: F401 (re-exported)

#: Message kinds.
QUANTUM = "quantum"
CLASSICAL = "classical"
EBIT = "ebit"  # a pre-shared pair distributed over a quantum link (size = pairs per message)
KINDS = (QUANTUM, CLASSICAL, EBIT)
#: kinds that travel over a quantum link (and may be lost)
QUANTUM_KINDS = (QUANTUM, EBIT)

#: Purposes used by the protocols of `qdist.network.protocols` (free text is allowed too).
PURPOSES = (
    "forward pass",  # the n-qubit register moving along the pipeline
    "ancilla pass",  # the (n+1)-qubit register (with an ancilla) moving forward
    "uncompute pass",  # the (n+1)-qubit register moving backward for U_{>j}† (docs/concepts/gradients.md#layer-shadows)
    "measurement result",  # ±1 outcomes sent back
    "gradient result",  # estimated gradient components sent to their owner
    "parameter broadcast",  # parameters sent to another party
    "activation",  # classical forward activation (pipeline baseline)
    "activation gradient",  # classical backward gradient (pipeline baseline)
    "data",  # the raw data vector (ship-the-data baseline)
    "sketch",  # a classical sketch of the data (linear baseline)
    "importance samples",  # indices and phases of Alice's vector (importance-sampling protocol)
    "teleport corrections",  # the two classical bits per teleported qubit
)


def _nonneg_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: expected an integer ≥ 0, got {value}")
    return int(value)


@dataclass(frozen=True)
class Message:
    """``count`` identical messages ``sender → receiver``.

    Attributes:
        sender, receiver: party names.
        kind: ``"quantum"`` (size in qubits), ``"classical"`` (size in bits) or ``"ebit"`` (size
            in pre-shared pairs).
        size: qubits or bits of ONE message.
        purpose: what the message is for (see `PURPOSES`).
        round: position in one copy's journey (0 = first hop).
        count: multiplicity ≥ 1 (identical messages, e.g. one per copy of the state).
        copies: fresh state preparations whose journey starts with these messages (0 otherwise).
        lost: attempts lost and resent (quantum and ebit records; 0 without loss).
        tries: the most attempts any one qubit of the record needed (≥ 1; 1 without loss).
    """

    sender: str
    receiver: str
    kind: str
    size: int
    purpose: str
    round: int = 0
    count: int = 1
    copies: int = 0
    lost: int = 0
    tries: int = 1

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected 'quantum', 'classical' or 'ebit', got {self.kind!r}")
        if not self.sender or not self.receiver:
            raise ValueError("sender: expected non-empty party names")
        if self.sender == self.receiver:
            raise ValueError(f"receiver: a message needs two different parties, got {self.sender!r} twice")
        object.__setattr__(self, "size", _nonneg_int(self.size, "size"))
        object.__setattr__(self, "round", _nonneg_int(self.round, "round"))
        object.__setattr__(self, "copies", _nonneg_int(self.copies, "copies"))
        count = _nonneg_int(self.count, "count")
        if count < 1:
            raise ValueError(f"count: expected an integer ≥ 1, got {count}")
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "lost", _nonneg_int(self.lost, "lost"))
        tries = _nonneg_int(self.tries, "tries")
        if tries < 1:
            raise ValueError(f"tries: expected an integer ≥ 1, got {tries}")
        if self.kind == CLASSICAL and (self.lost or tries != 1):
            raise ValueError("lost: classical messages are not lost (expected lost = 0, tries = 1)")
        object.__setattr__(self, "tries", tries)

    @property
    def qubits(self) -> int:
        return self.count * self.size if self.kind == QUANTUM else 0

    @property
    def classical_bits(self) -> int:
        return self.count * self.size if self.kind == CLASSICAL else 0

    @property
    def ebits(self) -> int:
        return self.count * self.size if self.kind == EBIT else 0

    @property
    def transmissions(self) -> int:
        """Every qubit or ebit half put on the link: delivered (count · size) + lost."""
        return self.count * self.size + self.lost if self.kind in QUANTUM_KINDS else 0

    def to_dict(self) -> dict:
        """The fields, without ``lost``/``tries`` when they have their defaults."""
        d = asdict(self)
        if self.lost == 0 and self.tries == 1:
            del d["lost"], d["tries"]
        return d

    @property
    def link(self) -> tuple[str, str]:
        """The directed link ``(sender, receiver)``."""
        return (self.sender, self.receiver)


def _totals(records: Iterable[Message]) -> dict[str, int]:
    out = {"qubits": 0, "classical_bits": 0, "messages": 0, "copies": 0, "ebits": 0, "transmissions": 0}
    for m in records:
        out["qubits"] += m.qubits
        out["classical_bits"] += m.classical_bits
        out["messages"] += m.count
        out["copies"] += m.copies
        out["ebits"] += m.ebits
        out["transmissions"] += m.transmissions
    return out


_GROUP_KEYS: dict[str, Callable[[Message], object]] = {
    "link": lambda m: f"{m.sender}->{m.receiver}",
    "sender": lambda m: m.sender,
    "receiver": lambda m: m.receiver,
    "purpose": lambda m: m.purpose,
    "kind": lambda m: m.kind,
    "round": lambda m: m.round,
}


@dataclass(frozen=True)
class Ledger:
    """An immutable record of messages; see the module docstring for the counting rules."""

    records: tuple[Message, ...] = ()

    def add(
        self,
        sender: str | Message,
        receiver: str | None = None,
        kind: str | None = None,
        size: int | None = None,
        purpose: str = "",
        *,
        round: int = 0,
        count: int = 1,
        copies: int = 0,
        lost: int = 0,
        tries: int = 1,
    ) -> Ledger:
        """A new ledger with one more record (a [`Message`][qdist.network.ledger.Message] or its fields)."""
        if isinstance(sender, Message):
            msg = sender
        else:
            if receiver is None or kind is None or size is None:
                raise TypeError("add: expected a Message or sender, receiver, kind and size")
            msg = Message(sender, receiver, kind, size, purpose, round, count, copies, lost, tries)
        return Ledger(self.records + (msg,))

    def __add__(self, other: Ledger) -> Ledger:
        if not isinstance(other, Ledger):
            return NotImplemented
        return Ledger(self.records + other.records)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    # ---- totals ---------------------------------------------------------------------------------
    def totals(self) -> dict[str, int]:
        """``{"qubits", "classical_bits", "messages", "copies", "ebits", "transmissions"}`` (exact
        integers)."""
        return _totals(self.records)

    @property
    def qubits(self) -> int:
        return self.totals()["qubits"]

    @property
    def classical_bits(self) -> int:
        return self.totals()["classical_bits"]

    @property
    def messages(self) -> int:
        return self.totals()["messages"]

    @property
    def copies(self) -> int:
        return self.totals()["copies"]

    @property
    def ebits(self) -> int:
        return self.totals()["ebits"]

    @property
    def transmissions(self) -> int:
        return self.totals()["transmissions"]

    def filter(self, predicate: Callable[[Message], bool]) -> Ledger:
        return Ledger(tuple(m for m in self.records if predicate(m)))

    def sent_by(self, party: str) -> Ledger:
        return self.filter(lambda m: m.sender == party)

    def received_by(self, party: str) -> Ledger:
        return self.filter(lambda m: m.receiver == party)

    def group_by(self, key: str | Callable[[Message], object]) -> dict:
        """Totals per group: ``key`` is ``"link"``, ``"sender"``, ``"receiver"``, ``"purpose"``,
        ``"kind"``, ``"round"``, ``"party"`` (messages *sent* by each party) or a function."""
        if key == "party":
            key = "sender"
        if isinstance(key, str):
            if key not in _GROUP_KEYS:
                raise ValueError(f"key: expected one of {', '.join(_GROUP_KEYS)}, party, got {key!r}")
            fn = _GROUP_KEYS[key]
        else:
            fn = key
        groups: dict = {}
        for m in self.records:
            groups.setdefault(fn(m), []).append(m)
        return {k: _totals(v) for k, v in groups.items()}

    def by_link(self) -> dict:
        return self.group_by("link")

    def by_party(self) -> dict:
        return self.group_by("sender")

    def by_purpose(self) -> dict:
        return self.group_by("purpose")

    def compact(self) -> Ledger:
        """Merge records that differ only in ``count``/``copies``/``lost``/``tries`` (same totals,
        fewer records; ``tries`` keeps the largest)."""
        merged: dict[tuple, list[int]] = {}
        for m in self.records:
            k = (m.sender, m.receiver, m.kind, m.size, m.purpose, m.round)
            acc = merged.setdefault(k, [0, 0, 0, 1])
            acc[0] += m.count
            acc[1] += m.copies
            acc[2] += m.lost
            acc[3] = max(acc[3], m.tries)
        return Ledger(
            tuple(Message(*k, count=c, copies=p, lost=lo, tries=t) for k, (c, p, lo, t) in merged.items())
        )

    # ---- serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": "qdist-ledger-v1",
            "totals": self.totals(),
            "records": [m.to_dict() for m in self.records],
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Ledger:
        return cls(tuple(Message(**r) for r in d.get("records", ())))

    def to_json(self, path=None, indent: int | None = 2) -> str:
        """JSON text; with ``path`` also written atomically (temp file + ``os.replace``)."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            atomic_write_text(path, text + "\n")
        return text

    @classmethod
    def from_json(cls, text_or_path) -> Ledger:
        p = Path(str(text_or_path))
        text = p.read_text() if not str(text_or_path).lstrip().startswith("{") else str(text_or_path)
        return cls.from_dict(json.loads(text))
