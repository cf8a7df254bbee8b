"""Density matrices and trajectories (`qdist.sim.noise`): against PennyLane ``default.mixed`` and
dense matrices, trajectories against the density matrix within their standard error, and the
teleportation circuit through a Werner pair against ``teleport_channel(F)``."""

import numpy as np
import pennylane as qml
import pytest

from qdist.sim.channels import Channel, teleport_channel
from qdist.sim.circuit import gate, make_circuit
from qdist.sim.execute import state
from qdist.sim.noise import (
    apply_channel,
    density,
    evolve,
    expectation,
    jump,
    probabilities,
    trajectory_expectation,
)
from qdist.sim.observables import pauli_sum

N = 3
THETA = np.array([0.3, -1.1, 0.7, 2.0])
# the same circuit in qdist and in PennyLane (wire 0 most significant in both)
BLOCK_A = make_circuit(
    N, [gate("H", 0), gate("RY", 1, 0), gate("CX", (0, 2)), gate("RX", 2, 1)], num_params=4
)
BLOCK_B = make_circuit(
    N, [gate("CRZ", (2, 0), 2), gate("RY", 0, 3), gate("CX", (1, 0)), gate("S", 2)], num_params=4
)
OBS = pauli_sum({"ZZI": 0.5, "XIY": -1.0, "IZI": 0.25, "YXZ": 0.3})


def _pl_channel(ch: Channel, wire: int):
    if ch.kind == "depolarizing":
        return qml.DepolarizingChannel(3 * ch.p / 4, wires=wire)  # qdist p ↔ PennyLane 3p/4
    if ch.kind == "dephasing":
        return qml.PhaseFlip(ch.p, wires=wire)
    return qml.AmplitudeDamping(ch.p, wires=wire)


def _pl_density(channels_mid, channels_end, obs=None):
    dev = qml.device("default.mixed", wires=N)

    @qml.qnode(dev)
    def circuit():
        qml.Hadamard(0)
        qml.RY(THETA[0], 1)
        qml.CNOT([0, 2])
        qml.RX(THETA[1], 2)
        for ch, wires in channels_mid:
            for w in wires:
                _pl_channel(ch, w)
        qml.CRZ(THETA[2], wires=[2, 0])
        qml.RY(THETA[3], 0)
        qml.CNOT([1, 0])
        qml.S(2)
        for ch, wires in channels_end:
            for w in wires:
                _pl_channel(ch, w)
        return qml.density_matrix(range(N)) if obs is None else qml.expval(obs)

    return np.asarray(circuit())


def _qdist_density(channels_mid, channels_end):
    rho = density(np.eye(2**N)[0])
    rho = evolve(BLOCK_A, THETA, rho)
    for ch, wires in channels_mid:
        rho = apply_channel(rho, ch, wires, N)
    rho = evolve(BLOCK_B, THETA, rho)
    for ch, wires in channels_end:
        rho = apply_channel(rho, ch, wires, N)
    return rho


def test_evolve_is_u_rho_u_dagger():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2**N, 2**N)) + 1j * rng.normal(size=(2**N, 2**N))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    u = np.stack([state(BLOCK_A, THETA, state=e) for e in np.eye(2**N, dtype=complex)], axis=1)
    np.testing.assert_allclose(evolve(BLOCK_A, THETA, rho), u @ rho @ u.conj().T, atol=1e-12)


@pytest.mark.parametrize(
    "mid, end",
    [
        ([(Channel("depolarizing", 0.3), (0, 1, 2))], []),
        ([(Channel("dephasing", 0.2), (0, 2))], [(Channel("amplitude-damping", 0.4), (1,))]),
        ([(Channel("amplitude-damping", 0.25), (0, 1, 2))], [(Channel("depolarizing", 0.15), (0, 2))]),
        ([(Channel("depolarizing", 1.0), (1,)), (Channel("dephasing", 0.5), (2,))], []),
    ],
)
def test_density_matrix_matches_default_mixed(mid, end):
    rho = _qdist_density(mid, end)
    np.testing.assert_allclose(rho, _pl_density(mid, end), atol=1e-10)
    np.testing.assert_allclose(np.trace(rho), 1.0, atol=1e-12)
    # expectation: against PennyLane's expval of the same Hamiltonian and against Tr(O ρ)
    h = qml.Hamiltonian(
        [0.5, -1.0, 0.25, 0.3],
        [qml.Z(0) @ qml.Z(1), qml.X(0) @ qml.Y(2), qml.Z(1), qml.Y(0) @ qml.X(1) @ qml.Z(2)],
    )
    ref = float(_pl_density(mid, end, obs=h))
    assert expectation(OBS, rho, N) == pytest.approx(ref, abs=1e-10)
    assert expectation(OBS, rho, N) == pytest.approx(np.real(np.trace(OBS.matrix(N) @ rho)), abs=1e-12)
    np.testing.assert_allclose(probabilities(rho), np.real(np.diag(rho)), atol=1e-12)


