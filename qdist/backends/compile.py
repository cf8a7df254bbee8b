"""qdist circuits → Qiskit circuits for a device: state preparation, measurement, ISA form ([conventions][conventions], [the hardware stack][hardware-stack]).

* `measured_circuit` appends single-qubit basis changes to a qdist circuit — fixed ones
  (``H`` for X, ``S†`` then ``H`` for Y) or a *parameterised* basis layer
  ``U(θ_r, 0, λ_r)`` per measured wire whose two angles are extra parameters, so that the random
  bases of a classical shadow are parameter bindings of ONE circuit ([shadows on hardware][shadows-on-hardware]):
  ``(θ_r, λ_r) = (π/2, π)`` → ``H`` (X), ``(π/2, π/2)`` → ``H·S†`` (Y), ``(0, 0)`` → ``I`` (Z).
* `qiskit_circuit` converts with [`qdist.to_qiskit`][qdist.to_qiskit] over ``ParameterVector("θ", P)``,
  binds the run-time ``data``, prepends ``StatePreparation`` of an initial state (qdist's big-endian
  vector reordered to Qiskit's little-endian one) and measures wire ``wires[i]`` into clbit ``i``.
* `isa_circuit` transpiles with ``generate_preset_pass_manager(optimization_level ≥ 2,
  backend=…)`` (levels 0–1 can route through broken couplers, [transpiling][transpiling]) and a fixed
  ``seed_transpiler`` so the same circuit gives the same ISA circuit in every process (the job key
  hashes it). Results are memoised per device.
* `isa_observable` maps a qdist observable to a ``SparsePauliOp`` and applies the layout.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from qdist.backends.cache import sha256
from qdist.measure.bases import BASIS_ANGLES
from qdist.measure.observation import basis_circuit
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable
from qdist.sim.slots import slot_circuit
from shadows.recipes import basis_bindings, random_basis_circuit

SEED_TRANSPILER = 1234


def measured_circuit(circuit: Circuit, basis=None, random_wires: Sequence[int] = ()) -> Circuit:
    """``circuit`` followed by the fixed rotations of ``basis`` and, on ``random_wires``, the
    parameterised basis layer of a shadow (`shadows.recipes.random_basis_circuit`)."""
    return random_basis_circuit(basis_circuit(circuit, basis or ()), random_wires)


# ---------------------------------------------------------------------------------------------
# Qiskit side
# ---------------------------------------------------------------------------------------------
def little_endian(vec: np.ndarray, num_qubits: int) -> np.ndarray:
    """qdist (wire 0 = most significant bit) ↔ Qiskit (qubit 0 = least significant) state order."""
    v = np.asarray(vec, dtype=np.complex128)
    return v.reshape((2,) * num_qubits).transpose(tuple(reversed(range(num_qubits)))).reshape(-1)


def qiskit_circuit(circuit: Circuit, *, state=None, data=None, measure: Sequence[int] | None = None):
    """Parameterised ``QuantumCircuit`` over ``ParameterVector("θ", P)`` (module docstring)."""
    from qiskit import ClassicalRegister, QuantumCircuit
    from qiskit.circuit.library import StatePreparation

    from qdist.interop.qiskit import to_qiskit

    body = to_qiskit(circuit, data=data)
    n = circuit.num_qubits
    qc = QuantumCircuit(n)
    if state is not None:
        psi = little_endian(np.asarray(state), n)
        psi = psi / np.linalg.norm(psi)
        qc.append(StatePreparation(psi), range(n))
    qc.compose(body, inplace=True)
    if measure is not None:
        creg = ClassicalRegister(len(measure), "c")
        qc.add_register(creg)
        for i, w in enumerate(measure):
            qc.measure(int(w), creg[i])
    return qc


_PASS_MANAGERS: dict = {}
_ISA: dict = {}


def pass_manager(device, optimization_level: int = 2):
    """Preset pass manager for ``device`` (memoised; ``optimization_level`` 2 or 3)."""
    from qiskit.transpiler import generate_preset_pass_manager

    if optimization_level not in (2, 3):
        raise ValueError(
            f"optimization_level: expected 2 or 3 (docs/concepts/hardware-stack.md#transpiling), got {optimization_level!r}"
        )
    key = (id(device), optimization_level)
    if key not in _PASS_MANAGERS:
        with warnings.catch_warnings():  # qiskit-ibm-runtime's deprecated fractional-gate plugin
            warnings.simplefilter("ignore", DeprecationWarning)
            pm = generate_preset_pass_manager(
                optimization_level=optimization_level, backend=device, seed_transpiler=SEED_TRANSPILER
            )
        _PASS_MANAGERS[key] = (device, pm)
    return _PASS_MANAGERS[key][1]


def isa_circuit(
    device, circuit: Circuit, *, state=None, data=None, measure=None, optimization_level: int = 2
):
    """ISA form of the qdist ``circuit`` (with initial ``state``, bound ``data`` and measured wires
    ``measure``) for ``device``; memoised on the inputs' content."""
    key = (
        id(device),
        optimization_level,
        circuit.fingerprint,
        None if state is None else sha256(np.asarray(state, dtype=np.complex128)),
        None if data is None else sha256(np.asarray(data, dtype=np.float64)),
        None if measure is None else tuple(int(w) for w in measure),
    )
    if key not in _ISA:
        if len(_ISA) > 256:
            _ISA.clear()
        qc = qiskit_circuit(circuit, state=state, data=data, measure=measure)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            _ISA[key] = (device, pass_manager(device, optimization_level).run(qc))
    return _ISA[key][1]


