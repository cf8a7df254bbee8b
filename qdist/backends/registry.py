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

**Damaged records** (a record file cut short, emptied or overwritten by something else) never hide a
job nor stop a run: `damaged` lists them with their file name; a damaged record whose result file
is intact is still found by `find` (by its key) and fetched; and `lookup` — what a run asks before
submitting — moves the damaged file aside (``<key>.json.damaged``) and either recovers the job from
its intact result or lets it run again.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
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


class DamagedRecord(ValueError):
    """A record file that is not a readable job record; the message names the file."""


def _check_record(rec, path: Path) -> dict:
    if not isinstance(rec, dict) or not isinstance(rec.get("key"), str) or "status" not in rec:
        raise DamagedRecord(f"registry: {path} is damaged (not a job record: no key or status)")
    return rec


def read_record(path: Path) -> dict:
    """The record in ``path``; `DamagedRecord` (one line naming the file) if it cannot be read."""
    try:
        rec = read_json(path)
    except UnicodeDecodeError:
        raise DamagedRecord(f"registry: {path} is damaged (not text)") from None
    except ValueError as exc:
        raise DamagedRecord(f"registry: {path} is damaged ({str(exc).splitlines()[0] or 'empty'})") from None
    return _check_record(rec, path)


def _salvage_id(path: Path) -> str | None:
    """The job id still legible in a damaged record file, if any."""
    try:
        text = path.read_bytes()[:100_000].decode("utf-8", "replace")
    except OSError:
        return None
    m = re.search(r'"id":\s*"([^"]+)"', text)
    return m.group(1) if m else None


@dataclass
class JobRegistry:
    """Job records under ``root`` (default ``<cache>/jobs``); safe to use from several processes.

    ``create=False`` (read-only use: ``qdist jobs``) never creates the folder; a registry folder
    that does not exist then simply holds no jobs."""

    root: Path | None = None
    create: bool = True

    def __post_init__(self):
        if self.root is None:
            self.root = cache_dir(create=self.create) / "jobs"
        self.root = Path(self.root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"registry: {self.root} is a file, expected a folder")
        if self.create:
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
        """The record with this key, or ``None``; `DamagedRecord` if its file is damaged."""
        path = self._record_path(key)
        if not path.exists():
            return None
        return read_record(path)

    def _paths(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob("*.json") if not p.name.startswith("."))

    def records(self) -> list[dict]:
        """Every readable record, oldest submission first (damaged ones: `damaged`)."""
        out = []
        for path in self._paths():
            try:
                out.append(read_record(path))
            except (OSError, ValueError):  # damaged, or being replaced right now
                continue
        return sorted(out, key=lambda r: r.get("submitted_at") or "")

    def damaged(self) -> list[dict]:
        """Every damaged record file: ``{"key", "file", "error", "status": "damaged",
        "result_intact"}`` — ``result_intact``: its result arrays can still be read (and fetched)."""
        out = []
        for path in self._paths():
            try:
                read_record(path)
            except DamagedRecord as exc:
                key = path.stem
                out.append(
                    {
                        "key": key,
                        "id": _salvage_id(path),
                        "file": str(path),
                        "error": str(exc),
                        "status": "damaged",
                        "backend": "?",
                        "primitive": "?",
                        "task": None,
                        "result_intact": self.result_intact(key),
                    }
                )
            except OSError:
                continue
        return out

    def result_intact(self, key: str) -> bool:
        """True if the result arrays of ``key`` exist and can be read."""
        path = self._result_path(key)
        if not path.is_file():
            return False
        try:
            read_npz(path)
        except Exception:  # noqa: BLE001 - truncated, not a zip, bad member: damaged
            return False
        return True

    def find(self, job_id: str) -> dict:
        """The record of job ``job_id``: its current id, an earlier attempt's id, the key, or a prefix
        (at least 8 characters) of one of them. A damaged record is found by its key."""
        if not isinstance(job_id, str) or not job_id:
            raise ValueError(f"ID: expected a job id or a key prefix (≥ 8 characters), got {job_id!r}")
        hits = []
        for rec in self.records() + self.damaged():
            ids = ({rec.get("id")} | {a.get("id") for a in rec.get("attempts", [])} | {rec["key"]}) - {None}
            if job_id in ids or (len(job_id) >= 8 and any(i.startswith(job_id) for i in ids)):
                hits.append(rec)
        if not hits:
            hint = f"; a prefix must have at least 8 characters, got {len(job_id)}" if len(job_id) < 8 else ""
            where = "" if self.root.is_dir() else " (the folder does not exist)"
            raise ValueError(f"ID: no job {job_id!r} in the registry {self.root}{where}{hint}")
        if len(hits) > 1:
            raise ValueError(f"ID: {job_id!r} matches {len(hits)} jobs; give more characters")
        return hits[0]

    def lookup(self, key: str) -> tuple[dict | None, str | None]:
        """``(record or None, note)`` for a run about to submit job ``key``. A damaged record is
        moved aside to ``<key>.json.damaged``; if the result arrays are intact the record is rebuilt
        as done (the job is not run again), else the job runs again. ``note`` says which."""
        try:
            return self.get(key), None
        except DamagedRecord as exc:
            path = self._record_path(key)
            job_id = _salvage_id(path)
            aside = path.with_name(path.name + ".damaged")
            os.replace(path, aside)
            if not self.result_intact(key):
                return None, f"{exc}; moved to {aside.name}, the job runs again"
            rec = {"key": key, "id": job_id or f"recovered-{key[:12]}", "attempts": []}
            rec.update(status="done", submitted_at=now(), finished_at=now(), recovered_from=aside.name)
            atomic_write_json(path, rec)
            return rec, f"{exc}; moved to {aside.name}, its intact result is used"

    def result(self, key: str) -> dict[str, np.ndarray]:
        """The stored result arrays of a finished job."""
        path = self._result_path(key)
        if not path.exists():
            raise ValueError(f"ID: job {key[:12]} has no stored result (status {self.status_of(key)})")
        return read_npz(path)

    def inputs(self, key: str) -> dict[str, np.ndarray]:
        return read_npz(self._inputs_path(key))

    def status_of(self, key: str) -> str:
        try:
            rec = self.get(key)
        except DamagedRecord:
            return "damaged"
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


__all__ = ["FINAL", "DamagedRecord", "JobRegistry", "job_key", "now", "read_record"]
