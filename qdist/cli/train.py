"""``qdist train``: train the distributed quantum classifier (and the classical MLP baseline).

    qdist train [--dataset digits|breast_cancer | --data FILE.csv --label COLUMN] [--classes 3,8]
                [--layers 4] [--parties 2] [--method exact|param-shift|shadow|tomography|spsa[,…]]
                [--shots S] [--epsilon 0.1] [--delta 0.05] [--optimizer adam|sgd] [--lr 0.05]
                [--epochs 20] [--batch-size 32] [--seed 0] [--out results/train] [--resume]

Writes OUT/report.json, OUT/learning_curves.png, OUT/accuracy_vs_communication.png and a checkpoint
per model in OUT/checkpoints/ after every epoch (``--resume`` continues from them), and prints a
table of the results. See `qdist.learn.train` for the protocol and its ledger.
"""

from __future__ import annotations

import argparse
import json
import math

from qdist.cli.args import flag_message, parse_float, parse_int
from qdist.cli.link_args import add_link_arguments, links_from_args
from qdist.io import output_lock
from qdist.network.spec import DEFAULT_MODEL as _D
from qdist.validate import check_batch_size, check_output_dir

#: API argument names → command-line flags (for one-line errors that name the flag).
FLAGS = {
    "links": "--link-noise",
    "dataset": "--dataset",
    "data": "--data",
    "label": "--label",
    "classes": "--classes",
    "test_size": "--test-size",
    "layers": "--layers",
    "parties": "--parties",
    "schedule": "--schedule",
    "model": "--model",
    "gamma": "--gamma",
    "method": "--method",
    "shots": "--shots",
    "epsilon": "--epsilon",
    "delta": "--delta",
    "optimizer": "--optimizer",
    "lr": "--lr",
    "lr_schedule": "--lr-schedule",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "seed": "--seed",
    "bits": "--bits",
    "engine": "--engine",
    "spsa_samples": "--spsa-samples",
    "spsa_c": "--spsa-c",
    "mlp_hidden": "--mlp-hidden",
    "mlp_lr": "--mlp-lr",
    "resume": "--resume",
}


def _bits(text) -> int:
    bits = parse_int(text, "--bits")
    if bits not in (32, 64):
        raise ValueError(f"--bits: expected 32 or 64, got {bits}")
    return bits


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train",
        help="train the distributed quantum classifier and the classical MLP baseline",
        description=__doc__.split("\n\n")[0],
    )
    d = p.add_argument_group("data")
    d.add_argument(
        "--dataset", default=None, help="digits (default) | breast_cancer (bundled with scikit-learn)"
    )
    d.add_argument("--data", default=None, help="a CSV file with a header row (instead of --dataset)")
    d.add_argument("--label", default=None, help="label column of the CSV file")
    d.add_argument("--classes", default=None, help="labels to keep, e.g. 3,8 (default: all)")
    d.add_argument("--test-size", dest="test_size", default="0.25", help="held-out fraction (default 0.25)")
    m = p.add_argument_group("quantum model and estimator")
    m.add_argument("--layers", default=str(_D["layers"]), help=f"layers L (default {_D['layers']})")
    m.add_argument("--parties", default=str(_D["parties"]), help=f"parties K ≥ 2 (default {_D['parties']})")
    m.add_argument(
        "--schedule", default=_D["schedule"], help=f"pipeline | interleaved (default {_D['schedule']})"
    )
    m.add_argument(
        "--model", default=_D["model"], help=f"diag | hea (the model owners' layers; default {_D['model']})"
    )
    m.add_argument("--gamma", default=str(math.pi / 2), help="re-upload strength γ (default π/2)")
    m.add_argument(
        "--method",
        default="exact",
        help="gradient estimator: exact | param-shift | shadow | tomography | spsa, or a comma list (default exact)",
    )
    m.add_argument("--shots", default=None, help="copies per estimator circuit (default: from ε and δ)")
    m.add_argument("--epsilon", default="0.1", help="target accuracy ε (default 0.1)")
    m.add_argument("--delta", default="0.05", help="failure probability δ (default 0.05)")
    m.add_argument("--bits", default="32", help="bits per classical float: 32 or 64 (default 32)")
    m.add_argument("--engine", default="auto", help="auto | batched | protocol (default auto)")
    m.add_argument("--spsa-samples", dest="spsa_samples", default="1", help="SPSA directions (default 1)")
    m.add_argument("--spsa-c", dest="spsa_c", default="0.1", help="SPSA perturbation (default 0.1)")
    o = p.add_argument_group("optimisation")
    o.add_argument("--optimizer", default="adam", help="adam | sgd (default adam)")
    o.add_argument("--lr", default="0.05", help="learning rate of the quantum model (default 0.05)")
    o.add_argument(
        "--lr-schedule",
        dest="lr_schedule",
        default="constant",
        help="constant | cosine (to lr/10; default constant)",
    )
    o.add_argument("--epochs", default="20", help="epochs (default 20)")
    o.add_argument("--batch-size", dest="batch_size", default="32", help="mini-batch size (default 32)")
    o.add_argument("--seed", default="0", help="seed of split, initialisation, batches, shots (default 0)")
    b = p.add_argument_group("classical baseline")
    b.add_argument(
        "--mlp-hidden",
        dest="mlp_hidden",
        default=None,
        help="hidden widths, e.g. 64 (default N per boundary)",
    )
    b.add_argument("--mlp-lr", dest="mlp_lr", default="0.01", help="MLP learning rate (default 0.01)")
    b.add_argument("--no-baseline", dest="baseline", action="store_false", help="skip the MLP")
    add_link_arguments(p)
    r = p.add_argument_group("output")
    r.add_argument("--out", default="results/train", help="output folder (default results/train)")
    r.add_argument("--resume", action="store_true", help="continue from the checkpoints in --out")
    r.add_argument("--no-plots", dest="plots", action="store_false", help="write report.json only")
    r.add_argument(
        "--noise-sweep",
        dest="noise_sweep",
        action="store_true",
        help="also evaluate the trained quantum models through depolarizing links, p = 0 … 0.5",
    )
    r.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    r.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    return p


