"""Global random-Clifford shadows for low-rank observables such as fidelities ([classical shadows][classical-shadows]).

Each snapshot applies a uniformly random ``k``-qubit Clifford ``C`` (``qiskit.quantum_info.
random_clifford``, seeded) and measures all qubits in the computational basis, sampling ``b``
exactly from ``|⟨b|C|ψ⟩|²`` (marginal over qubits outside ``wires``). The shadow stores the Clifford
tableaux and the outcomes. Snapshot: ``ρ̂ = (2^k+1) C†|b⟩⟨b|C − I``, so the fidelity with a pure
target ``|φ⟩`` has the single-snapshot estimator ``(2^k+1)|⟨b|C|φ⟩|² − 1``, whose variance is at
most ``3·tr(O₀²) = 3(1 − 2^{−k})`` (Huang, Kueng, Preskill 2020).

``C`` is built from its tableau without Qiskit's (slow) ``to_matrix``: with ``D_j = C X_j C†``
(destabiliser rows) and ``|s⟩ = C|0⟩`` (the state stabilised by ``C Z_j C†``, obtained by projecting
a fixed generic vector onto ``∏_j (I + S_j)/2``), column ``x`` of ``C`` is ``∏_j D_j^{x_j}|s⟩``,
built by doubling (``4^k`` work per Clifford). The global phase of ``C`` is irrelevant here.
Practical for ``k ≤ ~8`` (limit 10).

Qubit order: column ``i`` of ``bits`` and Qiskit qubit ``i`` of each Clifford refer to qdist wire
``wires[i]``; target states are given in qdist order over ``wires`` (``wires[0]`` most significant).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qdist.io import atomic_savez
from qdist.sim.circuit import Circuit
from qdist.sim.execute import state as simulate_state
from shadows.collect import check_snapshots, check_state, check_wires, rng_from_seed
from shadows.estimate import check_delta, check_groups, group_bounds, median_of_means, std_factor
from shadows.types import ShadowEstimate, _check_wires, _readonly

MAX_QUBITS = 10
_FORMAT = "qdist-clifford-shadow-v1"
_BLOCK = 2**21  # complex entries of the Clifford unitaries built at once


@dataclass(frozen=True, eq=False)
class CliffordShadow:
    """``T`` global Clifford snapshots of ``k`` qubits.

    Attributes:
        tableaux: ``(T, 2k, 2k+1)`` uint8 Qiskit Clifford tableaux ``[x | z | phase]``.
        bits: ``(T, k)`` uint8 outcomes; column ``i`` is Qiskit qubit ``i``.
        wires: qdist wire of each column (default ``range(k)``).
    """

    tableaux: np.ndarray
    bits: np.ndarray
    wires: tuple[int, ...] | None = None

    def __post_init__(self):
        tab, bits = np.asarray(self.tableaux), np.asarray(self.bits)
        if bits.ndim != 2 or bits.shape[0] < 1 or bits.shape[1] < 1:
            raise ValueError(f"bits: expected a (T, k) array, got shape {bits.shape}")
        T, k = bits.shape
        if tab.shape != (T, 2 * k, 2 * k + 1):
            raise ValueError(f"tableaux: expected shape {(T, 2 * k, 2 * k + 1)}, got {tab.shape}")
        if bits.size and (bits.min() < 0 or bits.max() > 1):
            raise ValueError("bits: expected entries 0 or 1")
        wires = range(k) if self.wires is None else self.wires
        object.__setattr__(self, "wires", _check_wires(wires, k))
        object.__setattr__(self, "tableaux", _readonly(tab.astype(np.uint8)))
        object.__setattr__(self, "bits", _readonly(bits.astype(np.uint8)))

    @property
    def num_snapshots(self) -> int:
        return int(self.bits.shape[0])

    @property
    def num_qubits(self) -> int:
        return int(self.bits.shape[1])

    def __len__(self) -> int:
        return self.num_snapshots

    def __repr__(self) -> str:
        return f"CliffordShadow(num_snapshots={self.num_snapshots}, num_qubits={self.num_qubits}, wires={self.wires})"

    def clifford(self, t: int):
        """Snapshot ``t``'s ``qiskit.quantum_info.Clifford``."""
        from qiskit.quantum_info import Clifford

        return Clifford(self.tableaux[t].astype(bool))

    def save(self, path) -> Path:
        """``.npz``, written atomically (temporary file + ``os.replace``)."""
        return atomic_savez(
            path,
            format=np.array(_FORMAT),
            tableaux=self.tableaux,
            bits=self.bits,
            wires=np.asarray(self.wires, dtype=np.int64),
        )

    @classmethod
    def load(cls, path) -> CliffordShadow:
        with np.load(Path(path), allow_pickle=False) as f:
            if "format" not in f or str(f["format"]) != _FORMAT:
                raise ValueError(f"path: {path} is not a qdist Clifford shadow file ({_FORMAT})")
            return cls(f["tableaux"], f["bits"], tuple(int(w) for w in f["wires"]))


