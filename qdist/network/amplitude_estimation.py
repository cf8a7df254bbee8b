"""Distributed amplitude estimation for sign⟨w, x⟩: the quadratic linear-classifier advantage ([linear classifiers][linear-classifiers]).

Alice holds x, Bob holds w (N features, n = ⌈log₂ N⌉). The register is the (n+1)-qubit state of the
sampling protocol of [`qdist.network.linear`][qdist.network.linear]: Alice prepares
|ψ⟩ = (|0⟩|x̂⟩ + |1⟩|0ⁿ⟩)/√2 (ancilla first). Bob's controlled Householder reflection C-V_w followed
by the ±1 observable O = X_anc ⊗ (2|0ⁿ⟩⟨0ⁿ| − I) has mean f = ⟨ŵ, x̂⟩, so the "good" projector
Π = C-V_w† (I + O)/2 C-V_w has weight

$$ p = \\langle\\psi|\\Pi|\\psi\\rangle = \\frac{1 + f}{2} = \\sin^2\\theta, \\qquad
   f = \\sin 2\\varphi,\\ \\varphi = \\theta - \\pi/4 . $$

Each party can reflect about its own object: Bob about Π, R_B = I − 2Π = −C-V_w† O C-V_w, Alice
about her state, R_A = 2|ψ⟩⟨ψ| − I. Q = R_A R_B is the Grover iterate: on span{ψ, Πψ} it rotates by
2θ, eigenvalues e^{±2iθ}, and ψ has equal weight on both eigenvectors.

**Protocol** (canonical amplitude estimation, Brassard–Høyer–Mosca–Tapp 2002, Thm 12, for any
integer M, made two-party). Bob keeps a control register of t = ⌈log₂ M⌉ qubits in the uniform
superposition Σ_{y<M}|y⟩/√M and one flag qubit.

1. Alice prepares ψ and sends it to Bob (n + 1 qubits).
2. For r = 1…M−1 (a Grover round): Bob computes the flag [y ≥ r] from his control register,
   applies R_B controlled on the flag and sends the register *with the flag* to Alice (n + 2
   qubits); Alice applies R_A controlled on the flag and sends both back (n + 2 qubits); Bob
   uncomputes the flag. Branch |y⟩ has received Q^y: M − 1 round trips of 2(n + 2) qubits.
3. Bob applies the inverse QFT over ℤ_M to the control register and measures y: θ̃ = πy/M,
   p̃ = sin²θ̃, and the run's vote is sign(p̃ − 1/2).

With probability ≥ 8/π², |θ̃ − θ| ≤ π/M (or |θ̃ − (π − θ)| ≤ π/M, the mirror peak with the same
p̃). The margin gives |f| ≥ γ, so |φ| ≥ arcsin(γ)/2 and a run votes correctly whenever
π/M < arcsin(γ)/2: **M = the smallest integer with M > 2π/arcsin γ** (`qae_grid`).
R independent runs (fresh copies of ψ) vote; the majority is correct unless at least half fail:
**R = the smallest odd R with P(Binomial(R, 8/π²) ≤ (R − 1)/2) ≤ δ** (`qae_repetitions`; by
Hoeffding R ≤ ⌈ln(1/δ)/(2(8/π² − 1/2)²)⌉ = O(log 1/δ)). Bob sends the 1-bit decision to Alice.

Totals (`qae_cost`): qubits R·[(n + 1) + 2(M − 1)(n + 2)], classical bits 1, messages R(2M − 1) + 1,
copies R — O(log N · log(1/δ)/γ) qubits, i.e. ≈ 4π·R·√N·log₂N at the worst margin γ = 1/√N
(M = ⌊2π/arcsin γ⌋ + 1 ≤ 2π√N + 1; R = 7 at δ = 0.05), against Ω(N) bits for any classical
protocol (Gap-Hamming).

**Simulation** (`qae_distribution`): exact linear algebra on the joint state, an (M, 2ⁿ⁺¹) array
(row y = control basis state |y⟩), with the parties' flag-controlled reflections applied round by
round exactly as in step 2 (the flag is a function of y, so it is not stored); the measurement distribution of y is the squared norm of the inverse-QFT
rows. The R runs are identical until Bob measures, so the state is simulated once and R outcomes are
drawn from its exact distribution with the seeded generator.
"""

