"""What the two primitives share: a PUB's circuit as a qdist circuit, its parameter rows, seeds.

* the circuit goes through `qdist.interop.qiskit.from_qiskit` with the parameters in
  ``qc.parameters`` order (Qiskit's qubit ``q`` is qdist's wire ``q``); for the sampler, the final
  measurements are taken off first and kept as ``(qubit, register, bit)`` triples;
* the ``BindingsArray`` of shape ``S`` becomes ``(prod S, P)`` rows (``as_array(qc.parameters)``);
* a primitive's ``seed`` (int, ``numpy.random.Generator`` or ``None``) gives one generator per
  ``run``; each PUB draws its own device seed from it, so a seeded run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdist.interop.qiskit import from_qiskit
from qdist.sim.circuit import Circuit

__all__ = ["Measured", "check_seed", "parameter_rows", "pub_seeds", "split_measurements", "to_circuit"]


def check_seed(seed):
    """``seed``: an int, a numpy ``Generator`` or ``None`` (one-line error otherwise)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise ValueError(f"seed: expected a non-negative int, a numpy Generator or None, got {seed!r}")


def pub_seeds(seed, count: int) -> list[int]:
    """One device seed per PUB of a ``run``."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return [int(s) for s in rng.integers(0, 2**62, size=count)]


def to_circuit(qc) -> Circuit:
    """A unitary Qiskit circuit → qdist, parameters in ``qc.parameters`` order."""
    return from_qiskit(qc, parameters=list(qc.parameters))


def parameter_rows(pub) -> np.ndarray:
    """``(prod S, P)``: the PUB's parameter values, one row per element of its ``BindingsArray``."""
    params = list(pub.circuit.parameters)
    bindings = pub.parameter_values
    size = int(np.prod(bindings.shape, dtype=int))
    if not params:
        return np.zeros((size, 0))
    return np.asarray(bindings.as_array(params), dtype=np.float64).reshape(size, len(params))


@dataclass(frozen=True)
class Measured:
    """A circuit without its final measurements, and what they recorded.

    Attributes:
        unitary: the circuit without the measurements (and without classical bits).
        qubits: the measured qubits, in measurement order (later measurements of a bit win).
        targets: ``(register name, bit index)`` of each measured qubit.
        registers: ``(name, size)`` of every classical register, in circuit order.
    """

    unitary: object
    qubits: tuple[int, ...]
    targets: tuple[tuple[str, int], ...]
    registers: tuple[tuple[str, int], ...]


def split_measurements(qc) -> Measured:
    """Take the final ``measure`` instructions off ``qc``; a measurement followed by an operation
    on its qubit, or any other non-unitary instruction, is a one-line ``ValueError``."""
    from qiskit import QuantumCircuit

    unitary = QuantumCircuit(*qc.qregs, global_phase=qc.global_phase)
    measured: dict[tuple[str, int], int] = {}
    done: set[int] = set()
    for pos, inst in enumerate(qc.data):
        op = inst.operation
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        if op.name == "measure":
            clbit = qc.find_bit(inst.clbits[0])
            if not clbit.registers:
                raise ValueError(f"circuit: instruction {pos} (measure) writes a bit outside a register")
            reg, bit = clbit.registers[0]
            measured[(reg.name, bit)] = qubits[0]
            done.add(qubits[0])
            continue
        if op.name == "barrier":
            continue
        if inst.clbits or getattr(op, "condition", None) is not None:
            raise ValueError(f"circuit: instruction {pos} ({op.name}) is not supported (classical bits)")
        if done & set(qubits):
            raise ValueError(
                f"circuit: instruction {pos} ({op.name}) acts on a measured qubit "
                "(mid-circuit measurement is not supported)"
            )
        unitary.append(op, inst.qubits)
    registers = tuple((r.name, r.size) for r in qc.cregs)
    targets = tuple(measured)
    return Measured(unitary, tuple(measured[t] for t in targets), targets, registers)
