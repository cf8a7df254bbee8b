"""PennyLane tapes / quantum functions ↔ qdist [`Circuit`][qdist.Circuit] ([conventions][conventions]).

PennyLane and qdist share the matrix convention (first wire = most significant bit), so matrices
and Pauli words carry over unchanged; only wire *labels* are mapped to qdist wires ``0..n−1``. The
result is a [`WiredCircuit`][qdist.interop.wires.WiredCircuit]: it keeps that map, so observables
given later in the same labels land on the right qubit.

Parameters:

* **tape** (``QuantumScript``): every *real* scalar parameter of every operation becomes one entry
  of the parameter vector, in tape order. [`pennylane_parameters`][qdist.interop.pennylane.pennylane_parameters] returns that vector: it equals
  ``np.array(tape.get_parameters(trainable_only=False, operations_only=True))`` when every op
  parameter is a real scalar. Complex scalars (``qml.exp(X(0) @ Y(1), -0.4j)``) and array
  parameters (``QubitUnitary`` matrices, ``StatePrep`` vectors) are fixed data, kept exactly, and
  take no entry.
* **quantum function** ``qfunc(params)``: the qdist circuit uses the *same* parameter vector
  ``np.ravel(params)``, so shared parameters stay shared. The op angles are found by recording the
  tape with JAX-traced ``params`` and taking the Jacobian of the flat op data. An angle
  ``a·params[k] + b`` (checked *by value* at several random points,
  [`qdist.interop.pennylane_trace`][qdist.interop.pennylane_trace]) becomes an affine qdist angle;
  any other differentiable angle (``p[0] + p[1]``, ``jnp.sin(p)``, the products of a tape's
  Hamiltonian coefficients and time in ``ApproxTimeEvolution``) makes the result a
  [`Reparametrized`][qdist.interop.expressions.Reparametrized] circuit whose extra angles are
  evaluated by the jitted recording at each θ (chain rule for gradients).

Operations outside the directly mapped set are expanded with ``op.decomposition()`` recursively
(operations without a decomposition but with a constant matrix become a fixed ``unitary``);
multi-controlled rotations are converted exactly ([`qdist.interop.pennylane_ops`][qdist.interop.pennylane_ops]).
``GlobalPhase`` is dropped by default (the circuit then equals the PennyLane one up to a global
phase, invisible to every measurement); ``global_phase=True`` keeps it exactly, as in
[`qdist.interop.qiskit`][qdist.interop.qiskit]. Controlled global phases are relative phases and are always kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from qdist.interop.expressions import Reparametrized
from qdist.interop.pennylane_export import to_pennylane
from qdist.interop.pennylane_ops import to_ops
from qdist.interop.pennylane_trace import Trace, traced_angles
from qdist.interop.wires import WiredCircuit, labelled
from qdist.precision import x64
from qdist.sim.circuit import make_circuit
from qdist.sim.execute import real_array

__all__ = ["convert_pennylane", "from_pennylane", "pennylane_parameters", "to_pennylane"]


def _wire_map(labels: Sequence | None, seen: Sequence) -> dict:
    if labels is not None:
        labels = list(labels)
        if len(set(labels)) != len(labels):
            raise ValueError(f"wires: labels must be distinct, got {labels}")
        return {w: i for i, w in enumerate(labels)}
    seen = list(dict.fromkeys(seen))
    if seen and all(isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 0 for w in seen):
        return {w: int(w) for w in seen}  # integer labels keep their number
    return {w: i for i, w in enumerate(seen)}


def _is_parameter(x) -> bool:
    """A real scalar op datum: one entry of the tape's parameter vector."""
    import pennylane as qml

    return qml.math.ndim(x) == 0 and not np.iscomplexobj(qml.math.toarray(x))


def _scalar_leaves(tape) -> list:
    import pennylane as qml

    return [float(qml.math.toarray(x)) for op in tape.operations for x in op.data if _is_parameter(x)]


def pennylane_parameters(tape) -> np.ndarray:
    """The qdist parameter vector of ``from_pennylane(tape)``: the real scalar op parameters in tape order."""
    return np.asarray(_scalar_leaves(tape), dtype=np.float64)


