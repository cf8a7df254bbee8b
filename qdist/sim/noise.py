"""Noisy simulation: density matrices through circuits and channels, and Monte-Carlo trajectories
([link models][link-models]).

A density matrix ``ρ`` of ``n`` qubits is a ``(2ⁿ, 2ⁿ)`` complex array in the qdist order (wire 0 is
the most significant bit of both indices, as for state vectors). Three exact operations:

* [`apply_channel`][qdist.sim.noise.apply_channel] — a single-qubit
  [`Channel`][qdist.sim.channels.Channel] on each of ``wires``: ``ρ ↦ Σ_k K_k ρ K_k†`` per wire
  (Kraus operators from [`kraus_operators`][qdist.sim.channels.kraus_operators]);
* [`evolve`][qdist.sim.noise.evolve] — a qdist [`Circuit`][qdist.Circuit]: ``ρ ↦ U ρ U†``, computed
  by the state-vector simulator on the columns (``M = U ρ`` column by column, then
  ``U M† = U ρ U†``), so there is one gate library;
* [`expectation`][qdist.sim.noise.expectation] — ``Tr(O ρ) = Σ_k c_k Tr(P_k ρ)``.

**Trajectories.** Above ``DENSITY_MAX_QUBITS`` qubits the ``4ⁿ`` entries of ``ρ`` are too many; a
register is then a batch of ``T`` state vectors, each channel is unravelled into its Kraus jumps
([`jump`][qdist.sim.noise.jump]): on trajectory ``ψ`` operator ``K_k`` is chosen with the
state-dependent probability ``p_k = ‖K_k ψ‖²`` and ``ψ ← K_k ψ / √p_k``. Then
``E[|ψ⟩⟨ψ|] = ρ`` exactly, and the mean of ``⟨ψ_t|O|ψ_t⟩`` over the trajectories estimates ``Tr(Oρ)``
with standard error ``s/√T`` (``s`` the sample standard deviation over trajectories, at most
``‖O‖``) — [`trajectory_expectation`][qdist.sim.noise.trajectory_expectation]. Every random choice
takes an explicit ``numpy.random.Generator``.

The choice: density matrices for ``n ≤ DENSITY_MAX_QUBITS = 10`` (16 MB per ``ρ``, exact),
trajectories above (``T·2ⁿ`` amplitudes, statistical error ``s/√T``). Channels are applied in numpy
(a ``tensordot`` per Kraus operator and wire): for ``n ≤ 10`` it is faster than the same contraction
under ``jax.jit`` once compilation is counted (``benchmarks/noise_channels.py``); the unitary part
runs on the JAX simulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.precision import x64
from qdist.sim.apply import apply_pauli
from qdist.sim.channels import Channel, kraus_operators
from qdist.sim.circuit import Circuit
from qdist.sim.execute import check_data, check_params
from qdist.sim.observables import Observable
from qdist.sim.simulate import make_state_fn

__all__ = [
    "DENSITY_MAX_QUBITS",
    "apply_channel",
    "density",
    "evolve",
    "expectation",
    "jump",
    "probabilities",
    "trajectory_expectation",
]

#: Largest register simulated as a density matrix; above it, trajectories.
DENSITY_MAX_QUBITS = 10


def _check_rho(rho, n: int) -> np.ndarray:
    r = np.asarray(rho, dtype=np.complex128)
    if r.shape != (2**n, 2**n):
        raise ValueError(f"rho: expected a density matrix of shape {(2**n, 2**n)}, got {r.shape}")
    return r


def _check_wires(wires, n: int) -> tuple[int, ...]:
    ws = (wires,) if isinstance(wires, (int, np.integer)) else tuple(wires)
    for w in ws:
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or not 0 <= w < n:
            raise ValueError(f"wires: expected wires in 0..{n - 1}, got {wires!r}")
    return tuple(int(w) for w in ws)


def _check_channel(channel) -> Channel:
    if not isinstance(channel, Channel):
        raise TypeError(f"channel: expected a qdist.sim.channels.Channel, got {type(channel).__name__}")
    return channel


def density(psi) -> np.ndarray:
    """``|ψ⟩⟨ψ|`` ``(2ⁿ, 2ⁿ)`` of a state vector ``(2ⁿ,)``."""
    v = np.asarray(psi, dtype=np.complex128)
    if v.ndim != 1:
        raise ValueError(f"psi: expected one state vector (2ⁿ,), got shape {v.shape}")
    return np.outer(v, v.conj())


def apply_channel(rho, channel: Channel, wires: int | Sequence[int], n: int) -> np.ndarray:
    """``ρ ↦ Σ_k K_k ρ K_k†`` for ``channel`` on each of ``wires`` (independently, one after the
    other — they commute) of an ``n``-qubit density matrix ``(2ⁿ, 2ⁿ)``."""
    r = _check_rho(rho, n)
    ks = kraus_operators(_check_channel(channel))
    t = r.reshape((2,) * (2 * n))
    for w in _check_wires(wires, n):
        out = np.zeros_like(t)
        for k in ks:
            # K on the row index (axis w), conj(K) on the column index (axis n + w)
            s = np.moveaxis(np.tensordot(k, t, axes=([1], [w])), 0, w)
            out += np.moveaxis(np.tensordot(k.conj(), s, axes=([1], [n + w])), 0, n + w)
        t = out
    return t.reshape(2**n, 2**n)


@lru_cache(maxsize=256)
def _rows_fn(circuit: Circuit):
    """``X (B, 2ⁿ) ↦ rows U x_b``: the simulator's state function mapped over rows, compiled once per
    circuit (the cache key is the circuit's content hash)."""
    return jax.jit(jax.vmap(make_state_fn(circuit), in_axes=(None, 0, None)))


@x64
def evolve(circuit: Circuit, params, rho, *, data=None) -> np.ndarray:
    """``U(θ; data) ρ U(θ; data)†`` for a density matrix ``ρ`` ``(2ⁿ, 2ⁿ)``; ``params`` ``(P,)``,
    ``data`` ``(D,)`` as for `qdist.sim.execute.state`."""
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    n = circuit.num_qubits
    r = _check_rho(rho, n)
    p = jnp.asarray(check_params(circuit, np.zeros(circuit.num_params) if params is None else params))
    d = jnp.asarray(check_data(circuit, data))
    if p.ndim != 1 or d.ndim != 1:
        raise ValueError("params, data: expected one parameter vector and one data vector (no batch)")
    f = _rows_fn(circuit)
    m = f(p, jnp.asarray(r.T), d)  # rows: U applied to the columns of ρ, i.e. (U ρ)ᵀ
    out = f(p, jnp.conj(m).T, d)  # rows: U applied to the columns of (U ρ)† = conj(m)ᵀ: (U ρ U†)ᵀ
    return np.asarray(out).T


def probabilities(rho) -> np.ndarray:
    """Computational-basis outcome probabilities ``diag ρ`` ``(2ⁿ,)`` (clipped at 0, renormalised)."""
    p = np.clip(np.real(np.diagonal(np.asarray(rho))), 0.0, None)
    return p / p.sum()


@x64
def expectation(observable: Observable, rho, n: int) -> float:
    """``Tr(O ρ) = Σ_k c_k Tr(P_k ρ)`` (real) for an ``n``-qubit density matrix."""
    if not isinstance(observable, Observable):
        raise TypeError(f"observable: expected a qdist Observable, got {type(observable).__name__}")
    if observable.max_wire >= n:
        raise ValueError(f"observable: acts on wire {observable.max_wire}, the register has {n} qubits")
    r = jnp.asarray(_check_rho(rho, n))
    total = 0.0
    for c, word in zip(observable.coeffs, observable.words, strict=True):
        cols = jax.vmap(lambda v, word=word: apply_pauli(v, word, n), in_axes=1, out_axes=1)(r)
        total += c * float(jnp.real(jnp.trace(cols)))
    return float(total)


def jump(
    states, channel: Channel, wires: int | Sequence[int], n: int, rng: np.random.Generator
) -> np.ndarray:
    """One Kraus jump of ``channel`` on each of ``wires`` for every trajectory ``(T, 2ⁿ)``.

    On each wire, trajectory ``ψ`` takes operator ``K_k`` with probability ``p_k = ‖K_k ψ‖²`` and
    becomes ``K_k ψ/√p_k``; averaged over the jumps, ``|ψ⟩⟨ψ|`` goes through the channel exactly.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    psi = np.asarray(states, dtype=np.complex128)
    if psi.ndim != 2 or psi.shape[1] != 2**n:
        raise ValueError(f"states: expected trajectories of shape (T, {2**n}), got {psi.shape}")
    ks = kraus_operators(_check_channel(channel))
    T = psi.shape[0]
    for w in _check_wires(wires, n):
        t = psi.reshape((T,) + (2,) * n)
        branches = np.stack([np.moveaxis(np.tensordot(k, t, axes=([1], [w + 1])), 0, w + 1) for k in ks])
        branches = branches.reshape(len(ks), T, 2**n)
        weights = np.sum(np.abs(branches) ** 2, axis=2).T  # (T, k): p_k = ‖K_k ψ‖²
        cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        pick = np.minimum((rng.random(T)[:, None] > cum).sum(axis=1), len(ks) - 1)
        chosen = branches[pick, np.arange(T)]
        psi = chosen / np.sqrt(weights[np.arange(T), pick])[:, None]
    return psi


@x64
def trajectory_expectation(observable: Observable, states, n: int) -> tuple[float, float]:
    """``(mean, standard error)`` of ``⟨ψ_t|O|ψ_t⟩`` over trajectories ``(T, 2ⁿ)``: the estimate of
    ``Tr(O ρ)`` and its error ``s/√T`` (``s`` the sample standard deviation, ``ddof = 1``)."""
    psi = jnp.asarray(np.asarray(states, dtype=np.complex128))
    if psi.ndim != 2 or psi.shape[1] != 2**n:
        raise ValueError(f"states: expected trajectories of shape (T, {2**n}), got {psi.shape}")
    from qdist.sim.simulate import expectation as state_expectation

    vals = np.asarray(jax.vmap(lambda v: state_expectation(observable, v, n))(psi))
    T = vals.shape[0]
    err = float(np.std(vals, ddof=1) / np.sqrt(T)) if T > 1 else float("nan")
    return float(np.mean(vals)), err
