"""The exact device: the JAX simulator's op-by-op mode with exact Born sampling.

Every run's rows are simulated together (`qdist.sim.oprun.Executor`, rows padded to a power of two
so compiled kernels are reused), the Born probabilities of the measured wires computed from the
state vectors (`qdist.measure.sampling.marginal_probabilities`) and, with ``shots``, exact
multinomial counts drawn with the run's own generator ``SeedSequence([seed, i])`` (run ``i``).
Expectation runs are answered from the same states, group by group (`qdist.measure.observation`).
A run may carry ``simulate``: a function giving its final states faster than op by op (the layer
shadows compute all their ancilla states from two sweeps); the numbers are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from qdist.devices.protocol import Expectations, Run
from qdist.measure.observation import observe_stats, plan_observation
from qdist.measure.sampling import basis_probabilities, marginal_probabilities, sample_counts
from qdist.precision import x64
from qdist.sim.execute import check_data
from qdist.sim.oprun import executor
from qdist.sim.slots import slot_values
from qdist.sim.states import as_state, zero_state

__all__ = ["ExactDevice", "run_states"]

_STATE_BUDGET = 2**22  # complex amplitudes simulated at once (64 MB)


def _row_block(x, lo: int, hi: int, padded: int):
    """Rows ``lo:hi`` of a per-row array (or the shared one), padded by repeating the last row."""
    if x.ndim == 1:
        return x
    block = x[lo:hi]
    if padded > hi - lo:
        block = np.concatenate([block, np.repeat(block[-1:], padded - (hi - lo), axis=0)])
    return block


@x64
def run_states(run: Run) -> np.ndarray:
    """Final state vectors ``(R, 2ⁿ)`` of every row of ``run``."""
    c = run.circuit
    n = c.num_qubits
    ex = executor(c)
    phi = slot_values(ex.slots, np.asarray(run.bindings, dtype=np.float64))
    psi0 = np.asarray(zero_state(n) if run.states is None else as_state(run.states, n))
    data = np.asarray(check_data(c, run.data))
    R = phi.shape[0]
    out = np.empty((R, 2**n), dtype=np.complex128)
    step = max(1, _STATE_BUDGET // 2**n)
    for lo in range(0, R, step):
        hi = min(R, lo + step)
        padded = 1 << (hi - lo - 1).bit_length()
        rows_phi = _row_block(phi, lo, hi, padded)
        rows_psi = _row_block(psi0, lo, hi, padded)
        if rows_psi.ndim == 1:
            rows_psi = np.broadcast_to(rows_psi, (padded, 2**n))
        rows_data = _row_block(data, lo, hi, padded) if data.ndim == 2 else data
        out[lo:hi] = np.asarray(ex.run(jnp.asarray(rows_psi), rows_phi, rows_data))[: hi - lo]
    return out


@dataclass(frozen=True)
class ExactDevice:
    """The JAX state-vector simulator as a device (``exact``: ``shots=None`` gives probabilities)."""

    name: str = "jax"
    exact: bool = True

    @x64
    def run(self, batch: Sequence[Run], seed: int, with_probabilities: bool = False):
        """Outcomes of every run (module docstring); with ``with_probabilities`` also the exact
        outcome probabilities of every sampling run (``None`` for expectation runs):
        ``(outcomes, probabilities)``."""
        out, all_probs = [], []
        for i, run in enumerate(batch):
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), i]))
            n = run.circuit.num_qubits
            states = run.simulate(run) if run.simulate is not None else run_states(run)
            if run.observables is not None:
                out.append(_expectations(states, n, run.observables, run.shots, rng, run.grouping))
                all_probs.append(None)
                continue
            probs = marginal_probabilities(states, run.wires, n)
            all_probs.append(probs)
            out.append(probs if run.shots is None else sample_counts(probs, run.shots, rng))
        return (out, all_probs) if with_probabilities else out


def _expectations(states: np.ndarray, n: int, observables, shots, rng, grouping: str) -> Expectations:
    """Every group's Born probabilities from the states, sampled with ``shots`` (or exact)."""
    obs = plan_observation(observables, grouping)
    probs = [basis_probabilities(states, g.basis, n) for g in obs.groups]
    outcomes = probs if shots is None else [sample_counts(p, shots, rng) for p in probs]
    mean, var, exact_var = observe_stats(obs, outcomes, shots, states.shape[0], probs)
    return Expectations(mean, var, exact_var, len(obs.groups))
