"""What measures, on every backend: expectations, classical shadows, gradients, distributed protocols.

Each task is ONE primitive job (issue 6, item 2), whatever the backend:

* :func:`expval` — ⟨O⟩ (or a list of observables) — one estimator PUB.
* :func:`shadow` — a random-Pauli classical shadow (DESIGN §5): the circuit plus a parameterised
  basis layer (:func:`qdist.backends.compile.measured_circuit`); the T random recipes are parameter
  bindings. With ``shots_per_basis=1`` the recipes are drawn i.i.d. per snapshot and identical
  recipes are merged: a recipe drawn m times is one binding with m shots, bindings with equal m
  share a PUB (≤ 3^k bindings in total instead of T; exactly the i.i.d. distribution). With
  ``shots_per_basis=s`` ⌈T/s⌉ random bases get s shots each (DESIGN §5's grouped variant).
* :func:`gradient` — ``method="param-shift"``: every shifted slot vector is a row of ONE estimator
  PUB over the slot-expanded circuit (:func:`qdist.backends.compile.slot_circuit`), shift rules
  of :func:`shadows.gradients.shift_rule`, chain rule to θ. ``method="shadow"``: the layer-ancilla
  construction of DESIGN §4.2 (:func:`shadows.layers.layer_circuit`, one ``n+1``-qubit circuit per
  layer and observable term); ``basis="derandomized"`` measures each layer's ``P_j ⊗ Y_anc`` as
  estimator observables (one PUB per layer-term circuit, all in one job); ``basis="random"``
  collects a classical shadow of each (ancilla fixed to Y, one sampler job) and estimates with
  :func:`shadows.estimate` as :func:`shadows.gradients.shadow_gradient` does.
* :func:`inference`, :func:`distributed_gradient` — the protocols of :mod:`qdist.network.protocols`
  in their flattened single-device form: :meth:`DistributedModel.flat_circuit` with the initial
  state |x⟩ (``StatePreparation`` on Qiskit devices) and Alice's data bound in.

On ``jax`` the gradients and expectations are the existing shot estimators
(:func:`qdist.grad` with ``shots``/``seed``, :func:`shadows.gradients.expval_estimate`): same
semantics, exact Born sampling, no jobs. Shadows use the generic path on every backend, so one seed
gives the same recipes everywhere.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from qdist.backends.compile import (
    basis_bindings,
    isa_circuit,
    measured_circuit,
    measured_physical,
    slot_circuit,
)
from qdist.backends.devices import noise_bound, restricted_noise_model
from qdist.backends.execute import (
    Backend,
    check_shots,
    check_width,
    get_backend,
    run_estimator,
    run_sampler,
)
from qdist.estimators.result import GradientResult
from qdist.interop.observables import as_observable
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable

GRADIENT_METHODS = ("param-shift", "shadow")


@dataclass(frozen=True)
class BackendResult:
    """A measured quantity with its provenance.

    Attributes:
        value: the estimate (float, or array for several observables / readouts).
        std_error: its standard error (same shape).
        backend: the backend string.
        jobs: ids of the primitive jobs (empty on ``jax``).
        shots: measurement shots in total (= copies of the state).
        circuits: circuit executions (parameter bindings × measured groups).
        seconds: wall time of the task.
        resumed: the job was loaded from the registry instead of being run.
        extra: task-specific details (exact values, noise bound, …).
    """

    value: object
    std_error: object
    backend: str
    jobs: tuple
    shots: int
    circuits: int
    seconds: float
    resumed: bool = False
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("value", "std_error"):
            d[k] = np.asarray(d[k]).tolist()
        d["jobs"] = list(self.jobs)
        d["extra"] = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.extra.items()}
        return d


@dataclass(frozen=True)
class ShadowResult:
    """A classical shadow measured on a backend: ``shadow`` plus its provenance (as
    :class:`BackendResult`); ``bases`` distinct measurement bases were bound."""

    shadow: object
    backend: str
    jobs: tuple
    shots: int
    bases: int
    seconds: float
    resumed: bool = False
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _params(circuit: Circuit, params) -> np.ndarray:
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    p = np.zeros(circuit.num_params) if params is None else np.asarray(params, dtype=np.float64)
    if p.shape != (circuit.num_params,):
        raise ValueError(f"params: expected shape ({circuit.num_params},), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("params: expected finite values, got NaN or inf")
    return p


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) < 0:
        raise ValueError(f"seed: expected an integer ≥ 0, got {seed!r}")
    return int(seed)


def _job_ids(*jobs) -> tuple:
    return tuple(j.job_id for j in jobs if j is not None and j.job_id is not None)


def _with_ancilla(state, n: int):
    """``|ψ⟩ ⊗ |0⟩_anc`` with the ancilla as the last wire (:mod:`shadows.layers` convention)."""
    if state is None:
        return None
    return np.kron(np.asarray(state, dtype=np.complex128), np.array([1.0, 0.0]))


# ---------------------------------------------------------------------------------------------
# expectation values
# ---------------------------------------------------------------------------------------------
def expval(
    backend, circuit: Circuit, params, observable, *, shots: int, seed: int, state=None, data=None
) -> BackendResult:
    """⟨ψ|U(θ)† O U(θ)|ψ⟩ from ``shots`` shots per measured QWC group, in one job.

    ``observable``: one observable (→ float) or a list (→ array, measured together).
    """
    t0 = time.perf_counter()
    b = get_backend(backend)
    p = _params(circuit, params)
    shots, seed = check_shots(shots), _seed(seed)
    single = not isinstance(observable, (list, tuple))
    obs = [as_observable(o, circuit.num_qubits) for o in ([observable] if single else observable)]
    check_width(b, circuit.num_qubits)
    if b.spec.kind == "jax":
        from shadows.gradients import expval_estimate

        seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(len(obs))]
        outs = [
            expval_estimate(circuit, p, o, shots=shots, seed=sd, state=state, data=data)
            for o, sd in zip(obs, seeds, strict=True)
        ]
        vals = np.array([o["value"] for o in outs])
        errs = np.array([o["std_error"] for o in outs])
        copies = int(sum(o["copies"] for o in outs))
        job, circuits = None, sum(o["groups"] for o in outs)
    else:
        run = run_estimator(
            b, [circuit], [obs], [p[None, :]], shots, seed, states=[state], data=[data], task="expval"
        )
        vals, errs, job = run.values[0][0], run.stds[0][0], run.job
        groups = _qwc_count(obs)
        copies, circuits = shots * groups, groups
    value = float(vals[0]) if single else vals
    err = float(errs[0]) if single else errs
    return BackendResult(
        value,
        err,
        str(b.spec),
        _job_ids(job),
        copies,
        circuits,
        time.perf_counter() - t0,
        resumed=bool(job is not None and job.resumed),
    )


def _qwc_count(observables) -> int:
    from shadows.gradients import measurement_groups

    words = [w for o in observables for c, w in zip(o.coeffs, o.words, strict=True) if w and c != 0]
    return len(measurement_groups(words, "qwc"))


# ---------------------------------------------------------------------------------------------
# classical shadows
# ---------------------------------------------------------------------------------------------
def _draw_recipes(rng: np.random.Generator, snapshots: int, k: int, shots_per_basis: int):
    """``(recipes (T, k), unique bases (U, k), counts (U,), inverse (T,))`` (module docstring)."""
    if shots_per_basis == 1:
        recipes = rng.integers(0, 3, size=(snapshots, k), dtype=np.int64)
        uniq, inverse, counts = np.unique(recipes, axis=0, return_inverse=True, return_counts=True)
        return recipes, uniq, counts, inverse.ravel()
    nb = math.ceil(snapshots / shots_per_basis)
    uniq = rng.integers(0, 3, size=(nb, k), dtype=np.int64)
    counts = np.full(nb, shots_per_basis)
    counts[-1] = snapshots - shots_per_basis * (nb - 1)
    inverse = np.repeat(np.arange(nb), counts)
    return uniq[inverse], uniq, counts, inverse


def shadow_pubs(circuit: Circuit, params: np.ndarray, recipes_uniq: np.ndarray, counts: np.ndarray, wires):
    """Sampler PUBs of a shadow: ``(circuit with basis layer, [(rows, shots, unique indices)])``;
    bases with the same multiplicity share a PUB."""
    mc = measured_circuit(circuit, random_wires=wires)
    angles = basis_bindings(recipes_uniq)
    pubs = []
    for m in np.unique(counts):
        sel = np.flatnonzero(counts == m)
        rows = np.concatenate([np.broadcast_to(params, (len(sel), len(params))), angles[sel]], axis=1)
        pubs.append((rows, int(m), sel))
    return mc, pubs


def assemble_bits(pubs, bits_list, inverse: np.ndarray, k: int) -> np.ndarray:
    """Snapshot-ordered ``(T, k)`` bits: the shots of unique basis u go to the snapshots drawn with u."""
    T = inverse.shape[0]
    out = np.zeros((T, k), dtype=np.uint8)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(inverse.max() + 1))
    for (_, m, sel), bits in zip(pubs, bits_list, strict=True):
        for r, u in enumerate(sel):
            out[order[starts[u] : starts[u] + m]] = bits[r]
    return out


def final_state(circuit: Circuit, params: np.ndarray, state=None, data=None) -> np.ndarray:
    """``U(θ)|ψ⟩`` by :mod:`shadows.layers`' op-by-op executor (kernels shared between circuits)."""
    import jax.numpy as jnp

    from qdist.sim.execute import check_data
    from qdist.sim.states import as_state, zero_state
    from shadows.layers import executor, slot_values

    ex = executor(circuit)
    n = circuit.num_qubits
    psi0 = zero_state(n) if state is None else as_state(state, n)
    out = ex.run(
        jnp.asarray(psi0)[None, :], slot_values(ex.slots, params)[None, :], check_data(circuit, data)
    )
    return np.asarray(out[0])


