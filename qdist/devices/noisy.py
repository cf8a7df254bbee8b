"""A noisy simulator device: each run's circuit cut at given operations, channels applied there.

[`NoisyDevice`][qdist.devices.noisy.NoisyDevice] answers the same `Run`s as
`qdist.devices.exact.ExactDevice` but simulates density matrices
(`qdist.sim.noise`): every row's input state ``|ψ⟩⟨ψ|`` goes through the operations
``ops[cuts[i−1]:cuts[i]]`` of the run's circuit, then through ``channels[i]`` on every wire, and so on
to the end; the Born probabilities of each measured basis are ``diag(V ρ V†)`` marginalised on its
wires (``V`` the basis rotations of `qdist.measure.bases`), sampled exactly with the run's
generator ``SeedSequence([seed, i])`` as on the exact device. So any estimator that plans runs on
the circuit (parameter shift, SPSA, expectation estimates) measures the *noisy* expectation
``Tr(O ρ_noisy)``; with ``shots=None`` it returns it exactly. Because the channels do not depend on
θ, the parameter-shift rule still gives the exact gradient of the noisy expectation
([link models][link-models]).

For the network protocols the cuts are the hops: the operations of segment s end at ``cuts[s]``
and ``channels[s]`` is what the link of hop s does to the delivered register.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qdist.devices.protocol import Expectations, Run
from qdist.measure.bases import LETTER_CODE, ROTATIONS
from qdist.measure.observation import observe_stats, plan_observation
from qdist.measure.sampling import normalise, sample_counts
from qdist.precision import x64
from qdist.sim.channels import Channel
from qdist.sim.circuit import make_circuit
from qdist.sim.noise import DENSITY_MAX_QUBITS, apply_channel, density, evolve
from qdist.sim.observables import PauliWord
from qdist.sim.states import as_state

__all__ = ["NoisyDevice", "basis_probabilities_dm"]


def basis_probabilities_dm(rho: np.ndarray, basis: PauliWord, n: int) -> np.ndarray:
    """``(2^k,)`` Born probabilities of ``ρ`` on the ``k`` wires of ``basis`` (sorted) after rotating
    each into its letter's eigenbasis; the other wires are traced out."""
    t = np.asarray(rho, dtype=np.complex128).reshape((2,) * (2 * n))
    for w, p in basis:
        if p != "Z":
            v = ROTATIONS[LETTER_CODE[p]]
            t = np.moveaxis(np.tensordot(v, t, axes=([1], [w])), 0, w)
            t = np.moveaxis(np.tensordot(v.conj(), t, axes=([1], [n + w])), 0, n + w)
    diag = np.real(np.einsum("ii->i", t.reshape(2**n, 2**n))).reshape((2,) * n)
    wires = [w for w, _ in basis]
    other = tuple(w for w in range(n) if w not in wires)
    p = diag.sum(axis=other) if other else diag
    return normalise(np.clip(p.reshape(-1), 0.0, None))


def _check_schedule(cuts, channels) -> tuple[tuple[int, ...], tuple[tuple[Channel, ...], ...]]:
    cuts = tuple(int(c) for c in cuts)
    chans = tuple(tuple(c) for c in channels)
    if len(cuts) != len(chans):
        raise ValueError(f"channels: expected one tuple of channels per cut ({len(cuts)}), got {len(chans)}")
    if list(cuts) != sorted(cuts) or any(c < 0 for c in cuts):
        raise ValueError(f"cuts: expected non-decreasing operation indices ≥ 0, got {cuts}")
    for group in chans:
        for ch in group:
            if not isinstance(ch, Channel):
                raise TypeError(
                    f"channels: expected qdist.sim.channels.Channel entries, got {type(ch).__name__}"
                )
    return cuts, chans


