"""The fused population kernel (painsim.kernels): agreement with the fast path and the reference,
what it records, its specialisation of the stage functions, determinism (batch composition,
chunking, threads). No timing assertions: speed is measured by benchmarks/population.py.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from painsim import kernels
from painsim.calibration import load_calibration
from painsim.chain import COURSE_FIELDS, HOURS_PER_WEEK, chain, time_mean
from painsim.kernels.specialisation import hashed_modules
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.population import ARM_DRUG, draw_population
from painsim.reference import run_reference
from painsim.regimen import Regimen
from painsim.simulate import run_fast
from painsim.synapse import qss_ratio, synapse_params

PHYS = load_physiology()
CAL = load_calibration()
SRC = Path(__file__).resolve().parents[2] / "src"


def _run(name, dose, weeks, n, *, seed=3, start=0, **kw):
    drug = load_drug(name)
    pop = draw_population(drug, PHYS, n, seed=seed, stream=ARM_DRUG, start=start)
    reg = Regimen.daily(dose, days=7 * weeks, interval=drug.dosing.interval.value)
    ch = chain(drug, PHYS, CAL)
    res = kernels.run_population(ch, pop.theta, reg, weeks, index=pop.index, seed=seed, stream=ARM_DRUG, **kw)
    return res, pop, ch, reg


# --- the specialised stage functions --------------------------------------------------------

def test_specialised_copies_compute_the_same_and_leave_the_originals_alone():
    from painsim import dorsal_horn, synapse

    spec = kernels.specialise(synapse.qss_ratio)
    assert spec is not synapse.qss_ratio and spec.py_func.__code__ is synapse.qss_ratio.py_func.__code__
    p = synapse_params(PHYS, "serotonin")
    assert spec(0.8, 0.2, p, 1.0) == pytest.approx(qss_ratio(0.8, 0.2, p, 1.0), rel=1e-14)
    dh = chain(load_drug("duloxetine"), PHYS, CAL).dh
    assert kernels.specialise(dorsal_horn.inhibition)(2.0, 3.0, dh) == pytest.approx(
        dorsal_horn.inhibition(2.0, 3.0, dh), rel=1e-14)
    assert synapse.qss_ratio.py_func.__globals__["math"] is math


def test_the_cache_key_covers_every_module_the_kernel_inlines():
    """numba's disk cache knows only the kernel's own file: every module whose code is compiled
    into the kernel must be in the hash that is one of its constants, or an edited equation
    could run from a stale cache."""
    from painsim.kernels import lanes, specialisation

    mods = set(hashed_modules())
    inlined = {f.py_func.__module__ for f in specialisation._SPECIALISED.values()}
    assert inlined <= mods
    # the stage modules the kernel evaluates, its own files, and vmath
    assert {"painsim.pk", "painsim.occupancy", "painsim.synapse", "painsim.dorsal_horn", "painsim.population",
            "painsim.chain", "painsim.vmath", "painsim.kernels.lanes", "painsim.kernels.run",
            "painsim.kernels.specialisation"} <= mods
    # every painsim module lanes.py takes a function from is covered
    used = {getattr(lanes, n).py_func.__module__ for n in dir(lanes)
            if hasattr(getattr(lanes, n), "py_func") and getattr(lanes, n).py_func.__module__.startswith("painsim")}
    assert used - {"painsim.kernels.lanes"} <= mods


# --- agreement with the fast path and the reference -----------------------------------------

@pytest.mark.parametrize("grid", ["fine", "quad"])
@pytest.mark.parametrize(("name", "dose", "p_miss"), [("duloxetine", 60.0, 0.0), ("venlafaxine", 150.0, 0.2),
                                                      ("paroxetine", 20.0, 0.1), ("escitalopram", 10.0, 0.0)])
def test_weekly_means_agree_with_run_fast(name, dose, p_miss, grid):
    """Same grid, same stage functions; differences come from the one warm-started Newton step
    per node for 5-HT (run_fast iterates to 1e-12) and the vectorised exp/log. On the fine grid
    one Newton step leaves r_5HT up to 2.2e-3 relative behind (it trails the PK by one quadratic
    step; most for duloxetine, whose absorption starts after a 2-h lag at ka 0.67/h) and the
    inhibition 1.1e-3 with w_5HT 3.2. On the quadrature grid the warm start is the last node
    moved as between the same nodes of the last interval that began as this one (dose taken or
    missed), with 3 steps at a slot's first two occurrences: measured here 1.4e-4 in inhibition
    and 5.5e-4 in r_5HT (was 1.6e-3 and 1.5e-3 with one step at every node and one table for
    taken and missed doses; 12 weeks of 400 duloxetine patients with 20 % missed: 1.1e-3 and
    1.6e-3, was 1.65e-2 and 1.2e-2) — below the quasi-steady-state path's own ~0.5 % against the
    full model; occupancies and NE (first-order uptake: exact in one step) agree to ~1e-8."""
    res, pop, ch, reg = _run(name, dose, 3, 70, p_miss=p_miss, grid=grid)
    f = run_fast(ch, pop.theta, reg, 3, p_miss=p_miss, seed=3, stream=ARM_DRUG, index=pop.index, grid=grid)
    ref = np.stack([getattr(f, k) for k in COURSE_FIELDS], axis=-1)
    assert res["outputs"] == COURSE_FIELDS
    np.testing.assert_allclose(res["weekly"][..., 1:3], ref[..., 1:3], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res["weekly"][..., 4], ref[..., 4], rtol=1e-6, atol=1e-9)
    quad = grid == "quad"
    np.testing.assert_allclose(res["weekly"][..., 3], ref[..., 3], rtol=1e-3 if quad else 3e-3)
    np.testing.assert_allclose(res["weekly"][..., 0], ref[..., 0], rtol=3e-4 if quad else 2e-3, atol=1e-6)


def test_coarse_grid_stays_close_to_the_default_grid():
    """The "coarse" grid trades ~1 % of weekly inhibition for speed (against the default grid: its
    6-h steps miss some of duloxetine's absorption peak, after a 2-h lag at ka 0.67/h: 2.4 % for
    the worst of these 300 patients in week 1, 3.5 % against the default grid's former single
    6-node panel, itself 1.5 % off a dense grid for such patients)."""
    default, *_ = _run("duloxetine", 60.0, 4, 300)
    coarse, *_ = _run("duloxetine", 60.0, 4, 300, grid="coarse")
    np.testing.assert_allclose(coarse["weekly"][..., 0], default["weekly"][..., 0], rtol=0.03, atol=1e-3)


def test_an_unknown_grid_is_refused():
    with pytest.raises(ValueError, match="grid must be one of fine, coarse"):
        _run("duloxetine", 60.0, 1, 10, grid="medium")


def test_close_to_the_full_stiff_reference():
    res, pop, ch, reg = _run("duloxetine", 60.0, 2, 2)
    for i in range(2):
        ref = run_reference(ch, pop.theta[i], reg, 2)
        np.testing.assert_allclose(res["weekly"][i, :, 0], ref[:, 0], rtol=0.01, atol=0.002)
        np.testing.assert_allclose(res["weekly"][i, :, 1:3], ref[:, 1:3], rtol=0.01, atol=1e-4)


def test_quadrature_grid_follows_missed_doses_and_titration():
    """grid="quad" against the full stiff reference with the same doses taken: panels follow the
    actual doses, so missed doses, titration and a twice-daily drug need nothing special."""
    from painsim.chain import common_lag, schedule
    from painsim.population import K_ADHERENCE, uniform

    drug = load_drug("venlafaxine")
    pop = draw_population(drug, PHYS, 3, seed=7, stream=ARM_DRUG)
    ch = chain(drug, PHYS, CAL)
    reg = Regimen.daily(75.0, days=21, interval=12.0, titration=((7, 150.0), (14, 225.0)))
    res = kernels.run_population(ch, pop.theta, reg, 3, index=pop.index, seed=7, stream=ARM_DRUG, p_miss=0.3,
                                 grid="quad")
    dose_t, _, _ = schedule(reg, 3, common_lag(pop.theta))
    for i in range(3):
        taken = np.array([uniform(7, ARM_DRUG, pop.index[i], K_ADHERENCE + d) >= 0.3 for d in range(len(dose_t))])
        assert 0 < taken.sum() < len(taken)
        ref = run_reference(ch, pop.theta[i], reg, 3, taken=taken)
        np.testing.assert_allclose(res["weekly"][i, :, 0], ref[:, 0], rtol=0.007, atol=1e-4)
        np.testing.assert_allclose(res["weekly"][i, :, 1:3], ref[:, 1:3], rtol=0.005, atol=1e-4)


def test_quadrature_grid_records_at_its_quadrature_nodes():
    res, pop, _, reg = _run("duloxetine", 60.0, 1, 5, grid="quad", record_every=6.0)
    fine, *_ = _run("duloxetine", 60.0, 1, 5, record_every=6.0)
    assert np.all(np.isfinite(res["record"]))
    # the nearest node where the chain is evaluated to each multiple of 6 h
    from painsim.chain import common_lag, quadrature_grid, schedule

    dose_t, _, t_end = schedule(reg, 1, common_lag(pop.theta))
    qg = quadrature_grid(dose_t, t_end)
    nodes = qg["t"][qg["weight"] > 0]
    targets = np.arange(0.0, t_end + 1e-9, 6.0)
    np.testing.assert_array_equal(res["record_t"],
                                  np.unique([nodes[np.argmin(np.abs(nodes - x))] for x in targets]))
    np.testing.assert_allclose(res["weekly"][..., 1], fine["weekly"][..., 1], rtol=0.01)


# --- what it records ------------------------------------------------------------------------

def test_records_match_weekly_means_and_fewer_outputs_are_the_same_numbers():
    res, pop, ch, reg = _run("duloxetine", 60.0, 2, 40, record_every=0.125, grid="fine")
    t = res["record_t"]
    assert t[0] == 0.0 and np.all(np.diff(t) > 0)
    # every node of the fine grid is recorded at 0.125-h resolution: the recording rule over the
    # record is the mean
    w1 = t <= HOURS_PER_WEEK + 1e-9
    for q in range(len(COURSE_FIELDS)):
        np.testing.assert_allclose(time_mean(np.ascontiguousarray(res["record"][:, w1, q]), t[w1]),
                                   res["weekly"][:, 0, q], rtol=1e-12, atol=1e-15)
    one = kernels.run_population(ch, pop.theta, reg, 2, outputs=("r_ne", "inhibition"), index=pop.index,
                                 seed=3, stream=ARM_DRUG, grid="fine")
    assert one["weekly"].shape == (40, 2, 2) and one["outputs"] == ("r_ne", "inhibition")
    np.testing.assert_array_equal(one["weekly"][..., 0], res["weekly"][..., 4])
    np.testing.assert_array_equal(one["weekly"][..., 1], res["weekly"][..., 0])


def test_a_grid_of_regimens_is_the_same_as_separate_runs():
    drug = load_drug("duloxetine")
    pop = draw_population(drug, PHYS, 100, seed=4, stream=ARM_DRUG)
    ch = chain(drug, PHYS, CAL)
    regs = [Regimen.daily(d, days=14) for d in (30.0, 60.0, 120.0)]
    grid = kernels.run_population(ch, pop.theta, regs, 2)
    assert grid["weekly"].shape == (3, 100, 2, len(COURSE_FIELDS))
    for g, reg in enumerate(regs):
        one = kernels.run_population(ch, pop.theta, reg, 2)
        np.testing.assert_array_equal(grid["weekly"][g], one["weekly"])
    assert np.all(np.diff(grid["weekly"][:, :, -1, 1], axis=0) > 0)  # SERT occupancy rises with dose
    # a grid over parameter sets (e.g. a calibration weight) shares the compiled kernel
    ch2 = dataclasses.replace(ch, dh=ch.dh * np.array([1, 1, 1, 1, 2, 1, 1]))  # w_NE doubled
    both = kernels.run_population([ch, ch2], pop.theta, regs[1], 2)
    np.testing.assert_array_equal(both["weekly"][0], grid["weekly"][1])
    assert np.all(both["weekly"][1, :, :, 0] >= both["weekly"][0, :, :, 0])


def test_bad_inputs_are_refused():
    drug = load_drug("duloxetine")
    pop = draw_population(drug, PHYS, 4, seed=1, stream=ARM_DRUG)
    ch = chain(drug, PHYS, CAL)
    with pytest.raises(ValueError, match="outputs"):
        kernels.run_population(ch, pop.theta, Regimen.daily(60, days=14), 2, outputs=("pain",))
    with pytest.raises(ValueError, match="same times"):
        kernels.run_population(ch, pop.theta, [Regimen.daily(60, days=14), Regimen.daily(60, days=14, interval=12)],
                               2)
    with pytest.raises(ValueError, match="weeks"):
        kernels.run_population(ch, pop.theta, Regimen.daily(60, days=14), 0)


# --- determinism ----------------------------------------------------------------------------

@pytest.mark.parametrize("grid", ["fine", "quad"])
def test_a_patient_does_not_depend_on_batch_composition_or_chunking(grid):
    """Patients 37…136 alone (other batch boundaries, partial last batch) and inside 0…199."""
    full, *_ = _run("venlafaxine", 150.0, 2, 200, p_miss=0.1, grid=grid)
    part, *_ = _run("venlafaxine", 150.0, 2, 100, start=37, p_miss=0.1, grid=grid)
    np.testing.assert_array_equal(full["weekly"][37:137], part["weekly"])
    single, *_ = _run("venlafaxine", 150.0, 2, 1, start=100, p_miss=0.1, grid=grid)
    np.testing.assert_array_equal(full["weekly"][100:101], single["weekly"])


_SCRIPT = """
import json
import numpy as np
from painsim import kernels
from painsim.calibration import load_calibration
from painsim.chain import chain
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.population import ARM_DRUG, draw_population
from painsim.regimen import Regimen

