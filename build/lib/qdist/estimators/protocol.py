"""The Estimator protocol: ``plan(...) → (batch, finish)`` and the exact ``copies(...)``.

An estimator never runs anything itself. `Estimator.plan` turns ``(circuit, observable, params,
options)`` into a `Plan`: the batch of runs a device must execute (`qdist.devices.protocol.Run`)
and ``finish``, a pure function from the device's outcome arrays to a
[`GradientResult`][qdist.GradientResult]. So every estimator works on every device, the network
protocols and training call the same code, and the cost model asks `Estimator.copies` instead of
branching on method names. Simulation-only estimators (the exact adjoint gradient, emulated shadow
tomography) plan an empty batch and do their work in ``finish`` on the exact simulator; they say so
with ``simulation_only = True``.

`CopyShape` is what the cost model knows of a gradient without building a circuit (valid at
N = 2⁶⁰): parameters, commuting layers, qubits, observable terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from qdist.devices.protocol import Batch
from qdist.estimators.result import GradientResult
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable

__all__ = ["CopyShape", "Estimator", "Plan", "shot_options"]


def shot_options(**extra) -> dict:
    """The options every shot-based estimator takes (``shots``, ``seed``, ``state``, ``data``, all
    ``None`` by default) plus its own ``extra`` ones with their defaults."""
    return {"shots": None, "seed": None, "state": None, "data": None, **extra}


@dataclass(frozen=True)
class Plan:
    """What a device must run (``batch``) and how its outcomes become the result (``finish``)."""

    batch: Batch
    finish: Callable[..., GradientResult]  # finish(outcomes, probabilities=None)


@dataclass(frozen=True)
class CopyShape:
    """The integers the closed-form copy counts depend on.

    Attributes:
        num_params: parameters differentiated in this run (``P_s`` for one segment).
        total_params: parameters of the whole gradient (``P``; the union bound uses ``δ/P``).
        layers: commuting layers among the differentiated rotations.
        num_qubits: register size ``n`` (without an ancilla).
        terms: Pauli terms of the observable; ``groups``: its qubit-wise-commuting groups.
    """

    num_params: int
    total_params: int
    layers: int
    num_qubits: int
    terms: int = 1
    groups: int = 1


@runtime_checkable
class Estimator(Protocol):
    """A gradient estimator (see the module docstring).

    Attributes:
        name: the ``method=`` string.
        defaults: every option with its default value (unknown options are refused).
        ancilla: extra qubits each copy carries (the layer-shadow ancilla: 1).
        simulation_only: needs the exact simulator (no device can run it).
        batched: optional (default ``False``): ``plan`` accepts a batch of input states ``(B, 2ⁿ)`` (and data ``(B, D)``) and
            then returns gradients ``(B, P)`` (training uses it for a whole mini-batch).
        note: one line on what the method means on a network.
    """

    name: str
    defaults: Mapping[str, object]
    ancilla: int
    simulation_only: bool
    note: str

    def plan(self, circuit: Circuit, observable: Observable, params, options: Mapping) -> Plan: ...

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        """Options that give every gradient component to ``±ε`` w.p. ``≥ 1 − δ``."""
        ...

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options: Mapping) -> int:
        """Copies one run consumes with ``sized_options`` (an upper bound where it is random)."""
        ...
