"""Settings of a training run: [`TrainConfig`][qdist.learn.TrainConfig] (validated on construction; one-line errors name
the field), its validation helpers and the choices it accepts — `METHODS` (gradient
estimators), `OPTIMIZERS`, `LR_SCHEDULES`, `ENGINES`, `SCHEDULES` and `MODELS`. The
engines and the training step they configure are described in `qdist.learn.train`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields

from qdist.gradients import get_estimator
from qdist.network import costs
from qdist.network.links import IDEAL, Links, check_links
from qdist.network.spec import DEFAULT_MODEL
from qdist.validate import check_epochs, check_int, check_positive

METHODS = costs.QUANTUM_GRADIENT_METHODS
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine")
ENGINES = ("auto", "batched", "protocol")
SCHEDULES = ("pipeline", "interleaved")
MODELS = ("hea", "diag")


# ------------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------------


def _int(value, name: str, low: int = 1) -> int:
    return check_int(name, value, low)


def _pos(value, name: str) -> float:
    return check_positive(name, value)


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run (validated on construction; one-line errors name the field).

    Attributes:
        layers, parties, schedule, model, gamma: the `ModelSpec`.
        method: gradient estimator (`METHODS`).
        shots: copies per estimator circuit/state (param-shift: per shifted circuit; shadow: per
            layer state; SPSA: per evaluation); default from ε, δ as the network protocols size it
            (`qdist.network.protocols.estimator_options`). Tomography sizes itself from ε, δ.
        epsilon, delta: target accuracy / failure probability of the inference readouts and of the
            estimators ([protocols and communication][protocols-and-communication]).
        optimizer, lr: ``"adam"`` or ``"sgd"`` and its learning rate.
        lr_schedule: ``"constant"`` or ``"cosine"`` (decay to lr/10 over the run's steps; the
            run's length then belongs to its fingerprint: resume with the same ``epochs``).
        epochs, batch_size, seed: the loop.
        bits: bits per classical float on the wire (32 or 64).
        engine: ``"auto"``, ``"batched"`` or ``"protocol"`` (module docstring).
        spsa_samples, spsa_c: SPSA directions per gradient and perturbation size.
        head_scale: initial ``scale_c`` of the classical head (logits span ±head_scale).
        links: the [link models][link-models] of the network (default ideal): their loss, transport
            and time terms enter the ledger's closed forms, their noise channels the readouts,
            gradients and evaluation (density matrices, n ≤ 10; ``exact``, ``param-shift`` and
            ``spsa`` only — `qdist.network.noisy`).
    """

    layers: int = DEFAULT_MODEL["layers"]
    parties: int = DEFAULT_MODEL["parties"]
    schedule: str = DEFAULT_MODEL["schedule"]
    model: str = DEFAULT_MODEL["model"]
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
    links: Links = IDEAL

    def __post_init__(self):
        _int(self.layers, "layers")
        _int(self.parties, "parties", 2)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.model not in MODELS:
            raise ValueError(f"model: expected one of {', '.join(MODELS)}, got {self.model!r}")
        if (
            isinstance(self.gamma, bool)
            or not isinstance(self.gamma, numbers.Real)
            or not math.isfinite(self.gamma)
        ):
            raise ValueError(f"gamma: expected a finite number, got {self.gamma!r}")
        get_estimator(self.method)  # built-in or registered; a one-line error otherwise
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
        check_epochs(self.epochs)
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
        object.__setattr__(self, "links", check_links(self.links))

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "links"}
        if not self.links.ideal:  # ideal links keep the fingerprints of earlier runs
            out["links"] = self.links.to_dict()
        return out
