"""The sweep executor (local spawned processes, a real Dask LocalCluster on loopback, serial) and
chunked batched simulation (chunk-size logic, one real n = 20 batch).

Everything here is deterministic (explicit seeds): there are no statistical tolerances.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import qdist
from qdist.reports.curves import run_curves
from qdist.scale import Results, Task, demo, resolve_scheduler, run_tasks
from qdist.sim import chunking
from qdist.sim.chunking import bytes_per_element, chunk_size, chunked_expval

# ------------------------------------------------------------------------------------------------
# scheduler resolution and task checks (no workers)
# ------------------------------------------------------------------------------------------------


def test_resolve_scheduler(monkeypatch):
    monkeypatch.delenv("QDIST_SCHEDULER", raising=False)
    assert resolve_scheduler(None) == "processes"
    monkeypatch.setenv("QDIST_SCHEDULER", "tcp://10.0.0.1:8786")
    assert resolve_scheduler(None) == "tcp://10.0.0.1:8786"
    assert resolve_scheduler("serial") == "serial"
    for bad in ("threads", "tcp://", 8786):
        with pytest.raises(ValueError, match="^scheduler:"):
            resolve_scheduler(bad)


def test_task_checks():
    with pytest.raises(TypeError, match="top-level"):
        run_tasks([Task("a", lambda seed: seed, {"seed": 1})], scheduler="processes", progress=False)
    with pytest.raises(ValueError, match="duplicate name 'a'"):
        run_tasks([Task("a", demo.seeded_sum, {"seed": 1})] * 2, scheduler="serial", progress=False)
    with pytest.raises(ValueError, match="^workers:"):
        run_tasks([Task("a", demo.seeded_sum, {"seed": 1})], workers=0, progress=False)
    with pytest.raises(ValueError, match="^retries:"):
        run_tasks([], retries=-1, progress=False)


def test_serial_retry_failure_and_checkpoint_resume(tmp_path):
    ckpt = tmp_path / "run.jsonl"
    tasks = [Task(f"s{i}", demo.seeded_sum, {"seed": i}) for i in range(3)]
    tasks += [
        Task("flaky", demo.fail_once, {"seed": 5, "marker": str(tmp_path / "m")}),
        Task("bad", demo.always_fail, {"seed": 1}),
    ]
    seen = []
    r = run_tasks(
        tasks, scheduler="serial", progress=False, on_result=lambda n, v: seen.append(n), checkpoint=ckpt
    )
    assert isinstance(r, Results) and not r.ok
    assert r.failed == {"bad": "ValueError: seed 1 always fails"}
    assert r.attempts == {"s0": 1, "s1": 1, "s2": 1, "flaky": 2, "bad": 2}
    assert r.done["flaky"] == demo.seeded_sum(5) and r.done["s2"] == demo.seeded_sum(2)
    assert sorted(seen) == sorted(r.done)
    lines = ckpt.read_text().splitlines()
    assert sorted(json.loads(x)["name"] for x in lines) == sorted(r.done)
    # a crash mid-line: the cut line is ignored, the others are resumed without running again
    ckpt.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:10])
    cut = json.loads(lines[-1])["name"]
    r2 = run_tasks(tasks[:4], scheduler="serial", progress=False, checkpoint=ckpt)
    assert r2.ok and r2.done == r.done and sorted(r2.resumed) == sorted(set(r.done) - {cut})
    assert r2.attempts[cut] == 1 and all(r2.attempts[n] == 0 for n in r2.resumed)
    # same name, different arguments: not reused
    r3 = run_tasks(
        [Task("s0", demo.seeded_sum, {"seed": 9})], scheduler="serial", progress=False, checkpoint=ckpt
    )
    assert r3.resumed == [] and r3.done["s0"] == demo.seeded_sum(9)


def test_local_processes_survive_a_killed_worker(tmp_path):
    tasks = [Task(f"s{i}", demo.seeded_sum, {"seed": i}) for i in range(4)]
    tasks.append(Task("kill", demo.kill_worker_once, {"seed": 7, "marker": str(tmp_path / "m")}))
    r = run_tasks(tasks, scheduler="processes", workers=2, progress=False, checkpoint=tmp_path / "c.jsonl")
    assert r.ok and r.attempts["kill"] == 2
    assert r.done == {t.name: demo.seeded_sum(t.kwargs["seed"]) for t in tasks}
    assert len((tmp_path / "c.jsonl").read_text().splitlines()) == len(tasks)


# ------------------------------------------------------------------------------------------------
# a real Dask cluster on loopback
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    import distributed  # a pyproject dependency (dask[distributed]): a failing import fails the tests

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c.scheduler_address


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_curves_sweep_on_dask_equals_local_processes(cluster, tmp_path, monkeypatch):
    kw = dict(task="inference", n_max=5, sim_max_n=2, seed=3, progress=False)
    monkeypatch.setenv("QDIST_SCHEDULER", cluster)  # the environment variable route
    s_dask = run_curves(tmp_path / "dask", **kw)
    monkeypatch.delenv("QDIST_SCHEDULER")
    s_local = run_curves(tmp_path / "local", workers=2, **kw)
    assert s_dask["failed"] == {} and s_local["failed"] == {} and not s_dask["mismatches"]
    assert s_dask["simulated_rows"] == s_local["simulated_rows"] > 0
    assert _rows(tmp_path / "dask" / "curves.csv") == _rows(tmp_path / "local" / "curves.csv")
    assert not (tmp_path / "dask" / "curves.partial.jsonl").exists()  # removed after a clean run


def test_dask_killed_worker_loses_no_finished_result(cluster, tmp_path):
    tasks = [Task(f"s{i}", demo.sleep_then, {"seed": i, "seconds": 0.2}) for i in range(6)]
    tasks.insert(
        3, Task("kill", demo.kill_worker_once, {"seed": 7, "marker": str(tmp_path / "m"), "delay": 0.3})
    )
    tasks.append(Task("bad", demo.always_fail, {"seed": 2}))
    got = {}
    r = run_tasks(
        tasks, scheduler=cluster, progress=False, on_result=got.__setitem__, checkpoint=tmp_path / "c.jsonl"
    )
    assert (tmp_path / "m").exists()  # the worker really died once
    assert r.failed == {"bad": "ValueError: seed 2 always fails"} and r.attempts["bad"] == 2
    want = {t.name: demo.seeded_sum(t.kwargs["seed"]) for t in tasks if t.name != "bad"}
    assert r.done == want and got == want
    recs = [json.loads(x) for x in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert {x["name"]: x["result"] for x in recs} == want


def test_cli_scheduler_flags(capsys, tmp_path):
    from qdist.cli.main import main

    for argv, flag in (
        (["--scheduler", "threads"], "--scheduler"),
        (["--workers", "0"], "--workers"),
    ):
        code = main(["curves", "--out", str(tmp_path), "--no-progress", *argv])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and err[0].startswith(f"qdist curves: error: {flag}:")
    code = main(
        [
            "curves",
            "--out",
            str(tmp_path),
            "--n-max",
            "3",
            "--sim-max-n",
            "1",
            "--scheduler",
            "serial",
            "--json",
        ]
    )
    assert code == 0 and json.loads(capsys.readouterr().out)["simulated_rows"] > 0


# ------------------------------------------------------------------------------------------------
# chunked batched simulation
# ------------------------------------------------------------------------------------------------


def test_chunk_size_logic(monkeypatch):
    # 2ⁿ amplitudes × 16 bytes × 4 live states per batch element
    assert bytes_per_element(20) == 2**20 * 16 * 4 == 64 * 2**20
    assert bytes_per_element(20, dtype="complex64") == 32 * 2**20
    assert bytes_per_element(24) == 2**30
    assert chunk_size(20, 100, memory_bytes=64 * 2**20 * 7 + 5) == 7
    assert chunk_size(20, 3, memory_bytes=2**40) == 3  # never more than the batch
    assert chunk_size(24, 1000, memory_bytes=24 * 2**30) == 24
    assert chunk_size(10, 10, memory_bytes=2**20, live_states=2) == 10
    with pytest.raises(MemoryError, match="^memory_bytes: one batch element at n = 24"):
        chunk_size(24, 4, memory_bytes=2**30 - 1)
    with pytest.raises(ValueError, match="^memory_bytes:"):
        chunk_size(4, 4, memory_bytes=0)
    # automatic budget: 80 % of what psutil (or the Dask worker's limit) says is available
    monkeypatch.setattr(chunking, "available_memory", lambda: 19 * 2**30)
    assert chunk_size(24, 1000) == int(0.8 * 19 * 2**30) // 2**30 == 15
    monkeypatch.undo()  # the real available_memory (psutil), which must report something
    assert chunking.available_memory() > 0


def test_chunked_expval_matches_one_batch(ref):
    rng = np.random.default_rng(11)
    n, P = 4, 3
    circ = ref.build_qdist(n, ref.random_spec(rng, n, 12, P, data=True), P)
    obs = ref.obs_qdist(ref.random_observable(rng, n))
    B = 7
    params = rng.uniform(-np.pi, np.pi, (B, P))
    states = rng.normal(size=(B, 2**n)) + 1j * rng.normal(size=(B, 2**n))
    states /= np.linalg.norm(states, axis=1, keepdims=True)
    data = rng.uniform(-1, 1, (B, circ.num_data)) if circ.num_data else None
    whole = qdist.expval(circ, params, obs, state=states, data=data)
    # 3 elements per chunk: chunks of 3, 3 and 1 (padded to 3)
    per = bytes_per_element(n)
    got = chunked_expval(circ, params, obs, states=states, data=data, memory_bytes=3 * per + 1)
    np.testing.assert_allclose(got, whole, atol=1e-12)
    # shared params, batched states only
    got = chunked_expval(
        circ, params[0], obs, states=states, data=None if data is None else data[0], memory_bytes=2 * per
    )
    ref_vals = [
        qdist.expval(circ, params[0], obs, state=s, data=None if data is None else data[0]) for s in states
    ]
    np.testing.assert_allclose(got, ref_vals, atol=1e-12)
    with pytest.raises(ValueError, match="^batch:"):
        chunked_expval(circ, params, obs, states=states[:3], data=data, memory_bytes=per)


def test_chunked_expval_real_n20_batch():
    """n = 20 (16 MiB per state), 3 parameter sets in chunks of 2: RY(θ₀)⊗RY(θ₁), CX(1→19);
    ⟨Z₀ + Z₁₉⟩ = cos θ₀ + cos θ₁ (Z₁₉ is conjugated to Z₁Z₁₉ by the CNOT)."""
    n = 20
    circ = qdist.make_circuit(
        n, [qdist.gate("RY", (0,), 0), qdist.gate("RY", (1,), 1), qdist.gate("CX", (1, 19))]
    )
    obs = qdist.pauli_sum([(1.0, {0: "Z"}), (1.0, {19: "Z"})])
    params = np.array([[0.3, 1.1], [2.0, -0.4], [np.pi, 0.0]])
    got = chunked_expval(circ, params, obs, memory_bytes=2 * bytes_per_element(n))
    np.testing.assert_allclose(got, np.cos(params[:, 0]) + np.cos(params[:, 1]), atol=1e-12)
