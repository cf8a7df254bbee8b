"""The one boundary every entry point calls: the user's circuit and observable → qdist, once.

A *circuit* may be a qdist [`Circuit`][qdist.Circuit] (or [`WiredCircuit`][qdist.interop.wires.WiredCircuit]),
a [`Reparametrized`][qdist.interop.expressions.Reparametrized] circuit, a Qiskit ``QuantumCircuit``
(parameter vector in ``qc.parameters`` order), or a PennyLane ``QNode``, quantum function
``qfunc(params)`` or tape (``QuantumScript``). An *observable* may be an
[`Observable`][qdist.Observable], a Qiskit ``SparsePauliOp``/``Pauli``, a PennyLane operator (Pauli
words, sums, products, ``qml.Hamiltonian``; wire labels as in the circuit) or a dense label string
(qdist order, wire 0 first); it may be omitted when a QNode / qfunc / tape measures exactly one
``qml.expval(H)``.

Conversions are cached by object identity (a bounded LRU of ``CACHE_SIZE`` entries, keyed also by
the instruction count of a Qiskit circuit and the parameter shape of a quantum function), so
calling an entry point in a loop converts once. A Qiskit circuit changed in place without changing
its length is not noticed: convert it with [`from_qiskit`][qdist.from_qiskit] after such edits.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from qdist.interop.expressions import CHAIN_RULE_METHODS, Reparametrized
from qdist.interop.observables import as_observable
from qdist.interop.wires import wire_map_of
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable

__all__ = ["CACHE_SIZE", "Converted", "as_circuit", "clear_cache"]

#: conversions kept (least recently used dropped first)
CACHE_SIZE = 64
_CACHE: OrderedDict = OrderedDict()

_CIRCUIT_HINT = (
    "expected a qdist Circuit, a Qiskit QuantumCircuit or a PennyLane QNode / quantum function / tape "
    "(see qdist.from_qiskit, qdist.from_pennylane)"
)


@dataclass(frozen=True, eq=False)
class Converted:
    """A user's circuit at the boundary.

    Attributes:
        circuit: the qdist circuit the simulator and estimators run, over the angle vector φ.
        num_params: ``P``, the length of the user's (flattened) parameter vector θ.
        reparam: the map θ → φ for non-affine angles (None: φ = θ).
        param_shape: the shape of a quantum function's ``params`` (None: a vector).
        observable: the observable the QNode / qfunc / tape measures (None if not exactly one expval).
        default_params: a tape's own parameters, used when ``params`` is omitted.
    """

    circuit: Circuit
    num_params: int
    reparam: Reparametrized | None = None
    param_shape: tuple | None = None
    observable: Observable | None = None
    default_params: np.ndarray | None = None

    @property
    def num_qubits(self) -> int:
        return self.circuit.num_qubits

    def flat(self, params):
        """``params`` as ``(P,)`` or ``(B, P)`` (a quantum function's shape flattened)."""
        if params is None and self.default_params is not None:
            return self.default_params
        if params is None or self.param_shape is None or self.param_shape == (self.num_params,):
            return params
        import jax.numpy as jnp

        shape = np.shape(params)
        k = len(self.param_shape)
        if tuple(shape[len(shape) - k :]) != self.param_shape or len(shape) > k + 1:
            raise ValueError(
                f"params: expected shape {self.param_shape} (or a batch of it), got {tuple(shape)}"
            )
        return jnp.reshape(params, tuple(shape[: len(shape) - k]) + (self.num_params,))

    def angles(self, params):
        """The vector φ the qdist circuit runs with."""
        p = self.flat(params)
        if self.reparam is None:
            return p
        if p is None:
            raise ValueError(f"params: expected {self.num_params} real numbers, got None")
        return self.reparam.angles(p)

    def pull(self, params, grad_phi, std_phi=None):
        """``(∂f/∂θ, σ_θ)`` in the user's parameter shape from ``∂f/∂φ`` (chain rule)."""
        g, s = np.asarray(grad_phi), None if std_phi is None else np.asarray(std_phi)
        if self.reparam is not None:
            g, s = self.reparam.pullback(self.flat(params), g, s)
        if self.param_shape is not None and self.param_shape != (self.num_params,):
            lead = g.shape[:-1]
            g = g.reshape(lead + self.param_shape)
            s = None if s is None else s.reshape(lead + self.param_shape)
        return g, s

    def observable_for(self, observable) -> Observable:
        """``observable`` (any accepted form) in qdist wires, or the circuit's own observable."""
        if observable is None:
            if self.observable is None:
                raise TypeError(
                    "observable: expected an Observable, SparsePauliOp, PennyLane operator or label "
                    "string, got NoneType (the circuit does not measure a single qml.expval)"
                )
            return self.observable
        return as_observable(observable, self.num_qubits, wire_map=wire_map_of(self.circuit))

    def check_method(self, name: str) -> None:
        """Refuse estimators without an exact chain rule for non-affine angles."""
        if self.reparam is not None and name not in CHAIN_RULE_METHODS:
            e = self.reparam.expressions[0]
            raise ValueError(
                f"method: {name!r} cannot differentiate non-affine angle expressions ({e.where}: {e.text}); "
                f"use method 'exact' or 'param-shift', or bind those parameters"
            )

    def gradient_result(self, params, result):
        """A `GradientResult` over φ mapped to θ (value and standard errors)."""
        value, std = self.pull(params, result.value, result.std_error)
        extra = dict(result.extra)
        if "exact_std_error" in extra:
            extra["exact_std_error"] = self.pull(params, result.value, extra["exact_std_error"])[1].tolist()
        return replace(result, value=value, std_error=std, extra=extra)


def clear_cache() -> None:
    """Forget every cached conversion."""
    _CACHE.clear()


def _cached(obj, key, build):
    k = (id(obj), key)
    hit = _CACHE.get(k)
    if hit is not None and hit[0] is obj:
        _CACHE.move_to_end(k)
        return hit[1]
    value = build()
    _CACHE[k] = (obj, value)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def _from_circuit(c) -> Converted:
    if isinstance(c, Reparametrized):
        return Converted(c.circuit, c.num_params, reparam=c)
    return Converted(c, c.num_params)


def _measured(tape, circuit) -> Observable | None:
    import pennylane as qml

    ms = tape.measurements
    if len(ms) != 1 or not isinstance(ms[0], qml.measurements.ExpectationMP) or ms[0].obs is None:
        return None
    return as_observable(ms[0].obs, circuit.num_qubits, wire_map=wire_map_of(circuit))


def _from_pennylane(obj, params) -> Converted:
    from pennylane.tape import QuantumScript

    from qdist.interop.pennylane import convert_pennylane, pennylane_parameters

    if isinstance(obj, QuantumScript):
        converted, tape = convert_pennylane(obj)
        base = _from_circuit(converted)
        return replace(
            base, observable=_measured(tape, base.circuit), default_params=pennylane_parameters(obj)
        )
    if params is None:
        raise ValueError("params: a PennyLane QNode / quantum function needs its parameter array, got None")
    shape = tuple(np.shape(params))
    converted, tape = convert_pennylane(obj, params=np.asarray(params, dtype=np.float64))
    base = _from_circuit(converted)
    return replace(base, param_shape=shape, observable=_measured(tape, base.circuit))


def _kind(obj) -> str | None:
    mod = type(obj).__module__ or ""
    if mod.startswith("qiskit"):
        from qiskit import QuantumCircuit

        return "qiskit" if isinstance(obj, QuantumCircuit) else None
    if mod.startswith("pennylane"):
        from pennylane import QNode
        from pennylane.tape import QuantumScript

        return "pennylane" if isinstance(obj, (QNode, QuantumScript)) else None
    if callable(obj) and not isinstance(obj, type):
        return "pennylane"  # a quantum function
    return None


def _qfunc(obj, params) -> Converted:
    """A QNode / quantum function, converted for the shape of ``params`` — or for the shape of one
    row when ``params`` is a batch of a shape already converted (or only convertible row-wise)."""
    from qdist.interop.pennylane_trace import BroadcastError

    shape = None if params is None else tuple(np.shape(params))
    if shape and _CACHE.get((id(obj), ("qfunc", shape[1:])), (None,))[0] is obj:
        return _cached(obj, ("qfunc", shape[1:]), None)
    try:
        return _cached(obj, ("qfunc", shape), lambda: _from_pennylane(obj, params))
    except BroadcastError:
        if not shape:
            raise
        row = np.asarray(params)[0]
        return _cached(obj, ("qfunc", shape[1:]), lambda: _from_pennylane(obj, row))


def as_circuit(obj, params=None, *, name: str = "circuit") -> Converted:
    """``obj`` (module docstring) as a [`Converted`][qdist.interop.boundary.Converted] circuit;
    ``params`` is needed only for a QNode / quantum function (an example of its shape)."""
    if isinstance(obj, (Circuit, Reparametrized)):
        return _from_circuit(obj)
    kind = _kind(obj)
    if kind == "qiskit":
        from qdist.interop.qiskit import from_qiskit

        key = ("qiskit", len(obj.data), obj.num_parameters, obj.num_qubits)
        return _cached(obj, key, lambda: _from_circuit(from_qiskit(obj)))
    if kind == "pennylane":
        from pennylane.tape import QuantumScript

        if isinstance(obj, QuantumScript):
            key = ("tape", len(obj.operations), len(obj.measurements))
            return _cached(obj, key, lambda: _from_pennylane(obj, params))
        return _qfunc(obj, params)
    raise TypeError(f"{name}: {_CIRCUIT_HINT}, got {type(obj).__name__}")