# ------------------------------------------------------------------------------------------------
# argument parsing with one-line errors
# ------------------------------------------------------------------------------------------------


def parse_args(args) -> dict:
    """Validated settings from the parsed arguments (ValueError naming the flag on a mistake)."""
    from qdist.learn.train import METHODS, TrainConfig

    methods = [s.strip() for s in str(args.method).split(",") if s.strip()]
    if not methods:
        raise ValueError(f"--method: expected one of {', '.join(METHODS)}, got {args.method!r}")
    for meth in methods:
        if meth not in METHODS:
            raise ValueError(
                f"--method: unknown gradient method {meth!r}; expected one of {', '.join(METHODS)}"
            )
    if len(set(methods)) != len(methods):
        raise ValueError(f"--method: a method is listed twice in {args.method!r}")
    common = dict(
        layers=parse_int(args.layers, "--layers"),
        parties=parse_int(args.parties, "--parties"),
        schedule=args.schedule,
        model=args.model,
        gamma=parse_float(args.gamma, "--gamma"),
        shots=None if args.shots is None else parse_int(args.shots, "--shots"),
        epsilon=parse_float(args.epsilon, "--epsilon"),
        delta=parse_float(args.delta, "--delta"),
        optimizer=args.optimizer,
        lr=parse_float(args.lr, "--lr"),
        lr_schedule=args.lr_schedule,
        epochs=parse_int(args.epochs, "--epochs"),
        batch_size=parse_int(args.batch_size, "--batch-size"),
        seed=parse_int(args.seed, "--seed"),
        bits=_bits(args.bits),
        engine=args.engine,
        spsa_samples=parse_int(args.spsa_samples, "--spsa-samples"),
        spsa_c=parse_float(args.spsa_c, "--spsa-c"),
        links=links_from_args(args),
    )
    configs = []
    for meth in methods:
        shots = common["shots"] if meth not in ("exact", "tomography") else None
        try:
            configs.append(TrainConfig(**{**common, "method": meth, "shots": shots}))
        except ValueError as exc:
            raise ValueError(flag_message(exc, FLAGS)) from None
    if args.data is not None and args.dataset is not None:
        raise ValueError("--dataset: give either --dataset or --data FILE --label COLUMN, not both")
    if args.data is None and args.label is not None:
        raise ValueError("--label: only a CSV data set (--data FILE) takes a label column")
    if args.data is not None and args.label is None:
        raise ValueError("--label: a CSV data set (--data FILE) needs its label column (--label COLUMN)")
    return {
        "configs": configs,
        "test_size": parse_float(args.test_size, "--test-size"),
        "mlp_lr": parse_float(args.mlp_lr, "--mlp-lr"),
    }


