"""painsim.validate: every reported outcome next to its simulation, and the counts the docs state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from painsim.validate import counts, counts_line, rows_csv, validate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "model.md"


@pytest.fixture(scope="module")
def rows():
    return validate()  # the defaults the docs quote: 2000 patients per arm, seed 7


def test_the_validation_count_does_not_fall_below_what_the_docs_state(rows):
    text = DOCS.read_text(encoding="utf-8")
    stated = re.search(r"validation rows inside their reported interval: (\d+) of (\d+)", text)
    assert stated, "docs/model.md must state the validation count"
    inside, total = counts(rows)["validation"]
    assert total == int(stated.group(2)), "the number of validation rows changed: update docs/model.md"
    assert inside >= int(stated.group(1)), counts_line(rows)


def test_counts_and_csv_cover_every_row(rows):
    c = counts(rows)
    with_ci = [r for r in rows if r.simulated and r.reported_ci is not None]
    assert c["training"][1] + c["validation"][1] == len(with_ci)
    assert all(r.verdict in ("inside", "outside") for r in with_ci)
    text = rows_csv(rows)
    assert text.count("\n") == len(rows) + 1 and text.startswith("key,what,training")
