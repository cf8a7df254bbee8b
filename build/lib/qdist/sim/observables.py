"""Observables: weighted sums of Pauli strings, ``O = Σ_k c_k P_k`` with real ``c_k``.

A Pauli string is stored sparsely as ``((wire, letter), …)`` sorted by wire, letters in X, Y, Z
(identity factors are dropped). Conversions from Qiskit's ``SparsePauliOp`` and PennyLane operators
live in `qdist.interop.observables`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

PauliWord = tuple[tuple[int, str], ...]


def _word(items: Iterable[tuple[int, str]]) -> PauliWord:
    out = {}
    for w, p in items:
        if not isinstance(p, str) or len(p) != 1 or p.upper() not in "IXYZ":
            raise ValueError(f"observable: expected Pauli letters I, X, Y, Z, got {p!r}")
        p = p.upper()
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 0:
            raise ValueError(f"observable: expected non-negative integer wires, got {w!r}")
        if int(w) in out:
            raise ValueError(f"observable: wire {w} appears twice in one Pauli string")
        if p != "I":
            out[int(w)] = p
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class Observable:
    """``Σ_k coeffs[k] · words[k]``; each word is a sparse Pauli string."""

    coeffs: tuple[float, ...]
    words: tuple[PauliWord, ...]

    def __post_init__(self):
        if len(self.coeffs) != len(self.words):
            raise ValueError("observable: coeffs and words must have the same length")

    @property
    def wires(self) -> tuple[int, ...]:
        return tuple(sorted({w for word in self.words for w, _ in word}))

    @property
    def max_wire(self) -> int:
        return max(self.wires, default=-1)

    @property
    def is_diagonal(self) -> bool:
        return all(p == "Z" for word in self.words for _, p in word)

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha1(repr((self.coeffs, self.words)).encode()).hexdigest()

    def __add__(self, other: Observable) -> Observable:
        return Observable(self.coeffs + other.coeffs, self.words + other.words)

    def __rmul__(self, c: float) -> Observable:
        return Observable(tuple(float(c) * x for x in self.coeffs), self.words)

    def label(self, word: PauliWord, num_qubits: int) -> str:
        """Dense label of ``word`` in qdist order (first character = wire 0)."""
        chars = ["I"] * num_qubits
        for w, p in word:
            chars[w] = p
        return "".join(chars)

    def matrix(self, num_qubits: int) -> np.ndarray:
        """Dense ``2ⁿ × 2ⁿ`` matrix (for tests and small n only)."""
        from qdist.sim.gates import pauli_string_matrix

        m = np.zeros((2**num_qubits,) * 2, dtype=np.complex128)
        for c, word in zip(self.coeffs, self.words, strict=True):
            m += c * pauli_string_matrix(self.label(word, num_qubits))
        return m


def _coeff(name: str, c) -> float:
    """A finite real coefficient (a complex one only with zero imaginary part)."""
    try:
        z = complex(c)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a finite real coefficient, got {c!r}") from None
    if abs(z.imag) > 1e-12 or not np.isfinite(z.real):
        raise ValueError(f"{name}: expected a finite real coefficient, got {c!r}")
    return z.real


def pauli(letters: str, wires: Sequence[int] | None = None, coeff: float = 1.0) -> Observable:
    """One Pauli string. ``pauli("XZ", (0, 3))`` is X on wire 0 times Z on wire 3;
    ``pauli("ZIZ")`` (no wires) is the dense label with wire 0 first."""
    if not isinstance(letters, str):
        raise TypeError(f"letters: expected a string of Pauli letters I, X, Y, Z, got {letters!r}")
    letters = letters.upper()
    wires = tuple(range(len(letters))) if wires is None else tuple(wires)
    if len(wires) != len(letters):
        raise ValueError(f"wires: expected {len(letters)} wires for {letters!r}, got {len(wires)}")
    return Observable((_coeff("coeff", coeff),), (_word(zip(wires, letters, strict=True)),))


def pauli_sum(terms: Mapping[str, float] | Iterable[tuple[float, Mapping[int, str]]]) -> Observable:
    """Weighted sum from ``{"ZZI": 0.5, "XII": -1.0}`` (dense labels, wire 0 first) or from
    ``[(coeff, {wire: letter, …}), …]``."""
    coeffs, words = [], []
    if isinstance(terms, Mapping):
        for label, c in terms.items():
            if not isinstance(label, str):
                raise TypeError(f"terms: expected Pauli labels as strings, got {label!r}")
            coeffs.append(_coeff(f"terms: term {label!r}", c))
            words.append(_word(enumerate(label)))
    else:
        for c, word in terms:
            coeffs.append(_coeff("terms", c))
            words.append(_word(word.items()))
    return Observable(tuple(coeffs), tuple(words))
