"""qdist — distributed machine learning over simulated quantum networks.

The public API (other tools call these names):

* circuits as data: :func:`make_circuit`, :func:`gate`, :func:`pauli_rot`, :func:`unitary`,
  :func:`diagonal`, :func:`data_phase`; observables: :func:`pauli`, :func:`pauli_sum`;
* simulation: :func:`expval`, :func:`state`, :func:`value_and_grad`, :func:`expval_fn`;
* gradients: :func:`grad` (``method="exact"`` and the estimators of the ``shadows`` package);
* interop: :func:`from_qiskit`, :func:`to_qiskit`, :func:`from_pennylane`, :func:`to_pennylane`.

qdist enables JAX's 64-bit mode on import: complex128 is the default precision (DESIGN.md §6).
"""

import jax

jax.config.update("jax_enable_x64", True)

from qdist.estimators.result import GradientResult  # noqa: E402
from qdist.gradients import grad, methods, register_method  # noqa: E402
from qdist.interop.observables import as_observable  # noqa: E402
from qdist.sim.circuit import (  # noqa: E402
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
from qdist.sim.execute import expval, state, value_and_grad  # noqa: E402
from qdist.sim.observables import Observable, pauli, pauli_sum  # noqa: E402
from qdist.sim.simulate import make_expval_fn as expval_fn  # noqa: E402
from qdist.sim.simulate import make_state_fn as state_fn  # noqa: E402
from qdist.sim.states import amplitude_encode, num_qubits_for, zero_state  # noqa: E402


def from_qiskit(qc, *args, **kwargs):
    """Qiskit ``QuantumCircuit`` → qdist :class:`Circuit` (see :mod:`qdist.interop.qiskit`)."""
    from qdist.interop.qiskit import from_qiskit as _f

    return _f(qc, *args, **kwargs)


def to_qiskit(circuit, *args, **kwargs):
    """qdist :class:`Circuit` → Qiskit ``QuantumCircuit`` (see :mod:`qdist.interop.qiskit`)."""
    from qdist.interop.qiskit import to_qiskit as _f

    return _f(circuit, *args, **kwargs)


def from_pennylane(obj, *args, **kwargs):
    """PennyLane tape or quantum function → qdist :class:`Circuit` (see :mod:`qdist.interop.pennylane`)."""
    from qdist.interop.pennylane import from_pennylane as _f

    return _f(obj, *args, **kwargs)


def to_pennylane(circuit, *args, **kwargs):
    """qdist :class:`Circuit` → PennyLane quantum function (see :mod:`qdist.interop.pennylane`)."""
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
