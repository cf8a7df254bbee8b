"""Expectation values of Pauli observables from random-Pauli shadows ([classical shadows][classical-shadows]).

Single-snapshot estimator of a Pauli string ``P`` of weight ``w`` (support ``S``)::

    X_t = ∏_{q∈S} 3·(−1)^{b_tq}·[r_tq = P_q]  ∈ {0, ±3^w}

``groups = 1`` gives the mean over the ``T`` snapshots; ``groups = K`` the median of the means of
``K`` groups split exactly as PennyLane's ``median_of_means`` does (consecutive blocks of
``⌈T/K⌉`` snapshots, the last one shorter), so [`estimate`][shadows.estimate.estimate] reproduces
``qml.ClassicalShadow(bits, recipes, wire_map).expval(H, k=K)``. When that split would leave an
empty group (possible only for ``T < K²``; PennyLane then returns NaN) the snapshots are split into
``K`` blocks of sizes ``⌊T/K⌋`` or ``⌈T/K⌉`` instead. Weighted sums combine the per-term estimates
linearly (``Σ_k c_k·MoM_k``), as PennyLane does.

Implementation: bit-packed boolean algebra, memory ``O(T·n + M)``. For every column ``q`` and letter
``L`` the snapshots with ``r_tq = L`` form a bitset (64 snapshots per ``uint64``), and the outcomes
``b_tq`` another. For a word, ``match = AND`` of its letters' bitsets and ``parity = XOR`` of its
outcome bitsets, so ``Σ_t X_t = 3^w·(popcount(match) − 2·popcount(match ∧ parity))`` and
``Σ_t X_t² = 9^w·popcount(match)``; groups are padded to whole words so the counts come per group.
That is ``w·T/64`` word operations per observable, vectorised over observables.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from shadows.types import Shadow, ShadowEstimate

_CODES = {"X": 0, "Y": 1, "Z": 2}
_CHUNK = 2**20  # uint64 words gathered at once
WordKey = tuple[tuple[int, int], ...]  # ((column, code), ...) sorted by column


# ---------------------------------------------------------------------- observables
def _fail(msg: str, exc=ValueError):
    raise exc(f"observables: {msg}")


def _word_from_items(items, col_of: Mapping[int, int], shadow_wires) -> WordKey:
    out: dict[int, int] = {}
    for wire, letter in items:
        if isinstance(wire, bool) or not isinstance(wire, numbers.Integral):
            _fail(f"expected integer wires, got {wire!r}")
        letter = str(letter).upper()
        if letter not in ("I", "X", "Y", "Z"):
            _fail(f"expected Pauli letters I, X, Y, Z, got {letter!r}")
        if letter == "I":
            continue
        wire = int(wire)
        if wire not in col_of:
            _fail(f"acts on wire {wire}, which is not among the shadow's wires {tuple(shadow_wires)}")
        col = col_of[wire]
        if col in out:
            _fail(f"wire {wire} appears twice in one Pauli word")
        out[col] = _CODES[letter]
    return tuple(sorted(out.items()))


def _is_sparse_word(obj) -> bool:
    return (
        isinstance(obj, tuple)
        and len(obj) > 0
        and all(
            isinstance(p, tuple)
            and len(p) == 2
            and isinstance(p[0], numbers.Integral)
            and isinstance(p[1], str)
            for p in obj
        )
    )


def _one_observable(obj, col_of, shadow_wires) -> list[tuple[float, WordKey]]:
    """One observable → ``[(coeff, word), ...]``."""
    from qdist.sim.observables import Observable

    if isinstance(obj, str):
        if not obj:
            _fail("expected a non-empty Pauli label, got ''")
        return [(1.0, _word_from_items(enumerate(obj), col_of, shadow_wires))]
    if isinstance(obj, Mapping):
        return [(1.0, _word_from_items(obj.items(), col_of, shadow_wires))]
    if _is_sparse_word(obj) or (isinstance(obj, tuple) and not obj):
        return [(1.0, _word_from_items(obj, col_of, shadow_wires))]
    if not isinstance(obj, Observable):
        from qdist.interop.observables import as_observable

        try:
            obj = as_observable(obj)
        except (TypeError, ValueError) as exc:
            msg = str(exc).removeprefix("observable: ")
            _fail(msg, type(exc))
    if not obj.words:
        _fail("expected an observable with at least one term")
    return [
        (float(c), _word_from_items(word, col_of, shadow_wires))
        for c, word in zip(obj.coeffs, obj.words, strict=True)
    ]


def parse_observables(observables, wires) -> list[list[tuple[float, WordKey]]]:
    """Observables → per observable a list of ``(coeff, ((column, code), ...))`` terms.

    Accepted: a qdist [`Observable`][qdist.Observable] (one observable, its terms summed), a dense label
    ``"XIZ"`` (character ``i`` = qdist wire ``i``), a dict ``{wire: letter}``, a sparse word
    ``((wire, letter), ...)``, a Qiskit ``SparsePauliOp``/``Pauli`` or a PennyLane operator — or a
    list of any of these (one estimate each). Wires are qdist wires, mapped to the shadow's columns.
    """
    col_of = {w: i for i, w in enumerate(wires)}
    if isinstance(observables, np.ndarray):
        observables = observables.tolist()
    if isinstance(observables, list) or (isinstance(observables, tuple) and not _is_sparse_word(observables)):
        items = list(observables)
        if not items:
            _fail("expected at least one observable")
    else:
        items = [observables]
    return [_one_observable(o, col_of, wires) for o in items]


# ---------------------------------------------------------------------- groups
def group_bounds(num_snapshots: int, groups: int) -> np.ndarray:
    """``(K+1,)`` boundaries of the median-of-means groups (PennyLane's split, see module doc)."""
    T, K = num_snapshots, groups
    size = -(-T // K)
    if (K - 1) * size < T:
        return np.minimum(np.arange(K + 1) * size, T)
    return np.array([T * i // K for i in range(K + 1)])


def median_of_means(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Median over groups of the per-group means of ``values`` ``(T, ...)`` (axis 0)."""
    K = len(bounds) - 1
    means = np.stack([np.mean(values[bounds[i] : bounds[i + 1]], axis=0) for i in range(K)])
    return means[0] if K == 1 else np.median(means, axis=0)


def std_factor(groups: int) -> float:
    """``√(π/2)`` for ``K ≥ 3`` (median of means), ``1`` otherwise — see [`ShadowEstimate`][shadows.ShadowEstimate]."""
    return math.sqrt(math.pi / 2.0) if groups >= 3 else 1.0


def check_groups(groups, num_snapshots: int) -> int:
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
        raise ValueError(f"groups: expected an integer between 1 and T = {num_snapshots}, got {groups!r}")
    if not 1 <= int(groups) <= num_snapshots:
        raise ValueError(f"groups: expected an integer between 1 and T = {num_snapshots}, got {groups}")
    return int(groups)


def check_delta(delta) -> float | None:
    if delta is None:
        return None
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not 0.0 < float(delta) < 1.0:
        raise ValueError(f"delta: expected a failure probability in (0, 1), got {delta!r}")
    return float(delta)


# ---------------------------------------------------------------------- bit tables
def _pack(shadow: Shadow, bounds: np.ndarray):
    """Bitsets per (column, letter) and per column outcome, laid out as ``(rows, K, W)`` uint64.

    Cached on the (immutable) shadow per group split, so repeated estimates skip the packing."""
    key = ("packed", tuple(int(b) for b in bounds))
    if key not in shadow._cache:
        if len(shadow._cache) >= 4:
            shadow._cache.clear()
        shadow._cache[key] = _pack_uncached(shadow, bounds)
    return shadow._cache[key]


def _pack_uncached(shadow: Shadow, bounds: np.ndarray):
    T, n = shadow.num_snapshots, shadow.num_qubits
    K = len(bounds) - 1
    sizes = np.diff(bounds)
    W = -(-int(sizes.max()) // 64)
    L = K * W * 64
    gid = np.repeat(np.arange(K), sizes)
    pos = gid * (W * 64) + (np.arange(T) - bounds[gid])  # padded position of every snapshot
    match = np.zeros((3 * n + 1) * L, dtype=bool)
    rows = np.arange(n) * 3 + shadow.recipes.astype(np.int64)  # (T, n)
    match[rows * L + pos[:, None]] = True
    match[3 * n * L + pos] = True  # row 3n: "any letter" (identity / padding of short words)
    outcome = np.zeros((n + 1) * L, dtype=bool)  # row n: zeros
    outcome[(np.arange(n) * L)[None, :] + pos[:, None]] = shadow.bits.astype(bool)
    mtab = np.packbits(match.reshape(3 * n + 1, L), axis=1, bitorder="little").view(np.uint64)
    btab = np.packbits(outcome.reshape(n + 1, L), axis=1, bitorder="little").view(np.uint64)
    return mtab.reshape(3 * n + 1, K, W), btab.reshape(n + 1, K, W)


def _word_arrays(words: list[WordKey], n: int):
    wmax = max((len(w) for w in words), default=0)
    wmax = max(wmax, 1)
    midx = np.full((len(words), wmax), 3 * n, dtype=np.int64)
    bidx = np.full((len(words), wmax), n, dtype=np.int64)
    for i, word in enumerate(words):
        for j, (col, code) in enumerate(word):
            midx[i, j] = 3 * col + code
            bidx[i, j] = col
    weight = np.array([len(w) for w in words], dtype=np.int64)
    return midx, bidx, weight


def _match_parity(mtab, btab, midx, bidx):
    """Packed ``match`` and ``parity`` bitsets ``(Mc, K, W)`` for a chunk of words."""
    match = mtab[midx[:, 0]]
    parity = btab[bidx[:, 0]]
    for j in range(1, midx.shape[1]):
        match &= mtab[midx[:, j]]
        parity ^= btab[bidx[:, j]]
    return match, parity


def _chunks(num: int, per_item: int):
    step = max(1, _CHUNK // max(per_item, 1))
    for start in range(0, num, step):
        yield slice(start, min(num, start + step))


def word_counts(shadow: Shadow, words: list[WordKey], bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per word and group: ``(#matching snapshots, #matching with odd parity)``, each ``(U, K)``."""
    mtab, btab = _pack(shadow, bounds)
    midx, bidx, _ = _word_arrays(words, shadow.num_qubits)
    K, W = mtab.shape[1:]
    tot = np.empty((len(words), K), dtype=np.int64)
    odd = np.empty((len(words), K), dtype=np.int64)
    for sl in _chunks(len(words), K * W * midx.shape[1]):
        match, parity = _match_parity(mtab, btab, midx[sl], bidx[sl])
        tot[sl] = np.bitwise_count(match).sum(axis=-1, dtype=np.int64)
        parity &= match
        odd[sl] = np.bitwise_count(parity).sum(axis=-1, dtype=np.int64)
    return tot, odd


def snapshot_values(shadow: Shadow, terms: list[tuple[float, WordKey]]) -> np.ndarray:
    """Per-snapshot value ``Σ_k c_k X_{k,t}`` of one observable, ``(T,)`` (for tests and variances)."""
    bounds = np.array([0, shadow.num_snapshots])
    mtab, btab = _pack(shadow, bounds)
    words = [w for _, w in terms]
    midx, bidx, weight = _word_arrays(words, shadow.num_qubits)
    coeff = np.array([c for c, _ in terms]) * 3.0**weight
    total = np.zeros(mtab.shape[2] * 64)
    per = mtab.shape[2] * 64 * midx.shape[1]
    for sl in _chunks(len(words), per):
        match, parity = _match_parity(mtab, btab, midx[sl], bidx[sl])
        m = np.unpackbits(match.reshape(match.shape[0], -1).view(np.uint8), axis=1, bitorder="little")
        p = np.unpackbits(parity.reshape(parity.shape[0], -1).view(np.uint8), axis=1, bitorder="little")
        sign = m.astype(np.float64) * (1.0 - 2.0 * p)
        total += coeff[sl] @ sign
    return total[: shadow.num_snapshots]


# ---------------------------------------------------------------------- entry point
def estimate(shadow, observables, groups: int = 1, *, delta: float | None = None) -> ShadowEstimate:
    """Estimate ``⟨O_m⟩`` for every observable from a random-Pauli shadow ([classical shadows][classical-shadows]).

    Args:
        shadow: a [`Shadow`][shadows.Shadow] (or a ``qml.ClassicalShadow``).
        observables: see `parse_observables` — one observable or a list; wires are qdist
            wires and must be among ``shadow.wires``.
        groups: ``1`` → mean with standard error ``s/√T``; ``K > 1`` → median of means over ``K``
            groups (PennyLane's split; module docstring).
        delta: default failure probability of [`ShadowEstimate.ci`][shadows.ShadowEstimate.ci] (``None`` → 0.05).

    Returns:
        [`ShadowEstimate`][shadows.ShadowEstimate] with ``mean`` ``(M,)``, ``std_error`` ``(M,)``, ``ci(level)``.

    Memory is ``O(T·n + M)``; nothing of size ``2ⁿ`` is built.
    """
    if not isinstance(shadow, Shadow):
        if hasattr(shadow, "bits") and hasattr(shadow, "recipes") and hasattr(shadow, "wire_map"):
            shadow = Shadow.from_pennylane(shadow)
        else:
            raise TypeError(f"shadow: expected a Shadow, got {type(shadow).__name__}")
    T = shadow.num_snapshots
    K = check_groups(groups, T)
    delta = check_delta(delta)
    parsed = parse_observables(observables, shadow.wires)

    index: dict[WordKey, int] = {}
    for terms in parsed:
        for _, w in terms:
            index.setdefault(w, len(index))
    words = list(index)
    bounds = group_bounds(T, K)
    sizes = np.diff(bounds).astype(np.float64)
    tot, odd = word_counts(shadow, words, bounds)
    weight = np.array([len(w) for w in words], dtype=np.int64)
    scale = 3.0**weight
    group_means = scale[:, None] * (tot - 2 * odd) / sizes[None, :]
    word_est = group_means[:, 0] if K == 1 else np.median(group_means, axis=1)
    s1 = scale * (tot - 2 * odd).sum(axis=1)  # Σ_t X_t
    s2 = scale**2 * tot.sum(axis=1)  # Σ_t X_t²

    M = len(parsed)
    mean = np.empty(M)
    var = np.empty(M)
    coeffs, variances, ranges = [], [], []
    for m, terms in enumerate(parsed):
        c = np.array([t[0] for t in terms])
        idx = np.array([index[t[1]] for t in terms])
        mean[m] = np.sum(word_est[idx] * c)
        if len(terms) == 1:
            i = idx[0]
            sum1, sum2 = c[0] * s1[i], c[0] ** 2 * s2[i]
        else:
            z = snapshot_values(shadow, terms)
            sum1, sum2 = z.sum(), np.dot(z, z)
        var[m] = max(sum2 - sum1 * sum1 / T, 0.0) / (T - 1) if T > 1 else math.inf
        coeffs.append(np.abs(c))
        variances.append(scale[idx] * (weight[idx] > 0))  # Var ≤ E[X²] = 3^w; identity: exact
        ranges.append(2.0 * scale[idx] * (weight[idx] > 0))
    std_error = np.sqrt(var / T) * std_factor(K)
    return ShadowEstimate(
        mean=mean,
        std_error=std_error,
        num_snapshots=T,
        groups=K,
        delta=delta,
        group_size=int(sizes.min()),
        term_coeffs=tuple(coeffs),
        term_variances=tuple(variances),
        term_ranges=tuple(ranges),
    )


# ---------------------------------------------------------------------- planning helpers
def groups_for(delta: float, num_observables: int = 1) -> int:
    """Median-of-means groups ``K = ⌈8 ln(M/δ)⌉``: with per-group failure ``p = 1/4`` the median
    fails with probability ≤ ``exp(−K/8)`` ≤ ``δ/M`` ([classical shadows][classical-shadows])."""
    delta = check_delta(delta)
    if delta is None:
        raise ValueError("delta: expected a failure probability in (0, 1), got None")
    if int(num_observables) < 1:
        raise ValueError(f"num_observables: expected an integer ≥ 1, got {num_observables}")
    return max(1, math.ceil(8.0 * math.log(int(num_observables) / delta)))


def snapshots_for(epsilon: float, delta: float, weight: int, num_observables: int = 1) -> int:
    """Snapshots ``T = K·⌈4·3^w/ε²⌉`` (``K`` = [`groups_for`][shadows.groups_for]) so that median of means gives all
    ``M`` Pauli estimates of weight ≤ ``w`` to ``±ε`` with probability ``≥ 1 − δ`` (Chebyshev per
    group at ``p = 1/4``: ``ε = √(3^w/(B·p))``) — the ``O(3^w log(M/δ)/ε²)`` ([classical shadows][classical-shadows])."""
    if not float(epsilon) > 0:
        raise ValueError(f"epsilon: expected a positive accuracy, got {epsilon}")
    if int(weight) < 0:
        raise ValueError(f"weight: expected an integer ≥ 0, got {weight}")
    K = groups_for(delta, num_observables)
    return K * math.ceil(4.0 * 3.0 ** int(weight) / float(epsilon) ** 2)
