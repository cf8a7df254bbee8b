"""Ledgers over physical links equal their closed forms: a table of configurations (topology × links)
× (inference, every gradient estimator, training), plus the loss sampler and the time model.

Independent references:

* the *ideal* run with the same seed (the links never change the copies an estimator uses: the
  loss has its own random stream), transformed by hand record by record — a teleport hop turns
  k = count·size qubits into k ebits, 2k classical bits and ``count`` more messages — must equal
  the linked ledger's deterministic totals and the closed form (which is derived from the
  ModelSpec alone, not from a ledger);
* E[transmissions] = Σ_records k/(1 − p) computed here from the ideal ledger must equal the closed
  form exactly (both are exactly rounded sums, math.fsum);
* the sampled transmissions are a sum of independent geometric counts, variance
  σ² = Σ_records k·p/(1 − p)²; with fixed seeds the test asks |T − E| ≤ 5σ (the count is a sum of
  ≥ 300 iid terms, so by the CLT the chance of a 5σ deviation is ≈ 6·10⁻⁷ per configuration);
* time: without loss ``network_seconds`` equals the closed form exactly and a hand formula for a
  uniform network; with loss it equals the time recomputed here from the recorded ``tries``, and
  the expected max of attempts is checked against the distribution's pmf.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qdist.network.ledger import CLASSICAL, EBIT, QUANTUM, Ledger, Message
from qdist.network.link_costs import expected_max_attempts
from qdist.network.links import IDEAL, Link, Links
from qdist.network.model import ModelSpec, random_model
from qdist.network.protocols import run_gradient, run_inference, run_training
from qdist.network.transport import loss_rng, network_seconds, sample_attempts

SPEC2 = ModelSpec(features=6, layers=3, parties=2)  # n = 3, one hop
SPEC3 = ModelSpec(features=4, layers=4, parties=3, schedule="interleaved")  # n = 2, ring, 3 hops

LINKS = {
    "teleport": Links(Link(transport="teleport")),
    "loss 0.3": Links(Link(loss=0.3, latency=2e-3, bandwidth=1e5)),
    "teleport, loss 0.2, latency": Links(Link(loss=0.2, transport="teleport", latency=1e-3, bandwidth=5e4)),
    "per hop": Links(Link(loss=0.1), {("alice", "bob"): Link(transport="teleport", loss=0.4, latency=1e-2)}),
}
#: noisy links change the estimates (qdist.network.noisy), not the ledger: only the methods that run
#: through noise
NOISY_LINKS = {
    "teleport F=0.9, dephasing": Links(
        Link(transport="teleport", ebit_fidelity=0.9, noise=("dephasing:0.05",), loss=0.25, latency=1e-3)
    ),
}
NOISY_TASKS = ["inference", "param-shift", "spsa", "training:param-shift"]


def _run(task, spec, links, seed=3):
    model = random_model(spec, seed=1)
    if task == "inference":
        return run_inference(model, 0.25, 0.1, seed=seed, links=links)
    if task == "inference-last":
        return run_inference(model, 0.25, 0.1, seed=seed, result_to="last", links=links)
    if task.startswith("training"):
        method = task.split(":")[1]
        return run_training(spec, method, 0.5, 0.2, seed=seed, steps=2, batch=2, links=links)
    return run_gradient(model, task, 0.4, 0.2, seed=seed, reference=False, links=links)


TASKS = [
    "inference",
    "inference-last",
    "param-shift",
    "spsa",
    "shadow",
    "tomography",
    "exact",
    "training:param-shift",
    "training:shadow",
]


def _by_hand(ideal: Ledger, links: Links) -> tuple[dict, float, float]:
    """The linked totals (without transmissions), E[transmissions] and its variance, from the ideal
    ledger record by record."""
    out = {"qubits": 0, "classical_bits": 0, "messages": 0, "copies": 0, "ebits": 0}
    mean, var = [], []
    for m in ideal:
        out["copies"] += m.copies
        out["messages"] += m.count
        if m.kind == CLASSICAL:
            out["classical_bits"] += m.count * m.size
            continue
        link, k = links.for_hop(m.sender, m.receiver), m.count * m.size
        if link.teleport:
            out["ebits"] += k
            out["classical_bits"] += 2 * k
            out["messages"] += m.count
        else:
            out["qubits"] += k
        mean.append(k / (1 - link.loss))
        var.append(k * link.loss / (1 - link.loss) ** 2)
    return out, math.fsum(mean), math.fsum(var)


CONFIGS = [(t, name) for t in TASKS for name in LINKS] + [
    (t, name) for t in NOISY_TASKS for name in NOISY_LINKS
]


@pytest.mark.parametrize("spec", [SPEC2, SPEC3], ids=["pipeline", "ring"])
@pytest.mark.parametrize("task, links_name", CONFIGS)
def test_linked_ledger_equals_closed_form(task, spec, links_name):
    links = {**LINKS, **NOISY_LINKS}[links_name]
    ideal, r = _run(task, spec, IDEAL), _run(task, spec, links)
    if all(link.noiseless for link in links.all()):  # the links change the ledger only
        assert np.array_equal(np.asarray(ideal.estimate), np.asarray(r.estimate), equal_nan=True)
    by_hand, mean, var = _by_hand(ideal.ledger, links)
    totals = dict(r.totals)
    sampled = totals.pop("transmissions")
    assert totals == by_hand
    formula = r.formula.to_dict()
    assert (
        formula.pop("transmissions") == pytest.approx(mean, rel=0, abs=0) or r.formula.transmissions == mean
    )
    assert formula == by_hand and r.matches_formula
    lossy = any(link.loss for link in links.all())
    if lossy and mean:
        assert isinstance(r.formula.transmissions, float) and r.formula.transmissions == mean
        assert abs(sampled - mean) <= 5 * math.sqrt(var), (sampled, mean, var)
        assert sampled >= by_hand["qubits"] + by_hand["ebits"]  # every unit delivered at least once
    else:
        assert sampled == r.formula.transmissions == by_hand["qubits"] + by_hand["ebits"]
    seconds, expected = r.details["network_seconds"], r.details["expected_network_seconds"]
    if not lossy:
        assert seconds == expected
    elif not task.startswith("training"):  # (training's steps are sequential: test_training_time)
        assert seconds == _seconds_from_tries(r.ledger, links)


def _seconds_from_tries(ledger: Ledger, links: Links) -> float:
    """Recompute the time from the recorded tries: per round the slowest hop, a direct quantum hop
    latency·(2·tries − 1), a classical one latency, plus bits/bandwidth (ebits are pre-shared)."""
    rounds: dict = {}
    for m in ledger:
        hop = rounds.setdefault(m.round, {}).setdefault((m.sender, m.receiver), [0, 0, False])
        if m.kind == QUANTUM:
            hop[0] = max(hop[0], m.tries)
        elif m.kind == CLASSICAL:
            hop[1] += m.count * m.size
            hop[2] = True
    total = 0.0
    for hops in rounds.values():
        times = []
        for (a, b), (tries, bits, classical) in hops.items():
            link = links.for_hop(a, b)
            t = link.latency * (2 * tries - 1) if tries else (link.latency if classical else 0.0)
            times.append(t + (bits / link.bandwidth if bits and link.bandwidth else 0.0))
        total += max(times)
    return pytest.approx(total, rel=1e-12)


def test_teleport_inference_by_hand():
    """Uniform teleport links: ebits = S·H·n, bits 2·S·H·n, messages 2·S·H, time H·(L + 2nS/B)."""
    spec, L, B = SPEC3, 1e-3, 1e4
    r = _run("inference", spec, Links(Link(transport="teleport", latency=L, bandwidth=B)))
    S, H, n = r.details["shots"], spec.hops, spec.n
    assert spec.last_owner == 0  # the ring ends at Alice: no result message
    assert r.totals == {
        "qubits": 0,
        "classical_bits": 2 * S * H * n,
        "messages": 2 * S * H,
        "copies": S,
        "ebits": S * H * n,
        "transmissions": S * H * n,
    }
    assert r.details["network_seconds"] == pytest.approx(H * (L + 2 * n * S / B), rel=1e-12)
    kinds = {(m.kind, m.purpose) for m in r.ledger}
    assert (QUANTUM, "forward pass") not in kinds and (EBIT, "forward pass") in kinds
    assert (CLASSICAL, "teleport corrections") in kinds


def test_direct_inference_time_by_hand():
    spec, L, B = SPEC2, 5e-3, 2e3
    r = _run("inference", spec, Links(Link(latency=L, bandwidth=B)))
    S = r.details["shots"]
    # one hop (alice → bob) in round 0, then S·m bits back in round 1
    assert r.details["network_seconds"] == pytest.approx(L + L + S * spec.classes / B, rel=1e-12)
    assert r.details["expected_network_seconds"] == r.details["network_seconds"]


def test_training_time_is_the_sum_of_its_steps():
    links = Links(Link(latency=1e-3, bandwidth=1e5))
    t = run_training(SPEC3, "param-shift", 0.5, 0.2, seed=2, steps=3, batch=2, links=links)
    g = run_gradient(random_model(SPEC3, 0), "param-shift", 0.5, 0.2, reference=False, links=links)
    # no loss: every step has the same rounds as one gradient (the batch travels in parallel)
    assert t.details["network_seconds"] == pytest.approx(3 * g.details["network_seconds"], rel=1e-12)
    assert t.details["expected_network_seconds"] == pytest.approx(t.details["network_seconds"], rel=1e-12)


@pytest.mark.parametrize("units, loss", [(1, 0.5), (40, 0.3), (500, 0.1)])
def test_sampled_attempts_match_their_distribution(units, loss):
    """R draws of (lost, max attempts) against the exact moments: lost ~ NegBin with mean
    k·p/(1 − p), variance k·p/(1 − p)²; max A has cdf (1 − p^a)^k, so its mean and variance come
    from the pmf F(a) − F(a − 1) (an independent route to `expected_max_attempts`, which sums the
    survival function). Tolerance 5 standard errors of the mean over R draws."""
    R, rng = 4000, np.random.default_rng(11)
    draws = np.array([sample_attempts(rng, units, loss) for _ in range(R)])
    lost, tries = draws[:, 0], draws[:, 1]
    m, v = units * loss / (1 - loss), units * loss / (1 - loss) ** 2
    assert abs(lost.mean() - m) <= 5 * math.sqrt(v / R)
    a = np.arange(1, 400)
    cdf = (1 - loss**a) ** units
    pmf = np.diff(np.concatenate([[0.0], cdf]))
    mean = float(np.sum(a * pmf))
    sd = math.sqrt(float(np.sum(a**2 * pmf)) - mean**2)
    assert expected_max_attempts(units, loss) == pytest.approx(mean, rel=1e-12)
    assert abs(tries.mean() - mean) <= 5 * sd / math.sqrt(R)
    assert tries.min() >= 1 and np.all(lost >= tries - 1)  # the max's extra attempts are lost ones


def test_loss_sampling_is_reproducible_and_leaves_the_estimates_alone():
    links = Links(Link(loss=0.5))
    a, b = _run("param-shift", SPEC3, links, seed=4), _run("param-shift", SPEC3, links, seed=4)
    assert a.ledger == b.ledger
    assert _run("param-shift", SPEC3, links, seed=5).totals["transmissions"] != a.totals["transmissions"]
    assert sample_attempts(loss_rng(1), 10, 0.0) == (0, 1)


def test_lossy_records_serialise_and_ideal_ones_keep_their_format():
    led = Ledger().add("alice", "bob", QUANTUM, 2, "forward pass", count=3, lost=4, tries=3)
    d = led.to_dict()["records"][0]
    assert d["lost"] == 4 and d["tries"] == 3
    assert Ledger.from_dict(led.to_dict()) == led and led.transmissions == 3 * 2 + 4
    assert "lost" not in Ledger().add("alice", "bob", QUANTUM, 2, "forward pass").to_dict()["records"][0]
    with pytest.raises(ValueError, match=r"^lost: classical messages are not lost"):
        Message("alice", "bob", CLASSICAL, 2, "data", lost=1)
    with pytest.raises(ValueError, match=r"^tries: expected an integer ≥ 1"):
        Message("alice", "bob", QUANTUM, 2, "data", tries=0)
    assert network_seconds(led, IDEAL) == 0.0