@dataclass(frozen=True)
class NoisyDevice:
    """The density-matrix simulator with channels after the operations ``cuts`` (module docstring).

    Attributes:
        cuts: operation indices, non-decreasing; ``channels[i]`` acts after ``ops[:cuts[i]]``.
        channels: per cut, the channels applied (in order) to every wire.
    """

    cuts: tuple[int, ...]
    channels: tuple[tuple[Channel, ...], ...]
    name: str = "noisy-density-matrix"
    exact: bool = True

    def __post_init__(self):
        cuts, chans = _check_schedule(self.cuts, self.channels)
        object.__setattr__(self, "cuts", cuts)
        object.__setattr__(self, "channels", chans)

    @x64
    def final_densities(self, run: Run) -> list[np.ndarray]:
        """The final density matrix of every row of ``run``."""
        c = run.circuit
        n = c.num_qubits
        if n > DENSITY_MAX_QUBITS:
            raise ValueError(
                f"circuit: the noisy device simulates density matrices of n ≤ {DENSITY_MAX_QUBITS} qubits, got {n}"
            )
        if self.cuts and self.cuts[-1] > len(c.ops):
            raise ValueError(
                f"cuts: operation index {self.cuts[-1]} beyond the circuit's {len(c.ops)} operations"
            )
        bounds = [0, *self.cuts, len(c.ops)]
        pieces = [make_circuit(n, c.ops[a:b], num_params=c.num_params) for a, b in zip(bounds, bounds[1:])]
        bindings = np.atleast_2d(np.asarray(run.bindings, dtype=np.float64))
        R = bindings.shape[0]
        states = None if run.states is None else np.asarray(as_state(run.states, n))
        data = None if run.data is None else np.asarray(run.data, dtype=np.float64)
        out = []
        for r in range(R):
            psi = (
                np.eye(2**n, dtype=np.complex128)[0]
                if states is None
                else (states if states.ndim == 1 else states[r])
            )
            rho = density(psi)
            row_data = None if data is None else (data if data.ndim == 1 else data[r])
            for i, piece in enumerate(pieces):
                d = None if not piece.num_data else row_data[: piece.num_data]
                rho = evolve(piece, bindings[r], rho, data=d)
                if i < len(self.channels):
                    for ch in self.channels[i]:
                        rho = apply_channel(rho, ch, tuple(range(n)), n)
            out.append(rho)
        return out

    def run(self, batch: Sequence[Run], seed: int, with_probabilities: bool = False):
        """Outcomes of every run, as `ExactDevice.run` does,
        from the noisy density matrices."""
        out, all_probs = [], []
        for i, run in enumerate(batch):
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), i]))
            n = run.circuit.num_qubits
            rhos = self.final_densities(run)
            if run.observables is not None:
                obs = plan_observation(run.observables, run.grouping)
                probs = [np.stack([basis_probabilities_dm(r, g.basis, n) for r in rhos]) for g in obs.groups]
                outcomes = probs if run.shots is None else [sample_counts(p, run.shots, rng) for p in probs]
                mean, var, exact_var = observe_stats(obs, outcomes, run.shots, len(rhos), probs)
                out.append(Expectations(mean, var, exact_var, len(obs.groups)))
                all_probs.append(None)
                continue
            basis = tuple((w, "Z") for w in run.wires)
            probs = np.stack(
                [_ordered(basis_probabilities_dm(r, tuple(sorted(basis)), n), run.wires) for r in rhos]
            )
            all_probs.append(probs)
            out.append(probs if run.shots is None else sample_counts(probs, run.shots, rng))
        return (out, all_probs) if with_probabilities else out


def _ordered(p: np.ndarray, wires: tuple[int, ...]) -> np.ndarray:
    """Probabilities over sorted ``wires`` reordered so that ``wires[0]`` is the most significant."""
    k = len(wires)
    kept = sorted(wires)
    t = p.reshape((2,) * k)
    t = np.moveaxis(t, [kept.index(w) for w in wires], list(range(k)))
    return t.reshape(-1)
