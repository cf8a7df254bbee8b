"""``qdist`` entry point: parses arguments, dispatches to a sub-command, turns user mistakes into
one-line errors (exit code 2) instead of tracebacks."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from qdist.precision import x64

#: sub-command name -> module under qdist.cli; each module defines ``add_parser(subparsers)``
#: (returning the parser) and ``run(args) -> int``.
COMMANDS = {
    "simulate": "qdist.cli.simulate",
    "curves": "qdist.cli.curves",
    "train": "qdist.cli.train",
    "submit": "qdist.cli.submit",
    "jobs": "qdist.cli.jobs",
    "demo": "qdist.cli.demo",
}


class UserError(Exception):
    """A mistake in the user's input: printed as ``qdist: error: <message>`` without a traceback."""


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(
        prog="qdist",
        description="Distributed machine learning over simulated quantum networks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name, modname in COMMANDS.items():
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:  # a sub-command still being built
            if exc.name != modname:
                raise
            continue
        mod.add_parser(sub)
        modules[name] = mod
    return parser, modules


@x64
def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args) or 0)
    except (UserError, ValueError, TypeError, FileNotFoundError) as exc:
        if os.environ.get("QDIST_DEBUG"):
            raise
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"qdist {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qdist: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
