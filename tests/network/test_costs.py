"""Closed-form costs (docs/concepts/protocols.md#protocols-and-communication): exact integers up to N = 2⁶⁰, the linear-classifier margin, the
crossover search and the curves report (files, columns, simulated points = formula)."""

from __future__ import annotations

import csv
import json
import math

import pytest

import qdist
from qdist.network import costs
from qdist.network.costs import CostTotals, shots_for
from qdist.network.linear import linear_cost, resolve_margin, sketch_bits
from qdist.network.model import ModelSpec, num_qubits
from qdist.network.privacy import classical_leakage
from qdist.reports.curves import _first_cheaper, run_curves


def test_shots_hoeffding():
    assert shots_for(0.1, 0.05) == math.ceil(2 * math.log(40) / 0.01) == 738
    assert shots_for(1.0, 2 / math.e) == 2  # 2·ln(e) = 2 exactly: no spurious round-up
    assert shots_for(0.05, 0.05) > shots_for(0.1, 0.05) > shots_for(0.1, 0.5)


@pytest.mark.parametrize(
    "N, n", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (2**60, 60), (2**60 + 1, 61), (10**30, 100)]
)
def test_num_qubits_exact(N, n):
    assert num_qubits(N) == n


def test_formulas_at_two_to_the_sixty():
    N = 2**60
    spec = ModelSpec(features=N, layers=4, parties=3, model="diag")
    S = shots_for(0.1, 0.05)
    inf = costs.quantum_inference_cost(spec, 0.1, 0.05)
    assert inf == CostTotals(S * 2 * 60, S, S * 2 + 1, S)
    P, P_A, P_B = spec.num_params, spec.party_params(0), spec.party_params(1)
    assert P == P_A + P_B + spec.party_params(2)
    pipe = costs.classical_cost(spec, "pipeline", "gradient", bits=64)
    assert pipe.classical_bits == 2 * 2 * N * 64 and isinstance(pipe.classical_bits, int)
    ship = costs.classical_cost(spec, "ship-data", "gradient")
    assert ship.classical_bits == N * 32 + 2 * (P - P_B) * 32
    for m in ("param-shift", "shadow", "tomography"):
        g = costs.quantum_gradient_cost(spec, m, 0.1, 0.05)
        assert isinstance(g.qubits, int) and g.qubits > 0
    # tomography is polylogarithmic: below the classical pipeline at N = 2⁶⁰
    assert costs.quantum_gradient_cost(spec, "tomography", 0.1, 0.05).communication < pipe.communication
    # parameter shift pays 2P copies: with N-parameter layers it is worse than every classical scheme
    assert costs.quantum_gradient_cost(spec, "param-shift", 0.1, 0.05).communication > ship.communication


def test_param_shift_formula_structure():
    spec = ModelSpec(features=16, layers=3, parties=3)
    S, copies = costs.param_shift_copies(spec, 0.1, 0.05)
    # Hoeffding for (f₊ − f₋)/2: 2S terms of range 1/S → 2·exp(−ε²S) ≤ δ/P (issue 12: was S(ε, δ/P))
    assert S == math.ceil(math.log(2 * spec.num_params / 0.05) / 0.1**2) and copies == 2 * spec.num_params * S
    g = costs.quantum_gradient_cost(spec, "param-shift", 0.1, 0.05, bits=64, batch=3)
    last = spec.party_params(spec.last_owner)
    assert g == CostTotals(3 * copies * 2 * 4, (spec.num_params - last) * 64, 3 * copies * 2 + 2, 3 * copies)
    assert costs.quantum_gradient_cost(spec, "exact", 0.1, 0.05) == CostTotals()


def test_ancilla_hops_and_segment_deltas():
    spec = ModelSpec(features=8, layers=6, parties=3)
    assert [costs.ancilla_hops(spec, s) for s in range(3)] == [4, 3, 2]
    assert sum(costs.segment_deltas(spec, 0.05)) == pytest.approx(0.05)
    g = costs.quantum_gradient_cost(spec, "tomography", 0.2, 0.1, copies=[10, 20, 30])
    assert g == CostTotals((10 * 4 + 20 * 3 + 30 * 2) * 4, 0, 10 * 4 + 20 * 3 + 30 * 2, 60)


def test_gate_layers_and_shadow_copies():
    spec = ModelSpec(features=8, layers=3, parties=2, model="diag")  # Alice 2 layers, Bob 1
    assert costs.gate_layers(spec, 0) == [(3, 4)]
    # Bob's diag layer: RY | RZ layers of 3 rotations and ONE layer of the 7 commuting Z-strings
    # (issue 12: commuting generators form one layer; it used to split into 2ⁿ⁻¹ + 2 layers)
    assert costs.gate_layers(spec, 1) == [(3, 2), (7, 1)]
    S = shots_for(0.1, 0.05 / spec.num_params)
    assert costs.shadow_copies(spec, 0.1, 0.05) == [4 * S, 3 * S]
    big = ModelSpec(features=2**60, layers=2, parties=2, model="diag")
    assert costs.gate_layers(big, 1) == [(60, 2), (2**60 - 1, 1)]
    assert costs.spsa_copies(0.1, 0.05, 4) == 8 * shots_for(0.1, 0.05)


