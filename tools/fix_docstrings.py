#!/usr/bin/env python3
"""Rewrite design-reference citations and Sphinx roles into Markdown, in place.

Run from the repository root (stdlib only)::

    .venv/bin/python tools/fix_docstrings.py            # rewrite, print a summary
    .venv/bin/python tools/fix_docstrings.py --check    # change nothing; exit 1 if a rewrite is due
    .venv/bin/python tools/fix_docstrings.py -v         # also list every unresolved role

What it rewrites, in every ``*.py`` under ``qdist/``, ``shadows/``, ``benchmarks/``, ``tests/``, every
``*.md`` under ``docs/``, ``README.md`` and ``benchmarks/results/*.md``:

1. **Design citations** — the old form ``<design file> §4.2`` (also ``§2–3``, ``§4, §6``, a bare
   ``§4.3`` next to such a citation, and the file name alone) becomes a link to the page and heading
   anchor of ``docs/concepts/`` that now holds that section (table ``SECTIONS``; a few phrases pick a
   more precise anchor, table ``OVERRIDES``):

   * docstrings of ``qdist/`` and ``shadows/`` (rendered by mkdocstrings): an autorefs heading link
     ``[layer shadows][layer-shadows]`` — autorefs resolves it to the heading anchor wherever the
     docstring is rendered, and a strict build fails if the anchor does not exist;
   * Markdown pages: a relative link ``[layer shadows](../concepts/gradients.md#layer-shadows)``,
     which mkdocs checks (and GitHub follows); ``README.md`` links to ``docs/concepts/...``;
   * comments, other string literals, and docstrings of ``tests/`` and ``benchmarks/`` (never
     rendered): the plain path ``docs/concepts/gradients.md#layer-shadows``. String literals of
     ``benchmarks/summary.py`` are Markdown written to ``benchmarks/results/SUMMARY.md`` and get
     links relative to it.

2. **Sphinx roles** — ``:func:`name```, ``:class:`~pkg.mod.Name```, ``:mod:``, ``:meth:``,
   ``:attr:``, ``:data:``, ``:exc:``, ``:obj:`` — in a rendered docstring become an autorefs
   cross-reference ``[`Name`][path]`` when the name resolves (relative to the enclosing class and
   module, then absolutely, then as a ``qdist`` / ``shadows`` top-level export) to an object that the
   API pages render (a ``:::`` directive of ``docs/reference/api/*.md``, its listed members, and the
   public documented members of rendered classes); ``path`` is the path the object is rendered under.
   Otherwise, and everywhere outside rendered docstrings, they become plain code ```Name```.
   A ``~`` shows the last component only, as in Sphinx.

The module and API-page index is built statically with ``ast`` (nothing is imported). Every
rewritten Python file must compile and keep an identical syntax tree apart from string constants,
or it is left untouched and reported. Running the script twice changes nothing the second time.
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import re
import sys
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# ----------------------------------------------------------------------------------------------
# where the design sections live now
# ----------------------------------------------------------------------------------------------

#: section number (None: the reference as a whole) → (page under docs/, heading anchor, link text)
SECTIONS: dict[str | None, tuple[str, str, str]] = {
    None: ("concepts/index.md", "design-reference", "design reference"),
    "1": ("concepts/index.md", "what-qdist-is-for", "what qdist is for"),
    "2": ("concepts/model.md", "compositional-model", "the model"),
    "3": ("concepts/protocols.md", "protocols-and-communication", "protocols and communication"),
    "4": ("concepts/gradients.md", "gradients", "gradient estimators"),
    "4.1": ("concepts/gradients.md", "exact-and-parameter-shift", "exact and parameter-shift gradients"),
    "4.2": ("concepts/gradients.md", "layer-shadows", "layer shadows"),
    "4.3": ("concepts/gradients.md", "threshold-search", "shadow tomography"),
    "4.4": ("concepts/gradients.md", "backpropagation-scaling", "backpropagation scaling"),
    "5": ("concepts/shadows.md", "classical-shadows", "classical shadows"),
    "6": ("concepts/conventions.md", "conventions", "conventions"),
    "7": ("concepts/hardware-stack.md", "hardware-stack", "the hardware stack"),
}


@dataclass(frozen=True)
class Override:
    """A more precise target for one section, chosen by the words around the citation.

    ``after`` must match right after the section number (and is consumed, in link form, when
    ``consume``); ``before`` must match somewhere in the last ``window`` characters before the
    citation. ``text`` replaces the link text; ``"{}'s"`` style texts use ``{}`` for the default.
    """

    section: str | None
    page: str
    anchor: str
    text: str
    after: str | None = None
    before: str | None = None
    window: int = 200
    consume: bool = False
    plain_consume: bool = False


OVERRIDES: tuple[Override, ...] = (
    Override(
        "3",
        "concepts/protocols.md",
        "privacy-holevo",
        "privacy (Holevo)",
        after=r',\s*"Privacy \(Holevo\)"',
        consume=True,
        plain_consume=True,
    ),
    Override("3", "concepts/protocols.md", "quantum-protocols", "quantum protocols", after=r" table\b"),
    Override(
        "3",
        "concepts/protocols.md",
        "classical-baselines",
        "pipeline baseline",
        after=r" pipeline baseline\b",
        consume=True,
    ),
    Override("3", "concepts/protocols.md", "counting-rules", "counting rules", before=r"Hoeffding"),
    Override(
        "3",
        "concepts/protocols.md",
        "linear-classifiers",
        "linear classifiers",
        before=r"[Ll]inear classifier",
    ),
    Override(
        "3",
        "concepts/protocols.md",
        "quantum-protocols",
        "quantum protocols",
        before=r"[Qq]uantum protocols",
        window=120,
    ),
    Override(
        "3",
        "concepts/protocols.md",
        "classical-baselines",
        "classical baselines",
        before=r"[Cc]lassical baseline|[Pp]ipeline",
    ),
    Override(
        "3", "concepts/protocols.md", "privacy-holevo", "privacy", before=r"Holevo|[Pp]rivacy", window=800
    ),
    Override("3", "concepts/protocols.md", "counting-rules", "counting rules", before=r"ledger", window=120),
    Override(
        "4",
        "concepts/simulator.md",
        "circuits-as-data",
        "parameter references",
        after=r" parameter references\b",
        consume=True,
    ),
    Override(
        "4.2",
        "concepts/gradients.md",
        "layer-shadows-layers",
        "layers of commuting generators",
        after=r" layers\b",
        consume=True,
    ),
    Override(
        "4.2",
        "concepts/gradients.md",
        "layer-shadows-ancilla",
        "the layer-shadow derivation",
        after=r" writes the ancilla first",
    ),
    Override(
        "5",
        "concepts/shadows.md",
        "shadows-on-hardware",
        "grouped variant",
        after=r"'s grouped variant\b",
        consume=True,
    ),
    Override(
        "5",
        "concepts/shadows.md",
        "shadows-on-hardware",
        "shadows on hardware",
        before=r"ONE circuit|one job|ONE primitive",
        window=120,
    ),
    Override(
        "6", "concepts/conventions.md", "units", "units", after=r" units\b", consume=True, plain_consume=True
    ),
    Override(
        "6",
        "concepts/conventions.md",
        "qubit-order",
        "qubit order",
        before=r"[Qq]ubit order|wire order|big-endian|little-endian|most significant|wire q\b",
    ),
    Override(
        "6",
        "concepts/conventions.md",
        "precision",
        "precision",
        before=r"complex128|complex64|[Pp]recision|[Tt]olerance",
    ),
    Override(
        "7",
        "concepts/hardware-stack.md",
        "transpiling",
        "transpiling",
        before=r"optimization_level|broken couplers",
    ),
    Override(
        "7",
        "concepts/hardware-stack.md",
        "local-testing-mode",
        "local testing mode",
        before=r"[Nn]oise",
        window=120,
    ),
    Override(
        "7",
        "concepts/hardware-stack.md",
        "one-job-per-task",
        "one job per task",
        before=r"ONE primitive job|one job",
        window=120,
    ),
    Override(
        "1",
        "concepts/index.md",
        "what-qdist-is-for",
        "the communication advantage",
        after=r"'s advantage\b",
        consume=True,
    ),
    Override(
        None,
        "concepts/index.md",
        "design-reference",
        "design reference",
        after=r" \(shared with the project\)",
        consume=True,
        plain_consume=True,
    ),
)

# The old file name is assembled so that this script does not itself contain the citation it removes.
_NAME = "DES" + "IGN"
_SEC = r"\d+(?:\.\d+)*"
_SECLIST = rf"§\s?{_SEC}(?:\s?[–-]\s?{_SEC})?(?:(?:,\s?|\s(?:and|&)\s)§\s?{_SEC}(?:\s?[–-]\s?{_SEC})?)*"
# a citation is the file name with its extension, or the name followed by a section sign; the bare
# word alone (an identifier, a string being assembled, a pattern) is not one
CITATION = re.compile(rf"`?\b{_NAME}(?:(?P<md>\.md)\b`?)?(?P<secs>\s?{_SECLIST})?")
BARE_SECTION = re.compile(rf"(?<![\w§.])(?P<secs>{_SECLIST})")
ROLE = re.compile(r":(?:py:)?(?P<role>func|class|mod|meth|attr|data|exc|obj|const):`(?P<body>[^`\n]+)`")
FENCE = re.compile(r"^(\s*)(```+|~~~+)")

PY_ROOTS = ("qdist", "shadows", "benchmarks", "tests")
RENDERED_ROOTS = ("qdist", "shadows")
#: Python files whose (non-docstring) string literals are Markdown, and where that Markdown lands
MARKDOWN_STRINGS = {"benchmarks/summary.py": "benchmarks/results/SUMMARY.md"}
SKIP_DIRS = {".venv", "venv", "site", "__pycache__", "node_modules", ".git"}


# ----------------------------------------------------------------------------------------------
# static index of the packages (ast only)
# ----------------------------------------------------------------------------------------------


@dataclass
class Obj:
    kind: str  # "class" | "function" | "attribute"
    has_doc: bool
    members: dict[str, Obj] = field(default_factory=dict)


@dataclass
class Module:
    name: str
    is_package: bool
    has_doc: bool = False
    defs: dict[str, Obj] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    exports: list[str] | None = None


def _doc_of(node) -> bool:
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        v = body[0].value.value
        return isinstance(v, str) and bool(v.strip())
    return False


def _targets(st) -> list[str]:
    if isinstance(st, ast.Assign):
        return [t.id for t in st.targets if isinstance(t, ast.Name)]
    if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
        return [st.target.id]
    return []


def _scope(body) -> dict[str, Obj]:
    out: dict[str, Obj] = {}
    for i, st in enumerate(body):
        if isinstance(st, ast.ClassDef):
            out[st.name] = Obj("class", _doc_of(st), _scope(st.body))
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # a property setter redefines the name; keep the documented definition
            if st.name in out and out[st.name].has_doc and not _doc_of(st):
                continue
            out[st.name] = Obj("function", _doc_of(st))
        else:
            names = _targets(st)
            if names:
                nxt = body[i + 1] if i + 1 < len(body) else None
                doc = (
                    isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)
                    and bool(nxt.value.value.strip())
                )
                for n in names:
                    if n not in out or doc:
                        out[n] = Obj("attribute", doc)
    return out


def _module_level(body):
    """Module-level statements, including those inside top-level ``if`` / ``try`` blocks."""
    for st in body:
        yield st
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            sub = getattr(st, name, None)
            if isinstance(sub, list):
                yield from _module_level([x for x in sub if isinstance(x, ast.stmt)])
        for h in getattr(st, "handlers", None) or []:
            yield from _module_level(h.body)


def _index_module(name: str, is_package: bool, tree: ast.Module) -> Module:
    mod = Module(name, is_package, _doc_of(tree), _scope(tree.body))
    package = name if is_package else name.rpartition(".")[0]
    for st in _module_level(tree.body):
        if isinstance(st, ast.ImportFrom):
            if st.level:
                base = package.split(".")
                base = base[: len(base) - (st.level - 1)] if st.level > 1 else base
                src = ".".join(base + ([st.module] if st.module else []))
            else:
                src = st.module or ""
            for a in st.names:
                if a.name != "*":
                    mod.imports.setdefault(a.asname or a.name, f"{src}.{a.name}")
        elif isinstance(st, ast.Import):
            for a in st.names:
                if a.asname:
                    mod.imports.setdefault(a.asname, a.name)
                else:
                    top = a.name.split(".")[0]
                    mod.imports.setdefault(top, top)
    for st in tree.body:
        if "__all__" in _targets(st):
            try:
                mod.exports = [str(x) for x in ast.literal_eval(st.value)]
            except (ValueError, TypeError):
                pass
    # a name both defined and imported: the definition wins (unless it is a plain assignment)
    for n in list(mod.imports):
        if n in mod.defs and mod.defs[n].kind != "attribute":
            del mod.imports[n]
    return mod


class Index:
    """Modules of the rendered packages, name resolution, and what the API pages render."""

    def __init__(self, root: Path):
        self.root = root
        self.modules: dict[str, Module] = {}
        for top in RENDERED_ROOTS:
            base = root / top
            if not (base / "__init__.py").is_file():
                continue
            for path in sorted(base.rglob("*.py")):
                if any(p in SKIP_DIRS for p in path.parts):
                    continue
                rel = path.relative_to(root).with_suffix("")
                parts = list(rel.parts)
                is_pkg = parts[-1] == "__init__"
                if is_pkg:
                    parts = parts[:-1]
                try:
                    tree = ast.parse(path.read_text(encoding="utf-8"))
                except (SyntaxError, UnicodeDecodeError):
                    continue
                name = ".".join(parts)
                self.modules[name] = _index_module(name, is_pkg, tree)
        self.rendered: dict[tuple, str] = {}
        self.problems: list[str] = []
        self._read_api_pages()

    # -- resolution ------------------------------------------------------------------------------

    def resolve(self, dotted: str, _seen: frozenset = frozenset()):
        """Canonical key of ``dotted``: ``("module", name)`` or ``("obj", module, qualname)``."""
        if dotted in _seen or not dotted:
            return None
        seen = _seen | {dotted}
        parts = dotted.split(".")
        if parts[0] not in self.modules:
            return None
        return self._walk(("module", parts[0]), parts[1:], seen)

    def _walk(self, cur, rest: list[str], seen):
        """Follow ``rest`` from ``cur``; a name that is both imported and a submodule (``shadows.collect``
        is a function and a module) is tried both ways, the import first, as Python would."""
        if not rest:
            return cur
        for nxt in self._steps(cur, rest[0], seen):
            found = self._walk(nxt, rest[1:], seen)
            if found is not None:
                return found
        return None

    def _steps(self, cur, part: str, seen) -> list:
        if cur[0] == "module":
            mod = self.modules[cur[1]]
            out = []
            if part in mod.defs:
                out.append(("obj", mod.name, part))
            elif part in mod.imports:
                target = self.resolve(mod.imports[part], seen)
                if target is not None:
                    out.append(target)
            sub = f"{mod.name}.{part}"
            if sub in self.modules:
                out.append(("module", sub))
            return out
        obj = self.obj(cur)
        if obj is not None and obj.kind == "class" and part in obj.members:
            return [("obj", cur[1], f"{cur[2]}.{part}")]
        return []

    def obj(self, key) -> Obj | None:
        if key is None or key[0] != "obj":
            return None
        mod = self.modules.get(key[1])
        if mod is None:
            return None
        names = key[2].split(".")
        o = mod.defs.get(names[0])
        for n in names[1:]:
            if o is None:
                return None
            o = o.members.get(n)
        return o

    def has_doc(self, key) -> bool:
        if key is None:
            return False
        if key[0] == "module":
            return self.modules[key[1]].has_doc
        o = self.obj(key)
        return bool(o and o.has_doc)

    # -- what the API pages render ---------------------------------------------------------------

    def _add(self, key, path: str):
        if key is None or key in self.rendered:
            return
        self.rendered[key] = path
        o = self.obj(key)
        if o is not None and o.kind == "class":
            for name, m in o.members.items():
                if not name.startswith("_") and m.has_doc:
                    self._add(("obj", key[1], f"{key[2]}.{name}"), f"{path}.{name}")

    def _read_api_pages(self):
        api = self.root / "docs" / "reference" / "api"
        for page in sorted(api.glob("*.md")) if api.is_dir() else []:
            for ident, members in _directives(page.read_text(encoding="utf-8")):
                key = self.resolve(ident)
                if key is None:
                    self.problems.append(f"{page.relative_to(self.root)}: '::: {ident}' not found statically")
                    continue
                self._add(key, ident)
                if key[0] != "module":
                    continue
                mod = self.modules[key[1]]
                if members is False:
                    continue
                if members is None:
                    names = [
                        n
                        for n in mod.defs
                        if not n.startswith("_") and (mod.exports is None or n in mod.exports)
                    ]
                else:
                    names = list(members)
                for n in names:
                    k2 = self.resolve(f"{ident}.{n}")
                    if k2 is not None and k2[0] == "obj" and self.has_doc(k2):
                        self._add(k2, f"{ident}.{n}")


def _directives(text: str):
    """``(identifier, members)`` of every ``::: identifier`` block; members: list, False or None."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^:::\s+(\S+)\s*$", lines[i])
        i += 1
        if not m:
            continue
        ident, members = m.group(1), None
        block = []
        while i < len(lines):
            indented = lines[i].startswith((" ", "\t")) and bool(lines[i].strip())
            blank_inside = (
                not lines[i].strip() and i + 1 < len(lines) and lines[i + 1].startswith((" ", "\t"))
            )
            if not (indented or blank_inside):
                break
            block.append(lines[i])
            i += 1
        for j, line in enumerate(block):
            mm = re.match(r"^(\s*)members:\s*(.*)$", line)
            if not mm:
                continue
            value = mm.group(2).strip()
            if value.lower() in ("false", "no", "off"):
                members = False
            elif value.lower() in ("true", "yes", "on", ""):
                if value == "":
                    items = []
                    for nxt in block[j + 1 :]:
                        it = re.match(r"^\s*-\s*(\S+)\s*$", nxt)
                        if not it:
                            break
                        items.append(it.group(1).strip("'\""))
                    members = items if items else None
            elif value.startswith("["):
                members = [x.strip().strip("'\"") for x in value.strip("[]").split(",") if x.strip()]
        yield ident, members


