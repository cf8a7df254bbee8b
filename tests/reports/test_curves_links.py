"""`run_curves` over physical links: the quantum schemes' closed forms gain the link terms, the
simulated points run through the same links and still match, and ``metric="time"`` writes the time
figure with the expected network time derived by hand."""

from __future__ import annotations

import csv

import pytest

from qdist.network import costs
from qdist.network.links import Link, Links
from qdist.network.model import ModelSpec
from qdist.reports.curves import run_curves


def _rows(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_teleport_lossy_curves(tmp_path):
    L, B = 1e-3, 1e6
    links = Links.uniform(Link(loss=0.2, transport="teleport", latency=L, bandwidth=B))
    kw = dict(n_max=4, layers=3, parties=2, sim_max_n=2, progress=False, scheduler="serial")
    s = run_curves(tmp_path / "links", "inference", links=links, metric="time", **kw)
    ideal = run_curves(tmp_path / "ideal", "inference", **kw)
    assert not s["failed"] and not s["mismatches"] and s["simulated_rows"] > 0
    assert (tmp_path / "links" / "curves_time.png").stat().st_size > 1000
    rows = [r for r in _rows(s["files"]["csv"]) if r["scheme"] == "quantum"]
    base = {
        r["N"]: r
        for r in _rows(ideal["files"]["csv"])
        if r["scheme"] == "quantum" and r["source"] == "formula"
    }
    for r in rows:
        if r["source"] == "simulated":
            assert r["formula_match"] == "True"
            continue
        N, b = int(r["N"]), base[r["N"]]
        spec = ModelSpec(features=N, layers=3, parties=2, schedule="interleaved", model="diag")
        S, H, n = costs.shots_for(0.1, 0.05), spec.hops, spec.n
        assert int(r["qubits"]) == 0 and int(r["ebits"]) == int(b["qubits"]) == S * H * n
        assert int(r["classical_bits"]) == int(b["classical_bits"]) + 2 * S * H * n
        assert float(r["transmissions"]) == pytest.approx(S * H * n / 0.8, rel=1e-12)
        # the ebits are pre-shared: each hop costs a latency and the 2nS correction bits; the ring
        # L = 3 over K = 2 ends at Alice, so no result message
        assert spec.last_owner == 0
        assert float(r["network_seconds"]) == pytest.approx(H * (L + 2 * n * S / B), rel=1e-12)
    assert {r["network_seconds"] for r in _rows(s["files"]["csv"]) if r["kind"] == "classical"} == {""}


def test_bad_metric(tmp_path):
    with pytest.raises(ValueError, match=r"^metric: expected one of volume, time"):
        run_curves(tmp_path, "inference", n_max=2, metric="speed", progress=False)
