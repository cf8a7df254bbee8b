"""``method="exact"``: the adjoint reverse sweep — a simulation-only reference with no copies.

``∇f`` from one forward and one backward sweep over the state vector, O(1) extra states (see
[exact gradients][exact-and-parameter-shift]). A real
device cannot run it: it needs the state vector, so its plan is empty and ``finish`` calls the
simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from qdist.estimators.protocol import CopyShape, Plan
from qdist.estimators.result import GradientResult
from qdist.sim.circuit import Circuit
from qdist.sim.execute import value_and_grad
from qdist.sim.observables import Observable
from qdist.validate import check_options

__all__ = ["EXACT", "Exact"]


@dataclass(frozen=True)
class Exact:
    """The exact adjoint gradient; ``params`` may be a batch ``(B, P)`` (and ``state``/``data``)."""

    name: str = "exact"
    defaults: Mapping = field(default_factory=lambda: {"state": None, "data": None, "dtype": None})
    ancilla: int = 0
    simulation_only: bool = True
    batched: bool = True
    note: str = "adjoint sweep on the state vector: simulation-only reference, no communication"

    def plan(self, circuit: Circuit, observable: Observable, params, options: Mapping) -> Plan:
        if set(options) - set(self.defaults):
            raise TypeError(
                f"grad: method 'exact' takes no options, got {sorted(set(options) - set(self.defaults))}"
            )
        o = check_options(self.name, options, self.defaults)

        def finish(outcomes, probabilities=None) -> GradientResult:
            val, g = value_and_grad(
                circuit, params, observable, state=o["state"], data=o["data"], dtype=o["dtype"]
            )
            return GradientResult(
                value=g,
                std_error=np.zeros_like(g),
                copies=0,
                circuits=1,
                shots=0,
                method=self.name,
                expval=val,
            )

        return Plan((), finish)

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        return {}

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options: Mapping) -> int:
        return 0


EXACT = Exact()
