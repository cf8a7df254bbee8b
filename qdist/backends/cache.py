"""The on-disk cache: ``$QDIST_CACHE`` or ``~/.cache/qdist`` (noise models, job registry).

Every file is written atomically — a temporary file in the same folder, ``fsync``, then
``os.replace`` — so that a reader in another process sees the old file or the new one, never half
of one, and a run killed mid-write leaves no corrupt entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from pathlib import Path

import numpy as np

from qdist.io import atomic_write_bytes, cache_dir  # noqa: F401 (re-exported)


def atomic_write_json(path, obj) -> Path:
    return atomic_write_bytes(path, json.dumps(obj, indent=1, default=_jsonable).encode())


def atomic_write_npz(path, arrays: dict) -> Path:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def atomic_write_pickle(path, obj) -> Path:
    return atomic_write_bytes(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def read_json(path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def read_npz(path) -> dict:
    with np.load(Path(path), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def sha256(*parts) -> str:
    """Hex digest of the parts (bytes, str, numpy arrays or JSON-able objects) in order."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, bytes):
            h.update(p)
        elif isinstance(p, str):
            h.update(p.encode())
        elif isinstance(p, np.ndarray):
            a = np.ascontiguousarray(p)
            h.update(str((a.dtype.str, a.shape)).encode())
            h.update(a.tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=_jsonable).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (complex, np.complexfloating)):
        return [float(x.real), float(x.imag)]
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON-serialisable: {type(x).__name__}")
