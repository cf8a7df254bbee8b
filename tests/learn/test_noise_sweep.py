"""Test accuracy against link noise (`qdist.learn.noise_sweep`): p = 0 is the noiseless
evaluation, the noisy readouts equal the parties' noisy forward pass sample by sample
(`qdist.network.noisy.noisy_forward`, an independent path), p = 1 depolarizing erases them,
and the figure is written."""

from __future__ import annotations

import numpy as np
import pytest

from qdist.learn.data import Dataset
from qdist.learn.noise_sweep import SWEEP, accuracy_vs_noise, noisy_readouts
from qdist.learn.train import QuantumTrainer, TrainConfig
from qdist.network.links import Link, Links
from qdist.network.model import build_model
from qdist.network.noisy import hop_channels, noisy_forward
from qdist.reports.plots.noise_sweep import plot_accuracy_vs_noise
from qdist.sim.channels import Channel
from qdist.sim.noise import expectation
from qdist.sim.observables import pauli

N = 8  # n = 3 qubits


def _trainer(classes: int = 2) -> QuantumTrainer:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (30, N))
    y = (x[:, 0] > x[:, 1]).astype(np.int64) if classes == 2 else np.argmax(x[:, :classes], axis=1)
    names = tuple(str(c) for c in range(classes))
    ds = Dataset("toy", x[:20], y[:20], x[20:], y[20:], names, tuple(f"f{i}" for i in range(N)))
    cfg = TrainConfig(layers=3, parties=2, schedule="interleaved", model="hea", method="exact", seed=1)
    return QuantumTrainer(ds, cfg)


@pytest.mark.parametrize("classes", [2, 3])
def test_sweep_starts_at_the_noiseless_accuracy(classes):
    tr = _trainer(classes)
    params = tr.init_params()
    sw = accuracy_vs_noise(tr, params)
    assert sw["strengths"] == list(SWEEP) and not sw["trained_under_noise"]
    assert sw["test_accuracy"][0] == pytest.approx(tr.evaluate(params)["test_accuracy"], abs=1e-12)
    # depolarizing shrinks every readout: the mean |f̃| falls strictly with p (p < 1)
    assert all(a > b for a, b in zip(sw["mean_abs_readout"], sw["mean_abs_readout"][1:]))


def test_noisy_readouts_equal_the_parties_noisy_forward():
    tr = _trainer(3)
    theta = tr.init_params()["theta"]
    ch = Channel("dephasing", 0.3)
    f = noisy_readouts(tr, theta, tr.states_te[:3], tr.data_te[:3], ch)
    chans = hop_channels(tr.spec, Links.uniform(Link(noise=(ch,))))
    for i in range(3):
        rho = noisy_forward(build_model(tr.spec, tr.dataset.x_test[i], theta), chans)
        ref = [expectation(pauli("Z", (c,)), rho, tr.spec.n) for c in range(tr.m)]
        np.testing.assert_allclose(f[i], ref, atol=1e-12)
    full = noisy_readouts(tr, theta, tr.states_te[:3], tr.data_te[:3], Channel("depolarizing", 1.0))
    np.testing.assert_allclose(full, 0.0, atol=1e-12)  # I/2ⁿ after the first hop: ⟨Z_c⟩ = 0


def test_plot_and_bad_inputs():
    tr = _trainer()
    sw = accuracy_vs_noise(tr, tr.init_params(), kind="amplitude-damping", strengths=(0.0, 0.5))
    png = plot_accuracy_vs_noise({"toy": sw})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="kind: expected one of"):
        accuracy_vs_noise(tr, tr.init_params(), kind="bitflip")
    with pytest.raises(ValueError, match="p: expected a number in"):
        accuracy_vs_noise(tr, tr.init_params(), strengths=(0.0, 1.5))
    with pytest.raises(ValueError, match="sweeps: expected at least one"):
        plot_accuracy_vs_noise({})