# ----------------------------------------------------------------------------------------------
# the rewriting
# ----------------------------------------------------------------------------------------------


@dataclass
class Context:
    mode: str  # "doc" (autorefs) | "md" (relative links) | "plain"
    file: str  # path relative to the root, posix
    module: str = ""
    classes: tuple[str, ...] = ()
    md_location: str = ""  # for mode "md": where the Markdown lands, relative to docs/ or the root
    line: int = 0


@dataclass
class Stats:
    files_changed: list[str] = field(default_factory=list)
    citations: int = 0
    sections: Counter = field(default_factory=Counter)
    roles_linked: int = 0
    roles_plain: int = 0
    roles_plain_context: int = 0
    unresolved: Counter = field(default_factory=Counter)
    unresolved_where: dict = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


class Rewriter:
    def __init__(self, root: Path, index: Index, stats: Stats):
        self.root = root
        self.index = index
        self.stats = stats
        self.anchors = self._anchors()
        self.heading_ids = set().union(*self.anchors.values()) if self.anchors else set()

    # -- anchors that exist ----------------------------------------------------------------------

    def _anchors(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        docs = self.root / "docs"
        for page in docs.rglob("*.md") if docs.is_dir() else []:
            ids = set()
            for line in page.read_text(encoding="utf-8").splitlines():
                h = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
                if not h:
                    continue
                title = h.group(1)
                ex = re.search(r"\{[^}]*#([\w-]+)[^}]*\}\s*$", title)
                if ex:
                    ids.add(ex.group(1))
                else:
                    ids.add(_slug(title))
            out[page.relative_to(docs).as_posix()] = ids
        return out

    def target(self, section: str | None, before: str, after: str):
        """``(page, anchor, text, consumed_after_len, plain_consume)`` for one section number."""
        sec = section
        while sec is not None and sec not in SECTIONS:
            sec = sec.rpartition(".")[0] or None
        page, anchor, text = SECTIONS[sec]
        for ov in OVERRIDES:
            if ov.section != sec:
                continue
            m_after = re.match(ov.after, after) if ov.after else None
            if ov.after and not m_after:
                continue
            if ov.before and not re.search(ov.before, before[-ov.window :]):
                continue
            if ov.anchor not in self.anchors.get(ov.page, set()):
                continue
            used = m_after.end() if (m_after and ov.consume) else 0
            return ov.page, ov.anchor, ov.text, used, ov.plain_consume
        if re.match(r"'s\b", after):
            return page, anchor, f"{text}'s", 2, False
        return page, anchor, text, 0, False

    def link(self, ctx: Context, page: str, anchor: str, text: str) -> str:
        if anchor not in self.anchors.get(page, set()):
            raise SystemExit(f"error: anchor #{anchor} is missing from docs/{page}; add it first")
        if ctx.mode == "doc":
            return f"[{text}][{anchor}]"
        if ctx.mode == "md":
            loc = ctx.md_location
            if loc.startswith("docs/"):
                rel = os.path.relpath(page, os.path.dirname(loc[len("docs/") :]) or ".")
            elif loc.startswith("@site/"):  # a generated page: path in the site tree
                rel = os.path.relpath(page, os.path.dirname(loc[len("@site/") :]) or ".")
            else:
                rel = os.path.relpath(f"docs/{page}", os.path.dirname(loc) or ".")
            return f"[{text}]({Path(rel).as_posix()}#{anchor})"
        return f"docs/{page}#{anchor}"

    # -- design citations ------------------------------------------------------------------------

    def citations(self, text: str, ctx: Context) -> str:
        if not has_citation(text):
            return text
        out, pos = [], 0
        for m in CITATION.finditer(text):
            if m.start() < pos or not (m.group("md") or m.group("secs")):
                continue
            before = text[: m.start()]
            secs = _sections(m.group("secs") or "")
            end = m.end()
            cut = 0  # characters of `before` that the link absorbs
            if not secs:
                pm = re.search(r"(?i)design reference\s*$", before)
                if pm and ctx.mode != "plain":
                    cut = len(before) - pm.start()
                secs = [None]
            targets, consumed = [], False
            for k, sec in enumerate(secs):
                page, anchor, label, used, plain_consume = self.target(
                    sec, before, text[end:] if k == len(secs) - 1 else ""
                )
                if used and (ctx.mode != "plain" or plain_consume):
                    end += used
                    consumed = True
                targets.append([page, anchor, label])
                self.stats.sections[sec or "(whole)"] += 1
            self.stats.citations += 1
            wrap = ("", "")
            if ctx.mode != "plain" and len(targets) == 1 and not cut:
                label = targets[0][2]
                lab = re.escape(label)
                # "layer shadows, <citation>" → one link named "layer shadows"
                dm = re.search(rf"(?i)\b({lab}),\s*$", before)
                # "**Qubit order** (<citation>)" / "Qubit order (<citation>)" → "**[Qubit order][…]**"
                pm = re.search(rf"(?i)\b({lab})(\*\*)? \($", before) if text[end : end + 1] == ")" else None
                if dm:
                    cut, targets[0][2] = len(before) - dm.start(), dm.group(1)
                elif pm:
                    cut, targets[0][2] = len(before) - pm.start(), pm.group(1)
                    wrap = ("", pm.group(2) or "")
                    end += 1
                elif (
                    not consumed
                    and re.search(r"\S\s+of\s+$", before)
                    and not re.match(r"'s\b|\s*\(", text[end:])
                ):
                    # "the model of <citation> on …" → "the model ([the model][…]) on …"
                    om = re.search(r"\s+of\s+$", before)
                    cut, wrap = len(before) - om.start(), (" (", ")")
            out.append(text[pos : m.start() - cut])
            links = ", ".join(self.link(ctx, *t) for t in targets)
            out.append(wrap[0] + links + wrap[1])
            pos = end
        out.append(text[pos:])
        new = "".join(out)
        # a bare "§4.3" in the same text unit as a citation refers to the same reference
        return BARE_SECTION.sub(lambda mm: self._bare(mm, new, ctx), new)

    def _bare(self, m: re.Match, text: str, ctx: Context) -> str:
        secs = _sections(m.group("secs"))
        if not secs or any(s.split(".")[0] not in SECTIONS for s in secs):
            return m.group(0)
        before = text[: m.start()]
        if re.search(r"[A-Z][\w.]*,\s*$", before[-40:]) and not re.search(r"\)\s*,\s*$", before[-40:]):
            return m.group(0)  # "(Watrous, Theory of QI, §3.3)": someone else's section
        parts = []
        for sec in secs:
            page, anchor, label, _, _ = self.target(sec, before, "")
            parts.append(self.link(ctx, page, anchor, label))
            self.stats.sections[sec] += 1
        self.stats.citations += 1
        return ", ".join(parts)

    # -- roles -----------------------------------------------------------------------------------

    def roles(self, text: str, ctx: Context) -> str:
        return ROLE.sub(lambda m: self._role(m, ctx, text), text)

    def _role(self, m: re.Match, ctx: Context, text: str) -> str:
        body = m.group("body").strip()
        title = None
        tm = re.match(r"^(.*?)\s*<([^<>]+)>$", body)
        if tm:
            title, body = tm.group(1), tm.group(2)
        short = body.startswith("~")
        name = body.lstrip("~!")
        shown = title or (name.lstrip(".").rsplit(".", 1)[-1] if short else name.lstrip("."))
        code = f"`{shown}`"
        if not (ctx.mode == "doc" or (ctx.mode == "md" and ctx.md_location.startswith("docs/"))):
            self.stats.roles_plain_context += 1
            return code
        key, path = self._lookup(name, ctx)
        if path is not None and path in self.heading_ids:
            path, why = None, "same identifier as a page heading, autorefs would be ambiguous"
        else:
            why = "not rendered in the API pages" if key else "not found"
        if path is None:
            self.stats.roles_plain += 1
            label = f"{name} ({why})"
            self.stats.unresolved[label] += 1
            line = ctx.line + text.count("\n", 0, m.start())
            self.stats.unresolved_where[label].append(f"{ctx.file}:{line}")
            return code
        self.stats.roles_linked += 1
        return f"[{code}][{path}]"

    def _lookup(self, name: str, ctx: Context):
        """``(canonical key, rendered path)`` of the first candidate that resolves (Sphinx order)."""
        idx = self.index
        mod = ctx.module
        if name.startswith("."):
            rel = name.lstrip(".")
            is_pkg = mod in idx.modules and idx.modules[mod].is_package
            pkg = mod if is_pkg else mod.rpartition(".")[0]
            cands = [f"{pkg}.{rel}", f"{mod}.{rel}"] if mod else []
        else:
            cands = [
                f"{mod}.{'.'.join(ctx.classes[: i + 1])}.{name}" for i in reversed(range(len(ctx.classes)))
            ]
            cands += [f"{mod}.{name}"] if mod else []
            cands += [name]
            # then the enclosing packages (nearest first) and the top-level exports
            pkgs = mod.split(".")[:-1] if mod else []
            cands += [".".join(pkgs[:k]) + f".{name}" for k in range(len(pkgs), 0, -1)]
            cands += [f"{top}.{name}" for top in RENDERED_ROOTS]
        for c in cands:
            key = idx.resolve(c)
            if key is not None:
                return key, idx.rendered.get(key)
        return None, None

    def rewrite(self, text: str, ctx: Context) -> str:
        return self.roles(self.citations(text, ctx), ctx)


def has_citation(text: str) -> bool:
    return any(m.group("md") or m.group("secs") for m in CITATION.finditer(text))


def _sections(spec: str) -> list[str]:
    out: list[str] = []
    for m in re.finditer(rf"({_SEC})(?:\s?[–-]\s?({_SEC}))?", spec):
        a, b = m.group(1), m.group(2)
        if b and a.isdigit() and b.isdigit() and int(a) < int(b) <= int(a) + 9:
            out += [str(x) for x in range(int(a), int(b) + 1)]
        else:
            out += [a] + ([b] if b else [])
    return out


def _slug(title: str) -> str:
    t = re.sub(r"<[^>]+>", "", title)
    t = re.sub(r"[^\w\s-]", "", t).strip().lower()
    return re.sub(r"[-\s]+", "-", t)


# ----------------------------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------------------------


def _lines(src: str) -> list[str]:
    """Lines as ``ast`` and ``tokenize`` count them (split at ``\\n`` only, ends kept)."""
    return re.split(r"(?<=\n)", src)


def _string_regions(src: str):
    """``(start, end, kind, token_line, prefix)`` of string literals and comments (absolute offsets);
    ``prefix`` is the literal's prefix in lower case (``"rb"``, ``"f"``, …)."""
    lines = _lines(src)
    offs = [0]
    for ln in lines:
        offs.append(offs[-1] + len(ln))

    def at(rc):
        return offs[rc[0] - 1] + rc[1]

    kinds = {tokenize.STRING: "str", tokenize.COMMENT: "comment"}
    fmid = getattr(tokenize, "FSTRING_MIDDLE", None)
    tmid = getattr(tokenize, "TSTRING_MIDDLE", None)
    fstart = getattr(tokenize, "FSTRING_START", None)
    tstart = getattr(tokenize, "TSTRING_START", None)
    prefix = ""
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type in kinds:
            pre = re.match(r"[A-Za-z]*", tok.string).group(0).lower() if tok.type == tokenize.STRING else ""
            yield at(tok.start), at(tok.end), kinds[tok.type], tok.start[0], pre
        elif tok.type is not None and tok.type in (fstart, tstart):
            prefix = re.match(r"[A-Za-z]*", tok.string).group(0).lower()
        elif tok.type is not None and tok.type in (fmid, tmid):
            yield at(tok.start), at(tok.end), "str", tok.start[0], prefix


def _docstring_spans(tree: ast.Module, lines: list[str], line_starts: list[int]):
    """``[(start, end, classes)]`` (absolute offsets) of every string-expression statement:
    docstrings of modules, classes and functions, and attribute docstrings."""
    out: list[tuple[int, int, tuple[str, ...]]] = []

    def char_col(lineno: int, byte_col: int) -> int:  # ast columns count UTF-8 bytes
        return len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def visit(node, classes):
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.Expr)
                and isinstance(child.value, ast.Constant)
                and isinstance(child.value.value, str)
            ):
                v = child.value
                start = line_starts[v.lineno - 1] + char_col(v.lineno, v.col_offset)
                end = line_starts[v.end_lineno - 1] + char_col(v.end_lineno, v.end_col_offset)
                out.append((start, end, classes))
            visit(child, classes + (child.name,) if isinstance(child, ast.ClassDef) else classes)

    visit(tree, ())
    return out


