"""Run sampler and estimator PUBs on any backend: one call = ONE primitive job (issue 6, DESIGN §5, §7).

* :func:`get_backend` resolves a backend string (:mod:`qdist.backends.spec`) and its options into a
  :class:`Backend`.
* :func:`run_sampler` — ``circuits[i]`` measured on ``measure[i]`` for every row of
  ``bindings[i]`` with ``shots[i]`` shots → bits ``(B_i, shots_i, k_i)`` (column j = wire
  ``measure[i][j]``; bit b ↔ eigenvalue ``(−1)^b``).
* :func:`run_estimator` — ``⟨O_m⟩`` for every row of ``bindings[i]`` and observable
  ``observables[i][m]`` → ``values (B_i, M_i)`` and ``stds`` with ``shots`` shots per measured
  qubit-wise-commuting group.

All PUBs of one call form one job. Qiskit kinds (``aer``, ``fake``, ``ibm``) go through
``qiskit_ibm_runtime``'s ``SamplerV2``/``EstimatorV2`` in every case — the ``mode`` is the IBM device
on hardware and an ``AerSimulator`` locally (Runtime's local testing mode) — so the local path *is*
the hardware path up to the mode. For ``fake:<name>`` that simulator carries the device's noise model
restricted to the qubits the job's ISA circuits use (:func:`restricted_noise_model`); OpenMP threads
are off by default (``threads=1``: for ≤ 20-qubit density matrices they cost more than they give —
measured 2× slower on 2 shared cores). ``pennylane:<device>`` runs each PUB row as a QNode built with
:func:`qdist.to_pennylane`; ``jax`` samples the exact states of :mod:`shadows.layers`' batched
executor. Estimator values on ``pennylane``/``jax`` come from the sampler on the QWC groups (the
Estimator's own method).

**Jobs.** Every job of a non-``jax`` backend goes through the :class:`JobRegistry` (record before
awaiting; a finished job with the same key is loaded, not resubmitted). **Retries:** a failed job
is submitted again after ``backoff·2^a`` seconds (a = 0, 1, …) up to ``retries`` times (default
2 retries, backoff 2 s); after the last one :class:`JobFailedError` names the job and the reason.
**Seeds:** local simulators get ``seed_simulator`` derived from ``seed`` (never 0: Runtime's local
mode drops a 0 seed); real devices ignore it.
"""

from __future__ import annotations

import math
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qdist.backends.compile import (
    circuit_hash,
    isa_circuit,
    isa_observable,
    measured_circuit,
    parameter_columns,
    used_qubits,
)
from qdist.backends.devices import fake_device, ibm_device, ibm_service, restricted_noise_model
from qdist.backends.registry import JobRegistry, job_key
from qdist.backends.spec import BackendError, BackendSpec, JobFailedError, parse_backend
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable

MITIGATION = ("resilience_level", "twirling", "dynamical_decoupling")
DD_SEQUENCES = ("XX", "XpXm", "XY4")


# ---------------------------------------------------------------------------------------------
# backend objects
# ---------------------------------------------------------------------------------------------
@dataclass
class Backend:
    """A resolved backend: what :func:`run_sampler` / :func:`run_estimator` need to run a job.

    Attributes:
        spec: the parsed backend string.
        device: Qiskit ``BackendV2`` that circuits are transpiled for (fake or IBM device,
            ``AerSimulator`` for ``aer``); ``None`` for ``jax``/``pennylane``.
        noise_model: ``aer`` only: the Aer noise model (or ``None``).
        service: ``ibm`` only: the ``QiskitRuntimeService`` (or Runtime's local service).
        mitigation: ``resilience_level``, ``twirling``, ``dynamical_decoupling`` — passed to the
            Runtime primitives on real devices, ignored (one warning) elsewhere.
        optimization_level: preset pass manager level (2 or 3).
        registry: the job registry (``None`` for ``jax``).
        retries, backoff: retry policy (module docstring).
        threads: OpenMP threads of local Aer simulations (0 = Aer's default).
    """

    spec: BackendSpec
    device: object | None = None
    noise_model: object | None = None
    service: object | None = None
    mitigation: dict = field(default_factory=dict)
    optimization_level: int = 2
    registry: JobRegistry | None = None
    retries: int = 2
    backoff: float = 2.0
    threads: int = 1

    @property
    def name(self) -> str:
        return str(self.spec)

    @property
    def num_qubits(self) -> int | None:
        """Qubits of the device (``None``: no limit but memory)."""
        if self.spec.kind in ("fake", "ibm"):
            return int(self.device.num_qubits)
        return None

    @property
    def real_device(self) -> bool:
        """A device of a real ``QiskitRuntimeService`` (not Runtime's local service)."""
        return self.spec.kind == "ibm" and type(self.service).__name__ != "QiskitRuntimeLocalService"


