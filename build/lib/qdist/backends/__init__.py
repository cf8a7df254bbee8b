"""Backends: the exact simulator, PennyLane devices, Qiskit Aer, fake IBM devices and IBM Quantum
hardware through Qiskit Runtime, all chosen by one string (issue 6; [classical shadows][classical-shadows], [the hardware stack][hardware-stack]).

    import qdist.backends as qb
    res = qb.gradient("fake:torino", circuit, params, obs, method="shadow", shots=4000, seed=1)
    res.value, res.std_error, res.extra["jobs"]           # one job for the whole gradient

* strings: [`parse_backend`][qdist.backends.parse_backend] (``jax`` | ``pennylane:<device>`` | ``aer`` | ``fake:<name>`` |
  ``ibm:<name>``), [`get_backend`][qdist.backends.get_backend] (options: noise model, service, mitigation, retries);
* tasks, one primitive job each: [`expval`][qdist.backends.expval], [`shadow`][qdist.backends.shadow], [`gradient`][qdist.backends.gradient]
  (``"param-shift"``, ``"shadow"``), [`inference`][qdist.backends.inference] and [`distributed_gradient`][qdist.backends.distributed_gradient] (the network
  protocols flattened onto one device);
* primitives over qdist circuits: `run_sampler`, `run_estimator`;
* jobs: [`JobRegistry`][qdist.backends.JobRegistry] (``$QDIST_CACHE`` or ``~/.cache/qdist``); errors: [`BackendError`][qdist.backends.BackendError]
  (user mistakes, a ``ValueError``) and [`JobFailedError`][qdist.backends.JobFailedError] (after the retries);
* devices: [`fake_device`][qdist.backends.fake_device], [`fake_names`][qdist.backends.fake_names], [`restricted_noise_model`][qdist.backends.restricted_noise_model],
  [`error_budget`][qdist.backends.error_budget] (bias bound from the device's error rates).
"""

from qdist.backends.cache import cache_dir
from qdist.backends.devices import (
    fake_device,
    fake_names,
    has_credentials,
    noise_bound,
    restricted_noise_model,
)
from qdist.backends.execute import (
    Backend,
    EstimatorRun,
    JobOutcome,
    SamplerRun,
    get_backend,
    run_estimator,
    run_sampler,
)
from qdist.backends.registry import JobRegistry
from qdist.backends.spec import KINDS, BackendError, BackendSpec, JobFailedError, parse_backend
from qdist.backends.tasks import (
    BackendResult,
    ShadowResult,
    distributed_gradient,
    error_budget,
    expval,
    gradient,
    gradient_error_budget,
    inference,
    shadow,
)

__all__ = [
    "KINDS",
    "Backend",
    "BackendError",
    "BackendResult",
    "BackendSpec",
    "EstimatorRun",
    "JobFailedError",
    "JobOutcome",
    "JobRegistry",
    "SamplerRun",
    "ShadowResult",
    "cache_dir",
    "distributed_gradient",
    "error_budget",
    "expval",
    "fake_device",
    "fake_names",
    "get_backend",
    "gradient",
    "gradient_error_budget",
    "has_credentials",
    "inference",
    "noise_bound",
    "parse_backend",
    "restricted_noise_model",
    "run_estimator",
    "run_sampler",
    "shadow",
]