def test_gate_layers_match_the_estimator():
    from qdist.network.model import party_blocks
    from shadows import layers as layers_mod

    for spec in (
        ModelSpec(features=8, layers=3, parties=2, model="diag"),
        ModelSpec(features=2, layers=2, model="diag"),
    ):
        for s, (owner, _, _) in enumerate(spec.segments):
            found = layers_mod.find_layers(party_blocks(spec, owner)[s])
            sizes = sorted(len(layer.ops) for layer in found)
            expected = sorted(size for size, c in costs.gate_layers(spec, s) for _ in range(c))
            assert sizes == expected


def test_linear_margin_and_vanishing_advantage():
    assert resolve_margin("sqrtN", 64) == pytest.approx(1 / 8)
    for n in range(4, 61, 4):
        N = 2**n
        q_worst = linear_cost(N, "quantum", "sqrtN", 0.05)
        assert q_worst.communication > linear_cost(N, "ship-data", "sqrtN", 0.05).communication
        # at a fixed margin the quantum cost is O(log N/γ²) … but public-coin sketching is O(1/γ²)
        q_fixed = linear_cost(N, "quantum", 0.1, 0.05)
        assert q_fixed.communication > linear_cost(N, "sketch", 0.1, 0.05).communication
        assert q_fixed.qubits == shots_for(0.1, 0.05) * (n + 1)
    assert (
        linear_cost(2**40, "quantum", 0.1, 0.05).communication
        < linear_cost(2**40, "ship-data", 0.1, 0.05).communication
    )
    assert sketch_bits(0.1, 0.05) == math.ceil(math.pi**2 * math.log(40) / 0.02)


def test_first_cheaper_bisection():
    grid = [2**k for k in range(1, 21)]
    q = lambda N: 1000 * max(1, (N - 1).bit_length())  # noqa: E731
    c = lambda N: 32 * N  # noqa: E731
    x = _first_cheaper(q, c, grid)
    assert q(x) < c(x) and q(x - 1) >= c(x - 1)
    assert _first_cheaper(lambda N: 40 * N, c, grid) is None
    assert _first_cheaper(lambda N: 1, c, grid) == 2


def test_privacy_classical_leakage():
    spec = ModelSpec(features=16, layers=2, parties=2)
    leak = classical_leakage(spec, 32)
    assert leak["ship-data"]["bits_in_clear"]["alice"] == 16 * 32 + spec.party_params(0) * 32
    assert leak["ship-model"]["bits_in_clear"]["bob"] == spec.party_params(1) * 32
    assert leak["pipeline"]["bits_in_clear"]["alice"] == 16 * 32


def test_run_curves_files(tmp_path):
    out = tmp_path / "curves"
    s = run_curves(out, "inference", n_max=12, sim_max_n=2, layers=2, schedule="pipeline", progress=False)
    for f in ("curves.csv", "curves.json", "crossover.json", "curves.png"):
        assert (out / f).stat().st_size > 0
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == [
        "crossover.json",
        "curves.csv",
        "curves.json",
        "curves.png",
    ]
    rows = list(csv.DictReader((out / "curves.csv").open()))
    assert {"task", "scheme", "N", "qubits", "classical_bits"} <= set(rows[0])
    schemes = {r["scheme"] for r in rows}
    assert {"quantum", "pipeline", "ship-data", "ship-model", "linear-quantum"} <= schemes
    sim = [r for r in rows if r["source"] == "simulated"]
    assert sim and all(r["formula_match"] == "True" for r in sim) and not s["mismatches"]
    assert {int(r["N"]) for r in sim} == {2, 4}
    cross = json.loads((out / "crossover.json").read_text())
    q = cross["results"][0]["crossovers"]["quantum"]
    # The crossovers, derived by hand from docs/concepts/protocols.md#protocols-and-communication for ε = 0.1, δ = 0.05,
    # L = 2, K = 2 pipeline, diag model, b = 32 (the default of earlier releases): n = ⌈log₂ N⌉, S = ⌈2 ln 40/0.01⌉ = 738 copies
    # through one hop and one bit per shot back to Alice, so quantum = 738·(n + 1); pipeline
    # = 32·(N + 1), ship-data = 32·(N + 1) + 32·2n (Alice's angles), ship-model = 32·(2ⁿ − 1 + 2n)
    # (Bob's phases and angles) — pipeline is the cheapest classical scheme for every N ≤ 2ⁿ.
    # For n ≤ 7, 32·(2ⁿ + 1) < 738·(n + 1): quantum never wins. For n = 8 (128 < N ≤ 256) quantum
    # costs 738·9 = 6642 and pipeline passes it at N = 207 (6656; 6624 at N = 206); for n ≥ 9
    # pipeline ≥ 32·(2ⁿ⁻¹ + 2) > 738·(n + 1) everywhere. Likewise ship-data passes 6642 at N = 191
    # (6656; 6624 at 190), ship-model jumps from 4512 (n = 7) to 8672 (n = 8) at N = 129.
    # (A crossover anywhere in 2 … 2¹² or none — the old check — holds for any output.)
    assert q["vs_best_classical"] == 207 and q["communication_at_crossover"] == 738 * 9
    # importance sampling (it applies here: Bob holds only the last layer) costs 2n·32 + 738·(n + 32)
    # + 96 > 738·(n + 1) at every N — quantum is cheaper from N = 2, by the constant (n + 32)/(n + 1)
    assert q["vs"] == {"pipeline": 207, "ship-data": 191, "ship-model": 129, "importance-sampling": 2}
    # the lower bound ⌈N^{1/3}⌉ ≤ 16 bits stays below 738·(n + 1) for N ≤ 2¹²
    assert q["vs_lower_bound"] == {"lower-bound-hard-family": None}
    assert cross["results"][0]["crossovers"]["linear-quantum"]["vs_best_classical"] is None
    assert s["crossovers"] == cross["results"][0]["crossovers"]


