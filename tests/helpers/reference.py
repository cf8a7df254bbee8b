"""Reference observables (qdist, Qiskit, PennyLane built independently from one term list) and the
Qiskit ↔ qdist state-vector ordering (little-endian ↔ big-endian, docs/concepts/conventions.md#qubit-order).

Test modules reach these through the ``ref`` fixture of ``tests/conftest.py`` or import them
directly (``from helpers.reference import qiskit_state``).
"""

from __future__ import annotations

import numpy as np

import qdist


def random_observable(rng: np.random.Generator, n: int, max_terms: int = 4) -> list[tuple[float, str]]:
    """``[(coeff, dense label in qdist order)]``: a weighted sum of random non-identity Pauli strings."""
    terms = []
    for _ in range(int(rng.integers(1, max_terms + 1))):
        label = "".join(rng.choice(list("IXYZ"), size=n))
        if set(label) == {"I"}:
            label = label[:-1] + "XYZ"[rng.integers(3)]
        terms.append((float(rng.uniform(-1, 1)), label))
    return terms


def obs_qdist(terms) -> qdist.Observable:
    return qdist.pauli_sum([(c, dict(enumerate(label))) for c, label in terms])


def obs_qiskit(terms):
    from qiskit.quantum_info import SparsePauliOp

    return SparsePauliOp([label[::-1] for _, label in terms], [c for c, _ in terms])


def obs_pennylane(terms):
    import pennylane as qml

    return qml.Hamiltonian(
        [c for c, _ in terms], [qml.pauli.string_to_pauli_word(label) for _, label in terms]
    )


def from_qiskit_order(vec, n: int) -> np.ndarray:
    """Little-endian (Qiskit) ↔ big-endian (qdist) state vector; the map is its own inverse."""
    v = np.asarray(vec)
    return (
        v.reshape(v.shape[:-1] + (2,) * n)
        .transpose(tuple(range(v.ndim - 1)) + tuple(v.ndim - 1 + i for i in reversed(range(n))))
        .reshape(v.shape)
    )


def qiskit_state(qc, init=None) -> np.ndarray:
    """Final state of ``qc`` from ``init`` (qdist order; default |0…0⟩), in qdist order."""
    from qiskit.quantum_info import Statevector

    sv = (
        Statevector.from_int(0, 2**qc.num_qubits)
        if init is None
        else Statevector(from_qiskit_order(init, qc.num_qubits))
    )
    return from_qiskit_order(sv.evolve(qc).data, qc.num_qubits)
