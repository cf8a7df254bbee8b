"""Network layer: ledger, topology, the distributed model (against an independent numpy reference),
party isolation, protocols (statistics and ledger = closed form), bad inputs.

Small registers only (n ≤ 3); models with the same shape share compiled blocks, so the specs below
are reused across tests to keep compile time low.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import binom

import qdist
from qdist.network import costs
from qdist.network.classical import classical_ledger, run_classical
from qdist.network.ledger import CLASSICAL, QUANTUM, Ledger, Message
from qdist.network.linear import quantum_linear_statistics, run_linear
from qdist.network.model import ModelSpec, build_model, random_instance, random_model, split_params
from qdist.network.protocols import forward, freeze_except, run_gradient, run_inference
from qdist.network.topology import pipeline, two_party

SPEC2 = ModelSpec(features=6, layers=3, parties=2)  # n = 3, Alice 2 layers, Bob 1
SPEC3 = ModelSpec(features=4, layers=4, parties=3, schedule="interleaved")  # n = 2, ring
SPEC_DIAG = ModelSpec(features=4, layers=2, parties=2, model="diag")


# ------------------------------------------------------------------------------------------------
# ledger and topology
# ------------------------------------------------------------------------------------------------


def test_ledger_totals_multiplicity_and_sum():
    a = Ledger().add("alice", "bob", QUANTUM, 5, "forward pass", round=0, count=100_000, copies=100_000)
    b = Ledger().add(Message("bob", "alice", CLASSICAL, 7, "measurement result", 1))
    led = a + b
    assert len(led) == 2  # 10⁵ copies, still two records
    assert led.totals() == {
        "qubits": 500_000,
        "classical_bits": 7,
        "messages": 100_001,
        "copies": 100_000,
        "ebits": 0,
        "transmissions": 500_000,  # no loss: every qubit sent once
    }
    assert (led.qubits, led.classical_bits, led.messages, led.copies) == (500_000, 7, 100_001, 100_000)
    assert a.totals()["classical_bits"] == 0  # immutable: a unchanged by the sum
    assert led.by_link() == {
        "alice->bob": {
            "qubits": 500_000,
            "classical_bits": 0,
            "messages": 100_000,
            "copies": 100_000,
            "ebits": 0,
            "transmissions": 500_000,
        },
        "bob->alice": {
            "qubits": 0,
            "classical_bits": 7,
            "messages": 1,
            "copies": 0,
            "ebits": 0,
            "transmissions": 0,
        },
    }
    assert set(led.by_purpose()) == {"forward pass", "measurement result"}
    assert led.by_party()["bob"]["classical_bits"] == 7
    assert led.sent_by("alice").qubits == 500_000
    assert (led + led).compact().totals() == {k: 2 * v for k, v in led.totals().items()}
    assert len((led + led).compact()) == 2


def test_ledger_json_roundtrip_atomic(tmp_path):
    led = Ledger().add("alice", "bob", QUANTUM, 3, "ancilla pass", count=4, copies=4)
    path = tmp_path / "sub" / "ledger.json"
    text = led.to_json(path)
    assert json.loads(path.read_text())["totals"] == led.totals()
    assert Ledger.from_json(path).records == led.records
    assert Ledger.from_json(text).records == led.records
    assert [p.name for p in path.parent.iterdir()] == ["ledger.json"]  # no temp file left


@pytest.mark.parametrize(
    "kwargs, start",
    [
        (dict(kind="photon"), "kind:"),
        (dict(size=-1), "size:"),
        (dict(count=0), "count:"),
        (dict(receiver="alice"), "receiver:"),
    ],
)
def test_message_validation(kwargs, start):
    base = dict(sender="alice", receiver="bob", kind=QUANTUM, size=3, purpose="forward pass")
    with pytest.raises(ValueError) as e:
        Message(**{**base, **kwargs})
    assert str(e.value).startswith(start)


def test_topologies():
    net = pipeline(3)
    assert net.parties == ("alice", "bob", "carol")
    assert net.has_link("alice", "bob", QUANTUM) and net.has_link("carol", "bob", QUANTUM)
    assert not net.has_link("alice", "carol", QUANTUM)
    assert net.has_link("alice", "carol", CLASSICAL)
    with pytest.raises(ValueError, match="^link:"):
        net.check(Message("carol", "alice", QUANTUM, 2, "forward pass"))
    assert pipeline(3, ring=True).has_link("carol", "alice", QUANTUM)
    assert two_party().parties == ("alice", "bob")
    with pytest.raises(ValueError, match="^party:"):
        net.check(Message("alice", "mallory", CLASSICAL, 2, "data"))


# ------------------------------------------------------------------------------------------------
# the model against an independent numpy construction
# ------------------------------------------------------------------------------------------------


def _ry(t):
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]])


def _rz(t):
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def _on(n, w, m):
    mats = [m if q == w else np.eye(2) for q in range(n)]
    out = mats[0]
    for m_ in mats[1:]:
        out = np.kron(out, m_)
    return out


def _cx(n, c, t):
    d = 2**n
    U = np.zeros((d, d))
    for i in range(d):
        bits = [(i >> (n - 1 - q)) & 1 for q in range(n)]
        if bits[c]:
            bits[t] ^= 1
        j = sum(b << (n - 1 - q) for q, b in enumerate(bits))
        U[j, i] = 1
    return U


def reference_state(spec: ModelSpec, x, theta) -> np.ndarray:
    """docs/concepts/model.md#compositional-model written out with dense matrices (no qdist circuit code)."""
    n, d = spec.n, 2**spec.n
    x = np.asarray(x, float)
    psi = np.pad(x / np.linalg.norm(x), (0, d - len(x))).astype(complex)
    xt = np.pad(x / np.max(np.abs(x)), (0, d - len(x)))
    k = 0
    for ell, owner in enumerate(spec.owners):
        if owner == 0:
            psi = np.exp(1j * spec.gamma * xt) * psi
        elif spec.model == "diag":
            # Z-strings on every non-empty subset, ordered as (S, complement) for S ∋ wire 0
            idx = np.arange(d)
            masks = [mm for m in range(d // 2, d) for mm in (m, (d - 1) ^ m) if mm]
            assert sorted(masks) == list(range(1, d))
            for mask in masks:
                parity = np.array([bin(i & mask).count("1") % 2 for i in idx])
                psi = np.exp(-0.5j * theta[k] * (1 - 2 * parity)) * psi
                k += 1
        for w in range(n):
            psi = _on(n, w, _ry(theta[k])) @ psi
            k += 1
        for w in range(n):
            psi = _on(n, w, _rz(theta[k])) @ psi
            k += 1
        for w in range(n - 1):
            psi = _cx(n, w, w + 1) @ psi
    assert k == spec.num_params
    return psi


@pytest.mark.parametrize("spec", [SPEC2, SPEC3, SPEC_DIAG], ids=["pipeline", "interleaved-ring", "diag"])
def test_parties_flat_circuit_and_reference_agree(spec):
    x, theta = random_instance(spec, seed=5)
    model = build_model(spec, x, theta)
    ref = reference_state(spec, x, theta)
    by_parties = forward(model)
    flat = qdist.state(
        model.flat_circuit(), model.flat_params(), state=model.initial_state(), data=model.flat_data()
    )
    np.testing.assert_allclose(by_parties, ref, atol=1e-10)
    np.testing.assert_allclose(flat, ref, atol=1e-10)
    np.testing.assert_allclose(model.flat_params(), theta)
    z0 = float(np.sum(np.abs(ref.reshape(2, -1)) ** 2 * np.array([[1], [-1]])))
    assert model.exact_values()[0] == pytest.approx(z0, abs=1e-10)


def test_schedules_and_sizes():
    assert SPEC2.owners == (0, 0, 1) and SPEC2.hops == 1
    assert SPEC3.owners == (0, 1, 2, 0) and SPEC3.hops == 3 and SPEC3.ring
    assert ModelSpec(features=8, layers=5, parties=3).owners == (0, 0, 1, 1, 2)
    assert ModelSpec(features=8, layers=5, parties=3).segments == ((0, 0, 2), (1, 2, 4), (2, 4, 5))
    assert SPEC_DIAG.num_params == 2 * 2 + (2 * 2 + 3)
    big = ModelSpec(features=2**60, layers=4, parties=2, model="diag")
    assert big.n == 60 and big.num_params == 4 * 120 + 2 * (2**60 - 1)


# ------------------------------------------------------------------------------------------------
# isolation
# ------------------------------------------------------------------------------------------------


def _slot_values(party):
    return [getattr(party, s) for s in type(party).__slots__]


def test_party_isolation():
    x, theta = random_instance(SPEC2, seed=2)
    model = build_model(SPEC2, x, theta)
    alice, bob = model.parties
    # Bob has no data and no reference to x, Alice's parameters, other parties or the model
    assert not bob.holds_data
    for v in _slot_values(bob):
        assert not isinstance(v, (type(alice), type(model)))
        if isinstance(v, np.ndarray):
            assert v.shape != x.shape or not np.allclose(v, x)
            assert v.shape != alice.params.shape or not np.allclose(v, alice.params)
    assert all(c.num_data == 0 for c in (bob.block(s) for s in bob.segments))
    with pytest.raises(ValueError, match="^party:"):
        bob.prepare()
    # each party sees its own slice only, read-only
    own = split_params(SPEC2, theta)
    np.testing.assert_array_equal(alice.params, own[0])
    np.testing.assert_array_equal(bob.params, own[1])
    assert bob.block(1).num_params == bob.num_params == SPEC2.party_params(1)
    with pytest.raises(ValueError):
        bob.params[0] = 1.0
    # changing Bob's parameters does not change what Alice's block does
    reg, _ = alice.prepare()
    before = alice.apply(0, reg)
    other = model.with_party_params([own[0], own[1] + 1.0])
    np.testing.assert_array_equal(other.alice.apply(0, reg), before)
    assert not np.allclose(forward(other), forward(model))
    # a party cannot apply a block it does not own
    with pytest.raises(ValueError, match="^segment:"):
        bob.apply(0, reg)


def test_freeze_except_keeps_the_function():
    model = random_model(SPEC2, seed=3)
    circuit, theta = model.flat_circuit(), model.flat_params()
    keep = np.arange(12, 18)  # Bob's segment
    sub, sub_theta = freeze_except(circuit, theta, keep)
    assert sub.num_params == 6 and len(sub.trainable_ops) == 6
    kw = dict(state=model.initial_state(), data=model.flat_data())
    f_full, g_full = qdist.value_and_grad(circuit, theta, model.readout(), **kw)
    f_sub, g_sub = qdist.value_and_grad(sub, sub_theta, model.readout(), **kw)
    assert f_sub == pytest.approx(f_full, abs=1e-12)
    np.testing.assert_allclose(g_sub, g_full[keep], atol=1e-10)


# ------------------------------------------------------------------------------------------------
# inference
# ------------------------------------------------------------------------------------------------


def test_inference_within_epsilon_with_stated_confidence():
    """40 independent runs (random x, θ and shots per seed) of inference to ±ε w.p. ≥ 1 − δ.

    With δ = 0.1 the number of failures is stochastically below Binomial(40, 0.1); seeing ≥ 12
    failures has probability ≤ 4e-4 under the claim (Hoeffding is conservative, the real rate is
    far lower), so the test has a false-failure probability ≤ 4e-4.
    """
    eps, delta, runs = 0.15, 0.1, 40
    threshold = 12
    assert binom.sf(threshold - 1, runs, delta) < 1e-3
    failures = 0
    for seed in range(runs):
        r = run_inference(random_model(SPEC2, seed), eps, delta, seed=seed)
        failures += int(r.error > eps)
        assert r.matches_formula
    assert failures < threshold


@pytest.mark.parametrize(
    "spec, eps, delta, result_to",
    [
        (SPEC2, 0.1, 0.05, "alice"),
        (SPEC2, 0.3, 0.2, "last"),
        (SPEC3, 0.2, 0.01, "alice"),
        (ModelSpec(features=4, layers=3, parties=3), 0.25, 0.1, "alice"),
        (ModelSpec(features=4, layers=3, parties=2, schedule="interleaved"), 0.2, 0.1, "alice"),  # Alice last
        (ModelSpec(features=6, layers=3, parties=2, classes=3), 0.2, 0.1, "alice"),
        (SPEC_DIAG, 0.05, 0.5, "alice"),
        (SPEC2, 0.008, 0.05, "alice"),  # 115 k copies: still one record per hop
    ],
)
def test_inference_ledger_equals_formula(spec, eps, delta, result_to):
    r = run_inference(random_model(spec, 1), eps, delta, seed=1, result_to=result_to)
    assert (
        r.totals == r.formula.to_dict() == costs.quantum_inference_cost(spec, eps, delta, result_to).to_dict()
    )
    S = costs.shots_for(eps, delta / spec.classes)
    assert r.totals["copies"] == S and r.details["shots"] == S
    assert r.totals["qubits"] == S * spec.hops * spec.n
    hops = r.ledger.filter(lambda m: m.kind == QUANTUM)
    assert len(hops) == spec.hops  # one record per hop, multiplicity S
    back = result_to == "alice" and spec.last_owner != 0
    assert r.totals["classical_bits"] == (S * spec.classes if back else 0)
    # privacy: the Holevo bound counts exactly what each party sent
    assert (
        sum(v["holevo_bound_bits"] for v in r.privacy["holevo"].values())
        == r.totals["qubits"] + r.totals["classical_bits"]
    )


# ------------------------------------------------------------------------------------------------
# classical baselines
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [SPEC2, SPEC3, ModelSpec(features=13, layers=5, parties=4), SPEC_DIAG])
@pytest.mark.parametrize("scheme", costs.CLASSICAL_SCHEMES)
@pytest.mark.parametrize("task", ["inference", "gradient"])
def test_classical_ledger_equals_formula(spec, scheme, task):
    model = random_model(spec, 0)
    for bits in (32, 64):
        for batch in (1, 3) if task == "gradient" else (1,):
            led = classical_ledger(model, scheme, task, bits, batch=batch)
            assert led.totals() == costs.classical_cost(spec, scheme, task, bits, batch=batch).to_dict()


def test_classical_values_are_exact():
    model = random_model(SPEC2, 4)
    r = run_classical(model, "pipeline", "gradient")
    _, g = qdist.value_and_grad(
        model.flat_circuit(),
        model.flat_params(),
        model.readout(),
        state=model.initial_state(),
        data=model.flat_data(),
    )
    np.testing.assert_allclose(r.estimate, g)
    assert r.totals["classical_bits"] == 2 * SPEC2.hops * SPEC2.features * 32
    assert r.privacy["in_clear"]["bits_in_clear"]["alice"] == SPEC2.features * 32


# ------------------------------------------------------------------------------------------------
# gradients
# ------------------------------------------------------------------------------------------------


def test_exact_gradient_is_a_reference_without_communication():
    r = run_gradient(random_model(SPEC2, 0), "exact", 0.1, 0.05)
    zero = {"qubits": 0, "classical_bits": 0, "messages": 0, "copies": 0, "ebits": 0, "transmissions": 0}
    assert r.totals == zero == r.formula.to_dict()
    assert r.error == 0.0
    assert "simulation-only" in r.details["note"]


@pytest.mark.parametrize("spec", [SPEC2, SPEC3])
def test_param_shift_gradient(spec):
    eps, delta = 0.2, 0.05
    r = run_gradient(random_model(spec, 2), "param-shift", eps, delta, seed=7)
    # each component to ±ε w.p. ≥ 1 − δ jointly (union bound): false-failure probability ≤ 5 %
    # for a random seed, and this seed is fixed
    assert r.error <= eps
    S, copies = costs.param_shift_copies(spec, eps, delta)
    assert r.totals["copies"] == copies == 2 * spec.num_params * S
    assert (
        r.totals
        == r.formula.to_dict()
        == costs.quantum_gradient_cost(spec, "param-shift", eps, delta).to_dict()
    )


@pytest.mark.parametrize("method", ["shadow", "tomography"])
@pytest.mark.parametrize(
    "spec", [ModelSpec(features=4, layers=2, parties=2), SPEC3], ids=["pipeline", "ring"]
)
def test_ancilla_gradient(method, spec):
    """The ledger of the ancilla methods, checked without trusting the protocol's own formula.

    ``r.matches_formula`` cannot fail for tomography: its copies are random, so the protocol feeds
    the *measured* copies into the formula it compares the ledger with. Instead:

    * the totals are re-added here from the message list (count · size per record), and every hop
      is accounted for by hand — each copy of segment s goes forward through the H hops, in rounds
      0 … H−1, and back H − s hops to the segment's owner, in rounds H, H+1, … — so a copy that
      skips a hop, a wrong return path or a totals bug in the ledger fails;
    * the copies themselves: layer shadows (deterministic) equal the closed form derived here,
      2ℓ_s commuting layers (an RY and an RZ layer per model layer) × S(ε, δ/P) shots; shadow
      tomography (random) must have the form the estimator's docstring (shadows/tomography.py)
      prescribes for one threshold-search run, (u + 1)·k + u·k_est with 0 ≤ u ≤ T_max updates,
      with k, k_est, T_max recomputed here from the documented constants for segment s (m = 2P_s
      observables A, d = 2ⁿ⁺¹, δ_s = δ·P_s/P) — an estimator that charges a batch or an estimate
      wrongly, or is sized with another m, d or δ, fails — and the worst-case bound
      (T_max + 1)·k + T_max·k_est equals the closed form used for the curves.
    """
    eps, delta = 0.25, 0.1
    r = run_gradient(random_model(spec, 3), method, eps, delta, seed=11)
    per_seg = r.details["copies_per_segment"]
    H, n1, P = spec.hops, spec.n + 1, spec.num_params
    assert len(per_seg) == len(spec.segments) and all(c > 0 for c in per_seg)
    records = r.ledger.records
    assert all(m.kind == QUANTUM and m.size == n1 for m in records)  # no classical message at all
    by_hand = {
        "qubits": sum(m.count * m.size for m in records),
        "classical_bits": 0,
        "messages": sum(m.count for m in records),
        "copies": sum(m.copies for m in records),
        "ebits": 0,
        "transmissions": sum(m.count * m.size for m in records),
    }
    journeys = sum(c * (2 * H - s) for s, c in enumerate(per_seg))
    assert by_hand == {
        "qubits": journeys * n1,
        "classical_bits": 0,
        "messages": journeys,
        "copies": sum(per_seg),
        "ebits": 0,
        "transmissions": journeys * n1,
    }
    assert r.totals == by_hand and r.formula.to_dict() == by_hand
    for rnd in range(2 * H):
        sent = sum(m.count for m in records if m.round == rnd)
        if rnd < H:  # every copy of every segment makes forward hop rnd
            assert sent == sum(per_seg) and {m.purpose for m in records if m.round == rnd} == {"ancilla pass"}
        else:  # backward hop rnd − H + 1 is made by the copies of segments s < 2H − rnd
            assert sent == sum(c for s, c in enumerate(per_seg) if s < 2 * H - rnd), rnd
    assert {m.purpose for m in records if m.round >= H} <= {"uncompute pass"}
    assert sum(m.copies for m in records if m.round == 0) == sum(per_seg)
    assert r.totals["copies"] == sum(per_seg)
    assert r.totals["qubits"] == sum(c * (2 * spec.hops - s) * (spec.n + 1) for s, c in enumerate(per_seg))
    assert r.totals["classical_bits"] == 0
    # the register goes forward through every hop and back to the segment's owner
    back = r.ledger.filter(lambda m: m.purpose == "uncompute pass")
    assert back.messages == sum(c * (spec.hops - s) for s, c in enumerate(per_seg))
    if method == "shadow":  # deterministic copies: the closed form without measured counts
        S = math.ceil(2 * math.log(2 * P / delta) / eps**2)  # S(ε, δ/P)
        assert per_seg == [2 * (b - a) * S for _, a, b in spec.segments]
        assert per_seg == costs.shadow_copies(spec, eps, delta)
        assert r.totals == costs.quantum_gradient_cost(spec, "shadow", eps, delta).to_dict()
    else:  # random copies, below the worst-case bound of the closed form
        bounds = []
        for s, c in enumerate(per_seg):
            P_s = spec.segment_params(s)
            num_obs, d, delta_s = 2 * P_s, 2**n1, delta * P_s / P
            eps_a = 2 * eps / 3
            t_max = math.ceil(512 / 9 * math.log(d) / eps_a**2)
            delta_r = delta_s / (2 * t_max + 1)
            k = math.ceil(32 * (math.log(2 * num_obs) ** 2 + math.log(4 * num_obs / delta_r)) / eps_a**2)
            k_est = math.ceil(128 * math.log(2 / delta_r) / eps_a**2)
            updates, rest = divmod(c - k, k + k_est)
            assert rest == 0 and 0 <= updates <= t_max, (s, c, k, k_est)
            bounds.append((t_max + 1) * k + t_max * k_est)
        assert costs.tomography_copies(spec, eps, delta) == bounds == r.details["copies_bound_per_segment"]
        assert r.details["within_bound"]
        assert r.totals["copies"] <= costs.quantum_gradient_cost(spec, "tomography", eps, delta).copies
    # every component to ±ε w.p. ≥ 1 − δ (union bound over P): false-failure probability ≤ 10 %
    # for a random seed; the seed is fixed
    assert r.error <= eps


@pytest.mark.parametrize("method", ["param-shift", "shadow", "spsa"])
@pytest.mark.parametrize("eps, delta", [(0.3, 0.2), (0.15, 0.01)])
@pytest.mark.parametrize(
    "spec", [SPEC_DIAG, ModelSpec(features=4, layers=3, parties=3)], ids=["diag", "three-party"]
)
def test_gradient_ledger_equals_closed_form(method, eps, delta, spec):
    """Deterministic copy counts: the ledger equals the closed form with no measured input."""
    r = run_gradient(random_model(spec, 5), method, eps, delta, seed=2, reference=False)
    assert r.totals == costs.quantum_gradient_cost(spec, method, eps, delta).to_dict()
    for bits in (32, 64):
        per_sample, per_step = costs.gradient_parts(spec, method, eps, delta, bits)
        assert per_sample.classical_bits == 0 and per_step.qubits == 0


def test_spsa_gradient_ledger():
    """SPSA is a biased baseline: only its accounting is checked."""
    r = run_gradient(random_model(SPEC2, 3), "spsa", 0.2, 0.1, seed=1, samples=3)
    assert r.matches_formula
    assert r.totals["copies"] == costs.spsa_copies(0.2, 0.1, 3) == 6 * costs.shots_for(0.2, 0.1)


# ------------------------------------------------------------------------------------------------
# linear classifier
# ------------------------------------------------------------------------------------------------


def test_linear_quantum_statistics_exact_and_sampled():
    rng = np.random.default_rng(0)
    for N in (1, 3, 8, 13):
        x, w = rng.normal(size=N), rng.normal(size=N)
        mean, state = quantum_linear_statistics(x, w)
        assert np.linalg.norm(state) == pytest.approx(1.0)
        assert mean == pytest.approx(x @ w / np.linalg.norm(x) / np.linalg.norm(w), abs=1e-12)
    x, w = rng.normal(size=16), rng.normal(size=16)
    res = [run_linear(x, w, epsilon=0.1, delta=0.1, seed=s) for s in range(40)]
    # failures ≤ Binomial(40, 0.1) in distribution: P(≥ 12) ≤ 4e-4 (as for inference below)
    assert sum(abs(r["estimate"] - r["exact"]) > 0.1 for r in res) < 12
    for r in res[:3]:
        assert r["ledger"].totals() == r["formula"].to_dict()


@pytest.mark.parametrize("scheme", ["quantum", "sketch", "ship-data", "ship-model"])
def test_linear_decisions_and_costs(scheme):
    rng = np.random.default_rng(1)
    x = rng.normal(size=32)
    w = x + 0.3 * rng.normal(size=32)
    r = run_linear(x, w, margin=0.5, delta=0.05, seed=3, scheme=scheme)
    assert r["decision"] == r["exact_decision"] == 1
    assert r["ledger"].totals() == r["formula"].to_dict()
    from qdist.network.linear import linear_cost

    assert r["formula"] == linear_cost(32, scheme, 0.5, 0.05)


# ------------------------------------------------------------------------------------------------
# bad inputs: one-line ValueErrors starting with the argument name
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, start",
    [
        (lambda: ModelSpec(features=0, layers=2), "features:"),
        (lambda: ModelSpec(features=-3, layers=2), "features:"),
        (lambda: ModelSpec(features=4, layers=0), "layers:"),
        (lambda: ModelSpec(features=4, layers=2, parties=3), "parties:"),
        (lambda: ModelSpec(features=4, layers=2, parties=1), "parties:"),
        (lambda: ModelSpec(features=4, layers=2, schedule="star"), "schedule:"),
        (lambda: ModelSpec(features=4, layers=2, classes=3), "classes:"),
        (lambda: run_inference(random_model(SPEC2, 0), 0.0, 0.1), "epsilon:"),
        (lambda: run_inference(random_model(SPEC2, 0), -0.1, 0.1), "epsilon:"),
        (lambda: run_inference(random_model(SPEC2, 0), 0.1, 0.0), "delta:"),
        (lambda: run_inference(random_model(SPEC2, 0), 0.1, 1.0), "delta:"),
        (lambda: run_inference(random_model(SPEC2, 0), 0.1, 0.1, result_to="bob"), "result_to:"),
        (lambda: run_gradient(random_model(SPEC2, 0), "backprop", 0.1, 0.1), "method:"),
        (lambda: costs.quantum_gradient_cost(SPEC2, "magic", 0.1, 0.1), "method:"),
        (lambda: costs.classical_cost(SPEC2, "carrier-pigeon"), "scheme:"),
        (lambda: costs.shots_for(0.1, 2.0), "delta:"),
        (lambda: run_linear(np.ones(4), np.ones(4), margin=0.0), "margin:"),
    ],
)
def test_bad_inputs(call, start):
    with pytest.raises(ValueError) as e:
        call()
    msg = str(e.value)
    assert msg.startswith(start) and "\n" not in msg


def test_two_way_holevo_bound():
    """A party that also receives qubits gets the two-way bound 2k + c; numbers re-added from the
    ledger's messages by hand."""
    spec = ModelSpec(features=4, layers=2, parties=2)
    r = run_gradient(random_model(spec, 3), "shadow", 0.3, 0.1, seed=1)  # ancilla goes forward and back
    for party, rep in r.privacy["holevo"].items():
        sent = [m for m in r.ledger if m.sender == party]
        k = sum(m.qubits for m in sent)
        c = sum(m.classical_bits for m in sent)
        got = sum(m.qubits for m in r.ledger if m.receiver == party)
        assert rep["holevo_bound_bits"] == k + c and rep["two_way_bound_bits"] == 2 * k + c
        assert rep["bound_that_applies"] == ("two-way" if got and k else "one-way")
    assert r.privacy["holevo"]["bob"]["bound_that_applies"] == "two-way"
