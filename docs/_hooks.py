"""mkdocs hooks: put generated results into the site at build time.

* ``benchmarks/results/`` (SUMMARY.md, plots, JSON) is published under the same path: the results
  live next to the benchmark scripts, outside ``docs/``, so they are added as generated files and
  ``benchmarks/results/SUMMARY.md`` is a page whose relative image links resolve. When no summary
  has been generated yet (a fresh clone), a placeholder page says how to make one.
* Every tutorial (``docs/tutorials/*.md``) is run (``docs/_tutorials.py``: each page's code in a
  fresh process, as a reader would run it) and its pages show, under each code block, what the
  block printed and the figures it drew or wrote. A tutorial that fails fails the build.
* The home page's cost-curve figures (``figures/curves-*.png``) and their crossover captions are
  made by [`run_curves`][qdist.reports.curves.run_curves], the code behind ``qdist curves``, and put
  where ``docs/index.md`` has ``<!-- figure: TASK -->`` and ``<!-- crossovers: TASK -->``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
RESULTS = ROOT / "benchmarks" / "results"
PREFIX = "benchmarks/results"
PLACEHOLDER = """# Benchmark results

No summary has been generated yet. Run `make bench` (or `python benchmarks/run_all.py --quick`,
then `python benchmarks/summary.py`) to measure and write `benchmarks/results/SUMMARY.md`.
"""
OUTPUTS = "tutorials/_outputs"
CURVE_TASKS = ("inference", "gradient")
N_MAX = 60  # the sweep of the home page: N = 2 … 2^60
log = logging.getLogger("mkdocs.hooks.qdist")

_spec = importlib.util.spec_from_file_location("qdist_docs_tutorials", DOCS / "_tutorials.py")
tutorials = sys.modules.setdefault("qdist_docs_tutorials", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(tutorials)

# the home page's figures: `qdist curves` for inference and for one gradient step (default model,
# closed forms to N = 2^60, the protocols simulated at the smallest size), in one fresh process
CURVES_SCRIPT = """
import json, sys
from qdist.reports.curves import run_curves

out = {}
for task in sys.argv[3:]:
    s = run_curves(f"{sys.argv[1]}/{task}", task, n_max=int(sys.argv[2]), sim_max_n=1, scheduler="serial", progress=False)
    out[task] = {"crossovers": s["crossovers"], "simulated_rows": s["simulated_rows"],
                 "mismatches": s["mismatches"], "config": s["config"]}
with open(f"{sys.argv[1]}/summary.json", "w") as f:
    json.dump(out, f)
"""

_runs: dict[str, dict] = {}
_curves: dict[str, dict] = {}


def _run_curves() -> dict:
    with tempfile.TemporaryDirectory(prefix="qdist-docs-curves-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-c", CURVES_SCRIPT, tmp, str(N_MAX), *CURVE_TASKS],
            env=tutorials.clean_env(),
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if proc.returncode != 0 or "Traceback" in proc.stderr:
            raise PluginError(f"the home page's cost curves failed:\n{proc.stderr[-4000:]}")
        summary = json.loads(Path(tmp, "summary.json").read_text())
        for task in CURVE_TASKS:
            if not summary[task]["simulated_rows"] or summary[task]["mismatches"]:
                raise PluginError(
                    f"cost curves ({task}): simulated ledgers missing or not equal to the formulas"
                )
            summary[task]["png"] = Path(tmp, task, "curves.png").read_bytes()
        return summary


def _generate(pages: list[Path]) -> None:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=int(os.environ.get("QDIST_DOCS_WORKERS", "2"))) as pool:
        curves = pool.submit(_run_curves)
        runs = {p.stem: pool.submit(tutorials.run_page, p) for p in pages}
        try:
            _runs.update({stem: f.result() for stem, f in runs.items()})
            _curves.update(curves.result())
        except tutorials.TutorialError as exc:
            raise PluginError(str(exc)) from exc
    timings = ", ".join(f"{stem} {r['seconds']:.0f} s" for stem, r in _runs.items())
    log.info(f"qdist: ran the tutorials and the cost curves in {time.perf_counter() - t0:.0f} s ({timings})")


def _figure_name(rec: dict, fig: dict) -> str:
    return f"line{rec['line']}-{fig['name'].replace('/', '-').replace(' ', '-')}"


def on_files(files: Files, config) -> Files:
    have_summary = False
    if RESULTS.is_dir():
        for path in sorted(RESULTS.iterdir()):
            if path.suffix not in (".md", ".png", ".json") or path.name.startswith("."):
                continue
            files.append(File.generated(config, f"{PREFIX}/{path.name}", abs_src_path=str(path)))
            have_summary |= path.name == "SUMMARY.md"
    if not have_summary:
        files.append(File.generated(config, f"{PREFIX}/SUMMARY.md", content=PLACEHOLDER))

    _runs.clear()
    _curves.clear()
    _generate(sorted((DOCS / "tutorials").glob("*.md")))
    for stem, run in _runs.items():
        for rec in run["blocks"]:
            for fig in rec["figures"]:
                uri = f"{OUTPUTS}/{stem}/{_figure_name(rec, fig)}"
                files.append(File.generated(config, uri, content=fig["bytes"]))
    for task, s in _curves.items():
        files.append(File.generated(config, f"figures/curves-{task}.png", content=s["png"]))
    return files


def _crossover_caption(task: str) -> str:
    cross = _curves[task]["crossovers"]
    parts = []
    for scheme, c in cross.items():
        n = c.get("vs_best_classical")
        if n is None:
            parts.append(f"`{scheme}`: not cheaper anywhere up to $N = 2^{{{N_MAX}}}$")
        else:
            where = f"$N = {n:,} \\approx 2^{{{c['log2_N']:.1f}}}$".replace(",", "{,}")
            parts.append(f"`{scheme}`: cheaper than the best classical scheme from {where}")
    return "; ".join(parts)


def _config_caption(task: str) -> str:
    cfg = _curves[task]["config"]
    return (
        f"model `{cfg.get('model')}`, schedule `{cfg.get('schedule')}`, $L = {cfg.get('layers')}$ layers, "
        f"$K = {cfg.get('parties')}$ parties, $\\varepsilon = {cfg.get('epsilon')}$, "
        f"$\\delta = {cfg.get('delta')}$, $b = {cfg.get('bits')}$ bits per float"
    )


def on_page_markdown(markdown: str, page, config, files) -> str:
    src = page.file.src_uri
    if src.startswith("tutorials/") and Path(src).stem in _runs:
        stem = Path(src).stem
        return tutorials.with_outputs(
            markdown,
            _runs[stem]["blocks"],
            lambda rec, fig: f"_outputs/{stem}/{_figure_name(rec, fig)}",
        )
    if src == "index.md":
        if "<!-- curves-config -->" not in markdown:
            raise PluginError("docs/index.md: the placeholder <!-- curves-config --> is missing")
        markdown = markdown.replace("<!-- curves-config -->", _config_caption(CURVE_TASKS[0]))
        for task in CURVE_TASKS:
            marks = {
                f"<!-- crossovers: {task} -->": _crossover_caption(task),
                f"<!-- figure: {task} -->": f"![`qdist curves --task {task}`](figures/curves-{task}.png)",
            }
            for mark, text in marks.items():
                if mark not in markdown:
                    raise PluginError(f"docs/index.md: the placeholder {mark} for the cost curves is missing")
                markdown = markdown.replace(mark, text)
    return markdown
