"""``qdist train`` (and ``qdist demo`` argument errors): output files, resume, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qdist.cli.main import main


def run_cli(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def toy_csv(path, rows=32, bad_row=None):
    rng = np.random.default_rng(0)
    lines = ["f0,f1,f2,f3,f4,f5,y"]
    for r in range(rows):
        x = rng.uniform(0, 1, 6)
        cells = [f"{v:.4f}" for v in x]
        if r == bad_row:
            cells[1] = "n/a"
        lines.append(",".join(cells + ["a" if x[0] + x[1] > x[2] + x[3] else "b"]))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


BASE = ["--layers", "2", "--batch-size", "8", "--epsilon", "0.3", "--seed", "1", "--no-progress"]


def test_train_writes_report_plots_and_checkpoints(tmp_path, capsys):
    data, out = toy_csv(tmp_path / "toy.csv"), tmp_path / "run"
    argv = [
        "train",
        "--data",
        data,
        "--label",
        "y",
        "--epochs",
        "2",
        "--method",
        "exact,shadow",
        "--out",
        str(out),
    ]
    code, stdout, err = run_cli(capsys, argv + BASE + ["--json"])
    assert code == 0, err
    summary = json.loads(stdout)
    assert set(summary) == {"quantum-exact", "quantum-shadow", "mlp"}
    report = json.loads((out / "report.json").read_text())
    for name, m in report["models"].items():
        for key in (
            "test_accuracy",
            "train_accuracy",
            "qubits_sent",
            "classical_bits_sent",
            "gradient_copies",
            "wall_seconds",
        ):
            assert m[key] == summary[name][key]
        assert (out / "checkpoints" / f"{name}.npz").is_file()
    assert report["models"]["quantum-shadow"]["qubits_sent"] > 0
    assert report["models"]["quantum-exact"]["qubits_sent"] == 0
    assert report["datasets"]["toy.csv a vs b"]["features"] == 6
    assert (out / "learning_curves.png").is_file() and (out / "accuracy_vs_communication.png").is_file()


def test_train_table_and_resume(tmp_path, capsys):
    data, out = toy_csv(tmp_path / "toy.csv"), tmp_path / "run"
    argv = ["train", "--data", data, "--label", "y", "--method", "shadow", "--no-baseline", "--out", str(out)]
    code, stdout, _ = run_cli(capsys, argv + BASE + ["--epochs", "1"])
    assert code == 0 and "quantum-shadow" in stdout and "report:" in stdout
    first = json.loads((out / "report.json").read_text())["models"]["quantum-shadow"]
    code, stdout, _ = run_cli(capsys, argv + BASE + ["--epochs", "2", "--resume", "--no-plots"])
    assert code == 0
    second = json.loads((out / "report.json").read_text())["models"]["quantum-shadow"]
    assert second["resumed_from_epoch"] == 1 and second["epochs"] == 2
    assert second["history"][0] == first["history"][0]
    assert second["qubits_sent"] == 2 * first["qubits_sent"]  # same batches, same costs per epoch


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--dataset", "mnist"], "--dataset: unknown data set 'mnist'"),
        (["train", "--data", "{csv}", "--label", "target"], "--label: column 'target' not in toy.csv"),
        (
            ["train", "--data", "{bad}", "--label", "y"],
            "--data: feature column 'f1' is not numeric (line 5: 'n/a')",
        ),
        (["train", "--data", "{csv}"], "--label: a CSV data set (--data FILE) needs its label column"),
        (["train", "--epochs", "0"], "--epochs: expected an integer ≥ 1, got 0"),
        (["train", "--epochs", "-2"], "--epochs: expected an integer ≥ 1, got -2"),
        (["train", "--epochs", "two"], "--epochs: expected an integer, got 'two'"),
        (["train", "--method", "magic"], "--method: unknown gradient method 'magic'"),
        (["train", "--lr", "-1"], "--lr: expected a number > 0, got -1.0"),
        (["train", "--classes", "0,1,2,3,4,5,6"], "--classes: the quantum model reads one class per qubit"),
        (["train", "--data", "{csv}", "--label", "y", "--classes", "a,c"], "--classes: label 'c' is not in"),
        (["train", "--data", "{missing}", "--label", "y"], "--data: file not found"),
        (["demo", "--seed", "x"], "--seed: expected an integer, got 'x'"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys, argv, message):
    files = {
        "{csv}": toy_csv(tmp_path / "toy.csv"),
        "{bad}": toy_csv(tmp_path / "bad.csv", bad_row=3),
        "{missing}": str(tmp_path / "missing.csv"),
    }
    argv = [files.get(a, a) for a in argv] + ["--out", str(tmp_path / "out")]
    if argv[0] == "train":
        argv.append("--no-progress")
    code, out, err = run_cli(capsys, argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"qdist {argv[0]}: error: {message}"), lines[0]