def test_run_curves_gradient_formula_only(tmp_path):
    s = run_curves(tmp_path, "gradient", n_max=60, sim_max_n=0, epsilon=[0.1, 0.2], progress=False)
    c = s["crossovers"]
    assert c["param-shift"]["vs_best_classical"] is None
    assert c["tomography"]["vs_best_classical"] is not None  # polylog: crosses below 2⁶⁰
    assert len(s["all_crossovers"]) == 2
    rows = list(csv.DictReader((tmp_path / "curves.csv").open()))
    assert {r["epsilon"] for r in rows} == {"0.1", "0.2"}
    assert (
        len(rows) == 2 * 60 * 8
    )  # 4 quantum (tomography twice: worst case, model), 3 naive classical, the lower bound


def test_default_gradient_curves_cross_below_2_to_16(tmp_path):
    # the default wide interleaved model (L = 3): the layer-shadow gradient beats every naive
    # classical protocol from N ≤ 2^16, and the report says how it compares with the lower bound
    s = run_curves(tmp_path, "gradient", n_max=60, sim_max_n=0, progress=False)
    shadow = s["crossovers"]["shadow"]
    assert shadow["vs_best_classical"] is not None and shadow["vs_best_classical"] <= 2**16
    assert set(shadow["vs_lower_bound"]) == {"lower-bound-hard-family"}
    doc = json.loads((tmp_path / "crossover.json").read_text())
    assert "does not apply" in doc["bounds"]["importance-sampling"]
    assert "upper bounds" in doc["bounds"]["classical"]
    assert "importance-sampling" not in shadow["vs"]


def test_run_curves_training_simulated(tmp_path):
    assert "param-shift" in qdist.methods()  # a missing estimator fails (run_curves would drop its rows)
    s = run_curves(tmp_path, "training", n_max=6, sim_max_n=1, steps=2, batch=2, model="hea", progress=False)
    assert not s["mismatches"] and s["simulated_rows"] >= 4


@pytest.mark.parametrize(
    "kwargs, start",
    [
        (dict(task="dreaming"), "task:"),
        (dict(n_max=0), "n_max:"),
        (dict(sim_max_n=21), "sim_max_n:"),
        (dict(epsilon=0), "epsilon:"),
        (dict(delta=1.5), "delta:"),
        (dict(parties=3, layers=2), "parties:"),
        (dict(margin="wide"), "margin:"),
    ],
)
def test_run_curves_bad_inputs(tmp_path, kwargs, start):
    with pytest.raises(ValueError) as e:
        run_curves(tmp_path, **{"progress": False, **kwargs})
    assert str(e.value).startswith(start)


def test_ship_model_once_training_baseline():
    """Training by shipping the model once: (P − P_A)·b to Alice and the trained blocks back, for
    any number of steps; the simulated ledger (ship-model messages, once) equals the closed form."""
    from qdist.network.classical import classical_ledger
    from qdist.network.model import random_model

    spec = ModelSpec(features=16, layers=3, parties=3)
    moved = spec.num_params - spec.party_params(0)
    assert costs.ship_model_once_cost(spec, 32) == CostTotals(0, 2 * moved * 32, 4, 0)
    led = classical_ledger(random_model(spec, 0), "ship-model", "gradient", 32)
    assert CostTotals(**led.totals()) == costs.ship_model_once_cost(spec, 32)
    per_step = costs.classical_cost(spec, "ship-model", "gradient", 32)
    assert (
        costs.training_cost(per_step, 10).classical_bits
        == 10 * costs.ship_model_once_cost(spec).classical_bits
    )
