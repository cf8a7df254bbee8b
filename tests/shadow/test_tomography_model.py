"""The saturation model of shadow tomography's copies (docs/concepts/shadows.md#tomography-copies-model):
the derived parts exactly (copies given the updates, the saturation point as the dimension of the
observables' span), the fitted part against fresh instances within the stated fit error, and the
scheme next to the worst case."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qdist.estimators.protocol import CopyShape
from qdist.sim.observables import pauli
from shadows.tomography import circuit_family, tomography_constants
from shadows.tomography_estimator import TOMOGRAPHY, run_bound
from shadows.tomography_model import (
    FIT,
    hea_circuit,
    measure_run,
    model_segment_copies,
    model_updates,
    saturation_point,
    span_dimension,
    tomography_model_copies,
)

# (n, M) fast sizes on both sides of the saturation point M_s = d²/2 (32 for n = 2, 128 for n = 3)
FRESH = [(2, 8), (2, 16), (2, 32), (2, 64), (3, 12), (3, 24), (3, 48)]


def test_copies_given_updates_are_exact():
    r = measure_run(2, 16, 0.1, 0.05, seed=11)
    c = tomography_constants(0.1, 0.05, 2 * 16, 8)
    U = r["updates"]
    assert r["converged"] and U > 0
    assert r["copies"] == (U + 1) * c["batch_size"] + U * c["estimate_size"]


@pytest.mark.parametrize("n, M", [(1, 2), (1, 8), (2, 8), (2, 16), (2, 64)])
def test_span_dimension_of_the_observables(n, M):
    """rank over ℝ of {B_j} (vectorised real and imaginary parts) = min(M, D² − 1) for generic angles."""
    c = hea_circuit(n, M // (2 * n))
    p = np.random.default_rng(5).uniform(0, 2 * np.pi, c.num_params)
    fam, _, _, _ = circuit_family(c, p, pauli("Z", (0,)))
    vecs = np.array(
        [np.concatenate([fam.dense(b).real.ravel(), fam.dense(b).imag.ravel()]) for b in range(M)]
    )
    assert np.linalg.matrix_rank(vecs, tol=1e-8) == min(M, span_dimension(fam.d))


def test_model_reproduces_fresh_instances_within_the_stated_fit_error():
    """Fresh angle and learner seeds (the fit used seeds 0–2): every instance within 3·log_rms of
    the model in ln(copies), and the mean residual within 3·log_rms/√k."""
    sigma = FIT["log_rms"]
    res = []
    for i, (n, M) in enumerate(FRESH):
        r = measure_run(n, M, 0.1, 0.05, seed=1000 + i)
        res.append(math.log(r["copies"] / r["model"]))
    res = np.array(res)
    assert np.all(np.abs(res) <= 3 * sigma), (res, sigma)
    assert abs(res.mean()) <= 3 * sigma / math.sqrt(len(res)), (res, sigma)


def test_model_shape_and_worst_case():
    d = 32
    Ms = saturation_point(d)
    assert Ms == FIT["kappa"] * 255
    below = [model_updates(Ms * f, d, 0.1) for f in (1 / 8, 1 / 4, 1 / 2, 1)]
    above = [model_updates(Ms * f, d, 0.1) for f in (1, 2, 4)]
    assert np.all(np.diff(below) > 0)
    assert above[2] / above[0] == pytest.approx(4 ** FIT["beta"])
    for m, dim in ((16, 8), (1024, 32), (2**40, 2**21)):
        assert tomography_model_copies(0.1, 0.05, m, dim) <= run_bound(0.1, 0.05, m, dim)
    shape = CopyShape(num_params=10, total_params=20, layers=3, num_qubits=4)
    o = TOMOGRAPHY.sized_options(shape, 0.1, 0.05)
    assert model_segment_copies(shape, 0.1, 0.05) == tomography_model_copies(0.1, o["delta"], 20, 32)
    assert model_segment_copies(shape, 0.1, 0.05) <= TOMOGRAPHY.copies(shape, 0.1, 0.05, {})


def test_scheme_next_to_the_worst_case():
    from qdist.reports.schemes import schemes_for

    cfg = {"epsilon": 0.1, "delta": 0.05, "bits": 32, "layers": 2, "parties": 2, "schedule": "pipeline"}
    cfg |= {"model": "diag", "steps": 3, "batch": 2}
    for task in ("gradient", "training"):
        sch = {s.name: s for s in schemes_for(task, cfg)}
        model, worst = sch["tomography-model"], sch["tomography"]
        assert model.kind == "quantum" and model.problem == "model"
        for N in (4, 2**10, 2**60):
            assert 0 < model.cost(N).communication < worst.cost(N).communication


@pytest.mark.parametrize(
    "call, start",
    [
        (lambda: tomography_model_copies(0.1, 0.05, 1, 8), "num_observables:"),
        (lambda: tomography_model_copies(0.1, 0.05, 8.0, 8), "num_observables:"),
        (lambda: tomography_model_copies(0.1, 0.05, 8, 1), "dim:"),
        (lambda: measure_run(2, 6, 0.1, 0.05, seed=0), "num_params:"),
    ],
)
def test_bad_inputs(call, start):
    with pytest.raises(ValueError) as e:
        call()
    assert str(e.value).startswith(start) and "\n" not in str(e.value)
