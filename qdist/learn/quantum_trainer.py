"""The distributed quantum classifier's trainer: `QuantumTrainer` turns a mini-batch into
gradients, statistics and ledger charges (`QUANTUM_CATEGORIES`), with the ``batched`` engine (the
whole batch at once: the readouts sampled on the exact device, every readout's gradient from ONE
call of the estimator with the batch of input states, the ledger charged with the closed forms of
`qdist.network.costs`) or the ``protocol`` engine (the network protocols run sample by sample, with
the same estimators); it also evaluates the exact loss and accuracy. The training step and the
engines are described in `qdist.learn.train`.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from qdist.devices.exact import ExactDevice
from qdist.devices.protocol import Run
from qdist.gradients import get_estimator, grad
from qdist.learn.config import TrainConfig
from qdist.learn.data import Dataset
from qdist.learn.head import head_loss
from qdist.learn.loop import make_optimizer
from qdist.network import costs
from qdist.network.costs import CostTotals, shots_for
from qdist.network.ledger import CLASSICAL, Ledger, Message
from qdist.network.model import ModelSpec, build_model, encode_samples, flat_circuit, num_qubits
from qdist.network.noisy import check_method, hop_channels, hop_cuts, is_noisy
from qdist.sim.noise import DENSITY_MAX_QUBITS
from qdist.sim.observables import pauli

#: ledger categories of a quantum training step (module docstring)
QUANTUM_CATEGORIES = ("inference", "label", "gradient", "loss weights", "gradient result")


# ------------------------------------------------------------------------------------------------
# the quantum trainer
# ------------------------------------------------------------------------------------------------


def _encodable(x: np.ndarray) -> np.ndarray:
    """All-zero rows → all-ones (the convention of `qdist.network.model.encode_samples`)."""
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
            model=config.model,
            classes=m,
            gamma=float(config.gamma),
        )
        self.M, self.m = M, m
        self.circuit = flat_circuit(self.spec)
        self.estimator = get_estimator(config.method)
        batchable = bool(getattr(self.estimator, "batched", False))
        engine = config.engine
        if engine == "auto":
            engine = "batched" if batchable else "protocol"
        if engine == "batched" and not batchable:
            raise ValueError(
                f"engine: method {config.method!r} takes one input state at a time; use engine='protocol'"
            )
        self.engine = engine
        self.method = config.method
        self.links, self.device = self._links_and_device()
        idx = np.arange(2**m)
        #: Z_c eigenvalue of each outcome on the readout wires 0…m−1, (2^m, m)
        self.z_signs = np.stack([1.0 - 2.0 * ((idx >> (m - 1 - c)) & 1) for c in range(m)], axis=1)
        self.readouts = [pauli("Z", wires=(c,)) for c in range(m)]
        eps, dlt, b = config.epsilon, config.delta, config.bits
        self.options = self._estimator_options()
        self.shots = self.options.get("shots")
        self.communicates = self.estimator_copies() != 0  # the exact reference sends nothing
        self.inference_shots = shots_for(eps, dlt / m) if self.communicates else 0
        self.states_tr, self.data_tr = encode_samples(self.spec, dataset.x_train)
        self.states_te, self.data_te = encode_samples(self.spec, dataset.x_test)
        self.label_bits = max(1, math.ceil(math.log2(M)))
        self.per_sample, self.per_step = self._closed_forms(eps, dlt, b)

    def _links_and_device(self):
        """The checked links and the device the readouts and gradients run on: the exact simulator,
        or on noisy links the density-matrix device with the links' channels at the hops."""
        links = self.config.links.check(self.spec.network)
        channels = hop_channels(self.spec, links)
        if not is_noisy(channels):
            return links, ExactDevice()
        check_method(self.method, channels)
        if self.spec.n > DENSITY_MAX_QUBITS:
            raise ValueError(
                f"links: training through noisy links simulates density matrices of n ≤ "
                f"{DENSITY_MAX_QUBITS} qubits, got n = {self.spec.n}"
            )
        from qdist.devices.noisy import NoisyDevice

        return links, NoisyDevice(hop_cuts(self.spec), channels)

    # ---- sizes and costs ------------------------------------------------------------------------
    def _estimator_options(self) -> dict:
        """Shots (and SPSA's settings) for the estimator: ``config.shots`` or the estimator's own
        sizing for ±ε w.p. ≥ 1 − δ on the whole model (`qdist.network.protocols.estimator_options`).
        Estimators without shots (the exact reference, tomography) size themselves."""
        c, est = self.config, self.estimator
        if "shots" not in est.defaults or est.simulation_only:
            return {}
        from qdist.network.protocols import estimator_options

        shots = (
            c.shots if c.shots is not None else estimator_options(est, self.spec, c.epsilon, c.delta)["shots"]
        )
        opts = {"shots": int(shots)}
        if "samples" in est.defaults:
            opts.update(samples=c.spsa_samples, c=c.spsa_c)
        return opts

    def estimator_copies(self):
        """Copies one gradient run (one readout, one sample) uses, asked of the estimator: an int,
        one int per segment (ancilla estimators), or ``None`` when random (known after the run)."""
        est, c = self.estimator, self.config
        if est.simulation_only and est.ancilla:
            return None
        opts = dict(self._estimator_options())
        if est.ancilla:
            return [
                est.copies(costs.copy_shape(self.spec, s), c.epsilon, c.delta, opts)
                for s in range(len(self.spec.segments))
            ]
        return est.copies(costs.copy_shape(self.spec), c.epsilon, c.delta, opts)

    def _closed_forms(self, eps, dlt, b) -> tuple[dict, dict]:
        spec, K, m = self.spec, self.spec.parties, self.m
        zero = CostTotals()
        per_sample = dict.fromkeys(QUANTUM_CATEGORIES, zero)
        per_step = dict.fromkeys(QUANTUM_CATEGORIES, zero)
        if not self.communicates:
            return per_sample, per_step
        per_sample["inference"] = costs.quantum_inference_cost(
            spec, eps, dlt, result_to="last", links=self.links
        )
        if spec.last_owner != 0:
            per_sample["label"] = CostTotals(0, self.label_bits, 1, 0)
        if self.estimator.ancilla:
            per_sample["loss weights"] = CostTotals(0, (K - 1) * m * b, K - 1, 0)
        copies = self.estimator_copies()
        if copies is None:  # copies known only per run
            return per_sample, per_step
        sample, step = costs.gradient_parts(
            spec,
            self.estimator,
            eps,
            dlt,
            b,
            copies=copies,
            samples=self.config.spsa_samples,
            links=self.links,
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
        theta = np.asarray(params["theta"], dtype=np.float64)
        states, data = self.states_tr[idx], self.data_tr[idx]
        seeds = [int(x) for x in rng.integers(0, 2**62, size=1 + self.m)]
        f_hat = self._readout_values(theta, states, data, self.inference_shots or None, seeds[0])
        G = np.stack(
            [
                np.asarray(self._gradient(theta, obs, states, data, seeds[1 + c]))
                for c, obs in enumerate(self.readouts)
            ],
            axis=1,
        )  # (B, m, P)
        y = self.dataset.y_train[idx[:nreal]]
        grads, stats = self._combine(params, f_hat[:nreal], y, G[:nreal], nreal)
        charges = {k: self.per_sample[k].scale(nreal) + self.per_step[k] for k in QUANTUM_CATEGORIES}
        return grads, stats, charges

    def _gradient(self, theta, observable, states, data, seed) -> np.ndarray:
        """∂f/∂θ ``(B, P)`` for every sample of the batch: ONE estimator call with the batch. On noisy
        links the ``exact`` reference is the exact gradient of the noisy value (parameter shift
        evaluated exactly on the density matrices)."""
        inputs = {"state": states, "data": data}
        if not isinstance(self.device, ExactDevice):
            if self.method == "exact":
                return grad(
                    self.circuit, theta, observable, "param-shift", device=self.device, shots=None, **inputs
                ).value
            inputs["device"] = self.device
        opts = dict(self.options)
        if "seed" in self.estimator.defaults:
            opts["seed"] = seed
        return grad(self.circuit, theta, observable, self.estimator, **inputs, **opts).value

    def _readout_values(self, theta, states, data, shots, seed) -> np.ndarray:
        """⟨Z_c⟩ ``(B, m)``: ``shots`` computational-basis outcomes on the readout wires per sample
        (sampled on the exact device), or exact (``shots=None``)."""
        rows = np.repeat(theta[None, :], states.shape[0], axis=0)
        run = Run(self.circuit, rows, tuple(range(self.m)), shots, states, data)
        (out,) = self.device.run([run], seed)
        return np.asarray(out) @ self.z_signs / (1 if shots is None else shots)

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
            if not self.communicates:
                f_hat[i] = model.exact_values()
            else:
                inf = run_inference(
                    model, cfg.epsilon, cfg.delta, seeds[0], result_to="last", links=self.links
                )
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
                    links=self.links,
                    **self.options,
                )
                G[i, c] = gr.estimate
                ledgers["gradient"] = ledgers["gradient"] + gr.ledger.filter(
                    lambda r: r.purpose != "gradient result"
                )
                if step_results is None:
                    step_results = gr.ledger.filter(lambda r: r.purpose == "gradient result")
            if self.estimator.ancilla:  # the m weights w_c to every other party
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
        return self._readout_values(np.asarray(params["theta"], dtype=np.float64), states, data, None, 0)

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