# ---------------------------------------------------------------------- tableau → unitary
def _apply_paulis(vecs: np.ndarray, tab_rows: np.ndarray, k: int) -> np.ndarray:
    """``P_b · vecs[b]`` for one tableau row per batch item; ``vecs`` ``(B, d, c)`` little-endian.

    Row ``(x, z, r)`` is ``(−1)^r ⊗_q σ(x_q, z_q)`` with ``σ(1,1) = Y = iXZ``, so
    ``(P v)_u = (−1)^r i^{|x∧z|} (−1)^{z·(u⊕x)} v_{u⊕x}``.
    """
    d = vecs.shape[1]
    weights = 1 << np.arange(k)
    xm = tab_rows[:, :k].astype(np.int64) @ weights
    zm = tab_rows[:, k : 2 * k].astype(np.int64) @ weights
    ny = np.bitwise_count(xm & zm)
    phase = (-1.0) ** tab_rows[:, 2 * k] * (1j) ** ny  # (B,)
    src = np.arange(d)[None, :] ^ xm[:, None]  # (B, d)
    sign = 1.0 - 2.0 * (np.bitwise_count(src & zm[:, None]) & 1)
    out = np.take_along_axis(vecs, src[:, :, None], axis=1)
    out *= (phase[:, None] * sign)[:, :, None]
    return out


def clifford_unitaries(tableaux: np.ndarray) -> np.ndarray:
    """``(B, 2k, 2k+1)`` tableaux → ``(B, 2^k, 2^k)`` unitaries in Qiskit's (little-endian) order,
    each equal to ``Clifford(tableau).to_matrix()`` up to a global phase."""
    tab = np.asarray(tableaux).astype(np.uint8)
    B, k = tab.shape[0], tab.shape[1] // 2
    d = 2**k
    v0 = np.random.default_rng(7).normal(size=(d, 2)) @ np.array([1.0, 1j])  # fixed generic vector
    v = np.broadcast_to(v0[None, :, None], (B, d, 1)).copy()
    for j in range(k, 2 * k):  # project onto the stabiliser state C|0⟩
        v = 0.5 * (v + _apply_paulis(v, tab[:, j], k))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    cols = v
    for j in range(k):  # column x = ∏ D_j^{x_j} |s⟩, bit j of x ↔ qubit j
        cols = np.concatenate([cols, _apply_paulis(cols, tab[:, j], k)], axis=2)
    return cols


def _little_endian(psi: np.ndarray, wires: tuple[int, ...], n: int) -> np.ndarray:
    """State over ``n`` wires (qdist order) → ``(2^k, 2^{n−k})`` matrix, row index ``Σ_i b_i 2^i``
    over ``wires`` (Qiskit order), columns the other wires."""
    rest = [w for w in range(n) if w not in wires]
    axes = list(reversed(wires)) + rest
    return np.transpose(psi.reshape((2,) * n), axes).reshape(2 ** len(wires), -1)


