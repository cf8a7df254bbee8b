"""The distributed quantum classifier's trainer: :class:`QuantumTrainer` turns a mini-batch into
gradients, statistics and ledger charges (:data:`QUANTUM_CATEGORIES`), with the ``batched`` engine
(the whole batch sampled at once on :class:`qdist.learn.qmodel.QuantumClassifier`, the ledger charged
with the closed forms of :mod:`qdist.network.costs`) or the ``protocol`` engine (the network protocols
run sample by sample); it also evaluates the exact loss and accuracy. The training step and the
engines are described in :mod:`qdist.learn.train`.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from qdist.learn.config import TrainConfig
from qdist.learn.data import Dataset
from qdist.learn.head import head_loss
from qdist.learn.loop import make_optimizer
from qdist.learn.qmodel import classifier
from qdist.network import costs
from qdist.network.costs import ANCILLA_METHODS, CostTotals, shots_for
from qdist.network.ledger import CLASSICAL, Ledger, Message
from qdist.network.model import ModelSpec, build_model, num_qubits

#: ledger categories of a quantum training step (module docstring)
QUANTUM_CATEGORIES = ("inference", "label", "gradient", "loss weights", "gradient result")


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
