"""Training the distributed quantum classifier (and the loop shared with the classical MLP).

**Model and loss** ([the model][compositional-model]). The network layer's compositional model on n = ⌈log₂ N⌉ qubits
(`qdist.network.model.flat_circuit`): readouts f_c(θ; x) = ⟨Z_c⟩; a classical head held by the last party
gives logits z_c = scale_c·f_c + bias_c; the loss is the cross-entropy (logistic for a binary task
with one readout, softmax otherwise), averaged over a mini-batch. Its gradient is

    ∂ℓ/∂θ = Σ_c w_c ∂f_c/∂θ,   w_c = ∂ℓ/∂f_c = scale_c·(p_c − y_c),

so a training step needs, per sample, the readouts f_c (for the weights w_c) and the gradients
∇f_c — which is what the network's protocols provide.

**One training step on the network** (per sample of the batch; the ledger records every message):

1. *inference* — [`qdist.network.protocols.run_inference`][qdist.network.protocols.run_inference] with ``result_to="last"``:
   S(ε, δ/m) copies of |x⟩ pass through the pipeline and the last party measures the readouts f̂_c;
2. *label* — Alice sends the label (⌈log₂ M⌉ bits) to the last party, which computes the loss,
   the weights w_c and the gradient of its classical head;
3. *gradient* — one [`qdist.network.protocols.run_gradient`][qdist.network.protocols.run_gradient] per readout c with the chosen
   estimator (``"exact"``, ``"param-shift"``, ``"shadow"``, ``"tomography"``, ``"spsa"``);
4. *loss weights* — with the ancilla estimators (shadow, tomography) each party measures its own
   derivatives, so the last party sends it the m weights w_c (m floats of b bits);
5. once per step, *gradient result* — with param-shift/SPSA the last party measured everything and
   sends every other party its block of the batch gradient (P_k floats), as in ``run_gradient``.

Each party then updates its own parameters with optax (Adam and SGD act element-wise, so the
parties' separate updates equal one global update). ``"exact"`` is the simulation-only reference:
exact readouts and adjoint gradients, no communication at all (as in the network layer).

**Engines.** ``engine="protocol"`` runs exactly that, sample by sample, with the parties of
[`qdist.network.model.build_model`][qdist.network.model.build_model] and the real ledgers. ``engine="batched"`` (default for
every estimator that takes a batch of input states) runs the same estimators on the whole batch at
once — the readouts sampled on the exact device from the same multinomial, each readout's gradient
from ONE call of the estimator with the batch of states and data (the estimates are really sampled,
not exact values plus noise) — and charges the ledger with the closed forms of
`qdist.network.costs`; the tests check that both engines record identical totals. Shadow
tomography's copy count is random and only its own run knows it, so it (and any estimator that
takes one state at a time) uses the protocol engine.

**Reproducibility.** Shuffling uses ``SeedSequence([seed, 1, epoch])`` and each step's sampling
``SeedSequence([seed, 2, epoch, step])``: the PRNG position is the (epoch, step) pair, so a run
resumed from a checkpoint (parameters + optimiser state + epoch + ledger totals, written atomically
after every epoch) reproduces the uninterrupted run bit for bit.

Accuracies and losses in the history are exact evaluations on the simulator (monitoring, not
charged to the ledger); ``inference_per_sample`` gives the cost of one classification on the network.
"""

from __future__ import annotations

from qdist.learn.config import (  # noqa: F401
    ENGINES,
    LR_SCHEDULES,
    METHODS,
    OPTIMIZERS,
    SCHEDULES,
    TrainConfig,
    _int,
    _pos,
)
from qdist.learn.data import Dataset
from qdist.learn.head import head_loss  # noqa: F401
from qdist.learn.loop import (  # noqa: F401
    TrainResult,
    _apply_fn,
    _first_difference,
    _flat_params,
    _fmt,
    _sum,
    _totals_dict,
    fit,
    make_optimizer,
)
from qdist.learn.quantum_trainer import QUANTUM_CATEGORIES, QuantumTrainer, _encodable  # noqa: F401

# Re-exported: every name of this module before its split stays importable from here.
from qdist.precision import x64


@x64
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
    """Train the distributed quantum classifier on ``dataset`` (module docstring); see `fit`
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
