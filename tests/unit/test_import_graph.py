"""The import graph of src/painsim, computed from the source (ast), points back up the causal chain.

Every import counts, function-level ones included. The rules:

- no cycle;
- every module belongs to a layer, and imports only from its own layer or the layers below:
  foundation (units, model files, the parameter sets) → the stages of the causal chain → readers and
  helpers built on the stages → the engines that integrate them → the applications → the public
  API;
- the stage modules import each other only down the causal chain (regimen → pk → steady state →
  occupancy → synapse → dorsal horn → population → discontinuation → response), and none of them reaches an engine
  or an application, even indirectly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

FOUNDATION = ["painsim._version", "painsim.units", "painsim.sourced", "painsim.dialect", "painsim.modelfile",
              "painsim.drug_names", "painsim.drug_spec", "painsim.drug_bounds", "painsim.library",
              "painsim.physiology", "painsim.calibration", "painsim.vmath", "painsim.progress", "painsim.atomic"]
#: the causal chain, in order
STAGES = ["painsim.regimen", "painsim.pk", "painsim.steady_state", "painsim.occupancy", "painsim.synapse",
          "painsim.dorsal_horn", "painsim.population", "painsim.discontinuation", "painsim.response"]
SUPPORT = ["painsim.reported", "painsim.occupancy_fit", "painsim.uncertainty", "painsim.testing"]
ENGINES = ["painsim.chain", "painsim.simulate", "painsim.reference", "painsim.kernels", "painsim.trial"]
APPLICATIONS = ["painsim.calibrate", "painsim.validate", "painsim.sweep", "painsim.sensitivity",
                "painsim.figures", "painsim.experiments", "painsim.report", "painsim.explore", "painsim.cli"]
API = ["painsim", "painsim.__main__"]
LAYERS = [FOUNDATION, STAGES, SUPPORT, ENGINES, APPLICATIONS, API]


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "painsim").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of this tree that an imported dotted name lands in (longest existing prefix)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        cand = ".".join(parts[:k])
        if cand in MODULES:
            return cand
    return None


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from painsim import kernels" imports the module painsim.kernels
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for t in targets:
            r = _resolve(t)
            if r is not None and r != module:
                out.add(r)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _layer_of(module: str) -> int:
    for i, layer in enumerate(LAYERS):
        for entry in layer:
            if module == entry or (entry != "painsim" and module.startswith(entry + ".")):
                return i
    raise AssertionError(f"{module} is in no layer of tests/unit/test_import_graph.py: place it")


def _reach(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_graph_is_read():
    assert len(MODULES) > 40
    assert "painsim.pk" in GRAPH["painsim.steady_state"]
    assert "painsim.kernels" in GRAPH["painsim.trial"]  # a function-level import counts
    assert "painsim.vmath" in GRAPH["painsim.kernels.lanes"]  # "from painsim import vmath"


def test_no_import_cycle():
    cycles = sorted(m for m in MODULES if m in _reach(m))
    assert not cycles, f"modules on an import cycle: {cycles}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    mine = _layer_of(module)
    up = sorted(t for t in GRAPH[module] if _layer_of(t) > mine)
    assert not up, f"{module} imports {up}, above its layer"


@pytest.mark.parametrize("stage", STAGES)
def test_stages_import_only_earlier_stages_and_reach_no_engine(stage):
    later = STAGES[STAGES.index(stage) + 1:]
    back = sorted(t for t in GRAPH[stage] if t in later)
    assert not back, f"{stage} imports {back}, later in the causal chain"
    above = sorted(t for t in _reach(stage) if _layer_of(t) > LAYERS.index(STAGES))
    assert not above, f"{stage} reaches {above}"
