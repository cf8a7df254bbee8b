"""The noisy forward pass: the register through every party's block and every link's channels
([link models][link-models]).

Hop s hands the register from the owner of segment s to the owner of segment s + 1; the link of
that hop applies its channels ``channels[s]`` (each on every qubit of the delivered register, in
order) before the next owner applies its block. With ρ₀ = |x⟩⟨x|,

    ρ_{s+1} = U_{s+1} Φ_s(ρ_s') U_{s+1}†,   ρ_s' = U_s ρ_s U_s†,    f̃_c = Tr(Z_c ρ_H),

and the last owner measures ρ_H. **Representation** (`qdist.sim.noise`): a density matrix for
n ≤ [`DENSITY_MAX_QUBITS`][qdist.sim.noise.DENSITY_MAX_QUBITS] (exact f̃), Monte-Carlo trajectories
above — ``T`` state vectors, each channel unravelled into Kraus jumps; then every shot is measured
on one trajectory (shots dealt round-robin), so the sampled outcomes have exactly the noisy
distribution, and the reference f̃ is the trajectory mean with standard error ``s/√T``
(``details["noisy_exact_std_error"]``).

Gradients: the estimators that plan runs of the flattened circuit (``param-shift``, ``spsa``) run
them on [`NoisyDevice`][qdist.devices.noisy.NoisyDevice] cut at the hops, so they estimate ∇f̃; the
exact noisy gradient (``exact`` under noise, and the ``noisy_exact`` reference) is the
parameter-shift rule evaluated exactly on the density matrices (exact because the channels do not
depend on θ). The ancilla estimators (``shadow``, ``tomography``) need a state vector and are refused
on noisy links.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qdist.devices.noisy import NoisyDevice
from qdist.gradients import get_estimator, grad
from qdist.network.model import (
    DistributedModel,
    ModelSpec,
    layer_ops,
    sample_z_from_probabilities,
    z_from_probabilities,
)
from qdist.sim.channels import Channel
from qdist.sim.noise import DENSITY_MAX_QUBITS, apply_channel, density, jump, probabilities

__all__ = [
    "NOISY_METHODS",
    "TRAJECTORIES",
    "check_method",
    "hop_channels",
    "hop_cuts",
    "is_noisy",
    "noisy_forward",
    "noisy_gradient",
    "noisy_readout",
]

#: Gradient methods that run through noisy links.
NOISY_METHODS = ("exact", "param-shift", "spsa")
#: Trajectories simulated per noisy inference above the density-matrix bound (or ``shots`` if fewer).
TRAJECTORIES = 512

HopChannels = Sequence[Sequence[Channel]]


def is_noisy(channels: HopChannels | None) -> bool:
    """Whether any hop applies a channel that is not the identity (strength 0 is the identity)."""
    return channels is not None and any(ch.p > 0 for hop in channels for ch in hop)


def _check_channels(model: DistributedModel, channels: HopChannels) -> tuple[tuple[Channel, ...], ...]:
    out = tuple(tuple(hop) for hop in channels)
    if len(out) != model.spec.hops:
        raise ValueError(
            f"channels: expected one tuple of channels per hop ({model.spec.hops}), got {len(out)}"
        )
    for hop in out:
        for ch in hop:
            if not isinstance(ch, Channel):
                raise TypeError(
                    f"channels: expected qdist.sim.channels.Channel entries, got {type(ch).__name__}"
                )
    return out


def hop_channels(spec: ModelSpec, links) -> tuple[tuple[Channel, ...], ...]:
    """Per hop s (owner of segment s → owner of segment s + 1), the channels its link applies to the
    delivered register ([`Link.channels`][qdist.network.links.Link.channels])."""
    owner = [spec.party_names[k] for k, _, _ in spec.segments]
    return tuple(links.for_hop(owner[s], owner[s + 1]).channels() for s in range(spec.hops))


def check_method(method: str, channels: HopChannels | None) -> None:
    """Refuse a gradient method that cannot run through noisy ``channels`` (one-line ``ValueError``)."""
    if is_noisy(channels) and method not in NOISY_METHODS:
        raise ValueError(
            f"method: {method!r} cannot run through noisy links (it needs a state vector); "
            f"expected one of {', '.join(NOISY_METHODS)}"
        )


def hop_cuts(spec: ModelSpec) -> tuple[int, ...]:
    """Operation index of the flattened circuit (`qdist.network.spec.flat_circuit`) at which hop s
    happens: the number of operations of segments 0…s."""
    sizes = [sum(len(layer_ops(spec, ell, 0)) for ell in range(a, b)) for _, a, b in spec.segments]
    return tuple(int(c) for c in np.cumsum(sizes)[:-1])


def noisy_forward(
    model: DistributedModel,
    channels: HopChannels,
    *,
    representation: str = "auto",
    trajectories: int = TRAJECTORIES,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The register the last owner measures: a density matrix ``(2ⁿ, 2ⁿ)``
    (``representation="density"``, the default up to ``DENSITY_MAX_QUBITS``) or ``trajectories``
    state vectors ``(T, 2ⁿ)`` (``"trajectories"``, needs ``rng``)."""
    chans = _check_channels(model, channels)
    n = model.spec.n
    if representation == "auto":
        representation = "density" if n <= DENSITY_MAX_QUBITS else "trajectories"
    if representation not in ("density", "trajectories"):
        raise ValueError(
            f"representation: expected 'auto', 'density' or 'trajectories', got {representation!r}"
        )
    register, _norm = model.alice.prepare()
    wires = tuple(range(n))
    S = len(model.spec.segments)
    if representation == "density":
        rho = density(register)
        for s in range(S):
            rho = model.owner_of(s).apply_density(s, rho)
            for ch in chans[s] if s < S - 1 else ():
                rho = apply_channel(rho, ch, wires, n)
        return rho
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator for trajectories, got {type(rng).__name__}")
    psi = np.tile(np.asarray(register, dtype=np.complex128), (int(trajectories), 1))
    for s in range(S):
        psi = np.asarray(model.owner_of(s).apply(s, psi))
        for ch in chans[s] if s < S - 1 else ():
            psi = jump(psi, ch, wires, n, rng)
    return psi


