"""``method="param-shift"``: shifted circuits measured with shots, chain rule back to θ.

Each trainable angle ``φ_j`` gets its shift rule (`qdist.estimators.shift_rules.shift_rule`): 2
shifted rows for Pauli-generator gates and PHASE/CPHASE/U angles, 4 for controlled rotations. All
rows are bindings of ONE slot circuit (`qdist.sim.slots.slot_circuit`), measured in every
qubit-wise-commuting group of ``O`` with ``shots`` shots; sized for ±ε on every component it takes
``⌈ln(2P/δ)/ε²⌉`` shots per circuit (Hoeffding for the difference of the two shifted means). Variance of component ``i``:
``Σ_{j→i} coeff_j² Σ_μ c_μ² Σ_g Var_g(φ + s_μ e_j)/shots``. Resources: ``circuits = Σ_j (#terms
of rule j)``, ``copies = shots·circuits·#groups`` (0 when exact). Derivation:
[parameter shift][exact-and-parameter-shift].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from qdist.estimators.inputs import prepare_batch, slot_expectation_run
from qdist.estimators.protocol import CopyShape, Plan, shot_options
from qdist.estimators.result import GradientResult
from qdist.estimators.shift_rules import shift_rule
from qdist.estimators.sizing import difference_shots_for
from qdist.measure.groups import GROUPINGS
from qdist.measure.seeds import require_seed
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable
from qdist.sim.slots import angle_slots, chain_matrix, slot_values
from qdist.validate import check_choice, check_options, check_shots

__all__ = ["PARAM_SHIFT", "ParamShift"]


@dataclass(frozen=True)
class ParamShift:
    """The parameter-shift estimator (module docstring)."""

    name: str = "param-shift"
    defaults: Mapping = field(default_factory=lambda: shot_options(grouping="qwc"))
    ancilla: int = 0
    simulation_only: bool = False
    batched: bool = True
    note: str = "2 shifted circuits per parameter, S(ε, δ/P) shots each; n-qubit forward passes"

    def plan(self, circuit: Circuit, observable: Observable, params, options: Mapping) -> Plan:
        o = check_options(self.name, options, self.defaults)
        shots = check_shots(o["shots"])
        grouping = check_choice("grouping", o["grouping"], GROUPINGS)
        p, psi, d, nb, batched = prepare_batch(circuit, params, o["state"], o["data"])
        if shots is not None:
            require_seed(o["seed"], self.name)
        slots = angle_slots(circuit)
        rules = [shift_rule(circuit.ops[s.op], s.pos) for s in slots]
        phi0 = slot_values(slots, p)
        rows, coef = [], []
        for j, (shifts, coeffs) in enumerate(rules):
            for s, c in zip(shifts, coeffs, strict=True):
                row = phi0.copy()
                row[j] += s
                rows.append(row)
                coef.append((j, c))
        B, J = len(rows), len(slots)
        R = np.zeros((J, B))
        for b, (j, c) in enumerate(coef):
            R[j, b] = c
        phi = np.tile(np.array(rows).reshape(B, J), (nb, 1))  # sample-major: nb samples × B shifts
        run, groups = slot_expectation_run(circuit, observable, phi, shots, grouping, psi, d, B)
        M = (C := chain_matrix(slots, circuit.num_params)) @ R  # (P, B): ∂f/∂θ = M @ f(shifted rows)

        def finish(outcomes, probabilities=None) -> GradientResult:
            if B:
                e = outcomes[0]
                mean, var, exact_var = (
                    x[:, 0].reshape(nb, B) for x in (e.values, e.variances, e.exact_variances)
                )
            else:
                mean = var = exact_var = np.zeros((nb, 0))
            M2 = (C**2) @ (R**2)
            value, std, exact_std = mean @ M.T, np.sqrt(var @ M2.T), np.sqrt(exact_var @ M2.T)
            if not batched:
                value, std, exact_std = value[0], std[0], exact_std[0]
            copies = 0 if shots is None else shots * B * groups * nb
            return GradientResult(
                value=value,
                std_error=std,
                copies=copies,
                circuits=B,
                shots=copies,
                method=self.name,
                extra={
                    "angles": J,
                    "groups": groups,
                    "grouping": grouping,
                    "shots_per_circuit": shots,
                    "rule_terms": [len(r[0]) for r in rules],
                    "exact_std_error": exact_std.tolist(),
                },
            )

        return Plan((run,) if B else (), finish)

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        """Hoeffding for the difference (`qdist.estimators.sizing.difference_shots_for`) with the
        union bound over the P components (two-term rules: every Pauli rotation)."""
        return {"shots": difference_shots_for(epsilon, delta / shape.total_params)}

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options: Mapping) -> int:
        shots = options.get("shots") or self.sized_options(shape, epsilon, delta)["shots"]
        return 2 * shape.num_params * int(shots) * shape.groups


PARAM_SHIFT = ParamShift()
