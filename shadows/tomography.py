"""Gradient by shadow tomography: threshold search + online learning ([shadow tomography][threshold-search]).

The gradient components are expectations ``t_b = tr(ρ B_b)`` of ±1-valued observables ``B_b`` on one
``d = 2^{n+1}``-dimensional state ``ρ``, so they are read off a classical hypothesis ``σ`` that
agrees with ``ρ`` on all of them. Two constructions (ancilla = wire ``n``, last, as in
`shadows.layers`):

* ``construction="circuit"`` (default; Abbas et al. 2023) — one state for the whole gradient:
  ``ρ = |ψ⟩⟨ψ| ⊗ |+⟩⟨+|`` (copies of the *input* state), and for slot j and observable term ``Q_k``
  ``B_{jk} = W_{jk}†(P_j ⊗ Y_anc)W_{jk}`` with ``W_{jk} = (U_{>j}† ⊗ I)·C-Q_k·(U ⊗ I)``, so that
  ``W_{jk}|ψ,+⟩ = |Φ_{jk}⟩`` and ``∂f_k/∂φ_j = −tr(ρ B_{jk})``. In ancilla blocks
  ``B = [[0, −iP̃Q̃], [iQ̃P̃, 0]]`` with the Heisenberg-picture operators ``P̃_j = U_{≤j}†P_jU_{≤j}``,
  ``Q̃_k = U†Q_kU`` (``J + K`` dense ``2ⁿ×2ⁿ`` matrices are stored), and
  ``tr(σB) = 2 Im tr(σ_{10} P̃_j Q̃_k)``. ``m = 2·J·K`` observables, ONE learning run: the copies
  grow as ``log² m``, i.e. polylog in the number of parameters.
* ``construction="layer"`` — per layer ℓ and term k the layer state ``ρ = |Φ_{ℓk}⟩⟨Φ_{ℓk}|`` and
  ``B_j = P_j ⊗ Y_anc`` (Pauli observables, traces in ``O(d)``); ``L·K`` runs with ``δ/(L·K)`` each.

The observables of the algorithm are ``A_{b,±} = (1 ± B_b)/2`` (``0 ≤ A ≤ 1``, ``m = 2·#B``).
Algorithm (every constant below is what the code uses; ``ε_A = 2ε/3`` so that the final guarantee
on every ``B`` is exactly ``ε``):

1. hypothesis ``σ = I/d`` as a dense ``d×d`` matrix, ``σ ∝ exp(−H)``, ``H = 0``;
2. *threshold search* on a fresh batch of ``k`` copies: thresholds ``θ_i = tr(σA_i) + ε_A/2``,
   observables tested one after another (gentle measurements), stop at the first ``i`` whose
   noisy batch mean exceeds ``θ_i``. Batch size
   ``k = ⌈32·(ln²(2m) + ln(4m/δ_r))/ε_A²⌉`` — the ``ln² m`` is what Bădescu–O'Donnell (2021)
   need for the sequence of gentle measurements to disturb the batch by O(ε); the ``ln(4m/δ_r)``
   makes every emulated test right to ``ε_A/4`` (Hoeffding ``ε_A/8`` + noise ``ε_A/8``, union bound);
3. if some ``i`` fired (then ``p_i = tr(ρA_i) > q_i = tr(σA_i) + ε_A/4``): estimate ``b̂ ≈ p_i`` to
   ``±ε_A/16`` on ``⌈128 ln(2/δ_r)/ε_A²⌉`` fresh copies and update by matrix multiplicative weights,
   ``H ← H − λA_i``, with the step ``λ > 0`` chosen by line search so that the new
   ``tr(σA_i) ∈ [c − ε_A/32, c]``, ``c = b̂ − ε_A/16 ≤ p_i`` — i.e. ``σ`` becomes the relative-entropy
   (Bregman) projection of the old hypothesis onto ``{tr(σA_i) ≥ c'}``, a set that contains ``ρ``.
   By the Pythagorean inequality and quantum Pinsker, ``S(ρ‖σ)`` (``≤ ln d`` at the start) drops by
   ``≥ S(σ_new‖σ_old) ≥ 2(c' − q_i)² ≥ 2(3ε_A/32)²`` per update: at most
   ``T_max = ⌈(512/9)·ln d/ε_A²⌉`` updates. (A fixed step ``η ≤ gap/2`` gives the same kind of bound
   but moves ``tr(σA_i)`` by only ``~η/4`` per update and needs thousands of updates at M ~ 500.)
4. when a full pass fires nothing, every ``tr(ρA_i) ≤ tr(σA_i) + 3ε_A/4``, both signs together
   give ``|tr(ρB) − tr(σB)| ≤ 1.5 ε_A = ε``; the derivatives are read from ``σ``.

``δ_r = δ/(2T_max + 1)`` per round and per estimate (union bound) → all guarantees hold with
probability ``≥ 1 − δ``. Copies are charged exactly as consumed: ``k`` per threshold-search round
(found or not) plus the estimation copies per update.

**Emulation.** The gentle collective measurement on a batch cannot be simulated at useful sizes.
Its *statistics* are emulated: for observable i the batch mean is drawn from
``Binomial(k, tr(ρA_i))/k`` and the stable threshold test's noise (Laplace, scale
``ε_A/(8 ln(2m/δ_r))``) is added before comparing with ``θ_i``. The measurement's disturbance of the
batch is bounded by the theory (that is what the ``ln² m`` in ``k`` pays for) and is **not
simulated**; the draws for different ``i`` are independent.

Practical up to ``n + 1 ≈ 10`` qubits (``σ`` is dense, one ``d×d`` eigendecomposition per update).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable, PauliWord
from qdist.sim.states import zero_state
from qdist.validate import check_sample_count
from shadows.layers import (
    angle_slots,
    check_pauli_generators,
    executor,
    observable_terms,
    op_word,
    prepare_inputs,
    slot_values,
)

__all__ = [
    "HeisenbergFamily",
    "PauliFamily",
    "TomographyRun",
    "circuit_family",
    "pauli_action",
    "shadow_tomography",
    "tomography_constants",
]

_MAX_DENSE = 2**25  # complex entries allowed for the stored Heisenberg operators (512 MB)


# ---------------------------------------------------------------------------------------------
# observable families B_b
# ---------------------------------------------------------------------------------------------
def pauli_action(word: PauliWord, num_wires: int) -> tuple[int, np.ndarray]:
    """``(f, phase)`` with ``P|x⟩ = phase[x]·|x ⊕ f⟩`` (wire 0 = most significant bit)."""
    d = 2**num_wires
    x = np.arange(d)
    f = 0
    phase = np.ones(d, dtype=np.complex128)
    for w, p in word:
        bit = (x >> (num_wires - 1 - w)) & 1
        if p in "XY":
            f |= 1 << (num_wires - 1 - w)
        if p == "Z":
            phase *= 1 - 2 * bit
        elif p == "Y":  # Y|0⟩ = i|1⟩, Y|1⟩ = −i|0⟩
            phase *= 1j * (1 - 2 * bit)
    return f, phase


class PauliFamily:
    """``B_b`` = Pauli strings on ``num_wires`` wires: ``tr(σP) = Σ_x σ[x, x⊕f]·phase[x]``."""

    def __init__(self, words: list[PauliWord], num_wires: int):
        self.num_wires = num_wires
        self.d = 2**num_wires
        self.size = len(words)
        acts = [pauli_action(w, num_wires) for w in words]
        x = np.arange(self.d)
        self._cols = np.stack([x ^ f for f, _ in acts]) if acts else np.zeros((0, self.d), dtype=int)
        self._phase = np.stack([ph for _, ph in acts]) if acts else np.zeros((0, self.d))

    def traces(self, sigma: np.ndarray) -> np.ndarray:
        x = np.arange(self.d)
        return np.real(np.sum(sigma[x[None, :], self._cols] * self._phase, axis=1))

    def dense(self, b: int) -> np.ndarray:
        m = np.zeros((self.d, self.d), dtype=np.complex128)
        x = np.arange(self.d)
        m[self._cols[b], x] = self._phase[b]
        return m


class HeisenbergFamily:
    """``B_{jk} = [[0, −iP̃_jQ̃_k], [iQ̃_kP̃_j, 0]]`` (ancilla blocks, ancilla last), ``b = j·K + k``."""

    def __init__(self, pt: np.ndarray, qt: np.ndarray):
        self.pt, self.qt = pt, qt
        self.J, self.K, D = pt.shape[0], qt.shape[0], pt.shape[-1]
        self.D = D
        self.d = 2 * D
        self.size = self.J * self.K

    def traces(self, sigma: np.ndarray) -> np.ndarray:
        s10 = sigma.reshape(self.D, 2, self.D, 2)[:, 1, :, 0]
        qs = np.einsum("kyz,zx->kyx", self.qt, s10)  # Q̃_k σ_10
        z = np.einsum("jxy,kyx->jk", self.pt, qs)  # tr(σ_10 P̃_j Q̃_k)
        return (2.0 * z.imag).reshape(-1)

    def dense(self, b: int) -> np.ndarray:
        j, k = divmod(b, self.K)
        c = self.pt[j] @ self.qt[k]
        m = np.zeros((self.D, 2, self.D, 2), dtype=np.complex128)
        m[:, 0, :, 1] = -1j * c
        m[:, 1, :, 0] = 1j * c.conj().T
        return m.reshape(self.d, self.d)


def _rows_pauli(states: np.ndarray, word: PauliWord, num_wires: int) -> np.ndarray:
    """``P`` applied to every row of ``states`` ``(R, 2ⁿ)``: ``(Pψ)[y] = phase[y⊕f]·ψ[y⊕f]``."""
    f, phase = pauli_action(word, num_wires)
    idx = np.arange(2**num_wires) ^ f
    return (states * phase[None, :])[:, idx]


def circuit_family(circuit: Circuit, params, observable: Observable, *, state=None, data=None):
    """Heisenberg-picture family of the whole-circuit construction and the exact ``tr(ρB_{jk})``.

    Returns ``(family, truth (J·K,), slots, terms)``; ``truth[j·K + k] = Im⟨ψ|P̃_jQ̃_k|ψ⟩
    = −∂f_k/∂φ_j``. One forward sweep of ``U`` over the ``2ⁿ`` basis states records
    ``U_{≤j}`` after every trainable op.
    """
    check_pauli_generators(circuit, "tomography")
    p, psi, d = prepare_inputs(circuit, params, state, data)
    n = circuit.num_qubits
    D = 2**n
    psi = np.asarray(zero_state(n) if psi is None else psi)[None, :]
    slots = angle_slots(circuit)
    terms = observable_terms(observable)
    J, K = len(slots), len(terms)
    if (J + K) * D * D > _MAX_DENSE:
        raise ValueError(
            f"construction: 'circuit' stores (J+K)·4ⁿ = {(J + K) * D * D} complex entries "
            f"(> {_MAX_DENSE}); use construction='layer'"
        )
    ex = executor(circuit)
    phi = slot_values(slots, p)[None, :]
    rows = np.eye(D, dtype=np.complex128)  # row x = U_{≤i}|x⟩
    pt = np.zeros((J, D, D), dtype=np.complex128)
    slot_at = {s.op: j for j, s in enumerate(slots)}
    cur = rows
    for i in range(len(circuit.ops)):
        cur = ex.apply(i, cur, phi, d)
        if i in slot_at:
            s = np.asarray(cur)
            j = slot_at[i]
            pt[j] = s.conj() @ _rows_pauli(s, op_word(circuit.ops[i]), n).T
    s = np.asarray(cur)
    qt = np.stack([s.conj() @ _rows_pauli(s, w, n).T for _, w in terms]) if K else np.zeros((0, D, D))
    psi0 = np.asarray(psi[0])
    truth = np.einsum("x,jxy,kyz,z->jk", psi0.conj(), pt, qt, psi0).imag.reshape(-1) if K else np.zeros(0)
    return HeisenbergFamily(pt, qt), truth, slots, terms


# ---------------------------------------------------------------------------------------------
# the learner
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TomographyRun:
    """Outcome of one threshold-search + online-learning run."""

    estimates: np.ndarray  # tr(σ B_b) for every b
    copies: int
    rounds: int
    updates: int
    converged: bool
    batch_size: int
    estimate_size: int
    max_updates: int
    learner_seconds: float


def tomography_constants(epsilon: float, delta: float, m: int, d: int) -> dict:
    """The constants of the module docstring for ``m`` observables ``A_i`` in dimension ``d``."""
    eps_a = 2.0 * epsilon / 3.0
    t_max = math.ceil(512.0 / 9.0 * math.log(d) / eps_a**2)
    delta_r = delta / (2 * t_max + 1)
    k = math.ceil(32.0 * (math.log(2 * m) ** 2 + math.log(4 * m / delta_r)) / eps_a**2)
    k_est = math.ceil(128.0 * math.log(2.0 / delta_r) / eps_a**2)
    noise = eps_a / (8.0 * math.log(2 * m / delta_r))
    return {
        "eps_a": eps_a,
        "max_updates": t_max,
        "delta_round": delta_r,
        "batch_size": k,
        "estimate_size": k_est,
        "noise_scale": noise,
    }


def _gibbs(h: np.ndarray) -> np.ndarray:
    """``exp(−H)/tr exp(−H)``."""
    w, v = scipy.linalg.eigh(h, driver="evr", check_finite=False)
    e = np.exp(-(w - w.min()))
    return (v * (e / e.sum())) @ v.conj().T


def _project(h: np.ndarray, b: np.ndarray, sign: float, q0: float, low: float, high: float):
    """MMW step by line search: ``λ > 0`` with ``tr(σ_λ A) ∈ [low, high]`` for
    ``σ_λ ∝ exp(−H + λA)``, ``A = (1 + sign·B)/2`` (the identity part of ``A`` only rescales).

    ``g(λ) = tr(σ_λ A)`` increases with λ from ``g(0) = q0``; bracket by doubling, then Illinois
    (modified regula falsi). Returns ``(H_new, σ_new, λ, evaluations)``.
    """

    def g(lam):
        hn = h - (sign * lam / 2.0) * b
        sig = _gibbs(hn)
        return (1.0 + sign * float(np.real(np.sum(sig * b.T)))) / 2.0, hn, sig

    target = (low + high) / 2.0
    lo, glo = 0.0, q0 - target
    lam, evals = 1.0, 0
    while True:
        val, hn, sig = g(lam)
        evals += 1
        if val >= target or lam > 1e8:
            break
        lo, glo, lam = lam, val - target, 2.0 * lam
    hi, ghi = lam, val - target
    side = 0
    while not low <= val <= high and evals < 200 and hi - lo > 1e-14 * hi:
        lam = hi - ghi * (hi - lo) / (ghi - glo)
        val, hn, sig = g(lam)
        evals += 1
        if val > target:
            hi, ghi = lam, val - target
            if side == -1:
                glo /= 2.0
            side = -1
        else:
            lo, glo = lam, val - target
            if side == 1:
                ghi /= 2.0
            side = 1
    return hn, sig, lam, evals


def shadow_tomography(
    family,
    truth: np.ndarray,
    epsilon: float,
    delta: float,
    rng: np.random.Generator,
    max_updates: int | None = None,
) -> TomographyRun:
    """Learn ``σ`` with ``|tr(ρB_b) − tr(σB_b)| ≤ ε`` for all ``b`` w.p. ``≥ 1 − δ`` (module doc).

    ``family`` gives ``traces(σ)`` and ``dense(b)``; ``truth`` are the exact ``tr(ρB_b)`` from which
    the emulated measurement statistics are drawn.
    """
    nb = family.size
    m = 2 * nb
    d = family.d
    const = tomography_constants(epsilon, delta, max(m, 1), d)
    eps_a, k, k_est = const["eps_a"], const["batch_size"], const["estimate_size"]
    check_sample_count("epsilon", max(k, k_est), epsilon)  # before drawing: numpy's counts are 64-bit
    t_max = const["max_updates"] if max_updates is None else int(max_updates)
    if nb == 0:
        return TomographyRun(np.zeros(0), 0, 0, 0, True, k, k_est, t_max, 0.0)
    p = np.empty(m)
    p[0::2] = (1.0 + truth) / 2.0
    p[1::2] = (1.0 - truth) / 2.0
    p = np.clip(p, 0.0, 1.0)
    h = np.zeros((d, d), dtype=np.complex128)
    sigma = np.eye(d, dtype=np.complex128) / d
    t_learn = time.perf_counter()
    t = family.traces(sigma)
    learn = time.perf_counter() - t_learn
    copies = rounds = updates = 0
    converged = False
    while True:
        rounds += 1
        copies += k
        q = np.empty(m)
        q[0::2] = (1.0 + t) / 2.0
        q[1::2] = (1.0 - t) / 2.0
        stat = rng.binomial(k, p) / k + rng.laplace(0.0, const["noise_scale"], m)
        fired = np.flatnonzero(stat > q + eps_a / 2.0)
        if fired.size == 0:
            converged = True
            break
        if updates >= t_max:
            break
        i = int(fired[0])
        copies += k_est
        b_hat = rng.binomial(k_est, p[i]) / k_est
        c = min(max(b_hat - eps_a / 16.0, q[i] + eps_a / 8.0), 1.0 - 1e-9)
        t0 = time.perf_counter()
        sign_b = 1.0 if i % 2 == 0 else -1.0  # A_i = (1 ± B)/2
        h, sigma, _, _ = _project(h, family.dense(i // 2), sign_b, q[i], c - eps_a / 32.0, c)
        t = family.traces(sigma)
        learn += time.perf_counter() - t0
        updates += 1
    return TomographyRun(t, copies, rounds, updates, converged, k, k_est, t_max, learn)
