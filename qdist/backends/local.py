"""The ``jax`` and ``pennylane:<device>`` backends (issue 6): ``jax`` samples the exact states of
:mod:`shadows.layers`' batched executor (exact multinomial sampling of the Born probabilities);
``pennylane:<device>`` runs each PUB row as a QNode built with :func:`qdist.to_pennylane`.
Estimator values on both come from the sampler on the qubit-wise-commuting groups (the Estimator's
own method).
"""

from __future__ import annotations

import numpy as np

from qdist.backends.backend import simulator_seed
from qdist.backends.compile import measured_circuit
from qdist.backends.jobs import EstimatorRun, JobOutcome, SamplerRun, _digest, _LocalJob, _meta, run_job
from qdist.backends.registry import job_key
from qdist.sim.circuit import Circuit


def _exact_probabilities(circuit: Circuit, rows: np.ndarray, state, data, measure) -> np.ndarray:
    """``(B, 2^k)`` Born probabilities of the outcomes on ``measure`` (first = most significant)."""
    import jax.numpy as jnp

    from qdist.sim.execute import check_data
    from qdist.sim.states import as_state, zero_state
    from shadows.layers import executor, slot_values

    n = circuit.num_qubits
    ex = executor(circuit)
    psi0 = zero_state(n) if state is None else as_state(state, n)
    d = check_data(circuit, data)
    out = []
    step = max(1, 2**22 // 2**n)
    for lo in range(0, rows.shape[0], step):
        hi = min(rows.shape[0], lo + step)
        phi = slot_values(ex.slots, rows[lo:hi])
        psi = ex.run(jnp.broadcast_to(psi0, (hi - lo, 2**n)), phi, d)
        p = np.abs(np.asarray(psi)) ** 2
        p = p.reshape((hi - lo,) + (2,) * n)
        other = tuple(w + 1 for w in range(n) if w not in measure)
        if other:
            p = p.sum(axis=other)
        kept = sorted(measure)
        p = np.moveaxis(p, [1 + kept.index(w) for w in measure], list(range(1, len(measure) + 1)))
        out.append(p.reshape(hi - lo, -1))
    probs = np.concatenate(out)
    return probs / probs.sum(axis=1, keepdims=True)


def _index_bits(index: np.ndarray, k: int) -> np.ndarray:
    return ((index[..., None] >> np.arange(k - 1, -1, -1)) & 1).astype(np.uint8)


def _jax_bits(circuit, rows, shots, state, data, measure, rng) -> np.ndarray:
    """Exact multinomial sampling of ``shots`` outcomes per row, in random shot order."""
    probs = _exact_probabilities(circuit, rows, state, data, measure)
    counts = rng.multinomial(shots, probs)
    idx = np.repeat(np.tile(np.arange(probs.shape[1]), (len(rows), 1)).ravel(), counts.ravel())
    idx = rng.permuted(idx.reshape(len(rows), shots), axis=1)
    return _index_bits(idx, len(measure))


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


def _estimate_from_bits(bits_groups, groups, terms_of, num_obs, shots):
    """Means and standard errors of the observables from the sampled QWC groups (estimator
    semantics: each group measured ``shots`` times, groups independent)."""
    from shadows.gradients import outcome_signs

    B = bits_groups[0].shape[0] if bits_groups else 1
    values = np.zeros((B, num_obs))
    var = np.zeros((B, num_obs))
    for g, bits in zip(groups, bits_groups, strict=True):
        k = len(g.wires)
        idx = (bits.astype(np.int64) << np.arange(k - 1, -1, -1)).sum(axis=-1)  # (B, shots)
        per_obs = np.zeros((2**k, num_obs))
        for t in g.terms:
            m, c, word = terms_of[t]
            per_obs[:, m] += c * outcome_signs(word, g.wires)
        v = per_obs[idx]  # (B, shots, M)
        values += v.mean(axis=1)
        if shots > 1:
            var += v.var(axis=1, ddof=1) / shots
    return values, np.sqrt(var)


def _sim_estimator(backend, circuits, observables, binds, shots, states, data, seed, task) -> EstimatorRun:
    from shadows.gradients import measurement_groups

    plans = []
    sub_c, sub_b, sub_s, sub_st, sub_d, sub_m = [], [], [], [], [], []
    for c, olist, b, s, st, d in zip(circuits, observables, binds, shots, states, data, strict=True):
        terms_of = [
            (m, float(coef), word)
            for m, o in enumerate(olist)
            for coef, word in zip(o.coeffs, o.words, strict=True)
            if word and coef != 0
        ]
        const = np.array(
            [sum(float(cf) for cf, w in zip(o.coeffs, o.words, strict=True) if not w) for o in olist]
        )
        groups = measurement_groups([w for _, _, w in terms_of], "qwc")
        plans.append((terms_of, const, groups, len(sub_c)))
        for g in groups:
            sub_c.append(measured_circuit(c, basis=g.basis))
            sub_b.append(b)
            sub_s.append(s)
            sub_st.append(st)
            sub_d.append(d)
            sub_m.append(g.wires)
    run = _sim_sampler(backend, sub_c, sub_b, sub_s, sub_st, sub_d, sub_m, seed, task) if sub_c else None
    values, stds = [], []
    for (terms_of, const, groups, first), b, s, olist in zip(plans, binds, shots, observables, strict=True):
        if groups:
            v, e = _estimate_from_bits(run.bits[first : first + len(groups)], groups, terms_of, len(olist), s)
        else:
            v, e = np.zeros((b.shape[0], len(olist))), np.zeros((b.shape[0], len(olist)))
        values.append(v + const)
        stds.append(e)
    job = run.job if run is not None else JobOutcome(None, None, {})
    return EstimatorRun(values, stds, job)
