"""Static checks of the package layout (stdlib only; parses the sources, never imports them).

The rules, each a function returning the offenders (an empty list means the rule holds):

* no import cycle between sub-packages, counting every import — module level, inside functions and
  methods, under ``if TYPE_CHECKING:`` and ``importlib.import_module("literal")`` —
  ``import_graph`` → ``subpackage_graph`` → ``cycles``; imports of the facade
  (``qdist/__init__.py``) from inside the package are listed separately by ``facade_imports``;
* no module over 500 lines — ``long_modules``;
* no Sphinx role left (the docs are Markdown/mkdocstrings) — ``sphinx_roles``;
* no reference to a file the repository does not contain — ``missing_file_references``.

Regenerate the architecture page (layer diagram and module owners)::

    .venv/bin/python tests/layout_check.py architecture > docs/dev/architecture.md

``python tests/layout_check.py report`` prints every current violation, with the import lines that
form each cycle.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("qdist", "shadows")
FACADE = "qdist"
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "site", "build", "dist", "node_modules"}

# Role names are split so that this file does not match its own pattern.
ROLE_NAMES = ("func", "class", "mod", "meth", "data", "attr", "exc", "obj")
ROLE_RE = re.compile(r":(?:" + "|".join(ROLE_NAMES) + r"):" + "`")
ROLE_PY_DIRS = ("qdist", "shadows", "benchmarks", "tests")

# A reference to the design document: its file name, or its name followed by a section sign (both
# written so that this file does not match them).
DESIGN_NAME = "DESIGN" + ".md"
DESIGN_RE = re.compile(r"DESIGN(?:\.md|\s*§)")

# docs/_hooks.py publishes benchmarks/results/ under docs/benchmarks/results/ in the site, so a link
# into that directory refers to the repository file at the mount's source.
DOCS_MOUNTS = {"docs/benchmarks/results": "benchmarks/results"}


# --------------------------------------------------------------------------------------------------
# files


def _walk(base: Path, suffix: str) -> list[Path]:
    out = []
    if not base.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        )
        out.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(suffix))
    return out


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _read(path: Path) -> str | None:
    """The text of a file, or None for a binary / undecodable one."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def python_modules(root) -> dict[str, Path]:
    """``module name -> file`` for every ``.py`` under ``qdist/`` and ``shadows/``."""
    root = Path(root)
    mods = {}
    for pkg in PACKAGES:
        for path in _walk(root / pkg, ".py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def tracked_files(root) -> list[Path]:
    """Files tracked by git when ``root`` is the top of a work tree, else every file under it."""
    root = Path(root).resolve()
    try:
        top = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if Path(top).resolve() == root:
            names = subprocess.run(
                ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True
            ).stdout.decode("utf-8", "surrogateescape")
            return [root / n for n in sorted(names.split("\0")) if n and (root / n).is_file()]
    except (OSError, subprocess.CalledProcessError):
        pass
    return _walk(root, "")


# --------------------------------------------------------------------------------------------------
# imports


@dataclass(frozen=True)
class Import:
    """One import statement's dependency: ``source`` module imports ``target`` module."""

    source: str
    target: str
    path: str  # file, relative to the root
    lineno: int
    scope: str  # "module" | "class" | "function" | "type_checking" | "dynamic"
    line: str  # the source line, stripped

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno} → {self.target}  [{self.scope}]  {self.line}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    base = ".".join(parts)
    return f"{base}.{name}" if name and base else (name or base)


