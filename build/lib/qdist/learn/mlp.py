"""The classical baseline: an MLP trained by backpropagation, split across the same parties.

**Model.** ``N → h₁ → … → h_H → m`` with ReLU hidden layers (JAX + optax), the same loss as the
quantum model (logistic for a binary task with m = 1 output, softmax cross-entropy otherwise), the
same train/test split, batches and shuffling seeds (`qdist.learn.train.fit`). Default hidden
widths: ``(N,) · max(1, K − 1)`` — activations as wide as the data, the [pipeline baseline][classical-baselines].

**Pipeline-parallel communication** ([classical baselines][classical-baselines], counted like the quantum ledger). The H + 1 weight
layers form K contiguous blocks (Alice first, holding x; sizes as equal as possible, the first
blocks one larger). Per training sample, at each of the K − 1 block boundaries the activation
crosses forward and its gradient backward, ``width·b`` bits each; Alice also sends the label
(⌈log₂ M⌉ bits) to the last party, which computes the loss. Each party updates its own weights, so
nothing else is sent. Per sample: ``2·b·Σ_boundaries width + ⌈log₂ M⌉`` bits, 2(K − 1) + 1
messages. Every message is checked against the network ([`qdist.network.topology.pipeline`][qdist.network.topology.pipeline]).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from qdist.learn.data import Dataset
from qdist.learn.train import TrainConfig, TrainResult, fit, make_optimizer
from qdist.network.costs import CostTotals
from qdist.network.ledger import CLASSICAL, Ledger, Message
from qdist.network.topology import party_names, pipeline
from qdist.precision import x64

MLP_CATEGORIES = ("activation", "activation gradient", "label")


def _parse_hidden(hidden, features: int, parties: int) -> tuple[int, ...]:
    if hidden is None:
        return (features,) * max(1, parties - 1)
    if isinstance(hidden, str):
        parts = [h.strip() for h in hidden.split(",") if h.strip()]
        try:
            hidden = [int(h) for h in parts]
        except ValueError:
            raise ValueError(f"mlp_hidden: expected widths like '64' or '64,32', got {hidden!r}") from None
    out = []
    for h in hidden:
        if isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1:
            raise ValueError(f"mlp_hidden: expected positive integer widths, got {hidden!r}")
        out.append(int(h))
    if len(out) + 1 < parties:
        raise ValueError(
            f"mlp_hidden: {parties} parties need at least {parties} weight layers, i.e. "
            f"{parties - 1} hidden layers; got {len(out)}"
        )
    return tuple(out)


def block_owners(num_layers: int, parties: int) -> tuple[int, ...]:
    """Owner of each weight layer: K contiguous blocks, the first ``L mod K`` one larger."""
    q, r = divmod(num_layers, parties)
    out: list[int] = []
    for k in range(parties):
        out += [k] * (q + (1 if k < r else 0))
    return tuple(out)


@dataclass(frozen=True)
class MLPShape:
    widths: tuple[int, ...]
    owners: tuple[int, ...]

    @property
    def boundaries(self) -> tuple[tuple[int, int, int], ...]:
        """``(sender, receiver, width)`` for every block boundary."""
        out = []
        for ell in range(len(self.owners) - 1):
            if self.owners[ell] != self.owners[ell + 1]:
                out.append((self.owners[ell], self.owners[ell + 1], self.widths[ell + 1]))
        return tuple(out)

    @property
    def num_params(self) -> int:
        return sum(a * b + b for a, b in zip(self.widths, self.widths[1:]))


def pipeline_ledger(shape: MLPShape, parties: int, bits: int, label_bits: int, samples: int = 1) -> dict:
    """Per-category ledgers of backprop through the pipeline for ``samples`` training samples."""
    net = pipeline(parties)
    names = party_names(parties)
    out = dict.fromkeys(MLP_CATEGORIES, Ledger())
    nb = len(shape.boundaries)
    for r, (a, b, width) in enumerate(shape.boundaries):
        out["activation"] = out["activation"].add(
            net.check(Message(names[a], names[b], CLASSICAL, width * bits, "activation", r, samples))
        )
    for r, (a, b, width) in enumerate(reversed(shape.boundaries)):
        out["activation gradient"] = out["activation gradient"].add(
            net.check(
                Message(names[b], names[a], CLASSICAL, width * bits, "activation gradient", nb + r, samples)
            )
        )
    last = shape.owners[-1]
    if last != 0:
        out["label"] = out["label"].add(
            net.check(Message(names[0], names[last], CLASSICAL, label_bits, "label", 0, samples))
        )
    return out


class MLPTrainer:
    """Batches → backprop gradients → pipeline ledger charges for the classical MLP."""

    kind = "classical"
    method = "backprop"

    def __init__(self, dataset: Dataset, config: TrainConfig, hidden=None, lr: float | None = None):
        self.dataset = dataset
        M, N, K = dataset.num_classes, dataset.num_features, config.parties
        self.M, self.m = M, (1 if M == 2 else M)
        hidden = _parse_hidden(hidden, N, K)
        widths = (N, *hidden, self.m)
        self.shape = MLPShape(widths, block_owners(len(widths) - 1, K))
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0):
            raise ValueError(f"mlp_lr: expected a number > 0, got {lr!r}")
        self.lr = float(lr) if lr is not None else 0.01
        self.config = config
        self.label_bits = max(1, math.ceil(math.log2(M)))
        per = pipeline_ledger(self.shape, K, config.bits, self.label_bits, 1)
        self.per_sample = {k: CostTotals(**v.totals()) for k, v in per.items()}
        self.x_tr = jnp.asarray(dataset.x_train)
        self.y_tr = jnp.asarray(dataset.y_train)
        self._grad = jax.jit(jax.value_and_grad(self._loss, has_aux=True))
        self._logits = jax.jit(self._forward)
        self.inference_per_sample = {
            "qubits": 0,
            "classical_bits": sum(w for _, _, w in self.shape.boundaries) * config.bits + config.bits,
            "note": "one classification: activations forward through the pipeline, b-bit result to Alice",
        }

    def describe(self) -> dict:
        return {
            "widths": list(self.shape.widths),
            "owners": list(self.shape.owners),
            "boundaries": [list(b) for b in self.shape.boundaries],
            "num_params": self.shape.num_params,
            "parties": self.config.parties,
            "activation": "relu",
            "lr": self.lr,
            "optimizer": self.config.optimizer,
            "label_bits": self.label_bits,
        }

    def config_dict(self) -> dict:
        c = self.config
        return {
            "hidden": list(self.shape.widths[1:-1]),
            "lr": self.lr,
            "optimizer": c.optimizer,
            "lr_schedule": c.lr_schedule,
            "epochs": c.epochs,
            "batch_size": c.batch_size,
            "seed": c.seed,
            "parties": c.parties,
            "bits": c.bits,
        }

    def fingerprint(self) -> dict:
        keep = ("batch_size", "seed", "bits", "optimizer", "parties", "lr_schedule")
        cfg = {k: v for k, v in self.config.to_dict().items() if k in keep}
        if cfg["lr_schedule"] != "constant":
            cfg["epochs"] = self.config.epochs
        return {
            "kind": self.kind,
            "config": cfg,
            "widths": list(self.shape.widths),
            "lr": self.lr,
            "dataset": self.dataset.fingerprint,
        }

    def init_params(self) -> list:
        rng = np.random.default_rng(np.random.SeedSequence([self.config.seed, 3]))
        params = []
        for a, b in zip(self.shape.widths, self.shape.widths[1:]):
            lim = math.sqrt(6.0 / (a + b))  # Glorot uniform
            params.append({"w": jnp.asarray(rng.uniform(-lim, lim, (a, b))), "b": jnp.zeros(b)})
        return params

    def optimizer(self, total_steps: int = 1):
        return make_optimizer(self.config.optimizer, self.lr, self.config.lr_schedule, total_steps)

    @staticmethod
    def _forward(params, x):
        h = x
        for layer in params[:-1]:
            h = jax.nn.relu(h @ layer["w"] + layer["b"])
        return h @ params[-1]["w"] + params[-1]["b"]

    def _loss(self, params, x, y, mask):
        z = self._forward(params, x)
        if self.M == 2:
            per = optax.sigmoid_binary_cross_entropy(z[:, 0], y.astype(z.dtype))
            correct = (z[:, 0] > 0).astype(jnp.int32) == y
        else:
            per = optax.softmax_cross_entropy_with_integer_labels(z, y)
            correct = jnp.argmax(z, axis=1) == y
        return jnp.sum(per * mask) / jnp.sum(mask), (jnp.sum(per * mask), jnp.sum(correct * mask))

    def step(self, params, idx, nreal, rng):
        del rng  # backprop is deterministic
        mask = jnp.asarray((np.arange(len(idx)) < nreal).astype(np.float64))
        (_, (loss_sum, correct)), grads = self._grad(params, self.x_tr[idx], self.y_tr[idx], mask)
        stats = {"loss": float(loss_sum), "correct": int(correct), "count": int(nreal)}
        charges = {k: v.scale(nreal) for k, v in self.per_sample.items()}
        return grads, stats, charges

    def evaluate(self, params) -> dict:
        out = {}
        for split, x, y in (
            ("train", self.dataset.x_train, self.dataset.y_train),
            ("test", self.dataset.x_test, self.dataset.y_test),
        ):
            z = np.asarray(self._logits(params, jnp.asarray(x)))
            if self.M == 2:
                loss = np.logaddexp(0.0, z[:, 0]) - y * z[:, 0]
                correct = (z[:, 0] > 0).astype(np.int64) == y
            else:
                zmax = z.max(axis=1, keepdims=True)
                lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
                loss = lse - z[np.arange(len(y)), y]
                correct = np.argmax(z, axis=1) == y
            out[f"{split}_loss"] = float(np.mean(loss))
            out[f"{split}_accuracy"] = float(np.mean(correct))
        return out


@x64
def train_mlp(
    dataset: Dataset,
    config: TrainConfig | None = None,
    *,
    hidden=None,
    lr: float | None = None,
    name: str = "mlp",
    out_dir=None,
    resume: bool = False,
    progress: bool = True,
    task: str = "",
) -> TrainResult:
    """Train the classical MLP baseline (module docstring) with ``config``'s loop settings
    (epochs, batch size, seed, optimiser, parties, bits); ``lr`` defaults to 0.01."""
    config = TrainConfig() if config is None else config
    trainer = MLPTrainer(dataset, config, hidden=hidden, lr=lr)
    result = fit(trainer, name=name, out_dir=out_dir, resume=resume, progress=progress, task=task)
    result.notes = "classical backprop through the party pipeline: b-bit activations forward, gradients back"
    return result


__all__ = ["MLPTrainer", "MLPShape", "block_owners", "pipeline_ledger", "train_mlp"]
