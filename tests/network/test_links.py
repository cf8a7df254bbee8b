"""Link models (`qdist.network.links`): validation, the channels a delivered qubit undergoes, per-hop
lookup, and the ``links`` keyword of the protocols (ideal links change nothing).

The teleport channel is checked against an independent reference: the teleportation protocol
simulated with Qiskit's DensityMatrix (Bell measurement on a Werner pair, Pauli corrections),
averaged over the four outcomes, compared with the Kraus map of the channels `Link.channels` lists.
"""

from __future__ import annotations

import numpy as np
import pytest

from qdist.network.links import IDEAL, Link, Links, check_links
from qdist.network.model import ModelSpec, random_model
from qdist.network.protocols import run_gradient, run_inference, run_training
from qdist.sim.channels import Channel, kraus_operators, teleport_channel

SPEC3 = ModelSpec(features=4, layers=4, parties=3, schedule="interleaved")  # n = 2, ring


def test_defaults_are_ideal():
    link = Link()
    assert link.ideal and link.noiseless and link.channels() == ()
    assert IDEAL.ideal and IDEAL.for_hop("alice", "bob") == link
    assert not Link(loss=0.1).ideal and not Link(latency=1e-3).ideal and not Link(bandwidth=1e9).ideal
    assert not Link(transport="teleport").ideal  # ideal ebits, but a different ledger (ebits, bits)
    assert Link(transport="teleport").noiseless  # F = 1: the teleported qubit arrives unchanged


@pytest.mark.parametrize(
    "kwargs, start",
    [
        ({"loss": 1.0}, "loss: expected a probability in [0, 1)"),
        ({"loss": -0.1}, "loss: expected a probability in [0, 1)"),
        ({"loss": "0.1"}, "loss: expected a real number"),
        ({"loss": float("nan")}, "loss: expected a number"),
        ({"latency": -1.0}, "latency: expected seconds"),
        ({"latency": float("inf")}, "latency: expected seconds"),
        ({"bandwidth": 0}, "bandwidth: expected bits per second"),
        ({"transport": "carrier-pigeon"}, "transport: expected one of direct, teleport"),
        ({"ebit_fidelity": 0.2}, "ebit_fidelity: expected a fidelity in [0.25, 1]"),
        ({"ebit_fidelity": True}, "ebit_fidelity: expected a real number"),
        ({"noise": (1,)}, "noise: expected Channel items"),
        ({"noise": ("bitflip:0.1",)}, "noise: expected KIND one of"),
        (
            {"noise": (Channel("amplitude-damping", 0.1),), "transport": "teleport"},
            "noise: amplitude-damping on a teleport link",
        ),
    ],
)
def test_link_validation(kwargs, start):
    with pytest.raises((ValueError, TypeError)) as info:
        Link(**kwargs)
    assert str(info.value).startswith(start)
    assert "\n" not in str(info.value)


def test_channels_in_order():
    dep, deph = Channel("depolarizing", 0.2), Channel("dephasing", 0.1)
    assert Link(noise=(dep, deph)).channels() == (dep, deph)
    assert Link(noise=["dephasing:0.1"]).noise == (deph,)  # strings parse, lists become tuples
    assert Link(noise=(Channel("dephasing", 0.0),)).channels() == ()  # strength 0 is the identity
    tele = Link(noise=(deph,), transport="teleport", ebit_fidelity=0.85)
    assert tele.channels() == (deph, teleport_channel(0.85))
    assert Link(noise=(deph,), ebit_fidelity=0.85).channels() == (deph,)  # F unused when direct


def _apply(kraus, rho):
    return sum(k @ rho @ k.conj().T for k in kraus)