def shadow(
    backend,
    circuit: Circuit,
    params,
    snapshots: int,
    *,
    seed: int,
    wires=None,
    shots_per_basis: int = 1,
    state=None,
    data=None,
) -> ShadowResult:
    """Random-Pauli classical shadow of ``U(θ)|ψ⟩`` on ``wires`` (default all) in ONE job.

    Returns a :class:`ShadowResult` whose ``shadow`` is a :class:`shadows.Shadow` (PennyLane's
    convention, DESIGN §5). The recipes come from ``seed`` alone, so every backend measures the
    same bases for the same seed. On ``jax`` the snapshots are exact Born samples
    (:func:`shadows.collect_from_state`), no job.
    """
    from shadows.types import Shadow

    t0 = time.perf_counter()
    b = get_backend(backend)
    p = _params(circuit, params)
    T = check_shots(snapshots, "snapshots")
    s = check_shots(shots_per_basis, "shots_per_basis")
    seed = _seed(seed)
    wires = tuple(range(circuit.num_qubits)) if wires is None else tuple(int(w) for w in wires)
    check_width(b, circuit.num_qubits)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5AD0]))
    recipes, uniq, counts, inverse = _draw_recipes(rng, T, len(wires), s)
    if b.spec.kind == "jax":  # exact tree sampling of shadows.collect_from_state, same recipes
        from shadows.collect import collect_from_state

        psi = final_state(circuit, p, state, data)
        sh = collect_from_state(psi, T, seed, wires=wires, recipes=recipes)
        return ShadowResult(sh, str(b.spec), (), T, len(uniq), time.perf_counter() - t0, extra={"pubs": 0})
    mc, pubs = shadow_pubs(circuit, p, uniq, counts, wires)
    run = run_sampler(
        b,
        [mc] * len(pubs),
        [r for r, _, _ in pubs],
        [m for _, m, _ in pubs],
        seed,
        measure=[wires] * len(pubs),
        states=[state] * len(pubs),
        data=[data] * len(pubs),
        task="shadow",
    )
    bits = assemble_bits(pubs, run.bits, inverse, len(wires))
    return ShadowResult(
        Shadow(bits, recipes.astype(np.uint8), wires),
        str(b.spec),
        _job_ids(run.job),
        T,
        len(uniq),
        time.perf_counter() - t0,
        resumed=run.job.resumed,
        extra={"pubs": len(pubs)},
    )


