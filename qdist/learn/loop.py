"""The training loop shared by the quantum and the classical trainers: `fit` (seeded shuffling
and per-step sampling, optax updates, exact evaluation after every epoch, atomic checkpoints and
resuming from them — the checkpoint's fingerprint must match the run), `make_optimizer`, and
[`TrainResult`][qdist.learn.TrainResult], what a run produced (history, per-step log, communication by purpose).
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optax

from qdist.learn.checkpoint import load_checkpoint, restore_tree, save_checkpoint, tree_arrays
from qdist.learn.config import LR_SCHEDULES, OPTIMIZERS, _int
from qdist.network.costs import CostTotals
from qdist.precision import x64


def make_optimizer(
    name: str, lr: float, schedule: str = "constant", total_steps: int = 1
) -> optax.GradientTransformation:
    """``optax.adam`` or ``optax.sgd`` (both element-wise: each party can apply its part) with a
    constant learning rate or a cosine decay from ``lr`` to ``lr/10`` over ``total_steps``."""
    if schedule == "cosine":
        lr = optax.cosine_decay_schedule(lr, decay_steps=max(1, int(total_steps)), alpha=0.1)
    elif schedule != "constant":
        raise ValueError(f"lr_schedule: expected one of {', '.join(LR_SCHEDULES)}, got {schedule!r}")
    if name == "adam":
        return optax.adam(lr)
    if name == "sgd":
        return optax.sgd(lr)
    raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------


def _totals_dict(t: CostTotals) -> dict[str, int]:
    return {k: int(v) for k, v in t.to_dict().items()}


def _sum(parts) -> CostTotals:
    out = CostTotals()
    for p in parts:
        out = out + p
    return out


@dataclass
class TrainResult:
    """What a training run produced (see [`summary`][qdist.learn.TrainResult.summary] for the report fields)."""

    name: str
    kind: str  # "quantum" | "classical"
    method: str
    config: dict
    model: dict
    params: dict
    history: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    by_purpose: dict = field(default_factory=dict)  # category -> totals dict
    wall_seconds: float = 0.0
    resumed_from: int | None = None
    checkpoint: str | None = None
    inference_per_sample: dict = field(default_factory=dict)
    notes: str = ""
    task: str = ""

    @property
    def totals(self) -> dict[str, int]:
        return _totals_dict(_sum(CostTotals(**v) for v in self.by_purpose.values()))

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}

    def summary(self) -> dict:
        """The report fields: accuracies, communication and time of the whole run."""
        t = self.totals
        grad = self.by_purpose.get("gradient", {})
        return {
            "kind": self.kind,
            "method": self.method,
            "task": self.task,
            "test_accuracy": self.final.get("test_accuracy"),
            "train_accuracy": self.final.get("train_accuracy"),
            "test_loss": self.final.get("test_loss"),
            "train_loss": self.final.get("train_loss"),
            "qubits_sent": t["qubits"],
            "classical_bits_sent": t["classical_bits"],
            "ebits_sent": t.get("ebits", 0),
            "transmissions": t.get("transmissions", t["qubits"]),
            "messages": t["messages"],
            "gradient_copies": int(grad.get("copies", 0)),
            "copies": t["copies"],
            "wall_seconds": self.wall_seconds,
            "epochs": len(self.history),
            "num_params": self.model.get("num_params"),
        }

    def to_dict(self) -> dict:
        return {
            **self.summary(),
            "communication": {"total": self.totals, "by_purpose": self.by_purpose},
            "inference_per_sample": self.inference_per_sample,
            "model": self.model,
            "config": self.config,
            "history": self.history,
            "steps": self.steps,
            "resumed_from_epoch": self.resumed_from,
            "checkpoint": self.checkpoint,
            "notes": self.notes,
        }


# ------------------------------------------------------------------------------------------------
# the shared loop
# ------------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.3g}" if x < 1e4 else f"{x:.2e}"


@x64
def fit(
    trainer,
    *,
    name: str,
    out_dir=None,
    resume: bool = False,
    progress: bool = True,
    task: str = "",
    stop_after: int | None = None,
) -> TrainResult:
    """Train ``trainer`` (`QuantumTrainer` or `qdist.learn.mlp.MLPTrainer`).

    Every epoch ends with an exact evaluation and, with ``out_dir``, an atomic checkpoint
    ``out_dir/checkpoints/<name>.npz``. ``resume=True`` continues from that checkpoint (same
    configuration and data split required; with a constant learning rate ``epochs`` may be larger
    than when it was written). ``stop_after=k`` stops after epoch k as a killed run would (its
    checkpoint is what it leaves behind).
    """
    from tqdm import tqdm

    cfg = trainer.config
    ds = trainer.dataset
    n_train = ds.x_train.shape[0]
    B = cfg.batch_size
    steps_per_epoch = math.ceil(n_train / B)
    opt = trainer.optimizer(cfg.epochs * steps_per_epoch)
    params = trainer.init_params()
    opt_state = opt.init(params)
    categories: dict[str, CostTotals] = {}
    history: list[dict] = []
    steps_log: list[dict] = []
    start_epoch, wall_before, resumed_from = 0, 0.0, None
    ckpt = Path(out_dir) / "checkpoints" / f"{name}.npz" if out_dir is not None else None
    fingerprint = trainer.fingerprint()
    if resume:
        if ckpt is None:
            raise ValueError("resume: needs an output folder (out_dir / --out) holding the checkpoint")
        if ckpt.exists():
            arrays, meta = load_checkpoint(ckpt)
            if meta.get("fingerprint") != fingerprint:
                diff = _first_difference(meta.get("fingerprint", {}), fingerprint)
                raise ValueError(
                    f"resume: the checkpoint {ckpt} belongs to a different run ({diff}); "
                    "use another --out or drop --resume"
                )
            if meta["epoch"] > cfg.epochs:
                raise ValueError(
                    f"epochs: the checkpoint {ckpt} is already at epoch {meta['epoch']}, beyond epochs={cfg.epochs}"
                )
            params = restore_tree("params", arrays, params)
            opt_state = restore_tree("opt", arrays, opt_state)
            start_epoch = resumed_from = int(meta["epoch"])
            categories = {k: CostTotals(**v) for k, v in meta["by_purpose"].items()}
            history, steps_log = list(meta["history"]), list(meta["steps"])
            wall_before = float(meta["wall_seconds"])
        else:
            warnings.warn(f"resume: no checkpoint {ckpt} yet; starting fresh", UserWarning, stacklevel=2)
    model_info = trainer.describe()
    t0 = time.perf_counter()
    bar = tqdm(
        total=cfg.epochs * steps_per_epoch,
        initial=start_epoch * steps_per_epoch,
        desc=name,
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
        mininterval=0.5,
        leave=True,
    )
    apply = _apply_fn(opt)
    try:
        last_epoch = cfg.epochs if stop_after is None else min(cfg.epochs, _int(stop_after, "stop_after"))
        for epoch in range(start_epoch, last_epoch):
            perm = np.random.default_rng(np.random.SeedSequence([cfg.seed, 1, epoch])).permutation(n_train)
            epoch_cost: dict[str, CostTotals] = {}
            loss_sum, correct, count = 0.0, 0, 0
            for step in range(steps_per_epoch):
                ix = perm[step * B : (step + 1) * B]
                nreal = len(ix)
                if nreal < B:
                    ix = np.concatenate([ix, np.full(B - nreal, ix[0])])
                rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 2, epoch, step]))
                grads, stats, charges = trainer.step(params, ix, nreal, rng)
                params, opt_state = apply(grads, opt_state, params)
                step_total = _sum(charges.values())
                for k, v in charges.items():
                    categories[k] = categories.get(k, CostTotals()) + v
                    epoch_cost[k] = epoch_cost.get(k, CostTotals()) + v
                loss_sum += stats["loss"]
                correct += stats["correct"]
                count += stats["count"]
                steps_log.append(
                    {
                        "epoch": epoch + 1,
                        "step": step + 1,
                        "samples": nreal,
                        "batch_loss": stats["loss"] / stats["count"],
                        **_totals_dict(step_total),
                    }
                )
                total = _sum(categories.values())
                bar.set_postfix_str(
                    f"loss={loss_sum / count:.3f} acc={correct / count:.3f} "
                    f"qubits={_fmt(total.qubits)} bits={_fmt(total.classical_bits)}",
                    refresh=False,
                )
                bar.update(1)
            metrics = trainer.evaluate(params)
            wall = wall_before + time.perf_counter() - t0
            history.append(
                {
                    "epoch": epoch + 1,
                    **metrics,
                    "batch_loss": loss_sum / count,
                    "batch_accuracy": correct / count,
                    "communication": _totals_dict(_sum(epoch_cost.values())),
                    "cumulative": _totals_dict(_sum(categories.values())),
                    "wall_seconds": wall,
                }
            )
            if ckpt is not None:
                arrays = {**tree_arrays("params", params), **tree_arrays("opt", opt_state)}
                meta = {
                    "name": name,
                    "epoch": epoch + 1,
                    "fingerprint": fingerprint,
                    "rng": {"kind": "numpy SeedSequence", "entropy": cfg.seed, "next_epoch": epoch + 1},
                    "by_purpose": {k: _totals_dict(v) for k, v in categories.items()},
                    "history": history,
                    "steps": steps_log,
                    "wall_seconds": wall,
                }
                save_checkpoint(ckpt, arrays, meta)
    finally:
        bar.close()
    if not history:  # resumed a finished run: evaluate once more for the summary
        history.append({"epoch": 0, **trainer.evaluate(params)})
    wall = wall_before + time.perf_counter() - t0
    return TrainResult(
        name=name,
        kind=trainer.kind,
        method=getattr(trainer, "method", "backprop"),
        config=trainer.config_dict() if hasattr(trainer, "config_dict") else cfg.to_dict(),
        model=model_info,
        params={k: np.asarray(v).tolist() for k, v in _flat_params(params).items()},
        history=history,
        steps=steps_log,
        by_purpose={k: _totals_dict(v) for k, v in categories.items()},
        wall_seconds=wall,
        resumed_from=resumed_from,
        checkpoint=str(ckpt) if ckpt is not None else None,
        inference_per_sample=getattr(trainer, "inference_per_sample", {}),
        notes=getattr(trainer, "notes", ""),
        task=task,
    )


def _flat_params(params) -> dict:
    if isinstance(params, dict):
        return params
    return {f"layer{i}_{k}": v for i, layer in enumerate(params) for k, v in layer.items()}


def _apply_fn(opt):
    import jax

    @jax.jit
    def apply(grads, opt_state, params):
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    return apply


def _first_difference(a: dict, b: dict, prefix: str = "") -> str:
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            d = _first_difference(va, vb, f"{prefix}{k}.")
            if d:
                return d
        elif va != vb:
            return f"{prefix}{k}: {va!r} in the checkpoint, {vb!r} now"
    return ""
