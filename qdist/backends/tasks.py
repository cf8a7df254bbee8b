"""What measures, on every backend: expectations, classical shadows, gradients, distributed protocols.

Each task is ONE job on a device (`qdist.backends.device.as_device`), whatever the backend, and
uses the same code as the simulator: a gradient is `qdist.gradients.grad` with the backend's device
(every registered estimator that is not simulation-only runs on every backend: its plan's batch is
one sampler job), an expectation is one run per qubit-wise-commuting group
(`qdist.devices.protocol.expectation_run`), and a classical shadow binds its random bases as parameter rows of one
circuit (`shadows.recipes`). `inference` and `distributed_gradient` run the network protocols in their
flattened single-device form (the model's flat circuit with the initial state ``|x⟩`` and Alice's
data bound in).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qdist.backends.backend import check_width, get_backend
from qdist.backends.compile import isa_circuit, measured_physical, slot_circuit, used_qubits
from qdist.backends.device import BackendDevice, as_device
from qdist.backends.devices import noise_bound, restricted_noise_model
from qdist.devices.exact import run_states
from qdist.devices.protocol import Run, expectation_run
from qdist.estimators.result import GradientResult
from qdist.estimators.shift_rules import shift_rule
from qdist.gradients import get_estimator, grad
from qdist.interop.boundary import Converted, as_circuit
from qdist.interop.observables import as_observable
from qdist.measure.groups import observable_terms
from qdist.sim.circuit import Circuit
from qdist.sim.slots import angle_slots
from qdist.validate import check_seed, check_shots
from shadows.collect import collect_from_state
from shadows.layer_shadow import layer_observables
from shadows.layers import find_layers, layer_circuit
from shadows.recipes import assemble_bits, draw_recipes, shadow_runs
from shadows.types import Shadow


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
    `BackendResult`); ``bases`` distinct measurement bases were bound."""

    shadow: object
    backend: str
    jobs: tuple
    shots: int
    bases: int
    seconds: float
    resumed: bool = False
    extra: dict = field(default_factory=dict)