def _check_mitigation(resilience_level, twirling, dynamical_decoupling) -> dict:
    out = {}
    if resilience_level is not None:
        if isinstance(resilience_level, bool) or resilience_level not in (0, 1, 2):
            raise ValueError(f"resilience_level: expected 0, 1 or 2, got {resilience_level!r}")
        out["resilience_level"] = int(resilience_level)
    if twirling:
        out["twirling"] = True
    if dynamical_decoupling:
        seq = "XX" if dynamical_decoupling is True else dynamical_decoupling
        if seq not in DD_SEQUENCES:
            raise ValueError(f"dynamical_decoupling: expected one of {', '.join(DD_SEQUENCES)}, got {seq!r}")
        out["dynamical_decoupling"] = seq
    return out


def get_backend(
    backend="jax",
    *,
    noise_model=None,
    service=None,
    resilience_level: int | None = None,
    twirling: bool = False,
    dynamical_decoupling: bool | str = False,
    optimization_level: int = 2,
    registry: JobRegistry | None = None,
    retries: int = 2,
    backoff: float = 2.0,
    threads: int = 1,
    min_qubits: int = 1,
) -> Backend:
    """Resolve ``backend`` (a string of :mod:`qdist.backends.spec` or a :class:`Backend`).

    Args:
        noise_model: ``aer``: an Aer ``NoiseModel``.
        service: ``ibm``: a ``QiskitRuntimeService`` to use instead of the saved account / the
            environment — e.g. ``QiskitRuntimeService(channel="local")`` for offline tests.
        resilience_level: Runtime resilience level (0–2) on IBM devices; local modes ignore it
            with one warning (as they do the two options below).
        twirling: Pauli twirling of gates and measurements on IBM devices.
        dynamical_decoupling: DD sequence on IBM devices: ``"XX"``, ``"XpXm"`` or ``"XY4"``
            (``True`` = ``"XX"``).
        min_qubits: ``ibm:least_busy`` picks a device with at least this many qubits.
    """
    if isinstance(backend, Backend):
        return backend
    spec = parse_backend(backend)
    mitigation = _check_mitigation(resilience_level, twirling, dynamical_decoupling)
    for name, value in (("retries", retries), ("threads", threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: expected an integer ≥ 0, got {value!r}")
    if optimization_level not in (2, 3):
        raise ValueError(f"optimization_level: expected 2 or 3 (DESIGN §7), got {optimization_level!r}")
    device = svc = None
    if spec.kind == "fake":
        device = fake_device(spec.name)
    elif spec.kind == "aer":
        from qiskit_aer import AerSimulator

        device = AerSimulator(noise_model=noise_model) if noise_model is not None else AerSimulator()
    elif spec.kind == "ibm":
        svc = service if service is not None else ibm_service(str(spec))
        device = ibm_device(svc, spec.name, min_qubits)
    elif spec.kind == "pennylane":
        _check_pennylane_device(spec.name)
    if noise_model is not None and spec.kind != "aer":
        raise ValueError(f"noise_model: only the 'aer' backend takes a noise model, got backend {spec}")
    out = Backend(
        spec=spec,
        device=device,
        noise_model=noise_model,
        service=svc,
        mitigation=mitigation,
        optimization_level=optimization_level,
        registry=None if spec.kind == "jax" else (registry or JobRegistry()),
        retries=retries,
        backoff=float(backoff),
        threads=threads,
    )
    if mitigation and not out.real_device:
        names = ", ".join(f"{k}={v}" for k, v in mitigation.items())
        warnings.warn(
            f"backend {spec}: error mitigation ({names}) is ignored by local emulation; "
            "it applies on ibm:<device> only",
            UserWarning,
            stacklevel=2,
        )
    return out


def _check_pennylane_device(name: str) -> None:
    import pennylane as qml

    try:
        qml.device(name, wires=1)
    except Exception as exc:  # noqa: BLE001 - DeviceError, ImportError of a plugin, …
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackendError(f"backend: cannot open PennyLane device {name!r} ({first})") from None


def check_width(backend: Backend, num_qubits: int, what: str = "circuit") -> None:
    """One-line error when a circuit is wider than the device."""
    cap = backend.num_qubits
    if cap is not None and num_qubits > cap:
        raise BackendError(f"{what}: needs {num_qubits} qubits, but {backend.spec} has {cap}")


def check_shots(shots, name: str = "shots") -> int:
    if isinstance(shots, (bool, np.bool_)) or not isinstance(shots, (int, np.integer)) or int(shots) < 1:
        raise ValueError(f"{name}: expected an integer ≥ 1, got {shots!r}")
    return int(shots)


def simulator_seed(seed: int, salt: int = 0) -> int:
    """A seed in [1, 2³¹) derived from ``seed`` (Runtime's local mode ignores ``seed_simulator=0``)."""
    s = np.random.SeedSequence([int(seed), int(salt), 0x51D]).generate_state(1)[0]
    return int(s % (2**31 - 1)) + 1


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobOutcome:
    """One job: its id (``None`` for ``jax``), registry key, arrays, and whether it was loaded from
    the registry (``resumed``) instead of being run."""

    job_id: str | None
    key: str | None
    arrays: dict
    resumed: bool = False
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SamplerRun:
    """:func:`run_sampler`'s answer: ``bits[i]`` ``(B_i, shots_i, k_i)`` uint8, and the job."""

    bits: list
    job: JobOutcome


@dataclass(frozen=True)
class EstimatorRun:
    """:func:`run_estimator`'s answer: ``values[i]``/``stds[i]`` ``(B_i, M_i)``, and the job."""

    values: list
    stds: list
    job: JobOutcome


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
# the job machinery
# ---------------------------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_job(
    backend: Backend,
    primitive: str,
    key: str,
    meta: dict,
    bindings: list[np.ndarray],
    start: Callable[[], object],
    convert: Callable[[object], dict],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> JobOutcome:
    """Submit (``start()`` → a job with ``job_id()``/``result()``), record, await, convert, store.

    A finished record with this ``key`` is loaded instead; a ``submitted`` record on a real IBM
    device is re-attached with ``service.job(id)``. Retry policy: module docstring.
    """
    reg = backend.registry
    rec = reg.get(key)
    if rec is not None and rec["status"] == "done":
        return JobOutcome(
            rec["id"], key, reg.result(key), resumed=True, seconds=rec.get("seconds", 0.0), meta=rec
        )
    if rec is not None and rec["status"] == "submitted" and rec.get("id") and backend.real_device:
        try:
            job = backend.service.job(rec["id"])
            t0 = time.perf_counter()
            arrays = convert(job.result())
            reg.done(key, arrays, time.perf_counter() - t0)
            return JobOutcome(rec["id"], key, arrays, resumed=True, meta=rec)
        except Exception:  # noqa: BLE001 - cannot re-attach: submit again below
            pass
    attempts = backend.retries + 1
    for a in range(attempts):
        reg.submitting(key, meta, bindings)
        job_id = None
        t0 = time.perf_counter()
        try:
            job = start()
            job_id = str(job.job_id())
            reg.submitted(key, job_id)
            arrays = convert(job.result())
        except Exception as exc:  # noqa: BLE001 - provider and simulator errors of many types
            reason = _one_line(exc)
            final = a == attempts - 1
            reg.attempt_failed(key, reason, final)
            if final:
                raise JobFailedError(
                    f"job {job_id or '(not submitted)'} ({primitive} on {backend.spec}, key {key[:12]}) "
                    f"failed after {attempts} attempt{'s' if attempts > 1 else ''}: {reason}"
                ) from exc
            sleep(backend.backoff * 2**a)
            continue
        seconds = time.perf_counter() - t0
        rec = reg.done(key, arrays, seconds)
        return JobOutcome(job_id, key, arrays, resumed=False, seconds=seconds, meta=rec)
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Qiskit kinds
# ---------------------------------------------------------------------------------------------
_SIMULATORS: dict = {}


def _local_mode(backend: Backend, qubits: Sequence[int]):
    """The ``mode`` of a local Runtime primitive: an ``AerSimulator`` with the right noise model.

    ``fake``: ``AerSimulator.from_backend(device, noise_model=restricted)`` — the device's target
    (so the Estimator unrolls its measurement-basis changes to ISA gates, which then get their
    noise, as in Runtime's local mode) without building the full noise model.
    """
    from qiskit_aer import AerSimulator

    opts = {"max_parallel_threads": backend.threads} if backend.threads else {}
    if backend.spec.kind == "fake":
        nm = restricted_noise_model(backend.device, qubits)
    else:
        nm = backend.noise_model
    key = (id(nm), id(backend.device), backend.threads)
    if key not in _SIMULATORS:
        if len(_SIMULATORS) > 16:
            _SIMULATORS.clear()
        if backend.spec.kind == "fake":
            sim = AerSimulator.from_backend(backend.device, noise_model=nm, **opts)
        elif nm is not None:
            sim = AerSimulator(noise_model=nm, **opts)
        else:
            sim = AerSimulator(**opts)
        _SIMULATORS[key] = (nm, backend.device, sim)
    return _SIMULATORS[key][2]


def _mode(backend: Backend, isas) -> object:
    if backend.spec.kind == "ibm":
        return backend.device
    qubits = sorted({q for isa in isas for q in used_qubits(isa)})
    return _local_mode(backend, qubits)


def run_options(backend: Backend, seed: int) -> dict:
    """What :func:`_configure` sets: ``seed_simulator`` locally, the mitigation options on a device."""
    if not backend.real_device:
        return {"seed_simulator": simulator_seed(seed)}
    return dict(backend.mitigation)


def _configure(prim, backend: Backend, primitive: str, seed: int, shots: int | None) -> None:
    """Set the seed (local) or the mitigation options (real device) on a Runtime primitive."""
    if not backend.real_device:
        prim.options.simulator.seed_simulator = simulator_seed(seed)
        return
    m = backend.mitigation
    if primitive == "sampler" and "resilience_level" in m:
        warnings.warn(
            f"backend {backend.spec}: resilience_level applies to Estimator jobs; this Sampler job "
            "(shadows) uses twirling and dynamical decoupling only",
            UserWarning,
            stacklevel=3,
        )
    if primitive == "estimator":
        if shots is not None:
            prim.options.default_shots = int(shots)
        if "resilience_level" in m:
            prim.options.resilience_level = m["resilience_level"]
    if m.get("twirling"):
        prim.options.twirling.enable_gates = True
        prim.options.twirling.enable_measure = primitive == "estimator"
    if m.get("dynamical_decoupling"):
        prim.options.dynamical_decoupling.enable = True
        prim.options.dynamical_decoupling.sequence_type = m["dynamical_decoupling"]


def _bindings_array(isa, rows: np.ndarray, estimator: bool):
    """PUB parameter values: the columns of ``rows`` the ISA circuit uses, shaped ``(B,)`` for a
    sampler and ``(B, 1)`` for an estimator (broadcast against ``(1, M)`` observables)."""
    from qiskit.primitives.containers.bindings_array import BindingsArray

    cols = parameter_columns(isa)
    shape = (rows.shape[0], 1) if estimator else (rows.shape[0],)
    if cols.size == 0:
        return BindingsArray(shape=shape)
    vals = rows[:, cols].reshape(shape + (cols.size,))
    return BindingsArray({tuple(isa.parameters): vals})


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


def convert_result(primitive: str, result, meta: dict) -> dict:
    """Runtime ``PrimitiveResult`` → the registry's arrays, using only the job record ``meta``
    (so ``qdist jobs fetch`` can convert a job submitted by another process)."""
    out = {}
    for i, pub in enumerate(result):
        B = int(meta["bindings_shapes"][i][0])
        if primitive == "sampler":
            arr = pub.data.c.to_bool_array(order="little").astype(np.uint8)
            out[f"bits_{i}"] = arr.reshape(B, int(meta["shots"][i]), -1)
        else:
            shape = (B, int(meta["observable_counts"][i]))
            out[f"evs_{i}"] = np.broadcast_to(np.asarray(pub.data.evs, dtype=np.float64), shape).copy()
            out[f"stds_{i}"] = np.broadcast_to(np.asarray(pub.data.stds, dtype=np.float64), shape).copy()
    return out


def fetch_job(job_id: str, registry: JobRegistry | None = None, service=None) -> tuple[dict, dict]:
    """``(record, arrays)`` of a job: stored arrays when done; an IBM job still running elsewhere is
    awaited through ``service.job(id)`` (``service`` default: the saved account) and stored."""
    reg = registry or JobRegistry()
    rec = reg.find(job_id)
    if rec["status"] == "done":
        return rec, reg.result(rec["key"])
    if rec["status"] == "failed":
        raise ValueError(f"ID: job {rec['id']} failed: {rec.get('error')}")
    if not rec["backend"].startswith("ibm:") or not rec.get("id"):
        raise ValueError(
            f"ID: job {rec.get('id') or rec['key'][:12]} is {rec['status']} but local jobs end with their process;"
            " run the command that submitted it again to resume"
        )
    svc = service if service is not None else ibm_service(rec["backend"])
    if not hasattr(svc, "job"):
        raise ValueError(f"ID: job {rec['id']} ran in Runtime's local mode, which keeps no jobs; rerun it")
    t0 = time.perf_counter()
    arrays = convert_result(rec["primitive"], svc.job(rec["id"]).result(), rec)
    rec = reg.done(rec["key"], arrays, time.perf_counter() - t0)
    return rec, arrays


def _digest(a: np.ndarray) -> str:
    from qdist.backends.cache import sha256

    return sha256(np.ascontiguousarray(a, dtype=np.float64))


def _meta(backend, primitive, task, hashes, binds, shots, seed) -> dict:
    return {
        "backend": str(backend.spec),
        "device": getattr(backend.device, "name", backend.spec.name),
        "primitive": primitive,
        "task": task,
        "circuits": hashes,
        "bindings_shapes": [list(b.shape) for b in binds],
        "shots": [int(s) for s in shots],
        "seed": int(seed),
        "options": run_options(backend, seed) if backend.spec.is_qiskit else {},
    }


def obs_label(o: Observable) -> str:
    """``"+0.5*Z0Z1 -1*X2"``: a short text form of a qdist observable."""
    parts = []
    for c, word in zip(o.coeffs, o.words, strict=True):
        w = "".join(f"{p}{q}" for q, p in word) or "I"
        parts.append(f"{c:+g}*{w}")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# jax and PennyLane
# ---------------------------------------------------------------------------------------------
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


class _LocalJob:
    """A job run in this process when its result is asked for (PennyLane): id ``local-<uuid>``."""

    def __init__(self, fn: Callable[[], object]):
        self._fn = fn
        self._id = f"local-{uuid.uuid4()}"

    def job_id(self) -> str:
        return self._id

    def result(self):
        return self._fn()


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
        backend: backend string or :class:`Backend`.
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
    observables or anything :func:`qdist.as_observable` accepts. ``shots`` per measured
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
