"""Fuzzing the command line in process (``painsim.cli.main(argv)``): every sub-command, mostly
malformed values (huge, negative, NaN, inf, unicode, empty, paths under a regular file).

The promise tested: exit 0 or 2 with at most three stderr lines, never another exception. The
expensive computations are replaced by a stub that raises :class:`Computed`: reaching it means
every input was accepted, and a run with accepted input is the other tests' business — this one
checks that nothing gets past the checks to fail later with a traceback. ``pk``, ``occupancy``,
``drugs`` and ``experiments`` are cheap and run for real.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from painsim.cli import main


class Computed(Exception):
    """The command got past its checks to the computation."""


def _stub(*args, **kwargs):
    raise Computed


HEAVY = ["painsim.trial.run_trial", "painsim.validate.validate", "painsim.validate.predictions",
         "painsim.calibrate.calibrate", "painsim.calibrate.check_calibration",
         "painsim.occupancy_fit.write_occupancy_fit", "painsim.sweep.run_sweep",
         "painsim.sensitivity.run_sensitivity", "painsim.library.load_library",
         "painsim.experiments.hardy2007_functional_modulation.run", "painsim.explore.server.serve"]

NUMBERS = ["0", "-1", "1", "2", "60", "1e300", "-1e300", "nan", "inf", "-inf", "1e-300", "9" * 25, "0x10",
           "1_000", "3.5", "", " ", "abc", "½", "٣", "١٢", "1e5", "4e9"]
NAMES = ["duloxetine", "Cymbalta", "DULOXETINE", "pregabalin", "aspirin", "", "a" * 300, "../../etc/passwd",
         "f/x.toml", "nul\x00byte", "dulox", "ψ", "missing.toml"]
PATHS = ["out.csv", "f/out.csv", "nodir/out.csv", ".", "f", "", "x" * 300, "ψ/ψ.csv"]

OPTIONS = {
    "pk": {"--drug": NAMES, "--dose": NUMBERS, "--json": None},
    "occupancy": {"--drug": NAMES, "--dose": NUMBERS, "--json": None},
    "drugs": {"--json": None},
    "trial": {"--drug": NAMES, "--dose": NUMBERS, "--weeks": NUMBERS, "--patients": NUMBERS, "--seed": NUMBERS,
              "--outcome": ["50pct", "30pct", "90pct", ""], "--placebo-response": NUMBERS,
              "--condition": ["dpn", "gout", ""], "--design": ["parallel", "crossover", "x"],
              "--missed-doses": NUMBERS, "--model-draws": NUMBERS, "--calibration": PATHS, "--physiology": PATHS,
              "--json": None, "--quiet": None},
    "validate": {"--patients": NUMBERS, "--seed": NUMBERS, "--csv": PATHS, "--model-draws": NUMBERS,
                 "--calibration": PATHS, "--json": None, "--quiet": None},
    "calibrate": {"--out": PATHS, "--in-place": None, "--check": None, "--calibration": PATHS, "--json": None,
                  "--quiet": None},
    "fit-occupancy": {"--out": PATHS, "--in-place": None},
    "reproduce": {"--out": PATHS, "--patients": NUMBERS, "--calibration": PATHS, "--quiet": None},
    "sweep": {"": ["dose_sweep_snri", "nope", "f", "missing.toml", ""], "--out": PATHS, "--chunk-size": NUMBERS,
              "--workers": NUMBERS, "--netcdf": PATHS, "--quiet": None},
    "sensitivity": {"": ["sensitivity_duloxetine", "nope", "f"], "--method": ["morris", "x"],
                    "--param": ["calibration.w_ne=1:2", "x", "a=b:c", "w=1:2:cube"], "--trajectories": NUMBERS,
                    "--sobol-n": NUMBERS, "--seed": NUMBERS, "--out": PATHS, "--json": None},
    "experiments": {"--json": None},
    "explore": {"--port": NUMBERS, "--no-browser": None, "--drug": NAMES},
    "experiment": {"": ["hardy2007_functional_modulation", "nope", "dose_sweep_snri", ""], "--patients": NUMBERS,
                   "--seed": NUMBERS, "--out": PATHS, "--json": None},
}


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    out = [command]
    options = OPTIONS[command]
    for name in draw(st.lists(st.sampled_from(sorted(options)), max_size=6, unique=True)):
        values = options[name]
        if values is None:
            out.append(name)
        elif name == "":
            out.append(draw(st.sampled_from(values)))
        else:
            out += [name, draw(st.one_of(st.sampled_from(values), st.text(max_size=12)))]
    if draw(st.integers(0, 9)) == 0:
        out.append(draw(st.sampled_from(["--bogus", "-x", "--", "extra"])))
    return out


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A fresh folder with a regular file ``f`` (for paths under a file) and the stubs."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("x")
    for target in HEAVY:
        monkeypatch.setattr(target, _stub)
    monkeypatch.delenv("PAINSIM_CALIBRATION", raising=False)
    monkeypatch.delenv("PAINSIM_PHYSIOLOGY", raising=False)
    yield tmp_path


def _check(args: list[str], capsys) -> None:
    import os

    try:
        code = main(args)
    except Computed:
        code = 0
    except SystemExit as exc:  # --help/--version only
        code = exc.code
    finally:
        os.environ.pop("PAINSIM_CALIBRATION", None)
        os.environ.pop("PAINSIM_PHYSIOLOGY", None)
    err = capsys.readouterr().err
    assert code in (0, 2), (args, code, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) <= 3, (args, err)
    if code == 2:  # one error line, after any warning (warnings only once every input is checked)
        assert lines and lines[-1].startswith("painsim: error: "), (args, err)
        assert sum(line.startswith("painsim: error: ") for line in lines) == 1, (args, err)


@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=argv())
def test_command_line_never_raises(sandbox, capsys, args):
    _check(args, capsys)


@pytest.mark.slow
@settings(max_examples=10000, deadline=None, derandomize=False, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=argv())
def test_command_line_never_raises_long(sandbox, capsys, args):
    _check(args, capsys)
