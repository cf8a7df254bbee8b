"""``qdist curves``: communication-cost curves, quantum against classical, and their crossovers.

    qdist curves --out DIR [--task inference|gradient|training] [--n-max 60] [--epsilon 0.1[,0.05…]]
                 [--layers 2[,4…]] [--parties 2[,3…]] [--model diag|hea] [--margin sqrtN|γ]
                 [--sim-max-n n] [--scheduler processes|serial|tcp://host:port] [--workers k]
                 [--no-progress] [--metric volume|time] [link flags: --link-loss P --transport …]

Writes DIR/curves.csv, DIR/curves.json, DIR/crossover.json and DIR/curves.png (atomically) and
prints a one-line summary per quantum scheme (see [`qdist.reports.curves`][qdist.reports.curves]). The simulated
points run on local spawned processes, or on a Dask cluster with ``--scheduler tcp://host:port`` (or
the ``QDIST_SCHEDULER`` environment variable); see `qdist.scale.executor`. Exit code 1 when some
simulated points failed (the others are written). The link flags (`qdist.cli.link_args`) make the
quantum schemes' links physical; ``--metric time`` also writes DIR/curves_time.png (network time
against N).
"""

from __future__ import annotations

import argparse
import json
import math

from qdist.cli.args import flag_map, flag_message, parse_float, parse_int
from qdist.cli.link_args import add_link_arguments, links_from_args
from qdist.cli.simulate import _FLAGS as _SIMULATE_FLAGS
from qdist.io import output_lock
from qdist.network.spec import DEFAULT_MODEL as _D
from qdist.validate import check_output_dir


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "curves",
        help="sweep N and write cost curves and crossovers (CSV, JSON, PNG)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--out", default=None, help="output folder (required)")
    p.add_argument("--task", default="inference", help="inference | gradient | training (default inference)")
    p.add_argument("--n-max", dest="n_max", default="60", help="sweep N = 2^1 … 2^n_max (default 60)")
    p.add_argument("--epsilon", default="0.1", help="ε, or a comma-separated list (default 0.1)")
    p.add_argument("--delta", default="0.05", help="δ in (0, 1) (default 0.05)")
    p.add_argument(
        "--layers", default=str(_D["layers"]), help=f"L, or a comma-separated list (default {_D['layers']})"
    )
    p.add_argument(
        "--parties",
        default=str(_D["parties"]),
        help=f"K, or a comma-separated list (default {_D['parties']})",
    )
    p.add_argument(
        "--schedule", default=_D["schedule"], help=f"pipeline | interleaved (default {_D['schedule']})"
    )
    p.add_argument(
        "--model",
        default=_D["model"],
        help="diag (model owners' layers carry 2^n−1 trainable phases: P grows with N; default) | hea (P = 2nL)",
    )
    p.add_argument("--bits", default="32", help="bits per classical float: 32 or 64 (default 32)")
    p.add_argument(
        "--margin", default="sqrtN", help="linear classifier margin γ: sqrtN (1/√N, default) or a number"
    )
    p.add_argument("--steps", default="10", help="training: SGD steps T (default 10)")
    p.add_argument("--batch", default="1", help="training: samples per step B (default 1)")
    p.add_argument(
        "--sim-max-n",
        dest="sim_max_n",
        default=None,
        help="simulate the protocols for n ≤ this many qubits (default: 10 inference, 3 gradient, 1 training; at most 20)",
    )
    p.add_argument("--seed", default="0", help="seed of the simulated points (default 0)")
    p.add_argument(
        "--scheduler",
        default=None,
        help="where the simulated points run: processes (local), serial, or a Dask scheduler "
        "address tcp://host:port (default: $QDIST_SCHEDULER, else serial for at most 64 points "
        "and processes above)",
    )
    p.add_argument(
        "--workers",
        default=None,
        help="local worker processes (default: cores; ignored with a Dask scheduler)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument(
        "--metric", default="volume", help="volume | time (time also writes curves_time.png; default volume)"
    )
    add_link_arguments(p)
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    return p


def _list(value: str, flag: str, conv) -> list:
    parts = [v for v in str(value).split(",") if v.strip()]
    if not parts:
        raise ValueError(f"{flag}: expected a value or a comma-separated list, got {value!r}")
    return [conv(v.strip(), flag) for v in parts]


def _settings(args) -> dict:
    """The keyword arguments of `run_curves` from the parsed strings (one-line errors naming the flag)."""
    if not args.out:
        raise ValueError("--out: expected an output folder")
    bits = parse_int(args.bits, "--bits")
    if bits not in (32, 64):
        raise ValueError(f"--bits: expected 32 or 64, got {bits}")
    margin = args.margin
    if margin.lower() != "sqrtn":
        margin = parse_float(margin, "--margin")
    if args.metric not in ("volume", "time"):
        raise ValueError(f"--metric: expected volume or time, got {args.metric!r}")
    return dict(
        task=args.task,
        n_max=parse_int(args.n_max, "--n-max"),
        epsilon=_list(args.epsilon, "--epsilon", parse_float),
        delta=parse_float(args.delta, "--delta"),
        layers=_list(args.layers, "--layers", parse_int),
        parties=_list(args.parties, "--parties", parse_int),
        schedule=args.schedule,
        model=args.model,
        bits=bits,
        margin=margin,
        steps=parse_int(args.steps, "--steps"),
        batch=parse_int(args.batch, "--batch"),
        sim_max_n=None if args.sim_max_n is None else parse_int(args.sim_max_n, "--sim-max-n"),
        seed=parse_int(args.seed, "--seed"),
        progress=args.progress,
        scheduler=args.scheduler,
        workers=None if args.workers is None else parse_int(args.workers, "--workers"),
        links=links_from_args(args),
        metric=args.metric,
    )


def run(args) -> int:
    from qdist.reports.curves import run_curves

    try:
        settings = _settings(args)
        check_output_dir("--out", args.out)  # before any work
        with output_lock(args.out, "--out"):
            summary = run_curves(args.out, **settings)
    except (ValueError, TypeError) as exc:
        flags = flag_map([*_SIMULATE_FLAGS, "n_max", "sim_max_n", "scheduler", "workers"])
        raise ValueError(flag_message(exc, flags)) from None
    return _print_summary(args, summary)


def _print_summary(args, summary: dict) -> int:
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k != "all_crossovers"}))
        return 1 if summary["failed"] else 0
    print(
        f"qdist curves: task={summary['task']} → {summary['files']['csv']} (+ curves.json, crossover.json, curves.png)"
    )

    def where(n):
        return "never (N ≤ 2^n_max)" if n is None else f"N = {n} (≈ 2^{math.log2(n):.1f})"

    for name, c in summary["crossovers"].items():
        print(f"  {name:28} cheaper than every naive classical protocol from {where(c['vs_best_classical'])}")
        for bound, n in (c.get("vs_lower_bound") or {}).items():
            print(f"  {'':28} below the classical lower bound ({bound}, constant 1) from {where(n)}")
    print(f"  importance sampling: {summary['bounds']['importance-sampling']}")
    if summary["mismatches"]:
        print(f"  WARNING: simulated ledgers differ from the formula at {summary['mismatches']}")
    for name, err in summary["failed"].items():
        print(f"  FAILED: {name}: {err} (kept in curves.partial.jsonl; rerun to resume)")
    return 1 if summary["failed"] else 0
