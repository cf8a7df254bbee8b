"""The Qiskit Runtime side of a job (issue 6, [the hardware stack][hardware-stack]): the ``mode`` of a ``SamplerV2``/
``EstimatorV2`` (the IBM device on hardware; locally an ``AerSimulator`` carrying the device's noise
model restricted to the qubits the job uses, cached per noise model, device and thread count), the
run options (``seed_simulator`` locally, error mitigation on a real device) and the
``BindingsArray`` of a PUB's parameter rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from qdist.backends.backend import Backend, simulator_seed
from qdist.backends.compile import parameter_columns, used_qubits
from qdist.backends.devices import restricted_noise_model

_SIMULATORS: dict = {}


def _local_mode(backend: Backend, qubits: Sequence[int]):
    """The ``mode`` of a local Runtime primitive: an ``AerSimulator`` with the right noise model.

    ``fake``: ``AerSimulator.from_backend(device, noise_model=restricted)`` — the device's target
    (so the Estimator unrolls its measurement-basis changes to ISA gates, which then get their
    noise, as in Runtime's local mode) without building the full noise model.
    """
    from qiskit_aer import AerSimulator

    opts = {"max_parallel_threads": backend.threads} if backend.threads else {}
    if backend.spec.kind == "fake":
        nm = restricted_noise_model(backend.device, qubits)
    else:
        nm = backend.noise_model
    key = (id(nm), id(backend.device), backend.threads)
    if key not in _SIMULATORS:
        if len(_SIMULATORS) > 16:
            _SIMULATORS.clear()
        if backend.spec.kind == "fake":
            sim = AerSimulator.from_backend(backend.device, noise_model=nm, **opts)
        elif nm is not None:
            sim = AerSimulator(noise_model=nm, **opts)
        else:
            sim = AerSimulator(**opts)
        _SIMULATORS[key] = (nm, backend.device, sim)
    return _SIMULATORS[key][2]


def _mode(backend: Backend, isas) -> object:
    if backend.spec.kind == "ibm":
        return backend.device
    qubits = sorted({q for isa in isas for q in used_qubits(isa)})
    return _local_mode(backend, qubits)


def run_options(backend: Backend, seed: int) -> dict:
    """What `_configure` sets: ``seed_simulator`` locally, the mitigation options on a device."""
    if not backend.real_device:
        return {"seed_simulator": simulator_seed(seed)}
    return dict(backend.mitigation)


def _configure(prim, backend: Backend, primitive: str, seed: int, shots: int | None) -> None:
    """Set the seed (local) or the mitigation options (real device) on a Runtime primitive."""
    if not backend.real_device:
        prim.options.simulator.seed_simulator = simulator_seed(seed)
        return
    m = backend.mitigation
    if primitive == "sampler" and "resilience_level" in m:
        warnings.warn(
            f"backend {backend.spec}: resilience_level applies to Estimator jobs; this Sampler job "
            "(shadows) uses twirling and dynamical decoupling only",
            UserWarning,
            stacklevel=3,
        )
    if primitive == "estimator":
        if shots is not None:
            prim.options.default_shots = int(shots)
        if "resilience_level" in m:
            prim.options.resilience_level = m["resilience_level"]
    if m.get("twirling"):
        prim.options.twirling.enable_gates = True
        prim.options.twirling.enable_measure = primitive == "estimator"
    if m.get("dynamical_decoupling"):
        prim.options.dynamical_decoupling.enable = True
        prim.options.dynamical_decoupling.sequence_type = m["dynamical_decoupling"]


def _bindings_array(isa, rows: np.ndarray, estimator: bool):
    """PUB parameter values: the columns of ``rows`` the ISA circuit uses, shaped ``(B,)`` for a
    sampler and ``(B, 1)`` for an estimator (broadcast against ``(1, M)`` observables)."""
    from qiskit.primitives.containers.bindings_array import BindingsArray

    cols = parameter_columns(isa)
    shape = (rows.shape[0], 1) if estimator else (rows.shape[0],)
    if cols.size == 0:
        return BindingsArray(shape=shape)
    vals = rows[:, cols].reshape(shape + (cols.size,))
    return BindingsArray({tuple(isa.parameters): vals})