def _imports_of(module: str, path: Path, root: Path, known: set[str]) -> list[Import]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text, filename=str(path))
    is_package = path.name == "__init__.py"
    rel = _rel(root, path)
    found: list[Import] = []

    def add(target: str, node: ast.AST, scope: str) -> None:
        line = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
        found.append(Import(module, target, rel, node.lineno, scope, line))

    def visit(node: ast.AST, scope: str) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, scope)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(module, is_package, node.level, node.module)
            else:
                base = node.module or ""
            add(base, node, scope)
            for alias in node.names:  # `from pkg import mod` also imports the module pkg.mod
                sub = f"{base}.{alias.name}"
                if sub in known:
                    add(sub, node, scope)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if (
                name in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and not node.args[0].value.startswith(".")
            ):
                add(node.args[0].value, node, "dynamic")
        for child in ast.iter_child_nodes(node):
            child_scope = scope
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                child_scope = "function" if scope != "type_checking" else scope
            elif isinstance(node, ast.ClassDef) and scope == "module":
                child_scope = "class"
            elif isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body:
                child_scope = "type_checking"
            visit(child, child_scope)

    visit(tree, "module")
    return found


def import_edges(root) -> list[Import]:
    """Every import made by every module under ``qdist/`` and ``shadows/`` (all scopes), resolved."""
    root = Path(root)
    mods = python_modules(root)
    known = set(mods)
    edges: list[Import] = []
    for module, path in sorted(mods.items()):
        edges.extend(_imports_of(module, path, root, known))
    return edges


def import_graph(root) -> dict[str, set[str]]:
    """``module -> every module it imports`` (any scope; relative imports resolved; third-party
    modules included). ``from qdist import x`` counts as importing ``qdist`` (the facade)."""
    graph: dict[str, set[str]] = {m: set() for m in python_modules(root)}
    for imp in import_edges(root):
        if imp.target:
            graph[imp.source].add(imp.target)
    return graph


def is_internal(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def subpackage_of(module: str) -> str:
    """``qdist.sim.circuit`` → ``qdist.sim``; ``qdist.io`` → ``qdist.io``; ``qdist`` → ``qdist``;
    ``shadows.collect`` → ``shadows``; a third-party module → its top-level package."""
    parts = module.split(".")
    if parts[0] == FACADE:
        return ".".join(parts[:2])
    return parts[0]


def subpackage_graph(graph) -> dict[str, set[str]]:
    """Edges between sub-packages (self-edges dropped), from ``import_graph``'s result (or a
    root path). The facade ``qdist`` is a node: ``X → qdist`` means X imports ``qdist`` top-level."""
    if not isinstance(graph, dict):
        graph = import_graph(graph)
    sub: dict[str, set[str]] = {}
    for src, targets in graph.items():
        if not is_internal(src):
            continue
        a = subpackage_of(src)
        sub.setdefault(a, set())
        for t in targets:
            if is_internal(t):
                b = subpackage_of(t)
                sub.setdefault(b, set())
                if a != b:
                    sub[a].add(b)
    return sub


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (iterative Tarjan), each sorted."""
    nodes = sorted(set(graph) | {t for ts in graph.values() for t in ts})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return sorted(out)


def cycle_imports(edges: list[Import], component: list[str]) -> list[Import]:
    """The import lines that form a cycle: every import between two sub-packages of ``component``."""
    members = set(component)
    return [
        e
        for e in edges
        if is_internal(e.target)
        and subpackage_of(e.source) in members
        and subpackage_of(e.target) in members
        and subpackage_of(e.source) != subpackage_of(e.target)
    ]


def facade_imports(edges) -> list[Import]:
    """Imports of the facade (``import qdist`` / ``from qdist import x``) from inside the package.

    The facade re-exports the sub-packages (it imports qdist.sim, qdist.estimators, qdist.interop,
    and through them shadows), so ``X → qdist`` makes X depend on all of them: each such import is
    a cycle ``X → qdist → …`` in the layering, whether or not the loop closes today."""
    if not isinstance(edges, list):
        edges = import_edges(edges)
    return [e for e in edges if e.target == FACADE and e.source != FACADE]


def path_between(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A shortest path ``start → … → goal`` in ``graph`` (BFS), or None."""
    prev = {start: None}
    queue = [start]
    for v in queue:
        if v == goal:
            path = [v]
            while prev[path[-1]] is not None:
                path.append(prev[path[-1]])
            return path[::-1]
        for w in sorted(graph.get(v, ())):
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return None


# --------------------------------------------------------------------------------------------------
# sizes, roles, references


def long_modules(root, limit: int = 500) -> list[tuple[str, int]]:
    """``(file, lines)`` for every module under ``qdist/`` and ``shadows/`` longer than ``limit``."""
    root = Path(root)
    out = []
    for path in python_modules(root).values():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out.append((_rel(root, path), n))
    return sorted(out, key=lambda x: (-x[1], x[0]))


def _role_files(root: Path) -> list[Path]:
    files = [p for d in ROLE_PY_DIRS for p in _walk(root / d, ".py")]
    files += _walk(root / "docs", ".md")
    if (root / "README.md").is_file():
        files.append(root / "README.md")
    return files


def sphinx_roles(root) -> list[tuple[str, int, str]]:
    """``(file, line, role)`` for every Sphinx role (e.g. `````` + backtick) in the ``.py`` files
    of qdist/ shadows/ benchmarks/ tests/ and the ``.md`` files of docs/ and README.md."""
    root = Path(root)
    out = []
    for path in _role_files(root):
        text = _read(path)
        if text is None:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            for m in ROLE_RE.finditer(line):
                out.append((_rel(root, path), i, m.group(0)))
    return out


LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[\"'(][^)]*)?\)")
REF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
FENCE_RE = re.compile(r"^\s*(```+|~~~+)")
INLINE_CODE_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")


def markdown_links(text: str) -> list[tuple[int, str]]:
    """``(line, target)`` of the inline links, images and reference definitions of a Markdown page,
    outside code blocks and inline code."""
    out = []
    fence = None
    for i, line in enumerate(text.splitlines(), 1):
        m = FENCE_RE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)[0] * len(m.group(1))
            elif m.group(1).startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        line = INLINE_CODE_RE.sub("", line)
        for m in LINK_RE.finditer(line):
            out.append((i, m.group(1).strip("<>")))
        m = REF_DEF_RE.match(line)
        if m:
            out.append((i, m.group(1).strip("<>")))
    return out


