"""Training the distributed quantum classifier (and the loop shared with the classical MLP).

**Model and loss** (DESIGN.md §2). The network layer's compositional model on n = ⌈log₂ N⌉ qubits
(:mod:`qdist.learn.qmodel`): readouts f_c(θ; x) = ⟨Z_c⟩; a classical head held by the last party
gives logits z_c = scale_c·f_c + bias_c; the loss is the cross-entropy (logistic for a binary task
with one readout, softmax otherwise), averaged over a mini-batch. Its gradient is

    ∂ℓ/∂θ = Σ_c w_c ∂f_c/∂θ,   w_c = ∂ℓ/∂f_c = scale_c·(p_c − y_c),

so a training step needs, per sample, the readouts f_c (for the weights w_c) and the gradients
∇f_c — which is what the network's protocols provide.

**One training step on the network** (per sample of the batch; the ledger records every message):

1. *inference* — :func:`qdist.network.protocols.run_inference` with ``result_to="last"``:
   S(ε, δ/m) copies of |x⟩ pass through the pipeline and the last party measures the readouts f̂_c;
2. *label* — Alice sends the label (⌈log₂ M⌉ bits) to the last party, which computes the loss,
   the weights w_c and the gradient of its classical head;
3. *gradient* — one :func:`qdist.network.protocols.run_gradient` per readout c with the chosen
   estimator (``"exact"``, ``"param-shift"``, ``"shadow"``, ``"tomography"``, ``"spsa"``);
4. *loss weights* — with the ancilla estimators (shadow, tomography) each party measures its own
   derivatives, so the last party sends it the m weights w_c (m floats of b bits);
5. once per step, *gradient result* — with param-shift/SPSA the last party measured everything and
   sends every other party its block of the batch gradient (P_k floats), as in ``run_gradient``.

Each party then updates its own parameters with optax (Adam and SGD act element-wise, so the
parties' separate updates equal one global update). ``"exact"`` is the simulation-only reference:
exact readouts and adjoint gradients, no communication at all (as in the network layer).

**Engines.** ``engine="protocol"`` runs exactly that, sample by sample, with the parties of
:func:`qdist.network.model.build_model` and the real ledgers. ``engine="batched"`` (default for
every estimator but tomography) simulates the same statistics for the whole batch at once
(:class:`qdist.learn.qmodel.QuantumClassifier`: the readouts are sampled from the same multinomial,
the shadow / parameter-shift / SPSA estimates from the same distributions — the estimates are
really sampled, not exact values plus noise) and charges the ledger with the closed forms of
:mod:`qdist.network.costs`; the tests check that both engines record identical totals.
Shadow tomography's copy count is random and only its own run knows it, so it always uses the
protocol engine.

**Reproducibility.** Shuffling uses ``SeedSequence([seed, 1, epoch])`` and each step's sampling
``SeedSequence([seed, 2, epoch, step])``: the PRNG position is the (epoch, step) pair, so a run
resumed from a checkpoint (parameters + optimiser state + epoch + ledger totals, written atomically
after every epoch) reproduces the uninterrupted run bit for bit.

Accuracies and losses in the history are exact evaluations on the simulator (monitoring, not
charged to the ledger); ``inference_per_sample`` gives the cost of one classification on the network.
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import optax

from qdist.learn.checkpoint import load_checkpoint, restore_tree, save_checkpoint, tree_arrays
from qdist.learn.data import Dataset
from qdist.learn.qmodel import classifier
from qdist.network import costs
from qdist.network.costs import ANCILLA_METHODS, CostTotals, shots_for
from qdist.network.ledger import CLASSICAL, Ledger, Message
from qdist.network.model import ModelSpec, build_model, num_qubits

METHODS = costs.QUANTUM_GRADIENT_METHODS
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine")
ENGINES = ("auto", "batched", "protocol")
SCHEDULES = ("pipeline", "interleaved")
#: ledger categories of a quantum training step (module docstring)
QUANTUM_CATEGORIES = ("inference", "label", "gradient", "loss weights", "gradient result")


# ------------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------------


def _int(value, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name}: expected an integer ≥ {low}, got {value!r}")
    return int(value)


def _pos(value, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name}: expected a number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run (validated on construction; one-line errors name the field).

    Attributes:
        layers, parties, schedule, gamma: the :class:`ModelSpec` (``model="hea"``).
        method: gradient estimator (:data:`METHODS`).
        shots: copies per estimator circuit/state (param-shift: per shifted circuit; shadow: per
            layer state; SPSA: per evaluation); default from ε, δ as the network protocols size it
            (:func:`qdist.network.protocols.estimator_options`). Tomography sizes itself from ε, δ.
        epsilon, delta: target accuracy / failure probability of the inference readouts and of the
            estimators (DESIGN §3).
        optimizer, lr: ``"adam"`` or ``"sgd"`` and its learning rate.
        lr_schedule: ``"constant"`` or ``"cosine"`` (decay to lr/10 over the run's steps; the
            run's length then belongs to its fingerprint: resume with the same ``epochs``).
        epochs, batch_size, seed: the loop.
        bits: bits per classical float on the wire (32 or 64).
        engine: ``"auto"``, ``"batched"`` or ``"protocol"`` (module docstring).
        spsa_samples, spsa_c: SPSA directions per gradient and perturbation size.
        head_scale: initial ``scale_c`` of the classical head (logits span ±head_scale).
    """

    layers: int = 4
    parties: int = 2
    schedule: str = "pipeline"
    gamma: float = math.pi / 2
    method: str = "exact"
    shots: int | None = None
    epsilon: float = 0.1
    delta: float = 0.05
    optimizer: str = "adam"
    lr: float = 0.05
    lr_schedule: str = "constant"
    epochs: int = 20
    batch_size: int = 32
    seed: int = 0
    bits: int = 32
    engine: str = "auto"
    spsa_samples: int = 1
    spsa_c: float = 0.1
    head_scale: float = 3.0

    def __post_init__(self):
        _int(self.layers, "layers")
        _int(self.parties, "parties", 2)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if (
            isinstance(self.gamma, bool)
            or not isinstance(self.gamma, numbers.Real)
            or not math.isfinite(self.gamma)
        ):
            raise ValueError(f"gamma: expected a finite number, got {self.gamma!r}")
        if self.method not in METHODS:
            raise ValueError(
                f"method: unknown gradient method {self.method!r}; expected one of {', '.join(METHODS)}"
            )
        if self.shots is not None:
            _int(self.shots, "shots")
            if self.method == "tomography":
                raise ValueError("shots: the tomography estimator sets its copies from epsilon and delta")
        costs.check_epsilon(self.epsilon)
        costs.check_delta(self.delta)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        _pos(self.lr, "lr")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"lr_schedule: expected one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}"
            )
        _int(self.epochs, "epochs")
        _int(self.batch_size, "batch_size")
        _int(self.seed, "seed", 0)
        costs.check_bits(self.bits)
        if self.engine not in ENGINES:
            raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.engine == "batched" and self.method == "tomography":
            raise ValueError(
                "engine: tomography runs only with the protocol engine (its copy count is random)"
            )
        _int(self.spsa_samples, "spsa_samples")
        _pos(self.spsa_c, "spsa_c")
        _pos(self.head_scale, "head_scale")

    def to_dict(self) -> dict:
        return asdict(self)


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
    """What a training run produced (see :meth:`summary` for the report fields)."""

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
# loss
# ------------------------------------------------------------------------------------------------


