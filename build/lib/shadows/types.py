"""Data types of the classical-shadows package: [`Shadow`][shadows.Shadow] and [`ShadowEstimate`][shadows.ShadowEstimate].

Conventions ([classical shadows][classical-shadows], identical to PennyLane's ``qml.ClassicalShadow``):

* ``bits[t, i]`` ∈ {0, 1} is the outcome of snapshot ``t`` on column ``i``; outcome ``b`` is the
  eigenvalue ``(−1)^b`` of the measured Pauli;
* ``recipes[t, i]`` ∈ {0, 1, 2} is the measured Pauli, 0 = X, 1 = Y, 2 = Z;
* column ``i`` refers to the qdist wire ``wires[i]`` (PennyLane's ``wire_map``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qdist.io import atomic_savez  # noqa: F401 (re-exported)

#: Recipe codes, PennyLane's order.
LETTERS = "XYZ"
_FORMAT = "qdist-shadow-v1"


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def _check_wires(wires, num_columns: int, name: str = "wires") -> tuple[int, ...]:
    try:
        out = tuple(int(w) for w in wires)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a sequence of integer wire indices, got {wires!r}") from None
    if any(isinstance(w, (bool, np.bool_)) for w in wires) or any(
        int(w) != w for w in wires if isinstance(w, (float, np.floating))
    ):
        raise ValueError(f"{name}: expected integer wire indices, got {wires!r}")
    if len(out) != num_columns:
        raise ValueError(f"{name}: expected {num_columns} wires (one per column), got {len(out)}")
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: expected distinct wires, got {out}")
    if any(w < 0 for w in out):
        raise ValueError(f"{name}: expected non-negative wire indices, got {out}")
    return out


@dataclass(frozen=True, eq=False)
class Shadow:
    """Random-Pauli classical shadow: ``T`` snapshots of ``n`` qubits ([classical shadows][classical-shadows]).

    Attributes:
        bits: ``(T, n)`` uint8 outcomes, 0/1 (0 ↔ eigenvalue +1).
        recipes: ``(T, n)`` uint8 measured Paulis, 0 = X, 1 = Y, 2 = Z.
        wires: qdist wire of each column (default ``range(n)``).

    Snapshot of one qubit: ``3 U†|b⟩⟨b|U − I``; the arrays are read-only.
    """

    bits: np.ndarray
    recipes: np.ndarray
    wires: tuple[int, ...] | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        bits = np.asarray(self.bits)
        recipes = np.asarray(self.recipes)
        if bits.ndim != 2:
            raise ValueError(f"bits: expected a (T, n) array, got shape {bits.shape}")
        if recipes.shape != bits.shape:
            raise ValueError(f"recipes: expected shape {bits.shape} (same as bits), got {recipes.shape}")
        if bits.shape[0] < 1 or bits.shape[1] < 1:
            raise ValueError(f"bits: expected at least one snapshot and one qubit, got shape {bits.shape}")
        if bits.dtype.kind not in "biu" or (bits.size and (bits.min() < 0 or bits.max() > 1)):
            raise ValueError("bits: expected integer entries 0 or 1")
        if recipes.dtype.kind not in "iu" or (recipes.size and (recipes.min() < 0 or recipes.max() > 2)):
            raise ValueError("recipes: expected integer entries 0 (X), 1 (Y) or 2 (Z)")
        wires = range(bits.shape[1]) if self.wires is None else self.wires
        object.__setattr__(self, "wires", _check_wires(wires, bits.shape[1]))
        object.__setattr__(self, "bits", _readonly(bits.astype(np.uint8)))
        object.__setattr__(self, "recipes", _readonly(recipes.astype(np.uint8)))

    # ------------------------------------------------------------------ basic properties
    @property
    def num_snapshots(self) -> int:
        """``T``."""
        return int(self.bits.shape[0])

    @property
    def num_qubits(self) -> int:
        """``n`` (number of columns)."""
        return int(self.bits.shape[1])

    def __len__(self) -> int:
        return self.num_snapshots

    def __getitem__(self, index) -> Shadow:
        """Subset of snapshots (slice, index array or boolean mask), same wires."""
        if isinstance(index, (int, np.integer)):
            index = slice(int(index), int(index) + 1 if int(index) != -1 else None)
        return Shadow(self.bits[index], self.recipes[index], self.wires)

    def __repr__(self) -> str:
        return f"Shadow(num_snapshots={self.num_snapshots}, num_qubits={self.num_qubits}, wires={self.wires})"

    def marginal(self, wires) -> Shadow:
        """The shadow of a subset of its wires (columns reordered as ``wires``)."""
        wires = _check_wires(wires, len(tuple(wires)))
        missing = [w for w in wires if w not in self.wires]
        if missing:
            raise ValueError(f"wires: {missing} not in the shadow's wires {self.wires}")
        cols = [self.wires.index(w) for w in wires]
        return Shadow(self.bits[:, cols], self.recipes[:, cols], wires)

    # ------------------------------------------------------------------ combination
    def concatenate(self, *others: Shadow) -> Shadow:
        """Snapshots of ``self`` followed by those of ``others`` (same wires required).

        Also usable as ``Shadow.concatenate([a, b, c])``.
        """
        items = list(self) if isinstance(self, (list, tuple)) else [self]
        for o in others:
            items.extend(o if isinstance(o, (list, tuple)) else [o])
        return concatenate(items)

    # ------------------------------------------------------------------ PennyLane
    @classmethod
    def from_pennylane(cls, cs) -> Shadow:
        """From ``qml.ClassicalShadow`` (its ``wire_map`` becomes ``wires``; labels must be integers)."""
        wire_map = list(cs.wire_map)
        bad = [w for w in wire_map if not isinstance(w, (int, np.integer)) or isinstance(w, bool)]
        if bad:
            raise ValueError(f"cs: wire labels must be integers to map to qdist wires, got {bad[0]!r}")
        return cls(np.asarray(cs.bits), np.asarray(cs.recipes), tuple(int(w) for w in wire_map))

    def to_pennylane(self):
        """``qml.ClassicalShadow(bits, recipes, wire_map=list(wires))`` with int8 arrays (as PennyLane's
        ``qml.classical_shadow`` measurement returns them)."""
        import pennylane as qml

        return qml.ClassicalShadow(
            self.bits.astype(np.int8), self.recipes.astype(np.int8), wire_map=list(self.wires)
        )

    # ------------------------------------------------------------------ files
    def save(self, path) -> Path:
        """Write an ``.npz`` file atomically (temporary file in the same folder, then ``os.replace``)."""
        return atomic_savez(
            path,
            format=np.array(_FORMAT),
            bits=self.bits,
            recipes=self.recipes,
            wires=np.asarray(self.wires, dtype=np.int64),
        )

    @classmethod
    def load(cls, path) -> Shadow:
        """Read a file written by [`save`][shadows.Shadow.save]."""
        with np.load(Path(path), allow_pickle=False) as f:
            if "format" not in f or str(f["format"]) != _FORMAT:
                raise ValueError(f"path: {path} is not a qdist shadow file ({_FORMAT})")
            return cls(f["bits"], f["recipes"], tuple(int(w) for w in f["wires"]))


def concatenate(shadows) -> Shadow:
    """One shadow with the snapshots of all ``shadows`` in order (their wires must agree)."""
    items = list(shadows)
    if not items or not all(isinstance(s, Shadow) for s in items):
        raise ValueError("shadows: expected a non-empty sequence of Shadow objects")
    wires = items[0].wires
    for s in items[1:]:
        if s.wires != wires:
            raise ValueError(f"shadows: wires differ ({wires} vs {s.wires})")
    return Shadow(np.concatenate([s.bits for s in items]), np.concatenate([s.recipes for s in items]), wires)


# ---------------------------------------------------------------------- estimates
@dataclass(frozen=True, eq=False)
class ShadowEstimate:
    """Estimates of ``M`` observables from one shadow ([classical shadows][classical-shadows]).

    Attributes:
        mean: ``(M,)`` estimates (plain mean for ``groups == 1``, else median of means; weighted sums
            combine the per-term estimates linearly, as PennyLane does).
        std_error: ``(M,)`` empirical standard error ``s/√T``, ``s`` the sample standard deviation of
            the observable's per-snapshot value (``inf`` if ``T = 1``). For ``groups ≥ 3`` it is
            multiplied by ``√(π/2)`` ≈ 1.25: the large-K ratio of the spread of a median of K Gaussian
            group means to that of their mean (an upper bound for every K).
        num_snapshots: ``T``.
        groups: ``K``, the number of median-of-means groups.
        delta: default failure probability of [`ci`][shadows.ShadowEstimate.ci] (``None`` → 0.05).
        group_size: size of the smallest group.
        term_coeffs, term_variances, term_ranges: per observable, arrays over its terms of ``|c_k|``,
            an upper bound ``V_k`` on the single-snapshot variance and the width ``b_k − a_k`` of the
            interval holding the single-snapshot value (``3^w`` and ``2·3^w`` for a Pauli word of
            weight ``w``). They feed [`half_width`][shadows.ShadowEstimate.half_width].
    """

    mean: np.ndarray
    std_error: np.ndarray
    num_snapshots: int
    groups: int = 1
    delta: float | None = None
    group_size: int = 0
    term_coeffs: tuple[np.ndarray, ...] = field(default=(), repr=False)
    term_variances: tuple[np.ndarray, ...] = field(default=(), repr=False)
    term_ranges: tuple[np.ndarray, ...] = field(default=(), repr=False)

    def __post_init__(self):
        object.__setattr__(self, "mean", _readonly(np.asarray(self.mean, dtype=np.float64)))
        object.__setattr__(self, "std_error", _readonly(np.asarray(self.std_error, dtype=np.float64)))
        if not self.group_size:
            object.__setattr__(self, "group_size", self.num_snapshots // max(self.groups, 1))

    def __len__(self) -> int:
        return int(self.mean.shape[0])

    def _delta(self, level: float | None, simultaneous: bool) -> float:
        if level is None:
            delta = 0.05 if self.delta is None else float(self.delta)
        else:
            if not 0.0 < float(level) < 1.0:
                raise ValueError(f"level: expected a confidence level in (0, 1), got {level}")
            delta = 1.0 - float(level)
        return delta / len(self) if simultaneous and len(self) else delta

    def half_width(self, level: float | None = None, *, simultaneous: bool = False) -> np.ndarray:
        """Rigorous half-width ``ε`` with ``P(|mean − ⟨O⟩| > ε) ≤ δ = 1 − level`` ([protocols and communication][protocols-and-communication], [classical shadows][classical-shadows]).

        * ``groups == 1``: the smaller of Hoeffding ``Σ_k|c_k|(b−a)_k·√(ln(2/δ)/(2T))`` and Chebyshev
          ``Σ_k|c_k|√V_k/√(Tδ)`` (both hold for the observable's per-snapshot value).
        * ``groups = K > 1`` (median of means): a group mean (size ≥ B) misses by more than ``ε_k``
          with probability ≤ ``p``, where ``ε_k = min(√(V_k/(B p)), (b−a)_k √(ln(2/p)/(2B)))``; the
          median misses only if ≥ K/2 groups miss, probability ≤ ``exp(−2K(1/2 − p)²)``, hence
          ``p = 1/2 − √(ln(1/δ_k)/(2K))`` (``inf`` when ``K ≤ 2 ln(1/δ_k)``). A weighted sum of ``L``
          terms uses the union bound ``δ_k = δ/L`` and ``ε = Σ_k |c_k| ε_k``.

        ``simultaneous=True`` divides ``δ`` by ``M`` (union bound over all observables).
        """
        delta = self._delta(level, simultaneous)
        T, K, B = self.num_snapshots, self.groups, max(self.group_size, 1)
        out = np.empty(len(self))
        for m in range(len(self)):
            c, v, r = self.term_coeffs[m], self.term_variances[m], self.term_ranges[m]
            if K == 1:
                hoeff = float(np.sum(c * r)) * math.sqrt(math.log(2.0 / delta) / (2.0 * T))
                cheb = float(np.sum(c * np.sqrt(v))) / math.sqrt(T * delta)
                out[m] = min(hoeff, cheb)
                continue
            dk = delta / max(len(c), 1)
            p = 0.5 - math.sqrt(math.log(1.0 / dk) / (2.0 * K))
            if p <= 0:
                out[m] = math.inf
                continue
            cheb = np.sqrt(v / (B * p))
            hoeff = r * math.sqrt(math.log(2.0 / p) / (2.0 * B))
            out[m] = float(np.sum(c * np.minimum(cheb, hoeff)))
        return out

    def ci(self, level: float | None = None, *, simultaneous: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high) = mean ∓ half_width(level)``; default level ``1 − delta`` (or 0.95)."""
        hw = self.half_width(level, simultaneous=simultaneous)
        return self.mean - hw, self.mean + hw

    @property
    def confidence_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """[`ci`][shadows.ShadowEstimate.ci] at the default level."""
        return self.ci()

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "mean": self.mean.tolist(),
            "std_error": self.std_error.tolist(),
            "num_snapshots": self.num_snapshots,
            "groups": self.groups,
            "delta": self.delta,
        }
