"""Jobs (issue 6, [classical shadows][classical-shadows]): what a primitive job returns (`JobOutcome`, and the
`SamplerRun` / `EstimatorRun` answers), `run_job` — every job of a non-``jax``
backend goes through the [`JobRegistry`][qdist.backends.JobRegistry] (record before awaiting; a
finished job with the same key is loaded, not resubmitted); **retries:** a failed job is submitted
again after ``backoff·2^a`` seconds (a = 0, 1, …) up to ``retries`` times (default 2 retries,
backoff 2 s); after the last one [`JobFailedError`][qdist.backends.JobFailedError] names the job and the reason —,
`fetch_job` and `convert_result` (a Runtime result → the registry's arrays), the job
record's metadata and digests, and `_LocalJob` (a job run in this process).
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from qdist.backends.backend import Backend
from qdist.backends.devices import ibm_service
from qdist.backends.qiskit_primitives import run_options
from qdist.backends.registry import JobRegistry
from qdist.backends.spec import JobFailedError
from qdist.sim.observables import Observable


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
    """`run_sampler`'s answer: ``bits[i]`` ``(B_i, shots_i, k_i)`` uint8, and the job."""

    bits: list
    job: JobOutcome


@dataclass(frozen=True)
class EstimatorRun:
    """`run_estimator`'s answer: ``values[i]``/``stds[i]`` ``(B_i, M_i)``, and the job."""

    values: list
    stds: list
    job: JobOutcome


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
    rec, note = reg.lookup(key)
    if note:
        warnings.warn(note, UserWarning, stacklevel=2)
    if rec is not None and rec["status"] == "done" and not reg.result_intact(key):
        warnings.warn(
            f"registry: the result file of job {rec.get('id')} ({reg.root / (key + '.npz')}) is missing "
            "or damaged; the job runs again",
            UserWarning,
            stacklevel=2,
        )
        rec = None
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
    if rec["status"] == "damaged":
        if rec["result_intact"]:
            return rec, reg.result(rec["key"])
        raise ValueError(
            f"ID: {rec['error']}, and its result file is missing or damaged: nothing to fetch;"
            " run the command that submitted it again"
        )
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


class _LocalJob:
    """A job run in this process when its result is asked for (PennyLane): id ``local-<uuid>``."""

    def __init__(self, fn: Callable[[], object]):
        self._fn = fn
        self._id = f"local-{uuid.uuid4()}"

    def job_id(self) -> str:
        return self._id

    def result(self):
        return self._fn()
