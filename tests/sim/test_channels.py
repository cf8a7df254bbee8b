"""Channels as data: Kraus operators against Qiskit's and PennyLane's, the Pauli factors against the
map, the teleport channel against the Werner-pair Pauli channel, and the parser's errors."""

import numpy as np
import pennylane as qml
import pytest
from qiskit.quantum_info import SuperOp
from qiskit_aer.noise import depolarizing_error

from qdist.sim.channels import (
    KINDS,
    Channel,
    kraus_operators,
    parse_channel,
    pauli_factors,
    teleport_channel,
)

PAULI = {
    "X": np.array([[0, 1], [1, 0]], complex),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0, -1.0]).astype(complex),
}


def _superop(ks):
    # column-stacking superoperator Σ_k K̄_k ⊗ K_k, independent of Qiskit's Kraus handling
    return sum(np.kron(np.conj(k), k) for k in np.asarray(ks, dtype=complex))


def _apply(ks, rho):
    return sum(k @ rho @ k.conj().T for k in ks)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("p", [0.0, 0.13, 0.5, 1.0])
def test_kraus_complete(kind, p):
    ks = kraus_operators(Channel(kind, p))
    np.testing.assert_allclose(sum(k.conj().T @ k for k in ks), np.eye(2), atol=1e-14)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.7, 1.0])
def test_depolarizing_is_qiskits(p):
    ours = _superop(kraus_operators(Channel("depolarizing", p)))
    theirs = SuperOp(depolarizing_error(p, 1).to_quantumchannel())
    np.testing.assert_allclose(ours, theirs.data, atol=1e-12)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.999])  # PennyLane regularises √(1−p) by 1e-14 at p = 1
def test_dephasing_and_damping_are_pennylanes(p):
    for kind, op in (("dephasing", qml.PhaseFlip), ("amplitude-damping", qml.AmplitudeDamping)):
        ours = _superop(kraus_operators(Channel(kind, p)))
        theirs = _superop(op(p, wires=0).kraus_matrices())
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_pauli_factors_match_the_map(kind):
    rng = np.random.default_rng(7)
    a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    ch = Channel(kind, 0.37)
    out = _apply(kraus_operators(ch), rho)
    before = [np.trace(P @ rho).real for P in PAULI.values()]
    after = [np.trace(P @ out).real for P in PAULI.values()]
    fx, fy, fz = pauli_factors(ch)
    shift = ch.p if kind == "amplitude-damping" else 0.0
    np.testing.assert_allclose(after, [fx * before[0], fy * before[1], fz * before[2] + shift], atol=1e-12)


@pytest.mark.parametrize("fidelity", [1.0, 0.9, 0.6, 0.25])
def test_teleport_channel_is_the_werner_pauli_channel(fidelity):
    # teleporting through F|Φ+⟩⟨Φ+| + (1-F)/3 (other Bell states) applies P with prob. F, (1-F)/3
    werner = [np.sqrt(fidelity) * np.eye(2)] + [np.sqrt((1 - fidelity) / 3) * P for P in PAULI.values()]
    ours = _superop(kraus_operators(teleport_channel(fidelity)))
    np.testing.assert_allclose(ours, _superop(werner), atol=1e-12)


def test_parse():
    assert parse_channel("depolarizing:0.2") == Channel("depolarizing", 0.2)
    assert parse_channel("Amplitude_Damping:1") == Channel("amplitude-damping", 1.0)
    assert str(Channel("dephasing", 0.25)) == "dephasing:0.25"


@pytest.mark.parametrize(
    "text, message",
    [
        ("depolarizing", "--link-noise: expected KIND:P"),
        ("bitflip:0.1", "--link-noise: expected KIND one of"),
        ("dephasing:abc", "--link-noise: expected a number P in [0, 1]"),
        ("dephasing:1.5", "--link-noise: expected a number P in [0, 1]"),
        ("dephasing:nan", "--link-noise: expected a number P in [0, 1]"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(ValueError) as err:
        parse_channel(text)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_bad_channel_and_fidelity():
    with pytest.raises(ValueError, match="^kind: expected one of"):
        Channel("bitflip", 0.1)
    with pytest.raises(ValueError, match=r"^p: expected a number in \[0, 1\]"):
        Channel("dephasing", -0.1)
    with pytest.raises(ValueError, match=r"^fidelity: expected a number in \[0.25, 1\]"):
        teleport_channel(0.1)
