"""Nothing orphaned (issue 15, item 2): a sweep killed with SIGKILL leaves none of its processes
behind; small sweeps run in this process; a bad ``QDIST_SCHEDULER`` blames the variable.

The kill test runs a real ``qdist curves --scheduler processes`` in a subprocess, kills it once a
simulated point is recorded (mid-sweep), and checks with psutil that every process it had started
(the spawned workers and multiprocessing's resource tracker) is gone within 10 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from qdist.scale import Task, demo, resolve_scheduler, run_tasks
from qdist.scale.executor import SERIAL_MAX_TASKS

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("QDIST_SCHEDULER", None)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="psutil process tree, Linux CI")
def test_sigkill_of_a_curves_run_leaves_no_process(tmp_path):
    out = tmp_path / "curves"
    argv = [sys.executable, "-m", "qdist.cli.main", "curves", "--out", str(out), "--task", "inference"]
    argv += ["--n-max", "10", "--sim-max-n", "8", "--scheduler", "processes", "--workers", "2"]
    proc = subprocess.Popen([*argv, "--no-progress"], env=_env(), stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    seen: dict[int, psutil.Process] = {}
    partial = out / "curves.partial.jsonl"
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            for child in parent.children(recursive=True):
                seen.setdefault(child.pid, child)
            if partial.exists() and partial.read_text().count("\n") >= 1 and len(seen) >= 3:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the sweep ended before it could be killed mid-sweep"
        assert len(seen) >= 3, f"expected 2 workers and the resource tracker, saw {len(seen)}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        gone, alive = psutil.wait_procs(list(seen.values()), timeout=10)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"still running 10 s after SIGKILL: {[p.cmdline()[-1][:60] for p in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in seen.values():  # clean up what a failing assertion would leave
            if p.is_running():
                p.kill()


def test_small_sweep_runs_in_process_so_an_unguarded_script_works(tmp_path):
    # no `if __name__ == "__main__":` guard: spawned workers would re-run this script and fail
    script = tmp_path / "tutorial.py"
    script.write_text(
        "from qdist.scale import Task, demo, run_tasks\n"
        f"tasks = [Task(f's{{i}}', demo.seeded_sum, {{'seed': i}}) for i in range({SERIAL_MAX_TASKS})]\n"
        "res = run_tasks(tasks, progress=False)\n"
        "print(res.scheduler, len(res.done), round(res.done['s3'], 9))\n"
    )
    r = subprocess.run([sys.executable, str(script)], env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["serial", str(SERIAL_MAX_TASKS), str(round(demo.seeded_sum(3), 9))]


def test_automatic_scheduler_rule(monkeypatch):
    monkeypatch.delenv("QDIST_SCHEDULER", raising=False)
    small = [Task(f"s{i}", demo.seeded_sum, {"seed": i}) for i in range(3)]
    assert run_tasks(small, progress=False).scheduler == "serial"
    # chosen explicitly: the caller's choice holds
    assert run_tasks(small, scheduler="serial", progress=False).scheduler == "serial"
    monkeypatch.setenv("QDIST_SCHEDULER", "serial")
    assert run_tasks(small, progress=False).scheduler == "serial"


def test_bad_environment_scheduler_blames_the_variable(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("QDIST_SCHEDULER", "garbage")
    with pytest.raises(
        ValueError, match=r"^QDIST_SCHEDULER: expected .* got 'garbage' \(from the environment\)$"
    ):
        resolve_scheduler(None)
    with pytest.raises(ValueError, match=r"^scheduler: .*got 'threads'$"):
        resolve_scheduler("threads")  # an explicit argument is still named as the argument
    from qdist.cli.main import main

    code = main(["curves", "--out", str(tmp_path / "c"), "--n-max", "3", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("qdist curves: error: QDIST_SCHEDULER: expected") and "--scheduler" not in err[0]
