"""The interpreter's programs as serialized exports next to the compile cache: no tracing in a new process.

JAX's persistent cache (`qdist.sim.jaxcache`) skips XLA's compile, but every process still traces
and lowers each program (~0.3–0.6 s per interpreter program, a few dozen programs in a sweep). Here
the first process to need a program exports it (`jax.export`: traced and lowered once), writes the
serialized export atomically to ``<cache>/jax/programs/<digest>.bin`` and runs it through
``jax.jit(exported.call)``, whose compile goes to the persistent cache; every later process — or
the other workers of a sweep — deserializes it and loads the compiled code: no tracing, no
lowering of the program's body ([the interpreter][interpreter]).

The file name digests the program's name and argument shapes and dtypes, the JAX version and the
source of the modules the programs are made of, so an edited interpreter never loads a stale
program. A file that does not deserialize is written again. With the compile cache off
(``QDIST_COMPILE_CACHE=0``) the programs are called directly.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import jax
import numpy as np

__all__ = ["call"]

_LOCK = threading.Lock()
_LOADED: dict[tuple, Callable] = {}
_SOURCES = ("interpret.py", "stages.py", "blocks.py", "programs.py", "native.py")


@lru_cache(maxsize=1)
def _code_digest() -> str:
    from importlib.metadata import version

    from qdist.sim.native import KERNEL_FILES

    h = hashlib.sha256(f"{jax.__version__}/{version('jaxlib')}".encode())
    here = Path(__file__).resolve().parent
    for path in (*(here / name for name in _SOURCES), *KERNEL_FILES):
        h.update(path.read_bytes())
    return h.hexdigest()


def _signature(args) -> tuple:
    leaves, tree = jax.tree_util.tree_flatten(args)
    return str(tree), tuple((np.shape(x), _dtype(x)) for x in leaves)


def _dtype(x) -> np.dtype:
    """The leaf's dtype (hashable, a stable repr; ``.name`` costs ~8 µs a leaf per call)."""
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(x).dtype


def _path(name: str, signature: tuple) -> Path | None:
    from qdist.sim.jaxcache import compile_cache_dir

    folder = compile_cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(repr((name, signature, _code_digest())).encode()).hexdigest()[:40]
    return Path(folder) / "programs" / f"{digest}.bin"


def _load_or_export(path: Path, fn: Callable, args) -> Callable:
    from jax import export

    from qdist.io import atomic_write_bytes

    try:
        return jax.jit(export.deserialize(bytearray(path.read_bytes())).call)
    except Exception:  # noqa: BLE001 - missing, truncated or foreign bytes: export it (again)
        pass
    from qdist.sim.native import custom_calls

    checks = [export.DisabledSafetyCheck.custom_call(name) for name in custom_calls()]
    exported = export.export(fn, disabled_checks=checks)(*args)
    try:
        atomic_write_bytes(path, exported.serialize())
    except OSError:
        pass  # an unwritable cache only costs the next process its tracing
    return jax.jit(exported.call)


def call(name: str, fn: Callable, *args):
    """``fn(*args)`` for a jitted, shape-static ``fn`` whose identity is ``name`` (plus the shapes
    and dtypes of ``args``), through its serialized export when the compile cache is on."""
    signature = _signature(args)
    key = (name, signature)
    runner = _LOADED.get(key)
    if runner is None:
        path = _path(name, signature)
        if path is None:
            return fn(*args)
        with _LOCK:
            runner = _LOADED.get(key)
            if runner is None:
                if len(_LOADED) >= 512:
                    _LOADED.clear()
                runner = _LOADED[key] = _load_or_export(path, fn, args)
    return runner(*args)
