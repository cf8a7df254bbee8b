"""≥ 60 bad inputs, CLI and API (issue 15, item 5 of "What to build"): each gives exit code 2 (CLI)
or a ValueError/TypeError (API) with ONE line that starts with the argument's name — never a
traceback, never a message that names no argument. The rows are in `bad_inputs`."""

from __future__ import annotations

import re

import pytest
from bad_inputs import CLI, api_rows, run_api, run_cli


def test_the_table_is_large_enough():
    assert len(CLI) + len(api_rows()) >= 60


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QDIST_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize(("argv", "flag"), CLI, ids=[" ".join(a) for a, _ in CLI])
def test_cli_bad_input_is_one_line_naming_the_flag(tmp_path, argv, flag):
    code, out, err = run_cli(list(argv), tmp_path)
    command = next(a for a in argv if not a.startswith(("env", "QDIST_")) and "=" not in a)
    lines = err.strip().splitlines()
    assert code == 2 and out == "", (code, out, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"qdist {command}: error: {flag}"), lines[0]
    assert re.match(rf"^qdist {command}: error: {re.escape(flag)}( \([^)]*\))?:", lines[0]), lines[0]


@pytest.mark.parametrize(("label", "name"), api_rows(), ids=[label for label, _ in api_rows()])
def test_api_bad_input_is_one_line_naming_the_argument(label, name):
    kind, message = run_api(label)
    assert kind in ("ValueError", "TypeError"), (kind, message)
    assert "\n" not in message and re.match(rf"^{re.escape(name)}\w*( \([^)]*\))?:", message), message
