"""Born sampling and the statistics of sampled outcomes.

A device reports, for every parameter row of a run, either the exact outcome probabilities
``p`` ``(R, 2^k)`` (simulators, ``shots=None``) or the outcome counts ``(R, 2^k)`` of ``shots``
shots. Estimators turn either into means and variances of outcome values with `value_stats`:
with counts the empirical mean and the unbiased (``ddof = 1``) single-shot variance; with
probabilities the exact ones. `sample_counts` draws exact multinomial counts; `marginal_probabilities`
and `basis_probabilities` compute Born probabilities from state vectors (first measured wire = most
significant bit of the outcome index).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qdist.measure.bases import LETTER_CODE, ROTATIONS
from qdist.sim.observables import PauliWord

__all__ = [
    "basis_probabilities",
    "bits_from_counts",
    "counts_from_bits",
    "marginal_probabilities",
    "normalise",
    "sample_counts",
    "value_stats",
]


def normalise(p: np.ndarray) -> np.ndarray:
    """Probabilities clipped at 0 and renormalised along the last axis (rounding of ``|ψ|²``)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    return p / p.sum(axis=-1, keepdims=True)


def marginal_probabilities(states: np.ndarray, wires: Sequence[int], num_wires: int) -> np.ndarray:
    """``(B, 2^k)`` computational-basis probabilities of the outcomes on ``wires`` (in that order)."""
    states = np.asarray(states)
    B = states.shape[0]
    p = (np.abs(states) ** 2).reshape((B,) + (2,) * num_wires)
    other = tuple(w + 1 for w in range(num_wires) if w not in wires)
    if other:
        p = p.sum(axis=other)
    kept = sorted(wires)
    p = np.moveaxis(p, [1 + kept.index(w) for w in wires], list(range(1, len(wires) + 1)))
    return normalise(p.reshape(B, -1))


def basis_probabilities(states: np.ndarray, basis: PauliWord, num_wires: int) -> np.ndarray:
    """``(B, 2^k)`` Born probabilities on the ``k`` wires of ``basis`` (sorted) after rotating each
    into its letter's eigenbasis (`qdist.measure.bases.ROTATIONS`); other wires are traced out."""
    B = np.asarray(states).shape[0]
    t = np.asarray(states).reshape((B,) + (2,) * num_wires)
    for w, p in basis:
        if p != "Z":
            t = np.moveaxis(np.tensordot(ROTATIONS[LETTER_CODE[p]], t, axes=([1], [w + 1])), 0, w + 1)
    flat = t.reshape(B, -1)
    return marginal_probabilities(flat, [w for w, _ in basis], num_wires)


def sample_counts(probs: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Exact multinomial outcome counts ``(…, 2^k)`` with ``shots`` shots per row."""
    return rng.multinomial(int(shots), normalise(probs))


def counts_from_bits(bits: np.ndarray) -> np.ndarray:
    """``(R, shots, k)`` bits (column 0 = most significant) → ``(R, 2^k)`` outcome counts."""
    bits = np.asarray(bits)
    R, _, k = bits.shape
    idx = (bits.astype(np.int64) << np.arange(k - 1, -1, -1)).sum(axis=-1)
    out = np.zeros((R, 2**k), dtype=np.int64)
    for r in range(R):
        out[r] = np.bincount(idx[r], minlength=2**k)
    return out


def bits_from_counts(counts: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(R, 2^k)`` counts → ``(R, shots, k)`` bits in uniformly random shot order."""
    counts = np.asarray(counts, dtype=np.int64)
    R = counts.shape[0]
    shots = int(counts[0].sum()) if R else 0
    idx = np.repeat(np.tile(np.arange(2**k), (R, 1)).ravel(), counts.ravel()).reshape(R, shots)
    idx = rng.permuted(idx, axis=1)
    return ((idx[..., None] >> np.arange(k - 1, -1, -1)) & 1).astype(np.uint8)


def value_stats(probs: np.ndarray, values: np.ndarray, counts: np.ndarray | None, shots: int | None):
    """Per-row mean and single-shot variance of the outcome values ``values`` ``(2^k, m)``.

    Returns ``(mean, var, exact_mean, exact_var)``, each ``(B, m)``. With ``counts`` the mean and the
    unbiased (``ddof = 1``) variance are the empirical ones; otherwise the exact ones. ``probs`` may be
    ``None`` when only counts are known (a real device); then the exact entries are ``NaN``.
    """
    if probs is not None:
        exact_mean = probs @ values
        exact_var = np.clip(probs @ values**2 - exact_mean**2, 0.0, None)
    if counts is None:
        return exact_mean, exact_var, exact_mean, exact_var
    mean = counts @ values / shots
    if shots > 1:
        var = np.clip((counts @ values**2 - shots * mean**2) / (shots - 1), 0.0, None)
    else:
        var = np.full_like(mean, np.nan)
    if probs is None:
        exact_mean = exact_var = np.full_like(mean, np.nan)
    return mean, var, exact_mean, exact_var