def test_teleport_through_a_noisy_ebit_equals_the_listed_channels():
    """Teleport a qubit through a Werner pair of fidelity F whose travelling half went through the
    link's dephasing (Qiskit DensityMatrix, Bell measurement, Pauli corrections) and compare with
    the map of `Link.channels` on the same input."""
    from qiskit.quantum_info import DensityMatrix, Operator, Statevector, partial_trace

    F, q = 0.8, 0.15
    link = Link(noise=(Channel("dephasing", q),), transport="teleport", ebit_fidelity=F)
    rng = np.random.default_rng(7)
    a = rng.normal(size=2) + 1j * rng.normal(size=2)
    psi = Statevector(a / np.linalg.norm(a))
    rho_in = DensityMatrix(psi).data
    # Werner pair on qubits (1, 2): F·Φ⁺ + (1 − F)/3 · (the other Bell states); qubit 2 travels.
    bell = [Statevector([1, 0, 0, 1] / np.sqrt(2)).evolve(Operator.from_label(p), [0]) for p in "IXYZ"]
    werner = F * DensityMatrix(bell[0]).data
    for b in bell[1:]:
        werner = werner + (1 - F) / 3 * DensityMatrix(b).data
    # dephasing on the travelling half (qiskit little-endian: qubit 1 of the pair = the high bit)
    Zt = np.kron(np.diag([1, -1]), np.eye(2))
    pair = (1 - q) * werner + q * Zt @ werner @ Zt
    state = DensityMatrix(np.kron(pair, rho_in))  # qubit 0 = input, 1 = Alice's half, 2 = Bob's
    # Bell measurement of (0, 1): CNOT 0→1, H 0, then outcomes (m0, m1); Bob applies Z^m0 X^m1.
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3)
    qc.cx(0, 1)
    qc.h(0)
    state = state.evolve(qc)
    out = np.zeros((2, 2), dtype=complex)
    X, Z = np.array([[0, 1], [1, 0]]), np.diag([1, -1])
    for m0 in (0, 1):
        for m1 in (0, 1):
            proj = np.zeros((4, 4))
            proj[m1 * 2 + m0, m1 * 2 + m0] = 1  # qubit 0 = low bit, qubit 1 = next
            P = np.kron(np.eye(2), proj)
            branch = DensityMatrix(P @ state.data @ P)
            bob = partial_trace(branch, [0, 1]).data
            corr = np.linalg.matrix_power(Z, m0) @ np.linalg.matrix_power(X, m1)
            out = out + corr @ bob @ corr.conj().T
    expected = rho_in
    for ch in link.channels():
        expected = _apply(kraus_operators(ch), expected)
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_per_hop_lookup_is_undirected_and_checked():
    slow = Link(latency=0.01)
    links = Links(Link(loss=0.1), {("alice", "bob"): slow})
    assert links.for_hop("alice", "bob") is slow and links.for_hop("bob", "alice") is slow
    assert links.for_hop("bob", "carol") == Link(loss=0.1)
    assert links == Links(Link(loss=0.1), {("alice", "bob"): slow}) and hash(links) == hash(
        Links(Link(loss=0.1), {("alice", "bob"): slow})
    )
    assert check_links(slow) == Links(slow, {})
    links.check(SPEC3.network())  # alice — bob is a quantum link of the ring
    with pytest.raises(ValueError, match=r"^per_hop: no quantum link alice — dave"):
        Links(Link(), {("alice", "dave"): slow}).check(SPEC3.network())
    with pytest.raises(ValueError, match=r"^per_hop: two different links"):
        Links(Link(), {("alice", "bob"): slow, ("bob", "alice"): Link()})
    with pytest.raises(TypeError, match=r"^links: expected a Links or a Link"):
        check_links({"loss": 0.1})
    assert Link.from_dict(Link(loss=0.2, noise=("dephasing:0.1",)).to_dict()) == Link(
        loss=0.2, noise=(Channel("dephasing", 0.1),)
    )


def test_ideal_links_change_nothing():
    model = random_model(SPEC3, seed=3)
    a = run_inference(model, 0.3, 0.1, seed=5)
    b = run_inference(model, 0.3, 0.1, seed=5, links=IDEAL)
    assert a.ledger == b.ledger and np.array_equal(a.estimate, b.estimate)
    g1 = run_gradient(model, "param-shift", 0.4, 0.2, seed=2)
    g2 = run_gradient(model, "param-shift", 0.4, 0.2, seed=2, links=Links(Link(), {}))
    assert g1.ledger == g2.ledger and np.array_equal(g1.estimate, g2.estimate)
    t1 = run_training(SPEC3, "shadow", 0.5, 0.2, seed=1, steps=1)
    t2 = run_training(SPEC3, "shadow", 0.5, 0.2, seed=1, steps=1, links=IDEAL)
    assert t1.ledger == t2.ledger and np.array_equal(t1.estimate, t2.estimate)
    with pytest.raises(ValueError, match=r"^per_hop: no quantum link"):
        run_inference(model, 0.3, 0.1, links=Links(Link(), {("alice", "zed"): Link()}))
