"""A cheap classical protocol for the easy instances: importance sampling of Alice's vector
([when the default instance is classically easy][importance-sampling]).

**When it applies** (`importance_applies`): the ``diag`` model with one readout, where every layer
but the last is Alice's and the model owner (Bob) holds only the last layer
U_B = W(α)·D(θ) — D = Π_S exp(−iθ_S Z_S/2) the 2ⁿ − 1 Z-string phases, W the RY/RZ rotations and
the CNOT chain. That is the default of earlier releases (L = 2, K = 2). Then, with |φ⟩ the state
after Alice's layers and M = W†Z₀W (W acts on the readout through wire 0's two rotations only,
since Z₀ commutes with the CNOT chain),

    f = ⟨φ|D† M D|φ⟩ = A + Σ_i v_i u_i,
    A   = Σ_i |φ_i|² M_ii                                (Alice alone),
    v_i = conj(φ_i) M_{i, i⊕m} φ_{i⊕m}                    (Alice; m = the bit of wire 0),
    u_i = conj(d_i) d_{i⊕m}, d_i = e^{−i/2 Σ_S θ_S (−1)^{|i ∧ S|}}   (Bob; |u_i| = 1).

Λ = Σ_i |v_i| ≤ 1 (Cauchy–Schwarz, |M_{i,i⊕m}| ≤ 1). Alice draws S indices i ~ |v_i|/Λ and sends
each with the phase of v_i (n + b bits), plus A and Λ; Bob's mean of Λ·Re(e^{i arg v_i} u_i) lies
in [−1, 1], so S = S(ε, δ) = ⌈2 ln(2/δ)/ε²⌉ samples give f to ±ε with probability 1 − δ
(Hoeffding). Bob first sends W's 2n angles (2n·b bits) and returns f (b bits):

    inference bits = 2n·b + S·(n + b) + 2b + b                = O((n + b)/ε²).

**Gradient.** The same samples give every D-phase derivative (∂u_i/∂θ_S = −(i/2)(σ_S(i⊕m) −
σ_S(i))·u_i, bounded by |u_i|); each of the two wire-0 rotation angles of W and each of Alice's
P_A angles needs its own sample set (∂v from the shifted operator (M₊ − M₋)/2 or the shifted
state ½|φ(θ + π e_k)⟩, again of ℓ₁ norm ≤ 1), all with S(ε, δ/P) samples (union bound over the P
derivatives). Alice sends, per set, Λ (b bits) and, for W's two angles, her own part ∂A (b bits);
Bob returns Alice's P_A derivatives (P_A·b bits):

    gradient bits = 2n·b + (3 + P_A)·(S(ε, δ/P)·(n + b) + b) + 2b + P_A·b   per sample
                                                                   = O(P_A·log P·(n + b)/ε²).

Polylogarithmic in N: on these instances no quantum advantage in communication is possible, and
the naive classical baselines (pipeline, ship-the-data, ship-the-model) are strawmen. It does not
apply when a model owner's layer is followed by one of Alice's data layers (the interleaved model
with L ≥ 3) — the state before Bob's last layer then depends on Bob's other parameters.
"""

from __future__ import annotations

import math

import numpy as np

from qdist.network.costs import CostTotals, check_bits, check_delta, check_epsilon, shots_for
from qdist.network.ledger import CLASSICAL, Ledger, Message
from qdist.network.model import ModelSpec, encode_samples
from qdist.network.spec import MAX_SIM_QUBITS, _block, diag_subsets, layer_ops
from qdist.network.topology import two_party

SCHEME = "importance-sampling"


def importance_applies(spec: ModelSpec) -> str | None:
    """``None`` when the importance-sampling protocol applies to ``spec``, else the reason it does
    not (one sentence)."""
    if spec.model != "diag":
        return "it is built for the diag model (for hea, shipping the model is already cheap)"
    if spec.classes != 1:
        return "it is built for one readout (classes = 1)"
    owners = spec.owners
    if any(k != 0 for k in owners[:-1]) or owners[-1] == 0:
        return (
            "a model owner's layer is followed by one of Alice's data layers (or the model owners hold "
            "more than the last layer), so Alice cannot compute the state before the last layer"
        )
    return None


def _sample_bits(spec: ModelSpec, bits: int) -> int:
    return spec.n + bits