def run(args) -> int:
    from qdist.learn.data import load_dataset
    from qdist.learn.mlp import MLPTrainer
    from qdist.learn.train import QuantumTrainer

    try:
        s = parse_args(args)
        check_output_dir("--out", args.out)  # before any work: a file, a read-only folder, …
        dataset = load_dataset(
            None if args.data is not None else (args.dataset or "digits"),
            data=args.data,
            label=args.label,
            classes=args.classes,
            test_size=s["test_size"],
            seed=s["configs"][0].seed,
        )
        check_batch_size(s["configs"][0].batch_size, dataset.x_train.shape[0], "--batch-size")
        # build every trainer first: shape errors (too many classes, …) before any training
        for cfg in s["configs"]:
            QuantumTrainer(dataset, cfg)
        if args.baseline:
            MLPTrainer(dataset, s["configs"][0], hidden=args.mlp_hidden, lr=s["mlp_lr"])
    except ValueError as exc:
        raise ValueError(flag_message(exc, FLAGS)) from None
    task = _task_name(dataset)
    with output_lock(args.out, "--out"):  # a second run writing the same --out stops here
        if not args.json:
            print(
                f"qdist train — {dataset.name}, classes {','.join(dataset.class_names)}: "
                f"{dataset.x_train.shape[0]} train / {dataset.x_test.shape[0]} test, {dataset.num_features} features",
                flush=True,
            )
        return _train_and_report(args, s, dataset, task)


def _train_and_report(args, s, dataset, task) -> int:
    from qdist.learn.mlp import train_mlp
    from qdist.learn.train import train_quantum
    from qdist.reports.training import format_table, write_training_report

    results = []
    try:
        for cfg in s["configs"]:
            results.append(
                train_quantum(
                    dataset, cfg, out_dir=args.out, resume=args.resume, progress=args.progress, task=task
                )
            )
        if args.baseline:
            results.append(
                train_mlp(
                    dataset,
                    s["configs"][0],
                    hidden=args.mlp_hidden,
                    lr=s["mlp_lr"],
                    out_dir=args.out,
                    resume=args.resume,
                    progress=args.progress,
                    task=task,
                )
            )
    except ValueError as exc:
        raise ValueError(flag_message(exc, FLAGS)) from None
    extra = {"arguments": {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool))}}
    sweeps = _noise_sweeps(s["configs"], results, dataset) if getattr(args, "noise_sweep", False) else {}
    if sweeps:
        extra["noise_sweep"] = sweeps
        if args.plots:
            extra["files"] = {"accuracy_vs_noise": _write_noise_plot(args.out, sweeps, task)}
    report = write_training_report(
        args.out,
        results,
        datasets={task: dataset.to_dict()},
        extra=extra,
        plots=args.plots,
    )
    if args.json:
        out = {name: {k: m[k] for k in _summary_keys()} for name, m in report["models"].items()}
        for name, sw in sweeps.items():
            out[name]["test_accuracy_vs_noise"] = dict(zip(sw["strengths"], sw["test_accuracy"], strict=True))
        print(json.dumps(out))
        return 0
    print(format_table(results))
    for name, sw in sweeps.items():
        pairs = ", ".join(
            f"{p:g}: {a:.3f}" for p, a in zip(sw["strengths"], sw["test_accuracy"], strict=True)
        )
        print(f"  {name} test accuracy through {sw['kind']} links (p: accuracy): {pairs}")
    for key, path in report["files"].items():
        print(f"  {key}: {path}")
    return 0


def _noise_sweeps(configs, results, dataset) -> dict:
    """Per trained quantum model, its test accuracy through depolarizing links
    ([`accuracy_vs_noise`][qdist.learn.noise_sweep.accuracy_vs_noise]; evaluation only)."""
    from qdist.learn.noise_sweep import accuracy_vs_noise
    from qdist.learn.train import QuantumTrainer

    return {
        r.name: accuracy_vs_noise(QuantumTrainer(dataset, cfg), r.params)
        for cfg, r in zip(configs, results, strict=False)
    }


def _write_noise_plot(out_dir, sweeps: dict, task: str) -> str:
    from pathlib import Path

    from qdist.learn.checkpoint import write_bytes
    from qdist.reports.plots.noise_sweep import plot_accuracy_vs_noise

    path = Path(out_dir) / "accuracy_vs_noise.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, plot_accuracy_vs_noise(sweeps, title=f"{task}: test accuracy against link noise"))
    return str(path)


def _summary_keys() -> tuple[str, ...]:
    from qdist.reports.training import SUMMARY_FIELDS  # the report's summary fields, named once

    return ("task", "kind", "method", *SUMMARY_FIELDS)


def _task_name(dataset) -> str:
    cls = dataset.class_names
    if len(cls) == 2:
        return f"{dataset.name} {cls[0]} vs {cls[1]}"
    return f"{dataset.name} {len(cls)} classes"
