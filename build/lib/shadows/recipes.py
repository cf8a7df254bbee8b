"""Classical shadows measured on a device: random bases as parameter bindings of one circuit.

The circuit gets a parameterised basis layer ``U(θ_r, 0, λ_r)`` per measured wire
(`random_basis_circuit`; angles from `qdist.measure.bases.BASIS_ANGLES`), so the ``T`` random
recipes of a shadow are parameter rows. With ``shots_per_basis = 1`` the recipes are drawn i.i.d.
per snapshot and identical recipes are merged: a recipe drawn ``m`` times is one row with ``m``
shots, and rows with equal ``m`` share a run (at most ``3^k`` rows instead of ``T``; exactly the
i.i.d. distribution). With ``shots_per_basis = s``, ``⌈T/s⌉`` random bases get ``s`` shots each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qdist.devices.protocol import Run
from qdist.measure.bases import BASIS_ANGLES
from qdist.measure.sampling import bits_from_counts
from qdist.sim.circuit import Angle, Circuit, gate, make_circuit

__all__ = ["assemble_bits", "basis_bindings", "draw_recipes", "random_basis_circuit", "shadow_runs"]


def random_basis_circuit(circuit: Circuit, wires: Sequence[int]) -> Circuit:
    """``circuit`` + ``U(θ, 0, λ)`` on every wire of ``wires``: wire ``wires[i]`` reads parameters
    ``P + 2i`` and ``P + 2i + 1`` (``P = circuit.num_params``)."""
    P = circuit.num_params
    ops = list(circuit.ops)
    for i, w in enumerate(wires):
        ops.append(gate("U", w, Angle(P + 2 * i), 0.0, Angle(P + 2 * i + 1)))
    return make_circuit(circuit.num_qubits, ops, num_params=P + 2 * len(wires))


def basis_bindings(recipes: np.ndarray) -> np.ndarray:
    """``(B, k)`` recipes → ``(B, 2k)`` angles ``(θ_0, λ_0, θ_1, λ_1, …)`` of the basis layer."""
    return BASIS_ANGLES[np.asarray(recipes, dtype=np.int64)].reshape(len(recipes), -1)


def draw_recipes(rng: np.random.Generator, snapshots: int, k: int, shots_per_basis: int = 1):
    """``(recipes (T, k), unique bases (U, k), counts (U,), inverse (T,))`` (module docstring)."""
    if shots_per_basis == 1:
        recipes = rng.integers(0, 3, size=(snapshots, k), dtype=np.int64)
        uniq, inverse, counts = np.unique(recipes, axis=0, return_inverse=True, return_counts=True)
        return recipes, uniq, counts, inverse.ravel()
    nb = math.ceil(snapshots / shots_per_basis)
    uniq = rng.integers(0, 3, size=(nb, k), dtype=np.int64)
    counts = np.full(nb, shots_per_basis)
    counts[-1] = snapshots - shots_per_basis * (nb - 1)
    inverse = np.repeat(np.arange(nb), counts)
    return uniq[inverse], uniq, counts, inverse


def shadow_runs(
    circuit: Circuit, params, uniq: np.ndarray, counts: np.ndarray, wires, *, states=None, data=None
):
    """``(runs, pieces)``: one run per multiplicity ``m`` (its rows: the unique bases drawn ``m``
    times, ``m`` shots each) and ``pieces = [(m, indices of those bases)]``."""
    mc = random_basis_circuit(circuit, wires)
    angles = basis_bindings(uniq)
    params = np.asarray(params, dtype=np.float64)
    runs, pieces = [], []
    for m in np.unique(counts):
        sel = np.flatnonzero(counts == m)
        rows = np.concatenate([np.broadcast_to(params, (len(sel), len(params))), angles[sel]], axis=1)
        runs.append(Run(mc, rows, tuple(wires), int(m), states, data))
        pieces.append((int(m), sel))
    return tuple(runs), pieces


def assemble_bits(pieces, outcomes, inverse: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Snapshot-ordered ``(T, k)`` bits: the shots of unique basis ``u`` (outcome counts, expanded in
    random order) go to the snapshots drawn with ``u``."""
    T = inverse.shape[0]
    out = np.zeros((T, k), dtype=np.uint8)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(inverse.max() + 1))
    for (m, sel), counts in zip(pieces, outcomes, strict=True):
        bits = bits_from_counts(np.asarray(counts), k, rng)
        for r, u in enumerate(sel):
            out[order[starts[u] : starts[u] + m]] = bits[r]
    return out
