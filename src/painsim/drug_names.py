"""What a drug name given to :func:`painsim.library.load_drug` means: a drug, a brand, a file, or none.

- a name of the shipped library (``duloxetine``; case-insensitive);
- a brand name (``Cymbalta``): each drug file lists its brands with their sources in
  ``[drug] brand_names`` (checked by :func:`parse_brand_names`); :func:`brand_index` is the one
  alias list, read from those files;
- a path ending in ``.toml`` (a user's own drug file);
- a drug outside the model's scope (pregabalin, opioids, NSAIDs, ...: :data:`OUT_OF_SCOPE`), which
  gets an error that says so instead of a "did you mean";
- anything else: :class:`UnknownDrugError`, suggesting the nearest drug or brand.

Names that could reach the file system in unexpected ways (path separators, more than
:data:`MAX_NAME` characters) are refused before any file is opened.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from painsim.modelfile import ModelFile, models_dir

__all__ = ["MAX_NAME", "OUT_OF_SCOPE", "Brand", "UnknownDrugError", "brand_index", "drug_names",
           "parse_brand_names", "resolve_drug_name"]

#: longer names are no drug's (the longest shipped is 31 characters) and must not reach the file system
MAX_NAME = 100

#: analgesics used for neuropathic pain that are not monoamine reuptake inhibitors: painsim's chain
#: (transporter occupancy -> dorsal-horn monoamines) does not describe them
OUT_OF_SCOPE: dict[str, str] = {
    "pregabalin": "gabapentinoid", "gabapentin": "gabapentinoid", "mirogabalin": "gabapentinoid",
    "tramadol": "opioid", "tapentadol": "opioid", "morphine": "opioid", "oxycodone": "opioid",
    "hydrocodone": "opioid", "hydromorphone": "opioid", "codeine": "opioid", "methadone": "opioid",
    "buprenorphine": "opioid", "fentanyl": "opioid",
    "ibuprofen": "NSAID", "naproxen": "NSAID", "diclofenac": "NSAID", "celecoxib": "NSAID",
    "paracetamol": "analgesic", "acetaminophen": "analgesic",
    "carbamazepine": "sodium-channel blocker", "oxcarbazepine": "sodium-channel blocker",
    "lamotrigine": "sodium-channel blocker", "lidocaine": "local anaesthetic",
    "capsaicin": "TRPV1 agonist", "ketamine": "NMDA antagonist", "cannabidiol": "cannabinoid",
    "botulinum toxin": "neurotoxin",
}

_NAME_RE = re.compile(r"[a-z0-9_-]+")


class UnknownDrugError(KeyError):
    """A drug name that is not in the library (the message suggests the nearest name)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Brand:
    """A brand name of a drug and the bibliography key (a label) that names it."""

    name: str
    source: str


def drugs_dir() -> Path:
    """The directory of the shipped drug files."""
    return models_dir() / "drugs"


def drug_names() -> list[str]:
    """Names of every drug in the library, sorted."""
    return sorted(p.stem for p in drugs_dir().glob("*.toml"))


def parse_brand_names(ctx: ModelFile, raw: Any) -> tuple[Brand, ...]:
    """Check ``[drug] brand_names = [{ name = "...", source = "key" }, ...]`` of a drug file.

    Each brand needs a source (a key of the bibliography, usually the label that names the
    brand); a brand may appear once, and no brand may be a drug's name.

    Raises
    ------
    ModelFileError
        Naming the file and ``drug.brand_names[i]``.
    """
    brands: list[Brand] = []
    for i, b in enumerate(ctx.plain("drug.brand_names", raw, "list")):
        where = f"drug.brand_names[{i}]"
        ctx.check_keys(where, b, {"name", "source"}, {"name", "source"})
        name = ctx.plain(f"{where}.name", b["name"], "string")
        if not name.strip() or len(name) > MAX_NAME or "/" in name or "\\" in name:
            raise ctx.fail(f"{where}.name", f"expected a brand name of 1-{MAX_NAME} characters without '/' "
                                            f"or '\\', got {name!r}")
        source = ctx.plain(f"{where}.source", b["source"], "string")
        ctx.source_keys(f"{where}.source", source)
        key = name.strip().lower()
        if key in drug_names() or key in OUT_OF_SCOPE:
            raise ctx.fail(f"{where}.name", f"{name!r} is a drug's name, not a brand")
        if any(key == other.name.lower() for other in brands):
            raise ctx.fail(f"{where}.name", f"{name!r} appears twice")
        brands.append(Brand(name=name.strip(), source=source))
    return tuple(brands)


@lru_cache(maxsize=1)
def brand_index() -> dict[str, str]:
    """The brand names of the shipped library, lower case -> drug name.

    Read from each drug file's ``[drug] brand_names`` without the full check (loading the drug
    checks them); a malformed entry is skipped here.
    """
    index: dict[str, str] = {}
    for path in sorted(drugs_dir().glob("*.toml")):
        try:
            brands = tomllib.loads(path.read_text(encoding="utf-8")).get("drug", {}).get("brand_names", [])
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            continue  # loading that drug reports the problem
        for b in brands if isinstance(brands, list) else []:
            if isinstance(b, dict) and isinstance(b.get("name"), str):
                index.setdefault(b["name"].strip().lower(), path.stem)
    return index


def _suggest(key: str) -> str:
    candidates = {**{n: n for n in drug_names()}, **{b: d for b, d in brand_index().items()}}
    close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.5)
    if not close:
        return ""
    hit = close[0]
    return f"; did you mean {hit!r}?" if candidates[hit] == hit else f"; did you mean {hit!r} ({candidates[hit]})?"


def resolve_drug_name(name: str | os.PathLike[str]) -> str | Path:
    """What ``name`` names: a shipped drug's name (str) or a user's drug file (Path).

    Parameters
    ----------
    name : str or path-like
        A drug or brand name (case-insensitive), or a path ending in ``.toml`` (relative to the
        current directory).

    Returns
    -------
    str or Path
        The library name of the drug, or the file to read.

    Raises
    ------
    UnknownDrugError
        An out-of-scope drug, a name that is too long or holds a path separator, or an unknown
        name (with the nearest drug or brand).
    TypeError
        ``name`` is neither a string nor a path.

    Examples
    --------
    >>> resolve_drug_name("Cymbalta")
    'duloxetine'
    >>> resolve_drug_name("my_drug.toml")
    PosixPath('my_drug.toml')
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        raise TypeError(f"a drug name must be a string or a path, got {type(name).__name__}")
    if name.strip().lower().endswith(".toml"):
        return Path(name.strip())
    key = name.strip().lower()
    if len(key) > MAX_NAME:
        raise UnknownDrugError(f"unknown drug {name[:40] + '...'!r}: a drug name has at most {MAX_NAME} "
                               f"characters (`painsim drugs` lists the {len(drug_names())} available)")
    if "/" in key or "\\" in key or "\0" in key:
        raise UnknownDrugError(f"unknown drug {name!r}: a drug name holds no path separator; "
                               "a drug file of your own must end in .toml")
    if _NAME_RE.fullmatch(key) and (drugs_dir() / f"{key}.toml").is_file():
        return key
    if key in brand_index():
        return brand_index()[key]
    if key in OUT_OF_SCOPE:
        raise UnknownDrugError(f"{key} is outside painsim's scope (not a monoamine reuptake inhibitor)")
    raise UnknownDrugError(f"unknown drug {name!r}{_suggest(key)} "
                           f"(`painsim drugs` lists the {len(drug_names())} available)")
