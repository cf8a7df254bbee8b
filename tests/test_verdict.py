"""The demo's verdict lines (qdist.reports.verdict) on the real closed forms."""

from qdist.network.spec import DEFAULT_MODEL
from qdist.reports.crossovers import crossovers
from qdist.reports.schemes import schemes_for
from qdist.reports.verdict import classical_costs, verdict_line

CFG = dict(epsilon=0.1, delta=0.05, bits=32, margin="sqrtN", steps=10, batch=1, **DEFAULT_MODEL)
GRID = [2**k for k in range(1, 61)]


def test_wide_model_verdict_names_the_cheapest_protocol_and_the_crossover():
    classical = classical_costs(CFG, 64)
    naive = {k: v["communication"] for k, v in classical.items() if v["kind"] == "classical"}
    assert min(naive, key=naive.get) == "ship-model-once"
    cross = crossovers(schemes_for("training", CFG), GRID)["shadow"]
    line = verdict_line("wide", 1e8, 64, classical, cross)
    assert "classical is cheaper here" in line and "ship the model once" in line
    assert "from N ≈ 2^17.0" in line  # 131073 = 2^17 + 1
    assert "stays above the hard family's classical lower bound" in line  # 2^83 > 2^60


def test_hea_verdict_is_never():
    cfg = {**CFG, "model": "hea", "schedule": "pipeline", "layers": 4}
    cross = crossovers(schemes_for("training", cfg), GRID)["shadow"]
    line = verdict_line("hea", 1e8, 64, classical_costs(cfg, 64), cross)
    assert "never cheaper" in line and "ship the model" in line