def head_loss(f: np.ndarray, y: np.ndarray, scale: np.ndarray, bias: np.ndarray, num_classes: int):
    """Cross-entropy of the logits z = scale·f + bias and its derivatives.

    Returns ``(loss (B,), correct (B,), dz (B, m))`` with dz = ∂ℓ/∂z (p − y): binary (m = 1)
    logistic loss on z₀; otherwise softmax cross-entropy over the M logits.
    """
    z = f * scale + bias
    if num_classes == 2:
        z0 = z[:, 0]
        loss = np.logaddexp(0.0, z0) - y * z0
        p = 0.5 * (1.0 + np.tanh(0.5 * z0))
        return loss, ((z0 > 0).astype(np.int64) == y), (p - y)[:, None]
    zmax = z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
    loss = lse - z[np.arange(len(y)), y]
    p = np.exp(z - lse[:, None])
    onehot = np.eye(num_classes)[y]
    return loss, (np.argmax(z, axis=1) == y), p - onehot


# ------------------------------------------------------------------------------------------------
# the quantum trainer
# ------------------------------------------------------------------------------------------------


def _encodable(x: np.ndarray) -> np.ndarray:
    """All-zero rows → all-ones (the convention of :meth:`QuantumClassifier.encode`)."""
    x = np.array(x, dtype=np.float64)
    zero = ~np.any(x != 0, axis=-1)
    if np.any(zero):
        x[zero] = 1.0
    return x


