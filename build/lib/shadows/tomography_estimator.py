"""``method="tomography"``: the gradient by shadow tomography (threshold search + online learning).

The learner is `shadows.tomography.shadow_tomography`; this module builds the observable family of
the whole-circuit (or per-layer) construction, runs the learner on the emulated statistics and
reads the derivatives off its hypothesis. The gentle measurement's disturbance is bounded by theory
and not simulated, so the method is simulation-only (``Tomography.simulation_only``). Copies are
random; `Tomography.copies` returns the worst-case bound of one run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from qdist.estimators.inputs import prepare_inputs
from qdist.estimators.protocol import CopyShape, Plan
from qdist.estimators.result import GradientResult
from qdist.measure.groups import observable_terms
from qdist.measure.seeds import require_seed
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable
from qdist.sim.slots import angle_slots, chain_matrix
from qdist.validate import check_choice, check_int, check_options
from shadows.layers import ancilla_states, check_pauli_generators, find_layers, layer_states
from shadows.tomography import (
    PauliFamily,
    TomographyRun,
    circuit_family,
    shadow_tomography,
    tomography_constants,
)

__all__ = ["TOMOGRAPHY", "Tomography", "run_bound", "tomography_gradient"]

DEFAULTS = {
    "shots": None,
    "seed": None,
    "state": None,
    "data": None,
    "epsilon": 0.1,
    "delta": 0.05,
    "construction": "circuit",
    "max_updates": None,
}


def run_bound(epsilon: float, delta: float, num_observables: int, dim: int) -> int:
    """Worst-case copies of one threshold-search run: at most ``T_max`` updates, so
    ``(T_max + 1)`` search batches of ``k`` copies and ``T_max`` estimates of ``k_est`` copies."""
    c = tomography_constants(epsilon, delta, num_observables, dim)
    t = c["max_updates"]
    return (t + 1) * c["batch_size"] + t * c["estimate_size"]


# ---------------------------------------------------------------------------------------------
def tomography_gradient(circuit: Circuit, params, observable: Observable, **options) -> GradientResult:
    """Gradient by shadow tomography (threshold search + online learning), see [shadow tomography][threshold-search].

    Options: ``epsilon`` (target max-norm accuracy of every ``−⟨B⟩``, i.e. of every slot derivative of
    a unit-coefficient Pauli observable; default 0.1), ``delta`` (failure probability, default 0.05),
    ``seed`` (required), ``construction`` (``"circuit"`` default | ``"layer"``), ``max_updates``
    (cap on MMW updates, default the theoretical ``T_max``), ``state``, ``data``. ``shots`` is not
    used: the algorithm sets its own copies from ``epsilon``/``delta``.

    The measurement's disturbance of the batch of copies is bounded by theory and **not
    simulated**: only the statistics of the gentle threshold tests are emulated (module docstring).

    Returns the derivatives read from the final hypothesis ``σ``; ``std_error`` is the guaranteed
    bound ``ε·Σ_k|c_k|·Σ_{j→i}|coeff_j|`` (holds for all components simultaneously with probability
    ``≥ 1 − δ``), ``copies`` exactly as consumed, ``circuits`` = distinct state preparations (1 for
    ``"circuit"``: the input state with the ancilla in ``|+⟩``; ``#layers·#terms`` for ``"layer"``).
    """
    o = check_options("tomography", options, DEFAULTS)
    if o["shots"] is not None:
        raise ValueError(
            "shots: method 'tomography' sets its copies from epsilon and delta; do not pass shots"
        )
    eps = o["epsilon"]
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < float(eps) <= 1:
        raise ValueError(f"epsilon: expected an accuracy in (0, 1], got {eps!r}")
    dl = o["delta"]
    if isinstance(dl, bool) or not isinstance(dl, (int, float)) or not 0 < float(dl) < 1:
        raise ValueError(f"delta: expected a failure probability in (0, 1), got {dl!r}")
    eps, dl = float(eps), float(dl)
    construction = check_choice("construction", o["construction"], ("circuit", "layer"))
    max_updates = None if o["max_updates"] is None else check_int("max_updates", o["max_updates"], 0)
    obs = observable
    check_pauli_generators(circuit, "tomography")
    rng = require_seed(o["seed"], "tomography")
    t0 = time.perf_counter()
    terms = observable_terms(obs)
    slots = angle_slots(circuit)
    J, K = len(slots), len(terms)
    dphi = np.zeros(J)
    runs: list[TomographyRun] = []
    if construction == "circuit":
        family, truth, _, _ = circuit_family(circuit, params, obs, state=o["state"], data=o["data"])
        t_sim = time.perf_counter() - t0
        run = shadow_tomography(family, truth, eps, dl, rng, max_updates)
        runs.append(run)
        if J and K:
            dphi = -(run.estimates.reshape(J, K) * np.array([c for c, _ in terms])[None, :]).sum(axis=1)
        circuits = 1 if J and K else 0
        dim = family.d
    else:
        layers = find_layers(circuit, "tomography")
        p, _, _ = prepare_inputs(circuit, params, o["state"], o["data"])  # validates
        a, b = layer_states(circuit, p, obs, layers, state=o["state"], data=o["data"])
        phis = ancilla_states(a, b)
        n1 = circuit.num_qubits + 1
        t_sim = time.perf_counter() - t0
        runs_total = max(len(layers) * K, 1)
        for ell, layer in enumerate(layers):
            words = [tuple(w) + ((n1 - 1, "Y"),) for w in layer.words]
            fam = PauliFamily(words, n1)
            for k, (ck, _) in enumerate(terms):
                phi = phis[ell, k]
                rho_traces = fam.traces(np.outer(phi, phi.conj()))
                run = shadow_tomography(fam, rho_traces, eps, dl / runs_total, rng, max_updates)
                runs.append(run)
                for est, j in zip(run.estimates, layer.slots, strict=True):
                    dphi[j] -= ck * est
        circuits = len(layers) * K
        dim = 2**n1
    C = chain_matrix(slots, circuit.num_params)
    value = C @ dphi
    bound = np.abs(C) @ np.full(J, eps * sum(abs(c) for c, _ in terms))
    copies = sum(r.copies for r in runs)
    t1 = time.perf_counter()
    return GradientResult(
        value=value,
        std_error=bound,
        copies=copies,
        circuits=circuits,
        shots=copies,
        method="tomography",
        classical_seconds=sum(r.learner_seconds for r in runs),
        expval=None,
        extra={
            "construction": construction,
            "epsilon": eps,
            "delta": dl,
            "runs": len(runs),
            "observables": sum(2 * (len(r.estimates)) for r in runs),
            "rounds": sum(r.rounds for r in runs),
            "updates": sum(r.updates for r in runs),
            "converged": all(r.converged for r in runs),
            "batch_size": [r.batch_size for r in runs],
            "estimate_size": [r.estimate_size for r in runs],
            "max_updates": [r.max_updates for r in runs],
            "hypothesis_dim": dim,
            "simulation_seconds": t_sim,
            "total_seconds": t1 - t0,
            "disturbance_simulated": False,
        },
    )


@dataclass(frozen=True)
class Tomography:
    """Shadow tomography as an estimator (module docstring)."""

    name: str = "tomography"
    defaults: Mapping = field(default_factory=lambda: dict(DEFAULTS))
    ancilla: int = 1
    simulation_only: bool = True
    batched: bool = False
    note: str = (
        "shadow tomography by threshold search, one run per segment on the ancilla state its owner "
        "receives; (n+1)-qubit register, forward + uncompute; the gentle measurement's disturbance "
        "is bounded by theory, not simulated"
    )

    def plan(self, circuit: Circuit, observable: Observable, params, options: Mapping) -> Plan:
        check_options(self.name, options, self.defaults)

        def finish(outcomes, probabilities=None) -> GradientResult:
            return tomography_gradient(circuit, params, observable, **options)

        return Plan((), finish)

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        return {
            "epsilon": epsilon,
            "delta": delta * shape.num_params / shape.total_params,
            "construction": "circuit",
        }

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options: Mapping) -> int:
        o = {**self.sized_options(shape, epsilon, delta), **options}
        return run_bound(
            o["epsilon"], o["delta"], 2 * shape.num_params * shape.terms, 2 ** (shape.num_qubits + 1)
        )


TOMOGRAPHY = Tomography()
