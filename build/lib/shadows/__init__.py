"""Classical shadows and shot-based gradient estimators ([gradient estimators][gradients], [classical shadows][classical-shadows]).

Core (this layer sits above `qdist.estimators` and below [`qdist.network`][qdist.network]):

* [`Shadow`][shadows.Shadow] — random-Pauli shadow ``(bits, recipes, wires)`` in PennyLane's convention;
  [`collect`][shadows.collect.collect] / [`collect_from_state`][shadows.collect_from_state] sample it exactly from the simulator;
  [`estimate`][shadows.estimate.estimate] gives means or medians of means of Pauli observables as a
  [`ShadowEstimate`][shadows.ShadowEstimate] (``mean``, ``std_error``, ``ci``).
* [`CliffordShadow`][shadows.CliffordShadow] — global random-Clifford shadow; [`collect_clifford`][shadows.collect_clifford] and
  [`estimate_fidelity`][shadows.estimate_fidelity] (low-rank observables such as fidelities, n ≲ 8).
* Planning: [`groups_for`][shadows.groups_for], [`snapshots_for`][shadows.snapshots_for].

The gradient estimators live in `shadows.gradients` (imported by ``qdist.grad``).
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
