"""A converted circuit that remembers the user's wire labels.

[`from_pennylane`][qdist.from_pennylane] maps PennyLane wire labels to qdist wires ``0..n−1``; the
[`WiredCircuit`][qdist.interop.wires.WiredCircuit] it returns keeps that map, so an observable given
later in the user's labels (``qml.Z(2)``) is measured on the qubit that label became, whatever
entry point receives it ([`grad`][qdist.grad], [`expval`][qdist.expval], the backends).
"""

from __future__ import annotations

from dataclasses import dataclass

from qdist.sim.circuit import Circuit

__all__ = ["WiredCircuit", "labelled", "wire_map_of"]


@dataclass(frozen=True, eq=False, repr=False)
class WiredCircuit(Circuit):
    """A [`Circuit`][qdist.Circuit] whose qdist wire ``i`` is the user's wire ``wire_labels[i]``.

    It simulates exactly like the plain circuit (same fingerprint); only observables given with
    wire labels (PennyLane operators) are translated through ``wire_map``.
    """

    wire_labels: tuple = ()

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}; wires {list(self.wire_labels)})"

    @property
    def wire_map(self) -> dict:
        """``{label: qdist wire}``."""
        return {w: i for i, w in enumerate(self.wire_labels)}


def labelled(circuit: Circuit, labels) -> WiredCircuit:
    """``circuit`` carrying ``labels`` (one per wire)."""
    labels = tuple(labels)
    if len(labels) != circuit.num_qubits:
        raise ValueError(f"wires: expected {circuit.num_qubits} wire labels, got {len(labels)}")
    return WiredCircuit(
        circuit.num_qubits, circuit.ops, circuit.num_params, circuit.num_data, wire_labels=labels
    )


def wire_map_of(circuit) -> dict | None:
    """The circuit's ``{label: wire}`` map, or None for a circuit without labels."""
    return circuit.wire_map if isinstance(circuit, WiredCircuit) else None
