"""Noisy protocols (`qdist.network.noisy`, `qdist.devices.noisy`): the register through the links'
channels at every hop.

References: a closed form in the Heisenberg picture (a Pauli channel on every qubit scales each
Pauli string P of the observable by the product of its per-letter factors, dense matrices in
numpy, independent of the simulator's channel code), finite differences of the noisy value
(independent of the parameter-shift path), and the density matrix against trajectories. Statistical
checks use fixed seeds and bounds from the estimators' variance, as commented.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from qdist.network.links import IDEAL, Link, Links
from qdist.network.model import ModelSpec, build_model, random_model
from qdist.network.noisy import hop_channels, hop_cuts, noisy_forward, noisy_readout
from qdist.network.protocols import forward, run_gradient, run_inference, run_training
from qdist.sim.channels import Channel, pauli_factors
from qdist.sim.execute import state
from qdist.sim.gates import pauli_string_matrix
from qdist.sim.noise import density, expectation
from qdist.sim.observables import pauli

SPEC = ModelSpec(features=16, layers=4, schedule="interleaved", classes=2)  # n = 4, 3 hops
PIPE = ModelSpec(features=8, layers=2, parties=2, schedule="pipeline")  # n = 3, 1 hop


def _links(*channels: str) -> Links:
    return Links.uniform(Link(noise=channels))


def test_ideal_and_zero_strength_links_are_bit_identical():
    model = random_model(SPEC, 4)
    base = run_inference(model, 0.1, 0.05, 3)
    for links in (IDEAL, _links("depolarizing:0"), _links("dephasing:0.0", "amplitude-damping:0")):
        r = run_inference(model, 0.1, 0.05, 3, links=links)
        assert np.array_equal(r.estimate, base.estimate) and np.array_equal(r.exact, base.exact)
        assert r.to_dict() == base.to_dict()
    g0 = run_gradient(model, "param-shift", 0.3, 0.1, 2)
    g1 = run_gradient(model, "param-shift", 0.3, 0.1, 2, links=_links("depolarizing:0"))
    assert np.array_equal(g0.estimate, g1.estimate) and np.all(g0.bias == 0)
    assert base.to_dict()["bias"] == [0.0, 0.0] and base.to_dict()["noisy_exact"] == base.to_dict()["exact"]


def _heisenberg_value(model, channel: Channel, c: int) -> float:
    """One hop (pipeline, two parties): f̃ = Σ_P a_P · Π_{w ∈ P} λ_{P_w} · ⟨ψ₁|P|ψ₁⟩ with
    U₂† Z_c U₂ = Σ_P a_P P, ψ₁ = U₁|x⟩ and λ the channel's Pauli factors (X, Y, Z) — a Pauli
    channel on every qubit maps each Pauli string P to (Π λ) P."""
    n = model.spec.n
    alice, bob = model.parties
    psi1 = np.asarray(alice.apply(0, model.initial_state()))
    u2 = np.stack([np.asarray(bob.apply(1, e)) for e in np.eye(2**n, dtype=complex)], axis=1)
    zc = pauli("Z", (c,)).matrix(n)
    heis = u2.conj().T @ zc @ u2
    lam = dict(zip("XYZ", pauli_factors(channel), strict=True))
    total = 0.0
    for letters in itertools.product("IXYZ", repeat=n):
        label = "".join(letters)
        p = pauli_string_matrix(label)
        a = np.real(np.trace(p @ heis)) / 2**n
        if abs(a) < 1e-14:
            continue
        factor = np.prod([lam[ch] for ch in label if ch != "I"])
        total += a * factor * np.real(psi1.conj() @ p @ psi1)
    return float(total)


@pytest.mark.parametrize("channel", [Channel("depolarizing", 0.3), Channel("dephasing", 0.2)])
def test_noisy_value_matches_the_heisenberg_closed_form(channel):
    model = random_model(PIPE, 1)
    rho = noisy_forward(model, [(channel,)])
    f = expectation(pauli("Z", (0,)), rho, PIPE.n)
    assert f == pytest.approx(_heisenberg_value(model, channel, 0), abs=1e-12)
    r = run_inference(model, 0.1, 0.05, 0, links=Links.uniform(Link(noise=(channel,))))
    assert r.noisy_exact[0] == pytest.approx(f, abs=1e-12)
    assert r.bias[0] == pytest.approx(f - r.exact[0], abs=1e-15)


def test_full_depolarizing_erases_the_readout():
    # p = 1 on every qubit: ρ ↦ I/2ⁿ at the first hop, kept by every unitary, so ⟨Z_c⟩ = 0
    r = run_inference(random_model(SPEC, 2), 0.1, 0.05, 0, links=_links("depolarizing:1"))
    np.testing.assert_allclose(r.noisy_exact, 0.0, atol=1e-12)


def test_depolarizing_shrinks_the_readout_and_the_estimate_tracks_the_noisy_value():
    model = random_model(SPEC, 4)
    eps = 0.03
    clean = run_inference(model, eps, 0.05, 11)
    noisy = run_inference(model, eps, 0.05, 11, links=_links("depolarizing:0.2"))
    S = noisy.details["shots"]
    assert np.all(np.abs(noisy.noisy_exact) < np.abs(clean.exact))
    # each readout mean averages S i.i.d. ±1 outcomes of variance 1 − f̃²: σ = √((1 − f̃²)/S);
    # 4σ fails w.p. < 1e-4 per readout; the bias is far larger than σ, so tracking f instead fails
    sigma = np.sqrt((1 - noisy.noisy_exact**2) / S)
    assert np.all(np.abs(noisy.bias) > 6 * sigma)
    assert np.all(np.abs(noisy.estimate - noisy.noisy_exact) < 4 * sigma)
    assert noisy.details["noise_simulation"] == "density matrix"
    assert noisy.totals == clean.totals  # noise changes the values, not the communication
    assert noisy.noisy_error < 4 * sigma.max() < noisy.error  # the report's two error lines
    assert clean.noisy_error == clean.error
    assert noisy.to_dict()["max_abs_error_noisy"] == noisy.noisy_error


@pytest.mark.parametrize("kind", ["depolarizing", "amplitude-damping"])
def test_trajectories_agree_with_the_density_matrix(kind):
    model = random_model(SPEC, 5)
    chans = hop_channels(SPEC, _links(f"{kind}:0.25"))
    shots = 400  # ≤ TRAJECTORIES: one trajectory per shot, so the shots are i.i.d. noisy outcomes
    est_d, exact_d, _ = noisy_readout(model, chans, shots, 3, representation="density")
    est_t, exact_t, det = noisy_readout(model, chans, shots, 3, representation="trajectories")
    err = np.asarray(det["noisy_exact_std_error"])
    assert det["noise_simulation"] == f"{shots} trajectories"
    # trajectory mean of ⟨Z_c⟩: standard error s/√T; 4 errors fail w.p. < 1e-4
    assert np.all(np.abs(exact_t - exact_d) < 4 * err)
    sigma = np.sqrt((1 - exact_d**2) / shots)  # i.i.d. shots from the noisy distribution
    assert np.all(np.abs(est_t - exact_d) < 4 * sigma)


def test_noisy_density_matches_the_noisy_device_on_the_flat_circuit():
    # the parties' blocks with channels between them (noisy_forward) and the flattened circuit cut
    # at the hops (the device the gradient estimators use) are the same map
    from qdist.devices.noisy import NoisyDevice
    from qdist.devices.protocol import expectation_run

    model = random_model(SPEC, 6)
    chans = hop_channels(SPEC, _links("amplitude-damping:0.3", "dephasing:0.1"))
    rho = noisy_forward(model, chans)
    dev = NoisyDevice(hop_cuts(SPEC), chans)
    run = expectation_run(
        model.flat_circuit(),
        model.flat_params()[None, :],
        [pauli("Z", (0,)), pauli("Z", (1,))],
        None,
        states=model.initial_state(),
        data=model.flat_data(),
    )
    (e,) = dev.run([run], 0)
    ref = [expectation(pauli("Z", (c,)), rho, SPEC.n) for c in (0, 1)]
    np.testing.assert_allclose(e.values[0], ref, atol=1e-12)
    assert hop_cuts(SPEC) == tuple(np.cumsum([len(model.owner_of(s).block(s).ops) for s in range(3)]))
    # and with no channels it is the noiseless state
    psi = forward(model)
    np.testing.assert_allclose(noisy_forward(model, [()] * SPEC.hops), density(psi), atol=1e-12)


def _noisy_value(model, chans, theta) -> float:
    m = build_model(model.spec, model.alice._x, theta)
    return expectation(pauli("Z", (0,)), noisy_forward(m, chans), model.spec.n)


def test_noisy_gradients():
    model = random_model(SPEC, 7)
    links = _links("depolarizing:0.15")
    chans = hop_channels(SPEC, links)
    ex = run_gradient(model, "exact", 0.1, 0.05, 0, links=links)
    # exact noisy gradient against central differences of the noisy value (error O(h²) ~ 1e-10)
    theta, h = model.flat_params(), 1e-5
    fd = [
        (_noisy_value(model, chans, theta + h * e) - _noisy_value(model, chans, theta - h * e)) / (2 * h)
        for e in np.eye(len(theta))
    ]
    np.testing.assert_allclose(ex.noisy_exact, fd, atol=1e-8)
    np.testing.assert_array_equal(ex.estimate, ex.noisy_exact)
    assert np.max(np.abs(ex.bias)) > 0.01
    # param-shift sized for ±ε on every component w.p. ≥ 1 − δ (Hoeffding + union bound over P)
    eps, dlt = 0.15, 0.01
    ps = run_gradient(model, "param-shift", eps, dlt, 3, links=links)
    assert np.max(np.abs(ps.estimate - ps.noisy_exact)) < eps
    np.testing.assert_allclose(ps.noisy_exact, ex.noisy_exact, atol=1e-12)
    assert ps.matches_formula
    sp = run_gradient(model, "spsa", eps, dlt, 3, links=links)
    assert sp.matches_formula and sp.estimate.shape == (SPEC.num_params,)


@pytest.mark.parametrize("method", ["shadow", "tomography"])
def test_ancilla_estimators_are_refused_on_noisy_links(method):
    with pytest.raises(ValueError, match=f"method: '{method}' cannot run through noisy links"):
        run_gradient(random_model(SPEC, 0), method, 0.3, 0.1, 0, links=_links("dephasing:0.1"))


def test_noisy_forward_bad_inputs():
    model = random_model(SPEC, 0)
    with pytest.raises(ValueError, match="channels: expected one tuple of channels per hop"):
        noisy_forward(model, [()])
    with pytest.raises(ValueError, match="representation: expected"):
        noisy_forward(model, [()] * SPEC.hops, representation="mps")
    with pytest.raises(TypeError, match="rng: expected a numpy.random.Generator"):
        noisy_forward(model, [()] * SPEC.hops, representation="trajectories")


def test_flat_state_is_the_parties_state():  # the cut points are where the parties hand over
    model = random_model(SPEC, 1)
    psi = state(
        model.flat_circuit(), model.flat_params(), state=model.initial_state(), data=model.flat_data()
    )
    np.testing.assert_allclose(psi, forward(model), atol=1e-12)


def test_training_reports_the_noisy_gradient():
    links = _links("depolarizing:0.2")
    r = run_training(PIPE, "exact", 0.3, 0.1, 1, steps=1, links=links)
    # "exact" under noise estimates the exact noisy gradient (the mean over the batch of one sample)
    np.testing.assert_allclose(r.estimate, r.noisy_exact, atol=1e-12)
    assert np.max(np.abs(r.bias)) > 1e-3
    clean = run_training(PIPE, "exact", 0.3, 0.1, 1, steps=1)
    np.testing.assert_array_equal(clean.exact, r.exact)  # same data, θ: the noiseless reference
    assert np.all(clean.bias == 0)


def test_cli_reports_the_noisy_value(capsys):
    # the check: |⟨O⟩| shrinks through depolarizing links and the estimate tracks the noisy
    # value within its error bar σ = √((1 − f̃²)/S) (4σ: fails w.p. < 1e-4); seed 6 has a large |f|
    from qdist.cli.main import main

    argv = ["simulate", "--task", "inference", "--features", "16", "--layers", "4", "--schedule"]
    argv += ["interleaved", "--link-noise", "depolarizing:0.2", "--seed", "6", "--epsilon", "0.05"]
    assert main([*argv, "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    f, S = r["noisy_exact"][0], r["details"]["shots"]
    sigma = np.sqrt((1 - f**2) / S)
    assert abs(f) < abs(r["exact"][0]) and r["bias"][0] == pytest.approx(f - r["exact"][0])
    assert abs(r["estimate"][0] - f) < 4 * sigma < abs(r["estimate"][0] - r["exact"][0])
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "noisy exact:" in text and "bias (noisy − exact):" in text
