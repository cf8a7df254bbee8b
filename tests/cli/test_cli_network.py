"""``qdist simulate`` and ``qdist curves``: output forms, one-line errors (exit code 2)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from qdist.cli.main import main
from qdist.network import costs
from qdist.network.model import ModelSpec

BASE = ["simulate", "--features", "6", "--layers", "3", "--parties", "2", "--seed", "3"]
BASE += ["--schedule", "pipeline", "--model", "hea"]  # the small model these checks were derived for


def run_cli(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_inference_json(capsys):
    code, out, err = run_cli(
        capsys, BASE + ["--task", "inference", "--epsilon", "0.2", "--delta", "0.1", "--json"]
    )
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert len(lines) == 1
    r = json.loads(lines[0])
    spec = ModelSpec(features=6, layers=3, parties=2)
    expected = costs.quantum_inference_cost(spec, 0.2, 0.1).to_dict()
    for k in ("qubits", "classical_bits", "messages", "copies"):
        assert r[k] == r["formula"][k] == expected[k]
    assert r["matches_formula"] is True
    assert abs(r["estimate"][0] - r["exact"][0]) == pytest.approx(r["max_abs_error"])
    assert set(r["classical"]["schemes"]) == {"pipeline", "ship-data", "ship-model"}
    hol = r["privacy"]["holevo"]["alice"]
    assert hol["holevo_bound_bits"] == hol["qubits_sent"] == r["qubits"]
    assert r["privacy"]["classical_baselines"]["ship-data"]["bits_in_clear"]["alice"] >= 6 * 32


def test_simulate_gradient_exact_and_classical_table(capsys, tmp_path):
    code, out, _ = run_cli(capsys, BASE + ["--task", "gradient", "--method", "exact", "--json"])
    r = json.loads(out)
    assert code == 0 and r["qubits"] == 0 and r["max_abs_error"] == 0.0
    ledger_file = tmp_path / "ledger.json"
    code, out, _ = run_cli(
        capsys,
        BASE
        + ["--task", "gradient", "--method", "pipeline", "--bits", "64", "--ledger-out", str(ledger_file)],
    )
    assert code == 0 and "matches formula: True" in out and "classical_bits" in out
    assert json.loads(ledger_file.read_text())["totals"]["classical_bits"] == 2 * 1 * 6 * 64


def test_simulate_linear(capsys):
    code, out, _ = run_cli(capsys, ["simulate", "--method", "linear", "--features", "32", "--json"])
    r = json.loads(out)
    assert code == 0 and r["matches_formula"] and r["qubits"] == r["copies"] * (5 + 1)


@pytest.mark.parametrize(
    "extra, flag",
    [
        (["--features", "0"], "--features"),
        (["--features", "x"], "--features"),
        (["--features", str(2**21)], "--features"),
        (["--epsilon", "0"], "--epsilon"),
        (["--epsilon", "-1"], "--epsilon"),
        (["--delta", "0"], "--delta"),
        (["--delta", "1.5"], "--delta"),
        (["--parties", "4"], "--parties"),
        (["--layers", "0"], "--layers"),
        (["--task", "gradient", "--method", "backprop"], "--method"),
        (["--task", "dream"], "--task"),
        (["--bits", "16"], "--bits"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_simulate_errors_are_one_line(capsys, extra, flag):
    code, out, err = run_cli(capsys, BASE + extra)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"qdist simulate: error: {flag}")


def test_curves_cli(capsys, tmp_path):
    code, out, err = run_cli(
        capsys,
        ["curves", "--out", str(tmp_path), "--n-max", "10", "--sim-max-n", "1", "--no-progress", "--json"],
    )
    assert code == 0
    s = json.loads(out)
    assert s["task"] == "inference" and Path(s["files"]["png"]).exists()
    code, out, err = run_cli(
        capsys,
        ["curves", "--out", str(tmp_path / "g"), "--task", "gradient", "--sim-max-n", "0", "--no-progress"],
    )
    assert code == 0 and "tomography" in out


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["curves"], "--out"),
        (["curves", "--out", "X", "--n-max", "0"], "--n-max"),
        (["curves", "--out", "X", "--epsilon", "0.1,abc"], "--epsilon"),
        (["curves", "--out", "X", "--task", "sleep"], "--task"),
        (["curves", "--out", "X", "--sim-max-n", "30"], "--sim-max-n"),
    ],
)
def test_curves_errors_are_one_line(capsys, tmp_path, argv, flag):
    argv = [a if a != "X" else str(tmp_path) for a in argv]
    code, out, err = run_cli(capsys, argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"qdist curves: error: {flag}")


def test_console_script_simulate_json():
    # The console script is part of the project's install (pyproject [project.scripts]; `make test`
    # re-installs whenever pyproject.toml changes): a missing or stale script fails, it does not skip.
    exe = Path(sys.executable).parent / "qdist"
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    entry = pyproject["project"]["scripts"]["qdist"]  # "module:function"
    assert exe.exists(), f"console script {exe} not installed: run `make setup`"
    assert entry.split(":")[0] in exe.read_text(), f"stale console script (not {entry}): run `make setup`"
    argv = [str(exe), "simulate", "--task", "inference", "--features", "4", "--layers", "2", "--parties", "2"]
    argv += ["--method", "quantum", "--epsilon", "0.3", "--delta", "0.1", "--seed", "1", "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["matches_formula"] and r["copies"] == costs.shots_for(0.3, 0.1)
    bad = subprocess.run(argv[:-1] + ["--delta", "2", "--json"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_simulate_defaults_to_the_default_model(capsys):
    from qdist.network.spec import DEFAULT_MODEL

    code, out, _ = run_cli(capsys, ["simulate", "--features", "8", "--epsilon", "0.3", "--json"])
    r = json.loads(out)
    spec = ModelSpec(features=8, **DEFAULT_MODEL)
    assert code == 0 and r["qubits"] == costs.quantum_inference_cost(spec, 0.3, 0.05).qubits
