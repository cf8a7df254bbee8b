"""Qiskit V2 primitives on qdist's simulator: [`EstimatorV2`][qdist.primitives.EstimatorV2] and
[`SamplerV2`][qdist.primitives.SamplerV2] (subclasses of Qiskit's ``BaseEstimatorV2`` /
``BaseSamplerV2``, drop-in for ``StatevectorEstimator`` / ``StatevectorSampler``)."""

from qdist.primitives.estimator import EstimatorV2
from qdist.primitives.sampler import SamplerV2

__all__ = ["EstimatorV2", "SamplerV2"]
