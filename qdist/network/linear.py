"""Linear classifiers: where the quantum advantage (nearly) vanishes ([linear classifiers][linear-classifiers]).

Alice holds x ∈ ℝᴺ, Bob holds w ∈ ℝᴺ; the task is the decision sign⟨w, x⟩, and the *margin*
γ = |⟨w, x⟩|/(‖w‖‖x‖) is an input of the cost model.

**Quantum protocol** (one hop, n + 1 qubits). Alice prepares (|0⟩|x̂⟩ + |1⟩|0ⁿ⟩)/√2 (ancilla first)
and sends it to Bob. Bob applies, controlled on the ancilla being 0, the Householder reflection V_w
that swaps |ŵ⟩ and |0ⁿ⟩, and measures the ±1 observable X_anc ⊗ (2|0ⁿ⟩⟨0ⁿ| − I), whose mean is
exactly Re⟨x̂|V_w|0ⁿ⟩ = ⟨ŵ, x̂⟩ = f(x). S = S(ε, δ) shots estimate f to ±ε; deciding the sign needs
ε = γ, so S(γ, δ) = ⌈2 ln(2/δ)/γ²⌉ copies of n + 1 qubits: O(log N/γ²). Bob sends the 1-bit decision
to Alice. With the worst-case margin γ ~ 1/√N the cost is O(N log N) qubits — more than shipping x.

**Amplitude estimation** (``"amplitude-estimation"``, [`qdist.network.amplitude_estimation`][qdist.network.amplitude_estimation]).
Instead of O(1/γ²) fresh copies the register goes back and forth: Bob reflects about his good
subspace, Alice about her state, M − 1 Grover rounds with M = ⌊2π/arcsin γ⌋ + 1, each a round
trip of 2(n + 2) qubits (register + one control flag), repeated R = O(log 1/δ) times with a
majority vote: R·[(n + 1) + 2(M − 1)(n + 2)] qubits = O(log N·log(1/δ)/γ), ≈ 4π·R·√N·log₂N at
γ = 1/√N —
quadratically below the Ω(N) bits every classical protocol needs there (Gap-Hamming,
Chakrabarti–Regev 2011; `gap_hamming_bits`).

**Classical protocols.** ship-data: x to Bob (N·b bits) + the 1-bit decision back; ship-model: w to
Alice (N·b bits); *sketch* (public coin): with k shared Gaussian vectors r_j Alice sends the k bits
sign⟨r_j, x⟩; the fraction of disagreements with sign⟨r_j, w⟩ has mean θ/π (θ the angle between
x and w), and |cos θ| ≥ γ ⇔ |θ/π − 1/2| ≥ arcsin(γ)/π ≥ γ/π, so k = ⌈π² ln(2/δ)/(2γ²)⌉ bits decide
the sign (Hoeffding) — O(1/γ²), no log N: at a fixed margin classical sketching already beats the
quantum protocol, and at the worst margin both are ~N. *Lower bound*: deciding the sign at margin γ
solves Gap-Hamming on min(N, 1/γ²) coordinates, so every classical protocol (any number of rounds,
public coins) needs Ω(min(N, 1/γ²)) bits; `gap_hamming_bits` states it with constant 1 (a scaling:
the theorem's constant is not made explicit).

The quantum simulation is exact linear algebra on the (n+1)-qubit state vector (numpy, small N).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from qdist.network import costs
from qdist.network.amplitude_estimation import qae_cost, run_amplitude_estimation
from qdist.network.costs import CostTotals, check_bits, check_delta, shots_for
from qdist.network.ledger import CLASSICAL, QUANTUM, Ledger, Message
from qdist.network.model import MAX_SIM_QUBITS, num_qubits
from qdist.network.privacy import linear_leakage, privacy_report
from qdist.network.topology import two_party

LINEAR_SCHEMES = ("quantum", "amplitude-estimation", "sketch", "ship-data", "ship-model")


def resolve_margin(margin, features: int) -> float:
    """``"sqrtN"`` → 1/√N (the worst case); a number in (0, 1] as given."""
    if isinstance(margin, str):
        if margin.lower() in ("sqrtn", "1/sqrtn", "worst"):
            return 1.0 / math.sqrt(features)
        try:
            margin = float(margin)
        except ValueError:
            raise ValueError(f"margin: expected a number in (0, 1] or 'sqrtN', got {margin!r}") from None
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not 0 < margin <= 1:
        raise ValueError(f"margin: expected a number in (0, 1] or 'sqrtN', got {margin!r}")
    return float(margin)


def sketch_bits(margin: float, delta: float) -> int:
    """k = ⌈π² ln(2/δ)/(2γ²)⌉ shared-Gaussian sign bits."""
    return max(1, math.ceil(math.pi**2 * math.log(2 / check_delta(delta)) / (2 * margin**2) * (1 - 1e-12)))


def gap_hamming_bits(features: int, margin) -> int:
    """Classical lower bound (constant 1, a scaling): min(N, ⌈1/γ²⌉) bits — N at γ = 1/√N."""
    k = 1 / resolve_margin(margin, features) ** 2
    k = round(k) if abs(k - round(k)) <= 1e-9 * k else math.ceil(k)  # 1/γ² an integer up to rounding
    return min(int(features), k)


def linear_cost(
    features: int, scheme: str, margin, delta: float, bits: int = costs.DEFAULT_BITS
) -> CostTotals:
    """Closed-form cost of deciding sign⟨w, x⟩ at margin γ (``"sqrtN"`` for 1/√N)."""
    n = num_qubits(features)
    g = resolve_margin(margin, features)
    b = check_bits(bits)
    if scheme == "quantum":
        S = shots_for(g, delta)
        return CostTotals(S * (n + 1), 1, S + 1, S)
    if scheme == "amplitude-estimation":
        return qae_cost(features, g, delta)
    if scheme == "sketch":
        return CostTotals(0, sketch_bits(g, delta) + 1, 2, 0)
    if scheme == "ship-data":
        return CostTotals(0, features * b + 1, 2, 0)
    if scheme == "ship-model":
        return CostTotals(0, features * b, 1, 0)
    raise ValueError(f"scheme: expected one of {', '.join(LINEAR_SCHEMES)}, got {scheme!r}")


def _householder_apply(v_hat: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """V = I − 2uuᵀ/‖u‖² with u = ŵ − e₀ (V ŵ = e₀, V e₀ = ŵ; V = Vᵀ = V⁻¹)."""
    u = v_hat.copy()
    u[0] -= 1.0
    nu = float(u @ u)
    if nu < 1e-30:
        return psi
    return psi - 2.0 * u * (u @ psi) / nu


def quantum_linear_statistics(x, w) -> tuple[float, np.ndarray]:
    """``(⟨X_anc ⊗ (2|0⟩⟨0| − I)⟩, final state)`` after Alice's preparation and Bob's controlled V_w."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    n = num_qubits(x.shape[0])
    d = 2**n
    xh = np.pad(x / np.linalg.norm(x), (0, d - x.shape[0]))
    wh = np.pad(w / np.linalg.norm(w), (0, d - w.shape[0]))
    branch0 = _householder_apply(wh, xh) / math.sqrt(2)  # ancilla 0 (Bob's controlled V_w)
    branch1 = np.zeros(d)
    branch1[0] = 1 / math.sqrt(2)  # ancilla 1: |0ⁿ⟩
    state = np.concatenate([branch0, branch1])  # ancilla = wire 0 (most significant)
    m1 = -branch1.copy()
    m1[0] = branch1[0]  # (2|0⟩⟨0| − I) on the ancilla-1 branch
    m0 = -branch0.copy()
    m0[0] = branch0[0]
    x_m = np.concatenate([m1, m0])  # X_anc swaps the branches
    return float(state @ x_m), state