# ---------------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------------
def gradient(
    backend,
    circuit: Circuit,
    params,
    observable,
    *,
    method: str = "param-shift",
    shots: int,
    seed: int,
    state=None,
    data=None,
    basis: str = "derandomized",
    groups: int | None = None,
) -> GradientResult:
    """∇_θ ⟨O⟩ by parameter shift or layer shadows (module docstring) as ONE job.

    ``shots``: per shifted circuit and QWC group (param-shift) or per layer-term state (shadow) —
    the meaning of :func:`qdist.grad`'s ``shots``. ``basis``/``groups``: shadow method only.
    ``extra`` holds ``backend``, ``jobs``, ``resumed`` and ``seconds``.
    """
    t0 = time.perf_counter()
    b = get_backend(backend)
    p = _params(circuit, params)
    shots, seed = check_shots(shots), _seed(seed)
    obs = as_observable(observable, circuit.num_qubits)
    if method not in GRADIENT_METHODS:
        raise ValueError(f"method: expected one of {', '.join(GRADIENT_METHODS)}, got {method!r}")
    if basis not in ("derandomized", "random"):
        raise ValueError(f"basis: expected 'derandomized' or 'random', got {basis!r}")
    width = circuit.num_qubits + (1 if method == "shadow" else 0)
    check_width(b, width, "circuit" if method == "param-shift" else "circuit (with the ancilla)")
    if b.spec.kind == "jax":
        import qdist

        opts = {"basis": basis, "groups": groups} if method == "shadow" else {}
        res = qdist.grad(
            circuit, p, obs, method=method, shots=shots, seed=seed, state=state, data=data, **opts
        )
        extra = {**res.extra, "backend": str(b.spec), "jobs": [], "resumed": False}
        extra["seconds"] = time.perf_counter() - t0
        return GradientResult(
            res.value,
            res.std_error,
            res.copies,
            res.circuits,
            res.shots,
            res.method,
            res.classical_seconds,
            res.expval,
            extra,
        )
    if method == "param-shift":
        res = _param_shift(b, circuit, p, obs, shots, seed, state, data)
    elif basis == "derandomized":
        res = _shadow_derandomized(b, circuit, p, obs, shots, seed, state, data)
    else:
        res = _shadow_random(b, circuit, p, obs, shots, seed, state, data, groups)
    res.extra["seconds"] = time.perf_counter() - t0
    return res


