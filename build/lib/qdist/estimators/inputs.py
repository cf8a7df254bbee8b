"""Validated inputs of one evaluation point, shared by every estimator."""

from __future__ import annotations

import numpy as np

from qdist.devices.protocol import expectation_run
from qdist.measure.groups import measurement_groups, observable_terms
from qdist.measure.seeds import seed_sequence
from qdist.sim.circuit import Circuit
from qdist.sim.execute import check_data, check_params
from qdist.sim.slots import slot_circuit
from qdist.sim.states import as_state

__all__ = ["device_seed", "prepare_batch", "prepare_inputs", "rows_per_sample", "slot_expectation_run"]


def prepare_inputs(circuit: Circuit, params, state, data) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """``(params (P,), state (2ⁿ,) or None, data (D,))`` for one evaluation point (no batch)."""
    p, s, d, _, _ = prepare_batch(circuit, params, state, data)
    n = circuit.num_qubits
    if s is not None and s.ndim != 1:
        raise ValueError(f"state: expected one state vector ({2**n},), got shape {tuple(s.shape)}")
    if d.ndim != 1:
        raise ValueError(f"data: expected one data vector ({circuit.num_data},), got shape {tuple(d.shape)}")
    return p, s, d


def prepare_batch(circuit: Circuit, params, state, data):
    """``(params (P,), states, data, B, batched)`` for one parameter vector and ``B`` input samples:
    ``states`` is ``None`` (``|0…0⟩``), ``(2ⁿ,)`` or ``(B, 2ⁿ)``; ``data`` ``(D,)`` or ``(B, D)``;
    ``batched`` says whether either came with a batch axis (then results get one too)."""
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    p = np.asarray(check_params(circuit, params))
    if p.ndim != 1:
        raise ValueError(
            f"params: expected one parameter vector ({circuit.num_params},), got shape {p.shape}"
        )
    s = None if state is None else np.asarray(as_state(state, circuit.num_qubits))
    d = np.asarray(check_data(circuit, data))
    sizes = {x.shape[0] for x in (s, d) if x is not None and x.ndim == 2}
    if len(sizes) > 1:
        raise ValueError(f"batch: state and data batches must have the same length, got {sorted(sizes)}")
    batched = bool(sizes)
    return p, s, d, (sizes.pop() if batched else 1), batched


def rows_per_sample(x, repeats: int):
    """A per-sample array ``(B, …)`` repeated ``repeats`` times per sample (sample-major rows);
    a shared one (1-D) or ``None`` unchanged."""
    if x is None or np.asarray(x).ndim < 2:
        return x
    return np.repeat(np.asarray(x), repeats, axis=0)


def slot_expectation_run(circuit, observable, phi, shots, grouping, states, data, per_sample: int):
    """``(run, groups)``: ⟨O⟩ on every row ``phi`` of slot values of ``circuit``'s slot circuit
    (`qdist.sim.slots.slot_circuit`), ``per_sample`` consecutive rows per input sample, and the
    number of qubit-wise-commuting groups a sampling device measures (copies = shots·rows·groups).
    The shared measurement of the estimators that evaluate ``f`` at shifted parameters."""
    groups = len(measurement_groups([w for _, w in observable_terms(observable)], grouping))
    run = expectation_run(
        slot_circuit(circuit),
        phi,
        [observable],
        shots,
        states=rows_per_sample(states, per_sample),
        data=rows_per_sample(data, per_sample),
        grouping=grouping,
    )
    return run, groups


def device_seed(seed) -> int:
    """The integer seed a device gets from an estimator's ``seed`` (int or jax PRNGKey)."""
    return int(seed_sequence(seed).generate_state(1)[0])
