"""The table of bad inputs (issue 15, "Done when"): each row is what a new user might try and the
argument the one-line error must name. Shared by `test_bad_inputs_table.py` and by
``python tests/reliability/bad_inputs.py`` (prints the table with what each row now prints).

A CLI row is ``("cli", argv, expected)``: ``{out}``, ``{file}``, ``{dir}`` and ``{csv}`` are replaced by
paths in a temporary folder; ``env`` rows set environment variables first. An API row is
``("api", label, thunk_name, expected)`` with the thunk in `API`.
"""

from __future__ import annotations

import io
import math
import os
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np

CLI = [
    # qdist simulate
    (["simulate", "--features", "0"], "--features"),
    (["simulate", "--features", "abc"], "--features"),
    (["simulate", "--features", "1099511627776"], "--features"),
    (["simulate", "--layers", "-1"], "--layers"),
    (["simulate", "--parties", "1"], "--parties"),
    (["simulate", "--epsilon", "0"], "--epsilon"),
    (["simulate", "--epsilon", "nan"], "--epsilon"),
    (["simulate", "--delta", "1.5"], "--delta"),
    (["simulate", "--seed", "-3"], "--seed"),
    (["simulate", "--bits", "16"], "--bits"),
    (["simulate", "--task", "foo"], "--task"),
    (["simulate", "--method", "magic"], "--method"),
    (["simulate", "--result-to", "bob"], "--result-to"),
    (["simulate", "--schedule", "zigzag"], "--schedule"),
    (["simulate", "--model", "xyz"], "--model"),
    (["simulate", "--ledger-out", "{dir}"], "--ledger-out"),
    # the link flags (docs/concepts/links.md)
    (["simulate", "--link-loss", "1"], "--link-loss"),
    (["simulate", "--link-loss", "often"], "--link-loss"),
    (["simulate", "--link-noise", "bitflip:0.1"], "--link-noise"),
    (["simulate", "--link-noise", "depolarizing:1.5"], "--link-noise"),
    (["simulate", "--link-noise", "depolarizing"], "--link-noise"),
    (["simulate", "--link-noise", "amplitude-damping:0.1", "--transport", "teleport"], "--link-noise"),
    (["simulate", "--transport", "pigeon"], "--transport"),
    (["simulate", "--transport", "teleport", "--ebit-fidelity", "0.1"], "--ebit-fidelity"),
    (["simulate", "--ebit-fidelity", "0.9"], "--ebit-fidelity"),
    (["simulate", "--link-latency", "-1"], "--link-latency"),
    (["simulate", "--link-bandwidth", "0"], "--link-bandwidth"),
    (["simulate", "--method", "ship-data", "--transport", "teleport"], "--transport"),
    # qdist curves
    (["curves"], "--out"),
    (["curves", "--out", "{out}", "--metric", "speed"], "--metric"),
    (["curves", "--out", "{out}", "--link-loss", "2"], "--link-loss"),
    (["curves", "--out", "{out}", "--transport", "fax"], "--transport"),
    (["curves", "--out", "{file}"], "--out"),
    (["curves", "--out", "{out}", "--n-max", "0"], "--n-max"),
    (["curves", "--out", "{out}", "--n-max", "1000"], "--n-max"),
    (["curves", "--out", "{out}", "--epsilon", "0.1,x"], "--epsilon"),
    (["curves", "--out", "{out}", "--layers", ","], "--layers"),
    (["curves", "--out", "{out}", "--bits", "16"], "--bits"),
    (["curves", "--out", "{out}", "--sim-max-n", "30"], "--sim-max-n"),
    (["curves", "--out", "{out}", "--scheduler", "threads"], "--scheduler"),
    (["curves", "--out", "{out}", "--workers", "0"], "--workers"),
    (["curves", "--out", "{out}", "--margin", "abc"], "--margin"),
    (["curves", "--out", "{out}", "--task", "bogus"], "--task"),
    (["env", "QDIST_SCHEDULER=garbage", "curves", "--out", "{out}", "--n-max", "3"], "QDIST_SCHEDULER"),
    # qdist submit
    (["submit", "--qubits", "0"], "--qubits"),
    (["submit", "--qubits", "40"], "--qubits"),
    (["submit", "--shots", "0"], "--shots"),
    (["submit", "--shots", "2.5"], "--shots"),
    (["submit", "--shots", "1e30"], "--shots"),
    (["submit", "--task", "shadow", "--qubits", "2", "--shots", "1000000000000"], "--shots"),
    (["submit", "--task", "magic"], "--task"),
    (["submit", "--task", "gradient", "--method", "exact"], "--method"),
    (["submit", "--observable", "ZZ"], "--observable"),
    (["submit", "--observable", "2x*ZIII"], "--observable"),
    (["submit", "--observable", "nan*ZIII"], "--observable"),
    (["submit", "--backend", "nonsense"], "--backend"),
    (["submit", "--registry", "{file}"], "--registry"),
    (["env", "QDIST_CACHE={file}", "submit", "--qubits", "2"], "QDIST_CACHE"),
    (["submit", "--circuit", "ring"], "--circuit"),
    (["submit", "--seed", "-1"], "--seed"),
    (["submit", "--retries", "-1"], "--retries"),
    # qdist jobs
    (["jobs", "frobnicate"], "action"),
    (["jobs", "status"], "ID"),
    (["jobs", "status", "abc", "--registry", "{dir}"], "ID"),
    (["jobs", "list", "--registry", "{file}"], "--registry"),
    (["jobs", "fetch", "abcdefgh", "--out", "{dir}"], "--out"),
    # qdist train
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "1e12"], "--epochs"),
    (["train", "--batch-size", "100000"], "--batch-size"),
    (["train", "--bits", "16"], "--bits"),
    (["train", "--method", "magic"], "--method"),
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--out", "{file}"], "--out"),
    (["train", "--data", "{dir}/missing.csv", "--label", "y"], "--data"),
    (["train", "--test-size", "2"], "--test-size"),
    (["train", "--dataset", "mnist"], "--dataset"),
    (["train", "--method", "shadow", "--shots", "0"], "--shots"),
    (["train", "--optimizer", "rmsprop"], "--optimizer"),
    (["train", "--layers", "zero"], "--layers"),
]