def parameter_columns(isa) -> np.ndarray:
    """Column of the qdist parameter vector for every parameter of ``isa`` (in ``isa.parameters``
    order; parameters the transpiler removed have no column)."""
    return np.array([p.index for p in isa.parameters], dtype=np.int64)


def used_qubits(isa) -> tuple[int, ...]:
    """Physical qubits an ISA circuit touches, plus the final positions of its virtual qubits
    (where an Estimator measures observables)."""
    used = {isa.find_bit(q).index for ins in isa.data if ins.operation.name != "barrier" for q in ins.qubits}
    if isa.layout is not None:
        used |= set(isa.layout.final_index_layout())
    return tuple(sorted(used))


def measured_physical(isa) -> tuple[int, ...]:
    """Physical qubit measured into each clbit of ``isa`` (clbit order)."""
    out = {}
    for ins in isa.data:
        if ins.operation.name == "measure":
            out[isa.find_bit(ins.clbits[0]).index] = isa.find_bit(ins.qubits[0]).index
    return tuple(out[c] for c in sorted(out))


def circuit_hash(isa) -> str:
    """Deterministic content hash of a (transpiled) circuit: instruction names, qubits, clbits and
    angles (parameter expressions by their text), independent of parameter UUIDs."""
    rows = []
    for ins in isa.data:
        params = []
        for v in ins.operation.params:
            if isinstance(v, np.ndarray):
                params.append(sha256(v))
            elif isinstance(v, (int, float, complex, np.number)):
                params.append(repr(complex(v)))
            else:
                params.append(str(v))
        rows.append(
            (
                ins.operation.name,
                [isa.find_bit(q).index for q in ins.qubits],
                [isa.find_bit(c).index for c in ins.clbits],
                params,
            )
        )
    return sha256(isa.num_qubits, repr(float(isa.global_phase)) if not _symbolic(isa) else "sym", rows)


def _symbolic(isa) -> bool:
    from qiskit.circuit import ParameterExpression

    return isinstance(isa.global_phase, ParameterExpression)


def sparse_pauli(observable: Observable, num_qubits: int):
    """qdist observable → ``SparsePauliOp`` on ``num_qubits`` (Qiskit qubit q = qdist wire q)."""
    from qiskit.quantum_info import SparsePauliOp

    terms = [
        ("".join(p for _, p in word), [w for w, _ in word], float(c))
        for c, word in zip(observable.coeffs, observable.words, strict=True)
    ]
    if not terms:
        terms = [("", [], 0.0)]
    return SparsePauliOp.from_sparse_list(terms, num_qubits=num_qubits)


def isa_observable(observable: Observable, isa, num_qubits: int):
    """``SparsePauliOp`` of ``observable`` with the ISA circuit's layout applied."""
    return sparse_pauli(observable, num_qubits).apply_layout(isa.layout)


__all__ = [
    "BASIS_ANGLES",
    "basis_bindings",
    "circuit_hash",
    "isa_circuit",
    "isa_observable",
    "little_endian",
    "measured_circuit",
    "measured_physical",
    "parameter_columns",
    "pass_manager",
    "qiskit_circuit",
    "slot_circuit",
    "sparse_pauli",
    "used_qubits",
]