def noisy_readout(
    model: DistributedModel, channels: HopChannels, shots: int, seed: int, *, representation: str = "auto"
) -> tuple[np.ndarray, np.ndarray, dict]:
    """``(estimate, noisy_exact, details)``: the readouts sampled with ``shots`` shots through the
    noisy links, and the noisy expectation ``f̃_c = Tr(Z_c ρ_H)`` (module docstring)."""
    spec = model.spec
    n, m = spec.n, spec.classes
    rep = (
        representation
        if representation != "auto"
        else ("density" if n <= DENSITY_MAX_QUBITS else "trajectories")
    )
    if rep == "density":
        rho = noisy_forward(model, channels, representation="density")
        probs = probabilities(rho)
        return (
            sample_z_from_probabilities(probs, n, m, shots, seed),
            z_from_probabilities(probs, n, m),
            {"noise_simulation": "density matrix"},
        )
    T = min(int(shots), TRAJECTORIES)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x7A1]))
    psi = noisy_forward(model, channels, representation="trajectories", trajectories=T, rng=rng)
    probs = np.abs(psi) ** 2
    probs /= probs.sum(axis=1, keepdims=True)
    per = np.full(T, shots // T) + (np.arange(T) < shots % T)
    counts = np.stack([rng.multinomial(int(k), p) for k, p in zip(per, probs, strict=True)]).sum(axis=0)
    estimate = z_from_probabilities(counts / shots, n, m)
    zt = np.stack([z_from_probabilities(p, n, m) for p in probs])  # (T, m): ⟨Z_c⟩ of every trajectory
    err = zt.std(axis=0, ddof=1) / np.sqrt(T) if T > 1 else np.full(m, np.nan)
    details = {"noise_simulation": f"{T} trajectories", "noisy_exact_std_error": err.tolist()}
    return estimate, zt.mean(axis=0), details


def noisy_gradient(
    model: DistributedModel, method: str, channels: HopChannels, cls: int, seed: int, options: dict
):
    """``(result, noisy_exact)``: the estimator ``method`` (one of `NOISY_METHODS`) run on the
    noisy device cut at the hops, and the exact gradient of the noisy expectation f̃_cls (exact
    parameter shift on the density matrices). ``options`` are the estimator's sized options."""
    est = get_estimator(method)
    check_method(est.name, channels)
    if model.spec.n > DENSITY_MAX_QUBITS:
        raise ValueError(
            f"features: noisy gradients simulate density matrices of n ≤ {DENSITY_MAX_QUBITS} qubits, got n = {model.spec.n}"
        )
    chans = _check_channels(model, channels)
    device = NoisyDevice(hop_cuts(model.spec), chans)
    circuit, theta, obs = model.flat_circuit(), model.flat_params(), model.readout(cls)
    inputs = {"state": model.initial_state(), "data": model.flat_data()}
    exact = grad(circuit, theta, obs, "param-shift", device=device, shots=None, **inputs)
    if est.name == "exact":
        return exact, np.asarray(exact.value)
    seeded = {"seed": seed} if "seed" in est.defaults else {}
    res = grad(circuit, theta, obs, est, device=device, **inputs, **seeded, **options)
    return res, np.asarray(exact.value)