def importance_inference_cost(
    spec: ModelSpec, epsilon: float, delta: float, bits: int = 32, result_to: str = "alice"
) -> CostTotals:
    """Closed form of one inference to ±ε (module docstring); ValueError where it does not apply."""
    _check_applies(spec)
    b, S = check_bits(bits), shots_for(epsilon, delta)
    back = result_to == "alice"
    bits_total = 2 * spec.n * b + S * _sample_bits(spec, b) + 2 * b + (b if back else 0)
    return CostTotals(0, bits_total, 1 + S + 1 + (1 if back else 0), 0)


def _gradient_sets(spec: ModelSpec) -> int:
    return 3 + spec.party_params(0)


def importance_gradient_cost(
    spec: ModelSpec, epsilon: float, delta: float, bits: int = 32, batch: int = 1
) -> CostTotals:
    """Closed form of one gradient step over ``batch`` samples (module docstring)."""
    _check_applies(spec)
    b, P, P_A = check_bits(bits), spec.num_params, spec.party_params(0)
    S = shots_for(epsilon, check_delta(delta) / P)
    sets = _gradient_sets(spec)
    per_sample_bits = sets * (S * _sample_bits(spec, b) + b) + 2 * b + P_A * b
    per_sample_msgs = sets * (S + 1) + 1 + 1
    return CostTotals(0, 2 * spec.n * b + batch * per_sample_bits, 1 + batch * per_sample_msgs, 0)


def _check_applies(spec: ModelSpec) -> None:
    why = importance_applies(spec)
    if why is not None:
        raise ValueError(f"spec: the importance-sampling protocol does not apply: {why}")


# ------------------------------------------------------------------------------------------------
# the protocol on the simulator
# ------------------------------------------------------------------------------------------------


def _last_layer(spec: ModelSpec):
    """(D's parameter indices, W's ops, W's parameter indices) of the last layer."""
    offset = sum(spec.layer_params(ell) for ell in range(spec.layers - 1))
    ops = layer_ops(spec, spec.layers - 1, offset)
    nd = 2**spec.n - 1
    d_index = np.arange(offset, offset + nd)
    w_index = np.arange(offset + nd, offset + spec.layer_params(spec.layers - 1))
    return d_index, ops[nd:], w_index