def _link_exists(root: Path, page: Path, target: str) -> bool:
    target = target.split("#", 1)[0].split("?", 1)[0]
    base = root if target.startswith("/") else page.parent
    dest = Path(os.path.normpath(base / target.lstrip("/")))
    if dest.exists():
        return True
    try:
        rel = dest.relative_to(root).as_posix()
    except ValueError:
        return False
    for mount, source in DOCS_MOUNTS.items():
        if rel == mount or rel.startswith(mount + "/"):
            if (root / (source + rel[len(mount) :])).exists():
                return True
    return False


def missing_file_references(root) -> list[tuple[str, int, str]]:
    """``(file, line, reference)`` for every reference to a file the repository does not contain:

    * any mention of the design document (its file name, or its name followed by a section sign) in a tracked text file,
      while the repository has no such file at its top;
    * a Markdown link in docs/**/*.md or README.md whose relative target does not exist (http(s),
      mailto and anchor-only links are skipped; directories published by docs/_hooks.py resolve to
      their source)."""
    root = Path(root).resolve()
    out = []
    if not (root / DESIGN_NAME).is_file():
        for path in tracked_files(root):
            text = _read(path)
            if text is None:
                continue
            for i, line in enumerate(text.splitlines(), 1):
                for m in DESIGN_RE.finditer(line):
                    out.append((_rel(root, path), i, m.group(0)))
    pages = _walk(root / "docs", ".md")
    if (root / "README.md").is_file():
        pages.append(root / "README.md")
    for page in pages:
        text = _read(page)
        if text is None:
            continue
        for i, target in markdown_links(text):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#") or not target:
                continue  # http(s)://, mailto:, … and anchors within the page
            if not _link_exists(root, page, target):
                out.append((_rel(root, page), i, target))
    return out


# --------------------------------------------------------------------------------------------------
# the architecture page


def _node_id(name: str) -> str:
    return re.sub(r"\W", "_", name)


