"""Expectation values from samples: observables measured in qubit-wise-commuting groups.

``O = Σ_k c_k Q_k`` is measured in qubit-wise-commuting groups (`qdist.measure.groups`): per group
the circuit is followed by the group's basis change (`basis_circuit`) and ``shots`` shots are taken
per row. `plan_observation` makes the groups of a list of observables; `observe_runs` the sampling
runs of a circuit; `observe_stats` turns the outcome counts back into the estimate of every
observable per row, the variance of that estimate (``Σ_g s²_g/shots``, empirical) and its exact
counterpart (from the probabilities, when a simulator knows them). This is how a device without an
estimator primitive answers an expectation-value run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qdist.measure.bases import basis_gates
from qdist.measure.groups import MeasurementGroup, group_values, measurement_groups, observable_terms
from qdist.measure.sampling import value_stats
from qdist.sim.circuit import Circuit, gate, make_circuit
from qdist.sim.observables import Observable, PauliWord

__all__ = ["Observation", "basis_circuit", "observe_stats", "plan_observation"]


def basis_circuit(circuit: Circuit, basis: PauliWord) -> Circuit:
    """``circuit`` followed by the fixed rotations of ``basis`` (`qdist.measure.bases.basis_gates`)."""
    ops = list(circuit.ops)
    for w, p in basis:
        ops += [gate(name, w) for name in basis_gates(p)]
    return make_circuit(circuit.num_qubits, ops, num_params=circuit.num_params)


@dataclass(frozen=True)
class Observation:
    """The groups of one observable list and the value of each observable on their outcomes."""

    groups: tuple[MeasurementGroup, ...]
    values: tuple[np.ndarray, ...]  # per group (2^k, M)
    constants: np.ndarray  # (M,) identity coefficients


def plan_observation(observables: Sequence[Observable], grouping: str = "qwc") -> Observation:
    """Groups for measuring all ``observables`` together (terms of equal words share a basis)."""
    terms = [(m, c, w) for m, o in enumerate(observables) for c, w in observable_terms(o)]
    groups = measurement_groups([w for _, _, w in terms], grouping)
    values = tuple(group_values(g, terms, len(observables)) for g in groups)
    consts = np.array(
        [sum(c for c, w in zip(o.coeffs, o.words, strict=True) if not w) for o in observables], dtype=float
    )
    return Observation(groups, values, consts)


def observe_stats(obs: Observation, outcomes: Sequence[np.ndarray], shots, rows: int, probabilities=None):
    """``(mean, var, exact_var)`` each ``(R, M)`` from the device outcomes of `observe_runs`.

    ``probabilities``: the exact outcome probabilities of the same runs when the device knows them
    (a simulator); they give ``exact_var``, else it is ``NaN``.
    """
    M = len(obs.constants)
    mean = np.zeros((rows, M)) + obs.constants
    var = np.zeros((rows, M))
    exact_var = np.zeros((rows, M))
    probs = probabilities if probabilities is not None else [None] * len(obs.values)
    for v, out, p in zip(obs.values, outcomes, probs, strict=True):
        if shots is None:
            mean += np.asarray(out) @ v
            continue
        m, s2, _, es2 = value_stats(p, v, np.asarray(out), shots)
        mean += m
        var += s2 / shots
        exact_var += es2 / shots
    return mean, var, exact_var
