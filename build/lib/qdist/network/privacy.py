"""Privacy: how much information can have left each party ([privacy (Holevo)][privacy-holevo]).

Holevo's bound: k qubits carry at most k bits of accessible information (without shared
entanglement; with pre-shared entanglement the bound is 2k — superdense coding — and the networks
here share none). So the information about a party's private inputs (Alice: x; a model owner: its
parameters) that any coalition of the other parties can extract from a protocol run is at most

    I ≤ (qubits the party sent) + (classical bits the party sent).

The protocols here are *two-way*: registers travel forward and, for the ancilla estimators, back.
A party that receives qubits from another party can use them as entanglement for its later
messages, so in an interactive protocol k qubits sent carry up to 2k bits of accessible information
(Nayak–Salzman; superdense coding is the matching protocol). The report gives both: the one-way
bound ``k + c`` (``holevo_bound_bits``, valid when the party received no qubits it could hold
entangled) and the two-way bound ``2k + c`` (``two_way_bound_bits``, always valid).

These are upper bounds over the *whole run* (all copies), counted from the ledger. It can exceed
N·b for small N or many shots; the point ([privacy][privacy-holevo]) is that it grows like log N while every
classical baseline reveals its inputs outright: ship-the-data reveals x (N·b bits), the pipeline
reveals an N-float activation per boundary (from which x can be inverted when a block is
invertible), ship-the-model reveals the owners' parameters (P_k·b bits each).
"""

from __future__ import annotations

from qdist.network.ledger import Ledger


def holevo_report(ledger: Ledger, parties) -> dict:
    """Per party: qubits and bits it sent, the one-way Holevo bound on the accessible information
    that left it (qubits + bits) and the two-way bound (2·qubits + bits, module docstring), which
    applies whenever the party also received qubits."""
    out = {}
    for p in parties:
        t = ledger.sent_by(p).totals()
        received = ledger.received_by(p).totals()["qubits"]
        out[p] = {
            "qubits_sent": t["qubits"],
            "classical_bits_sent": t["classical_bits"],
            "qubits_received": received,
            "holevo_bound_bits": t["qubits"] + t["classical_bits"],
            "two_way_bound_bits": 2 * t["qubits"] + t["classical_bits"],
            "bound_that_applies": "two-way" if received and t["qubits"] else "one-way",
        }
    return out


def privacy_report(ledger: Ledger, parties, classical: dict) -> dict:
    """``{"holevo": {party: …}, "classical_baselines": {scheme: …}, "note": …}``: the Holevo bound
    on what left each party in this run, next to what each classical baseline reveals in clear."""
    return {
        "holevo": holevo_report(ledger, parties),
        "classical_baselines": classical,
        "note": "Holevo: k qubits + c bits sent carry ≤ k + c bits of accessible information one-way "
        "(no entanglement), ≤ 2k + c in a two-way protocol where the party also received qubits "
        "(Nayak–Salzman); classical baselines send their inputs in clear",
    }


def linear_leakage(features: int, sketch_bits: int, bits: int = 32) -> dict:
    """What the classical linear-classifier baselines reveal: ``{scheme: {party: bits}}``."""
    return {
        "ship-data": {"bits_in_clear": {"alice": features * bits, "bob": 0}, "reveals": "x"},
        "ship-model": {"bits_in_clear": {"alice": 0, "bob": features * bits}, "reveals": "w"},
        "sketch": {
            "bits_in_clear": {"alice": sketch_bits, "bob": 0},
            "reveals": "k random-projection signs of x",
        },
    }


def classical_leakage(spec, bits: int = 32) -> dict:
    """What each classical baseline reveals in one inference (bits of the party's private input
    sent in the clear): ``{scheme: {party: bits}}``."""
    names = spec.party_names
    N, b = spec.features, bits
    pipeline = {p: 0 for p in names}
    owners = [names[k] for k, _, _ in spec.segments]
    for s in range(spec.hops):
        pipeline[owners[s]] += N * b
    ship_data = {p: spec.party_params(k) * b for k, p in enumerate(names) if k != 1}
    ship_data[names[0]] += N * b
    ship_data[names[1]] = 0
    ship_model = {p: (spec.party_params(k) * b if k else 0) for k, p in enumerate(names)}
    return {
        "pipeline": {"bits_in_clear": pipeline, "reveals": "an N-float activation per boundary"},
        "ship-data": {"bits_in_clear": ship_data, "reveals": "x itself (N·b bits) and Alice's parameters"},
        "ship-model": {"bits_in_clear": ship_model, "reveals": "every model owner's parameters"},
    }
