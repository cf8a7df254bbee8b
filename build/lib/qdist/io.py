"""Atomic file writes: nothing written is lost or half-written.

Every result file of qdist goes through `atomic_write_bytes`: the data is written to a
temporary file in the destination folder, flushed and fsynced, then renamed over the target with
``os.replace`` — a reader in another process sees the old file or the new one, never a torn one.
Files are left world-readable (``mkstemp`` alone would leave them 0600).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
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
