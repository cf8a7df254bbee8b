"""Run every benchmark script in ``benchmarks/``, each in its own subprocess, then write the summary.

    python benchmarks/run_all.py [--quick] [--only NAME[,NAME…]] [--timeout SECONDS]

Scripts are the ``benchmarks/*.py`` files whose names do not start with ``_`` (helpers), other than
this runner and ``summary.py``; each also runs alone (``python benchmarks/<name>.py [--quick]``).
``--quick`` is passed through. A failing (or timed-out) script is reported and the run continues;
the exit code is 1 if any script failed. The log of the run (per script: command, exit code,
seconds, last lines of output) goes atomically to ``benchmarks/results/run_all.json`` (or
``run_all_quick.json``), then `summary` writes ``benchmarks/results/SUMMARY.md``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine, write_json  # noqa: E402

NOT_BENCHMARKS = {"run_all.py", "summary.py"}


def discover() -> list[Path]:
    """The benchmark scripts, in name order."""
    return sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name not in NOT_BENCHMARKS)


def run_script(path: Path, quick: bool, timeout: float | None) -> dict:
    """Run one script in a fresh interpreter; never raises for the script's own failure."""
    cmd = [sys.executable, str(path)] + (["--quick"] if quick else [])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True, timeout=timeout)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = f"timed out after {timeout} s"
    seconds = time.perf_counter() - t0
    return {
        "script": path.name,
        "command": " ".join([Path(cmd[0]).name, *cmd[1:]]),
        "returncode": code,
        "ok": code == 0,
        "seconds": seconds,
        "stdout_tail": out.splitlines()[-15:],
        "stderr_tail": err.splitlines()[-15:],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="pass --quick to every script (small sizes)")
    ap.add_argument("--only", default=None, help="comma-separated script names (without .py) to run")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per script (default: none)")
    ap.add_argument("--no-summary", dest="summary", action="store_false", help="skip SUMMARY.md")
    args = ap.parse_args(argv)
    scripts = discover()
    if args.only:
        wanted = {w.strip().removesuffix(".py") for w in args.only.split(",") if w.strip()}
        unknown = wanted - {p.stem for p in scripts}
        if unknown:
            ap.error(f"--only: no benchmark script named {', '.join(sorted(unknown))}")
        scripts = [p for p in scripts if p.stem in wanted]
    runs = []
    for path in scripts:
        print(f"== {path.name}{' --quick' if args.quick else ''}", flush=True)
        r = run_script(path, args.quick, args.timeout)
        runs.append(r)
        for line in r["stdout_tail"]:
            print(f"   {line}")
        status = "ok" if r["ok"] else f"FAILED (exit {r['returncode']})"
        print(f"   -> {status} in {r['seconds']:.1f} s", flush=True)
        if not r["ok"]:
            for line in r["stderr_tail"]:
                print(f"   ! {line}")
    failed = [r["script"] for r in runs if not r["ok"]]
    write_json(
        "run_all_quick" if args.quick else "run_all",
        {"benchmark": "run_all", "quick": args.quick, "machine": machine(), "runs": runs, "failed": failed},
    )
    if args.summary:
        import summary

        path = summary.write_summary()
        print(f"wrote {path}")
    if failed:
        print(f"{len(failed)} of {len(runs)} benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"all {len(runs)} benchmark(s) ran")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
