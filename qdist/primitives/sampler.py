"""``qdist.primitives.SamplerV2``: Qiskit's Sampler V2 interface on qdist's exact simulator.

A PUB ``(circuit, parameter_values, shots)`` (coerced by ``SamplerPub.coerce``; ``shots`` default
``default_shots``) must end in measurements. They are taken off the circuit
(`qdist.primitives.pubs.split_measurements`), the measured qubits' Born distribution is computed
exactly for every parameter row and ``shots`` outcomes are drawn from it (exact multinomial
counts, `qdist.devices.exact.ExactDevice`, then put in a seeded random order), so each shot is an
independent draw as on ``StatevectorSampler``. The result holds one ``BitArray`` per classical
register, of shape ``parameter_values.shape`` and ``num_shots = shots``; bits never measured are 0.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from qiskit.primitives import BasePrimitiveJob, BaseSamplerV2, PrimitiveJob, PrimitiveResult
from qiskit.primitives.containers import BitArray, DataBin, SamplerPubResult
from qiskit.primitives.containers.sampler_pub import SamplerPub

from qdist.devices.exact import ExactDevice
from qdist.devices.protocol import Run
from qdist.precision import x64
from qdist.primitives.pubs import check_seed, parameter_rows, pub_seeds, split_measurements, to_circuit

__all__ = ["SamplerV2"]


def _bit_array(values: np.ndarray, num_bits: int) -> BitArray:
    """Integers ``(…, shots)`` (bit ``c`` = clbit ``c``) → a ``BitArray`` (big-endian bytes)."""
    nbytes = max(1, (num_bits + 7) // 8)
    shifts = 8 * np.arange(nbytes - 1, -1, -1, dtype=np.uint64)
    raw = (values[..., None].astype(np.uint64) >> shifts) & np.uint64(0xFF)
    return BitArray(raw.astype(np.uint8), num_bits)


def _samples(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(R, 2^k)`` counts → ``(R, shots)`` outcome indices in a random order."""
    out = [rng.permutation(np.repeat(np.arange(c.size), c)) for c in counts.astype(np.int64)]
    return np.stack(out)


class SamplerV2(BaseSamplerV2):
    """Sampler V2 on qdist (module docstring).

    Args:
        default_shots: shots of PUBs that give none.
        seed: seed of the sampling (int, numpy ``Generator`` or ``None``).
    """

    def __init__(self, *, default_shots: int = 1024, seed=None):
        if isinstance(default_shots, bool) or not isinstance(default_shots, (int, np.integer)):
            raise ValueError(f"default_shots: expected a positive int, got {default_shots!r}")
        if default_shots < 1:
            raise ValueError(f"default_shots: expected a positive int, got {default_shots!r}")
        self._default_shots = int(default_shots)
        self._seed = check_seed(seed)

    @property
    def default_shots(self) -> int:
        return self._default_shots

    @property
    def seed(self):
        return self._seed

    def run(self, pubs: Iterable, *, shots: int | None = None) -> BasePrimitiveJob:
        if shots is None:
            shots = self._default_shots
        coerced = [SamplerPub.coerce(pub, shots) for pub in pubs]
        for i, pub in enumerate(coerced):
            if not pub.circuit.cregs:
                raise ValueError(f"pubs[{i}]: the circuit has no classical register to sample into")
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[SamplerPub]) -> PrimitiveResult:
        seeds = pub_seeds(self._seed, len(pubs))
        return PrimitiveResult(
            [self._run_pub(p, s) for p, s in zip(pubs, seeds, strict=True)], metadata={"version": 2}
        )

    @x64
    def _run_pub(self, pub: SamplerPub, seed: int) -> SamplerPubResult:
        m = split_measurements(pub.circuit)
        circuit = to_circuit(m.unitary)
        rows = parameter_rows(pub)
        shape = pub.parameter_values.shape
        wires = tuple(dict.fromkeys(m.qubits))  # each measured qubit once
        position = {q: i for i, q in enumerate(wires)}
        if wires:
            run = Run(circuit, rows, wires, pub.shots)
            (counts,) = ExactDevice().run([run], seed)
            rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
            outcome = _samples(np.asarray(counts), rng)  # (R, shots), wires[0] most significant
        else:
            outcome = np.zeros((rows.shape[0], pub.shots), dtype=np.int64)
        k = len(wires)
        regs = {name: np.zeros(outcome.shape, dtype=np.int64) for name, _ in m.registers}
        for q, (name, bit) in zip(m.qubits, m.targets, strict=True):
            value = (outcome >> (k - 1 - position[q])) & 1
            regs[name] |= value << bit
        data = {
            name: _bit_array(regs[name].reshape(shape + (pub.shots,)), size) for name, size in m.registers
        }
        meta = {"shots": pub.shots, "circuit_metadata": pub.circuit.metadata}
        return SamplerPubResult(DataBin(**data, shape=shape), metadata=meta)
