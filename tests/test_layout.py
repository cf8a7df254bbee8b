"""The package layout, checked statically by ``tests/layout_check.py`` (the package is never imported).

One test per rule, each expecting no offenders and listing them when there are some:

* no import cycle between sub-packages, counting imports inside functions, and no import of the
  facade ``qdist`` from inside the package;
* no module over 500 lines;
* no Sphinx role;
* no reference to a file the repository does not contain.

The checker also runs on small synthetic packages written to ``tmp_path``, so that it cannot pass by
finding nothing.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import layout_check as lc

ROOT = Path(__file__).resolve().parents[1]
BT = "`"
ROLE = ":" + "func:" + BT  # spelled in pieces so that this file has no role itself
DESIGN = "DESIGN" + ".md"


def _lines(items, limit: int = 60) -> str:
    items = [str(x) for x in items]
    more = f"\n  … and {len(items) - limit} more" if len(items) > limit else ""
    return "\n  " + "\n  ".join(items[:limit]) + more


# --------------------------------------------------------------------------------------------------
# the rules, on the repository


def test_no_import_cycle_between_subpackages():
    edges = lc.import_edges(ROOT)
    graph = lc.subpackage_graph(lc.import_graph(ROOT))
    found = lc.cycles(graph)
    msg = []
    for comp in found:
        msg.append("cycle: " + " ↔ ".join(comp))
        msg += [
            f"    {lc.subpackage_of(e.source)} → {lc.subpackage_of(e.target)}: {e}"
            for e in lc.cycle_imports(edges, comp)
        ]
    assert found == [], "import cycles between sub-packages:" + _lines(msg, limit=200)


def test_no_import_of_the_facade_inside_the_package():
    # `qdist/__init__.py` imports the sub-packages, so any `import qdist` / `from qdist import x`
    # inside the package is a cycle through the facade (the usual source of hidden cycles).
    graph = lc.subpackage_graph(lc.import_graph(ROOT))
    found = lc.facade_imports(lc.import_edges(ROOT))
    msg = []
    for e in found:
        back = lc.path_between(graph, lc.FACADE, lc.subpackage_of(e.source))
        why = "closes " + " → ".join(back) if back else "upward: the facade sits above every layer"
        msg.append(f"{e}    [{why}]")
    assert found == [], "imports of the facade qdist from inside the package:" + _lines(msg)


def test_no_module_over_500_lines():
    found = lc.long_modules(ROOT, limit=500)
    assert found == [], "modules over 500 lines:" + _lines(f"{p}: {n} lines" for p, n in found)


def test_no_sphinx_roles():
    found = lc.sphinx_roles(ROOT)
    counts = Counter(p for p, _, _ in found)
    msg = [f"{n:4d}  {p}" for p, n in counts.most_common()]
    msg += [f"{p}:{i}: {r}" for p, i, r in found]
    assert found == [], f"{len(found)} Sphinx roles in {len(counts)} files:" + _lines(msg, limit=120)


def test_no_reference_to_a_missing_file():
    found = lc.missing_file_references(ROOT)
    counts = Counter(p for p, _, _ in found)
    msg = [f"{n:4d}  {p}" for p, n in counts.most_common()]
    msg += [f"{p}:{i}: {t}" for p, i, t in found]
    assert found == [], f"{len(found)} references to missing files:" + _lines(msg, limit=120)


# --------------------------------------------------------------------------------------------------
# the checker itself, on synthetic packages


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


CYCLIC = {
    "qdist/__init__.py": '"""Facade."""\nfrom qdist.a.x import f\n',
    "qdist/a/__init__.py": '"""Package a."""\n',
    "qdist/a/x.py": '"""Module x."""\nfrom qdist.b.y import g\n\n\ndef f():\n    return g()\n',
    "qdist/b/__init__.py": '"""Package b."""\n',
    # the cycle closes only through an import inside a function
    "qdist/b/y.py": '"""Module y."""\n\n\ndef g():\n    from ..a import x\n\n    return x\n',
    "qdist/io.py": '"""IO."""\n',
    "shadows/__init__.py": '"""Shadows."""\n',
    "shadows/collect.py": (
        '"""Collect."""\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n'
        "    from qdist.io import nothing\n\n\nclass C:\n    def m(self):\n        import qdist\n"
    ),
}


def test_checker_finds_a_cycle_through_a_function_level_import(tmp_path):
    root = _write(tmp_path, CYCLIC)
    graph = lc.import_graph(root)
    assert "qdist.a.x" in graph["qdist.b.y"]  # relative, inside a function
    assert "qdist.a" in graph["qdist.b.y"]
    sub = lc.subpackage_graph(graph)
    assert sub["qdist.a"] == {"qdist.b"} and sub["qdist.b"] == {"qdist.a"}
    assert ["qdist.a", "qdist.b"] in lc.cycles(sub)
    lines = lc.cycle_imports(lc.import_edges(root), ["qdist.a", "qdist.b"])
    assert {(e.path, e.lineno, e.scope) for e in lines} >= {
        ("qdist/a/x.py", 2, "module"),
        ("qdist/b/y.py", 5, "function"),
    }


def test_checker_finds_facade_and_type_checking_imports(tmp_path):
    root = _write(tmp_path, CYCLIC)
    edges = lc.import_edges(root)
    found = lc.facade_imports(edges)
    assert [(e.path, e.lineno, e.scope) for e in found] == [("shadows/collect.py", 10, "function")]
    assert any(e.target == "qdist.io" and e.scope == "type_checking" for e in edges)
    sub = lc.subpackage_graph(lc.import_graph(root))
    assert sub["shadows"] == {"qdist", "qdist.io"}  # from qdist import x counts as the facade
    assert sub["qdist"] == {"qdist.a"}


def test_checker_finds_a_cycle_through_the_facade(tmp_path):
    files = dict(CYCLIC)
    files["qdist/b/y.py"] = '"""Module y."""\nfrom qdist import f\n'
    sub = lc.subpackage_graph(lc.import_graph(_write(tmp_path, files)))
    assert ["qdist", "qdist.a", "qdist.b"] in lc.cycles(sub)


def test_checker_passes_a_clean_package(tmp_path):
    root = _write(
        tmp_path,
        {
            "qdist/__init__.py": '"""Facade."""\nfrom qdist.a.x import f\n',
            "qdist/a/__init__.py": '"""Package a."""\n',
            "qdist/a/x.py": '"""Module x."""\nfrom . import y\nfrom .y import g\n\nf = g\n',
            "qdist/a/y.py": '"""Module y."""\nimport os\n\n\ndef g():\n    import json\n\n    return os, json\n',
            "shadows/__init__.py": '"""Shadows."""\nfrom qdist.a import y\n',
            "docs/index.md": "[ok](other.md) [web](https://example.org/x.md) [top](#top) `[no](gone.md)`\n",
            "docs/other.md": "```\n[in code](gone.md)\n```\n",
            "README.md": "See [the docs](docs/index.md#intro).\n",
        },
    )
    sub = lc.subpackage_graph(lc.import_graph(root))
    assert lc.cycles(sub) == []
    assert lc.facade_imports(lc.import_edges(root)) == []
    assert lc.long_modules(root) == []
    assert lc.sphinx_roles(root) == []
    assert lc.missing_file_references(root) == []


def test_checker_finds_a_long_module(tmp_path):
    root = _write(
        tmp_path,
        {
            "qdist/__init__.py": '"""Facade."""\n',
            "qdist/long.py": "x = 1\n" * 501,
            "qdist/ok.py": "x = 1\n" * 500,
            "shadows/deep/long.py": "x = 1\n" * 600,
        },
    )
    assert lc.long_modules(root, limit=500) == [("shadows/deep/long.py", 600), ("qdist/long.py", 501)]


def test_checker_finds_sphinx_roles(tmp_path):
    root = _write(
        tmp_path,
        {
            "qdist/__init__.py": f'"""See {ROLE}grad{BT}."""\n',
            "tests/test_x.py": f"# {':' + 'class:' + BT}~qdist.Circuit{BT}\n",
            "benchmarks/b.py": f"# {':py:' + 'meth:' + BT}x{BT}\n",
            "docs/a/page.md": f"Use {':' + 'mod:' + BT}qdist{BT}.\n",
            "README.md": f"{':' + 'exc:' + BT}ValueError{BT} and {':' + 'obj:' + BT}x{BT}\n",
            "other/skipped.py": f"# {ROLE}not checked here{BT}\n",
            "qdist/plain.py": "# a `code span`, a :term: and :func: without a backtick\n",
        },
    )
    found = lc.sphinx_roles(root)
    assert sorted((p, i) for p, i, _ in found) == [
        ("README.md", 1),
        ("README.md", 1),
        ("benchmarks/b.py", 1),
        ("docs/a/page.md", 1),
        ("qdist/__init__.py", 1),
        ("tests/test_x.py", 1),
    ]


def test_checker_finds_missing_file_references(tmp_path):
    root = _write(
        tmp_path,
        {
            "qdist/__init__.py": f'"""Precision ({DESIGN} §6)."""\n',
            "shadows/x.py": "# see DESIGN" + " §4.2\n",
            "docs/index.md": "[gone](missing.md) [ok](sub/page.md#a) [img](../img.png)\n",
            "docs/sub/page.md": "[up](../index.md) [ref]: ../nowhere.md\n[defined]: ../gone-too.md\n",
            "docs/bench.md": "[results](benchmarks/results/SUMMARY.md) [x](benchmarks/results/NONE.md)\n",
            "benchmarks/results/SUMMARY.md": "# results\n",
            "README.md": "[docs](docs/nope.md) [web](http://example.org/nope.md) [mail](mailto:a@b.c)\n",
        },
    )
    found = sorted(lc.missing_file_references(root))
    assert found == [
        ("README.md", 1, "docs/nope.md"),
        ("docs/bench.md", 1, "benchmarks/results/NONE.md"),
        ("docs/index.md", 1, "../img.png"),
        ("docs/index.md", 1, "missing.md"),
        ("docs/sub/page.md", 2, "../gone-too.md"),
        ("qdist/__init__.py", 1, DESIGN),
        ("shadows/x.py", 1, "DESIGN" + " §"),
    ]
    (root / DESIGN).write_text("# design\n", encoding="utf-8")  # once the file exists, mentions are fine
    assert all("DESIGN" not in t for _, _, t in lc.missing_file_references(root))


def test_subpackage_of():
    assert lc.subpackage_of("qdist.sim.circuit") == "qdist.sim"
    assert lc.subpackage_of("qdist.sim") == "qdist.sim"
    assert lc.subpackage_of("qdist.io") == "qdist.io"
    assert lc.subpackage_of("qdist") == "qdist"
    assert lc.subpackage_of("shadows.collect") == "shadows"
    assert lc.subpackage_of("shadows") == "shadows"


def test_cycles_is_tarjan_without_recursion():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"}, "g": set()}
    assert lc.cycles(graph) == [["a", "b", "c"], ["d", "e"]]
    ring = {i: {(i + 1) % 5000} for i in range(5000)}  # deeper than the recursion limit
    assert [len(c) for c in lc.cycles(ring)] == [5000]
    assert lc.cycles({"a": {"a"}}) == []  # self-edges are not cycles between sub-packages


def test_mermaid_diagram():
    text = lc.mermaid_diagram({"qdist": {"qdist.sim"}, "qdist.sim": set(), "shadows": {"qdist.sim"}})
    assert text.startswith("```mermaid\ngraph LR\n") and text.endswith("\n```")
    assert "    qdist --> qdist_sim" in text and "    shadows --> qdist_sim" in text
    assert "linkStyle" not in text
    cyclic = lc.mermaid_diagram({"a": {"b"}, "b": {"a"}})
    assert "linkStyle 0,1 " in cyclic