def _circuit():
    import qdist

    ops = [qdist.gate("RY", 0, 0), qdist.gate("CX", (0, 1)), qdist.gate("RX", 1, 1)]
    return qdist.make_circuit(2, ops, 2)


def _pennylane_non_unitary():
    import pennylane as qml

    import qdist

    m = np.array([[1.0, 0.5], [0.3, 1.0]])  # |column 0| = 1.04: not unitary
    return qdist.from_pennylane(
        qml.tape.QuantumScript([qml.QubitUnitary(m, wires=0)], [qml.expval(qml.PauliZ(0))])
    )


def _api_calls():
    import qdist
    from qdist.learn.config import TrainConfig
    from qdist.scale import Task, demo, resolve_scheduler, run_tasks

    c, p = _circuit(), np.array([0.3, -0.2])
    obs = qdist.pauli_sum({"ZI": 1.0})
    return {
        "expval(c, p, None)": (lambda: qdist.expval(c, p, None), "observable"),
        "gate(None, 0, 0)": (lambda: qdist.gate(None, 0, 0), "name"),
        "expval(c, 'abc', obs)": (lambda: qdist.expval(c, "abc", obs), "params"),
        "expval(c, None, obs)": (lambda: qdist.expval(c, None, obs), "params"),
        "expval(c, [1+2j, 0], obs)": (lambda: qdist.expval(c, [1 + 2j, 0], obs), "params"),
        "expval(c, [nan, 0], obs)": (lambda: qdist.expval(c, [math.nan, 0.0], obs), "params"),
        "amplitude_encode(x, num_qubits=2.7)": (
            lambda: qdist.amplitude_encode(np.ones(4), num_qubits=2.7),
            "num_qubits",
        ),
        "pauli_sum({'ZZ': nan})": (lambda: qdist.pauli_sum({"ZZ": math.nan}), "terms"),
        "grad(method='tomography', epsilon=1e-9)": (
            lambda: qdist.grad(c, p, obs, method="tomography", epsilon=1e-9, seed=0),
            "epsilon",
        ),
        "grad(method='param-shift', shots=0)": (
            lambda: qdist.grad(c, p, obs, method="param-shift", shots=0, seed=0),
            "shots",
        ),
        "grad(method='nope')": (lambda: qdist.grad(c, p, obs, method="nope"), "method"),
        "run_tasks(..., workers=0)": (
            lambda: run_tasks([Task("a", demo.seeded_sum, {"seed": 1})], workers=0, progress=False),
            "workers",
        ),
        "resolve_scheduler('threads')": (lambda: resolve_scheduler("threads"), "scheduler"),
        "to_qiskit(c, [nan, 0])": (lambda: qdist.to_qiskit(c, [math.nan, 0.0]), "params"),
        "from_pennylane(tape with a non-unitary QubitUnitary)": (_pennylane_non_unitary, "obj"),
        "TrainConfig(epochs=10**12)": (lambda: TrainConfig(epochs=10**12), "epochs"),
        "TrainConfig(batch_size=0)": (lambda: TrainConfig(batch_size=0), "batch_size"),
    }