def _param_shift(b: Backend, circuit, p, obs, shots, seed, state, data) -> GradientResult:
    """Parameter shift (DESIGN §4.1): all shifted slot vectors in one estimator PUB."""
    from shadows.gradients import shift_rule
    from shadows.layers import angle_slots, chain_matrix, slot_values

    slots = angle_slots(circuit)
    phi0 = slot_values(slots, p)
    rows, coef = [], []
    for j, s in enumerate(slots):
        for shift, c in zip(*shift_rule(circuit.ops[s.op], s.pos), strict=True):
            row = phi0.copy()
            row[j] += shift
            rows.append(row)
            coef.append((j, c))
    R = np.zeros((len(slots), len(rows)))
    for r, (j, c) in enumerate(coef):
        R[j, r] = c
    sc = slot_circuit(circuit)
    run = run_estimator(
        b,
        [sc],
        [[obs]],
        [np.array(rows).reshape(len(rows), len(slots))],
        shots,
        seed,
        states=[state],
        data=[data],
        task="gradient/param-shift",
    )
    evs, stds = run.values[0][:, 0], run.stds[0][:, 0]
    C = chain_matrix(slots, circuit.num_params)
    groups = _qwc_count([obs])
    copies = shots * len(rows) * groups
    return GradientResult(
        value=C @ (R @ evs),
        std_error=np.sqrt((C**2) @ ((R**2) @ stds**2)),
        copies=copies,
        circuits=len(rows),
        shots=copies,
        method="param-shift",
        extra={
            "backend": str(b.spec),
            "jobs": list(_job_ids(run.job)),
            "resumed": run.job.resumed,
            "angles": len(slots),
            "groups": groups,
            "shots_per_circuit": shots,
        },
    )


