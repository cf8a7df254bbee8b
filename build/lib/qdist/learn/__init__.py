"""Training the distributed quantum model end to end, with a classical MLP baseline.

* `data` — scikit-learn's bundled data sets (digits, breast cancer) and CSV files; seeded
  stratified split, min–max scaling fitted on the training split;
* `quantum_trainer` — the network model's training step: one estimator call per readout for
  a whole mini-batch (batched engine) or the network protocols sample by sample;
* `train` — the training loop (optax), the per-step protocol and its ledger, checkpoints;
* `mlp` — the classical MLP trained by backprop, its pipeline-parallel communication;
* `checkpoint` — atomic checkpoints.
"""

from qdist.learn.data import DATASETS, Dataset, load_dataset
from qdist.learn.mlp import train_mlp
from qdist.learn.train import METHODS, TrainConfig, TrainResult, train_quantum

__all__ = [
    "DATASETS",
    "METHODS",
    "Dataset",
    "TrainConfig",
    "TrainResult",
    "load_dataset",
    "train_mlp",
    "train_quantum",
]