# ---------------------------------------------------------------------- collection
def collect_clifford(
    circuit_or_state, snapshots: int, seed, *, params=None, state=None, data=None, wires=None
) -> CliffordShadow:
    """Global random-Clifford shadow of ``U(θ)|ψ⟩`` (a qdist circuit) or of a given state vector.

    Args:
        circuit_or_state: a qdist ``Circuit`` (run with ``params``, ``state``, ``data`` through
            [`qdist.state`][qdist.state]) or a normalised state ``(2ⁿ,)`` in qdist order.
        snapshots: ``T ≥ 1``.
        seed: int or ``jax.random.PRNGKey``; one generator draws the ``T`` Cliffords, then ``T``
            uniforms for the outcomes. Same seed, same shadow.
        wires: qubits the Cliffords act on (the others are traced out); at most 10.

    Sampling is exact: ``b`` is drawn from ``|⟨b|C|ψ⟩|²`` by inverting the cumulative distribution.
    """
    if isinstance(circuit_or_state, Circuit):
        psi = simulate_state(circuit_or_state, params, state=state, data=data)
        if psi.ndim != 1:
            raise ValueError("params: collect_clifford takes one parameter vector, got a batch")
        psi = psi / np.linalg.norm(psi)
        n = circuit_or_state.num_qubits
    else:
        if params is not None or state is not None or data is not None:
            raise ValueError("circuit_or_state: params/state/data need a qdist Circuit, got a state vector")
        psi, n = check_state(circuit_or_state, "circuit_or_state")
        if psi.ndim != 1:
            raise ValueError(f"circuit_or_state: expected one state vector, got shape {psi.shape}")
    T = check_snapshots(snapshots)
    wires = check_wires(wires, n)
    k = len(wires)
    if k > MAX_QUBITS:
        raise ValueError(
            f"wires: global Clifford shadows build 4^k-entry unitaries; at most {MAX_QUBITS} qubits, got {k}"
        )
    from qiskit.quantum_info import random_clifford

    rng = rng_from_seed(seed)
    tableaux = np.empty((T, 2 * k, 2 * k + 1), dtype=np.uint8)
    for t in range(T):
        tableaux[t] = random_clifford(k, seed=rng).tableau
    uniforms = rng.random(T)
    mat = _little_endian(psi, wires, n)
    d = 2**k
    outcomes = np.empty(T, dtype=np.int64)
    step = max(1, _BLOCK // (d * d))
    for lo in range(0, T, step):
        hi = min(T, lo + step)
        amps = clifford_unitaries(tableaux[lo:hi]) @ mat  # (B, d, 2^{n−k})
        probs = np.einsum("bij,bij->bi", amps.real, amps.real) + np.einsum(
            "bij,bij->bi", amps.imag, amps.imag
        )
        cdf = np.cumsum(probs, axis=1)
        idx = (cdf < (uniforms[lo:hi] * cdf[:, -1])[:, None]).sum(axis=1)
        outcomes[lo:hi] = np.minimum(idx, d - 1)
    bits = ((outcomes[:, None] >> np.arange(k)[None, :]) & 1).astype(np.uint8)
    return CliffordShadow(tableaux, bits, wires)


# ---------------------------------------------------------------------- estimation
def estimate_fidelity(
    shadow: CliffordShadow, target_state, groups: int | None = None, *, delta: float | None = None
) -> ShadowEstimate:
    """Fidelity ``⟨φ|ρ|φ⟩`` with pure target(s) from a Clifford shadow, by median of means.

    Snapshot estimator ``(2^k+1)|⟨b|C|φ⟩|² − 1`` (unbiased; variance ≤ ``3(1 − 2^{−k})``).

    Args:
        shadow: a [`CliffordShadow`][shadows.CliffordShadow].
        target_state: ``(2^k,)`` or a batch ``(M, 2^k)`` of normalised states in qdist order over
            ``shadow.wires``.
        groups: median-of-means groups (PennyLane's split); default ``min(T, ⌈8 ln(1/δ)⌉)`` with
            ``δ = delta`` or 0.05. ``1`` gives the plain mean.
        delta: default failure probability of [`ShadowEstimate.ci`][shadows.ShadowEstimate.ci].

    Returns:
        [`ShadowEstimate`][shadows.ShadowEstimate] with ``mean`` ``(M,)`` (``M = 1`` for one target).
    """
    if not isinstance(shadow, CliffordShadow):
        raise TypeError(f"shadow: expected a CliffordShadow, got {type(shadow).__name__}")
    delta = check_delta(delta)
    T, k = shadow.num_snapshots, shadow.num_qubits
    d = 2**k
    phi, kt = check_state(target_state, "target_state")
    if kt != k:
        raise ValueError(f"target_state: expected {k} qubits (length {d}) to match the shadow, got {kt}")
    phi = np.atleast_2d(phi)
    targets = np.stack([_little_endian(p, tuple(range(k)), k)[:, 0] for p in phi])  # (M, d)
    if groups is None:
        groups = min(T, int(np.ceil(8.0 * np.log(1.0 / (delta or 0.05)))))
    K = check_groups(groups, T)
    index = shadow.bits.astype(np.int64) @ (1 << np.arange(k))
    values = np.empty((T, targets.shape[0]))
    step = max(1, _BLOCK // (d * d))
    for lo in range(0, T, step):
        hi = min(T, lo + step)
        rows = clifford_unitaries(shadow.tableaux[lo:hi])[np.arange(hi - lo), index[lo:hi]]  # ⟨b|C
        amp = rows @ targets.T
        values[lo:hi] = (d + 1) * (amp.real**2 + amp.imag**2) - 1.0
    bounds = group_bounds(T, K)
    mean = median_of_means(values, bounds)
    std = values.std(axis=0, ddof=1) / np.sqrt(T) if T > 1 else np.full(values.shape[1], np.inf)
    M = targets.shape[0]
    return ShadowEstimate(
        mean=mean,
        std_error=std * std_factor(K),
        num_snapshots=T,
        groups=K,
        delta=delta,
        group_size=int(np.diff(bounds).min()),
        term_coeffs=tuple(np.ones(1) for _ in range(M)),
        term_variances=tuple(np.array([3.0 * (1.0 - 1.0 / d)]) for _ in range(M)),
        term_ranges=tuple(np.array([float(d + 1)]) for _ in range(M)),
    )