def run_cli(argv: list[str], tmp: Path) -> tuple[int, str, str]:
    """Run one CLI row in this process: ``(exit code, stdout, stderr)``."""
    from qdist.cli.main import main

    subs = {"{out}": str(tmp / "out"), "{file}": str(tmp / "afile"), "{dir}": str(tmp / "adir")}
    (tmp / "afile").write_text("x")
    (tmp / "adir").mkdir(exist_ok=True)
    argv = [_sub(a, subs) for a in argv]
    env = {}
    while argv and argv[0] == "env":
        key, _, value = argv[1].partition("=")
        env[key] = value
        argv = argv[2:]
    if argv[0] == "train":
        argv += ["--no-progress"] + ([] if "--out" in argv else ["--out", str(tmp / "train")])
    saved = {k: os.environ.get(k) for k in (*env, "QDIST_SCHEDULER", "QDIST_DEBUG")}
    os.environ.update(env)
    for k in ("QDIST_SCHEDULER", "QDIST_DEBUG"):
        if k not in env:
            os.environ.pop(k, None)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's own errors
                code = exc.code
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue(), err.getvalue()


def _sub(arg: str, subs: dict) -> str:
    for k, v in subs.items():
        arg = arg.replace(k, v)
    return arg


def run_api(label: str) -> tuple[str, str]:
    """``(exception type, message)`` of one API row (``("", repr(result))`` if nothing was raised)."""
    fn, _ = _api_calls()[label]
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - the table records whatever is raised
        return type(exc).__name__, str(exc)
    return "", repr(result)


def api_rows() -> list[tuple[str, str]]:
    return [(label, expected) for label, (_, expected) in _api_calls().items()]


def markdown(tmp: Path) -> str:  # pragma: no cover - a report helper
    lines = ["| # | input | exit | prints |", "|---|---|---|---|"]
    for i, (argv, _) in enumerate(CLI, 1):
        code, _, err = run_cli(list(argv), tmp)
        env = [a for a in argv if "=" in a and a.startswith("QDIST_")]
        rest = [a for a in argv if a != "env" and a not in env]
        shown = " ".join(env + ["qdist"] + [a if " " not in a else repr(a) for a in rest])
        lines.append(f"| {i} | `{shown}` | {code} | `{err.strip()}` |")
    for j, (label, _) in enumerate(api_rows(), len(CLI) + 1):
        kind, msg = run_api(label)
        lines.append(f"| {j} | `{label}` | {kind} | `{msg}` |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    with tempfile.TemporaryDirectory() as d:
        os.environ["QDIST_CACHE"] = str(Path(d) / "cache")
        print(markdown(Path(d)), file=sys.stdout)