@pytest.mark.parametrize("kind", ["depolarizing", "dephasing", "amplitude-damping"])
def test_trajectories_converge_to_density_matrix(kind):
    ch = Channel(kind, 0.35)
    psi = state(BLOCK_A, THETA)
    rho = apply_channel(density(psi), ch, (0, 2), N)
    rho = evolve(BLOCK_B, THETA, rho)
    rng = np.random.default_rng(11)
    T = 4000
    traj = jump(np.tile(psi, (T, 1)), ch, (0, 2), N, rng)
    np.testing.assert_allclose(np.linalg.norm(traj, axis=1), 1.0, atol=1e-12)
    traj = state(BLOCK_B, THETA, state=traj)
    mean, err = trajectory_expectation(OBS, traj, N)
    # the trajectory mean is an average of T i.i.d. values with E = Tr(Oρ): its error is
    # s/√T (|values| ≤ Σ|c| = 2.05 so s ≤ 2.05, err ≤ 0.033); 4 standard errors fail w.p. < 1e-4
    assert 0 < err < 0.05
    assert abs(mean - expectation(OBS, rho, N)) < 4 * err


def test_jump_without_noise_keeps_the_state():
    psi = state(BLOCK_A, THETA)
    out = jump(np.tile(psi, (5, 1)), Channel("depolarizing", 0.0), (0, 1, 2), N, np.random.default_rng(0))
    np.testing.assert_allclose(out, np.tile(psi, (5, 1)), atol=1e-14)


# --- teleportation through a Werner pair, simulated as a circuit on density matrices ------------


def _werner(f: float) -> np.ndarray:
    bell = np.array([[1, 0, 0, 1], [1, 0, 0, -1], [0, 1, 1, 0], [0, 1, -1, 0]], dtype=complex) / np.sqrt(
        2
    )  # Φ⁺, Φ⁻, Ψ⁺, Ψ⁻
    return f * np.outer(bell[0], bell[0]) + (1 - f) / 3 * sum(np.outer(b, b) for b in bell[1:])


def _partial_trace_keep(rho: np.ndarray, keep: tuple[int, ...], n: int) -> np.ndarray:
    t = rho.reshape((2,) * (2 * n))
    drop = [w for w in range(n) if w not in keep]
    for i, w in enumerate(sorted(drop, reverse=True)):
        m = n - i
        t = np.trace(t, axis1=w, axis2=w + m)
    k = len(keep)
    return t.reshape(2**k, 2**k)


def _teleport(rho_in: np.ndarray, m: int, f: float) -> np.ndarray:
    """Teleport each of the ``m`` register qubits (wires 0…m−1) over its own Werner pair (wires
    m + 2i: sender's half, m + 2i + 1: receiver's half); measurement and Pauli corrections by the
    deferred-measurement principle (CX and CZ controlled on the measured qubits)."""
    n = 3 * m
    rho = rho_in
    for _ in range(m):
        rho = np.kron(rho, _werner(f))
    ops = []
    for i in range(m):
        q, a, b = i, m + 2 * i, m + 2 * i + 1
        ops += [gate("CX", (q, a)), gate("H", q), gate("CX", (a, b)), gate("CZ", (q, b))]
    rho = evolve(make_circuit(n, ops), None, rho)
    return _partial_trace_keep(rho, tuple(m + 2 * i + 1 for i in range(m)), n)


@pytest.mark.parametrize("f", [1.0, 0.9, 0.6, 0.25])
@pytest.mark.parametrize("m", [1, 2])
def test_teleporting_a_register_equals_the_teleport_channel(f, m):
    rng = np.random.default_rng(7 + m)
    a = rng.normal(size=(2**m, 2**m)) + 1j * rng.normal(size=(2**m, 2**m))
    rho_in = a @ a.conj().T
    rho_in /= np.trace(rho_in)  # a generic (entangled, for m = 2) mixed register
    expected = apply_channel(rho_in, teleport_channel(f), tuple(range(m)), m)
    np.testing.assert_allclose(_teleport(rho_in, m, f), expected, atol=1e-12)
    if f == 1.0:
        np.testing.assert_allclose(expected, rho_in, atol=1e-12)


def test_bad_inputs():
    rho = density(np.eye(2**N)[0])
    with pytest.raises(ValueError, match="rho: expected a density matrix of shape"):
        apply_channel(np.eye(4), Channel("dephasing", 0.1), 0, N)
    with pytest.raises(ValueError, match="wires: expected wires in 0..2"):
        apply_channel(rho, Channel("dephasing", 0.1), (3,), N)
    with pytest.raises(TypeError, match="channel: expected a qdist.sim.channels.Channel"):
        apply_channel(rho, "dephasing:0.1", 0, N)
    with pytest.raises(TypeError, match="rng: expected a numpy.random.Generator"):
        jump(np.eye(2**N)[:1], Channel("dephasing", 0.1), 0, N, 0)
    with pytest.raises(ValueError, match="states: expected trajectories of shape"):
        jump(np.eye(2**N)[0], Channel("dephasing", 0.1), 0, N, np.random.default_rng(0))
    with pytest.raises(ValueError, match="observable: acts on wire 3"):
        expectation(pauli_sum({"IIIZ": 1.0}), rho, N)
