"""Damaged registry records (issue 15, item 3): listed as damaged with their file name, fetched when
their result file is intact, never a bare JSON decoder error from ``submit``; read-only ``jobs``
commands create nothing; a short id prefix states the prefix rule.

Real Aer jobs on a two-qubit circuit (a fraction of a second each); the damage is done to the files.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import qdist
import qdist.backends as qb
from qdist.backends import JobRegistry
from qdist.cli.main import main

SMALL = qdist.make_circuit(2, [qdist.gate("RY", 0, 0), qdist.gate("CX", (0, 1)), qdist.gate("RX", 1, 1)], 2)
PARAMS = np.array([0.9, -0.4])
OBS = qdist.pauli_sum({"ZI": 1.0, "IZ": 0.5})
DAMAGE = {
    "truncated": lambda b: b[: len(b) // 3],
    "empty": lambda b: b"",
    "random bytes": lambda b: np.random.default_rng(5).bytes(200),
    "not a record": lambda b: b"[1, 2, 3]",
}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QDIST_CACHE", str(tmp_path / "cache"))


def _run(reg):
    return qb.expval(qb.get_backend("aer", registry=reg), SMALL, PARAMS, OBS, shots=200, seed=3)


def _one_job(tmp_path):
    reg = JobRegistry(tmp_path / "jobs")
    res = _run(reg)
    (rec,) = reg.records()
    return reg, res, rec


def _cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_record_is_listed_fetchable_and_recovered(tmp_path, capsys, kind):
    reg, res, rec = _one_job(tmp_path)
    path = reg.root / f"{rec['key']}.json"
    path.write_bytes(DAMAGE[kind](path.read_bytes()))
    assert reg.records() == []
    (d,) = reg.damaged()
    assert d["file"] == str(path) and d["status"] == "damaged" and d["result_intact"]
    assert d["error"].startswith(f"registry: {path} ")
    # `jobs list` shows it (exit 0) with its file name and how to fetch it
    code, out, err = _cli(capsys, "jobs", "list", "--registry", str(reg.root))
    assert code == 0 and err == "" and "damaged" in out and str(path) in out
    assert f"qdist jobs fetch {rec['key'][:12]}" in out
    # fetched by its key prefix: the stored arrays, bit for bit
    code, out, err = _cli(capsys, "jobs", "fetch", rec["key"][:12], "--registry", str(reg.root), "--json")
    assert code == 0, err
    stored = json.loads(out)["arrays"]
    assert stored == {k: v.tolist() for k, v in qb.JobRegistry(reg.root).result(rec["key"]).items()}
    # the same computation again: no JSON decoder error, the intact result is used (not run again)
    with pytest.warns(UserWarning, match=r"^registry: .* is damaged .* its intact result is used$"):
        again = _run(JobRegistry(reg.root))
    assert again.resumed and again.value == res.value
    assert (reg.root / f"{rec['key']}.json.damaged").exists()
    assert reg.records()[0]["status"] == "done" and reg.damaged() == []


def test_damaged_record_without_result_runs_again_with_the_same_numbers(tmp_path, capsys):
    reg, res, rec = _one_job(tmp_path)
    (reg.root / f"{rec['key']}.json").write_bytes(b"")
    (reg.root / f"{rec['key']}.npz").write_bytes(b"PK\x03\x04 cut")
    (d,) = reg.damaged()
    assert not d["result_intact"]
    code, out, err = _cli(capsys, "jobs", "fetch", rec["key"][:12], "--registry", str(reg.root))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "is damaged" in err and "nothing to fetch" in err
    with pytest.warns(UserWarning, match="the job runs again"):
        again = _run(JobRegistry(reg.root))
    assert not again.resumed and again.value == res.value  # same seed, same numbers


def test_damaged_result_of_a_done_record_runs_again(tmp_path):
    reg, res, rec = _one_job(tmp_path)
    (reg.root / f"{rec['key']}.npz").write_bytes(b"")
    with pytest.warns(UserWarning, match="missing or damaged; the job runs again"):
        again = _run(JobRegistry(reg.root))
    assert not again.resumed and again.value == res.value


def test_cli_submit_with_a_damaged_record_is_one_warning_line(tmp_path, capsys):
    argv = ["submit", "--backend", "aer", "--qubits", "2", "--layers", "1", "--shots", "100"]
    argv += ["--registry", str(tmp_path / "jobs"), "--json"]
    code, out, _ = _cli(capsys, *argv)
    first = json.loads(out)
    (path,) = (tmp_path / "jobs").glob("*[0-9a-f].json")
    path.write_text('{"key": "')
    code, out, err = _cli(capsys, *argv)
    assert code == 0 and json.loads(out)["estimate"] == first["estimate"]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qdist submit: warning: registry: ")
    assert "JSONDecodeError" not in err and "Traceback" not in err


def test_read_only_jobs_commands_create_nothing(tmp_path, capsys):
    typo = tmp_path / "typo" / "jobs"
    code, out, err = _cli(capsys, "jobs", "list", "--registry", str(typo) + "/")
    assert code == 0 and "no jobs" in out and "does not exist" in out
    code, out, err = _cli(capsys, "jobs", "status", "abcdefgh12", "--registry", str(typo))
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "typo").exists()
    os.environ["QDIST_CACHE"] = str(tmp_path / "nocache")  # restored by the fixture's monkeypatch
    code, out, err = _cli(capsys, "jobs", "list")
    assert code == 0 and not (tmp_path / "nocache").exists()


def test_registry_that_is_a_file_and_short_prefix(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, out, err = _cli(capsys, "jobs", "list", "--registry", str(afile))
    assert code == 2 and err.strip() == f"qdist jobs: error: --registry: {afile} is a file, expected a folder"
    reg, _, rec = _one_job(tmp_path)
    code, out, err = _cli(capsys, "jobs", "status", rec["key"][:5], "--registry", str(reg.root))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "a prefix must have at least 8 characters, got 5" in err
    code, out, err = _cli(capsys, "jobs", "status", rec["key"][:8], "--registry", str(reg.root))
    assert code == 0 and rec["key"] in out
