"""Run sampler and estimator PUBs on any backend: one call = ONE primitive job (issue 6, [shadows on hardware][shadows-on-hardware], [one job per task][one-job-per-task]).

* [`get_backend`][qdist.backends.get_backend] resolves a backend string (`qdist.backends.spec`) and its options into a
  `Backend`.
* `run_sampler` — ``circuits[i]`` measured on ``measure[i]`` for every row of
  ``bindings[i]`` with ``shots[i]`` shots → bits ``(B_i, shots_i, k_i)`` (column j = wire
  ``measure[i][j]``; bit b ↔ eigenvalue ``(−1)^b``).
* `run_estimator` — ``⟨O_m⟩`` for every row of ``bindings[i]`` and observable
  ``observables[i][m]`` → ``values (B_i, M_i)`` and ``stds`` with ``shots`` shots per measured
  qubit-wise-commuting group.

All PUBs of one call form one job. Qiskit kinds (``aer``, ``fake``, ``ibm``) go through
``qiskit_ibm_runtime``'s ``SamplerV2``/``EstimatorV2`` in every case — the ``mode`` is the IBM device
on hardware and an ``AerSimulator`` locally (Runtime's local testing mode) — so the local path *is*
the hardware path up to the mode. For ``fake:<name>`` that simulator carries the device's noise model
restricted to the qubits the job's ISA circuits use ([`restricted_noise_model`][qdist.backends.restricted_noise_model]); OpenMP threads
are off by default (``threads=1``: for ≤ 20-qubit density matrices they cost more than they give —
measured 2× slower on 2 shared cores). ``pennylane:<device>`` runs each PUB row as a QNode built with
[`qdist.to_pennylane`][qdist.to_pennylane]; ``jax`` samples the exact states of `shadows.layers`' batched
executor. Estimator values on ``pennylane``/``jax`` come from the sampler on the QWC groups (the
Estimator's own method).

**Jobs.** Every job of a non-``jax`` backend goes through the [`JobRegistry`][qdist.backends.JobRegistry] (record before
awaiting; a finished job with the same key is loaded, not resubmitted). **Retries:** a failed job
is submitted again after ``backoff·2^a`` seconds (a = 0, 1, …) up to ``retries`` times (default
2 retries, backoff 2 s); after the last one [`JobFailedError`][qdist.backends.JobFailedError] names the job and the reason.
**Seeds:** local simulators get ``seed_simulator`` derived from ``seed`` (never 0: Runtime's local
mode drops a 0 seed); real devices ignore it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Re-exported: every name of this module before its split stays importable from here.
from qdist.backends.backend import (  # noqa: F401
    DD_SEQUENCES,
    MITIGATION,
    Backend,
    _check_mitigation,
    _check_pennylane_device,
    check_shots,
    check_width,
    get_backend,
    simulator_seed,
)
from qdist.backends.compile import circuit_hash, isa_circuit, isa_observable
from qdist.backends.jobs import (  # noqa: F401
    EstimatorRun,
    JobOutcome,
    SamplerRun,
    _digest,
    _LocalJob,
    _meta,
    _one_line,
    convert_result,
    fetch_job,
    obs_label,
    run_job,
)
from qdist.backends.local import _sim_estimator, _sim_sampler
from qdist.backends.qiskit_primitives import (  # noqa: F401
    _SIMULATORS,
    _bindings_array,
    _configure,
    _local_mode,
    _mode,
    run_options,
)
from qdist.backends.registry import job_key
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable


# ---------------------------------------------------------------------------------------------
# argument normalisation
# ---------------------------------------------------------------------------------------------
def _per_circuit(value, count: int, name: str) -> list:
    if isinstance(value, (list, tuple)) and len(value) == count and count > 0:
        return list(value)
    return [value] * count


def _bindings(circuit: Circuit, b) -> np.ndarray:
    arr = np.zeros((1, circuit.num_params)) if b is None else np.asarray(b, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != circuit.num_params or arr.shape[0] < 1:
        raise ValueError(
            f"bindings: expected shape (B, {circuit.num_params}) for a circuit with "
            f"{circuit.num_params} parameters, got {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("bindings: expected finite values, got NaN or inf")
    return arr


def _normalise(circuits, bindings, shots, states, data, measure=None):
    if isinstance(circuits, Circuit):
        circuits = [circuits]
        bindings = [bindings]
    circuits = list(circuits)
    if not circuits or not all(isinstance(c, Circuit) for c in circuits):
        raise TypeError("circuits: expected a qdist Circuit or a non-empty list of them")
    count = len(circuits)
    if bindings is None:
        bindings = [None] * count
    if not isinstance(bindings, (list, tuple)) or len(bindings) != count:
        raise ValueError(f"bindings: expected one array per circuit ({count}), got {len(bindings)}")
    binds = [_bindings(c, b) for c, b in zip(circuits, bindings, strict=True)]
    shots = [check_shots(s) for s in _per_circuit(shots, count, "shots")]
    states = _per_circuit(states, count, "states") if not _is_array_list(states, count) else list(states)
    data = _per_circuit(data, count, "data") if not _is_array_list(data, count) else list(data)
    if measure is None:
        measure = [tuple(range(c.num_qubits)) for c in circuits]
    elif measure and isinstance(measure[0], (int, np.integer)):
        measure = [tuple(int(w) for w in measure)] * count
    else:
        measure = [tuple(int(w) for w in m) for m in measure]
    for c, m in zip(circuits, measure, strict=True):
        if not m or len(set(m)) != len(m) or min(m) < 0 or max(m) >= c.num_qubits:
            raise ValueError(f"measure: expected distinct wires of the {c.num_qubits}-qubit circuit, got {m}")
    return circuits, binds, shots, states, data, measure


def _is_array_list(x, count: int) -> bool:
    """``x`` is one value per circuit (``None`` or a vector each), not a single vector."""
    return isinstance(x, (list, tuple)) and len(x) == count and all(v is None or np.ndim(v) == 1 for v in x)


# ---------------------------------------------------------------------------------------------
# Qiskit kinds: the SamplerV2/EstimatorV2 jobs (the Runtime options are in qiskit_primitives)
# ---------------------------------------------------------------------------------------------
def _qiskit_sampler(backend, circuits, binds, shots, states, data, measure, seed, task) -> SamplerRun:
    from qiskit_ibm_runtime import SamplerV2

    isas = [
        isa_circuit(
            backend.device, c, state=s, data=d, measure=m, optimization_level=backend.optimization_level
        )
        for c, s, d, m in zip(circuits, states, data, measure, strict=True)
    ]
    hashes = [circuit_hash(isa) for isa in isas]
    key = job_key(
        backend=str(backend.spec),
        device=backend.device.name,
        primitive="sampler",
        circuits=hashes,
        bindings=[_digest(b) for b in binds],
        shots=shots,
        seed=int(seed),
        mitigation=backend.mitigation if backend.real_device else {},
    )
    meta = _meta(backend, "sampler", task, hashes, binds, shots, seed)

    def start():
        prim = SamplerV2(mode=_mode(backend, isas))
        _configure(prim, backend, "sampler", seed, None)
        pubs = [
            (isa, _bindings_array(isa, b, False), s) for isa, b, s in zip(isas, binds, shots, strict=True)
        ]
        return prim.run(pubs)

    job = run_job(backend, "sampler", key, meta, binds, start, lambda r: convert_result("sampler", r, meta))
    return SamplerRun([job.arrays[f"bits_{i}"] for i in range(len(circuits))], job)


def _qiskit_estimator(backend, circuits, observables, binds, shots, states, data, seed, task) -> EstimatorRun:
    from qiskit_ibm_runtime import EstimatorV2

    isas = [
        isa_circuit(backend.device, c, state=s, data=d, optimization_level=backend.optimization_level)
        for c, s, d in zip(circuits, states, data, strict=True)
    ]
    obs = [
        [isa_observable(o, isa, c.num_qubits) for o in olist]
        for olist, isa, c in zip(observables, isas, circuits, strict=True)
    ]
    hashes = [circuit_hash(isa) for isa in isas]
    key = job_key(
        backend=str(backend.spec),
        device=backend.device.name,
        primitive="estimator",
        circuits=hashes,
        bindings=[_digest(b) for b in binds],
        observables=[[o.to_list() for o in olist] for olist in obs],
        shots=shots,
        seed=int(seed),
        mitigation=backend.mitigation if backend.real_device else {},
    )
    meta = _meta(backend, "estimator", task, hashes, binds, shots, seed)
    meta["observables"] = [[obs_label(o) for o in olist] for olist in observables]
    meta["observable_counts"] = [len(olist) for olist in observables]

    def start():
        prim = EstimatorV2(mode=_mode(backend, isas))
        _configure(prim, backend, "estimator", seed, shots[0])
        pubs = []
        for isa, olist, b, s in zip(isas, obs, binds, shots, strict=True):
            precision = None if backend.real_device else (1.0 + 1e-12) / math.sqrt(s)
            pubs.append((isa, [list(olist)], _bindings_array(isa, b, True), precision))
        return prim.run(pubs)

    if len(set(shots)) > 1 and backend.real_device:
        raise ValueError("shots: an estimator job on a real device uses one shot count for all PUBs")
    job = run_job(
        backend, "estimator", key, meta, binds, start, lambda r: convert_result("estimator", r, meta)
    )
    n = len(circuits)
    return EstimatorRun(
        [job.arrays[f"evs_{i}"] for i in range(n)], [job.arrays[f"stds_{i}"] for i in range(n)], job
    )


# ---------------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------------
def run_sampler(
    backend,
    circuits,
    bindings=None,
    shots: int | Sequence[int] = 1000,
    seed: int = 0,
    *,
    measure=None,
    states=None,
    data=None,
    task: str | None = None,
) -> SamplerRun:
    """Sample ``circuits`` (qdist) for every row of their ``bindings`` in ONE job (module docstring).

    Args:
        backend: backend string or `Backend`.
        circuits: a circuit or a list; ``bindings``: one ``(B_i, P_i)`` array per circuit.
        shots: per circuit (int or list); ``seed``: int.
        measure: measured wires per circuit (default: all, in order).
        states, data: initial state vector / run-time data per circuit (or one for all).
        task: a label stored in the job record.
    """
    b = get_backend(backend)
    circuits, binds, shots_l, states_l, data_l, measure_l = _normalise(
        circuits, bindings, shots, states, data, measure
    )
    for c in circuits:
        check_width(b, c.num_qubits)
    if b.spec.is_qiskit:
        return _qiskit_sampler(b, circuits, binds, shots_l, states_l, data_l, measure_l, seed, task)
    return _sim_sampler(b, circuits, binds, shots_l, states_l, data_l, measure_l, seed, task)


def run_estimator(
    backend,
    circuits,
    observables,
    bindings=None,
    shots: int | Sequence[int] = 1000,
    seed: int = 0,
    *,
    states=None,
    data=None,
    task: str | None = None,
) -> EstimatorRun:
    """Expectation values for every row of ``bindings[i]`` in ONE job → ``values[i]``, ``stds[i]``
    of shape ``(B_i, M_i)``.

    ``observables``: one observable (for every circuit), a flat list (the same ``M`` observables
    for every circuit) or a list of lists (``observables[i]`` for circuit ``i``); qdist
    observables or anything [`qdist.as_observable`][qdist.as_observable] accepts. ``shots`` per measured
    qubit-wise-commuting group. ``stds`` are the Estimator's (Qiskit reports
    ``Σ_k |c_k| σ_k/√shots`` for a Pauli sum, an upper bound); on ``jax``/``pennylane`` the
    empirical standard error of the group means.
    """
    from qdist.interop.observables import as_observable

    b = get_backend(backend)
    circuits, binds, shots_l, states_l, data_l, _ = _normalise(circuits, bindings, shots, states, data)
    if isinstance(observables, Observable) or not isinstance(observables, (list, tuple)):
        observables = [[observables]] * len(circuits)
    elif observables and not isinstance(observables[0], (list, tuple)):
        observables = [list(observables)] * len(circuits) if len(circuits) > 1 else [list(observables)]
    if len(observables) != len(circuits):
        raise ValueError(
            f"observables: expected one list per circuit ({len(circuits)}), got {len(observables)}"
        )
    obs = [
        [as_observable(o, c.num_qubits) for o in olist]
        for olist, c in zip(observables, circuits, strict=True)
    ]
    for c in circuits:
        check_width(b, c.num_qubits)
    if b.spec.is_qiskit:
        return _qiskit_estimator(b, circuits, obs, binds, shots_l, states_l, data_l, seed, task)
    return _sim_estimator(b, circuits, obs, binds, shots_l, states_l, data_l, seed, task)


__all__ = [
    "Backend",
    "EstimatorRun",
    "JobOutcome",
    "SamplerRun",
    "check_shots",
    "convert_result",
    "fetch_job",
    "check_width",
    "get_backend",
    "run_estimator",
    "run_job",
    "run_sampler",
    "simulator_seed",
]