def mermaid_diagram(graph: dict[str, set[str]]) -> str:
    """A fenced ``mermaid`` block (``graph LR``) of a sub-package graph; edges inside a cycle are red
    and the facade is drawn as a rounded node."""
    nodes = sorted(set(graph) | {t for ts in graph.values() for t in ts})
    in_cycle = {n: k for k, comp in enumerate(cycles(graph)) for n in comp}
    lines = ["```mermaid", "graph LR"]
    for n in nodes:
        shape = f'("{n}")' if n == FACADE else f'["{n}"]'
        lines.append(f"    {_node_id(n)}{shape}")
    red = []
    k = 0
    for a in nodes:
        for b in sorted(graph.get(a, ())):
            lines.append(f"    {_node_id(a)} --> {_node_id(b)}")
            if a in in_cycle and in_cycle.get(b) == in_cycle[a]:
                red.append(str(k))
            k += 1
    if red:
        lines.append(f"    linkStyle {','.join(red)} stroke:#d62728,stroke-width:2px")
    lines.append("```")
    return "\n".join(lines)


_DESIGN_REF = r"DESIGN(?:\.md)?\s*(?:§\s*[\w.–-]+(?:\s*,\s*§\s*[\w.–-]+)*)?"


def _plain(text: str) -> str:
    """Markdown-safe summary: roles become code spans, links their text; design-document references
    are dropped."""

    def code(m: re.Match) -> str:
        target = m.group(1)
        return f"`{target[1:].rsplit('.', 1)[-1]}`" if target.startswith("~") else f"`{target}`"

    text = re.sub(r":(?:py:)?(?:" + "|".join(ROLE_NAMES) + r"):`([^`]*)`", code, text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links are relative to the API pages
    text = re.sub(r"\s*[,;]\s*" + _DESIGN_REF, "", text)  # (issue 6; ref) → (issue 6)
    text = re.sub(r"\(\s*" + _DESIGN_REF + r"\s*[,;]?\s*", "(", text)  # (ref, x) → (x)
    text = re.sub(r"\s*\(\s*\)", "", text)
    text = re.sub(r"\s+(?:of|in|see)\s+" + _DESIGN_REF, "", text)
    text = re.sub(r"\s*" + _DESIGN_REF, "", text)
    return text.strip()


def _summary(doc: str, cap: int = 240) -> str:
    """The docstring's first line; when it stops mid-sentence, continued to the first ``.`` or ``;``
    outside brackets (at most ``cap`` characters)."""
    para = doc.strip().split("\n\n", 1)[0].splitlines()
    if not para:
        return ""
    first = para[0].strip()
    if re.search(r"[.:;!?]$", first) or len(para) == 1:
        return first
    text = " ".join(line.strip() for line in para)
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if i >= len(first) - 1 and depth <= 0 and ch in ".;" and (i + 1 == len(text) or text[i + 1] == " "):
            text = text[: i + 1]
            break
    if len(text) > cap:
        text = text[:cap].rsplit(" ", 1)[0] + " …"
    return text.rstrip(";") + ("." if text.endswith(";") else "")


def module_summaries(root) -> dict[str, str]:
    """``module -> summary`` (the first line of the docstring, continued to the end of its
    sentence when the sentence wraps), for every module under qdist/ and shadows/."""
    out = {}
    for module, path in sorted(python_modules(root).items()):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        out[module] = _plain(_summary(doc)) or "(no docstring)"
    return out


#: The layers of the import rule, left to right, and the sub-packages that make each of them.
LAYERS = (
    (
        "circuits/IR",
        (),
        "the circuit data model: `qdist.sim.circuit`, `.gates`, `.observables` and "
        "`.states`, inside `qdist.sim` today",
    ),
    (
        "sim",
        ("qdist.sim", "qdist.interop"),
        "`qdist.sim` (the state-vector simulator and its adjoint "
        "gradient) and `qdist.interop` (conversions of the IR to and from Qiskit and PennyLane)",
    ),
    ("measurement", ("qdist.measure",), "`qdist.measure`: bases, groups, Born sampling, seeds"),
    (
        "devices",
        ("qdist.devices", "qdist.backends"),
        "`qdist.devices` (the Device protocol, the exact "
        "device) and `qdist.backends` (Aer, fake and real IBM devices, PennyLane devices)",
    ),
    (
        "estimators",
        ("qdist.estimators", "shadows"),
        "`qdist.estimators` (the `grad` entry point) "
        "and `shadows` (classical shadows and the shot-based estimators registered with it)",
    ),
    ("network", ("qdist.network",), "`qdist.network`: parties, ledger, protocols, cost model"),
    ("learn", ("qdist.learn",), "`qdist.learn`: data sets, training, the MLP baseline"),
    (
        "experiments/reports",
        ("qdist.scale", "qdist.reports"),
        "`qdist.scale` (task executor) and `qdist.reports`",
    ),
    ("cli", ("qdist.cli",), "`qdist.cli`"),
)
#: Used by every layer, import nothing above themselves.
BASE = ("qdist.io", "qdist.validate")


def layer_rank() -> dict[str, int]:
    """``sub-package -> position`` in the import rule (base utilities 0, the facade last)."""
    rank = {name: 0 for name in BASE}
    for k, (_, pkgs, _) in enumerate(LAYERS, 1):
        rank.update({p: k for p in pkgs})
    rank[FACADE] = len(LAYERS) + 1
    return rank


def layer_violations(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Edges ``A → B`` of a sub-package graph where B sits in a later layer than A (a sub-package
    missing from `LAYERS` is reported against itself as ``(A, "?")``). Not a test yet: see the
    architecture page."""
    rank = layer_rank()
    out = []
    for a in sorted(graph):
        if a not in rank:
            out.append((a, "?"))
            continue
        out += [(a, b) for b in sorted(graph[a]) if b in rank and rank[b] > rank[a]]
    return out


RULE_TEXT = """\
## The import rule

Layers point one way: a layer may import from the layers on its left, never from its right.

    circuits/IR → sim → measurement → devices → estimators → network → learn → experiments/reports → cli

{table}

Shared utilities ({base}: atomic writes, argument checks) import nothing above themselves, and
every layer may use them. The facade `qdist` (`qdist/__init__.py`) re-exports the public API and
sits above every layer, so no module inside the package may import it. A module imports the module
that defines the name instead: `from qdist.sim.circuit import Circuit`, not `import qdist`. An
import inside a function counts the same as one at the top of the module, and so does one under
`if TYPE_CHECKING:`.

`tests/test_layout.py` enforces that the sub-package graph has no cycle and that no module imports
the facade. It does not enforce the order yet, because the contributor contract
([contract.md](contract.md)) orders the middle layers differently:
`qdist.estimators` → `shadows` → `qdist.network` → `qdist.backends`. Add a test for the order
once the two are reconciled.
"""


def _rule_section(graph: dict[str, set[str]]) -> str:
    rows = ["| layer | sub-packages |", "|---|---|"]
    rows += [f"| {name} | {text} |" for name, _, text in LAYERS]
    out = RULE_TEXT.format(table="\n".join(rows), base=" and ".join(f"`{b}`" for b in BASE))
    bad = layer_violations(graph)
    if bad:
        out += "\nImports that point the wrong way in the graph above:\n\n"
        out += "\n".join(f"* `{a}` is not in the table" if b == "?" else f"* `{a}` → `{b}`" for a, b in bad)
        out += "\n"
    return out


def architecture_page(root) -> str:
    """docs/dev/architecture.md, from the current sources."""
    root = Path(root)
    edges = import_edges(root)
    graph = subpackage_graph(import_graph(root))
    found = cycles(graph)
    facade = facade_imports(edges)
    out = [
        "# Architecture",
        "",
        "This page is generated from the sources by `tests/layout_check.py`, which never imports the",
        "package. To regenerate it, run this from the repository root:",
        "",
        "    .venv/bin/python tests/layout_check.py architecture > docs/dev/architecture.md",
        "",
        "`tests/test_layout.py` enforces the rules: no import cycle between sub-packages, counting",
        "imports inside functions; no module over 500 lines; no Sphinx role; no reference to a file",
        "the repository does not contain.",
        "",
        "## Sub-package graph",
        "",
        "An arrow `A --> B` means that a module of A imports a module of B. Every import counts: at",
        "module level, inside a function or method, under `if TYPE_CHECKING:`, and through",
        "`importlib.import_module` with a literal name. `qdist` (rounded) is the facade,",
        "`qdist/__init__.py`. Red arrows belong to a cycle.",
        "",
        mermaid_diagram(graph),
        "",
    ]
    if found or facade:
        out += ["Cycles in the graph at the time it was generated:", ""]
        out += [f"* {' ↔ '.join(f'`{n}`' for n in comp)}" for comp in found]
        if facade:
            users = sorted({subpackage_of(e.source) for e in facade})
            out.append(
                f"* {len(facade)} imports of the facade `qdist` from inside the package, in "
                + ", ".join(f"`{u}`" for u in users)
            )
        out += [
            "",
            "To list the import lines that form each cycle, run `.venv/bin/python tests/layout_check.py report`.",
            "",
        ]
    out += [
        _rule_section(graph),
        "## Which module owns what",
        "",
        "Each entry is the first line of the module's docstring, continued to the end of its sentence",
        "when the sentence wraps. Roles and links are shown as plain text, and citations of the design",
        "document are left out.",
        "",
    ]
    summaries = module_summaries(root)
    current = None
    for module, summary in summaries.items():
        pkg = subpackage_of(module)
        if pkg != current:
            out += ["", f"### `{pkg}`", ""]
            current = pkg
        out.append(f"* `{module}`: {summary}")
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


# --------------------------------------------------------------------------------------------------
# command line


def report(root) -> str:
    """Every current violation, as text."""
    root = Path(root)
    edges = import_edges(root)
    graph = subpackage_graph(import_graph(root))
    lines = ["== sub-package cycles (strongly connected components) =="]
    for comp in cycles(graph):
        lines.append(" ↔ ".join(comp))
        for e in cycle_imports(edges, comp):
            lines.append(f"    {subpackage_of(e.source)} → {subpackage_of(e.target)}: {e}")
    lines.append("== imports of the facade `qdist` from inside the package ==")
    for e in facade_imports(edges):
        back = path_between(graph, FACADE, subpackage_of(e.source))
        closes = " (closes: " + " → ".join(back) + ")" if back else ""
        lines.append(f"    {subpackage_of(e.source)} → qdist{closes}: {e}")
    lines.append("== modules over 500 lines ==")
    lines += [f"    {p}: {n}" for p, n in long_modules(root)]
    roles = sphinx_roles(root)
    counts: dict[str, int] = {}
    for p, _, _ in roles:
        counts[p] = counts.get(p, 0) + 1
    lines.append(f"== Sphinx roles: {len(roles)} in {len(counts)} files ==")
    lines += [f"    {n:4d}  {p}" for p, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
    refs = missing_file_references(root)
    files: dict[str, int] = {}
    for p, _, _ in refs:
        files[p] = files.get(p, 0) + 1
    lines.append(f"== references to missing files: {len(refs)} in {len(files)} files ==")
    lines += [f"    {n:4d}  {p}" for p, n in sorted(files.items(), key=lambda x: (-x[1], x[0]))]
    lines += [f"    {p}:{i}: {t}" for p, i, t in refs if not DESIGN_RE.fullmatch(t)]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    if "--root" in argv:  # check another tree, e.g. an export of a commit
        i = argv.index("--root")
        root = Path(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    cmd = argv[0] if argv else "report"
    if cmd == "architecture":
        sys.stdout.write(architecture_page(root))
    elif cmd == "mermaid":
        print(mermaid_diagram(subpackage_graph(import_graph(root))))
    elif cmd == "report":
        print(report(root))
    else:
        print("usage: layout_check.py [report|architecture|mermaid] [--root DIR]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
