"""Distributed learning over a simulated quantum network ([the model][compositional-model], [protocols and communication][protocols-and-communication]).

* [`topology`][qdist.network.topology] — parties and links (two-party, K-party pipeline);
* [`ledger`][qdist.network.ledger] — the immutable communication ledger (messages with multiplicity);
* [`model`][qdist.network.model] — the compositional distributed model, its parties and the flattened circuit;
* [`protocols`][qdist.network.protocols] — distributed inference, gradients and training on the network;
* [`classical`][qdist.network.classical] — classical baselines (pipeline backprop, ship-the-data, ship-the-model);
* [`costs`][qdist.network.costs] — closed-form costs, equal to the simulated ledgers and valid up to N = 2⁶⁰;
* [`linear`][qdist.network.linear] — linear classifiers with the margin as input;
* [`privacy`][qdist.network.privacy] — Holevo bounds on the information that left each party.
"""

from qdist.network.classical import classical_ledger, run_classical
from qdist.network.costs import (
    CostTotals,
    classical_cost,
    quantum_gradient_cost,
    quantum_inference_cost,
    shots_for,
)
from qdist.network.ledger import Ledger, Message
from qdist.network.linear import linear_cost, run_linear
from qdist.network.model import DistributedModel, ModelSpec, Party, build_model, random_model
from qdist.network.privacy import holevo_report, privacy_report
from qdist.network.protocols import ProtocolResult, run_gradient, run_inference, run_training
from qdist.network.topology import Network, pipeline, two_party

__all__ = [
    "CostTotals",
    "DistributedModel",
    "Ledger",
    "Message",
    "ModelSpec",
    "Network",
    "Party",
    "ProtocolResult",
    "build_model",
    "classical_cost",
    "classical_ledger",
    "holevo_report",
    "linear_cost",
    "pipeline",
    "privacy_report",
    "quantum_gradient_cost",
    "quantum_inference_cost",
    "random_model",
    "run_classical",
    "run_gradient",
    "run_inference",
    "run_linear",
    "run_training",
    "shots_for",
    "two_party",
]