class QuantumTrainer:
    """Batches → gradients → ledger charges for the distributed quantum classifier."""

    kind = "quantum"

    def __init__(self, dataset: Dataset, config: TrainConfig):
        self.dataset, self.config = dataset, config
        M, N = dataset.num_classes, dataset.num_features
        n = num_qubits(N)
        m = 1 if M == 2 else M
        if m > n:
            raise ValueError(
                f"classes: the quantum model reads one class per qubit: at most {n} classes for "
                f"{N} features, got {M}"
            )
        if config.parties > config.layers:
            raise ValueError(
                f"parties: {config.parties} parties need at least {config.parties} layers, got layers={config.layers}"
            )
        self.spec = ModelSpec(
            features=N,
            layers=config.layers,
            parties=config.parties,
            schedule=config.schedule,
            classes=m,
            gamma=float(config.gamma),
        )
        self.M, self.m = M, m
        self.qc = classifier(self.spec, M)
        engine = config.engine
        if engine == "auto":
            engine = "batched" if (self.qc.supports_batched and config.method != "tomography") else "protocol"
        if engine == "batched" and not self.qc.supports_batched:
            raise ValueError(
                "engine: the batched engine needs one-qubit rotation layers; use engine='protocol'"
            )
        self.engine = engine
        self.method = config.method
        eps, dlt, b = config.epsilon, config.delta, config.bits
        self.options = self._estimator_options()
        self.shots = self.options.get("shots")
        self.inference_shots = 0 if self.method == "exact" else shots_for(eps, dlt / m)
        self.states_tr, self.data_tr = self.qc.encode(dataset.x_train)
        self.states_te, self.data_te = self.qc.encode(dataset.x_test)
        self.label_bits = max(1, math.ceil(math.log2(M)))
        self.per_sample, self.per_step = self._closed_forms(eps, dlt, b)

    # ---- sizes and costs ------------------------------------------------------------------------
    def _estimator_options(self) -> dict:
        c, method = self.config, self.config.method
        if method == "exact":
            return {}
        if method == "tomography":
            return {}
        from qdist.network.protocols import estimator_options

        shots = (
            c.shots
            if c.shots is not None
            else estimator_options(method, self.spec, c.epsilon, c.delta)["shots"]
        )
        opts = {"shots": int(shots)}
        if method == "spsa":
            opts.update(samples=c.spsa_samples, c=c.spsa_c)
        return opts

    def _segment_of_param(self) -> np.ndarray:
        seg = np.zeros(self.spec.num_params, dtype=np.int64)
        start = 0
        for s in range(len(self.spec.segments)):
            size = self.spec.segment_params(s)
            seg[start : start + size] = s
            start += size
        return seg

    def estimator_copies(self):
        """Copies one gradient run (one readout, one sample) uses: an int, or one per segment."""
        if self.method == "exact":
            return 0
        S = self.shots
        if self.method == "shadow":
            seg = self._segment_of_param()
            per = [0] * len(self.spec.segments)
            for layer in self.qc.layers:
                per[int(seg[layer.params[0]])] += S
            return per
        if self.method == "param-shift":
            return 2 * self.spec.num_params * S
        if self.method == "spsa":
            return 2 * self.config.spsa_samples * S
        return None  # tomography: random, known only after the run

    def _closed_forms(self, eps, dlt, b) -> tuple[dict, dict]:
        spec, K, m = self.spec, self.spec.parties, self.m
        zero = CostTotals()
        per_sample = dict.fromkeys(QUANTUM_CATEGORIES, zero)
        per_step = dict.fromkeys(QUANTUM_CATEGORIES, zero)
        if self.method == "exact":
            return per_sample, per_step
        per_sample["inference"] = costs.quantum_inference_cost(spec, eps, dlt, result_to="last")
        if spec.last_owner != 0:
            per_sample["label"] = CostTotals(0, self.label_bits, 1, 0)
        if self.method in ANCILLA_METHODS:
            per_sample["loss weights"] = CostTotals(0, (K - 1) * m * b, K - 1, 0)
        if self.method == "tomography":  # copies known only per run
            return per_sample, per_step
        sample, step = costs.gradient_parts(
            spec, self.method, eps, dlt, b, copies=self.estimator_copies(), samples=self.config.spsa_samples
        )
        per_sample["gradient"] = sample.scale(m)
        per_step["gradient result"] = step
        return per_sample, per_step

    def describe(self) -> dict:
        q = costs.quantum_inference_cost(self.spec, self.config.epsilon, self.config.delta, result_to="alice")
        self.inference_per_sample = {
            "qubits": q.qubits,
            "classical_bits": q.classical_bits,
            "note": "one classification on the network: S(ε, δ/m) copies through the pipeline, outcomes to Alice",
        }
        return {
            **self.spec.to_dict(),
            "num_params": self.spec.num_params + 2 * self.m,
            "quantum_params": self.spec.num_params,
            "head_params": 2 * self.m,
            "readouts": self.m,
            "engine": self.engine,
            "estimator_options": dict(self.options),
            "inference_shots": self.inference_shots,
            "label_bits": self.label_bits,
        }

    def fingerprint(self) -> dict:
        cfg = self.config.to_dict()
        if cfg["lr_schedule"] == "constant":
            cfg.pop("epochs")  # a constant-rate run may be continued for more epochs
        return {"kind": self.kind, "config": cfg, "dataset": self.dataset.fingerprint, "engine": self.engine}

    # ---- parameters ---------------------------------------------------------------------------------
    def init_params(self) -> dict:
        rng = np.random.default_rng(np.random.SeedSequence([self.config.seed, 0]))
        theta = rng.uniform(-np.pi, np.pi, self.spec.num_params)
        return {
            "theta": jnp.asarray(theta),
            "scale": jnp.full(self.m, float(self.config.head_scale)),
            "bias": jnp.zeros(self.m),
        }

    def optimizer(self, total_steps: int = 1):
        return make_optimizer(self.config.optimizer, self.config.lr, self.config.lr_schedule, total_steps)

    # ---- one step -----------------------------------------------------------------------------------
    def step(self, params: dict, idx: np.ndarray, nreal: int, rng: np.random.Generator):
        """Gradients (pytree like params), stats and ledger charges of one mini-batch.

        ``idx`` has ``batch_size`` training indices; the first ``nreal`` are real, the rest padding
        (computed for fixed shapes, then masked out and not charged)."""
        if self.engine == "protocol":
            return self._step_protocol(params, idx[:nreal], rng)
        return self._step_batched(params, idx, nreal, rng)

    def _combine(self, params, f_hat, y, G, nreal):
        scale, bias = np.asarray(params["scale"]), np.asarray(params["bias"])
        loss, correct, dz = head_loss(f_hat, y, scale, bias, self.M)
        w = dz * scale  # ∂ℓ/∂f_c
        gtheta = np.einsum("bm,bmp->p", w, G) / nreal
        grads = {
            "theta": jnp.asarray(gtheta),
            "scale": jnp.asarray((dz * f_hat).sum(axis=0) / nreal),
            "bias": jnp.asarray(dz.sum(axis=0) / nreal),
        }
        stats = {"loss": float(loss.sum()), "correct": int(np.sum(correct)), "count": int(nreal)}
        return grads, stats

    def _step_batched(self, params, idx, nreal, rng):
        qc, method = self.qc, self.method
        theta = params["theta"]
        states, data = self.states_tr[idx], self.data_tr[idx]
        if method in ("exact", "shadow"):
            probs, anc = qc.layer_probabilities(theta, states, data)
            probs, anc = np.asarray(probs)[:nreal], np.asarray(anc)[:nreal]
        else:
            probs = np.asarray(qc.final_probabilities(theta, states, data))[:nreal]
        if method == "exact":
            f_hat = qc.readouts_from_probs(probs)
            G = qc.layer_gradients(anc, None, None)
        else:
            f_hat = qc.sample_readouts(probs, self.inference_shots, rng)
            if method == "shadow":
                G = qc.layer_gradients(anc, self.shots, rng)
            elif method == "param-shift":
                G = qc.param_shift_gradients(theta, states, data, self.shots, rng)[:nreal]
            else:
                G = qc.spsa_gradients(
                    theta, states, data, self.shots, rng, self.config.spsa_samples, self.config.spsa_c
                )[:nreal]
        y = self.dataset.y_train[idx[:nreal]]
        grads, stats = self._combine(params, f_hat, y, G, nreal)
        charges = {k: self.per_sample[k].scale(nreal) + self.per_step[k] for k in QUANTUM_CATEGORIES}
        return grads, stats, charges

    def _step_protocol(self, params, idx, rng):
        from qdist.network.protocols import run_gradient, run_inference

        cfg, spec, m = self.config, self.spec, self.m
        theta = np.asarray(params["theta"])
        names = spec.party_names
        last = names[spec.last_owner]
        ledgers = dict.fromkeys(QUANTUM_CATEGORIES, Ledger())
        step_results = None
        f_hat = np.zeros((len(idx), m))
        G = np.zeros((len(idx), m, spec.num_params))
        y = self.dataset.y_train[idx]
        x_all = _encodable(self.dataset.x_train[idx])
        for i in range(len(idx)):
            model = build_model(spec, x_all[i], theta)
            seeds = [int(s) for s in rng.integers(0, 2**62, size=1 + m)]
            if self.method == "exact":
                f_hat[i] = model.exact_values()
            else:
                inf = run_inference(model, cfg.epsilon, cfg.delta, seeds[0], result_to="last")
                f_hat[i] = inf.estimate
                ledgers["inference"] = ledgers["inference"] + inf.ledger
                if spec.last_owner != 0:
                    msg = Message("alice", last, CLASSICAL, self.label_bits, "label", 0)
                    ledgers["label"] = ledgers["label"].add(model.network.check(msg))
            for c in range(m):
                gr = run_gradient(
                    model,
                    self.method,
                    cfg.epsilon,
                    cfg.delta,
                    seeds[1 + c],
                    bits=cfg.bits,
                    cls=c,
                    reference=False,
                    **self.options,
                )
                G[i, c] = gr.estimate
                ledgers["gradient"] = ledgers["gradient"] + gr.ledger.filter(
                    lambda r: r.purpose != "gradient result"
                )
                if step_results is None:
                    step_results = gr.ledger.filter(lambda r: r.purpose == "gradient result")
            if self.method in ANCILLA_METHODS:  # the m weights w_c to every other party
                for k in range(spec.parties):
                    if k != spec.last_owner:
                        msg = Message(last, names[k], CLASSICAL, m * cfg.bits, "loss weights", 0)
                        ledgers["loss weights"] = ledgers["loss weights"].add(model.network.check(msg))
        if step_results is not None:
            ledgers["gradient result"] = step_results
        grads, stats = self._combine(params, f_hat, y, G, len(idx))
        charges = {k: CostTotals(**led.totals()) for k, led in ledgers.items()}
        return grads, stats, charges

    # ---- evaluation ---------------------------------------------------------------------------------
    def _readouts(self, params, states, data) -> np.ndarray:
        B = self.config.batch_size
        total = states.shape[0]
        out = []
        fn = (
            (lambda t, s, d: self.qc.layer_probabilities(t, s, d)[0])
            if (self.method in ("exact", "shadow") and self.qc.supports_batched)
            else self.qc.final_probabilities
        )
        for lo in range(0, total, B):
            ix = np.arange(lo, min(lo + B, total))
            pad = np.concatenate([ix, np.full(B - len(ix), ix[0])])
            probs = np.asarray(fn(params["theta"], states[pad], data[pad]))[: len(ix)]
            out.append(self.qc.readouts_from_probs(probs))
        return np.concatenate(out)

    def evaluate(self, params) -> dict:
        """Exact loss and accuracy on both splits (simulator; not charged to the ledger)."""
        out = {}
        scale, bias = np.asarray(params["scale"]), np.asarray(params["bias"])
        for split, s, d, y in (
            ("train", self.states_tr, self.data_tr, self.dataset.y_train),
            ("test", self.states_te, self.data_te, self.dataset.y_test),
        ):
            f = self._readouts(params, s, d)
            loss, correct, _ = head_loss(f, y, scale, bias, self.M)
            out[f"{split}_loss"] = float(np.mean(loss))
            out[f"{split}_accuracy"] = float(np.mean(correct))
        return out


