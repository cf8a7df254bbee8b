"""The simulator's public entry points on native objects: [`expval`][qdist.expval],
[`state`][qdist.state] and [`value_and_grad`][qdist.value_and_grad].

Each converts its circuit and observable once at the boundary
([`qdist.interop.boundary`][qdist.interop.boundary]) and calls the simulator in
[`qdist.sim.execute`][qdist.sim.execute]; gradients of circuits with non-affine angle expressions
come back through the chain rule ([`qdist.interop.expressions`][qdist.interop.expressions]) and in
the shape of a quantum function's ``params``.
"""

from __future__ import annotations

import numpy as np

from qdist.interop.boundary import as_circuit
from qdist.sim import execute as _sim

__all__ = ["expval", "state", "value_and_grad"]


def expval(circuit, params=None, observable=None, *, state=None, data=None, dtype=None):
    """``f(θ) = ⟨ψ|U(θ)† O U(θ)|ψ⟩`` on the exact simulator ([the model][compositional-model]).

    Args:
        circuit: a qdist [`Circuit`][qdist.Circuit], a Qiskit ``QuantumCircuit`` (θ in
            ``qc.parameters`` order) or a PennyLane QNode / quantum function / tape.
        params: ``(P,)`` or a batch ``(B, P)`` (a quantum function's own shape, optionally batched).
        observable: an [`Observable`][qdist.Observable], ``SparsePauliOp``/``Pauli``, PennyLane
            operator or label string; optional when a QNode returns ``qml.expval(H)``.
        state: initial state (default ``|0…0⟩``) ``(2ⁿ,)`` or ``(B, 2ⁿ)``.
        data: for data re-upload ops ``(D,)`` or ``(B, D)``. Batched axes are mapped together.
        dtype: ``"complex128"`` (default) or ``"complex64"``.

    Returns:
        A float, or an array for batches (JAX arrays when called under a JAX transform).
    """
    c = as_circuit(circuit, params)
    obs = c.observable_for(observable)
    return _sim.expval(c.circuit, c.angles(params), obs, state=state, data=data, dtype=dtype)


def value_and_grad(circuit, params=None, observable=None, *, state=None, data=None, dtype=None):
    """``(f(θ), ∇_θ f(θ))`` by the adjoint sweep (arguments as [`expval`][qdist.expval]); batches give
    arrays of both; the gradient has the shape of ``params``."""
    c = as_circuit(circuit, params)
    obs = c.observable_for(observable)
    val, g = _sim.value_and_grad(c.circuit, c.angles(params), obs, state=state, data=data, dtype=dtype)
    return val, np.asarray(c.pull(params, g)[0])


def state(circuit, params=None, *, state=None, data=None, dtype=None):
    """Final state vector ``U(θ)|ψ⟩`` (qdist order, wire 0 most significant; a Qiskit circuit's
    qubit q is wire q, so this is ``Statevector(qc).reverse_qargs()``)."""
    c = as_circuit(circuit, params)
    return _sim.state(c.circuit, c.angles(params), state=state, data=data, dtype=dtype)