def _layer_plan(circuit: Circuit, obs: Observable):
    """``[(layer, k, c_k, layer circuit, touched params, observables O_i)]`` of DESIGN §4.2."""
    from shadows.gradients import layer_observables
    from shadows.layers import angle_slots, find_layers, layer_circuit, observable_terms

    layers = find_layers(circuit, "shadow")
    slots = angle_slots(circuit)
    terms = observable_terms(obs)
    anc = circuit.num_qubits
    plan = []
    for ell, layer in enumerate(layers):
        touched = sorted({slots[j].index for j in layer.slots})
        olist = layer_observables(layer, slots, touched, anc)
        for k, (ck, qk) in enumerate(terms):
            plan.append((ell, k, ck, layer_circuit(circuit, layer, qk), touched, olist, layer))
    return plan, len(layers), len(terms)


def _shadow_derandomized(b: Backend, circuit, p, obs, shots, seed, state, data) -> GradientResult:
    """Layer shadows, derandomised basis: ∂f/∂φ_j = −Σ_k c_k ⟨P_j ⊗ Y_anc⟩_{Φ_ℓk} (DESIGN §4.2)."""
    plan, L, K = _layer_plan(circuit, obs)
    value = np.zeros(circuit.num_params)
    var = np.zeros(circuit.num_params)
    jobs, resumed = (), False
    if plan:
        st = _with_ancilla(state, circuit.num_qubits)
        run = run_estimator(
            b,
            [x[3] for x in plan],
            [x[5] for x in plan],
            [p[None, :]] * len(plan),
            shots,
            seed,
            states=[st] * len(plan),
            data=[data] * len(plan),
            task="gradient/shadow",
        )
        for (_, _, ck, _, touched, _, _), ev, sd in zip(plan, run.values, run.stds, strict=True):
            value[touched] -= ck * ev[0]
            var[touched] += ck**2 * sd[0] ** 2
        jobs, resumed = _job_ids(run.job), run.job.resumed
    return _layer_shadow_result(
        b, value, var, shots, L, K, jobs, resumed, circuit.num_qubits, basis="derandomized"
    )


def _shadow_random(b: Backend, circuit, p, obs, shots, seed, state, data, groups) -> GradientResult:
    """Layer shadows, random Pauli bases on the layer's wires, ancilla always in Y (recipe 1)."""
    from shadows.estimate import estimate
    from shadows.types import Shadow

    plan, L, K = _layer_plan(circuit, obs)
    g = min(10, shots) if groups is None else int(groups)
    if not 1 <= g <= shots:
        raise ValueError(f"groups: expected an integer between 1 and shots = {shots}, got {groups!r}")
    anc = circuit.num_qubits
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x6AD]))
    st = _with_ancilla(state, circuit.num_qubits)
    circuits, rows, shots_l, measure, pieces = [], [], [], [], []
    for item in plan:
        wires = tuple(item[6].support) + (anc,)
        recipes, uniq, counts, inverse = _draw_recipes(rng, shots, len(wires) - 1, 1)
        full = np.concatenate([recipes, np.ones((shots, 1), dtype=np.int64)], axis=1)
        uniq_full = np.concatenate([uniq, np.ones((len(uniq), 1), dtype=np.int64)], axis=1)
        mc, pubs = shadow_pubs(item[3], p, uniq_full, counts, wires)
        pieces.append((len(circuits), pubs, inverse, full, wires))
        for r, m, _ in pubs:
            circuits.append(mc)
            rows.append(r)
            shots_l.append(m)
            measure.append(wires)
    value = np.zeros(circuit.num_params)
    var = np.zeros(circuit.num_params)
    jobs, resumed = (), False
    if circuits:
        run = run_sampler(
            b,
            circuits,
            rows,
            shots_l,
            seed,
            measure=measure,
            states=[st] * len(circuits),
            data=[data] * len(circuits),
            task="gradient/shadow-random",
        )
        for item, (first, pubs, inverse, full, wires) in zip(plan, pieces, strict=True):
            bits = assemble_bits(pubs, run.bits[first : first + len(pubs)], inverse, len(wires))
            est = estimate(Shadow(bits, full.astype(np.uint8), wires), item[5], groups=g)
            ck, touched = item[2], item[4]
            value[touched] -= ck * est.mean / 3.0  # the ancilla's recipe always matches: factor 3 → 1
            var[touched] += ck**2 * (est.std_error / 3.0) ** 2
        jobs, resumed = _job_ids(run.job), run.job.resumed
    return _layer_shadow_result(b, value, var, shots, L, K, jobs, resumed, anc, basis="random", groups=g)


