"""Execute the code of every tutorial (docs/tutorials/*.md), page by page.

The ```python blocks of a page run in order in one fresh namespace, in a temporary working
directory with a private job cache (``QDIST_CACHE``) and serial sweeps (``QDIST_SCHEDULER``), so a tutorial is tested exactly as a reader
would run it top to bottom. A block is *not* executed when the line before its opening fence is
``<!-- skip -->`` (used for the real-device part of the hardware tutorial, which needs IBM
credentials). A page that starts with ``<!-- requires: MODULE -->`` imports MODULE first: a module of
this project (``qdist…``, ``shadows…``) is imported plainly, so a broken import fails the page; only
an optional third-party MODULE that is not installed skips it, with the reason. Also checked: the
CLI reference documents every option of every sub-command, and ``mkdocs.yml`` lists every page of
``docs/``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))
SKIP_MARK = "<!-- skip -->"
PROJECT_PACKAGES = ("qdist", "shadows")
REQUIRES = re.compile(r"<!--\s*requires:\s*([\w.]+)\s*-->")
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)\s*(?P<info>[^\n]*)$")


def code_blocks(text: str) -> list[tuple[int, str, bool]]:
    """``(line number, code, skipped)`` for every ```python block of a markdown page."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], m["indent"]
        lang = m["info"].split()[0].lower() if m["info"].split() else ""
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line)
            i += 1
        i += 1  # closing fence
        if lang in ("python", "py", "{.python}"):
            prev = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
            blocks.append((start + 1, "\n".join(body) + "\n", prev == SKIP_MARK))
    return blocks


def test_code_blocks_parser():
    page = 'x\n```python\na = 1\n```\n<!-- skip -->\n```python title="real"\nraise SystemExit\n```\n```bash\nls\n```\n'
    blocks = code_blocks(page)
    assert [(code, skipped) for _, code, skipped in blocks] == [
        ("a = 1\n", False),
        ("raise SystemExit\n", True),
    ]


def test_tutorials_exist():
    assert len(TUTORIALS) >= 4, [p.name for p in TUTORIALS]


@pytest.mark.parametrize("page", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(page: Path, tmp_path, monkeypatch):
    text = page.read_text()
    for module in REQUIRES.findall("\n".join(text.splitlines()[:5])):
        if (
            module.split(".")[0] not in PROJECT_PACKAGES
            and importlib.util.find_spec(module.split(".")[0]) is None
        ):
            pytest.skip(f"{page.name}: needs {module}, which is not installed")
        importlib.import_module(module)  # installed or ours: an ImportError fails the page
    blocks = code_blocks(text)
    runnable = [(line, code) for line, code, skipped in blocks if not skipped]
    assert runnable, f"{page.name}: no executable ```python block"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QDIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # sweeps run their simulated points in this process (no spawned workers on a shared CI machine)
    monkeypatch.setenv("QDIST_SCHEDULER", "serial")
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for line, code in runnable:
        try:
            exec(compile(code, f"{page.relative_to(ROOT)}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"{page.name}, block at line {line} failed: {type(exc).__name__}: {exc}"
            ) from exc


def test_skipped_blocks_still_compile():
    """Blocks that are not executed (real hardware) must at least be valid Python."""
    for page in TUTORIALS:
        for line, code, skipped in code_blocks(page.read_text()):
            if skipped:
                compile(code, f"{page.name}:{line}", "exec")


def test_cli_reference_lists_every_option():
    from qdist.cli.main import build_parser

    parser, modules = build_parser()
    text = (DOCS / "reference" / "cli.md").read_text()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = []
    for name, p in sub.choices.items():
        if f"## `qdist {name}`" not in text:
            missing.append(f"section qdist {name}")
        for action in p._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help" and f"`{opt}" not in text:
                    missing.append(f"qdist {name} {opt}")
    assert not missing, f"docs/reference/cli.md does not document: {', '.join(missing)}"


def test_nav_lists_every_page():
    yml = (ROOT / "mkdocs.yml").read_text()
    pages = [p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")]
    missing = [p for p in pages if p not in yml]
    assert not missing, f"pages missing from mkdocs.yml nav: {missing}"


# ------------------------------------------------------------------------------------------------
# benchmarks/summary.py and run_all.py (pure file handling; no benchmark is run)
# ------------------------------------------------------------------------------------------------


def _bench_module(name: str):
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_summary_robust_to_missing_and_broken_files(tmp_path):
    import json

    summary = _bench_module("summary")
    (tmp_path / "shadow_speed_quick.json").write_text("{ not json")
    (tmp_path / "simulator_quick.json").write_text(
        json.dumps({"benchmark": "simulator", "cases": [{"n": 4, "seconds": {"qdist": {}}}], "memory": []})
    )
    (tmp_path / "hardware_path.json").write_text(
        json.dumps(
            {
                "benchmark": "hardware_path",
                "config": {"device": "fake:torino", "qubits": 3, "params": 6, "shots": 1000},
                "qdist_param_shift": {"cold_seconds": 2.0, "warm_seconds": 1.0, "copies": 12000},
                "runtime_one_job_per_circuit": {"end_to_end_seconds": 30.0, "extrapolated": True},
                "pennylane_qiskit_remote": {"available": False, "reason": "offline"},
                "speedup": {
                    "vs_runtime_warm": 30.0,
                    "vs_runtime_cold": 15.0,
                    "target": 10,
                    "target_met_cold": True,
                },
            }
        )
    )
    (tmp_path / "other.json").write_text(json.dumps({"benchmark": "other", "speed_ratio": 2.5}))
    path = summary.write_summary(tmp_path, plots=False)
    text = path.read_text()
    assert path == tmp_path / "SUMMARY.md"
    assert "## simulator" in text and "## hardware_path" in text and "## other" in text
    assert "30×" in text and "✅ met" in text and "2.5" in text
    assert "unreadable" in text and "gradient_scaling" in text  # listed under "Not measured yet"
    assert not list(tmp_path.glob("*.tmp"))


def test_summary_of_an_empty_folder(tmp_path):
    summary = _bench_module("summary")
    text = summary.write_summary(tmp_path / "none", plots=False).read_text()
    assert text.startswith("# Benchmark summary") and "Not measured yet" in text


def test_run_all_discovers_the_scripts():
    run_all = _bench_module("run_all")
    names = [p.name for p in run_all.discover()]
    assert "simulator.py" in names and "shadow_speed.py" in names
    assert not {"run_all.py", "summary.py", "_common.py"} & set(names)


def test_run_all_reports_a_failing_script_and_carries_on(tmp_path):
    run_all = _bench_module("run_all")
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nprint('partial output')\nsys.exit(3)\n")
    good = tmp_path / "good.py"
    good.write_text("import sys\nassert sys.argv[1:] == ['--quick']\nprint('fine')\n")
    r_bad, r_good = (run_all.run_script(p, quick=True, timeout=60) for p in (bad, good))
    assert not r_bad["ok"] and r_bad["returncode"] == 3 and r_bad["stdout_tail"] == ["partial output"]
    assert r_good["ok"] and r_good["stdout_tail"] == ["fine"]
