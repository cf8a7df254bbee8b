"""mkdocs hook: publish ``benchmarks/results/`` (SUMMARY.md, plots, JSON) under the same path in the site.

The results live next to the benchmark scripts, outside ``docs/``; this hook adds them as generated
files so that ``benchmarks/results/SUMMARY.md`` is a page and its relative image links resolve.
When no summary has been generated yet (a fresh clone), a placeholder page says how to make one.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
PREFIX = "benchmarks/results"
PLACEHOLDER = """# Benchmark results

No summary has been generated yet. Run `make bench` (or `python benchmarks/run_all.py --quick`,
then `python benchmarks/summary.py`) to measure and write `benchmarks/results/SUMMARY.md`.
"""


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
    return files
