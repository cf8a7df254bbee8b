"""Test accuracy of a trained classifier against link noise ([link models][link-models]).

A model trained on ideal links is evaluated through noisy ones: every link applies the same
single-qubit channel (``depolarizing`` of strength p by default) to every qubit of the register at
every hop, and each test sample's readouts are the *noisy* expectations
f̃_c(θ; x) = Tr(Z_c ρ_H(x)) (`qdist.network.noisy`: the flattened circuit cut at the hops on
[`NoisyDevice`][qdist.devices.noisy.NoisyDevice], density matrices, exact — the limit of many
shots). The trained classical head turns them into the predicted class, z_c = scale_c·f̃_c + bias_c.
Only the evaluation is noisy: the parameters are those trained on ideal links (no retraining under
noise). Depolarizing noise shrinks every readout towards 0, so the logits collapse towards the
head's bias and the accuracy falls towards the share of the class the bias favours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qdist.devices.noisy import NoisyDevice
from qdist.devices.protocol import expectation_run
from qdist.learn.head import head_loss
from qdist.network.links import Link, Links
from qdist.network.noisy import hop_channels, hop_cuts
from qdist.sim.channels import KINDS, Channel

__all__ = ["SWEEP", "accuracy_vs_noise", "noisy_readouts"]

#: The depolarising strengths of the sweep.
SWEEP = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


def noisy_readouts(trainer, theta, states, data, channel: Channel) -> np.ndarray:
    """``(B, m)`` noisy readouts f̃_c of ``trainer``'s model (a
    `QuantumTrainer`) at ``theta`` for the encoded samples
    ``states`` ``(B, 2ⁿ)``, ``data`` ``(B, 2ⁿ)``, with ``channel`` on every qubit at every hop."""
    spec = trainer.spec
    chans = hop_channels(spec, Links.uniform(Link(noise=(channel,))))
    device = NoisyDevice(hop_cuts(spec), chans)
    theta = np.asarray(theta, dtype=np.float64)
    run = expectation_run(
        trainer.circuit,
        np.tile(theta, (len(states), 1)),
        trainer.readouts,
        None,
        states=np.asarray(states),
        data=np.asarray(data),
    )
    (e,) = device.run([run], 0)
    return np.asarray(e.values)


def accuracy_vs_noise(
    trainer, params: dict, *, kind: str = "depolarizing", strengths: Sequence[float] = SWEEP
) -> dict:
    """Test accuracy (and the mean |f̃_c|) of the trained ``params`` (``theta``, ``scale``, ``bias``)
    with ``kind`` noise of each strength on every link: ``{"kind", "strengths", "test_accuracy",
    "mean_abs_readout", "trained_under_noise": False}``."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    channels = [Channel(kind, p) for p in strengths]  # validates every strength
    scale, bias = np.asarray(params["scale"]), np.asarray(params["bias"])
    y = trainer.dataset.y_test
    acc, mag = [], []
    for ch in channels:
        f = noisy_readouts(trainer, params["theta"], trainer.states_te, trainer.data_te, ch)
        _, correct, _ = head_loss(f, y, scale, bias, trainer.M)
        acc.append(float(np.mean(correct)))
        mag.append(float(np.mean(np.abs(f))))
    return {
        "kind": kind,
        "strengths": [float(p) for p in strengths],
        "test_accuracy": acc,
        "mean_abs_readout": mag,
        "trained_under_noise": False,
    }
