"""A shot estimate of ``f(θ)`` with the estimators' measurement machinery (the denominator of
"backpropagation scaling", see [the gradient estimators][gradients])."""

from __future__ import annotations

import numpy as np

from qdist.devices.exact import ExactDevice
from qdist.devices.protocol import Device, expectation_run
from qdist.estimators.inputs import device_seed, prepare_inputs
from qdist.interop.observables import as_observable
from qdist.measure.groups import GROUPINGS
from qdist.measure.seeds import require_seed
from qdist.precision import x64
from qdist.sim.circuit import Circuit
from qdist.sim.slots import angle_slots, slot_circuit, slot_values
from qdist.validate import check_choice, check_shots

__all__ = ["expval_estimate"]


@x64
def expval_estimate(
    circuit: Circuit,
    params,
    observable,
    *,
    shots: int | None,
    seed=None,
    state=None,
    data=None,
    grouping: str = "qwc",
    device: Device | None = None,
) -> dict:
    """Shot estimate of ``f(θ)``: ``{"value", "std_error", "exact_std_error", "copies", "groups"}``
    with ``copies = shots·#groups`` (``shots=None``: the exact value, no copies)."""
    shots = check_shots(shots)
    grouping = check_choice("grouping", grouping, GROUPINGS)
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    obs_ = as_observable(observable, circuit.num_qubits)
    p, psi, d = prepare_inputs(circuit, params, state, data)
    if shots is not None:
        require_seed(seed, "expval")
    phi = slot_values(angle_slots(circuit), p)[None, :]
    run = expectation_run(slot_circuit(circuit), phi, [obs_], shots, states=psi, data=d, grouping=grouping)
    dev = ExactDevice() if device is None else device
    (e,) = dev.run([run], 0 if seed is None else device_seed(seed))
    return {
        "value": float(e.values[0, 0]),
        "std_error": float(np.sqrt(e.variances[0, 0])),
        "exact_std_error": float(np.sqrt(e.exact_variances[0, 0])),
        "copies": 0 if shots is None else shots * e.groups,
        "groups": e.groups,
    }