def _phases(n: int, theta_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d_i = exp(−i/2 Σ_S θ_S σ_S(i)) and the signs σ_S(i) = (−1)^{|i ∧ S|}, shape (2ⁿ−1, 2ⁿ)."""
    idx = np.arange(2**n)
    masks = [sum(1 << (n - 1 - w) for w in s) for s in diag_subsets(n)]
    parity = np.array([np.bitwise_count(idx & m) & 1 for m in masks])
    sigma = 1.0 - 2.0 * parity
    return np.exp(-0.5j * (theta_d @ sigma)), sigma


def _readout_operator(spec: ModelSpec, w_ops, theta: np.ndarray) -> np.ndarray:
    """The 2 × 2 matrix ``m`` with ``M = W† Z₀ W = m ⊗ I`` (``m`` on wire 0; W from its ops at
    ``theta``). ``M`` is applied to four vectors (``e₀``, ``e_{2ⁿ⁻¹}`` give ``m``'s columns; two seeded
    random vectors check that ``M`` acts on wire 0 only) instead of being built as a 2ⁿ × 2ⁿ matrix."""
    from qdist.sim.circuit import make_circuit
    from qdist.sim.execute import state

    n = spec.n
    W = make_circuit(n, w_ops, num_params=spec.num_params)
    half = 2 ** (n - 1)
    rng = np.random.default_rng(0x5EAD)
    cols = np.zeros((4, 2**n), np.complex128)
    cols[0, 0], cols[1, half] = 1.0, 1.0
    cols[2:] = rng.normal(size=(2, 2**n)) + 1j * rng.normal(size=(2, 2**n))
    cols[2:] /= np.linalg.norm(cols[2:], axis=1, keepdims=True)
    z0 = np.where(np.arange(2**n) < half, 1.0, -1.0)
    out = z0 * np.asarray(state(W, theta, state=cols))
    out = np.asarray(state(W.inverse(), theta, state=out / np.linalg.norm(out, axis=1, keepdims=True)))
    m = np.array([[out[0, 0], out[1, 0]], [out[0, half], out[1, half]]])
    r = cols[2:].reshape(2, 2, half)
    if np.max(np.abs(np.einsum("ab,kbj->kaj", m, r).reshape(2, -1) - out[2:])) > 1e-9:
        raise ValueError("M: expected W†Z₀W to act on wire 0 only (the readout of the diag model)")
    return m


def _readout_entries(m: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(M[i, i], M[i, i ⊕ 2ⁿ⁻¹])`` for ``M = m ⊗ I``: ``m[b, b]`` and ``m[b, 1 − b]``, b = wire 0 of i."""
    b = np.arange(2**n) >> (n - 1)
    return m[b, b], m[b, 1 - b]


def _alice_state(spec: ModelSpec, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    from qdist.sim.execute import state

    psi0, data = encode_samples(spec, x)
    prefix = _block(spec, range(spec.layers - 1), 0, spec.num_params)
    return np.asarray(state(prefix, theta, state=psi0[0], data=data[0]))


def decompose(spec: ModelSpec, x, theta) -> dict:
    """The split of f = A + Σ_i v_i u_i at (x, θ): ``A``, ``v``, ``u``, ``sigma``, ``phi`` and ``m``
    (``M = m ⊗ I``)."""
    _check_applies(spec)
    if spec.n > MAX_SIM_QUBITS:
        raise ValueError(f"features: simulation is limited to n ≤ {MAX_SIM_QUBITS}, got N = {spec.features}")
    theta = np.asarray(theta, dtype=np.float64)
    d_index, w_ops, _ = _last_layer(spec)
    phi = _alice_state(spec, np.asarray(x, dtype=np.float64), theta)
    m = _readout_operator(spec, w_ops, theta)
    d, sigma = _phases(spec.n, theta[d_index])
    return {"phi": phi, "m": m, "d": d, "sigma": sigma, **_split(spec.n, phi, m, d)}


def _split(n: int, phi: np.ndarray, m: np.ndarray, d: np.ndarray) -> dict:
    idx = np.arange(2**n)
    flip = idx ^ (1 << (n - 1))  # the bit of wire 0
    diag, off = _readout_entries(m, n)
    A = float(np.real(np.sum(np.abs(phi) ** 2 * diag)))
    v = np.conj(phi) * off * phi[flip]
    u = np.conj(d) * d[flip]
    return {"A": A, "v": v, "u": u, "flip": flip}


def _draw(rng: np.random.Generator, v: np.ndarray, S: int) -> tuple[float, np.ndarray]:
    lam = float(np.sum(np.abs(v)))
    if lam == 0:
        return 0.0, np.zeros(S, dtype=np.int64)
    return lam, rng.choice(v.shape[0], size=S, p=np.abs(v) / lam)


def run_importance_inference(
    spec: ModelSpec, x, theta, epsilon: float, delta: float, seed: int, bits: int = 32
) -> dict:
    """Run the inference protocol: Bob's estimate of f, the exact f, the ledger and the formula."""
    eps, dlt, b = check_epsilon(epsilon), check_delta(delta), check_bits(bits)
    parts = decompose(spec, x, theta)
    S = shots_for(eps, dlt)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x1A5]))
    lam, i = _draw(rng, parts["v"], S)
    phase = np.exp(1j * np.angle(parts["v"][i]))
    estimate = parts["A"] + lam * float(np.mean(np.real(phase * parts["u"][i])))
    exact = parts["A"] + float(np.real(np.sum(parts["v"] * parts["u"])))
    net, led, n = two_party(), Ledger(), spec.n
    for msg in (
        Message("bob", "alice", CLASSICAL, 2 * n * b, "parameter broadcast", 0),
        Message("alice", "bob", CLASSICAL, n + b, "importance samples", 1, S),
        Message("alice", "bob", CLASSICAL, 2 * b, "importance samples", 1),
        Message("bob", "alice", CLASSICAL, b, "measurement result", 2),
    ):
        led = led.add(net.check(msg))
    return {
        "estimate": estimate,
        "exact": exact,
        "samples": S,
        "ledger": led,
        "formula": importance_inference_cost(spec, eps, dlt, b),
    }


