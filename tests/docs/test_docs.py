"""The tutorials (docs/tutorials/*.md) run as plain scripts, and the docs build shows their outputs.

A tutorial's code is its ```python blocks in page order (``docs/_tutorials.py`` extracts them), except
a block whose opening fence follows the line ``<!-- skip -->`` (the real-device part of the hardware
tutorial, which needs IBM credentials). Joined, they are written to ``script.py`` and run with
``python script.py`` in a fresh process, in an empty working directory with a private job cache
(``QDIST_CACHE``) and without ``QDIST_SCHEDULER`` — as a reader would run them. A page fails on a
non-zero exit, on any traceback on standard error (a worker process that died while the script went
on) and on ``simulated points: 0``. A page that starts with ``<!-- requires: MODULE -->`` imports
MODULE first: a module of this project (``qdist…``, ``shadows…``) is imported plainly, so a broken
import fails the page; only an optional third-party MODULE that is not installed skips it, with the
reason. Also checked: how outputs are put under the blocks, the CLI reference documents every option
of every sub-command, and ``mkdocs.yml`` lists every page of ``docs/``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))
PROJECT_PACKAGES = ("qdist", "shadows")
REQUIRES = re.compile(r"<!--\s*requires:\s*([\w.]+)\s*-->")


def _docs_module(name: str):
    spec = importlib.util.spec_from_file_location(f"qdist_docs_{name.strip('_')}", DOCS / f"{name}.py")
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


tut = _docs_module("_tutorials")


def test_code_blocks_parser():
    page = 'x\n```python\na = 1\n```\n<!-- skip -->\n```python title="real"\nraise SystemExit\n```\n```bash\nls\n```\n'
    blocks = tut.code_blocks(page)
    assert [(b.lang, b.code, b.skipped, b.runnable) for b in blocks] == [
        ("python", "a = 1\n", False, True),
        ("python", "raise SystemExit\n", True, False),
        ("bash", "ls\n", False, False),
    ]
    assert [(b.start, b.end) for b in blocks] == [(1, 3), (5, 7), (8, 10)]
    assert tut.script(page) == "a = 1\n"


def test_outputs_go_under_their_blocks():
    page = "# t\n\n```python\nprint(1)\n```\n\ntext\n\n* item\n\n    ```python\n    plot()\n    ```\n\n```bash\nls\n```\n"
    records = [
        {"line": 3, "stdout": "1\n", "figures": []},
        {"line": 11, "stdout": "", "figures": [{"name": "out/curves.png"}]},
    ]
    got = tut.with_outputs(page, records, lambda rec, fig: f"_outputs/{rec['line']}.png")
    assert got == (
        '# t\n\n```python\nprint(1)\n```\n\n```text title="Output"\n1\n```\n\ntext\n\n* item\n\n'
        "    ```python\n    plot()\n    ```\n\n    ![out/curves.png](_outputs/11.png){ .qdist-figure }\n"
        "\n```bash\nls\n```\n"
    )
    with pytest.raises(tut.TutorialError, match="2 runnable blocks"):
        tut.with_outputs(page, records[:1], lambda rec, fig: "")
    # an output holding a fence gets a longer one
    assert tut._fence_for("a ``` b") == "````"


def test_tutorials_exist():
    assert len(TUTORIALS) >= 4, [p.name for p in TUTORIALS]


@pytest.mark.parametrize("page", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_as_a_plain_script(page: Path, tmp_path):
    text = page.read_text()
    for module in REQUIRES.findall("\n".join(text.splitlines()[:5])):
        if (
            module.split(".")[0] not in PROJECT_PACKAGES
            and importlib.util.find_spec(module.split(".")[0]) is None
        ):
            pytest.skip(f"{page.name}: needs {module}, which is not installed")
        importlib.import_module(module)  # installed or ours: an ImportError fails the page
    code = tut.script(text)
    assert code.strip(), f"{page.name}: no executable ```python block"
    (tmp_path / "script.py").write_text(code)
    env = tut.clean_env()
    env["QDIST_CACHE"] = str(tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"{page.name} as a script exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr, f"{page.name} printed a traceback:\n{proc.stderr[-3000:]}"
    assert "simulated points: 0" not in proc.stdout, f"{page.name}: nothing was simulated:\n{proc.stdout}"
    assert proc.stdout.strip(), f"{page.name} printed nothing"


def test_real_device_block_without_credentials_says_so(tmp_path):
    """The hardware tutorial's real-device block, run with no IBM account: a message, no traceback."""
    page = DOCS / "tutorials" / "hardware.md"
    (real,) = [b for b in tut.code_blocks(page.read_text()) if b.skipped]
    (tmp_path / "real.py").write_text("import qdist.backends as qb\n" + real.code)
    env = tut.clean_env()
    env.pop("QISKIT_IBM_TOKEN", None)
    env["HOME"] = str(tmp_path)  # no saved account (~/.qiskit) either
    proc = subprocess.run(
        [sys.executable, "real.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1].startswith("No IBM Quantum account found"), proc.stderr[
        -2000:
    ]


def test_skipped_blocks_still_compile():
    """Blocks that are not executed (real hardware) must at least be valid Python."""
    for page in TUTORIALS:
        for b in tut.code_blocks(page.read_text()):
            if b.skipped and b.lang in tut.PYTHON:
                compile(b.code, f"{page.name}:{b.start + 1}", "exec")


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