def _strip_strings(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree, include_attributes=False)


def rewrite_python(path: Path, rel: str, rw: Rewriter) -> str | None:
    src = path.read_text(encoding="utf-8")
    if not (has_citation(src) or ROLE.search(src)):
        return None
    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        rw.stats.errors.append(f"{rel}: not parsed ({e.msg}, line {e.lineno}); skipped")
        return None
    top = rel.split("/")[0]
    parts = list(Path(rel).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    module = ".".join(parts)
    lines = _lines(src)
    line_starts = [0]
    for ln in lines:
        line_starts.append(line_starts[-1] + len(ln))
    spans = _docstring_spans(tree, lines, line_starts)
    md_target = MARKDOWN_STRINGS.get(rel)
    pieces, pos = [], 0
    for start, end, kind, line, prefix in _string_regions(src):
        seg = src[start:end]
        if not (has_citation(seg) or ROLE.search(seg)):
            continue
        scope = next((c for a, b, c in spans if a <= start and end <= b), None) if kind == "str" else None
        is_doc = scope is not None
        if kind == "str" and not is_doc:
            # other string literals: only prose (messages, notes, generated Markdown). Raw and byte
            # strings are patterns or data, and literals in tests/ and benchmarks/ are fixtures.
            if "r" in prefix or "b" in prefix:
                continue
            if md_target:
                ctx = Context("md", rel, module, md_location=_md_location(md_target), line=line)
            elif top in RENDERED_ROOTS:
                ctx = Context("plain", rel, module, line=line)
            else:
                continue
        elif is_doc and top in RENDERED_ROOTS:
            ctx = Context("doc", rel, module, scope, line=line)
        else:
            ctx = Context("plain", rel, module, line=line)
        new = rw.rewrite(seg, ctx)
        if new != seg:
            pieces.append(src[pos:start])
            pieces.append(new)
            pos = end
    pieces.append(src[pos:])
    out = "".join(pieces)
    if out == src:
        return None
    try:
        new_tree = ast.parse(out)
        compile(out, rel, "exec")
    except SyntaxError as e:
        rw.stats.errors.append(f"{rel}: rewrite would not compile ({e.msg}, line {e.lineno}); left as is")
        return None
    if _strip_strings(ast.parse(src)) != _strip_strings(new_tree):
        rw.stats.errors.append(f"{rel}: rewrite changed more than string constants; left as is")
        return None
    return out


def _md_location(rel: str) -> str:
    """Where a Markdown file ends up for link purposes: ``docs/...``, ``@site/...`` or a root path."""
    if rel.startswith("docs/"):
        return rel
    if rel.startswith("benchmarks/results/"):
        return "@site/" + rel  # docs/_hooks.py publishes benchmarks/results/ under the same path
    return rel


def rewrite_markdown(path: Path, rel: str, rw: Rewriter) -> str | None:
    src = path.read_text(encoding="utf-8")
    if not (has_citation(src) or ROLE.search(src)):
        return None
    loc = _md_location(rel)
    out, buf, fence = [], [], None
    lines = _lines(src)

    def flush(mode):
        if buf:
            chunk = "".join(buf)
            ctx = Context(mode, rel, md_location=loc)
            out.append(rw.rewrite(chunk, ctx))
            buf.clear()

    for ln in lines:
        fm = FENCE.match(ln)
        if fence is None and fm:
            flush("md")
            fence = fm.group(2)[0] * 3
            out.append(ln)
        elif fence is not None and fm and fm.group(2).startswith(fence):
            flush("plain")
            fence = None
            out.append(ln)
        else:
            buf.append(ln)
    flush("md" if fence is None else "plain")
    new = "".join(out)
    return None if new == src else new


def targets(root: Path):
    for top in PY_ROOTS:
        base = root / top
        if base.is_dir():
            for p in sorted(base.rglob("*.py")):
                if not any(part in SKIP_DIRS for part in p.relative_to(root).parts):
                    yield p
    docs = root / "docs"
    if docs.is_dir():
        for p in sorted(docs.rglob("*.md")):
            yield p
    if (root / "README.md").is_file():
        yield root / "README.md"
    results = root / "benchmarks" / "results"
    if results.is_dir():
        yield from sorted(results.glob("*.md"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="repository root (default: the parent of tools/)",
    )
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a rewrite is due")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every unresolved role with its places")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    stats = Stats()
    index = Index(root)
    rw = Rewriter(root, index, stats)
    missing = [f"docs/{p}#{a}" for p, a, _ in SECTIONS.values() if a not in rw.anchors.get(p, set())]
    if missing:
        print(
            "error: the design pages are not in place; missing anchors: " + ", ".join(missing),
            file=sys.stderr,
        )
        return 2
    scanned = 0
    for path in targets(root):
        rel = path.relative_to(root).as_posix()
        scanned += 1
        new = rewrite_python(path, rel, rw) if path.suffix == ".py" else rewrite_markdown(path, rel, rw)
        if new is None:
            continue
        stats.files_changed.append(rel)
        if not args.check:
            tmp = path.with_name(path.name + ".fixtmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, path)

    verb = "would change" if args.check else "changed"
    print(f"fix_docstrings: {scanned} files scanned, {len(stats.files_changed)} {verb}")
    for f in stats.files_changed:
        print(f"  {f}")
    by_sec = ", ".join(
        f"§{k}: {v}" if k != "(whole)" else f"whole reference: {v}" for k, v in sorted(stats.sections.items())
    )
    print(f"design references replaced: {stats.citations} ({by_sec or 'none'})")
    total = stats.roles_linked + stats.roles_plain + stats.roles_plain_context
    print(
        f"Sphinx roles converted: {total} — {stats.roles_linked} cross-references to rendered API objects, "
        f"{stats.roles_plain} unresolved or not rendered (plain code), "
        f"{stats.roles_plain_context} outside rendered docstrings (plain code)"
    )
    if stats.unresolved:
        print(f"unresolved roles that became plain code ({len(stats.unresolved)} names):")
        for name, n in sorted(stats.unresolved.items()):
            where = stats.unresolved_where[name]
            shown = ", ".join(where if args.verbose else where[:2]) + (
                "" if args.verbose or len(where) <= 2 else ", …"
            )
            print(f"  {name} ×{n}  ({shown})")
    for p in index.problems:
        print(f"note: {p}")
    for e in stats.errors:
        print(f"error: {e}")
    if stats.errors:
        return 1
    return 1 if (args.check and stats.files_changed) else 0


if __name__ == "__main__":
    sys.exit(main())