def _params(circuit: Circuit, params) -> np.ndarray:
    p = np.zeros(circuit.num_params) if params is None else np.asarray(params, dtype=np.float64)
    if p.shape != (circuit.num_params,):
        raise ValueError(f"params: expected shape ({circuit.num_params},), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("params: expected finite values, got NaN or inf")
    return p


def _native(circuit, params) -> tuple[Converted, Circuit, np.ndarray]:
    """The boundary ([`qdist.interop.boundary`][qdist.interop.boundary]): a qdist circuit, Qiskit
    ``QuantumCircuit`` or PennyLane QNode / qfunc / tape → (conversion, qdist circuit, angles)."""
    conv = as_circuit(circuit, params)
    if params is None and conv.default_params is None:
        params = np.zeros(conv.num_params)
    return conv, conv.circuit, _params(conv.circuit, conv.angles(params))


def _provenance(dev) -> tuple[tuple, bool]:
    if isinstance(dev, BackendDevice):
        return dev.job_ids, dev.resumed
    return (), False


def _with_ancilla(state, n: int):
    """``|ψ⟩ ⊗ |0⟩_anc`` with the ancilla as the last wire (`shadows.layers` convention)."""
    if state is None:
        return None
    return np.kron(np.asarray(state, dtype=np.complex128), np.array([1.0, 0.0]))


def _record_task(b, dev, arrays: dict) -> None:
    """Store a task's result next to each job it ran (``<registry>/<key>.task.npz``), so that
    ``qdist jobs fetch`` returns the gradient or the shadow, not only the raw per-circuit arrays."""
    from qdist.backends.cache import atomic_write_npz

    registry = getattr(b, "registry", None)
    if registry is None or not isinstance(dev, BackendDevice):
        return
    for job in dev.jobs:
        if job is not None and job.key:
            atomic_write_npz(Path(registry.root) / f"{job.key}.task.npz", arrays)


def task_result(registry, key: str) -> dict | None:
    """The stored result of the task that ran job ``key`` (see `_record_task`), or None."""
    from qdist.backends.cache import read_npz

    path = Path(registry.root) / f"{key}.task.npz"
    return read_npz(path) if path.exists() else None


def _gradient_arrays(res: GradientResult) -> dict:
    return {
        "kind": np.array("gradient"),
        "method": np.array(res.method),
        "value": np.asarray(res.value, dtype=np.float64),
        "std_error": np.asarray(res.std_error, dtype=np.float64),
        "copies": np.array(int(res.copies)),
        "circuits": np.array(int(res.circuits)),
        "shots": np.array(int(res.shots)),
    }


def _device_seed(seed: int, salt: int) -> int:
    return int(np.random.SeedSequence([seed, salt]).generate_state(1)[0])


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
    conv, circuit, p = _native(circuit, params)
    shots, seed = check_shots(shots, allow_none=False), check_seed(seed)
    single = not isinstance(observable, (list, tuple))
    obs_list = [conv.observable_for(o) for o in ([observable] if single else observable)]
    check_width(b, circuit.num_qubits)
    run = expectation_run(circuit, p[None, :], obs_list, shots, states=state, data=data)
    dev = as_device(b, "expval")
    (e,) = dev.run([run], _device_seed(seed, 0xE4))
    vals, errs = e.values[0], np.sqrt(e.variances[0])
    jobs, resumed = _provenance(dev)
    return BackendResult(
        float(vals[0]) if single else vals,
        float(errs[0]) if single else errs,
        str(b.spec),
        jobs,
        shots * e.groups,
        e.groups,
        time.perf_counter() - t0,
        resumed=resumed,
    )


# ---------------------------------------------------------------------------------------------
# classical shadows
# ---------------------------------------------------------------------------------------------
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

    Returns a `ShadowResult` whose ``shadow`` is a `shadows.Shadow` (PennyLane's convention). The
    recipes come from ``seed`` alone, so every backend measures the same bases for the same seed. On
    ``jax`` the snapshots are exact Born samples (`shadows.collect_from_state`), no job.
    """
    t0 = time.perf_counter()
    b = get_backend(backend)
    _, circuit, p = _native(circuit, params)
    T = check_shots(snapshots, allow_none=False, name="snapshots")
    s = check_shots(shots_per_basis, allow_none=False, name="shots_per_basis")
    seed = check_seed(seed)
    wires = tuple(range(circuit.num_qubits)) if wires is None else tuple(int(w) for w in wires)
    check_width(b, circuit.num_qubits)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5AD0]))
    recipes, uniq, counts, inverse = draw_recipes(rng, T, len(wires), s)
    if b.spec.kind == "jax":  # exact tree sampling of shadows.collect_from_state, same recipes
        psi = run_states(Run(circuit, p[None, :], (), None, state, data))[0]
        sh = collect_from_state(psi, T, seed, wires=wires, recipes=recipes)
        return ShadowResult(sh, str(b.spec), (), T, len(uniq), time.perf_counter() - t0, extra={"pubs": 0})
    runs, pieces = shadow_runs(circuit, p, uniq, counts, wires, states=state, data=data)
    dev = as_device(b, "shadow")
    outcomes = dev.run(runs, _device_seed(seed, 0x5AD1))
    bits = assemble_bits(pieces, outcomes, inverse, len(wires), rng)
    _record_task(
        b,
        dev,
        {
            "kind": np.array("shadow"),
            "bits": bits,
            "recipes": recipes.astype(np.uint8),
            "wires": np.asarray(wires, dtype=np.int64),
        },
    )
    jobs, resumed = _provenance(dev)
    return ShadowResult(
        Shadow(bits, recipes.astype(np.uint8), wires),
        str(b.spec),
        jobs,
        T,
        len(uniq),
        time.perf_counter() - t0,
        resumed=resumed,
        extra={"pubs": len(runs)},
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
    **options,
) -> GradientResult:
    """∇_θ ⟨O⟩ with any registered estimator as ONE job on ``backend``.

    ``shots`` and the other options mean what they mean for `qdist.grad` (e.g. ``basis`` and
    ``groups`` for ``method="shadow"``). ``extra`` holds ``backend``, ``jobs``, ``resumed`` and
    ``seconds``.
    """
    t0 = time.perf_counter()
    b = get_backend(backend)
    conv, circuit, p = _native(circuit, params)
    shots, seed = check_shots(shots, allow_none=False), check_seed(seed)
    est = get_estimator(method)
    if est.simulation_only and b.spec.kind != "jax":
        raise ValueError(f"method: {est.name!r} runs only on the simulator (backend 'jax'), got {b.spec}")
    obs = conv.observable_for(observable)
    conv.check_method(est.name)
    what = "circuit" if not est.ancilla else "circuit (with the ancilla)"
    check_width(b, circuit.num_qubits + est.ancilla, what)
    dev = as_device(b, f"gradient/{est.name}")
    res = grad(circuit, p, obs, est, device=dev, shots=shots, seed=seed, state=state, data=data, **options)
    if conv.reparam is not None or conv.param_shape not in (None, (conv.num_params,)):
        res = conv.gradient_result(params, res)
    _record_task(b, dev, _gradient_arrays(res))
    jobs, resumed = _provenance(dev)
    res.extra.update(backend=str(b.spec), jobs=list(jobs), resumed=resumed, seconds=time.perf_counter() - t0)
    return res


# ---------------------------------------------------------------------------------------------
# distributed protocols, flattened
# ---------------------------------------------------------------------------------------------
def inference(backend, model, *, shots: int, seed: int) -> BackendResult:
    """Distributed inference (`qdist.network.protocols.run_inference`) on one device: every readout
    ⟨Z_c⟩ of the flattened model from ``shots`` shots (one computational-basis group).

    ``extra``: ``exact`` (simulator), ``n``, ``classes`` and the quantum ``ledger`` totals the network
    protocol would record for these copies (`qdist.network.protocols.record_journey`).
    """
    from qdist.network.ledger import Ledger
    from qdist.network.protocols import record_journey
    from qdist.sim.observables import pauli

    spec = model.spec
    obs = [pauli("Z", wires=(c,)) for c in range(spec.classes)]
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
    """∇_θ f_cls of the flattened distributed model (`qdist.network.protocols.run_gradient` on one
    device: one job for all parameters); ``extra["exact"]`` is the adjoint gradient."""
    from qdist.sim.execute import value_and_grad

    circuit, theta = model.flat_circuit(), model.flat_params()
    psi0, data = model.initial_state(), model.flat_data()
    obs = model.readout(cls)
    res = gradient(
        backend, circuit, theta, obs, method=method, shots=shots, seed=seed, state=psi0, data=data, **options
    )
    f, g = value_and_grad(circuit, theta, obs, state=psi0, data=data)
    res.extra.update(exact=np.asarray(g), exact_value=float(f))
    return res


# ---------------------------------------------------------------------------------------------
# error budget
# ---------------------------------------------------------------------------------------------
def error_budget(backend, circuit: Circuit, observable=None, *, state=None, data=None, measure=None) -> dict:
    """`qdist.backends.devices.noise_bound` of the ISA circuit a job would run: bias bound of
    a ±1 measurement times ``Σ_k |c_k|`` of ``observable`` (or of the sampled wires ``measure``),
    capped at ``2·Σ_k |c_k|`` (deep circuits on noisy devices make the bound vacuous).
    Zero for backends without noise (``jax``, ``pennylane``, noiseless ``aer``)."""
    b = get_backend(backend)
    conv = as_circuit(circuit)
    circuit = conv.circuit
    zero = {"gates": 0.0, "readout": 0.0, "total": 0.0, "instructions": 0}
    if b.spec.kind in ("jax", "pennylane") or (b.spec.kind == "aer" and b.noise_model is None):
        return zero
    if b.spec.kind == "ibm":
        return {**zero, "total": float("nan"), "note": "real device: not bounded from calibration here"}
    if observable is not None:
        obs = conv.observable_for(observable)
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
    """Per-parameter bound on the device-noise bias of [`gradient`][qdist.backends.gradient] (derandomised basis).

    * param-shift: ``∂_i = Σ_{j→i} coeff_j Σ_μ c_μ f(φ + s_μ e_j)``; every shifted circuit has the
      same ISA gates (angles only change), so ``bias_i ≤ Σ_{j→i} |coeff_j| Σ_μ |c_μ| · B``, ``B``
      the [`error_budget`][qdist.backends.error_budget] of the slot circuit and ``O``;
    * shadow: ``∂_i = −Σ_{ℓ,k} c_k ⟨O_i⟩_{Φ_ℓk}`` so ``bias_i ≤ Σ_{ℓ ∋ i, k} |c_k| B_ℓk(O_i)``.
    """
    obs = as_observable(observable, circuit.num_qubits)
    out = np.zeros(circuit.num_params)
    if method == "param-shift":
        B = error_budget(backend, slot_circuit(circuit), obs, state=state, data=data)["total"]
        for s in angle_slots(circuit):
            out[s.index] += abs(s.coeff) * sum(abs(c) for c in shift_rule(circuit.ops[s.op], s.pos)[1]) * B
        return out
    st = _with_ancilla(state, circuit.num_qubits)
    slots, anc = angle_slots(circuit), circuit.num_qubits
    for layer in find_layers(circuit, "shadow"):
        touched = sorted({slots[j].index for j in layer.slots})
        olist = layer_observables(layer, slots, touched, anc)
        for ck, qk in observable_terms(obs):
            lc = layer_circuit(circuit, layer, qk)
            for i, o in zip(touched, olist, strict=True):
                out[i] += abs(ck) * error_budget(backend, lc, o, state=st, data=data)["total"]
    return out


__all__ = [
    "BackendResult",
    "ShadowResult",
    "distributed_gradient",
    "error_budget",
    "expval",
    "gradient",
    "gradient_error_budget",
    "inference",
    "shadow",
    "task_result",
]
