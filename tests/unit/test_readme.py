"""The README's quick start is what CI runs (two commands; the second is the test command)."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python section is code a student will paste: it must run as written."""
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Python\n\n```python\n(.*?)```", text, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (Python)", "exec"), {"__name__": "readme_example"})
