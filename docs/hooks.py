"""MkDocs hook: generates the gallery of experiments (docs/gallery.md) at build time.

Nothing here imports painsim: the experiments are read as text.

- ``experiments/*.toml`` (sweep and sensitivity experiments): the leading comment block, the
  ``[experiment]`` ``name`` and ``description``, and a summary of the grid;
- ``src/painsim/experiments/*.py`` (claim experiments; modules starting with ``_`` are skipped):
  parsed with :mod:`ast` — the module docstring (first line: the title; the rest cites the
  sources), the module-level ``CLAIM: str`` and ``SOURCES: tuple[str, ...]``.

Either folder may be missing, and the repository's ``experiments`` may be a link to
``src/painsim/experiments``: files are de-duplicated by their real path. Bibliography keys are
resolved against ``models/references.bib`` (without importing painsim either).

The generated Markdown replaces the marker ``<!-- gallery -->`` of docs/gallery.md (or is
appended to the page when the marker is missing).
"""

from __future__ import annotations

import ast
import logging
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.gallery")

MARKER = "<!-- gallery -->"
GALLERY_PAGE = "gallery.md"

_ROLE = re.compile(r":(?:mod|func|class|meth|data|attr|obj|exc|ref|doc|term):`~?([^`]+)`")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


# --------------------------------------------------------------------------------------------
# reading


@dataclass
class Entry:
    """One gallery entry."""

    kind: str  # "toml" or "module"
    name: str
    title: str
    path: str  # relative to the repository root
    description: str = ""
    paragraphs: list[str] = field(default_factory=list)
    sources_text: str = ""
    run_note: str = ""
    claim: str = ""
    sources: list[str] = field(default_factory=list)
    design: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


def _root(config: Any) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def _bibliography(root: Path) -> dict[str, dict[str, str]]:
    """Keys of models/references.bib → {field: value} (a small brace-matching reader)."""
    for candidate in (root / "models" / "references.bib", root / "src" / "painsim" / "models" / "references.bib"):
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8")
            break
    else:
        return {}
    entries: dict[str, dict[str, str]] = {}
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,", text):
        key, i, depth = m.group(1), m.end(), 1
        start = i
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[start:i - 1]
        fields: dict[str, str] = {}
        j = 0
        for fm in re.finditer(r"(\w+)\s*=\s*", body):
            if fm.start() < j:
                continue
            k, j = fm.group(1).lower(), fm.end()
            if j < len(body) and body[j] == "{":
                depth, j0 = 1, j + 1
                j += 1
                while j < len(body) and depth:
                    depth += {"{": 1, "}": -1}.get(body[j], 0)
                    j += 1
                value = body[j0:j - 1]
            else:
                vm = re.match(r'"([^"]*)"|([^,\n]*)', body[j:])
                value = (vm.group(1) or vm.group(2) or "") if vm else ""
                j += vm.end() if vm else 0
            fields[k] = re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
        entries[key] = fields
    return entries


