"""The Estimator and Device protocols: a new estimator is one module plus one registration line,
and then `qdist.grad`, every backend, the network protocols and the cost model use it."""

from __future__ import annotations

import numpy as np
import pytest
from examples.finite_difference import FiniteDifference

import qdist
import qdist.backends as qb
from qdist import gradients as registry
from qdist.devices.exact import ExactDevice
from qdist.network import costs
from qdist.network.model import ModelSpec, random_model
from qdist.network.protocols import run_gradient


@pytest.fixture
def fd():
    qdist.register_method("finite-difference", FiniteDifference())  # the one registration line
    yield "finite-difference"
    registry._REGISTERED.pop("finite-difference", None)


def _circuit():
    ops = [qdist.gate("RY", 0, 0), qdist.gate("RX", 1, 1), qdist.gate("CX", (0, 1)), qdist.gate("RZ", 1, 2)]
    return qdist.make_circuit(2, ops), np.array([0.3, -0.8, 0.5]), qdist.pauli_sum({"ZZ": 1.0, "XI": 0.5})


def test_registered_estimator_runs_everywhere(fd):
    c, p, obs = _circuit()
    _, g = qdist.value_and_grad(c, p, obs)
    h = 0.1
    exact_fd = qdist.grad(c, p, obs, method=fd, h=h)
    # independent closed form: central difference of f along each axis, from qdist.expval
    ref = [(qdist.expval(c, p + h * e, obs) - qdist.expval(c, p - h * e, obs)) / (2 * h) for e in np.eye(3)]
    assert np.allclose(exact_fd.value, ref, atol=1e-12)
    assert np.abs(exact_fd.value - g).max() < h**2  # O(h²) bias, |f'''| ≤ 1.5 here
    assert fd in qdist.methods()
    shots = 4000
    sim = qdist.grad(c, p, obs, method=fd, shots=shots, seed=3)
    # σ of a difference of two means of a ±1.5-bounded observable: ≤ 1.5·√2/(2h·√shots) ≈ 0.17
    assert np.all(np.abs(sim.value - ref) < 5 * 1.5 * np.sqrt(2) / (2 * h * np.sqrt(shots)))
    aer = qb.gradient("aer", c, p, obs, method=fd, shots=shots, seed=3)
    assert aer.copies == sim.copies == 2 * 3 * shots * 2  # 2 QWC groups (ZZ, XI)
    assert np.all(np.abs(aer.value - ref) < 5 * 1.5 * np.sqrt(2) / (2 * h * np.sqrt(shots)))


def test_registered_estimator_on_the_network(fd):
    spec = ModelSpec(features=4, layers=2, parties=2, model="hea")
    model = random_model(spec, seed=1)
    res = run_gradient(model, fd, 0.3, 0.1, seed=2)
    assert res.details["note"].startswith("central finite differences")
    shape = costs.copy_shape(spec)
    copies = FiniteDifference().copies(shape, 0.3, 0.1, {})
    assert res.ledger.copies == copies  # every copy's journey is on the ledger
    assert res.totals == costs.quantum_gradient_cost(spec, fd, 0.3, 0.1).to_dict()


def test_unknown_method_is_one_line():
    c, p, obs = _circuit()
    with pytest.raises(ValueError, match="^method: unknown gradient method 'nope'"):
        qdist.grad(c, p, obs, method="nope")


def test_simulation_only_refused_on_a_sampling_device():
    c, p, obs = _circuit()
    with pytest.raises(ValueError, match="^method: 'exact' runs only on the simulator"):
        qb.gradient("aer", c, p, obs, method="exact", shots=10, seed=0)
    assert ExactDevice().exact


def test_basis_angles_match_rotations():
    from qdist.measure.bases import BASIS_ANGLES, ROTATIONS, u_matrix

    for r in range(3):
        u = u_matrix(BASIS_ANGLES[r, 0], 0.0, BASIS_ANGLES[r, 1])
        overlap = np.vdot(u.ravel(), ROTATIONS[r].ravel())
        assert abs(abs(overlap) - 2.0) < 1e-12  # equal up to a global phase


def test_the_docs_show_the_example_verbatim():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "dev" / "estimators.md").read_text()
    assert (root / "tests" / "examples" / "finite_difference.py").read_text() in page


def test_registered_estimator_trains(fd):
    """Training (protocol engine: the estimator takes one input state at a time) runs the new
    estimator and charges exactly what the ledgers record."""
    from qdist.learn.data import Dataset
    from qdist.learn.train import TrainConfig, train_quantum

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (12, 4))
    y = (x[:, 0] > x[:, 1]).astype(np.int64)
    ds = Dataset("toy", x[:8], y[:8], x[8:], y[8:], ("0", "1"), ("a", "b", "c", "d"))
    cfg = TrainConfig(
        layers=2, parties=2, epochs=1, batch_size=4, method=fd, shots=20, epsilon=0.3, delta=0.1
    )
    res = train_quantum(ds, cfg, progress=False)
    assert res.model["engine"] == "protocol"
    P = ModelSpec(features=4, layers=2, parties=2, schedule=cfg.schedule, model=cfg.model).num_params
    # 8 samples × one readout × 2P shifted circuits × 20 shots, one QWC group (Z on wire 0)
    assert res.by_purpose["gradient"]["copies"] == 8 * 2 * P * 20
    assert np.isfinite(res.final["test_accuracy"])
