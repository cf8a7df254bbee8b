"""``qdist.primitives.EstimatorV2``: Qiskit's Estimator V2 interface on qdist's exact simulator.

A PUB ``(circuit, observables, parameter_values, precision)`` is coerced by Qiskit
(``EstimatorPub.coerce``: ``ObservablesArray`` of shape ``O``, ``BindingsArray`` of shape ``B``) and
gives ``evs`` and ``stds`` of the broadcast shape ``np.broadcast_shapes(O, B)``, as
``StatevectorEstimator`` does:

* ``precision = 0`` (the default): exact values ``⟨ψ(θ)|O|ψ(θ)⟩``, ``stds = 0``;
* ``precision = ε > 0``: ``shots = ⌈1/ε²⌉`` per qubit-wise-commuting group of each observable's
  Pauli terms, sampled exactly from the Born distribution (`qdist.devices.exact.ExactDevice`),
  so ``stds`` — the standard error ``sqrt(Σ_g Var_g/shots)`` of each estimate — is about ``ε``
  times the observable's spread; seeded by ``seed``.

Every parameter row is simulated once for all the PUB's distinct observables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from qiskit.primitives import BaseEstimatorV2, PrimitiveJob, PrimitiveResult
from qiskit.primitives.containers import DataBin, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub

from qdist.devices.exact import ExactDevice
from qdist.devices.protocol import expectation_run
from qdist.precision import x64
from qdist.primitives.pubs import check_seed, parameter_rows, pub_seeds, to_circuit
from qdist.sim.observables import Observable, pauli_sum

__all__ = ["EstimatorV2", "shots_for"]


def shots_for(precision: float) -> int | None:
    """``⌈1/ε²⌉`` shots for a target precision ``ε`` (``None``: exact, for ``ε = 0``)."""
    if not (isinstance(precision, (int, float, np.floating)) and np.isfinite(precision)) or precision < 0:
        raise ValueError(f"precision: expected a finite number ≥ 0, got {precision!r}")
    return None if precision == 0 else int(math.ceil(1.0 / float(precision) ** 2))


def _observable(terms: dict, num_qubits: int) -> Observable:
    """Qiskit labels (rightmost character = qubit 0) → a qdist Pauli sum (wire q = qubit q)."""
    out = []
    for label, c in terms.items():
        z = complex(c)
        if abs(z.imag) > 1e-12:
            raise ValueError(f"observables: expected real coefficients (Hermitian), got {c} for {label}")
        if len(label) != num_qubits:
            raise ValueError(f"observables: expected {num_qubits}-qubit labels, got {label!r}")
        out.append((z.real, {q: p for q, p in enumerate(reversed(label)) if p != "I"}))
    return pauli_sum(out)


class EstimatorV2(BaseEstimatorV2):
    """Estimator V2 on qdist (module docstring).

    Args:
        default_precision: the precision of PUBs that give none (0: exact).
        seed: seed of the shot sampling (int, numpy ``Generator`` or ``None``).
    """

    def __init__(self, *, default_precision: float = 0.0, seed=None):
        shots_for(default_precision)
        self._default_precision = float(default_precision)
        self._seed = check_seed(seed)

    @property
    def default_precision(self) -> float:
        return self._default_precision

    @property
    def seed(self):
        return self._seed

    def run(self, pubs: Iterable, *, precision: float | None = None) -> PrimitiveJob:
        if precision is None:
            precision = self._default_precision
        shots_for(precision)
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        for i, pub in enumerate(coerced):
            shots_for(pub.precision)
            if pub.observables.num_qubits != pub.circuit.num_qubits:
                raise ValueError(
                    f"pubs[{i}]: observables act on {pub.observables.num_qubits} qubits, "
                    f"the circuit has {pub.circuit.num_qubits}"
                )
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[EstimatorPub]) -> PrimitiveResult:
        seeds = pub_seeds(self._seed, len(pubs))
        return PrimitiveResult(
            [self._run_pub(p, s) for p, s in zip(pubs, seeds, strict=True)], metadata={"version": 2}
        )

    @x64
    def _run_pub(self, pub: EstimatorPub, seed: int) -> PubResult:
        circuit = to_circuit(pub.circuit)
        rows = parameter_rows(pub)  # (R, P), R = prod(B)
        b_shape, o_shape = pub.parameter_values.shape, pub.observables.shape
        shape = np.broadcast_shapes(b_shape, o_shape)
        obs_flat = pub.observables.ravel()
        observables = [_observable(obs_flat[j], circuit.num_qubits) for j in range(obs_flat.size)]
        shots = shots_for(pub.precision)
        run = expectation_run(circuit, rows, observables, shots)
        (res,) = ExactDevice().run([run], seed)
        # element (…) of the broadcast shape: parameter row b, observable o
        b = np.broadcast_to(np.arange(rows.shape[0]).reshape(b_shape), shape)
        o = np.broadcast_to(np.arange(len(observables)).reshape(o_shape), shape)
        evs = np.asarray(res.values)[b, o]
        stds = np.sqrt(np.asarray(res.variances)[b, o]) if shots else np.zeros(shape)
        data = DataBin(evs=evs, stds=stds, shape=shape)
        meta = {"target_precision": pub.precision, "shots": shots, "circuit_metadata": pub.circuit.metadata}
        return PubResult(data, metadata=meta)
