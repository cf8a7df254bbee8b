"""Training over physical links: the ledger's link terms, noisy readouts and gradients, the CLI flags."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from qdist.cli.main import main
from qdist.learn.train import QuantumTrainer, train_quantum
from qdist.network import costs
from qdist.network.links import IDEAL, Link, Links
from qdist.network.model import build_model
from qdist.network.noisy import noisy_gradient
from qdist.sim.channels import Channel
from tests.learn.test_training import small, toy

NOISY = Links.uniform(Link(noise=(Channel("depolarizing", 0.3),)))


def test_ideal_links_keep_the_config_and_its_fingerprint():
    cfg = small("param-shift")
    assert replace(cfg, links=IDEAL).to_dict() == cfg.to_dict()
    assert "links" not in cfg.to_dict()
    assert replace(cfg, links=NOISY).to_dict()["links"] == NOISY.to_dict()


def test_teleport_and_loss_enter_the_training_ledger():
    ds = toy(n_train=4, n_test=3)
    cfg = small("param-shift", epochs=1, batch_size=4)
    links = Links.uniform(Link(transport="teleport"))
    ideal = train_quantum(ds, cfg, progress=False)
    tele = train_quantum(ds, replace(cfg, links=links), progress=False)
    a, b = ideal.by_purpose, tele.by_purpose
    moved = sum(v["qubits"] for v in a.values())
    # every qubit sent directly becomes one ebit and two classical bits
    assert sum(v["qubits"] for v in b.values()) == 0
    assert sum(v["ebits"] for v in b.values()) == moved > 0
    assert (
        sum(v["classical_bits"] for v in b.values())
        == sum(v["classical_bits"] for v in a.values()) + 2 * moved
    )
    # the per-sample closed forms carry the same link terms
    tr = QuantumTrainer(ds, replace(cfg, links=links))
    assert tr.per_sample["inference"] == costs.quantum_inference_cost(
        tr.spec, cfg.epsilon, cfg.delta, "last", links=links
    )


def test_noisy_training_uses_the_noisy_gradient_and_value():
    ds = toy(n_train=4, n_test=3, seed=1)
    cfg = replace(small("exact", epochs=1, batch_size=2), links=NOISY)
    tr = QuantumTrainer(ds, cfg)
    theta = tr.init_params()["theta"]
    x = ds.x_train[:2]
    states, data = tr.states_tr[:2], tr.data_tr[:2]
    G = np.asarray(tr._gradient(np.asarray(theta), tr.readouts[0], states, data, 0))
    f = tr._readout_values(np.asarray(theta), states, data, None, 0)
    ideal = QuantumTrainer(ds, replace(cfg, links=IDEAL))
    f_ideal = ideal._readout_values(np.asarray(theta), states, data, None, 0)
    for i in range(2):  # the same numbers as the noisy protocol of one sample
        model = build_model(tr.spec, x[i], np.asarray(theta))
        chans = tuple(
            Links.uniform(Link(noise=(Channel("depolarizing", 0.3),))).for_hop(a, b).channels()
            for a, b in zip(tr.spec.party_names, tr.spec.party_names[1:])
        )
        _, g_ref = noisy_gradient(model, "exact", chans[: tr.spec.hops], 0, 0, {})
        np.testing.assert_allclose(G[i], g_ref, atol=1e-10)
    assert np.all(np.abs(f) < np.abs(f_ideal))  # depolarizing before the readout shrinks ⟨Z⟩
    r = train_quantum(ds, cfg, progress=False)
    assert np.isfinite(r.final["test_loss"])


def test_noisy_links_refuse_state_vector_estimators():
    with pytest.raises(ValueError, match="^method: 'shadow' cannot run through noisy links"):
        QuantumTrainer(toy(), replace(small("shadow"), links=NOISY))


def test_train_cli_takes_the_link_flags(tmp_path, capsys):
    ds = toy(n_train=12, n_test=4)
    csv = tmp_path / "toy.csv"
    rows = np.column_stack([np.vstack([ds.x_train, ds.x_test]), np.concatenate([ds.y_train, ds.y_test])])
    np.savetxt(csv, rows, delimiter=",", header=",".join([*ds.feature_names, "y"]), comments="")
    args = [
        "train",
        "--data",
        str(csv),
        "--label",
        "y",
        "--layers",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--method",
        "param-shift",
        "--no-baseline",
        "--no-plots",
        "--no-progress",
        "--json",
        "--out",
        str(tmp_path / "t"),
        "--transport",
        "teleport",
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    (summary,) = out.values()
    assert summary["qubits_sent"] == 0 and summary["ebits_sent"] > 0  # teleported
    assert main([*args[:-2], "--link-noise", "depolarizing:2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qdist train: error: --link-noise: expected a number P") and "\n" not in err
