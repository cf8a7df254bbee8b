"""Reading the angles of a PennyLane tape or quantum function as affine functions of ``params``.

The op data is recorded with JAX-traced ``params`` under ``jax.jit`` and differentiated
(``jax.jacfwd``). A conversion is never silently wrong, so every claim is checked by *value* at
several parameter points (the example point ``p₀``, ``p₀ + N(0, 1)`` and three uniform points in
``[−π, π]ᴾ``, seeded):

* every scalar angle ``v(p)`` must equal ``v(p₀) + J(p₀)(p − p₀)`` with one non-zero Jacobian entry
  (``a·params[k] + b``) — a piecewise ``jnp.where`` or a ``stop_gradient`` angle fails here;
* every array datum (``QubitUnitary`` matrices, ``DiagonalQubitUnitary`` phases) must be the same
  at every point — a matrix built from ``params`` (even through ``stop_gradient``) fails here;
* a quantum function that cannot be traced under ``jax.jit`` — Python ``if``/``while`` on a parameter
  value, ``float(p)`` — is refused outright: its circuit would be frozen at the branch taken at one
  point.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from qdist.interop.expressions import Expression
from qdist.interop.pennylane_ops import expand, split_data
from qdist.precision import x64
from qdist.sim.circuit import Angle

__all__ = ["BroadcastError", "Trace", "traced_angles"]

#: relative tolerance of the value checks (angles are computed in float64)
_TOL = 1e-9
_POINTS = 4


class BroadcastError(ValueError):
    """The quantum function was recorded with a batch of parameters (PennyLane broadcasting)."""


class Trace:
    """``p ↦ (angles, array data)`` of the expanded op list, remembering the op structure."""

    def __init__(self, record: Callable):
        self.record = record
        self.ops: list = []
        self.tape = None

    def __call__(self, p):
        tape = self.record(p)
        self.tape = tape
        flat = [x for op in tape.operations for x in expand(op)]
        self.ops = flat
        scal, arrs = [], []
        for op in flat:
            if getattr(op, "batch_size", None) is not None:
                raise BroadcastError(
                    f"obj: {_where(op)} is broadcast (a batch of {op.batch_size} parameter values); "
                    "expected one parameter array (batch it on the converted circuit instead)"
                )
            s, a = split_data(op)
            if any(jnp.iscomplexobj(x) for x in s):
                raise ValueError(f"obj: operation {op.name!r} has a complex angle; expected real angles")
            scal += [jnp.asarray(x, dtype=jnp.float64) for x in s]
            for x in a:
                x = jnp.asarray(x).ravel()
                arrs += [jnp.real(x).astype(jnp.float64), jnp.imag(x).astype(jnp.float64)]
        vs = jnp.stack(scal) if scal else jnp.zeros(0)
        va = jnp.concatenate(arrs) if arrs else jnp.zeros(0)
        return (vs, va), (vs, va)


_VALUE_DEPENDENT = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerArrayConversionError,
)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _evaluate(jitted, p):
    """``(∂angles/∂p, ∂arrays/∂p, angles, arrays)`` at ``p`` (one jitted trace for every point)."""
    try:
        (js, ja), (vs, va) = jitted(jnp.asarray(p))
    except ValueError:
        raise
    except _VALUE_DEPENDENT as exc:
        raise ValueError(
            "obj: the quantum function depends on parameter values through Python control flow or "
            f"conversions ({_first_line(exc)}); converting it would freeze the branch taken at one "
            "point — compute angles with jax.numpy (jnp.where, not if/float)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - tracer conversion errors and the like
        raise ValueError(
            f"obj: could not trace the quantum function with JAX arrays ({_first_line(exc)}); "
            "compute angles with jax.numpy / qml.math, not numpy"
        ) from None
    return np.asarray(js), np.asarray(ja), np.asarray(vs), np.asarray(va)


def _where(op) -> str:
    return f"operation {op.name!r} on wires {list(op.wires)}"


def _array_owner(ops, index: int):
    pos = 0
    for op in ops:
        for x in split_data(op)[1]:
            pos += 2 * int(np.size(x))
            if index < pos:
                return op
    return ops[-1]  # pragma: no cover - index within the array data


class _Rows:
    """The jitted trace at the last θ asked for: values and Jacobian rows of the scalar angles
    (the array data is checked to stay what it was at conversion)."""

    def __init__(self, jitted, va0: np.ndarray, ops):
        self.jitted, self.va0, self.ops = jitted, va0, ops
        self.theta: np.ndarray | None = None

    @x64
    def at(self, theta) -> tuple[np.ndarray, np.ndarray]:
        theta = np.asarray(theta, dtype=np.float64)
        if self.theta is None or not np.array_equal(theta, self.theta):
            js, _, vs, va = _evaluate(self.jitted, theta)
            _check_arrays(va, self.va0, self.ops)
            self.theta, self.vs, self.js = theta.copy(), vs, js
        return self.vs, self.js


def _check_arrays(va1, va, ops) -> None:
    moved = np.flatnonzero(np.abs(va1 - va) > _TOL * (1.0 + np.abs(va)))
    if moved.size:
        raise ValueError(
            f"obj: the matrix of {_where(_array_owner(ops, int(moved[0])))} changes with params "
            "(e.g. built from params through stop_gradient); only scalar angles can be trainable"
        )


def traced_angles(
    trace: Trace, p0: np.ndarray, seed: int
) -> tuple[list[Angle], np.ndarray, list[Expression]]:
    """Angles of every scalar op parameter, the fixed array data, and the non-affine angles as
    [`Expression`][qdist.interop.expressions.Expression] objects (module docstring).

    Row ``r`` is affine when its Jacobian has one non-zero entry and its value at every check point
    equals the affine prediction; it then becomes ``Angle(k, a, b)``. Any other row becomes
    expression ``j`` (``Angle(P + j)``), evaluated by the jitted trace at each θ.
    """
    jitted = jax.jit(jax.jacfwd(trace, has_aux=True))
    js, ja, vs, va = _evaluate(jitted, p0)
    ops = trace.ops
    owner = [op for op in ops for _ in range(len(split_data(op)[0]))]
    if ja.size and np.abs(ja).max() > 1e-12:
        bad = _array_owner(ops, int(np.argmax(np.abs(ja).max(axis=1))))
        raise ValueError(
            f"obj: the matrix of {_where(bad)} depends on params; only scalar angles can be trainable"
        )
    affine = np.sum(np.abs(js) > 1e-12, axis=1) <= 1 if len(owner) else np.zeros(0, dtype=bool)
    rng = np.random.default_rng(seed)
    points = [p0 + rng.normal(size=p0.shape)] + [
        rng.uniform(-np.pi, np.pi, p0.shape) for _ in range(_POINTS - 1)
    ]
    for p1 in points:
        _, _, vs1, va1 = _evaluate(jitted, p1)
        predicted = vs + js @ (p1 - p0)
        scale = 1.0 + np.abs(js) @ np.abs(p1 - p0) + np.abs(vs)
        affine &= np.abs(vs1 - predicted) <= _TOL * scale
        _check_arrays(va1, va, ops)
    rows = _Rows(jitted, va, ops)
    angles, expressions = [], []
    offset = vs - js @ p0
    P = len(p0)
    for r, op in enumerate(owner):
        nz = np.flatnonzero(np.abs(js[r]) > 1e-12)
        if not affine[r]:
            text = f"angle {sum(1 for o in owner[:r] if o is op)} of {op.name}"
            expressions.append(
                Expression(
                    text,
                    _where(op),
                    lambda t, r=r: float(rows.at(t)[0][r]),
                    lambda t, r=r: np.asarray(rows.at(t)[1][r], dtype=np.float64),
                )
            )
            angles.append(Angle(P + len(expressions) - 1, 1.0, 0.0))
        elif len(nz) == 0:
            angles.append(Angle(-1, 0.0, float(vs[r])))
        else:
            k = int(nz[0])
            angles.append(Angle(k, float(js[r, k]), float(offset[r])))
    return angles, va, expressions
