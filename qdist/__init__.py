"""qdist — distributed machine learning over simulated quantum networks.

The public API (other tools call these names):

* circuits as data: [`make_circuit`][qdist.make_circuit], [`gate`][qdist.gate], [`pauli_rot`][qdist.pauli_rot], [`unitary`][qdist.unitary],
  [`diagonal`][qdist.diagonal], [`data_phase`][qdist.data_phase]; observables: [`pauli`][qdist.pauli], [`pauli_sum`][qdist.pauli_sum];
* simulation: [`expval`][qdist.expval], [`state`][qdist.state], [`value_and_grad`][qdist.value_and_grad], [`expval_fn`][qdist.expval_fn];
* gradients: [`grad`][qdist.grad] (``method="exact"`` and the estimators of the ``shadows`` package);
* drawing: [`draw`][qdist.draw] (and a short ``repr`` of every circuit);
* interop: [`from_qiskit`][qdist.from_qiskit], [`to_qiskit`][qdist.to_qiskit], [`from_pennylane`][qdist.from_pennylane], [`to_pennylane`][qdist.to_pennylane],
  [`as_observable`][qdist.as_observable]. Every entry point that takes a circuit also takes a Qiskit
  ``QuantumCircuit`` or a PennyLane QNode / quantum function / tape, and every one that takes an
  observable a ``SparsePauliOp``, a PennyLane operator or a label string
  ([`qdist.interop.boundary`][qdist.interop.boundary]).

Importing qdist changes nothing in JAX's configuration: every entry point computes in 64-bit
(complex128) inside ``jax.enable_x64(True)`` (`qdist.precision`). To trace `expval_fn` / `state_fn`
in 64-bit under your own ``jax.jit``, trace them inside ``with jax.enable_x64(True):``.
"""

from qdist.estimators.result import GradientResult
from qdist.gradients import grad, methods, register_method
from qdist.interop.entry import expval, state, value_and_grad
from qdist.interop.observables import as_observable
from qdist.sim.circuit import (
    Angle,
    Circuit,
    Op,
    data_phase,
    diagonal,
    gate,
    make_circuit,
    pauli_rot,
    unitary,
)
from qdist.sim.observables import Observable, pauli, pauli_sum
from qdist.sim.simulate import make_expval_fn as expval_fn
from qdist.sim.simulate import make_state_fn as state_fn
from qdist.sim.states import amplitude_encode, num_qubits_for, zero_state


def draw(circuit, *args, **kwargs) -> str:
    """The circuit as text, one line per wire (see [`qdist.interop.draw`][qdist.interop.draw])."""
    from qdist.interop.draw import draw as _f

    return _f(circuit, *args, **kwargs)


def from_qiskit(qc, *args, **kwargs):
    """Qiskit ``QuantumCircuit`` → qdist [`Circuit`][qdist.Circuit] (see [`qdist.interop.qiskit`][qdist.interop.qiskit])."""
    from qdist.interop.qiskit import from_qiskit as _f

    return _f(qc, *args, **kwargs)


def to_qiskit(circuit, *args, **kwargs):
    """qdist [`Circuit`][qdist.Circuit] → Qiskit ``QuantumCircuit`` (see [`qdist.interop.qiskit`][qdist.interop.qiskit])."""
    from qdist.interop.qiskit import to_qiskit as _f

    return _f(circuit, *args, **kwargs)


def from_pennylane(obj, *args, **kwargs):
    """PennyLane tape or quantum function → qdist [`Circuit`][qdist.Circuit] (see [`qdist.interop.pennylane`][qdist.interop.pennylane])."""
    from qdist.interop.pennylane import from_pennylane as _f

    return _f(obj, *args, **kwargs)


def to_pennylane(circuit, *args, **kwargs):
    """qdist [`Circuit`][qdist.Circuit] → PennyLane quantum function (see [`qdist.interop.pennylane`][qdist.interop.pennylane])."""
    from qdist.interop.pennylane import to_pennylane as _f

    return _f(circuit, *args, **kwargs)


__all__ = [
    "Angle",
    "Circuit",
    "GradientResult",
    "Observable",
    "Op",
    "amplitude_encode",
    "as_observable",
    "data_phase",
    "diagonal",
    "draw",
    "expval",
    "expval_fn",
    "from_pennylane",
    "from_qiskit",
    "gate",
    "grad",
    "make_circuit",
    "methods",
    "num_qubits_for",
    "pauli",
    "pauli_rot",
    "pauli_sum",
    "register_method",
    "state",
    "state_fn",
    "to_pennylane",
    "to_qiskit",
    "unitary",
    "value_and_grad",
    "zero_state",
]
