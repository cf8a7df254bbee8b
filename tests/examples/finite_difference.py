"""The worked example of docs/dev/estimators.md: a new estimator in one module.

Central finite differences ``∂_i f ≈ [f(θ + h e_i) − f(θ − h e_i)]/(2h)`` (bias ``O(h²)``), every
evaluation measured with ``shots`` shots per qubit-wise-commuting group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from qdist.devices.protocol import expectation_run
from qdist.estimators.inputs import prepare_inputs
from qdist.estimators.protocol import CopyShape, Plan, shot_options
from qdist.estimators.result import GradientResult
from qdist.estimators.sizing import shots_for
from qdist.validate import check_options, check_positive, check_shots


@dataclass(frozen=True)
class FiniteDifference:
    name: str = "finite-difference"
    defaults: Mapping = field(default_factory=lambda: shot_options(h=0.1))
    ancilla: int = 0
    simulation_only: bool = False
    note: str = "central finite differences, 2 circuits per parameter; n-qubit forward passes"

    def plan(self, circuit, observable, params, options) -> Plan:
        o = check_options(self.name, options, self.defaults)
        shots, h = check_shots(o["shots"]), check_positive("h", o["h"])
        p, psi, d = prepare_inputs(circuit, params, o["state"], o["data"])
        P = circuit.num_params
        rows = np.concatenate([p + h * np.eye(P), p - h * np.eye(P)])
        run = expectation_run(circuit, rows, [observable], shots, states=psi, data=d)

        def finish(outcomes, probabilities=None) -> GradientResult:
            (e,) = outcomes  # Expectations (2P, 1): values, variances, exact_variances, groups
            mean, var = e.values, e.variances
            copies = 0 if shots is None else 2 * P * shots * e.groups
            return GradientResult(
                value=(mean[:P, 0] - mean[P:, 0]) / (2 * h),
                std_error=np.sqrt(var[:P, 0] + var[P:, 0]) / (2 * h),
                copies=copies,
                circuits=2 * P,
                shots=copies,
                method=self.name,
            )

        return Plan((run,), finish)

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        # each difference quotient to ±ε needs both means to ±ε·h (union bound over 2P means)
        return {"shots": shots_for(min(1.0, epsilon * self.defaults["h"]), delta / (2 * shape.total_params))}

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options: Mapping) -> int:
        shots = options.get("shots") or self.sized_options(shape, epsilon, delta)["shots"]
        return 2 * shape.num_params * int(shots) * shape.groups
