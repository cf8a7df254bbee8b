"""Classical shadows and shot-based gradient estimators (DESIGN.md §4–5).

Core (this layer sits above :mod:`qdist.estimators` and below :mod:`qdist.network`):

* :class:`Shadow` — random-Pauli shadow ``(bits, recipes, wires)`` in PennyLane's convention;
  :func:`collect` / :func:`collect_from_state` sample it exactly from the simulator;
  :func:`estimate` gives means or medians of means of Pauli observables as a
  :class:`ShadowEstimate` (``mean``, ``std_error``, ``ci``).
* :class:`CliffordShadow` — global random-Clifford shadow; :func:`collect_clifford` and
  :func:`estimate_fidelity` (low-rank observables such as fidelities, n ≲ 8).
* Planning: :func:`groups_for`, :func:`snapshots_for`.

The gradient estimators live in :mod:`shadows.gradients` (imported by ``qdist.grad``).
"""

from shadows.clifford import CliffordShadow, collect_clifford, estimate_fidelity
from shadows.collect import collect, collect_from_state
from shadows.estimate import estimate, groups_for, snapshots_for
from shadows.types import Shadow, ShadowEstimate, concatenate

load = Shadow.load

__all__ = [
    "CliffordShadow",
    "Shadow",
    "ShadowEstimate",
    "collect",
    "collect_clifford",
    "collect_from_state",
    "concatenate",
    "estimate",
    "estimate_fidelity",
    "groups_for",
    "load",
    "snapshots_for",
]
