"""The job registry: every primitive job on disk, recorded before it is awaited (issue 6, item 3).

Layout under ``<cache>/jobs/`` (`qdist.backends.cache.cache_dir`):

* ``<key>.json`` — the record: ``key``, ``id`` (the provider's job id; ``local-…`` ids for local
  modes), ``backend``, ``device``, ``primitive`` (sampler | estimator), ``task``, ``circuits`` (hash
  of every ISA circuit), ``bindings_shapes``, ``shots``, ``seed``, ``options``, ``submitted_at``,
  ``status`` (submitting → submitted → done | failed), ``finished_at``, ``attempts`` (one entry per try with its
  id and error) and ``seconds``;
* ``<key>.inputs.npz`` — the parameter bindings of every PUB;
* ``<key>.npz`` — the result arrays (``bits_<i>`` for a sampler PUB ``i``, ``evs_<i>``/``stds_<i>``
  for an estimator PUB), written when the job is done.

The ``key`` is a content hash of backend + device + primitive + ISA circuits + bindings + shots +
observables + seed + mitigation options (`job_key`): running the same computation again — in
this process or another one, after an interruption — finds the finished job and loads its arrays
instead of submitting it again. A record left ``submitted`` by a killed run is re-attached through
``service.job(id)`` on IBM devices; local modes have no such call (their jobs die with the process)
and run it again, with the same seed, hence the same numbers. All writes are atomic.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qdist.backends.cache import (
    atomic_write_json,
    atomic_write_npz,
    cache_dir,
    read_json,
    read_npz,
    sha256,
)

FINAL = ("done", "failed")


def now() -> str:
    """UTC time stamp, ISO 8601 with milliseconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def job_key(**parts) -> str:
    """Content hash (sha256 hex) of the keyword parts, order-independent in the names."""
    return sha256(*[(name, parts[name]) for name in sorted(parts)])


@dataclass
class JobRegistry:
    """Job records under ``root`` (default ``<cache>/jobs``); safe to use from several processes."""

    root: Path | None = None

    def __post_init__(self):
        self.root = Path(self.root) if self.root is not None else cache_dir() / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ paths
    def _record_path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def _result_path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def _inputs_path(self, key: str) -> Path:
        return self.root / f"{key}.inputs.npz"

    # ------------------------------------------------------------------ reading
    def get(self, key: str) -> dict | None:
        """The record with this key, or ``None``."""
        path = self._record_path(key)
        if not path.exists():
            return None
        return read_json(path)

    def records(self) -> list[dict]:
        """Every record, oldest submission first."""
        out = []
        for path in self.root.glob("*.json"):
            try:
                out.append(read_json(path))
            except (OSError, ValueError):  # a file being replaced right now: skip it
                continue
        return sorted(out, key=lambda r: r.get("submitted_at") or "")

    def find(self, job_id: str) -> dict:
        """The record of job ``job_id``: its current id, an earlier attempt's id, the key, or a prefix
        (≥ 8 characters) of one of them."""
        hits = []
        for rec in self.records():
            ids = ({rec.get("id")} | {a.get("id") for a in rec.get("attempts", [])} | {rec["key"]}) - {None}
            if job_id in ids or (len(job_id) >= 8 and any(i.startswith(job_id) for i in ids)):
                hits.append(rec)
        if not hits:
            raise ValueError(f"ID: no job {job_id!r} in the registry {self.root}")
        if len(hits) > 1:
            raise ValueError(f"ID: {job_id!r} matches {len(hits)} jobs; give more characters")
        return hits[0]

    def result(self, key: str) -> dict[str, np.ndarray]:
        """The stored result arrays of a finished job."""
        path = self._result_path(key)
        if not path.exists():
            raise ValueError(f"ID: job {key[:12]} has no stored result (status {self.status_of(key)})")
        return read_npz(path)

    def inputs(self, key: str) -> dict[str, np.ndarray]:
        return read_npz(self._inputs_path(key))

    def status_of(self, key: str) -> str:
        rec = self.get(key)
        return "unknown" if rec is None else rec["status"]

    # ------------------------------------------------------------------ writing
    def submitting(self, key: str, meta: dict, bindings: list[np.ndarray]) -> dict:
        """Record that job ``key`` is about to be submitted (status ``submitting``, no id yet), with its
        inputs: if the process dies between the provider accepting the job and [`submitted`][qdist.backends.JobRegistry.submitted], the
        record says so."""
        rec = self.get(key) or {"key": key, "attempts": []}
        rec.update(meta)
        if not self._inputs_path(key).exists():
            atomic_write_npz(self._inputs_path(key), {f"bindings_{i}": b for i, b in enumerate(bindings)})
        rec.update(status="submitting", finished_at=None, error=None)
        rec.setdefault("id", None)
        rec.setdefault("submitted_at", now())
        atomic_write_json(self._record_path(key), rec)
        return rec

    def submitted(self, key: str, job_id: str) -> dict:
        """Record job ``job_id`` as submitted — before anyone waits for it."""
        rec = self.get(key)
        stamp = now()
        rec.update(id=job_id, status="submitted", submitted_at=stamp, finished_at=None, error=None)
        rec["attempts"].append({"id": job_id, "submitted_at": stamp, "error": None, "pid": os.getpid()})
        atomic_write_json(self._record_path(key), rec)
        return rec

    def done(self, key: str, arrays: dict[str, np.ndarray], seconds: float) -> dict:
        """Store the result arrays, then mark the record done (arrays first: a done record always
        has its arrays)."""
        atomic_write_npz(self._result_path(key), arrays)
        rec = self.get(key)
        rec.update(status="done", finished_at=now(), seconds=float(seconds))
        atomic_write_json(self._record_path(key), rec)
        return rec

    def attempt_failed(self, key: str, error: str, final: bool) -> dict:
        """Note the error of the current attempt; ``final`` marks the record failed."""
        rec = self.get(key)
        if rec["status"] == "submitting" or not rec["attempts"]:  # failed before the provider gave an id
            rec["attempts"].append({"id": None, "submitted_at": now(), "error": None, "pid": os.getpid()})
        rec["attempts"][-1]["error"] = error
        rec["error"] = error
        if final:
            rec.update(status="failed", finished_at=now())
        atomic_write_json(self._record_path(key), rec)
        return rec


__all__ = ["FINAL", "JobRegistry", "job_key", "now"]
