"""JAX's persistent compilation cache in the qdist cache folder, switched on at the first computation.

Compiled programs (the interpreter's one-per-size programs above all, `qdist.sim.interpret`) are
written to ``<cache>/jax`` — ``<cache>`` is ``$QDIST_CACHE`` or ``~/.cache/qdist``
(`qdist.backends.cache.cache_dir`) — so a new process, or another worker of a sweep, loads them
instead of compiling ([the interpreter][interpreter]). Importing qdist changes nothing: the cache is
enabled by the first simulator call, and only if the user has not configured one. Set
``QDIST_COMPILE_CACHE=0`` to keep it off.
"""

from __future__ import annotations

import os
import threading

import jax

__all__ = ["compile_cache_dir", "enable_compile_cache"]

_LOCK = threading.Lock()
_STATE: dict[str, object] = {}


def compile_cache_dir() -> str | None:
    """The folder in use, or ``None`` when the cache is off (not yet enabled, or turned off)."""
    return _STATE.get("dir")  # type: ignore[return-value]


def enable_compile_cache() -> str | None:
    """Point JAX's persistent cache at ``<cache>/jax`` once per process; returns the folder or ``None``."""
    if "done" in _STATE:
        return compile_cache_dir()
    with _LOCK:
        if "done" in _STATE:
            return compile_cache_dir()
        _STATE["done"] = True
        if os.environ.get("QDIST_COMPILE_CACHE", "1").strip().lower() in ("0", "false", "off", "no"):
            return None
        if jax.config.jax_compilation_cache_dir:  # the user's own choice wins
            _STATE["dir"] = jax.config.jax_compilation_cache_dir
            return compile_cache_dir()
        from qdist.io import cache_dir

        try:
            path = cache_dir() / "jax"
            path.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError):
            return None  # an unusable cache folder only costs compile time
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        _STATE["dir"] = str(path)
        return compile_cache_dir()
