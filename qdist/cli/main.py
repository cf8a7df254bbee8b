"""``qdist`` entry point: parses arguments, dispatches to a sub-command, turns user mistakes into
one-line errors (exit code 2) instead of tracebacks.

An OS error on a path the user gave (``--out`` a file, a read-only folder, ``QDIST_CACHE`` a file, …)
is one line naming the flag (or environment variable) and the path; warnings are one line
(``qdist <command>: warning: …``). ``QDIST_DEBUG=1`` keeps the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from pathlib import Path

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


#: environment variables that name a path
PATH_VARIABLES = ("QDIST_CACHE",)


def _under(path: str, root) -> bool:
    try:
        p, r = Path(path).absolute(), Path(root).expanduser().absolute()
    except (TypeError, ValueError):
        return False
    return p == r or r in p.parents


def path_source(filename, args) -> str | None:
    """The flag (``--out``) or environment variable (``QDIST_CACHE``) whose path holds ``filename``."""
    if not filename:
        return None
    best = None
    for dest, value in vars(args).items():
        if isinstance(value, str) and value and dest != "command" and _under(str(filename), value):
            if best is None or len(value) > len(best[1]):
                best = ("--" + dest.replace("_", "-"), value)
    if best:
        return best[0]
    for var in PATH_VARIABLES:
        if os.environ.get(var) and _under(str(filename), os.environ[var]):
            return var
    return None


def os_error_message(exc: OSError, args) -> str:
    """``--out: cannot write /x/report.json: Permission denied`` (one line)."""
    if exc.filename is None:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    what = exc.strerror or type(exc).__name__
    source = path_source(exc.filename, args)
    target = exc.filename if exc.filename2 is None else f"{exc.filename} → {exc.filename2}"
    return f"{source + ': ' if source else ''}{target}: {what}"


def _one_line_warning(command: str):
    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message).splitlines()[0] if str(message) else category.__name__
        print(f"qdist {command}: warning: {text}", file=file or sys.stderr)

    return show


@x64
def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    debug = bool(os.environ.get("QDIST_DEBUG"))
    with warnings.catch_warnings() if not debug else contextlib.nullcontext():
        if not debug:
            warnings.showwarning = _one_line_warning(args.command)
        try:
            return int(modules[args.command].run(args) or 0)
        except (UserError, ValueError, TypeError, OSError, MemoryError, OverflowError) as exc:
            if debug:
                raise
            if isinstance(exc, OSError) and exc.filename is not None:
                msg = os_error_message(exc, args)
            else:
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"qdist {args.command}: error: {msg}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("qdist: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