# ------------------------------------------------------------------------------------------------
# the shared loop
# ------------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.3g}" if x < 1e4 else f"{x:.2e}"


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
    """Train ``trainer`` (:class:`QuantumTrainer` or :class:`qdist.learn.mlp.MLPTrainer`).

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


def train_quantum(
    dataset: Dataset,
    config: TrainConfig | None = None,
    *,
    name: str | None = None,
    out_dir=None,
    resume: bool = False,
    progress: bool = True,
    task: str = "",
    stop_after: int | None = None,
) -> TrainResult:
    """Train the distributed quantum classifier on ``dataset`` (module docstring); see :func:`fit`
    for ``out_dir``, ``resume`` and ``stop_after``."""
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config: expected a TrainConfig, got {type(config).__name__}")
    trainer = QuantumTrainer(dataset, config)
    result = fit(
        trainer,
        name=name or f"quantum-{config.method}",
        out_dir=out_dir,
        resume=resume,
        progress=progress,
        task=task,
        stop_after=stop_after,
    )
    if config.method == "exact":
        result.notes = (
            "exact readouts and adjoint gradients: a simulation-only reference with no communication"
        )
    return result


__all__ = [
    "METHODS",
    "QUANTUM_CATEGORIES",
    "QuantumTrainer",
    "TrainConfig",
    "TrainResult",
    "fit",
    "head_loss",
    "make_optimizer",
    "train_quantum",
]
