"""The gradient methods: the registry of estimators and the `grad` entry point.

This is the one module that imports both the estimators in `qdist.estimators` and the shadow-based
ones in the top-level `shadows` package, so neither package imports the one above it. The built-in
estimators are a constant (`BUILTIN`); nothing is registered by importing. `register_method` adds a
user's estimator explicitly; it is then available to `grad`, the network protocols, training and
every backend, because all of them look estimators up here (see the worked example in
[adding an estimator][adding-an-estimator]).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from qdist.devices.exact import ExactDevice
from qdist.devices.protocol import Device
from qdist.estimators.exact import EXACT
from qdist.estimators.inputs import device_seed
from qdist.estimators.param_shift import PARAM_SHIFT
from qdist.estimators.protocol import CopyShape, Estimator, Plan
from qdist.estimators.result import GradientResult
from qdist.estimators.run import run_plan
from qdist.estimators.spsa import SPSA
from qdist.interop.boundary import as_circuit
from qdist.precision import x64
from shadows.layer_shadow import SHADOW
from shadows.tomography_estimator import TOMOGRAPHY

__all__ = ["BUILTIN", "FunctionEstimator", "get_estimator", "grad", "methods", "register_method"]

#: the estimators that ship with qdist, by name
BUILTIN: Mapping[str, Estimator] = {e.name: e for e in (EXACT, PARAM_SHIFT, SHADOW, TOMOGRAPHY, SPSA)}
_REGISTERED: dict[str, Estimator] = {}


@dataclass(frozen=True)
class FunctionEstimator:
    """A plain function ``(circuit, params, observable, **options) -> GradientResult`` as an
    estimator (the form `register_method` accepted before the Estimator protocol). It runs the
    simulator itself, so it is simulation-only and the cost model counts the copies it reports."""

    name: str
    fn: Callable[..., GradientResult]
    defaults: Mapping = field(default_factory=dict)
    ancilla: int = 0
    simulation_only: bool = True
    batched: bool = False
    note: str = "user-registered function estimator (simulation)"

    def plan(self, circuit, observable, params, options) -> Plan:
        return Plan((), lambda outcomes, probabilities=None: self.fn(circuit, params, observable, **options))

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        return {}

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options) -> int:
        raise ValueError(f"method: {self.name!r} has no closed-form copy count (a function estimator)")


def register_method(name: str, estimator) -> None:
    """Make ``estimator`` reachable as ``method=name`` everywhere (an `Estimator`, or a function
    ``(circuit, params, observable, **options) -> GradientResult``)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string, got {name!r}")
    if not isinstance(estimator, Estimator):
        if not callable(estimator):
            raise TypeError(f"estimator: expected an Estimator or a function, got {type(estimator).__name__}")
        estimator = FunctionEstimator(name, estimator)
    _REGISTERED[name] = estimator


def methods() -> tuple[str, ...]:
    """Names of the available gradient methods."""
    return tuple(sorted({**BUILTIN, **_REGISTERED}))


def get_estimator(method) -> Estimator:
    """The estimator called ``method`` (or ``method`` itself if it is an `Estimator`)."""
    if isinstance(method, str):
        table = {**BUILTIN, **_REGISTERED}
        if method in table:
            return table[method]
    elif isinstance(method, Estimator):
        return method
    raise ValueError(f"method: unknown gradient method {method!r}; expected one of {', '.join(methods())}")


@x64
def grad(circuit, params, observable=None, method="exact", *, device: Device | None = None, **options):
    """Gradient of ``f(θ) = ⟨ψ|U(θ)† O U(θ)|ψ⟩`` with respect to ``params``.

    Args:
        circuit: a qdist [`Circuit`][qdist.Circuit], a Qiskit ``QuantumCircuit`` (θ in
            ``qc.parameters`` order) or a PennyLane QNode / quantum function / tape, converted once
            at the boundary ([`qdist.interop.boundary`][qdist.interop.boundary]).
        params: parameter vector ``(P,)`` (a quantum function's own shape; ``"exact"`` also takes
            a batch ``(B, P)``).
        observable: a qdist `Observable`, a Qiskit ``SparsePauliOp``/``Pauli``, a PennyLane
            operator (in the circuit's wire labels) or a label string; optional when a QNode
            returns ``qml.expval(H)``.
        method: one of `methods()` (``"exact"``, ``"param-shift"``, ``"shadow"``, ``"tomography"``,
            ``"spsa"``), or an `Estimator`. Circuits whose angles are non-affine expressions of
            the parameters take ``"exact"`` and ``"param-shift"`` (chain rule,
            [`qdist.interop.expressions`][qdist.interop.expressions]).
        device: where the estimator's batch runs (default: the exact JAX simulator).
        **options: passed to the estimator (``shots``, ``seed``, ``state``, ``data``, …).

    Returns:
        [`GradientResult`][qdist.GradientResult] with ``.value``, ``.std_error``, ``.copies``,
        ``.circuits``, ``.shots``; ``value`` has the shape of ``params``.
    """
    est = get_estimator(method)
    conv = as_circuit(circuit, params)
    obs = conv.observable_for(observable)
    conv.check_method(est.name)
    t0 = time.perf_counter()
    plan = est.plan(conv.circuit, obs, conv.angles(params), options)
    seed = options.get("seed")
    res = run_plan(
        plan, ExactDevice() if device is None else device, 0 if seed is None else device_seed(seed), est
    )
    if not res.classical_seconds:
        object.__setattr__(
            res, "classical_seconds", time.perf_counter() - t0 - res.extra.get("simulation_seconds", 0.0)
        )
    if conv.reparam is None and conv.param_shape in (None, (conv.num_params,)):
        return res
    return conv.gradient_result(params, res)
