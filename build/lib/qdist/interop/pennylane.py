"""PennyLane tapes / quantum functions ↔ qdist [`Circuit`][qdist.Circuit] ([conventions][conventions]).

PennyLane and qdist share the matrix convention (first wire = most significant bit), so matrices
and Pauli words carry over unchanged; only wire *labels* are mapped to qdist wires ``0..n−1``.

Parameters:

* **tape** (``QuantumScript``): every scalar parameter of every operation becomes one entry of the
  parameter vector, in tape order. [`pennylane_parameters`][qdist.interop.pennylane.pennylane_parameters] returns that vector: it equals
  ``np.array(tape.get_parameters(trainable_only=False, operations_only=True))`` when every op
  parameter is a scalar (array parameters — ``QubitUnitary`` matrices, ``StatePrep`` vectors — are
  fixed data and take no entry).
* **quantum function** ``qfunc(params)``: the qdist circuit uses the *same* parameter vector
  ``np.ravel(params)``, so shared parameters stay shared. The op angles are found by recording the
  tape with JAX-traced ``params`` and taking the Jacobian of the flat op data: each angle must be
  ``a·params[k] + b`` for a single ``k`` (checked at the example point and a second random point).

Operations outside the directly mapped set are expanded with ``op.decomposition()`` recursively
(operations without a decomposition but with a constant matrix become a fixed ``unitary``).
``GlobalPhase`` is dropped by default (the circuit then equals the PennyLane one up to a global
phase, invisible to every measurement); ``global_phase=True`` keeps it exactly, as in
[`qdist.interop.qiskit`][qdist.interop.qiskit]. Controlled global phases are relative phases and are always kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from qdist.interop.pennylane_checks import checked_unitary
from qdist.interop.qiskit import _phase_ops, _shift
from qdist.precision import x64
from qdist.sim.circuit import Angle, Circuit, Op, diagonal, gate, make_circuit, pauli_rot
from qdist.sim.execute import real_array

__all__ = ["from_pennylane", "pennylane_parameters", "to_pennylane"]

#: PennyLane name → qdist gate name (angles in the same order).
_SIMPLE = {
    "PauliX": "X",
    "PauliY": "Y",
    "PauliZ": "Z",
    "Hadamard": "H",
    "S": "S",
    "T": "T",
    "SX": "SX",
    "Adjoint(S)": "SDG",
    "Adjoint(T)": "TDG",
    "Adjoint(SX)": "SXDG",
    "RX": "RX",
    "RY": "RY",
    "RZ": "RZ",
    "PhaseShift": "PHASE",
    "U1": "PHASE",
    "U3": "U",
    "CNOT": "CX",
    "CZ": "CZ",
    "CY": "CY",
    "CH": "CH",
    "SWAP": "SWAP",
    "ISWAP": "ISWAP",
    "CRX": "CRX",
    "CRY": "CRY",
    "CRZ": "CRZ",
    "ControlledPhaseShift": "CPHASE",
    "IsingXX": "RXX",
    "IsingYY": "RYY",
    "IsingZZ": "RZZ",
    "Toffoli": "CCX",
}
_SPECIAL = {
    "Identity",
    "U2",
    "Rot",
    "CRot",
    "PauliRot",
    "MultiRZ",
    "QubitUnitary",
    "DiagonalQubitUnitary",
    "GlobalPhase",
}
_SKIP = {"Barrier", "Snapshot"}
_MAX_DEPTH = 32


# ---------------------------------------------------------------------------------------------
# PennyLane → qdist
# ---------------------------------------------------------------------------------------------


def _expand(op, depth: int = 0) -> list:
    """``op`` as a list of directly mapped operations (decomposing recursively)."""
    import pennylane as qml

    name = op.name
    if name in _SIMPLE or name in _SPECIAL:
        return [op]
    if name in _SKIP:
        return []
    if "MidMeasure" in type(op).__name__ or name.startswith("Conditional") or "MidMeasure" in name:
        raise ValueError(
            f"obj: unsupported PennyLane operation {name!r}; mid-circuit measurements and classical "
            "conditions cannot be converted"
        )
    if depth >= _MAX_DEPTH:
        raise ValueError(f"obj: PennyLane operation {name!r} does not decompose into supported gates")
    if op.has_decomposition:
        try:
            dec = op.decomposition()
        except Exception as exc:  # noqa: BLE001 - PennyLane/JAX raise several types
            raise ValueError(f"obj: cannot decompose PennyLane operation {name!r} ({exc})") from None
        return [x for d in dec for x in _expand(d, depth + 1)]
    if op.has_matrix:
        return [qml.QubitUnitary(qml.matrix(op), wires=op.wires)]
    raise ValueError(
        f"obj: unsupported PennyLane operation {name!r} (no qdist equivalent, no decomposition, no matrix)"
    )


def _split_data(op) -> tuple[list, list]:
    """Scalar leaves (angles) and array leaves (matrices, vectors) of ``op.data``."""
    scalars, arrays = [], []
    for x in op.data:
        (scalars if jnp.ndim(x) == 0 else arrays).append(x)
    return scalars, arrays


def _signature(ops) -> tuple:
    sig = []
    for op in ops:
        s, a = _split_data(op)
        sig.append((op.name, tuple(op.wires), len(s), tuple(tuple(jnp.shape(x)) for x in a)))
    return tuple(sig)


class _Trace:
    """``p ↦ (angles, array data)`` of the expanded op list, remembering the op structure."""

    def __init__(self, record: Callable):
        self.record = record
        self.ops: list = []
        self.tape = None

    def __call__(self, p):
        tape = self.record(p)
        self.tape = tape
        flat = [x for op in tape.operations for x in _expand(op)]
        self.ops = flat
        scal, arrs = [], []
        for op in flat:
            s, a = _split_data(op)
            if any(jnp.iscomplexobj(x) for x in s):
                raise ValueError(f"obj: operation {op.name!r} has a complex angle; expected real angles")
            scal += [jnp.asarray(x, dtype=jnp.float64) for x in s]
            for x in a:
                x = jnp.asarray(x).ravel()
                arrs += [jnp.real(x).astype(jnp.float64), jnp.imag(x).astype(jnp.float64)]
        vs = jnp.stack(scal) if scal else jnp.zeros(0)
        va = jnp.concatenate(arrs) if arrs else jnp.zeros(0)
        return (vs, va), (vs, va)


_VALUE_DEPENDENT = (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError)


def _jacobian(trace: _Trace, p, jitted):
    """``(∂angles/∂p, ∂arrays/∂p, angles, arrays)`` at ``p``.

    The jitted Jacobian (one trace, one compilation for both points) is tried first; a quantum
    function with Python control flow on parameter values is traced eagerly instead.
    """
    try:
        try:
            (js, ja), (vs, va) = jitted(p)
        except _VALUE_DEPENDENT:
            (js, ja), (vs, va) = jax.jacfwd(trace, has_aux=True)(p)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - tracer conversion errors and the like
        raise ValueError(
            f"obj: could not trace the quantum function with JAX arrays ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "compute angles with jax.numpy / qml.math, not numpy"
        ) from None
    return np.asarray(js), np.asarray(ja), np.asarray(vs), np.asarray(va)


def _affine_angles(trace: _Trace, p0: np.ndarray, seed: int) -> tuple[list[Angle], np.ndarray]:
    """Angles ``a·p[k] + b`` of every scalar op parameter, checked at ``p0`` and a random point."""
    jitted = jax.jit(jax.jacfwd(trace, has_aux=True))
    js, ja, vs, va = _jacobian(trace, jnp.asarray(p0), jitted)
    ops0, sig0 = trace.ops, _signature(trace.ops)
    p1 = p0 + np.random.default_rng(seed).normal(size=p0.shape)
    js1, ja1, vs1, _ = _jacobian(trace, jnp.asarray(p1), jitted)
    if _signature(trace.ops) != sig0:
        raise ValueError("obj: the sequence of operations depends on the parameter values")
    owner = [op for op in ops0 for _ in range(len(_split_data(op)[0]))]
    offset = vs - js @ p0
    tol = 1e-9
    for r, op in enumerate(owner):
        row_ok = np.allclose(js[r], js1[r], atol=tol, rtol=1e-9) and np.isclose(
            vs1[r], js[r] @ p1 + offset[r], atol=tol * (1 + np.abs(p1).sum()), rtol=1e-9
        )
        if not row_ok:
            raise ValueError(
                f"obj: an angle of operation {op.name!r} on wires {list(op.wires)} is not an affine "
                "function a*params[k] + b of the parameters"
            )
        nz = np.flatnonzero(np.abs(js[r]) > 1e-12)
        if len(nz) > 1:
            raise ValueError(
                f"obj: an angle of operation {op.name!r} on wires {list(op.wires)} depends on "
                f"{len(nz)} parameters (entries {nz.tolist()}); expected a*params[k] + b for one k"
            )
    if ja.size and (np.abs(ja).max() > 1e-12 or np.abs(ja1).max() > 1e-12):
        raise ValueError(
            "obj: a matrix-valued operation parameter (e.g. QubitUnitary) depends on params; "
            "only scalar angles can be trainable"
        )
    angles = []
    for r in range(len(owner)):
        nz = np.flatnonzero(np.abs(js[r]) > 1e-12)
        if len(nz) == 0:
            angles.append(Angle(-1, 0.0, float(vs[r])))
        else:
            k = int(nz[0])
            angles.append(Angle(k, float(js[r, k]), float(offset[r])))
    return angles, va


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


def _to_ops(flat, angles: list[Angle], arrays: np.ndarray, wmap: dict, keep_phase: bool) -> list[Op]:
    ops: list[Op] = []
    phases: list[Angle] = []
    ai = 0  # next angle
    di = 0  # next array entry
    for op in flat:
        s, a = _split_data(op)
        A = angles[ai : ai + len(s)]
        ai += len(s)
        mats = []
        for x in a:
            shape = tuple(jnp.shape(x))
            size = int(np.prod(shape))
            re, im = arrays[di : di + size], arrays[di + size : di + 2 * size]
            di += 2 * size
            mats.append((re + 1j * im).reshape(shape))
        try:
            w = tuple(wmap[x] for x in op.wires)
        except KeyError as exc:
            raise ValueError(
                f"wires: operation {op.name!r} acts on wire {exc.args[0]!r}, which is not in wires"
            ) from None
        name = op.name
        if name in _SIMPLE:
            ops.append(gate(_SIMPLE[name], w, *A))
        elif name == "Identity":
            ops.extend(gate("I", x) for x in w)
        elif name == "U2":  # U2(φ, δ) = U3(π/2, φ, δ)
            ops.append(gate("U", w, np.pi / 2, A[0], A[1]))
        elif name == "Rot":  # Rot(φ, θ, ω) = RZ(ω) RY(θ) RZ(φ)
            ops += [gate("RZ", w, A[0]), gate("RY", w, A[1]), gate("RZ", w, A[2])]
        elif name == "CRot":  # controlled product = product of controlled factors
            ops += [gate("CRZ", w, A[0]), gate("CRY", w, A[1]), gate("CRZ", w, A[2])]
        elif name == "PauliRot":
            ops.append(pauli_rot(op.hyperparameters["pauli_word"], w, A[0]))
        elif name == "MultiRZ":
            ops.append(pauli_rot("Z" * len(w), w, A[0]))
        elif name == "QubitUnitary":
            m = mats[0]
            if m.ndim != 2:
                raise ValueError("obj: broadcast (batched) QubitUnitary is not supported")
            ops.append(checked_unitary(m, w, name))
        elif name == "DiagonalQubitUnitary":
            ops.append(diagonal(mats[0], w))
        elif name == "GlobalPhase":  # GlobalPhase(φ) = exp(−iφ)
            phases.append(_shift(A[0], -1.0))
        else:  # pragma: no cover - _expand only returns mapped names
            raise ValueError(f"obj: unsupported PennyLane operation {name!r}")
    if keep_phase:
        ops += _phase_ops(phases)
    return ops


def _scalar_leaves(tape) -> list:
    import pennylane as qml

    out = []
    for op in tape.operations:
        for x in op.data:
            if qml.math.ndim(x) == 0:
                out.append(float(np.real(qml.math.toarray(x))))
    return out


def pennylane_parameters(tape) -> np.ndarray:
    """The qdist parameter vector of ``from_pennylane(tape)``: the scalar op parameters in tape order."""
    return np.asarray(_scalar_leaves(tape), dtype=np.float64)


@x64
def from_pennylane(
    obj,
    wires: Sequence | None = None,
    params=None,
    *,
    global_phase: bool = False,
    seed: int = 0,
) -> Circuit:
    """PennyLane tape or quantum function → qdist [`Circuit`][qdist.Circuit] (module docstring).

    Args:
        obj: a ``QuantumScript``/tape, or a quantum function ``qfunc(params)`` (a ``QNode`` is
            accepted too; its quantum function is used). Measurements are ignored.
        wires: wire labels mapped to qdist wires ``0..n−1`` in the order given. Default: the
            labels used by the tape — non-negative integers keep their number, other labels are
            numbered in order of appearance.
        params: for a quantum function, an example parameter array (any shape; the qdist
            parameter vector is ``np.ravel(params)``). Ignored for a tape.
        global_phase: keep ``GlobalPhase`` ops exactly (default: drop them).
        seed: seed of the second random point at which affinity is verified.

    Returns:
        The circuit. For a tape run it with ``pennylane_parameters(tape)``; for a quantum
        function with ``np.ravel(params)``.

    Raises:
        ValueError: an operation that cannot be mapped or decomposed (naming it), an angle that is
            not ``a·params[k] + b`` for one ``k`` (naming the operation), mid-circuit measurements.
    """
    import pennylane as qml
    from pennylane.ops.functions import bind_new_parameters
    from pennylane.tape import QuantumScript

    if isinstance(obj, QuantumScript):
        tape = obj
        layout = []  # per op: positions of scalar leaves
        for op in tape.operations:
            layout.append([i for i, x in enumerate(op.data) if qml.math.ndim(x) == 0])
        p0 = pennylane_parameters(tape)

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

        num_params = len(p0)
    elif callable(obj):
        qfunc = getattr(obj, "func", obj) if isinstance(obj, qml.QNode) else obj
        if params is None:
            raise ValueError("params: pass an example parameter array to convert a quantum function")
        shape = np.shape(params)
        p0 = np.asarray(real_array("params", params)).ravel()

        def record(p):
            return qml.tape.make_qscript(qfunc)(jnp.reshape(p, shape))

        num_params = len(p0)
    else:
        raise TypeError(f"obj: expected a PennyLane tape or a quantum function, got {type(obj).__name__}")

    trace = _Trace(record)
    angles, arrays = _affine_angles(trace, p0, seed)
    flat = trace.ops
    seen = [w for op in flat for w in op.wires] + list(trace.tape.wires)
    wmap = _wire_map(wires, seen)
    ops = _to_ops(flat, angles, arrays, wmap, global_phase)
    n = max(max(wmap.values(), default=-1) + 1, 1)
    return make_circuit(n, ops, num_params=num_params)


# ---------------------------------------------------------------------------------------------
# qdist → PennyLane
# ---------------------------------------------------------------------------------------------


def _pl_gate(name: str):
    """qdist gate name → callable ``(angles, wires) -> PennyLane op``."""
    import pennylane as qml

    table = {
        "I": qml.Identity,
        "X": qml.PauliX,
        "Y": qml.PauliY,
        "Z": qml.PauliZ,
        "H": qml.Hadamard,
        "S": qml.S,
        "SDG": lambda wires: qml.adjoint(qml.S(wires)),
        "T": qml.T,
        "TDG": lambda wires: qml.adjoint(qml.T(wires)),
        "SX": qml.SX,
        "SXDG": lambda wires: qml.adjoint(qml.SX(wires)),
        "RX": qml.RX,
        "RY": qml.RY,
        "RZ": qml.RZ,
        "PHASE": qml.PhaseShift,
        "U": qml.U3,
        "CX": qml.CNOT,
        "CY": qml.CY,
        "CZ": qml.CZ,
        "CH": qml.CH,
        "CRX": qml.CRX,
        "CRY": qml.CRY,
        "CRZ": qml.CRZ,
        "CPHASE": qml.ControlledPhaseShift,
        "SWAP": qml.SWAP,
        "ISWAP": qml.ISWAP,
        "RXX": qml.IsingXX,
        "RYY": qml.IsingYY,
        "RZZ": qml.IsingZZ,
        "CCX": qml.Toffoli,
    }
    if name in table:
        f = table[name]
        return lambda angles, wires: f(*angles, wires=wires if len(wires) > 1 else wires[0])
    if name.startswith("C") and name[1:] in table:  # CU, CS, CSDG, CSX, CT, …: controlled base gate
        base = table[name[1:]]
        return lambda angles, wires: qml.ctrl(base(*angles, wires=wires[1]), control=wires[0])
    raise ValueError(f"circuit: gate {name!r} has no PennyLane equivalent")


def to_pennylane(circuit: Circuit, wires: Sequence | None = None) -> Callable:
    """qdist [`Circuit`][qdist.Circuit] → PennyLane quantum function ``qfunc(params, data=None)``.

    ``qfunc`` applies the ops (qdist wire i on PennyLane wire ``wires[i]``, default ``i``) and
    returns nothing; call it inside a QNode. It works with numpy and with JAX arrays under
    ``jax.jit``. ``Angle(i, a, b)`` is applied as ``a*params[i] + b``; ``data`` is required when
    the circuit has ``data_phase`` ops (applied as ``DiagonalQubitUnitary``).
    """
    import pennylane as qml

    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    labels = list(range(circuit.num_qubits)) if wires is None else list(wires)
    if len(labels) != circuit.num_qubits:
        raise ValueError(f"wires: expected {circuit.num_qubits} wire labels, got {len(labels)}")
    makers = {op.name: _pl_gate(op.name) for op in circuit.ops if op.kind == "gate"}

    def qfunc(params=None, data=None):
        if circuit.num_params:
            if params is None or qml.math.shape(params) != (circuit.num_params,):
                got = None if params is None else tuple(qml.math.shape(params))
                raise ValueError(f"params: expected shape ({circuit.num_params},), got {got}")
        if circuit.num_data:
            if data is None or qml.math.shape(data) != (circuit.num_data,):
                got = None if data is None else tuple(qml.math.shape(data))
                raise ValueError(
                    f"data: the circuit has data_phase ops; expected data of shape ({circuit.num_data},), got {got}"
                )

        def value(a: Angle):
            if not a.trainable:
                return a.offset
            x = params[a.index]
            if a.coeff != 1.0:
                x = a.coeff * x
            return x + a.offset if a.offset != 0.0 else x

        for op in circuit.ops:
            w = [labels[i] for i in op.wires]
            if op.kind == "gate":
                makers[op.name]([value(a) for a in op.angles], w)
            elif op.kind == "pauli_rot":
                qml.PauliRot(value(op.angles[0]), op.pauli, wires=w)
            elif op.kind == "unitary":
                qml.QubitUnitary(op.matrix, wires=w)
            elif op.kind == "diagonal":
                qml.DiagonalQubitUnitary(op.matrix, wires=w)
            elif op.kind == "data_phase":
                start, stop = op.data_slice
                qml.DiagonalQubitUnitary(qml.math.exp(1j * op.scale * data[start:stop]), wires=w)
            else:  # pragma: no cover - guarded by make_circuit
                raise ValueError(f"circuit: unknown op kind {op.kind!r}")

    qfunc.__doc__ = (
        f"Quantum function of a {circuit.num_qubits}-qubit qdist circuit ({len(circuit.ops)} ops)."
    )
    return qfunc