def run_importance_gradient(
    spec: ModelSpec, x, theta, epsilon: float, delta: float, seed: int, bits: int = 32
) -> dict:
    """Run the gradient protocol for one sample: the estimated gradient (P,), the exact one from the
    same decomposition, the ledger and the formula."""
    eps, dlt, b = check_epsilon(epsilon), check_delta(delta), check_bits(bits)
    theta = np.asarray(theta, dtype=np.float64)
    parts = decompose(spec, x, theta)
    P, n = spec.num_params, spec.n
    S = shots_for(eps, dlt / P)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x6AD]))
    d_index, w_ops, w_index = _last_layer(spec)
    flip, u, sigma = parts["flip"], parts["u"], parts["sigma"]
    grad, exact = np.zeros(P), np.zeros(P)
    # D phases: one sample set of v itself; ∂u_i/∂θ_S = −(i/2)(σ_S(i⊕m) − σ_S(i)) u_i
    du = -0.5j * (sigma[:, flip] - sigma) * u  # (2ⁿ−1, 2ⁿ)
    lam, i = _draw(rng, parts["v"], S)
    phase = np.exp(1j * np.angle(parts["v"][i]))
    grad[d_index] = lam * np.mean(np.real(phase * du[:, i]), axis=1)
    exact[d_index] = np.real(du @ parts["v"])
    # W's angles (only wire 0's RY, RZ move M) and Alice's angles: a sample set each
    readout_angles = [int(k) for k, op in zip(w_index, _param_ops(w_ops), strict=True) if op.wires == (0,)]
    alice = np.arange(spec.party_params(0))  # Alice's layers come first in layer order
    for k in [*readout_angles, *alice]:
        dA, dv = _derivative_parts(spec, x, theta, int(k), parts, w_ops, k in readout_angles)
        lam_k, i_k = _draw(rng, dv, S)
        ph = np.exp(1j * np.angle(dv[i_k]))
        grad[k] = dA + lam_k * float(np.mean(np.real(ph * u[i_k])))
        exact[k] = dA + float(np.real(np.sum(dv * u)))
    sets = len(readout_angles) + len(alice) + 1
    net, led = two_party(), Ledger()
    P_A = spec.party_params(0)
    for msg in (
        Message("bob", "alice", CLASSICAL, 2 * n * b, "parameter broadcast", 0),
        Message("alice", "bob", CLASSICAL, n + b, "importance samples", 1, sets * S),
        Message("alice", "bob", CLASSICAL, b, "importance samples", 1, sets),
        Message("alice", "bob", CLASSICAL, 2 * b, "importance samples", 1),
        Message("bob", "alice", CLASSICAL, P_A * b, "gradient result", 2),
    ):
        led = led.add(net.check(msg))
    return {
        "gradient": grad,
        "exact": exact,
        "samples": S,
        "ledger": led,
        "formula": importance_gradient_cost(spec, eps, dlt, b),
    }


def _param_ops(ops):
    return [op for op in ops if op.angles]


def _derivative_parts(spec, x, theta, k, parts, w_ops, is_readout):
    """(∂A, ∂v) for parameter k: W's angle by the operator shift (M₊ − M₋)/2, Alice's angle by
    the state shift ∂φ = ½ φ(θ + π e_k)."""
    phi, flip = parts["phi"], parts["flip"]
    diag, off = _readout_entries(parts["m"], spec.n)
    if is_readout:
        shift = np.zeros_like(theta)
        shift[k] = math.pi / 2
        dm = 0.5 * (
            _readout_operator(spec, w_ops, theta + shift) - _readout_operator(spec, w_ops, theta - shift)
        )
        d_diag, d_off = _readout_entries(dm, spec.n)
        dA = float(np.real(np.sum(np.abs(phi) ** 2 * d_diag)))
        return dA, np.conj(phi) * d_off * phi[flip]
    shift = np.zeros_like(theta)
    shift[k] = math.pi
    dphi = 0.5 * _alice_state(spec, np.asarray(x, dtype=np.float64), theta + shift)
    dA = 2.0 * float(np.real(np.sum(np.conj(dphi) * diag * phi)))
    dv = np.conj(dphi) * off * phi[flip] + np.conj(phi) * off * dphi[flip]
    return dA, dv