def _experiment_files(root: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern`` in experiments/ and src/painsim/experiments/, each once."""
    seen: dict[Path, Path] = {}
    for folder in (root / "experiments", root / "src" / "painsim" / "experiments"):
        if not folder.is_dir():
            continue
        for p in sorted(folder.glob(pattern)):
            seen.setdefault(p.resolve(), p)
    return sorted(seen.values(), key=lambda p: p.name)


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, each joined into one line."""
    out, cur = [], []
    for line in lines:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


def _toml_entry(path: Path, root: Path) -> Entry | None:
    text = path.read_text(encoding="utf-8")
    comment: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            comment.append(s[1:].removeprefix(" "))
        elif s:
            break
        elif comment:
            comment.append("")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        log.warning("gallery: %s is not valid TOML (%s); left out", path, exc)
        return None
    exp = doc.get("experiment", {})
    name = str(exp.get("name", path.stem))
    rel = _display_path(path, root, "experiments")
    entry = Entry(kind="toml", name=name, title=name, path=rel, description=str(exp.get("description", "")))
    paras = _paragraphs(comment)
    for i, p in enumerate(paras):
        if p.startswith("Sources"):
            entry.sources_text = p
        elif p.startswith("Run:"):
            # the command itself is generated below; keep the remark that follows it, if any
            rest = paras[i + 1:]
            note = re.sub(r"^Run:\s*\S.*?(?=\(|$)", "", p).strip()
            entry.run_note = note
            entry.paragraphs.extend(rest)
            break
        else:
            entry.paragraphs.append(p)
    entry.design = _design(doc)
    entry.commands = [f"painsim sweep {rel}  # the grid of virtual trials -> results/{path.stem}.zarr"]
    if "sensitivity" in doc:
        entry.commands.append(f"painsim sensitivity {rel}  # Morris and Sobol' indices")
    return entry


def _display_path(path: Path, root: Path, prefer: str) -> str:
    """The path as a user types it from the repository root (``experiments/X`` when it exists)."""
    preferred = root / prefer / path.name
    if preferred.exists() and preferred.resolve() == path.resolve():
        return f"{prefer}/{path.name}"
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _fmt(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return f'"{v}"' if isinstance(v, str) else str(v)


def _design(doc: dict) -> list[str]:
    """One line per dimension of the grid (drugs and doses, swept parameters, sensitivity)."""
    exp = doc.get("experiment", {})
    out = []
    keys = ("patients", "weeks", "trials", "outcomes", "condition", "design", "seed")
    trial = ", ".join(f"{k} = `{_fmt(exp[k])}`" for k in keys if k in exp)
    if trial:
        out.append(f"trials: {trial}")
    for drug, spec in doc.get("drugs", {}).items():
        if isinstance(spec, dict) and "doses" in spec:
            out.append(f"drug `{drug}`: doses `{_fmt(spec['doses'])}` mg/day")
    if "idealised" in doc:
        out.append("an idealised inhibitor (fixed SERT/NET occupancy, no PK)")
    for name, spec in doc.get("parameters", {}).items():
        out.append(f"swept parameter `{name}`: `{_fmt(spec)}`")
    sens = doc.get("sensitivity", {})
    if isinstance(sens, dict):
        methods = sens.get("methods")
        if methods:
            out.append(f"sensitivity methods: `{_fmt(methods)}`")
        for name, spec in sens.get("parameters", {}).items():
            out.append(f"uncertain parameter `{name}`: `{_fmt(spec)}`")
    return out


def _literal(node: ast.AST | None) -> Any:
    """A literal value of an assignment (strings joined with + are allowed)."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = _literal(node.left), _literal(node.right)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        return None


def _module_entry(path: Path, root: Path) -> Entry | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        log.warning("gallery: %s does not parse (%s); left out", path, exc)
        return None
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets, value = [node.target.id], node.value
        else:
            continue
        for t in targets:
            if t in ("CLAIM", "SOURCES"):
                values[t] = _literal(value)
    doc = ast.get_docstring(tree) or ""
    lines = doc.splitlines()
    name = path.stem
    # the title is the docstring's first line, or its first paragraph where that line is wrapped
    n_title = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    title = " ".join(line.strip() for line in lines[:n_title]) or name
    sources = values.get("SOURCES") or ()
    if isinstance(sources, str):
        sources = (sources,)
    return Entry(kind="module", name=name, title=title.rstrip("."), path=_display_path(path, root, "experiments"),
                 paragraphs=_docstring_paragraphs(lines[n_title:]), claim=str(values.get("CLAIM") or ""),
                 sources=[str(s) for s in sources], commands=[f"python -m painsim.experiments.{name}"])


def _docstring_paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs of a docstring body; an underlined section title becomes a bold line, and an
    indented block (or one after ``::``) stays a code block."""
    out: list[str] = []
    cur: list[str] = []
    code: list[str] = []

    def flush() -> None:
        if cur:
            out.append(" ".join(s.strip() for s in cur))
            cur.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"\s*([-=~^])\1{2,}\s*", nxt):
            flush()
            out.append(f"**{_escape(line.strip())}**")
            i += 2
            continue
        if line.startswith((" ", "\t")) and line.strip() and not cur:
            code.append(line)
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                code.append(lines[i])
                i += 1
            while code and not code[-1].strip():
                code.pop()
            indent = min(len(c) - len(c.lstrip()) for c in code if c.strip())
            out.append("```text\n" + "\n".join(c[indent:] for c in code) + "\n```")
            code.clear()
            continue
        if line.strip():
            cur.append(line)
        else:
            flush()
        i += 1
    flush()
    return out


def _claim_order(root: Path) -> list[str]:
    """CLAIM_EXPERIMENTS of src/painsim/experiments/__init__.py (the article's order), if any."""
    init = root / "src" / "painsim" / "experiments" / "__init__.py"
    if not init.is_file():
        return []
    try:
        tree = ast.parse(init.read_text(encoding="utf-8"))
    except SyntaxError:
        return []
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and target.id == "CLAIM_EXPERIMENTS":
            value = _literal(node.value)
            if isinstance(value, (tuple, list)):
                return [str(v) for v in value]
    return []


# --------------------------------------------------------------------------------------------
# writing


def _escape(text: str) -> str:
    """Plain text → Markdown text (code spans kept; ``:mod:`x``` roles become code spans)."""
    text = _ROLE.sub(lambda m: f"``{m.group(1)}``", text)
    parts = re.split(r"(`+[^`]*?`+)", text)
    out = []
    for k, part in enumerate(parts):
        if k % 2:
            out.append(part)
            continue
        part = part.replace("\\", "\\\\")
        part = re.sub(r"([*_\[\]])", r"\\\1", part)
        part = part.replace("<", "&lt;").replace("$", "&#36;")
        out.append(part)
    s = "".join(out)
    return re.sub(r"^(\s*)([#>+-])", r"\1\\\2", s)


def _with_keys(text: str, bib: dict[str, dict[str, str]]) -> str:
    """Escape ``text`` and set the bibliography keys it names as code."""
    if not bib:
        return _escape(text)
    pieces = re.split(r"(`+[^`]*?`+)", text)
    out = []
    for k, piece in enumerate(pieces):
        if k % 2:
            out.append(piece)
            continue
        last = 0
        for m in _WORD.finditer(piece):
            if m.group(0) in bib:
                out.append(_escape(piece[last:m.start()]))
                out.append(f"`{m.group(0)}`")
                last = m.end()
        out.append(_escape(piece[last:]))
    return "".join(out)


def _keys_in(texts: list[str], bib: dict[str, dict[str, str]]) -> list[str]:
    keys: list[str] = []
    for t in texts:
        for m in _WORD.finditer(t):
            if m.group(0) in bib and m.group(0) not in keys:
                keys.append(m.group(0))
    return keys


def _reference(key: str, bib: dict[str, dict[str, str]]) -> str:
    e = bib.get(key)
    if e is None:
        return f"`{key}` (not in models/references.bib)"
    authors = [a.strip() for a in e.get("author", "").split(" and ") if a.strip()]
    who = authors[0] + (" et al." if len(authors) > 1 else "") if authors else e.get("organization", "")
    bits = [f"`{key}`:", _escape(who)]
    if e.get("year"):
        bits.append(f"({_escape(e['year'])}).")
    if e.get("title"):
        bits.append(f"*{_escape(e['title']).rstrip('.')}*.")
    venue = e.get("journal") or e.get("publisher") or e.get("howpublished") or ""
    if venue:
        bits.append(_escape(venue).rstrip(".") + ".")
    line = " ".join(b for b in bits if b)
    if e.get("doi"):
        line += f" doi:{_escape(e['doi'])}"
    return line


def _render(entry: Entry, bib: dict[str, dict[str, str]]) -> str:
    md = [f"### {_escape(entry.title)} {{#{entry.kind}-{entry.name}}}", ""]
    md.append(f"`{entry.path}`")
    md.append("")
    if entry.description:
        md += [f"**{_escape(entry.description)}**", ""]
    if entry.claim:
        md += ['!!! quote "Claim"', "", f"    {_with_keys(entry.claim, bib)}", ""]
    for p in entry.paragraphs:
        md += [p if entry.kind == "module" and p.startswith(("```", "**")) else _with_keys(p, bib), ""]
    if entry.design:
        md += ["**Grid**", ""] + [f"- {d}" for d in entry.design] + [""]
    md += ["**Run** (from the repository root)", "", "```bash", *entry.commands, "```", ""]
    if entry.run_note:
        md += [_escape(entry.run_note), ""]
    if entry.kind == "toml":
        keys = _keys_in([entry.sources_text, *entry.paragraphs], bib)
        if entry.sources_text:
            md += [_with_keys(entry.sources_text, bib), ""]
    else:
        keys = list(entry.sources)
    if keys:
        md += ["??? note \"References\"", ""] + [f"    - {_reference(k, bib)}" for k in keys] + [""]
    return "\n".join(md)


def gallery_markdown(root: Path) -> str:
    """The generated part of the gallery page."""
    bib = _bibliography(root)
    tomls = [e for p in _experiment_files(root, "*.toml") if (e := _toml_entry(p, root))]
    modules = [e for p in _experiment_files(root, "*.py") if not p.name.startswith("_")
               if (e := _module_entry(p, root))]
    order = _claim_order(root)
    modules.sort(key=lambda e: (order.index(e.name) if e.name in order else len(order), e.name))

    md = ["## Sweep and sensitivity experiments", ""]
    if tomls:
        md += ["Experiments as data: TOML files read by `painsim sweep` (a grid of virtual trials into a "
               "zarr store) and, where they have a `[sensitivity]` table, by `painsim sensitivity`. The "
               "file format is documented in [`painsim.sweep`](api/sweep.md).", ""]
        md += [f"- [{_escape(e.title)}](#{e.kind}-{e.name}): {_escape(e.description)}" for e in tomls] + [""]
        md += [_render(e, bib) for e in tomls]
    else:
        md += ["*No experiment files found.*", ""]
    md += ["## Claim experiments", ""]
    if modules:
        md += ["Each module of `painsim.experiments` tests one mechanism claim against its sources and "
               "prints the finding (`--help` lists its options).", ""]
        md += [f"- [{_escape(e.title)}](#{e.kind}-{e.name})" for e in modules] + [""]
        md += [_render(e, bib) for e in modules]
    else:
        md += ["*None yet: the claim experiments (modules of `painsim.experiments`) will be listed here.*", ""]
    return "\n".join(md)


# --------------------------------------------------------------------------------------------
# mkdocs events


def fill_page(markdown: str, page: Any, config: Any, *, src_uri: str, marker: str,
              generate: Any) -> str:
    """``generate(repository root)`` in place of ``marker`` on the page ``src_uri`` (appended when the
    marker is missing); other pages unchanged."""
    if page.file.src_uri != src_uri:
        return markdown
    generated = generate(_root(config))
    if marker in markdown:
        return markdown.replace(marker, generated)
    return markdown.rstrip() + "\n\n" + generated


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the gallery page."""
    return fill_page(markdown, page, config, src_uri=GALLERY_PAGE, marker=MARKER, generate=gallery_markdown)


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """`mkdocs serve`: rebuild when an experiment or the bibliography changes."""
    root = _root(config)
    for p in (root / "experiments", root / "src" / "painsim" / "experiments", root / "models" / "references.bib"):
        if p.exists():
            server.watch(str(p.resolve()))
    return server