def _layer_shadow_result(b, value, var, shots, L, K, jobs, resumed, ancilla, **extra) -> GradientResult:
    """The result of a layer-shadow gradient: ``shots`` copies of each of the ``L·K`` ancilla states."""
    copies = shots * L * K
    return GradientResult(
        value=value,
        std_error=np.sqrt(var),
        copies=copies,
        circuits=L * K,
        shots=copies,
        method="shadow",
        extra={
            "backend": str(b.spec),
            "jobs": list(jobs),
            "resumed": resumed,
            "layers": L,
            "terms": K,
            **extra,
            "ancilla_wire": ancilla,
            "shots_per_state": shots,
        },
    )


# ---------------------------------------------------------------------------------------------
# distributed protocols, flattened
# ---------------------------------------------------------------------------------------------
def inference(backend, model, *, shots: int, seed: int) -> BackendResult:
    """Distributed inference (:func:`qdist.network.protocols.run_inference`) on one device: every
    readout ⟨Z_c⟩ of the flattened model from ``shots`` shots (one computational-basis group).

    ``extra``: ``exact`` (simulator), ``n``, ``classes`` and the quantum ``ledger`` totals the network
    protocol would record for these copies (:func:`qdist.network.protocols.record_journey`).
    """
    import qdist
    from qdist.network.ledger import Ledger
    from qdist.network.protocols import record_journey

    spec = model.spec
    obs = [qdist.pauli("Z", wires=(c,)) for c in range(spec.classes)]
    res = expval(
        backend,
        model.flat_circuit(),
        model.flat_params(),
        obs,
        shots=shots,
        seed=seed,
        state=model.initial_state(),
        data=model.flat_data(),
    )
    ledger = record_journey(Ledger(), model, size=spec.n, count=res.shots, purpose="forward pass")
    extra = {"exact": model.exact_values(), "n": spec.n, "classes": spec.classes, "ledger": ledger.totals()}
    return BackendResult(
        res.value,
        res.std_error,
        res.backend,
        res.jobs,
        res.shots,
        res.circuits,
        res.seconds,
        res.resumed,
        extra,
    )


def distributed_gradient(
    backend, model, *, method: str = "param-shift", shots: int, seed: int, cls: int = 0, **options
) -> GradientResult:
    """∇_θ f_cls of the flattened distributed model (:func:`qdist.network.protocols.run_gradient` on
    one device: one job for all parameters); ``extra["exact"]`` is the adjoint gradient."""
    import qdist

    circuit, theta = model.flat_circuit(), model.flat_params()
    psi0, data = model.initial_state(), model.flat_data()
    obs = model.readout(cls)
    res = gradient(
        backend, circuit, theta, obs, method=method, shots=shots, seed=seed, state=psi0, data=data, **options
    )
    f, g = qdist.value_and_grad(circuit, theta, obs, state=psi0, data=data)
    res.extra.update(exact=np.asarray(g), exact_value=float(f))
    return res


