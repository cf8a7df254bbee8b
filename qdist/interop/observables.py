"""Observables from Qiskit and PennyLane, converted at the boundary ([conventions][conventions]).

* Qiskit ``SparsePauliOp``: label character ``-1-q`` is qubit ``q`` (rightmost = qubit 0); Qiskit
  qubit q becomes qdist wire q.
* PennyLane operators: converted through ``qml.pauli.pauli_sentence``; wire labels map to qdist wires
  by ``wire_map`` (default: the labels themselves, which must then be integers).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from qdist.sim.observables import Observable, pauli_sum
from qdist.validate import check_int


def from_sparse_pauli_op(op) -> Observable:
    """``SparsePauliOp`` → [`Observable`][qdist.Observable] (Qiskit qubit q ↦ wire q)."""
    terms = []
    for label, coeff in op.to_list():
        c = complex(coeff)
        if abs(c.imag) > 1e-12:
            raise ValueError(
                f"observable: expected a Hermitian SparsePauliOp, term {label} has coefficient {c}"
            )
        terms.append((c.real, {q: ch for q, ch in enumerate(reversed(label)) if ch != "I"}))
    return pauli_sum(terms)


def from_pennylane_observable(op, wire_map: Mapping | None = None) -> Observable:
    """PennyLane observable (Pauli words, sums, products, ``qml.Hamiltonian``) → [`Observable`][qdist.Observable]."""
    import pennylane as qml

    try:
        sentence = qml.pauli.pauli_sentence(op)
    except Exception as exc:  # noqa: BLE001 - PennyLane raises several types
        raise ValueError(f"observable: {op!r} is not a sum of Pauli strings ({exc})") from None
    terms = []
    for word, coeff in sentence.items():
        c = complex(np.asarray(coeff))
        if abs(c.imag) > 1e-12:
            raise ValueError(f"observable: expected a Hermitian observable, term {word} has coefficient {c}")
        mapped = {}
        for w, p in word.items():
            if wire_map is not None and w not in wire_map:
                raise ValueError(
                    f"observable: wire label {w!r} is not a wire of the circuit (wires {list(wire_map)})"
                )
            key = wire_map[w] if wire_map is not None else w
            if not isinstance(key, (int, np.integer)) or isinstance(key, bool) or key < 0:
                raise ValueError(f"observable: wire label {w!r} is not a non-negative integer; pass wire_map")
            mapped[int(key)] = p
        terms.append((c.real, mapped))
    return pauli_sum(terms)


def as_observable(obj, num_qubits: int | None = None, wire_map: Mapping | None = None) -> Observable:
    """Accept a qdist [`Observable`][qdist.Observable], a Qiskit ``SparsePauliOp``/``Pauli``, a PennyLane
    operator, or a dense label string (qdist order, wire 0 first)."""
    if isinstance(obj, Observable):
        obs = obj
    elif isinstance(obj, str):
        obs = pauli_sum({obj: 1.0})
    else:
        mod = type(obj).__module__
        if mod.startswith("qiskit"):
            from qiskit.quantum_info import Pauli, SparsePauliOp

            if isinstance(obj, Pauli):
                obj = SparsePauliOp(obj)
            if not isinstance(obj, SparsePauliOp):
                raise TypeError(
                    f"observable: expected a SparsePauliOp or Pauli (see qdist.as_observable), got {type(obj).__name__}"
                )
            obs = from_sparse_pauli_op(obj)
        elif mod.startswith("pennylane"):
            obs = from_pennylane_observable(obj, wire_map)
        else:
            raise TypeError(
                "observable: expected a qdist Observable, a Qiskit SparsePauliOp/Pauli, a PennyLane operator "
                f"or a label string (see qdist.as_observable), got {type(obj).__name__}"
            )
    if num_qubits is not None and obs.max_wire >= check_int("num_qubits", num_qubits, 1):
        raise ValueError(f"observable: acts on wire {obs.max_wire}, but the circuit has {num_qubits} qubits")
    return obs
