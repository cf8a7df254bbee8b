"""``method="spsa"``: simultaneous perturbation (Spall 1992), the cheap and *biased* baseline.

For ``samples`` random directions ``Δ ∈ {±1}^P``: ``ĝ = [f̂(θ + cΔ) − f̂(θ − cΔ)]/(2c) · Δ``,
averaged. Two circuits per direction whatever ``P``, but ``E[ĝ_i] = ∂_i f + O(c²)`` (it does not
converge to ``∇f`` at fixed ``c``), and its variance per direction contains ``Σ_{j≠i} (∂_j f)²``,
so a max-norm error ε needs ``~‖∇f‖²/ε²`` directions. ``std_error`` is the sample standard
deviation over the directions divided by ``√samples`` (``NaN`` for one direction);
``extra["shot_std_error"]`` the shot-noise part alone. Resources: ``circuits = 2·samples``,
``copies = 2·samples·shots·#groups``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from qdist.estimators.inputs import prepare_batch, slot_expectation_run
from qdist.estimators.protocol import CopyShape, Plan, shot_options
from qdist.estimators.result import GradientResult
from qdist.estimators.sizing import shots_for
from qdist.measure.groups import GROUPINGS
from qdist.measure.seeds import require_seed
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable
from qdist.sim.slots import angle_slots, slot_values
from qdist.validate import check_choice, check_int, check_options, check_positive, check_shots

__all__ = ["SPSA", "Spsa"]


@dataclass(frozen=True)
class Spsa:
    """The SPSA estimator (module docstring); ``seed`` is required (the directions are random)."""

    name: str = "spsa"
    defaults: Mapping = field(default_factory=lambda: shot_options(grouping="qwc", samples=1, c=0.1))
    ancilla: int = 0
    simulation_only: bool = False
    batched: bool = True
    note: str = "simultaneous random perturbations; n-qubit forward passes"

    def plan(self, circuit: Circuit, observable: Observable, params, options: Mapping) -> Plan:
        o = check_options(self.name, options, self.defaults)
        shots = check_shots(o["shots"])
        samples = check_int("samples", o["samples"])
        c = check_positive("c", o["c"])
        grouping = check_choice("grouping", o["grouping"], GROUPINGS)
        p, psi, d, nb, batched = prepare_batch(circuit, params, o["state"], o["data"])
        rng = require_seed(o["seed"], self.name)
        P = circuit.num_params
        delta = rng.choice(np.array([-1.0, 1.0]), size=(nb, samples, P))  # per sample
        thetas = np.concatenate([p + c * delta, p - c * delta], axis=1).reshape(nb * 2 * samples, P)
        phi = slot_values(angle_slots(circuit), thetas)
        run, groups = slot_expectation_run(circuit, observable, phi, shots, grouping, psi, d, 2 * samples)

        def finish(outcomes, probabilities=None) -> GradientResult:
            e = outcomes[0]
            mean = e.values[:, 0].reshape(nb, 2 * samples)
            exact_var = e.exact_variances[:, 0].reshape(nb, 2 * samples)
            g = ((mean[:, :samples] - mean[:, samples:]) / (2 * c))[..., None] * delta  # (nb, S, P)
            std = g.std(axis=1, ddof=1) / math.sqrt(samples) if samples > 1 else np.full((nb, P), np.nan)
            shot_var = (exact_var[:, :samples] + exact_var[:, samples:]) / (4 * c * c)
            shot_std = np.repeat(np.sqrt(shot_var.sum(axis=1))[:, None] / samples, P, axis=1)
            value = g.mean(axis=1)
            if not batched:
                value, std, shot_std = value[0], std[0], shot_std[0]
            copies = 0 if shots is None else 2 * samples * shots * groups * nb
            return GradientResult(
                value=value,
                std_error=std,
                copies=copies,
                circuits=2 * samples,
                shots=copies,
                method=self.name,
                extra={
                    "samples": samples,
                    "c": c,
                    "groups": groups,
                    "biased": True,
                    "shot_std_error": shot_std.tolist(),
                },
            )

        return Plan((run,), finish)

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        return {"shots": shots_for(epsilon, delta)}

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options: Mapping) -> int:
        shots = options.get("shots") or self.sized_options(shape, epsilon, delta)["shots"]
        return 2 * int(options.get("samples", 1)) * int(shots) * shape.groups


SPSA = Spsa()
