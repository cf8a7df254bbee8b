"""The ``jax`` and ``pennylane:<device>`` backends (issue 6): ``jax`` samples the exact states of
the exact device (`qdist.devices.exact`) (exact multinomial sampling of the Born probabilities);
``pennylane:<device>`` runs each PUB row as a QNode built with [`qdist.to_pennylane`][qdist.to_pennylane].
Estimator values on both come from the sampler on the qubit-wise-commuting groups (the Estimator's
own method).
"""

from __future__ import annotations

import numpy as np

from qdist.backends.backend import simulator_seed
from qdist.backends.jobs import EstimatorRun, JobOutcome, SamplerRun, _digest, _LocalJob, _meta, run_job
from qdist.backends.registry import job_key
from qdist.devices.exact import ExactDevice
from qdist.devices.protocol import Run
from qdist.measure.observation import basis_circuit, observe_stats, plan_observation
from qdist.measure.sampling import bits_from_counts, counts_from_bits, sample_counts


def _jax_bits(circuit, rows, shots, state, data, measure, rng) -> np.ndarray:
    """Exact multinomial sampling of ``shots`` outcomes per row (the exact device), in random shot order."""
    (probs,) = ExactDevice().run([Run(circuit, rows, tuple(measure), None, state, data)], 0)
    return bits_from_counts(sample_counts(probs, shots, rng), len(measure), rng)


def _pennylane_bits(name, circuit, rows, shots, state, data, measure, seed) -> np.ndarray:
    """Sample every row of ``rows`` on the PennyLane device ``name`` (one QNode, ``shots`` shots)."""
    import pennylane as qml

    from qdist.interop.pennylane import to_pennylane

    n = circuit.num_qubits
    try:
        dev = qml.device(name, wires=n, seed=seed)
    except TypeError:
        dev = qml.device(name, wires=n)
    qfunc = to_pennylane(circuit)
    wires = list(measure)

    @qml.set_shots(shots=shots)
    @qml.qnode(dev)
    def node(params):
        if state is not None:
            qml.StatePrep(np.asarray(state, dtype=np.complex128), wires=range(n))
        qfunc(params, data)
        return qml.sample(wires=wires)

    out = np.empty((rows.shape[0], shots, len(wires)), dtype=np.uint8)
    for b, row in enumerate(rows):
        out[b] = np.asarray(node(row)).reshape(shots, len(wires))
    return out


def _sim_sampler(backend, circuits, binds, shots, states, data, measure, seed, task) -> SamplerRun:
    seeds = [simulator_seed(seed, i) for i in range(len(circuits))]

    def compute() -> dict:
        out = {}
        for i, (c, b, s, st, d, m) in enumerate(
            zip(circuits, binds, shots, states, data, measure, strict=True)
        ):
            if backend.spec.kind == "jax":
                out[f"bits_{i}"] = _jax_bits(c, b, s, st, d, m, np.random.default_rng(seeds[i]))
            else:
                out[f"bits_{i}"] = _pennylane_bits(backend.spec.name, c, b, s, st, d, m, seeds[i])
        return out

    if backend.spec.kind == "jax":
        arrays = compute()
        job = JobOutcome(None, None, arrays)
    else:
        from qdist.backends.cache import sha256

        hashes = [
            sha256(
                c.fingerprint,
                None if st is None else np.asarray(st, dtype=np.complex128),
                None if d is None else np.asarray(d, dtype=np.float64),
                list(m),
            )
            for c, st, d, m in zip(circuits, states, data, measure, strict=True)
        ]
        key = job_key(
            backend=str(backend.spec),
            primitive="sampler",
            circuits=hashes,
            bindings=[_digest(b) for b in binds],
            shots=shots,
            seed=int(seed),
        )
        meta = _meta(backend, "sampler", task, hashes, binds, shots, seed)
        job = run_job(backend, "sampler", key, meta, binds, lambda: _LocalJob(compute), lambda r: r)
    return SamplerRun([job.arrays[f"bits_{i}"] for i in range(len(circuits))], job)


def _sim_estimator(backend, circuits, observables, binds, shots, states, data, seed, task) -> EstimatorRun:
    """Estimator semantics from the sampler: every qubit-wise-commuting group of each circuit's
    observables measured ``shots`` times (`qdist.measure.observation`), all groups in one job."""
    plans, runs = [], []
    for c, olist, b, s, st, d in zip(circuits, observables, binds, shots, states, data, strict=True):
        obs = plan_observation(olist)
        plans.append((obs, len(runs)))
        runs.extend(Run(basis_circuit(c, g.basis), b, g.wires, s, st, d) for g in obs.groups)
    run = (
        _sim_sampler(
            backend,
            [r.circuit for r in runs],
            [r.bindings for r in runs],
            [r.shots for r in runs],
            [r.states for r in runs],
            [r.data for r in runs],
            [r.wires for r in runs],
            seed,
            task,
        )
        if runs
        else None
    )
    values, stds = [], []
    for (obs, first), b, s in zip(plans, binds, shots, strict=True):
        counts = (
            [counts_from_bits(x) for x in run.bits[first : first + len(obs.groups)]] if obs.groups else []
        )
        mean, var, _ = observe_stats(obs, counts, s, b.shape[0])
        values.append(mean)
        stds.append(np.sqrt(var))
    job = run.job if run is not None else JobOutcome(None, None, {})
    return EstimatorRun(values, stds, job)
