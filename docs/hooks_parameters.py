"""MkDocs hook: the table of every model parameter (docs/parameters.md), generated at build time.

Read from the model files themselves, without importing painsim: every value of
``models/physiology.toml``, ``models/calibration.toml`` and ``models/drugs/*.toml`` that carries a
unit (a table with ``value`` and ``unit``), with its dotted name, value, unit, source (resolved
against ``models/references.bib`` to first author and year) and the derivation or note the file
gives. Anchors (PET dose–occupancy points) and fitted EC50s (``models/occupancy_fit.toml``) are
listed where the drug file names them. The marker ``<!-- parameters -->`` of docs/parameters.md is
replaced by the tables.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hooks import _bibliography, _escape, fill_page  # the gallery hook's readers

MARKER = "<!-- parameters -->"
PAGE = "parameters.md"


def _is_value(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and "unit" in node


def _walk(node: Any, prefix: str):
    """Yield (dotted name, value table) for every value table under ``node``."""
    if _is_value(node):
        yield prefix, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            label = v.get("name", str(i)) if isinstance(v, dict) else str(i)
            yield from _walk(v, f"{prefix}.{label}" if prefix else label)


def _who(key: str, bib: dict[str, dict[str, str]]) -> str:
    e = bib.get(key)
    if e is None:
        return key
    authors = [a.strip() for a in e.get("author", "").split(" and ") if a.strip()]
    first = authors[0].split(",")[0] if authors else e.get("organization", key)
    return f"{first}{' et al.' if len(authors) > 1 else ''} {e.get('year', '')}".strip()


def _source(raw: Any, bib: dict[str, dict[str, str]]) -> str:
    keys = raw if isinstance(raw, list) else [raw]
    out = []
    for k in keys:
        k = str(k)
        out.append(f"{_escape(_who(k, bib))} (`{k}`)" if k in bib else _escape(k))
    return "; ".join(out)


def _cell(text: Any) -> str:
    return _escape(str(text)).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[tuple[str, dict]], bib: dict[str, dict[str, str]]) -> list[str]:
    md = ["| parameter | value | unit | source | derivation / note |", "|---|---:|---|---|---|"]
    for name, v in rows:
        value = v["value"]
        if "range" in v:
            value = f"{value} (range {v['range'][0]}–{v['range'][1]})"
        note = " ".join(str(v[k]) for k in ("derived", "note") if v.get(k))
        md.append(f"| `{name}` | {_cell(value)} | {_cell(v['unit'])} | {_source(v.get('source', '—'), bib)} | "
                  f"{_cell(note)} |")
    return md


def parameters_markdown(root: Path) -> str:
    """The generated tables."""
    models = root / "models"
    if not models.is_dir():
        models = root / "src" / "painsim" / "models"
    bib = _bibliography(root)
    md: list[str] = []
    sections = [("Physiology (`models/physiology.toml`)", models / "physiology.toml"),
                ("Calibration (`models/calibration.toml`, written by `painsim calibrate`)",
                 models / "calibration.toml")]
    for title, path in sections:
        if not path.is_file():
            continue
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        md += [f"## {title}", "", *_table(list(_walk(doc, "")), bib), ""]
    drugs = sorted((models / "drugs").glob("*.toml"))
    if drugs:
        md += ["## Drugs (`models/drugs/*.toml`)", "",
               "Dotted names as `DrugSpec.with_value` takes them (`<moiety>.…`, `dosing.…`).", ""]
    for path in drugs:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        name = doc.get("drug", {}).get("name", path.stem) if isinstance(doc.get("drug"), dict) else path.stem
        rows = []
        for moiety in doc.get("moieties", []):
            rows += [(f"{moiety.get('name', '?')}.{n}", v) for n, v in _walk(
                {k: v for k, v in moiety.items() if k != "name"}, "")]
        rows += [(n, v) for n, v in _walk({k: v for k, v in doc.items() if k not in ("moieties",)}, "")]
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        md += [f"### {_escape(str(name))}", "", f"`{shown}`", "", *_table(rows, bib), ""]
    return "\n".join(md)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the parameters page."""
    return fill_page(markdown, page, config, src_uri=PAGE, marker=MARKER, generate=parameters_markdown)