# ---------------------------------------------------------------------------------------------
# error budget
# ---------------------------------------------------------------------------------------------
def error_budget(backend, circuit: Circuit, observable=None, *, state=None, data=None, measure=None) -> dict:
    """:func:`qdist.backends.devices.noise_bound` of the ISA circuit a job would run: bias bound of
    a ±1 measurement times ``Σ_k |c_k|`` of ``observable`` (or of the sampled wires ``measure``),
    capped at ``2·Σ_k |c_k|`` (deep circuits on noisy devices make the bound vacuous).
    Zero for backends without noise (``jax``, ``pennylane``, noiseless ``aer``)."""
    b = get_backend(backend)
    zero = {"gates": 0.0, "readout": 0.0, "total": 0.0, "instructions": 0}
    if b.spec.kind in ("jax", "pennylane") or (b.spec.kind == "aer" and b.noise_model is None):
        return zero
    if b.spec.kind == "ibm":
        return {**zero, "total": float("nan"), "note": "real device: not bounded from calibration here"}
    from qdist.backends.compile import used_qubits

    if observable is not None:
        obs = as_observable(observable, circuit.num_qubits)
        isa = isa_circuit(b.device, circuit, state=state, data=data, optimization_level=b.optimization_level)
        layout = (
            isa.layout.final_index_layout() if isa.layout is not None else list(range(circuit.num_qubits))
        )
        phys = sorted({layout[w] for w in obs.wires})
        changes = sorted({layout[w] for word in obs.words for w, p in word if p != "Z"})
        scale = float(sum(abs(c) for c, w in zip(obs.coeffs, obs.words, strict=True) if w))
    else:
        isa = isa_circuit(
            b.device,
            circuit,
            state=state,
            data=data,
            measure=measure,
            optimization_level=b.optimization_level,
        )
        phys, changes, scale = measured_physical(isa), (), 1.0
    nm = restricted_noise_model(b.device, used_qubits(isa)) if b.spec.kind == "fake" else b.noise_model
    out = noise_bound(nm, isa, phys, changes)
    out = {k: (v * scale if k in ("gates", "readout", "total") else v) for k, v in out.items()}
    out["total"] = min(out["total"], 2.0 * scale)  # a ±1 mean cannot move by more than 2
    return out


def gradient_error_budget(
    backend, circuit: Circuit, observable, *, method: str = "param-shift", state=None, data=None
) -> np.ndarray:
    """Per-parameter bound on the device-noise bias of :func:`gradient` (derandomised basis).

    * param-shift: ``∂_i = Σ_{j→i} coeff_j Σ_μ c_μ f(φ + s_μ e_j)``; every shifted circuit has the
      same ISA gates (angles only change), so ``bias_i ≤ Σ_{j→i} |coeff_j| Σ_μ |c_μ| · B``, ``B``
      the :func:`error_budget` of the slot circuit and ``O``;
    * shadow: ``∂_i = −Σ_{ℓ,k} c_k ⟨O_i⟩_{Φ_ℓk}`` so ``bias_i ≤ Σ_{ℓ ∋ i, k} |c_k| B_ℓk(O_i)``.
    """
    from shadows.gradients import shift_rule
    from shadows.layers import angle_slots

    obs = as_observable(observable, circuit.num_qubits)
    out = np.zeros(circuit.num_params)
    if method == "param-shift":
        B = error_budget(backend, slot_circuit(circuit), obs, state=state, data=data)["total"]
        for s in angle_slots(circuit):
            out[s.index] += abs(s.coeff) * sum(abs(c) for c in shift_rule(circuit.ops[s.op], s.pos)[1]) * B
        return out
    plan, _, _ = _layer_plan(circuit, obs)
    st = _with_ancilla(state, circuit.num_qubits)
    for _, _, ck, lc, touched, olist, _ in plan:
        for i, o in zip(touched, olist, strict=True):
            out[i] += abs(ck) * error_budget(backend, lc, o, state=st, data=data)["total"]
    return out


__all__ = [
    "BackendResult",
    "GRADIENT_METHODS",
    "ShadowResult",
    "distributed_gradient",
    "error_budget",
    "expval",
    "gradient",
    "gradient_error_budget",
    "inference",
    "shadow",
]