from __future__ import annotations

import math

import numpy as np

from qdist.network.costs import CostTotals, check_delta
from qdist.network.ledger import CLASSICAL, QUANTUM, Ledger, Message

#: BHMT's lower bound on the probability that one run lands within one grid step of θ.
RUN_SUCCESS = 8 / math.pi**2


def qae_grid(margin: float) -> int:
    """M: the smallest integer with M > 2π/arcsin γ (so that π/M < arcsin(γ)/2)."""
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin <= 1:
        raise ValueError(f"margin: expected a number in (0, 1], got {margin!r}")
    return math.floor(2 * math.pi / math.asin(margin)) + 1


def majority_failure(repetitions: int, p: float = RUN_SUCCESS) -> float:
    """P(Binomial(R, p) ≤ (R − 1)/2): the chance that at most half of R odd runs are correct."""
    R = repetitions
    return sum(math.comb(R, k) * p**k * (1 - p) ** (R - k) for k in range((R - 1) // 2 + 1))


def qae_repetitions(delta: float) -> int:
    """R: the smallest odd R with `majority_failure`(R) ≤ δ."""
    dlt = check_delta(delta)
    R = 1
    while majority_failure(R) > dlt:
        R += 2
    return R


def qae_cost(features: int, margin: float, delta: float) -> CostTotals:
    """Closed form: R·[(n+1) + 2(M−1)(n+2)] qubits, 1 bit, R(2M−1) + 1 messages, R copies."""
    n = max(1, (int(features) - 1).bit_length())
    M = qae_grid(margin)
    R = qae_repetitions(delta)
    return CostTotals(R * ((n + 1) + 2 * (M - 1) * (n + 2)), 1, R * (2 * M - 1) + 1, R)


def reflections(xh: np.ndarray, wh: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ψ, R_A, R_B)`` for unit vectors x̂, ŵ of length d = 2ⁿ (ancilla = most significant wire).

    ψ = (|0⟩|x̂⟩ + |1⟩|0ⁿ⟩)/√2, R_A = 2|ψ⟩⟨ψ| − I, R_B = −C-V_w† O C-V_w with
    C-V_w = diag(V_w, I), V_w = I − 2uuᵀ/‖u‖² (u = ŵ − e₀), O = X_anc ⊗ (2|0⟩⟨0| − I).
    """
    d = xh.shape[0]
    e0 = np.zeros(d)
    e0[0] = 1.0
    psi = np.concatenate([xh, e0]) / math.sqrt(2)
    u = wh - e0
    nu = float(u @ u)
    V = np.eye(d) - (2.0 * np.outer(u, u) / nu if nu > 1e-30 else 0.0)
    CV = np.zeros((2 * d, 2 * d))
    CV[:d, :d] = V
    CV[d:, d:] = np.eye(d)
    Z0 = -np.eye(d)
    Z0[0, 0] = 1.0
    O = np.zeros((2 * d, 2 * d))
    O[:d, d:] = Z0
    O[d:, :d] = Z0
    R_B = -CV.T @ O @ CV
    R_A = 2.0 * np.outer(psi, psi) - np.eye(2 * d)
    return psi, R_A, R_B


def reflect_a(rows: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """``rows @ R_Aᵀ`` with ``R_A = 2|ψ⟩⟨ψ| − I`` (real ψ), in O(rows · d) instead of O(rows · d²)."""
    return 2.0 * np.outer(rows @ psi, psi) - rows


def reflect_b(rows: np.ndarray, wh: np.ndarray) -> np.ndarray:
    """``rows @ R_Bᵀ`` with ``R_B = −C-V_w O C-V_w`` (all three symmetric, see `reflections`):
    ``C-V_w`` is the Householder reflection ``I − 2uuᵀ/‖u‖²`` on the ancilla-0 half, ``O`` swaps the
    halves and multiplies by ``Z₀ = 2|0⟩⟨0| − I``; O(rows · d)."""
    d = wh.shape[0]
    u = wh.copy()
    u[0] -= 1.0
    nu = float(u @ u)

    def householder(r):
        if nu <= 1e-30:
            return r
        out = r.copy()
        out[:, :d] -= np.outer(r[:, :d] @ u, 2.0 * u / nu)
        return out

    z0 = -np.ones(d)
    z0[0] = 1.0
    v = householder(rows)
    v = np.concatenate([v[:, d:] * z0, v[:, :d] * z0], axis=1)
    return -householder(v)


def qae_distribution(xh: np.ndarray, wh: np.ndarray, M: int) -> np.ndarray:
    """Exact P(y), y = 0…M−1, of Bob's measurement after the M − 1 flag-controlled Grover rounds
    (round r acts on the branches y ≥ r, so branch y receives Q^y, Q = R_A R_B) and the inverse QFT
    over ℤ_M. Branch y is computed as ``Q^y ψ`` from branch y − 1 through `reflect_a` and
    `reflect_b`: O(M·2ⁿ), no 2ⁿ⁺¹ × 2ⁿ⁺¹ matrices."""
    d = xh.shape[0]
    e0 = np.zeros(d)
    e0[0] = 1.0
    psi = np.concatenate([xh, e0]) / math.sqrt(2)
    branches = [psi[None]]
    for _ in range(1, M):  # Σ_y |y⟩ ⊗ Q^y ψ/√M (real throughout)
        branches.append(reflect_a(reflect_b(branches[-1], wh), psi))
    state = np.concatenate(branches) / math.sqrt(M)
    amp = np.fft.fft(state, axis=0) / math.sqrt(M)  # inverse QFT: |y⟩ → Σ_k e^{−2πiyk/M}|k⟩/√M
    prob = np.sum(np.abs(amp) ** 2, axis=1)
    return prob / prob.sum()


def vote(y: np.ndarray, M: int) -> np.ndarray:
    """Per run: +1 if θ̃ = πy/M lies in (π/4, 3π/4) (p̃ > 1/2), −1 if outside [π/4, 3π/4], 0 on the
    boundary — exact integer arithmetic on 4y versus M and 3M."""
    y4 = 4 * np.asarray(y)
    return np.where((y4 > M) & (y4 < 3 * M), 1, np.where((y4 < M) | (y4 > 3 * M), -1, 0))


def run_amplitude_estimation(xh, wh, margin: float, delta: float, rng: np.random.Generator, net):
    """Run the protocol on the two-party network ``net``: ``(estimate, decision, ledger, info)``.

    ``estimate`` is the median of the runs' f̃ = 2p̃ − 1 = −cos(2πy/M), ``decision`` the median vote
    (odd R: never a tie when the majority is correct)."""
    n = max(1, (xh.shape[0] - 1).bit_length())
    M = qae_grid(margin)
    R = qae_repetitions(delta)
    prob = qae_distribution(xh, wh, M)
    ys = rng.choice(M, size=R, p=prob)
    votes = vote(ys, M)
    estimate = float(np.median(-np.cos(2 * np.pi * ys / M)))
    decision = int(np.median(votes)) or 1
    msgs = [Message("alice", "bob", QUANTUM, n + 1, "ancilla pass", 0, R, R)]
    for i in range(1, M):  # one record per round, count R: the R runs' identical messages
        msgs.append(Message("bob", "alice", QUANTUM, n + 2, "amplitude-estimation round", 2 * i - 1, R))
        msgs.append(Message("alice", "bob", QUANTUM, n + 2, "amplitude-estimation round", 2 * i, R))
    msgs.append(Message("bob", "alice", CLASSICAL, 1, "measurement result", 2 * M - 1))
    ledger = Ledger(tuple(net.check(m) for m in msgs))
    info = {
        "control_qubits": max(1, (M - 1).bit_length()),
        "grid": M,
        "repetitions": R,
        "outcomes": ys.tolist(),
        "votes": votes.tolist(),
    }
    return estimate, decision, ledger, info