phys, cal = load_physiology(), load_calibration()
drug = load_drug("duloxetine")
pop = draw_population(drug, phys, 300, seed=11, stream=ARM_DRUG)
res = kernels.run_population(chain(drug, phys, cal), pop.theta, Regimen.daily(60.0, days=14), 2)
print(json.dumps(res["weekly"].tolist()))
"""


def test_results_do_not_depend_on_the_number_of_threads():
    outs = []
    for threads in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(SRC), "NUMBA_NUM_THREADS": threads}
        r = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env,
                           check=True, timeout=900)
        outs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1]


def test_quadrature_weights_integrate_lagged_occupancy_within_one_percent():
    """The grid's nodes and weights against a 90-s trapezoid lattice on the exact PK, weeks 1-2:
    duloxetine is absorbed after a 2-h lag at ka 0.67/h, the sharpest peak of the library's
    once-daily drugs (5 graded nodes a day: 1.2 % off for a fast-clearing patient; 6 in one
    panel: 0.2 %; 4 + 2 in two panels, the grid now: 0.22 %)."""
    from painsim.chain import common_lag, quadrature_grid, schedule
    from painsim.occupancy import occupancy, occupancy_params
    from painsim.pk import concentrations

    drug = load_drug("duloxetine")
    pop = draw_population(drug, PHYS, 100, seed=3, stream=ARM_DRUG)
    reg = Regimen.daily(60.0, days=14)
    dose_t, _, t_end = schedule(reg, 2, common_lag(pop.theta))
    qg = quadrature_grid(dose_t, t_end)
    fine_t = np.linspace(0.0, t_end, int(t_end * 40) + 1)
    worst = 0.0
    for target in ("sert", "net"):
        p = occupancy_params(drug, target)
        for th in pop.theta[::3]:
            occ = occupancy(np.ascontiguousarray(concentrations(drug, reg, qg["t"], th=th)), p.emax, p.ec50, p.hill)
            exact = occupancy(np.ascontiguousarray(concentrations(drug, reg, fine_t, th=th)), p.emax, p.ec50, p.hill)
            for w in range(2):
                a, b = HOURS_PER_WEEK * w, HOURS_PER_WEEK * (w + 1)
                m, mm = (qg["t"] >= a) & (qg["t"] <= b), (fine_t >= a) & (fine_t <= b)
                quad = float((qg["weight"][m] * occ[m]).sum()) / HOURS_PER_WEEK
                ref = float(np.trapezoid(exact[mm], fine_t[mm])) / HOURS_PER_WEEK
                worst = max(worst, abs(quad / ref - 1.0))
    assert worst < 0.01
