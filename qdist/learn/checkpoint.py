"""Atomic training checkpoints: parameters, optimiser state, PRNG position, ledger totals, history.

A checkpoint is one ``.npz`` file written through a temporary file in the same folder and
``os.replace`` (`qdist.network.ledger.atomic_write_bytes`), so a crash mid-write leaves the
previous checkpoint intact. Arrays are stored bit for bit (float64 parameters, the optimiser's
moment estimates and step count); everything else (epoch, PRNG position, exact integer ledger
totals, history, the run's fingerprint) is JSON in the ``__meta__`` entry.

Pytrees (parameters, optax states) are stored as their leaves in order; `restore_tree` puts
them back into the structure of a freshly initialised template, checking count, shapes and dtypes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jax
import numpy as np

from qdist.io import atomic_write_bytes


def write_bytes(path, data: bytes) -> Path:
    """`atomic_write_bytes`, then the usual permissions (0666 minus the umask) instead of the
    temporary file's 0600, so that reports can be read by others."""
    import os

    p = atomic_write_bytes(path, data)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(p, 0o666 & ~mask)
    return p


FORMAT = "qdist-checkpoint-v1"


def tree_arrays(prefix: str, tree) -> dict[str, np.ndarray]:
    """``{prefix/0: leaf0, prefix/1: leaf1, …}`` as numpy arrays (exact copies)."""
    return {f"{prefix}/{i}": np.asarray(leaf) for i, leaf in enumerate(jax.tree_util.tree_leaves(tree))}


def restore_tree(prefix: str, arrays: dict[str, np.ndarray], template):
    """Rebuild a pytree shaped like ``template`` from `tree_arrays` output."""
    leaves, treedef = jax.tree_util.tree_flatten(template)
    stored = sorted((k for k in arrays if k.startswith(prefix + "/")), key=lambda k: int(k.rsplit("/", 1)[1]))
    if len(stored) != len(leaves):
        raise ValueError(
            f"resume: checkpoint has {len(stored)} arrays for {prefix!r}, expected {len(leaves)}"
        )
    out = []
    for key, ref in zip(stored, leaves, strict=True):
        a = arrays[key]
        ref = np.asarray(ref)
        if a.shape != ref.shape or a.dtype != ref.dtype:
            raise ValueError(
                f"resume: checkpoint array {key} has shape {a.shape} {a.dtype}, expected {ref.shape} {ref.dtype}"
            )
        out.append(jax.numpy.asarray(a))
    return jax.tree_util.tree_unflatten(treedef, out)


def save_checkpoint(path, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    """Write arrays and JSON metadata atomically to ``path``."""
    buf = io.BytesIO()
    blob = np.frombuffer(json.dumps({"format": FORMAT, **meta}).encode("utf-8"), dtype=np.uint8)
    np.savez(buf, __meta__=blob, **arrays)
    return write_bytes(path, buf.getvalue())


_ZIP_MAGIC = b"PK\x03\x04"


def load_checkpoint(path) -> tuple[dict[str, np.ndarray], dict]:
    """``(arrays, meta)`` from `save_checkpoint`; a missing, empty, truncated or foreign file is a
    one-line ``ValueError("resume: …")`` naming the file (never numpy's pickle advice)."""
    p = Path(path)
    fix = "delete it (or use another --out) to start fresh"
    try:
        with open(p, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ValueError(f"resume: cannot read checkpoint {p} ({exc.strerror or exc})") from None
    if not head:
        raise ValueError(f"resume: checkpoint {p} is empty (a run killed while writing it?); {fix}")
    if head != _ZIP_MAGIC:
        raise ValueError(f"resume: {p} is not a qdist checkpoint (not an .npz archive); {fix}")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(arrays.pop("__meta__").tobytes().decode("utf-8")) if "__meta__" in arrays else None
    except Exception as exc:  # noqa: BLE001 - BadZipFile, EOFError, zlib.error, bad JSON: all "damaged"
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}" if str(exc) else type(exc).__name__
        raise ValueError(f"resume: checkpoint {p} is damaged ({reason}); {fix}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"resume: {p} is not a qdist checkpoint (no metadata); {fix}")
    if meta.get("format") != FORMAT:
        raise ValueError(f"resume: {p} has format {meta.get('format')!r}, expected {FORMAT!r}")
    return arrays, meta


__all__ = ["load_checkpoint", "restore_tree", "save_checkpoint", "tree_arrays", "write_bytes"]
