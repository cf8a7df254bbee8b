"""Nothing lost (issue 15, items 4, 6, 7): one writer per output folder, damaged checkpoints are a
one-line error naming the file, ``--resume`` without a checkpoint says it starts fresh, and every bad
output path is refused before any work starts, in one line naming the flag.

Real runs of the CLI (in-process through ``main``, or a subprocess for the concurrent writer).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qdist.cli.main import main
from qdist.io import LOCK_NAME, OutputLocked, output_lock
from qdist.learn.checkpoint import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err.strip().splitlines()


def toy_csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (24, 4))
    rows = ["f0,f1,f2,f3,y"] + [",".join(f"{v:.4f}" for v in r) + ("," + "ab"[int(r[0] > r[1])]) for r in x]
    path.write_text("\n".join(rows) + "\n")
    return path


def train_argv(tmp_path, out, *extra):
    data = toy_csv(tmp_path / "toy.csv")
    argv = ["train", "--data", data, "--label", "y", "--method", "exact", "--no-baseline", "--layers", "2"]
    return [*argv, "--batch-size", "8", "--no-progress", "--no-plots", "--out", out, *extra]


# ------------------------------------------------------------------------------------------------
# one writer per output folder
# ------------------------------------------------------------------------------------------------


def test_second_concurrent_writer_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "qdist.cli.main", "curves", "--out", str(out), "--n-max", "40"]
    argv += ["--sim-max-n", "5", "--scheduler", "serial", "--no-progress", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / LOCK_NAME).exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first run ended before the second one started"
        code, stdout, err = cli(capsys, "curves", "--out", out, "--n-max", "3", "--no-progress")
        assert code == 2 and stdout == "" and len(err) == 1
        assert err[0].startswith(
            f"qdist curves: error: --out: {out} is being written by another qdist run (pid "
        )
        assert f"pid {first.pid}" in err[0] and err[0].endswith("choose another --out")
        stdout, stderr = first.communicate(timeout=300)
        assert first.returncode == 0, stderr
        assert json.loads(stdout)["simulated_rows"] > 0  # the first run was not disturbed
    finally:
        if first.poll() is None:
            first.kill()
    assert not (out / LOCK_NAME).exists()  # released cleanly: no lock file left


def test_lock_of_a_killed_run_is_not_stale(tmp_path):
    folder = tmp_path / "out"
    code = f"from qdist.io import output_lock\nwith output_lock({str(folder)!r}):\n    print('held', flush=True)\n    input()\n"
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(
        OutputLocked, match=rf"^out: {folder} is being written by another qdist run \(pid {holder.pid}, "
    ):
        with output_lock(folder):
            pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    assert (folder / LOCK_NAME).exists()  # the file stays, the kernel's lock does not
    with output_lock(folder) as path:
        assert f"pid {os.getpid()}" in path.read_text()


# ------------------------------------------------------------------------------------------------
# damaged checkpoints, --resume without a checkpoint
# ------------------------------------------------------------------------------------------------

DAMAGE = {
    "truncated": (lambda b: b[: len(b) // 2], "is damaged (BadZipFile"),
    "empty": (lambda b: b"", "is empty"),
    "random bytes": (lambda b: np.random.default_rng(2).bytes(len(b)), "is not a qdist checkpoint"),
    "cut after the header": (lambda b: b[:40], "is damaged ("),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_checkpoint_is_one_line_naming_the_file(tmp_path, kind):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"params/0": np.arange(300.0)}, {"epoch": 1})
    assert load_checkpoint(path)[1]["epoch"] == 1
    damage, message = DAMAGE[kind]
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError) as info:
        load_checkpoint(path)
    text = str(info.value)
    assert text.startswith(f"resume: checkpoint {path} " if "not a" not in message else f"resume: {path} ")
    assert message in text and "\n" not in text and "pickle" not in text and "allow_pickle" not in text


def test_cli_resume_damaged_and_missing_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    # --resume with no checkpoint: says it starts fresh, then trains
    code, stdout, err = cli(capsys, *train_argv(tmp_path, out, "--epochs", "1", "--resume"))
    ckpt = out / "checkpoints" / "quantum-exact.npz"
    assert code == 0 and ckpt.is_file()
    assert err == [f"qdist train: warning: resume: no checkpoint {ckpt} yet; starting fresh"]
    for kind, (damage, message) in DAMAGE.items():
        good = ckpt.read_bytes()
        ckpt.write_bytes(damage(good))
        code, stdout, err = cli(capsys, *train_argv(tmp_path, out, "--epochs", "2", "--resume"))
        assert code == 2 and len(err) == 1, (kind, err)
        assert (
            err[0].startswith("qdist train: error: --resume: ") and str(ckpt) in err[0] and message in err[0]
        )
        ckpt.write_bytes(good)


# ------------------------------------------------------------------------------------------------
# output paths checked before any work starts
# ------------------------------------------------------------------------------------------------


def read_only_folder(tmp_path) -> Path:
    """A folder this process cannot write into: mode 0555, or /sys for root (which ignores modes)."""
    if os.geteuid() == 0:
        return Path("/sys")
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    return d


def test_bad_output_paths_are_refused_before_any_work(tmp_path, capsys, monkeypatch):
    afile = tmp_path / "afile"
    afile.write_text("x")
    ro = read_only_folder(tmp_path)
    cases = [
        (["curves", "--out", afile], f"--out: {afile} is a file, expected a folder"),
        (["curves", "--out", ro / "sub"], f"--out: cannot create the folder {ro / 'sub'} ("),
        (
            ["simulate", "--ledger-out", tmp_path],
            f"--ledger-out: {tmp_path} is a folder, expected a file name",
        ),
        (["simulate", "--ledger-out", ro / "l.json"], f"--ledger-out: cannot write into {ro} ("),
        (["submit", "--registry", afile], f"--registry: {afile} is a file, expected a folder"),
        (["jobs", "list", "--registry", afile], f"--registry: {afile} is a file, expected a folder"),
        (["jobs", "fetch", "abcdefgh", "--out", tmp_path], f"--out: {tmp_path} is a folder"),
    ]
    for argv, message in cases:
        code, stdout, err = cli(capsys, *argv)
        assert code == 2 and stdout == "" and len(err) == 1, (argv, err)
        assert err[0].startswith(f"qdist {argv[0]}: error: {message}"), (argv, err[0])
    monkeypatch.setenv("QDIST_CACHE", str(afile))
    code, _, err = cli(capsys, "submit", "--qubits", "2")
    assert code == 2 and err == [f"qdist submit: error: QDIST_CACHE: {afile} is a file, expected a folder"]


def test_train_out_a_file_fails_before_training(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    t0 = time.perf_counter()
    code, stdout, err = cli(capsys, *train_argv(tmp_path, afile, "--epochs", "50"))
    assert (
        code == 2
        and stdout == ""
        and err == [f"qdist train: error: --out: {afile} is a file, expected a folder"]
    )
    assert time.perf_counter() - t0 < 5  # refused at once, not after 50 epochs


def test_os_error_on_a_user_path_names_the_flag_and_debug_keeps_the_traceback(tmp_path, capsys, monkeypatch):
    missing = tmp_path / "nope" / "data.csv"
    code, _, err = cli(capsys, "train", "--data", missing, "--label", "y", "--out", tmp_path / "o")
    assert code == 2 and len(err) == 1 and err[0].startswith("qdist train: error: --data: ")
    monkeypatch.setenv("QDIST_DEBUG", "1")
    with pytest.raises(ValueError, match="--data"):
        main(["train", "--data", str(missing), "--label", "y", "--out", str(tmp_path / "o")])


def test_os_error_message_names_the_flag_holding_the_path(tmp_path):
    import argparse

    from qdist.cli.main import os_error_message

    afile = tmp_path / "afile"
    afile.write_text("x")
    args = argparse.Namespace(command="train", out=str(afile), data=None, seed="0")
    with pytest.raises(OSError) as info:
        open(afile / "report.json", "w")  # a real NotADirectoryError on a path under --out
    assert os_error_message(info.value, args) == f"--out: {afile / 'report.json'}: Not a directory"
