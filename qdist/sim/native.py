"""The interpreter's block kernels in C++, called from compiled programs as XLA FFI custom calls.

XLA's CPU backend runs a two-wire block with a *traced* wire pair as two gathers at 2–5 GB/s; the
kernels in ``kernels.cc`` take the pair as a runtime argument, walk the state in place (the output
aliases the input) and stream it at the machine's memory bandwidth ([the interpreter][interpreter]):

* ``apply4(psi, m, hi, lo)``: ``ψ'[b + o_k] = Σ_c m_{kc} ψ[b + o_c]``, ``o = (0, 2^lo, 2^hi,
  2^hi + 2^lo)``, for every index ``b`` with zeros at bits ``hi > lo``;
* ``adjoint4(psi, lam, m, hi, lo)``: one step of the adjoint sweep in one pass over both states,
  ``ψ' = mψ``, ``λ' = mλ`` and ``G_{cr} = Σ_b ψ'_{b+o_c} λ^*_{b+o_r}`` (``λ`` before its update);
* `sweep` and `adjoint_sweep`: the same over a whole table of blocks in one call (no per-block
  dispatch: what small registers are bound by);
* `block_matrices` and `block_gradient` (``matrices.cc``): the blocks ``B_i = M_{i,K−1} ⋯ M_{i,0}``
  from the angles and the fused derivative reduction ``∂/∂θ Σ_i 2 Re tr(B_i(θ) G_i)`` by prefix and
  suffix products, ``∂ tr(B G)/∂φ_j = tr(M'_j P_{j−1} G S_j)`` — XLA spends more on these
  ``4 × 4`` products than on the state at n ≤ 10.

States larger than a core's L2 cache split each block over the threads (``QDIST_THREADS``, default:
all cores); smaller ones run on one thread, a batch of them one state per thread. The work is cut into a fixed number of parts whatever the
thread count and ``G``'s partial sums are added in part order, so results do not depend on it.

The library is compiled once per machine with the system C++ compiler (``$CXX``, else ``c++``)
against jaxlib's FFI headers into ``<cache>/native/`` (see `_library_dirs`; file name: a digest of
the sources, the flags, jaxlib's version and the CPU) — `build` does it ahead of time, as ``make setup`` does. Without a
compiler, or with ``QDIST_NATIVE=0``, `available` is false and the interpreter keeps its gathers
(same numbers to rounding, slower). Nothing happens at import.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

import jax
import jax.numpy as jnp

__all__ = [
    "adjoint4",
    "adjoint_sweep",
    "apply4",
    "available",
    "block_gradient",
    "block_matrices",
    "build",
    "custom_calls",
    "status",
    "sweep",
]

_SOURCES = tuple(Path(__file__).with_name(name) for name in ("kernels.cc", "matrices.cc"))
_HEADERS = tuple(
    Path(__file__).with_name(name) for name in ("parts.h", "runs.h", "simd.h", "sweeps.h", "tiles.h")
)
#: every file the library is built from (its name's digest; programs.py's cache key)
KERNEL_FILES = _SOURCES + _HEADERS
_FLAGS = (
    "-O3",
    "-march=native",
    "-fno-math-errno",
    "-fassociative-math",
    "-fno-signed-zeros",
    "-fno-trapping-math",
    "-fcx-limited-range",
    "-std=c++17",
    "-shared",
    "-fPIC",
)
_TARGETS = tuple(
    f"qdist_{op}_{t}" for op in ("apply4", "adjoint4", "sweep", "adjoint_sweep") for t in ("c128", "c64")
) + ("qdist_block_matrices", "qdist_block_gradient")
_LOCK = threading.Lock()
_STATE: dict[str, object] = {}


def _cpu() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        return next((line for line in text.splitlines() if line.startswith("flags")), platform.processor())
    except OSError:
        return platform.processor()


def _library_name() -> str:
    from importlib.metadata import version

    h = hashlib.sha256(b"".join(src.read_bytes() for src in KERNEL_FILES))
    h.update(repr((_FLAGS, version("jaxlib"), platform.machine(), _cpu())).encode())
    return f"qdist_kernels_{h.hexdigest()[:16]}.so"


def _library_dirs() -> list[Path]:
    """Where the library is looked for, the first one being where it is built:
    ``$QDIST_NATIVE_DIR`` alone if set, else ``<cache>/native`` then ``~/.cache/qdist/native`` (a
    build made by ``make setup`` serves processes run with another ``QDIST_CACHE``)."""
    env = os.environ.get("QDIST_NATIVE_DIR")
    if env:
        return [Path(env)]
    from qdist.io import cache_dir

    default = Path(os.path.expanduser("~")) / ".cache" / "qdist" / "native"
    return list(dict.fromkeys([cache_dir() / "native", default]))


def _compile(target: Path) -> None:
    """Each source compiled in its own process (in parallel), then linked; the library appears
    atomically (concurrent builders each write their own temporary files)."""
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if not cxx:
        raise RuntimeError("no C++ compiler (set CXX or install g++)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        objects = [str(Path(tmp) / f"{src.stem}.o") for src in _SOURCES]
        jobs = [
            subprocess.Popen(
                [cxx, *_FLAGS, "-c", f"-I{jax.ffi.include_dir()}", str(src), "-o", obj],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for src, obj in zip(_SOURCES, objects, strict=True)
        ]
        errors = [job.communicate()[1] for job in jobs]
        if any(job.returncode for job in jobs):
            lines = [ln for err in errors for ln in err.splitlines() if "error" in ln] or ["compile failed"]
            raise RuntimeError(f"{cxx} failed: {lines[0].strip()}")
        linked = str(Path(tmp) / "lib.so")
        done = subprocess.run(
            [cxx, *_FLAGS, *objects, "-o", linked], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{cxx} failed to link: exit {done.returncode}")
        os.replace(linked, target)


def build() -> Path:
    """Compile (if not yet) and register the kernels; returns the library's path. Raises
    ``RuntimeError`` with a one-line reason when it cannot."""
    with _LOCK:
        if "path" in _STATE:
            return _STATE["path"]  # type: ignore[return-value]
        if "error" in _STATE:
            raise RuntimeError(str(_STATE["error"]))
        name, dirs = _library_name(), _library_dirs()
        path = next((d / name for d in dirs if (d / name).exists()), dirs[0] / name)
        if not path.exists():
            _compile(path)
        lib = ctypes.cdll.LoadLibrary(str(path))
        for name in _TARGETS:
            jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(getattr(lib, name)), platform="cpu")
        _STATE["path"] = path
        return path


def available() -> bool:
    """True when the kernels are built and registered (built on the first call unless
    ``QDIST_NATIVE=0``); a failed build is remembered for the process (see `status`)."""
    if "path" in _STATE:
        return True
    if "error" in _STATE:
        return False
    if os.environ.get("QDIST_NATIVE", "1").strip().lower() in ("0", "false", "off", "no"):
        _STATE["error"] = "switched off by QDIST_NATIVE"
        return False
    try:
        build()
        return True
    except (RuntimeError, OSError, ValueError, AttributeError) as exc:
        _STATE["error"] = str(exc)
        return False


def status() -> str:
    """One line: the library in use, or why the interpreter runs without it."""
    if available():
        return f"native kernels: {_STATE['path']}"
    return f"native kernels off: {_STATE['error']}"


def custom_calls() -> tuple[str, ...]:
    """The FFI target names the kernels register (exported programs may call them)."""
    return _TARGETS


def _suffix(dtype) -> str:
    if dtype == jnp.complex128:
        return "c128"
    if dtype == jnp.complex64:
        return "c64"
    raise ValueError(f"psi: expected complex64 or complex128, got {dtype}")


@lru_cache(maxsize=8)
def _apply_call(suffix: str, shape: tuple, dtype):
    out = jax.ShapeDtypeStruct(shape, dtype)
    return jax.ffi.ffi_call(
        f"qdist_apply4_{suffix}", out, vmap_method="broadcast_all", input_output_aliases={0: 0}
    )


@lru_cache(maxsize=8)
def _adjoint_call(suffix: str, shape: tuple, dtype):
    state, g = jax.ShapeDtypeStruct(shape, dtype), jax.ShapeDtypeStruct(shape[:-1] + (4, 4), dtype)
    return jax.ffi.ffi_call(
        f"qdist_adjoint4_{suffix}",
        (state, state, g),
        vmap_method="broadcast_all",
        input_output_aliases={0: 0, 1: 1},
    )


def apply4(psi, m, hi, lo):
    """``(m on state-index bits hi > lo) ψ``: ``psi`` ``(2ⁿ,)`` complex, ``m`` ``(4, 4)`` (cast to
    the state's dtype), ``hi``, ``lo`` int32 scalars (may be traced) → ``(2ⁿ,)``."""
    suffix = _suffix(psi.dtype)
    build()  # at trace time: registers the targets on first use
    call = _apply_call(suffix, psi.shape, psi.dtype)
    return call(psi, m.astype(psi.dtype), jnp.asarray(hi, jnp.int32), jnp.asarray(lo, jnp.int32))


def adjoint4(psi, lam, m, hi, lo):
    """``(mψ, mλ, G)``, ``G_{cr} = Σ_b (mψ)_{b+o_c} λ^*_{b+o_r}`` → ``(2ⁿ,)``, ``(2ⁿ,)``, ``(4, 4)``."""
    suffix = _suffix(psi.dtype)
    build()
    call = _adjoint_call(suffix, psi.shape, psi.dtype)
    return call(psi, lam, m.astype(psi.dtype), jnp.asarray(hi, jnp.int32), jnp.asarray(lo, jnp.int32))


@lru_cache(maxsize=8)
def _sweep_call(suffix: str, shape: tuple, dtype):
    out = jax.ShapeDtypeStruct(shape, dtype)
    return jax.ffi.ffi_call(
        f"qdist_sweep_{suffix}", out, vmap_method="broadcast_all", input_output_aliases={0: 0}
    )


@lru_cache(maxsize=8)
def _adjoint_sweep_call(suffix: str, shape: tuple, blocks: int, dtype):
    state, gs = jax.ShapeDtypeStruct(shape, dtype), jax.ShapeDtypeStruct(shape[:-1] + (blocks, 4, 4), dtype)
    return jax.ffi.ffi_call(
        f"qdist_adjoint_sweep_{suffix}",
        (state, state, gs),
        vmap_method="broadcast_all",
        input_output_aliases={0: 0, 1: 1},
    )


def sweep(psi, mats, pair, ref, count):
    """``B_{ref[count−1]} ⋯ B_{ref[0]} ψ``, block ``r`` the matrix ``mats[r]`` on bits ``pair[r]``.

    ``psi`` ``(2ⁿ,)``, ``mats`` ``(NB, 4, 4)``, ``pair`` ``(NB, 2)`` int32 ``(hi, lo)``, ``ref``
    ``(NI,)`` int32, ``count`` int32 scalar ``≤ NI`` → ``(2ⁿ,)``."""
    suffix = _suffix(psi.dtype)
    build()
    call = _sweep_call(suffix, psi.shape, psi.dtype)
    return call(psi, mats.astype(psi.dtype), *_int32(pair, ref, count))


def adjoint_sweep(psi, lam, mats, pair, ref, count):
    """The adjoint sweep from the last item back: ``ψ ← m ψ``, ``G_{ref[i]} = Σ_rest ψ_c λ_r^*``,
    ``λ ← m λ`` with ``m = mats[ref[i]]`` (pass the daggers ``B†``) → ``(ψ, λ, gs (NB, 4, 4))``;
    rows of ``gs`` no item refers to are zero."""
    suffix = _suffix(psi.dtype)
    build()
    call = _adjoint_sweep_call(suffix, psi.shape, mats.shape[-3], psi.dtype)
    return call(psi, lam, mats.astype(psi.dtype), *_int32(pair, ref, count))


def _int32(*xs):
    return tuple(jnp.asarray(x, jnp.int32) for x in xs)


def block_matrices(params, basis, index, coeff, offset):
    """``B_i = M_{i,K−1} ⋯ M_{i,0}``, ``M_{ij} = Σ_f f_f(coeff·θ[index] + offset) basis_{ijf}``:
    ``params`` ``(P,)`` float64, ``basis`` ``(NB, K, 5, 4, 4)`` complex128, ``index`` ``(NB, K)``,
    ``coeff``, ``offset`` ``(NB, K)`` → ``(NB, 4, 4)`` complex128 (as ``interpret.block_matrices``)."""
    build()
    out = jax.ShapeDtypeStruct(params.shape[:-1] + (basis.shape[-5], 4, 4), jnp.complex128)
    call = jax.ffi.ffi_call("qdist_block_matrices", out, vmap_method="expand_dims")
    return call(params.astype(jnp.float64), basis, index.astype(jnp.int32), coeff, offset)


def block_gradient(params, basis, index, coeff, offset, gs):
    """``∂/∂θ Σ_i 2 Re tr(B_i(θ) G_i)`` → ``(P,)`` float64; ``gs`` ``(NB, 4, 4)`` complex128."""
    build()
    out = jax.ShapeDtypeStruct(
        jnp.broadcast_shapes(params.shape[:-1], gs.shape[:-3]) + params.shape[-1:], jnp.float64
    )
    call = jax.ffi.ffi_call("qdist_block_gradient", out, vmap_method="expand_dims")
    return call(
        params.astype(jnp.float64), basis, index.astype(jnp.int32), coeff, offset, gs.astype(jnp.complex128)
    )
