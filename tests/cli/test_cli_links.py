"""The link flags of ``qdist simulate`` (issue 13, "Done when"): teleporting turns every qubit into an
ebit and two classical bits, heralded loss 0.5 about doubles the transmissions, latency and
bandwidth give ``network_seconds``; the flags reach `Links` (the noise, too)."""

from __future__ import annotations

import json
import math

from qdist.cli.link_args import links_from_args
from qdist.cli.main import build_parser, main
from qdist.network.links import IDEAL, Link, Links
from qdist.sim.channels import Channel

DONE = ["simulate", "--task", "inference", "--features", "16", "--layers", "4", "--schedule", "interleaved"]


def _json(capsys, argv) -> dict:
    assert main(argv + ["--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def test_teleport_ebits_equal_the_direct_qubits(capsys):
    direct, tele = _json(capsys, DONE), _json(capsys, DONE + ["--transport", "teleport"])
    assert direct["ebits"] == 0 and direct["transmissions"] == direct["qubits"] > 0
    assert tele["ebits"] == direct["qubits"] and tele["qubits"] == 0
    assert tele["classical_bits"] == direct["classical_bits"] + 2 * direct["qubits"]
    assert tele["matches_formula"] and tele["formula"]["ebits"] == tele["ebits"]
    assert tele["estimate"] == direct["estimate"]  # F = 1: the teleported register is unchanged


def test_loss_half_about_doubles_the_transmissions(capsys):
    """Each qubit takes Geometric(1/2) attempts: E = 2k, σ = √(k·p/(1 − p)²) = √(2k) for k qubits;
    the fixed seed's count must be within 5σ."""
    direct, lossy = _json(capsys, DONE), _json(capsys, DONE + ["--link-loss", "0.5"])
    k = direct["qubits"]
    assert lossy["qubits"] == k and lossy["formula"]["transmissions"] == 2 * k
    assert abs(lossy["transmissions"] - 2 * k) <= 5 * math.sqrt(2 * k)
    assert lossy["matches_formula"]


def test_latency_and_bandwidth_give_the_time(capsys):
    r = _json(capsys, DONE + ["--link-latency", "0.001", "--link-bandwidth", "1e6"])
    H, S = r["config"]["hops"], r["details"]["shots"]
    # two parties, L = 4 interleaved: H = 3 hops alice → bob → alice → bob, one latency each, then
    # the S outcome bits back to Alice: one latency + S / bandwidth
    assert r["config"]["parties"] == 2 and H == 3 and r["classical_bits"] == S
    assert math.isclose(r["network_seconds"], H * 0.001 + 0.001 + S / 1e6, rel_tol=1e-12)
    assert r["details"]["expected_network_seconds"] == r["network_seconds"]


def test_flags_reach_the_links():
    parser, _ = build_parser()
    args = parser.parse_args(
        ["simulate", "--link-noise", "depolarizing:0.2,dephasing:0.1", "--link-noise", "depolarizing:0.05"]
        + ["--link-loss", "0.1", "--link-latency", "2e-3", "--link-bandwidth", "1e9"]
    )
    dep = Channel("depolarizing", 0.2)
    want = Link(0.1, (dep, Channel("dephasing", 0.1), Channel("depolarizing", 0.05)), 2e-3, 1e9)
    assert links_from_args(args) == Links.uniform(want)
    args = parser.parse_args(["simulate", "--transport", "teleport", "--ebit-fidelity", "0.85"])
    link = links_from_args(args).default
    assert link.teleport and math.isclose(link.channels()[-1].p, 0.2)  # depolarizing 4(1 − 0.85)/3
    assert links_from_args(parser.parse_args(["simulate", "--link-noise", "dephasing:0"])) is IDEAL