def run_linear(
    x,
    w,
    margin=None,
    delta: float = 0.05,
    seed: int = 0,
    *,
    scheme: str = "quantum",
    epsilon: float | None = None,
    bits: int = costs.DEFAULT_BITS,
) -> dict:
    """Decide sign⟨w, x⟩ on the two-party network; returns the estimate, decision, ledger, formula.

    The precision is ``epsilon`` if given, else the margin γ (``margin=None``: the instance's own
    margin |⟨ŵ, x̂⟩|).
    """
    x, w = np.asarray(x, float), np.asarray(w, float)
    if x.ndim != 1 or x.shape != w.shape or not np.linalg.norm(x) or not np.linalg.norm(w):
        raise ValueError("x: expected x and w non-zero vectors of the same length N")
    N = x.shape[0]
    n = num_qubits(N)
    if n > MAX_SIM_QUBITS:
        raise ValueError(f"x: simulation is limited to N ≤ 2^{MAX_SIM_QUBITS}, got N = {N}")
    exact = float(x @ w / (np.linalg.norm(x) * np.linalg.norm(w)))
    g = resolve_margin(margin if margin is not None else max(abs(exact), 1e-12), N)
    eps = costs.check_epsilon(epsilon) if epsilon is not None else g
    dlt, b = check_delta(delta), check_bits(bits)
    net, ledger = two_party(), Ledger()
    rng = np.random.default_rng(seed)
    decision = info = None
    if scheme == "quantum":
        S = shots_for(eps, dlt)
        mean, _ = quantum_linear_statistics(x, w)
        plus = rng.binomial(S, (1 + mean) / 2)
        estimate = (2 * plus - S) / S
        ledger = ledger.add(net.check(Message("alice", "bob", QUANTUM, n + 1, "forward pass", 0, S, S)))
        formula = CostTotals(S * (n + 1), 1, S + 1, S)
    elif scheme == "amplitude-estimation":
        d = 2**n
        xh = np.pad(x / np.linalg.norm(x), (0, d - N))
        wh = np.pad(w / np.linalg.norm(w), (0, d - N))
        estimate, decision, ledger, info = run_amplitude_estimation(xh, wh, eps, dlt, rng, net)
        formula = qae_cost(N, eps, dlt)
    elif scheme == "sketch":
        k = sketch_bits(eps, dlt)
        R = np.random.default_rng([seed, 0x5EED]).normal(size=(k, N))  # public coin
        p_hat = float(np.mean(np.sign(R @ x) != np.sign(R @ w)))
        estimate = math.cos(math.pi * p_hat)
        ledger = ledger.add(net.check(Message("alice", "bob", CLASSICAL, k, "sketch", 0)))
        formula = CostTotals(0, k + 1, 2, 0)
    elif scheme == "ship-data":
        estimate = exact
        ledger = ledger.add(net.check(Message("alice", "bob", CLASSICAL, N * b, "data", 0)))
        formula = CostTotals(0, N * b + 1, 2, 0)
    elif scheme == "ship-model":
        estimate = exact
        ledger = ledger.add(net.check(Message("bob", "alice", CLASSICAL, N * b, "parameter broadcast", 0)))
        formula = CostTotals(0, N * b, 1, 0)
    else:
        raise ValueError(f"scheme: expected one of {', '.join(LINEAR_SCHEMES)}, got {scheme!r}")
    if scheme not in ("ship-model", "amplitude-estimation"):  # amplitude estimation sends its own
        ledger = ledger.add(net.check(Message("bob", "alice", CLASSICAL, 1, "measurement result", 1)))
    out = {
        "scheme": scheme,
        "features": N,
        "margin": g,
        "epsilon": eps,
        "delta": dlt,
        "estimate": float(estimate),
        "exact": exact,
        "decision": decision if decision is not None else int(np.sign(estimate)) or 1,
        "exact_decision": int(np.sign(exact)) or 1,
        "ledger": ledger,
        "formula": formula,
        "privacy": privacy_report(ledger, ("alice", "bob"), linear_leakage(N, sketch_bits(eps, dlt), b)),
    }
    if scheme == "amplitude-estimation":
        out["amplitude_estimation"] = info
    return out
