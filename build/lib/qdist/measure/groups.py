"""Which Pauli terms are measured together, and what each outcome is worth.

An observable ``O = Σ_k c_k Q_k`` (Pauli words ``Q_k``) is measured in product bases: terms that
agree letter by letter on their shared wires (qubit-wise commuting) share one basis. `measurement_groups`
makes the groups (greedy first fit in term order, or one group per term); `outcome_signs` gives the
eigenvalue ``±1`` of a word on every outcome of a group's wires, and `group_values` the value of
each observable of a list on every outcome of a group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qdist.sim.observables import Observable, PauliWord

__all__ = [
    "MeasurementGroup",
    "constant_terms",
    "group_values",
    "measurement_groups",
    "observable_terms",
    "outcome_signs",
]

GROUPINGS = ("qwc", "terms")


@dataclass(frozen=True)
class MeasurementGroup:
    """Pauli terms measured together in one product basis ``basis`` ((wire, letter) sorted)."""

    basis: PauliWord
    terms: tuple[int, ...]

    @property
    def wires(self) -> tuple[int, ...]:
        return tuple(w for w, _ in self.basis)


def observable_terms(observable: Observable) -> tuple[tuple[float, PauliWord], ...]:
    """Non-identity, non-zero terms ``(c_k, Q_k)`` of ``O`` (identity terms do not depend on θ)."""
    return tuple(
        (float(c), w) for c, w in zip(observable.coeffs, observable.words, strict=True) if w and c != 0
    )


def constant_terms(observable: Observable) -> float:
    """The coefficient of the identity in ``O`` (its value needs no measurement)."""
    return float(sum(c for c, w in zip(observable.coeffs, observable.words, strict=True) if not w))


def measurement_groups(words: Sequence[PauliWord], grouping: str = "qwc") -> tuple[MeasurementGroup, ...]:
    """Qubit-wise-commuting groups (greedy first fit in term order) or one group per term."""
    groups: list[tuple[dict, list[int]]] = []
    for t, word in enumerate(words):
        if grouping == "qwc":
            for basis, members in groups:
                if all(basis.get(w, p) == p for w, p in word):
                    basis.update(word)
                    members.append(t)
                    break
            else:
                groups.append((dict(word), [t]))
        else:
            groups.append((dict(word), [t]))
    return tuple(MeasurementGroup(tuple(sorted(b.items())), tuple(m)) for b, m in groups)


def outcome_signs(word: PauliWord, wires: Sequence[int]) -> np.ndarray:
    """``(2^k,)`` eigenvalue ±1 of ``word`` for every outcome on ``wires`` (first = most significant)."""
    k = len(wires)
    idx = np.arange(2**k)
    sign = np.ones(2**k)
    pos = {w: i for i, w in enumerate(wires)}
    for w, _ in word:
        sign *= 1 - 2 * ((idx >> (k - 1 - pos[w])) & 1)
    return sign


def group_values(
    group: MeasurementGroup, terms: Sequence[tuple[int, float, PauliWord]], num_observables: int
) -> np.ndarray:
    """``(2^k, M)`` value of each of ``M`` observables on every outcome of ``group``'s wires.

    ``terms[t] = (m, c, Q)``: term ``t`` of the flattened list belongs to observable ``m`` with
    coefficient ``c``; the group's ``terms`` index into it.
    """
    v = np.zeros((2 ** len(group.wires), num_observables))
    for t in group.terms:
        m, c, word = terms[t]
        v[:, m] += c * outcome_signs(word, group.wires)
    return v
