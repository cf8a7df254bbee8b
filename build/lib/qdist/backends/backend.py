"""Backend objects (issue 6, [classical shadows][classical-shadows], [the hardware stack][hardware-stack]): `Backend`, the resolved backend that
`qdist.backends.execute.run_sampler` / `qdist.backends.execute.run_estimator` run a job
on; [`get_backend`][qdist.backends.get_backend], which parses a backend string (`qdist.backends.spec`) and checks its
options (error mitigation, retries, threads, optimization level); the width and shot checks; and
`simulator_seed`, the local simulators' seed (never 0: Runtime's local mode drops a 0 seed).
The retry policy is described in `qdist.backends.jobs`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from qdist.backends.devices import fake_device, ibm_device, ibm_service
from qdist.backends.registry import JobRegistry
from qdist.backends.spec import BackendError, BackendSpec, parse_backend
from qdist.measure.seeds import simulator_seed  # noqa: F401 (re-exported)
from qdist.validate import check_shots as _check_shots

MITIGATION = ("resilience_level", "twirling", "dynamical_decoupling")
DD_SEQUENCES = ("XX", "XpXm", "XY4")


# ---------------------------------------------------------------------------------------------
# backend objects
# ---------------------------------------------------------------------------------------------
@dataclass
class Backend:
    """A resolved backend: what `run_sampler` / `run_estimator` need to run a job.

    Attributes:
        spec: the parsed backend string.
        device: Qiskit ``BackendV2`` that circuits are transpiled for (fake or IBM device,
            ``AerSimulator`` for ``aer``); ``None`` for ``jax``/``pennylane``.
        noise_model: ``aer`` only: the Aer noise model (or ``None``).
        service: ``ibm`` only: the ``QiskitRuntimeService`` (or Runtime's local service).
        mitigation: ``resilience_level``, ``twirling``, ``dynamical_decoupling`` — passed to the
            Runtime primitives on real devices, ignored (one warning) elsewhere.
        optimization_level: preset pass manager level (2 or 3).
        registry: the job registry (``None`` for ``jax``).
        retries, backoff: retry policy (module docstring).
        threads: OpenMP threads of local Aer simulations (0 = Aer's default).
    """

    spec: BackendSpec
    device: object | None = None
    noise_model: object | None = None
    service: object | None = None
    mitigation: dict = field(default_factory=dict)
    optimization_level: int = 2
    registry: JobRegistry | None = None
    retries: int = 2
    backoff: float = 2.0
    threads: int = 1

    @property
    def name(self) -> str:
        return str(self.spec)

    @property
    def num_qubits(self) -> int | None:
        """Qubits of the device (``None``: no limit but memory)."""
        if self.spec.kind in ("fake", "ibm"):
            return int(self.device.num_qubits)
        return None

    @property
    def real_device(self) -> bool:
        """A device of a real ``QiskitRuntimeService`` (not Runtime's local service)."""
        return self.spec.kind == "ibm" and type(self.service).__name__ != "QiskitRuntimeLocalService"


def _check_mitigation(resilience_level, twirling, dynamical_decoupling) -> dict:
    out = {}
    if resilience_level is not None:
        if isinstance(resilience_level, bool) or resilience_level not in (0, 1, 2):
            raise ValueError(f"resilience_level: expected 0, 1 or 2, got {resilience_level!r}")
        out["resilience_level"] = int(resilience_level)
    if twirling:
        out["twirling"] = True
    if dynamical_decoupling:
        seq = "XX" if dynamical_decoupling is True else dynamical_decoupling
        if seq not in DD_SEQUENCES:
            raise ValueError(f"dynamical_decoupling: expected one of {', '.join(DD_SEQUENCES)}, got {seq!r}")
        out["dynamical_decoupling"] = seq
    return out


def get_backend(
    backend="jax",
    *,
    noise_model=None,
    service=None,
    resilience_level: int | None = None,
    twirling: bool = False,
    dynamical_decoupling: bool | str = False,
    optimization_level: int = 2,
    registry: JobRegistry | None = None,
    retries: int = 2,
    backoff: float = 2.0,
    threads: int = 1,
    min_qubits: int = 1,
) -> Backend:
    """Resolve ``backend`` (a string of `qdist.backends.spec` or a `Backend`).

    Args:
        noise_model: ``aer``: an Aer ``NoiseModel``.
        service: ``ibm``: a ``QiskitRuntimeService`` to use instead of the saved account / the
            environment — e.g. ``QiskitRuntimeService(channel="local")`` for offline tests.
        resilience_level: Runtime resilience level (0–2) on IBM devices; local modes ignore it
            with one warning (as they do the two options below).
        twirling: Pauli twirling of gates and measurements on IBM devices.
        dynamical_decoupling: DD sequence on IBM devices: ``"XX"``, ``"XpXm"`` or ``"XY4"``
            (``True`` = ``"XX"``).
        min_qubits: ``ibm:least_busy`` picks a device with at least this many qubits.
    """
    if isinstance(backend, Backend):
        return backend
    spec = parse_backend(backend)
    mitigation = _check_mitigation(resilience_level, twirling, dynamical_decoupling)
    for name, value in (("retries", retries), ("threads", threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: expected an integer ≥ 0, got {value!r}")
    if optimization_level not in (2, 3):
        raise ValueError(
            f"optimization_level: expected 2 or 3 (docs/concepts/hardware-stack.md#transpiling), got {optimization_level!r}"
        )
    device = svc = None
    if spec.kind == "fake":
        device = fake_device(spec.name)
    elif spec.kind == "aer":
        from qiskit_aer import AerSimulator

        device = AerSimulator(noise_model=noise_model) if noise_model is not None else AerSimulator()
    elif spec.kind == "ibm":
        svc = service if service is not None else ibm_service(str(spec))
        device = ibm_device(svc, spec.name, min_qubits)
    elif spec.kind == "pennylane":
        _check_pennylane_device(spec.name)
    if noise_model is not None and spec.kind != "aer":
        raise ValueError(f"noise_model: only the 'aer' backend takes a noise model, got backend {spec}")
    out = Backend(
        spec=spec,
        device=device,
        noise_model=noise_model,
        service=svc,
        mitigation=mitigation,
        optimization_level=optimization_level,
        registry=None if spec.kind == "jax" else (registry or JobRegistry()),
        retries=retries,
        backoff=float(backoff),
        threads=threads,
    )
    if mitigation and not out.real_device:
        names = ", ".join(f"{k}={v}" for k, v in mitigation.items())
        warnings.warn(
            f"backend {spec}: error mitigation ({names}) is ignored by local emulation; "
            "it applies on ibm:<device> only",
            UserWarning,
            stacklevel=2,
        )
    return out


def _check_pennylane_device(name: str) -> None:
    import pennylane as qml

    try:
        qml.device(name, wires=1)
    except Exception as exc:  # noqa: BLE001 - DeviceError, ImportError of a plugin, …
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackendError(f"backend: cannot open PennyLane device {name!r} ({first})") from None


def check_width(backend: Backend, num_qubits: int, what: str = "circuit") -> None:
    """One-line error when a circuit is wider than the device."""
    cap = backend.num_qubits
    if cap is not None and num_qubits > cap:
        raise BackendError(f"{what}: needs {num_qubits} qubits, but {backend.spec} has {cap}")


def check_shots(shots, name: str = "shots") -> int:
    """Shots of a backend job: an integer ≥ 1 (`qdist.validate.check_shots`)."""
    return _check_shots(shots, allow_none=False, name=name)
