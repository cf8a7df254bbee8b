"""``qdist.grad``: one entry point, many gradient estimators (DESIGN.md §4).

Estimators register themselves with :func:`register_method`; each is a function
``(circuit, params, observable, **options) -> GradientResult``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from qdist.estimators.result import GradientResult
from qdist.sim.circuit import Circuit
from qdist.sim.execute import value_and_grad
from qdist.sim.observables import Observable

Estimator = Callable[..., GradientResult]
_METHODS: dict[str, Estimator] = {}


def register_method(name: str, fn: Estimator) -> None:
    """Make ``fn`` reachable as ``qdist.grad(..., method=name)``."""
    _METHODS[name] = fn


def methods() -> tuple[str, ...]:
    """Names of the available gradient methods."""
    _load_plugins()
    return tuple(sorted(_METHODS))


def _load_plugins() -> None:
    try:  # the shadow-based estimators live in the ``shadows`` package (a layer above)
        import shadows.gradients  # noqa: F401
    except ImportError:
        pass


def exact_gradient(
    circuit: Circuit,
    params,
    observable: Observable,
    *,
    state=None,
    data=None,
    dtype=None,
    **options,
) -> GradientResult:
    """Exact ∇f by the adjoint reverse sweep (DESIGN.md §4.1): O(1) extra states, no copies."""
    if options:
        raise TypeError(f"grad: method 'exact' takes no options, got {sorted(options)}")
    t0 = time.perf_counter()
    val, g = value_and_grad(circuit, params, observable, state=state, data=data, dtype=dtype)
    return GradientResult(
        value=g,
        std_error=np.zeros_like(g),
        copies=0,
        circuits=1,
        shots=0,
        method="exact",
        classical_seconds=time.perf_counter() - t0,
        expval=val,
    )


register_method("exact", exact_gradient)


def grad(circuit: Circuit, params, observable, method: str = "exact", **options) -> GradientResult:
    """Gradient of ``f(θ) = ⟨ψ|U(θ)† O U(θ)|ψ⟩`` with respect to ``params``.

    Args:
        circuit: a qdist circuit (see :func:`qdist.from_qiskit`, :func:`qdist.from_pennylane`).
        params: parameter vector ``(P,)`` (``"exact"`` also takes a batch ``(B, P)``).
        observable: a qdist :class:`~qdist.Observable`, a Qiskit ``SparsePauliOp`` or a PennyLane
            observable.
        method: one of :func:`methods` (``"exact"`` always; ``"param-shift"``, ``"shadow"``,
            ``"tomography"``, ``"spsa"`` from the ``shadows`` package).
        **options: passed to the method (``shots``, ``seed``, ``state``, ``data``, …).

    Returns:
        :class:`GradientResult` with ``.value``, ``.std_error``, ``.copies``, ``.circuits``, ``.shots``.
    """
    from qdist.interop.observables import as_observable

    _load_plugins()
    if method not in _METHODS:
        raise ValueError(
            f"method: unknown gradient method {method!r}; expected one of {', '.join(methods())}"
        )
    obs = as_observable(observable, circuit.num_qubits)
    return _METHODS[method](circuit, params, obs, **options)
