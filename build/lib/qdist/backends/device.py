"""Every backend behind the Device protocol (`qdist.devices.protocol`).

``jax`` is the exact device (`qdist.devices.exact.ExactDevice`, no job). ``pennylane:<device>``,
``aer``, ``fake:<name>`` and ``ibm:<name>`` become a `BackendDevice`: one `Device.run` call is ONE
job per primitive — the expectation runs one estimator job (`qdist.backends.execute.run_estimator`),
the sampling runs one sampler job (`qdist.backends.execute.run_sampler`) — recorded in the job
registry before it is awaited, loaded instead of resubmitted when it already finished, retried on
failure. Sampled bits are returned as outcome counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qdist.backends.backend import Backend, get_backend
from qdist.backends.execute import run_estimator, run_sampler
from qdist.devices.exact import ExactDevice
from qdist.devices.protocol import Device, Expectations, Run
from qdist.measure.observation import plan_observation
from qdist.measure.sampling import counts_from_bits

__all__ = ["BackendDevice", "as_device"]


@dataclass
class BackendDevice:
    """A non-``jax`` backend as a device; ``jobs`` collects the job outcomes of its runs."""

    backend: Backend
    task: str = "batch"
    exact: bool = False
    jobs: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.backend.spec)

    def run(self, batch: Sequence[Run], seed: int) -> list:
        for r in batch:
            if r.shots is None:
                raise ValueError(f"shots: backend {self.name} samples; expected an integer ≥ 1, got None")
            if r.states is not None and np.asarray(r.states).ndim == 2:
                raise ValueError(f"state: backend {self.name} takes one initial state per circuit")
        out: list = [None] * len(batch)
        seed = int(seed) % (2**63)
        expect = [i for i, r in enumerate(batch) if r.observables is not None]
        sample = [i for i, r in enumerate(batch) if r.observables is None]
        if expect:  # one estimator job (Runtime's EstimatorV2 on Qiskit devices, with mitigation)
            rs = [batch[i] for i in expect]
            job = run_estimator(
                self.backend,
                [r.circuit for r in rs],
                [list(r.observables) for r in rs],
                [np.asarray(r.bindings, dtype=np.float64) for r in rs],
                [int(r.shots) for r in rs],
                seed,
                states=[r.states for r in rs],
                data=[r.data for r in rs],
                task=self.task,
            )
            self.jobs.append(job.job)
            for i, r, v, sd in zip(expect, rs, job.values, job.stds, strict=True):
                groups = len(plan_observation(r.observables, r.grouping).groups)
                out[i] = Expectations(
                    np.asarray(v), np.asarray(sd) ** 2, np.full(np.shape(v), np.nan), groups
                )
        if sample:  # one sampler job
            rs = [batch[i] for i in sample]
            job = run_sampler(
                self.backend,
                [r.circuit for r in rs],
                [np.asarray(r.bindings, dtype=np.float64) for r in rs],
                [int(r.shots) for r in rs],
                seed,
                measure=[r.wires for r in rs],
                states=[r.states for r in rs],
                data=[r.data for r in rs],
                task=self.task,
            )
            self.jobs.append(job.job)
            for i, bits in zip(sample, job.bits, strict=True):
                out[i] = counts_from_bits(bits)
        return out

    @property
    def job_ids(self) -> tuple:
        return tuple(j.job_id for j in self.jobs if j is not None and j.job_id is not None)

    @property
    def resumed(self) -> bool:
        return any(getattr(j, "resumed", False) for j in self.jobs)


def as_device(backend, task: str = "batch") -> Device:
    """The device of a backend string or `Backend` (``jax`` → the exact device)."""
    b = backend if isinstance(backend, Backend) else get_backend(backend)
    if b.spec.kind == "jax":
        return ExactDevice()
    return BackendDevice(b, task)
