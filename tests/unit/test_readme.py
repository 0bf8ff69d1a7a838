"""The README's quick start is what CI runs (two commands; the second is the test command)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_quick_start_is_two_commands_main_job_then_tests():
    cmds = _quick_start_commands()
    assert len(cmds) == 2
    assert "painsim reproduce" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _quick_start_commands()[1] in ci.splitlines()


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    """The README's Python section is code a student will paste: it must run as written and do
    what its comments say."""
    import numpy as np

    import painsim

    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Python\n\n```python\n(.*?)```", text, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "readme_example"}
    exec(compile(code, "README.md (Python)", "exec"), ns)
    dlx, slow, ds, trial = ns["dlx"], ns["slow"], ns["ds"], ns["trial"]
    # with_value gives a new drug with CL 57 L/h and leaves dlx as loaded
    assert slow.moieties[0].pk.cl.value == 57.0
    assert dlx.moieties[0].pk.cl.value == painsim.load_drug("duloxetine").moieties[0].pk.cl.value != 57.0
    # it printed the day-28 SERT occupancy and 5-HT firing, then the trial's rates and NNT
    lines = capsys.readouterr().out.splitlines()
    assert [float(x) for x in lines[0].split()] == [ds.occupancy_sert[-1].item(), ds.firing_5ht[-1].item()]
    assert [float(x) for x in lines[1].split()] == [trial.p_drug, trial.p_placebo, trial.nnt]
    # a lower clearance raises the occupancy (at day 28: 0.91 against 0.82 with the file's 114 L/h)
    base = painsim.patient_course(dlx, painsim.Regimen.daily(60, days=28), np.arange(0, 24 * 28, 6.0))
    assert 0.0 < base.occupancy_sert[-1].item() < ds.occupancy_sert[-1].item() < 1.0
    assert trial.n_per_arm == 1000 and trial.p_drug > trial.p_placebo
    assert trial.nnt == pytest.approx(1.0 / (trial.p_drug - trial.p_placebo), rel=1e-12)
