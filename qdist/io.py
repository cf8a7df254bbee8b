"""Atomic file writes: nothing written is lost or half-written.

Every result file of qdist goes through `atomic_write_bytes`: the data is written to a
temporary file in the destination folder, flushed and fsynced, then renamed over the target with
``os.replace`` — a reader in another process sees the old file or the new one, never a torn one.
Files are left world-readable (``mkstemp`` alone would leave them 0600). `output_lock` keeps a
second concurrent run from writing into the same output folder.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    os.chmod(tmp, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    """UTF-8 text, atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, payload, **dump_kwargs) -> Path:
    """JSON (indent 2 unless given), atomically."""
    dump_kwargs.setdefault("indent", 2)
    return atomic_write_text(path, json.dumps(payload, **dump_kwargs))


def atomic_savez(path, **arrays) -> Path:
    """A compressed ``.npz`` of ``arrays``, atomically."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())


class OutputLocked(ValueError):
    """Another process holds the lock of an output folder (see `output_lock`)."""


LOCK_NAME = ".qdist.lock"


@contextlib.contextmanager
def output_lock(folder, name: str = "out") -> Iterator[Path]:
    """Hold the lock of output ``folder`` (``folder/.qdist.lock``, an exclusive ``flock``) while
    writing into it; a second concurrent writer gets `OutputLocked` — one line naming ``name``, the
    folder and the process that holds it. The kernel releases the lock when its process dies, so a
    killed run leaves no stale lock; a clean release removes the file. Without ``fcntl`` (Windows) the
    folder is not locked."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield path
        return
    while True:
        fh = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise OutputLocked(
                f"{name}: {folder} is being written by another qdist run ({holder}); "
                f"wait for it to finish or choose another {name}"
            ) from None
        try:  # the file we locked may have been removed by the holder's release meanwhile: retry
            if os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        fh.close()
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        fh.close()


def cache_dir(create: bool = True) -> Path:
    """``$QDIST_CACHE`` if set, else ``~/.cache/qdist`` (created on first use unless ``create`` is
    false); a one-line ``ValueError`` naming ``QDIST_CACHE`` when that path is a file."""
    env = os.environ.get("QDIST_CACHE")
    path = Path(env or os.path.join(os.path.expanduser("~"), ".cache", "qdist"))
    if path.exists() and not path.is_dir():
        name = "QDIST_CACHE" if env else "cache"
        raise ValueError(f"{name}: {path} is a file, expected a folder")
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
