"""Run the tutorials (``docs/tutorials/*.md``) and capture what each code block prints and draws.

A tutorial's code is its ```python blocks in page order, except a block whose opening fence follows
the line ``<!-- skip -->`` (the real-device part of the hardware tutorial). Joined, they are the
plain script a reader would copy (`script`); the tests run exactly that with ``python
script.py``. The docs build (`run_all`, called by ``docs/_hooks.py``) runs the same blocks in
order in one namespace in a fresh process (``python docs/_tutorials.py PAGE RESULT.json`` in an
empty working directory), and records after each block its standard output, the matplotlib figures
it left open and the PNG files it wrote. `with_outputs` puts them under the blocks of the page.

A run fails — and so does the strict docs build — when a block raises or anything prints a
traceback on standard error (e.g. a worker process that died while the script carried on).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

SKIP_MARK = "<!-- skip -->"
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)\s*(?P<info>[^\n]*)$")
PYTHON = ("python", "py", "{.python}")
MAX_OUTPUT_LINES = 60


@dataclass(frozen=True)
class Block:
    """One fenced code block: ``start``/``end`` are the 0-based lines of its opening/closing fence."""

    start: int
    end: int
    lang: str
    code: str
    indent: str
    skipped: bool

    @property
    def runnable(self) -> bool:
        return self.lang in PYTHON and not self.skipped


def code_blocks(text: str) -> list[Block]:
    """Every fenced block of a markdown page, in order (python or not)."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], m["indent"]
        lang = m["info"].split()[0].lower() if m["info"].split() else ""
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line)
            i += 1
        prev = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        blocks.append(Block(start, i, lang, "\n".join(body) + "\n", indent, prev == SKIP_MARK))
        i += 1  # past the closing fence
    return blocks


def script(text: str) -> str:
    """The page's runnable python blocks joined: the plain script a reader would run."""
    return "\n\n".join(b.code for b in code_blocks(text) if b.runnable)


def clean_env(base: dict | None = None) -> dict:
    """The environment a reader has: no scheduler override, a non-interactive matplotlib."""
    env = dict(os.environ if base is None else base)
    env.pop("QDIST_SCHEDULER", None)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONUNBUFFERED"] = "1"
    return env


# ------------------------------------------------------------------------------------------------
# inside the child process
# ------------------------------------------------------------------------------------------------


def _pngs(root: Path) -> dict[Path, float]:
    return {p: p.stat().st_mtime_ns for p in root.rglob("*.png")}


def _run_blocks(page: Path, result: Path) -> None:
    """Run the page's blocks in order in this process; write per-block outputs to ``result``."""
    import contextlib
    import io
    import traceback

    work = Path.cwd()
    figures_dir = result.parent / f"{result.stem}-figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    # the blocks run in a fresh ``__main__`` module whose file is the plain script, so that whatever
    # looks at the main module (e.g. spawned worker processes, which re-import it) sees a script
    text = page.read_text()
    main = types.ModuleType("__main__")
    main.__file__ = str(work / "script.py")
    Path(main.__file__).write_text(script(text))
    sys.modules["__main__"] = main
    namespace = main.__dict__
    records = []
    for b in code_blocks(text):
        if not b.runnable:
            continue
        before = _pngs(work)
        out = io.StringIO()
        t0 = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(b.code, f"{page.name}:{b.start + 1}", "exec"), namespace)  # noqa: S102
        except BaseException:
            sys.stdout.write(out.getvalue())
            traceback.print_exc()
            sys.exit(1)
        figures = []
        if "matplotlib.pyplot" in sys.modules:
            plt = sys.modules["matplotlib.pyplot"]
            for k, num in enumerate(plt.get_fignums()):
                path = figures_dir / f"block{b.start + 1}-figure{k + 1}.png"
                plt.figure(num).savefig(path, dpi=100, bbox_inches="tight")
                figures.append({"name": f"figure {k + 1}", "path": str(path)})
            plt.close("all")
        for p, mtime in sorted(_pngs(work).items()):
            if before.get(p) != mtime:
                figures.append({"name": p.relative_to(work).as_posix(), "path": str(p)})
        records.append(
            {
                "line": b.start + 1,
                "stdout": out.getvalue(),
                "figures": figures,
                "seconds": time.perf_counter() - t0,
            }
        )
    result.write_text(json.dumps(records, indent=1))


# ------------------------------------------------------------------------------------------------
# in the docs build
# ------------------------------------------------------------------------------------------------


class TutorialError(RuntimeError):
    """A tutorial raised, or printed a traceback while running."""


def run_page(page: Path, timeout: float = 1800) -> dict:
    """Run one tutorial in a fresh process: ``{"blocks": [per-block record], "seconds": wall time}``.

    A record is ``{"line", "stdout", "figures": [{"name", "bytes"}], "seconds"}``.
    """
    with tempfile.TemporaryDirectory(prefix=f"qdist-docs-{page.stem}-") as tmp:
        tmp = Path(tmp)
        work = tmp / "work"
        work.mkdir()
        result = tmp / "result.json"
        env = clean_env()
        env["QDIST_CACHE"] = str(tmp / "cache")
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(page.resolve()), str(result)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        seconds = time.perf_counter() - t0
        if proc.returncode != 0 or "Traceback" in proc.stderr:
            raise TutorialError(
                f"{page.name}: running its code failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
            )
        blocks = json.loads(result.read_text())
        for rec in blocks:
            for fig in rec["figures"]:
                fig["bytes"] = Path(fig.pop("path")).read_bytes()
        return {"blocks": blocks, "seconds": seconds}


def run_all(pages: list[Path], workers: int = 2) -> dict[str, dict]:
    """Run several tutorials, ``workers`` at a time; ``{page stem: run_page(...)}``."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip((p.stem for p in pages), pool.map(run_page, pages), strict=True))


def _fence_for(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    return "`" * max(3, longest + 1)


def _output_block(rec: dict, indent: str, figure_url) -> list[str]:
    lines: list[str] = []
    out = rec["stdout"].rstrip("\n")
    if out:
        shown = out.splitlines()
        if len(shown) > MAX_OUTPUT_LINES:
            shown = shown[:MAX_OUTPUT_LINES] + [f"… ({len(out.splitlines()) - MAX_OUTPUT_LINES} more lines)"]
        fence = _fence_for(out)
        lines += ["", f'{fence}text title="Output"', *shown, fence]
    for fig in rec["figures"]:
        lines += ["", f"![{fig['name']}]({figure_url(rec, fig)}){{ .qdist-figure }}"]
    return [indent + line if line else line for line in lines]


def with_outputs(text: str, blocks: list[dict], figure_url) -> str:
    """``text`` with each runnable block followed by its output and figures.

    ``blocks`` are the records of `run_page` in page order; ``figure_url(record, figure)`` gives
    the link to a figure relative to the page.
    """
    runnable = [b for b in code_blocks(text) if b.runnable]
    if len(runnable) != len(blocks):
        raise TutorialError(f"the page has {len(runnable)} runnable blocks, the run recorded {len(blocks)}")
    lines = text.splitlines()
    for b, rec in sorted(zip(runnable, blocks, strict=True), key=lambda br: -br[0].end):
        lines[b.end + 1 : b.end + 1] = _output_block(rec, b.indent, figure_url)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    _run_blocks(Path(sys.argv[1]), Path(sys.argv[2]))