def _tape_recorder(tape):
    from pennylane.ops.functions import bind_new_parameters
    from pennylane.tape import QuantumScript

    layout = [[i for i, x in enumerate(op.data) if _is_parameter(x)] for op in tape.operations]

    def record(p):
        ops, k = [], 0
        for op, pos in zip(tape.operations, layout, strict=True):
            if pos:
                data = list(op.data)
                for i in pos:
                    data[i] = p[k]
                    k += 1
                op = bind_new_parameters(op, data)
            ops.append(op)
        return QuantumScript(ops, tape.measurements)

    return record


@x64
def convert_pennylane(
    obj, wires: Sequence | None = None, params=None, *, global_phase: bool = False, seed: int = 0
):
    """``(circuit, tape)``: [`from_pennylane`][qdist.interop.pennylane.from_pennylane] and the
    recorded tape (whose ``measurements`` name the observable of a QNode / qfunc)."""
    import pennylane as qml
    from pennylane.tape import QuantumScript

    if isinstance(obj, QuantumScript):
        record = _tape_recorder(obj)
        p0 = pennylane_parameters(obj)
    elif callable(obj):
        qfunc = getattr(obj, "func", obj) if isinstance(obj, qml.QNode) else obj
        if params is None:
            raise ValueError("params: pass an example parameter array to convert a quantum function")
        shape = np.shape(params)
        p0 = np.asarray(real_array("params", params)).ravel()

        def record(p):
            return qml.tape.make_qscript(qfunc)(jnp.reshape(p, shape))

    else:
        raise TypeError(f"obj: expected a PennyLane tape or a quantum function, got {type(obj).__name__}")

    trace = Trace(record)
    angles, arrays, expressions = traced_angles(trace, p0, seed)
    flat = trace.ops
    seen = [w for op in flat for w in op.wires] + list(trace.tape.wires)
    wmap = _wire_map(wires, seen)
    ops = to_ops(flat, angles, arrays, wmap, global_phase)
    n = max(max(wmap.values(), default=-1) + 1, 1)
    labels = {i: w for w, i in wmap.items()}
    circuit = make_circuit(n, ops, num_params=len(p0) + len(expressions))
    circuit = labelled(circuit, [labels.get(i, i) for i in range(n)])
    tape = obj if isinstance(obj, QuantumScript) else record(jnp.asarray(p0))
    if expressions:
        return Reparametrized(circuit, len(p0), tuple(expressions)), tape
    return circuit, tape


def from_pennylane(
    obj,
    wires: Sequence | None = None,
    params=None,
    *,
    global_phase: bool = False,
    seed: int = 0,
) -> WiredCircuit | Reparametrized:
    """PennyLane tape or quantum function → qdist circuit (module docstring).

    Args:
        obj: a ``QuantumScript``/tape, or a quantum function ``qfunc(params)`` (a ``QNode`` is
            accepted too; its quantum function is used). Measurements are ignored.
        wires: wire labels mapped to qdist wires ``0..n−1`` in the order given. Default: the
            labels used by the tape — non-negative integers keep their number, other labels are
            numbered in order of appearance.
        params: for a quantum function, an example parameter array (any shape; the qdist
            parameter vector is ``np.ravel(params)``). Ignored for a tape.
        global_phase: keep ``GlobalPhase`` ops exactly (default: drop them).
        seed: seed of the random points at which the angles are verified.

    Returns:
        A [`WiredCircuit`][qdist.interop.wires.WiredCircuit] (a [`Circuit`][qdist.Circuit] with the
        wire labels), or a [`Reparametrized`][qdist.interop.expressions.Reparametrized] one over it
        when an angle is not affine in one parameter (every qdist entry point takes both). For a tape run it with ``pennylane_parameters(tape)``; for a quantum
        function with ``np.ravel(params)``.

    Raises:
        ValueError: an operation that cannot be mapped or decomposed (naming it), an angle that is
            a matrix that depends on ``params`` (naming the operation), Python control flow on
            parameter values, mid-circuit measurements.
    """
    return convert_pennylane(obj, wires, params, global_phase=global_phase, seed=seed)[0]
