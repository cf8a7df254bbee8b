"""Every formula of the docs pages typesets with the KaTeX that the site serves.

The pages' maths is found the way the docs build finds it (Python-Markdown with
``pymdownx.arithmatex`` in generic mode, as in ``mkdocs.yml``) and every formula is rendered by the
vendored ``docs/assets/vendor/katex/katex.min.js`` under Node with ``throwOnError``, so a macro KaTeX
does not know, or unbalanced braces, fails here instead of showing red on a page. Needs the docs
extra (``pymdownx``) and ``node``; skipped with the reason otherwise.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
KATEX = DOCS / "assets" / "vendor" / "katex" / "katex.min.js"
MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
RENDER = """
const katex = require(process.argv[1]);
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
const errors = [];
for (const [where, tex, display] of items) {
  try { katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "ignore" }); }
  catch (e) { errors.push(`${where}: ${e.message}`); }
}
process.stdout.write(JSON.stringify(errors));
"""


def page_maths(text: str) -> list[tuple[str, bool]]:
    """``(tex, display)`` for every formula arithmatex finds on a page (code blocks excluded)."""
    markdown = pytest.importorskip("markdown")
    pytest.importorskip("pymdownx")
    out = markdown.markdown(
        text,
        extensions=[
            "pymdownx.arithmatex",
            "pymdownx.superfences",
            "admonition",
            "attr_list",
            "md_in_html",
            "tables",
        ],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    found = []
    for _, body in MATH.findall(out):
        tex = html.unescape(body).strip()
        display = tex.startswith("\\[")
        found.append((tex[2:-2].strip(), display))
    return found


def test_page_maths_finds_inline_and_display():
    got = page_maths("a $x^2$ and\n\n$$\n\\frac{1}{2}\n$$\n\n`$not$` maths\n")
    assert got == [("x^2", False), ("\\frac{1}{2}", True)]


def test_every_formula_typesets_with_katex():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    items = []
    for page in sorted(DOCS.rglob("*.md")):
        for k, (tex, display) in enumerate(page_maths(page.read_text())):
            items.append((f"{page.relative_to(DOCS)} formula {k + 1} ({tex[:40]!r})", tex, display))
    assert len(items) > 100, len(items)  # the concept pages are full of maths
    proc = subprocess.run(
        [node, "-e", RENDER, str(KATEX)], input=json.dumps(items), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    errors = json.loads(proc.stdout)
    assert not errors, "\n".join(errors)
