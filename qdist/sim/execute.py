"""Validated, compiled and batched execution: the entry points behind ``qdist.expval`` and ``qdist.state``.

Compiled functions are cached by the content fingerprint of (circuit, observable, dtype, batching),
so calling [`expval`][qdist.expval] again on an equal circuit does not retrace.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.precision import x64
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable
from qdist.sim.simulate import make_expval_fn, make_state_fn
from qdist.sim.states import as_state

DTYPES = {"complex128": jnp.complex128, "complex64": jnp.complex64}

_CIRCUITS: dict[str, Circuit] = {}
_OBSERVABLES: dict[str, Observable] = {}


def resolve_dtype(dtype) -> jnp.dtype:
    if dtype is None:
        return jnp.complex128
    key = np.dtype(dtype).name
    if key not in DTYPES:
        raise ValueError(f"dtype: expected 'complex128' or 'complex64', got {dtype!r}")
    return DTYPES[key]


def _is_traced(*xs) -> bool:
    return any(isinstance(x, jax.core.Tracer) for x in xs)


def check_params(circuit: Circuit, params) -> jnp.ndarray:
    """Validate the parameter vector (or batch ``(B, P)``) against the circuit."""
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    raw = params if params is not None else np.zeros(circuit.num_params)
    p = jnp.asarray(raw, dtype=jnp.float64) if _is_traced(raw) else np.asarray(raw, dtype=np.float64)
    if p.ndim not in (1, 2) or p.shape[-1] != circuit.num_params:
        raise ValueError(
            f"params: expected shape ({circuit.num_params},) or (B, {circuit.num_params}), got {tuple(p.shape)}"
        )
    if not _is_traced(p) and not np.all(np.isfinite(p)):
        raise ValueError("params: expected finite values, got NaN or inf")
    return p


def check_observable(circuit: Circuit, observable: Observable) -> None:
    if not isinstance(observable, Observable):
        raise TypeError(f"observable: expected a qdist Observable, got {type(observable).__name__}")
    if observable.max_wire >= circuit.num_qubits:
        raise ValueError(
            f"observable: acts on wire {observable.max_wire}, but the circuit has {circuit.num_qubits} qubits"
        )


def check_data(circuit: Circuit, data) -> jnp.ndarray:
    if data is None:
        if circuit.num_data:
            raise ValueError(
                f"data: the circuit has data re-upload ops and needs data of length {circuit.num_data}"
            )
        return _EMPTY
    d = jnp.asarray(data, dtype=jnp.float64) if _is_traced(data) else np.asarray(data, dtype=np.float64)
    if d.ndim not in (1, 2) or d.shape[-1] != circuit.num_data:
        raise ValueError(
            f"data: expected shape ({circuit.num_data},) or (B, {circuit.num_data}), got {tuple(d.shape)}"
        )
    if not _is_traced(d) and not np.all(np.isfinite(d)):
        raise ValueError("data: expected finite values, got NaN or inf")
    return d


_EMPTY = np.zeros(0)


@lru_cache(maxsize=64)
def _zero_state(num_qubits: int, dtype) -> np.ndarray:
    """``|0…0⟩`` as a read-only numpy constant (safe to cache: never a tracer)."""
    s = np.zeros(2**num_qubits, dtype=np.dtype(dtype))
    s[0] = 1.0
    s.flags.writeable = False
    return s


@lru_cache(maxsize=512)
def _compiled(kind: str, circ_fp: str, obs_fp: str | None, axes: tuple, dtype_name: str):
    circuit = _CIRCUITS[circ_fp]
    if kind == "expval":
        f = make_expval_fn(circuit, _OBSERVABLES[obs_fp])
    elif kind == "grad":
        f = jax.value_and_grad(make_expval_fn(circuit, _OBSERVABLES[obs_fp]))
    else:
        f = make_state_fn(circuit)
    if any(a is not None for a in axes):
        f = jax.vmap(f, in_axes=axes)
    return jax.jit(f)


def _batch_axes(params, state, data) -> tuple:
    axes = tuple(0 if x.ndim == 2 else None for x in (params, state, data))
    sizes = {x.shape[0] for x, a in zip((params, state, data), axes, strict=True) if a == 0}
    if len(sizes) > 1:
        raise ValueError(
            f"batch: params, state and data batches must have the same length, got {sorted(sizes)}"
        )
    return axes


def _prepare_call(circuit, params, observable, state, data, dtype):
    dt = resolve_dtype(dtype)
    p = check_params(circuit, params)
    if observable is not None:
        check_observable(circuit, observable)
    s = _zero_state(circuit.num_qubits, dt) if state is None else as_state(state, circuit.num_qubits, dt)
    d = check_data(circuit, data)
    for table in (_CIRCUITS, _OBSERVABLES):  # bounded: only needed until `_compiled` has built
        if len(table) > 1024:
            table.clear()
    _CIRCUITS.setdefault(circuit.fingerprint, circuit)
    if observable is not None:
        _OBSERVABLES.setdefault(observable.fingerprint, observable)
    return p, s, d, dt


def _out(x):
    if _is_traced(x):
        return x
    arr = np.asarray(x)
    return float(arr) if arr.ndim == 0 else arr


@x64
def expval(circuit: Circuit, params, observable: Observable, *, state=None, data=None, dtype=None):
    """``f(θ) = ⟨ψ|U(θ)† O U(θ)|ψ⟩`` on the exact simulator ([the model][compositional-model]).

    ``params`` ``(P,)`` or ``(B, P)``; ``state`` (default ``|0…0⟩``) ``(2ⁿ,)`` or ``(B, 2ⁿ)``;
    ``data`` for data re-upload ops ``(D,)`` or ``(B, D)``. Batched axes are mapped together.
    Returns a float, or an array for batches (JAX arrays when called under a JAX transform).
    """
    p, s, d, dt = _prepare_call(circuit, params, observable, state, data, dtype)
    if _is_traced(p, s, d):
        f = make_expval_fn(circuit, observable)
        axes = _batch_axes(p, s, d)
        return (jax.vmap(f, in_axes=axes) if any(a is not None for a in axes) else f)(p, s, d)
    f = _compiled(
        "expval",
        circuit.fingerprint,
        observable.fingerprint,
        _batch_axes(p, s, d),
        np.dtype(dt).name,
    )
    return _out(f(p, s, d))


@x64
def value_and_grad(circuit: Circuit, params, observable: Observable, *, state=None, data=None, dtype=None):
    """``(f(θ), ∇_θ f(θ))`` by the adjoint sweep; batches give arrays of both."""
    p, s, d, dt = _prepare_call(circuit, params, observable, state, data, dtype)
    f = _compiled(
        "grad", circuit.fingerprint, observable.fingerprint, _batch_axes(p, s, d), np.dtype(dt).name
    )
    val, g = f(p, s, d)
    return _out(val), np.asarray(g)


@x64
def state(circuit: Circuit, params=None, *, state=None, data=None, dtype=None):
    """Final state vector ``U(θ)|ψ⟩`` (qdist order, wire 0 most significant)."""
    p, s, d, dt = _prepare_call(circuit, params, None, state, data, dtype)
    f = _compiled("state", circuit.fingerprint, None, _batch_axes(p, s, d), np.dtype(dt).name)
    return np.asarray(f(p, s, d))
