"""``qdist demo``: the main job behind ``make demo``.

On scikit-learn's bundled digits (64 features → 6 qubits, amplitude-encoded at Alice) it trains, on
the same split and batches:

(a) the distributed quantum classifier (Alice: 2 data re-upload layers, Bob: 2 trainable layers)
    with exact adjoint gradients — the simulation-only reference, no communication;
(b) the same model with the layer-shadow gradient estimator on finite shots (S(ε, δ/P) copies per
    layer state, ε = 0.1, δ = 0.05), every readout and gradient really sampled, the communication of
    every step on the ledger;
(c) the classical MLP trained by backpropagation, split across the same two parties, its
    activations and gradients counted as 32-bit floats;

on the binary task 3 vs 8 and (not with ``--quick``) on the 6-class task 0–5 (one Z readout per
qubit), all with Adam and a cosine learning-rate decay, batches of 32. It prints a table (test accuracy, qubits, classical bits, gradient copies, wall time),
writes ``report.json``, the learning curves, accuracy against communication and the
communication-cost curves ([`qdist.reports.curves.run_curves`][qdist.reports.curves.run_curves]) into ``--out``, and prints
where they are. ``--quick``: the binary task only, fewer epochs, closed-form curves only.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

FULL = {
    "binary": {"classes": "3,8", "epochs": 30},
    "multiclass": {"classes": "0,1,2,3,4,5", "epochs": 15, "methods": ("exact", "shadow")},
    "layers": 4,
    "parties": 2,
    "batch_size": 32,
    "lr": 0.05,
    "lr_schedule": "cosine",
    "mlp_lr": 0.01,
    "epsilon": 0.1,
    "delta": 0.05,
    "inference_curves": True,
}
QUICK = {
    "binary": {"classes": "3,8", "epochs": 12},
    "multiclass": None,
    "layers": 4,
    "parties": 2,
    "batch_size": 32,
    "lr": 0.05,
    "lr_schedule": "cosine",
    "mlp_lr": 0.01,
    "epsilon": 0.1,
    "delta": 0.05,
    "inference_curves": False,
}


def add_parser(sub):
    p = sub.add_parser("demo", help="run the main demonstration job (what `make demo` runs)")
    p.add_argument("--out", default="results/demo", help="output folder (default results/demo)")
    p.add_argument("--quick", action="store_true", help="smaller settings, under a minute")
    p.add_argument("--seed", default="0", help="random seed (default 0)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    return p


def _task(settings: dict, seed: int, out: Path, progress: bool, key: str, methods) -> tuple[list, dict]:
    from qdist.cli.train import _task_name
    from qdist.learn.data import load_dataset
    from qdist.learn.mlp import train_mlp
    from qdist.learn.train import TrainConfig, train_quantum

    spec = settings[key]
    ds = load_dataset("digits", classes=spec["classes"], seed=seed)
    task = _task_name(ds)
    base = TrainConfig(
        layers=settings["layers"],
        parties=settings["parties"],
        epochs=spec["epochs"],
        batch_size=settings["batch_size"],
        lr=settings["lr"],
        lr_schedule=settings["lr_schedule"],
        seed=seed,
        epsilon=settings["epsilon"],
        delta=settings["delta"],
    )
    suffix = "" if key == "binary" else f"-{key}"
    results = []
    for method in methods:
        results.append(
            train_quantum(
                ds,
                replace(base, method=method),
                name=f"quantum-{method}{suffix}",
                out_dir=out,
                progress=progress,
                task=task,
            )
        )
    results.append(
        train_mlp(
            ds, base, lr=settings["mlp_lr"], name=f"mlp{suffix}", out_dir=out, progress=progress, task=task
        )
    )
    return results, {task: ds.to_dict()}


def run(args) -> int:
    from qdist.cli.args import parse_int
    from qdist.reports.curves import run_curves
    from qdist.reports.training import format_table, write_training_report

    seed = parse_int(args.seed, "--seed", 0)
    settings = QUICK if args.quick else FULL
    t_start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"qdist demo{' --quick' if args.quick else ''}: distributed quantum classifier vs classical MLP "
        f"on scikit-learn digits (64 features → 6 qubits, {settings['parties']} parties, "
        f"{settings['layers']} layers)",
        flush=True,
    )
    results, datasets = _task(settings, seed, out, args.progress, "binary", ("exact", "shadow"))
    if settings["multiclass"]:
        more, ds_more = _task(
            settings, seed, out, args.progress, "multiclass", settings["multiclass"]["methods"]
        )
        results += more
        datasets.update(ds_more)

    # communication-cost curves at the trained configuration (closed forms, N = 2 … 2^60)
    shadow = next(r for r in results if r.name == "quantum-shadow")
    steps = len(shadow.steps)
    curves = run_curves(
        out / "curves",
        task="training",
        layers=settings["layers"],
        parties=settings["parties"],
        model="hea",
        epsilon=settings["epsilon"],
        delta=settings["delta"],
        steps=steps,
        batch=settings["batch_size"],
        sim_max_n=0,
        seed=seed,
        progress=args.progress,
    )
    curve_files = {"training": curves.get("files")}
    crossovers = {"training": curves.get("crossovers")}
    if settings["inference_curves"]:  # with protocol simulations for n ≤ 6 (default of run_curves)
        inf = run_curves(out / "curves_inference", task="inference", seed=seed, progress=args.progress)
        curve_files["inference"] = inf.get("files")
        crossovers["inference"] = inf.get("crossovers")
    total = time.perf_counter() - t_start
    report = write_training_report(
        out,
        results,
        datasets=datasets,
        extra={
            "demo": {
                "quick": bool(args.quick),
                "seed": seed,
                "settings": {k: v for k, v in settings.items()},
                "wall_seconds_total": total,
            },
            "curves": {"files": curve_files, "crossovers": crossovers},
        },
    )
    print()
    print(format_table(results))
    print()
    print(
        "  qubits / classical bits: everything sent during training (ledger); gradient copies: state "
        "preparations used by the gradient estimator.\n"
        "  quantum-exact is the simulation-only reference (adjoint gradients need the state vector): "
        "no communication."
    )
    _print_crossovers(crossovers["training"])
    print(f"\n  wrote (total {total:.0f} s):")
    for key, path in report["files"].items():
        print(f"    {key}: {path}")
    for task, files in curve_files.items():
        if files:
            shown = (
                files
                if isinstance(files, (list, tuple))
                else list(files.values())
                if isinstance(files, dict)
                else [files]
            )
            print(f"    curves ({task}): {', '.join(str(f) for f in shown)}")
    return 0


def _print_crossovers(cross) -> None:
    """One line per quantum gradient scheme: the N from which it beats each classical scheme."""
    if not isinstance(cross, dict):
        return
    print("  training cost curves at this configuration (closed forms; N from which quantum is cheaper):")
    for scheme, c in cross.items():
        if not isinstance(c, dict) or "vs" not in c:
            continue
        parts = [f"{k} " + (f"N ≈ {v:.3g}" if v else "never (N ≤ 2^60)") for k, v in c["vs"].items()]
        print(f"    {scheme}: " + "; ".join(parts))


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(FULL))
