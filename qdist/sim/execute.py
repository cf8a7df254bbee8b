"""Validated, compiled and batched execution: the entry points behind ``qdist.expval`` and ``qdist.state``.

Circuits of up to 14 qubits run on the interpreter (`qdist.sim.interpret`, compiled once per
register size), larger ones on their own unrolled program, cached by the content fingerprint of
(circuit, observable, dtype, batching) — `qdist.sim.routing` chooses by the circuit alone, and
``QDIST_SIM_MODE`` forces an engine or the timed ``adaptive`` switch ([the interpreter][interpreter]). ``dtype="complex64"`` halves memory;
its gradients agree with complex128 to ~2e-7 absolute (measured at n = 8 and 12, L = 9; tested at
1e-5).
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.precision import x64
from qdist.sim import routing
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


def real_array(name: str, raw) -> np.ndarray | jnp.ndarray:
    """``raw`` as a float64 array (a JAX array for tracers); complex, non-numeric or non-finite
    values are a one-line ``ValueError`` naming ``name``. Tracers are only checked by dtype."""
    if _is_traced(raw):
        if jnp.iscomplexobj(raw):
            raise ValueError(f"{name}: expected real numbers, got complex")
        return jnp.asarray(raw, dtype=jnp.float64)
    try:
        a = np.asarray(raw)
        if a.dtype.kind == "c":
            raise ValueError(f"{name}: expected real numbers, got complex")
        if a.dtype.kind not in "biufO":
            raise TypeError
        a = a.astype(np.float64)
    except (TypeError, ValueError) as exc:
        if str(exc).startswith(f"{name}: "):
            raise
        text = repr(raw)
        text = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"{name}: expected real numbers, got {text}") from None
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected finite values, got NaN or inf")
    return a


def check_params(circuit: Circuit, params) -> jnp.ndarray:
    """Validate the parameter vector (or batch ``(B, P)``) against the circuit.

    ``None`` is allowed only for a circuit without parameters (it means the empty vector)."""
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    if params is None:
        if circuit.num_params:
            raise ValueError(
                f"params: expected {circuit.num_params} real numbers (the circuit has parameters), got None"
            )
        params = np.zeros(0)
    p = real_array("params", params)
    if p.ndim not in (1, 2) or p.shape[-1] != circuit.num_params:
        raise ValueError(
            f"params: expected shape ({circuit.num_params},) or (B, {circuit.num_params}), got {tuple(p.shape)}"
        )
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
    d = real_array("data", data)
    if d.ndim not in (1, 2) or d.shape[-1] != circuit.num_data:
        raise ValueError(
            f"data: expected shape ({circuit.num_data},) or (B, {circuit.num_data}), got {tuple(d.shape)}"
        )
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
    # the unrolled programs go to the persistent cache too: a new process, or a sweep's worker,
    # loads a circuit's program instead of compiling it again (`qdist.sim.jaxcache`)
    from qdist.sim.jaxcache import enable_compile_cache

    enable_compile_cache()
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


def _prepare_call(circuit, params, observable, state, data, dtype, observed=True):
    dt = resolve_dtype(dtype)
    p = check_params(circuit, params)
    if observed:
        check_observable(circuit, observable)
    s = _zero_state(circuit.num_qubits, dt) if state is None else as_state(state, circuit.num_qubits, dt)
    d = check_data(circuit, data)
    for table in (_CIRCUITS, _OBSERVABLES):  # bounded: only needed until `_compiled` has built
        if len(table) > 1024:
            table.clear()
    _CIRCUITS.setdefault(circuit.fingerprint, circuit)
    if observed:
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
    return _out(_dispatch("expval", circuit, observable, p, s, d, dt))


def _dispatch(kind, circuit, observable, p, s, d, dt):
    axes = _batch_axes(p, s, d)
    obs_fp = None if observable is None else observable.fingerprint
    dtype_name = np.dtype(dt).name
    if _is_traced(p, s, d):
        return _compiled(kind, circuit.fingerprint, obs_fp, axes, dtype_name)(p, s, d)
    p, s = np.asarray(p, np.float64), np.asarray(s)
    key = (kind, circuit.fingerprint, obs_fp, axes, dtype_name, p.shape, s.shape, np.shape(d))
    return routing.run(
        kind,
        circuit,
        observable,
        (p, s, d),
        key,
        lambda: _compiled(kind, circuit.fingerprint, obs_fp, axes, dtype_name),
    )


@x64
def value_and_grad(circuit: Circuit, params, observable: Observable, *, state=None, data=None, dtype=None):
    """``(f(θ), ∇_θ f(θ))`` by the adjoint sweep; batches give arrays of both."""
    p, s, d, dt = _prepare_call(circuit, params, observable, state, data, dtype)
    val, g = _dispatch("grad", circuit, observable, p, s, d, dt)
    return _out(val), np.asarray(g)


@x64
def state(circuit: Circuit, params=None, *, state=None, data=None, dtype=None):
    """Final state vector ``U(θ)|ψ⟩`` (qdist order, wire 0 most significant)."""
    p, s, d, dt = _prepare_call(circuit, params, None, state, data, dtype, observed=False)
    return np.asarray(_dispatch("state", circuit, None, p, s, d, dt))
