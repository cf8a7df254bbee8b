"""``qdist submit`` and ``qdist jobs``: results and job ids, resume, registry across processes, and
one-line errors (exit code 2; a job that still fails after its retries exits with 1). Offline.

Tolerance: 5 standard errors (two-sided Gaussian tail 5.7e-7 per comparison) on the noiseless
backends; see tests/backends/test_backends.py for the fake-device tolerances.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from qdist.cli.main import main

Z = 5.0


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QDIST_CACHE", str(tmp_path / "cache"))


def run_cli(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_submit_gradient_shadow_json_and_resume(capsys):
    argv = ["submit", "--backend", "aer", "--task", "gradient", "--method", "shadow", "--qubits", "3"]
    argv += ["--layers", "2", "--shots", "3000", "--seed", "4", "--json"]
    code, out, err = run_cli(capsys, argv)
    assert code == 0 and err == ""
    r = json.loads(out)
    assert r["backend"] == "aer" and r["method"] == "shadow" and r["params"] == 12
    assert len(r["jobs"]) == 1 and r["resumed"] is False
    est, ex, se = (np.array(r[k]) for k in ("estimate", "exact", "std_error"))
    assert np.all(np.abs(est - ex) <= Z * se + 1e-12)
    assert r["max_abs_error"] == pytest.approx(np.max(np.abs(est - ex)))
    # the same command again: the job comes from the registry, not from a new submission
    code, out2, _ = run_cli(capsys, argv)
    r2 = json.loads(out2)
    assert code == 0 and r2["resumed"] is True and r2["jobs"] == r["jobs"] and r2["estimate"] == r["estimate"]


@pytest.mark.parametrize("task", ["expval", "shadow", "inference"])
def test_submit_tasks_on_fake_device_print_result_and_job(capsys, task):
    argv = ["submit", "--backend", "fake:manila", "--task", task, "--qubits", "2", "--layers", "2"]
    code, out, err = run_cli(capsys, argv + ["--shots", "2000", "--seed", "1"])
    assert code == 0 and err == "", err
    assert f"qdist submit: {task} on fake:manila [fake_manila]" in out
    lines = dict(line.strip().split(":", 1) for line in out.splitlines()[1:] if ":" in line)
    assert "jobs" in lines and len(lines["jobs"].split("—")[0].split(",")) == 1
    assert "exact" in lines and "estimate" in lines
    if task != "shadow":
        assert "device-noise bias bound" in out


def test_submit_jax_needs_no_jobs_and_param_shift(capsys):
    code, out, _ = run_cli(
        capsys, ["submit", "--task", "gradient", "--qubits", "2", "--layers", "1", "--json"]
    )
    r = json.loads(out)
    assert code == 0 and r["backend"] == "jax" and r["jobs"] == [] and r["method"] == "param-shift"
    code, out, _ = run_cli(capsys, ["submit", "--task", "expval", "--qubits", "2", "--layers", "1"])
    assert "jobs: none (exact simulator)" in out


def test_jobs_list_status_fetch_across_processes(capsys, tmp_path):
    code, out, _ = run_cli(
        capsys,
        ["submit", "--backend", "aer", "--task", "expval", "--qubits", "2", "--shots", "500", "--json"],
    )
    job = json.loads(out)["jobs"][0]
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-m", "qdist.cli.main", "jobs", "list"], capture_output=True, text=True, env=env
    )
    assert (
        proc.returncode == 0 and job in proc.stdout and "done" in proc.stdout and "estimator" in proc.stdout
    )
    code, out, _ = run_cli(capsys, ["jobs", "status", job])
    assert code == 0 and out.startswith(f"job {job}: done") and "backend: aer" in out
    npz = tmp_path / "result.npz"
    code, out, _ = run_cli(capsys, ["jobs", "fetch", job, "--out", str(npz)])
    assert code == 0 and "evs_0: shape (1, 1)" in out
    assert np.load(npz)["evs_0"].shape == (1, 1)
    code, out, _ = run_cli(capsys, ["jobs", "fetch", job[:10], "--json"])
    assert json.loads(out)["id"] == job


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--backend", "quantum-cloud"], "qdist submit: error: --backend: unknown backend 'quantum-cloud'"),
        (["--backend", "fake:nowhere"], "qdist submit: error: --backend: unknown fake device 'nowhere'"),
        (
            ["--backend", "fake:manila", "--qubits", "6"],
            "qdist submit: error: --qubits: needs 6 qubits, but fake:manila has 5",
        ),
        (
            ["--backend", "fake:manila", "--qubits", "5", "--task", "gradient", "--method", "shadow"],
            "qdist submit: error: --qubits (with the ancilla): needs 6 qubits, but fake:manila has 5",
        ),
        (
            ["--backend", "aer", "--shots", "0"],
            "qdist submit: error: --shots: expected an integer ≥ 1, got 0",
        ),
        (
            ["--backend", "aer", "--shots", "-3"],
            "qdist submit: error: --shots: expected an integer ≥ 1, got -3",
        ),
        (
            ["--task", "train"],
            "qdist submit: error: --task: expected one of expval, gradient, shadow, inference",
        ),
        (
            ["--task", "gradient", "--method", "spsa"],
            "qdist submit: error: --method: expected param-shift or shadow",
        ),
        (
            ["--observable", "ZZZ", "--qubits", "2"],
            "qdist submit: error: --observable: expected Pauli labels of 2",
        ),
    ],
)
def test_submit_one_line_errors(capsys, argv, message):
    code, out, err = run_cli(capsys, ["submit"] + argv)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1, err


def test_submit_ibm_without_credentials_subprocess(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QISKIT_IBM")}
    env.update(HOME=str(tmp_path), JAX_PLATFORMS="cpu")  # no saved account under this HOME
    proc = subprocess.run(
        [sys.executable, "-m", "qdist.cli.main", "submit", "--backend", "ibm:least_busy", "--task", "expval"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(
        "qdist submit: error: --backend: ibm:least_busy needs IBM Quantum credentials"
    )
    assert proc.stderr.count("\n") == 1 and "QISKIT_IBM_TOKEN" in proc.stderr


def test_submit_mitigation_warning_and_failed_job(capsys, monkeypatch):
    import qiskit_ibm_runtime

    argv = [
        "submit",
        "--backend",
        "aer",
        "--qubits",
        "2",
        "--shots",
        "100",
        "--resilience-level",
        "1",
        "--twirling",
    ]
    code, out, err = run_cli(capsys, argv)
    assert code == 0 and err.count("warning") == 1
    assert err.startswith(
        "qdist submit: warning: backend aer: error mitigation (resilience_level=1, twirling=True)"
    )

    def broken(*a, **k):
        raise ConnectionError("service unavailable")

    monkeypatch.setattr(qiskit_ibm_runtime.EstimatorV2, "run", broken)
    code, out, err = run_cli(
        capsys, ["submit", "--backend", "aer", "--qubits", "2", "--shots", "99", "--retries", "0"]
    )
    assert code == 1 and out == ""
    assert err.startswith("qdist submit: error: job (not submitted) (estimator on aer")
    assert err.strip().endswith("failed after 1 attempt: ConnectionError: service unavailable")


def test_jobs_errors(capsys):
    code, _, err = run_cli(capsys, ["jobs", "status"])
    assert code == 2 and err.startswith("qdist jobs: error: ID: 'qdist jobs status' needs a job id")
    code, _, err = run_cli(capsys, ["jobs", "fetch", "no-such-job"])
    assert code == 2 and err.startswith("qdist jobs: error: ID: no job 'no-such-job'")
    code, _, err = run_cli(capsys, ["jobs", "delete"])
    assert code == 2 and err.startswith("qdist jobs: error: action: expected list, status or fetch")
