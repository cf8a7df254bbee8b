"""The Device protocol: run a batch of circuits × parameter rows × input states, return outcomes.

A batch is a tuple of `Run`s. Each run is one circuit, ``R`` parameter rows (``bindings``), an
optional initial state and run-time data per row, the shots per row, and what to measure:

* a **sampling run** names the ``wires`` measured in the computational basis (basis changes are
  gates of the circuit, see `qdist.measure.bases`); the device returns an array ``(R, 2^k)`` of
  outcome counts, or the exact outcome probabilities when ``shots`` is ``None`` (only devices with
  ``exact = True``). Outcome index: the first measured wire is the most significant bit;
* an **expectation run** names ``observables``; the device returns `Expectations` ``(R, M)`` —
  from an estimator primitive where the device has one (Qiskit Runtime's ``EstimatorV2``, with its
  error mitigation), otherwise from ``shots`` shots per qubit-wise-commuting group
  (`qdist.measure.observation`). ``copies`` counts ``shots`` per group.

Implementations: `qdist.devices.exact.ExactDevice` (the JAX simulator, exact Born sampling),
and in `qdist.backends.device` the PennyLane devices, Qiskit Aer, the fake IBM devices and IBM
Runtime, each behind the same call; the job registry (record before await, resume, retries) wraps
any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable

__all__ = ["Batch", "Device", "Expectations", "Run", "expectation_run", "require_exact"]


@dataclass(frozen=True, eq=False)
class Run:
    """One circuit measured on ``wires`` for every row of ``bindings``.

    Attributes:
        circuit: the circuit (``num_params`` = columns of ``bindings``).
        bindings: ``(R, P)`` parameter rows.
        wires: measured wires; outcome index bit 0 (most significant) = ``wires[0]``.
        shots: shots per row, or ``None`` for exact probabilities.
        states: initial state ``(2ⁿ,)`` for every row, ``(R, 2ⁿ)`` one per row, or ``None`` (``|0…0⟩``).
        data: run-time data ``(D,)`` for every row, ``(R, D)`` one per row, or ``None``.
        observables: for an expectation run, the observables (then ``wires`` is empty).
        grouping: how a sampling device groups the observables' terms (``"qwc"`` or ``"terms"``).
        simulate: optional, for simulators only: ``simulate(run) -> (R, 2ⁿ)`` final states computed
            another way than op by op (same numbers); other devices ignore it.
    """

    circuit: Circuit
    bindings: np.ndarray
    wires: tuple[int, ...]
    shots: int | None
    states: np.ndarray | None = None
    data: np.ndarray | None = None
    observables: tuple[Observable, ...] | None = None
    simulate: Callable[[Run], np.ndarray] | None = None
    grouping: str = "qwc"

    @property
    def rows(self) -> int:
        return int(np.asarray(self.bindings).shape[0])


@dataclass(frozen=True)
class Expectations:
    """The answer to an expectation run: per row and observable ``(R, M)``.

    Attributes:
        values: the estimates (exact when the run's ``shots`` is ``None``).
        variances: the variance of each estimate (empirical; 0 when exact).
        exact_variances: the same from the exact outcome distribution (simulators), else ``NaN``.
        groups: qubit-wise-commuting groups measured (``shots`` shots each per row).
    """

    values: np.ndarray
    variances: np.ndarray
    exact_variances: np.ndarray
    groups: int


def expectation_run(
    circuit: Circuit,
    bindings,
    observables,
    shots,
    *,
    states=None,
    data=None,
    grouping: str = "qwc",
    simulate=None,
) -> Run:
    """A `Run` asking for ``⟨O_m⟩`` of every observable on every row of ``bindings``."""
    b = np.asarray(bindings, dtype=np.float64)
    return Run(circuit, b, (), shots, states, data, tuple(observables), simulate, grouping)


Batch = tuple[Run, ...]


@runtime_checkable
class Device(Protocol):
    """Anything with a ``name``, an ``exact`` flag and ``run(batch, seed)`` returning, per run, an
    ``(R, 2^k)`` array (sampling runs) or `Expectations` (expectation runs).

    A device with ``exact = True`` also accepts ``run(batch, seed, with_probabilities=True)`` and
    then returns ``(outcomes, probabilities)``.
    """

    name: str
    exact: bool

    def run(self, batch: Sequence[Run], seed: int) -> list[np.ndarray]: ...


def require_exact(device: Device, what: str) -> None:
    """Refuse a device that cannot return exact probabilities for ``what``."""
    if not getattr(device, "exact", False):
        raise ValueError(
            f"device: {what} needs a simulator that returns exact probabilities, got {device.name}"
        )
