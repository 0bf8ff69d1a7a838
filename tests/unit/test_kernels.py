"""The fused population kernel (painsim.kernels) and the pieces it is built from.

Agreement with the fast path (run_fast) and the reference, endpoint definitions, determinism
(batch composition, chunking, threads). No timing assertions: speed is measured by
benchmarks/population.py.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numba as nb
import numpy as np
import pytest
from scipy.special import expit

from painsim import kernels, vmath
from painsim.calibration import load_calibration
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.pk import expm, expm_into, rate_matrix, structure, theta
from painsim.population import ARM_DRUG, draw_population
from painsim.regimen import Regimen
from painsim.simulate import HOURS_PER_WEEK, chain, run_fast, run_reference
from painsim.synapse import qss_log_ratio, qss_ratio, synapse_params
from painsim.trial import OUTCOMES, placebo_response

PHYS = load_physiology()
CAL = load_calibration()
MU = -1.2  # a placebo μ (logit scale) giving some responders in both weeks checked
SRC = Path(__file__).resolve().parents[2] / "src"


def _run(name, dose, weeks, n, *, seed=3, start=0, **kw):
    drug = load_drug(name)
    pop = draw_population(drug, PHYS, n, seed=seed, stream=ARM_DRUG, start=start)
    reg = Regimen.daily(dose, days=7 * weeks, interval=drug.dosing.interval.value)
    ch = chain(drug, PHYS, CAL)
    res = kernels.run_population(ch, pop.theta, pop.sensitivity, pop.placebo_z, pop.baseline, reg, weeks,
                                 placebo_mu=MU, calibration=CAL, index=pop.index, seed=seed,
                                 stream=ARM_DRUG, **kw)
    return res, pop, ch, reg


# --- vectorisable elementary functions ------------------------------------------------------

@nb.njit
def _apply(which, x, n):
    out = np.empty_like(x)
    for i in range(x.size):
        if which == 0:
            out[i] = vmath.exp(x[i])
        elif which == 1:
            out[i] = vmath.log(x[i])
        else:
            out[i] = vmath.power(x[i], n)
    return out


def test_vmath_exp_and_log_are_accurate_to_two_ulp():
    x = np.linspace(-700.0, 700.0, 200_001)
    ref = np.array([math.exp(v) for v in x])
    assert np.max(np.abs(_apply(0, x, 0.0) / ref - 1.0)) <= 2.5 * np.finfo(float).eps
    y = np.exp(np.linspace(-700.0, 700.0, 200_001))
    ref = np.array([math.log(v) for v in y])
    assert np.all(np.abs(_apply(1, y, 0.0) - ref) <= 2.0 * np.spacing(np.abs(ref)))
    assert _apply(0, np.array([-800.0]), 0.0)[0] == 0.0


@pytest.mark.parametrize("n", [1.0, 1.8, 0.5, 3.0])
def test_vmath_power_matches_libm(n):
    x = np.concatenate([[0.0], np.geomspace(1e-6, 1e4, 10_001)])
    got = _apply(2, x, n)
    assert got[0] == 0.0
    np.testing.assert_allclose(got[1:], x[1:] ** n, rtol=1e-14)
    if n == 1.0:
        np.testing.assert_array_equal(got, x)  # exactly x, as x ** 1.0


def test_pow_libm_is_libms_pow():
    # compared with math.pow element by element, never with numpy's vectorised x ** n: numpy may
    # take a SIMD path (e.g. AVX-512) that differs from libm in the last ulp
    x = np.geomspace(1e-3, 1e3, 101)
    ref = np.array([math.pow(float(v), 1.8) for v in x])
    assert all(vmath.pow_libm(float(v), 1.8) == r for v, r in zip(x, ref, strict=True))
    np.testing.assert_array_equal(vmath.pow_libm(x, 1.8), ref)  # numba's array loop calls libm's pow


# --- batch variants of stage functions ------------------------------------------------------

@pytest.mark.parametrize("name", ["duloxetine", "venlafaxine", "fluoxetine"])
def test_expm_into_matches_expm(name):
    drug = load_drug(name)
    s = structure(drug)
    a = rate_matrix(theta(drug), s.ncmt, s.from_idx, s.mw_ratio, s.central, s.periph, s.n_states, False)
    out = np.empty_like(a)
    work = np.empty((3, *a.shape))
    for h in (0.125, 0.5, 2.0, 24.0, 500.0):
        expm_into(a, h, out, work)
        np.testing.assert_allclose(out, expm(a * h), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("transmitter", ["serotonin", "norepinephrine"])
def test_qss_log_ratio_is_qss_ratios_newton(transmitter):
    p = synapse_params(PHYS, transmitter)
    for occ in (0.0, 0.3, 0.8, 0.95):
        for d in (0.0, 0.4):
            r = qss_ratio(occ, d, p, 1.0)
            # converged: the same root
            assert math.exp(qss_log_ratio(occ, d, p, 0.0, 1.0, 30)) == pytest.approx(r, rel=1e-13)
            # warm-started from a nearby value (a time step's change), two steps suffice
            g = r * 1.05
            assert math.exp(qss_log_ratio(occ, d, p, math.log(g), g, 2)) == pytest.approx(r, rel=1e-8)
    if transmitter == "norepinephrine":  # first-order uptake: exact after one step
        assert math.exp(qss_log_ratio(0.6, 0.0, p, 0.0, 1.0, 1)) == pytest.approx(qss_ratio(0.6, 0.0, p, 1.0),
                                                                                rel=1e-13)


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


# --- agreement with the fast path and the reference -----------------------------------------

@pytest.mark.parametrize(("name", "dose", "p_miss"), [("duloxetine", 60.0, 0.0), ("venlafaxine", 150.0, 0.2),
                                                      ("paroxetine", 20.0, 0.1), ("escitalopram", 10.0, 0.0)])
def test_weekly_means_agree_with_run_fast(name, dose, p_miss):
    """Same grid, same stage functions; differences come from the one warm-started Newton step
    per time step for 5-HT (run_fast iterates to 1e-12) and the vectorised exp/log. The lag of
    one Newton step leaves r_5HT up to ~1e-3 relative behind (it trails the PK by one quadratic
    step), the inhibition up to ~2e-4 — far below the quasi-steady-state path's own ~0.5 % against the
    full model; occupancies and NE (first-order uptake: exact in one step) agree to ~1e-8."""
    res, pop, ch, reg = _run(name, dose, 3, 70, p_miss=p_miss, weekly=True)
    f = run_fast(ch, pop.theta, reg, 3, p_miss=p_miss, seed=3, stream=ARM_DRUG, index=pop.index)
    ref = np.stack([f.inhibition, f.occ_sert, f.occ_net, f.r_5ht, f.r_ne], axis=-1)
    np.testing.assert_allclose(res["weekly"][..., 1:3], ref[..., 1:3], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res["weekly"][..., 4], ref[..., 4], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res["weekly"][..., 3], ref[..., 3], rtol=2e-3)
    np.testing.assert_allclose(res["weekly"][..., 0], ref[..., 0], rtol=5e-4, atol=1e-6)


def test_coarse_grid_stays_close_to_the_fine_grid():
    """The "coarse" grid trades ~1 % of weekly inhibition for speed; responder rates stay within
    a percentage point of the fine grid's."""
    fine, *_ = _run("duloxetine", 60.0, 4, 1500, weekly=True, endpoint_weeks=[1, 4])
    coarse, *_ = _run("duloxetine", 60.0, 4, 1500, weekly=True, endpoint_weeks=[1, 4], grid="coarse")
    np.testing.assert_allclose(coarse["weekly"][..., 0], fine["weekly"][..., 0], rtol=0.03, atol=1e-3)
    assert np.abs(coarse["responder"].mean(axis=0) - fine["responder"].mean(axis=0)).max() <= 0.01
    with pytest.raises(ValueError, match="grid must be one of fine, coarse"):
        _run("duloxetine", 60.0, 1, 10, grid="medium")


def test_close_to_the_full_stiff_reference():
    res, pop, ch, reg = _run("duloxetine", 60.0, 2, 2, weekly=True)
    for i in range(2):
        ref = run_reference(ch, pop.theta[i], reg, 2)
        np.testing.assert_allclose(res["weekly"][i, :, 0], ref[:, 0], rtol=0.01, atol=0.002)
        np.testing.assert_allclose(res["weekly"][i, :, 1:3], ref[:, 1:3], rtol=0.01, atol=1e-4)


# --- endpoints ------------------------------------------------------------------------------

def test_endpoints_follow_the_trial_definitions():
    weeks = 4
    res, pop, *_ = _run("duloxetine", 60.0, weeks, 150, endpoint_weeks=[1, weeks], weekly=True,
                             outcomes=("50pct", "30pct"))
    wk = res["weekly"]
    inh = wk[:, :, 0]
    # pain and responders exactly as painsim.trial.run_trial computes them from weekly inhibition
    P = placebo_response(pop.placebo_z, MU, np.arange(1, weeks + 1, dtype=float), CAL)
    pain = pop.baseline[:, None] * (1.0 - P) * (1.0 - pop.sensitivity[:, None] * inh)
    np.testing.assert_array_equal(res["pain"], pain[:, [0, weeks - 1]])
    np.testing.assert_array_equal(res["inhibition"], inh[:, [0, weeks - 1]])
    for t, thr in enumerate((OUTCOMES["50pct"], OUTCOMES["30pct"])):
        resp = (1.0 - pain / pop.baseline[:, None]) >= thr - 1e-12
        np.testing.assert_array_equal(res["responder"][:, :, t], resp[:, [0, weeks - 1]])
        first = np.where(resp.any(axis=1), resp.argmax(axis=1) + 1, 0)
        np.testing.assert_array_equal(res["first_response_week"][:, t], first)
    assert res["responder"][:, -1, 0].any() and not res["responder"][:, -1, 0].all()
    # AUC over the whole course (h) = weekly means × week length
    np.testing.assert_allclose(res["auc_inhibition"], inh.sum(axis=1) * HOURS_PER_WEEK, rtol=1e-12)
    np.testing.assert_array_equal(res["occupancy_mean"], wk[:, weeks - 1, 1:3])
    assert np.all(res["occupancy_trough"] <= res["occupancy_mean"] + 1e-15)


def test_occupancy_trough_is_the_lowest_node_of_the_week_and_records_match_weekly_means():
    res, *_ = _run("duloxetine", 60.0, 2, 40, occupancy_week=2, record_every=0.125, weekly=True)
    t = res["record_t"]
    assert t[0] == 0.0 and np.all(np.diff(t) > 0)
    week2 = (t >= HOURS_PER_WEEK - 1e-9) & (t <= 2 * HOURS_PER_WEEK + 1e-9)
    np.testing.assert_array_equal(res["occupancy_trough"], res["record"][:, week2, 1:3].min(axis=1))
    # every grid node is recorded at 0.125-h resolution: the trapezoid of the record is the mean
    w1 = t <= HOURS_PER_WEEK + 1e-9
    trap = np.trapezoid(res["record"][:, w1, :], t[w1], axis=1) / HOURS_PER_WEEK
    np.testing.assert_allclose(trap, res["weekly"][:, 0, :], rtol=1e-12, atol=1e-15)


def test_a_grid_of_regimens_is_the_same_as_separate_runs():
    drug = load_drug("duloxetine")
    pop = draw_population(drug, PHYS, 100, seed=4, stream=ARM_DRUG)
    ch = chain(drug, PHYS, CAL)
    regs = [Regimen.daily(d, days=14) for d in (30.0, 60.0, 120.0)]
    args = (pop.theta, pop.sensitivity, pop.placebo_z, pop.baseline)
    grid = kernels.run_population(ch, *args, regs, 2, placebo_mu=MU, calibration=CAL)
    assert grid["pain"].shape == (3, 100, 1)
    for g, reg in enumerate(regs):
        one = kernels.run_population(ch, *args, reg, 2, placebo_mu=MU, calibration=CAL)
        for k in kernels.ENDPOINT_FIELDS:
            np.testing.assert_array_equal(grid[k][g], one[k])
    assert np.all(np.diff(grid["occupancy_mean"][:, :, 0], axis=0) > 0)  # occupancy rises with dose
    # a grid over parameter sets (e.g. a calibration weight) shares the compiled kernel
    ch2 = dataclasses.replace(ch, dh=ch.dh * np.array([1, 1, 1, 1, 2, 1, 1]))  # w_NE doubled
    both = kernels.run_population([ch, ch2], *args, regs[1], 2, placebo_mu=MU, calibration=CAL)
    np.testing.assert_array_equal(both["pain"][0], grid["pain"][1])
    assert np.all(both["inhibition"][1] >= both["inhibition"][0])


def test_placebo_level_times_expression_is_trials_placebo_response():
    z = np.linspace(-3, 3, 101)
    weeks = np.arange(1, 13, dtype=float)
    level = expit(MU + CAL.sigma_p * z)
    expression = 1.0 - np.exp(-weeks / CAL.tau_p)
    np.testing.assert_array_equal(level[:, None] * expression[None, :], placebo_response(z, MU, weeks, CAL))


def test_bad_inputs_are_refused():
    drug = load_drug("duloxetine")
    pop = draw_population(drug, PHYS, 4, seed=1, stream=ARM_DRUG)
    ch = chain(drug, PHYS, CAL)
    args = (ch, pop.theta, pop.sensitivity, pop.placebo_z, pop.baseline)
    with pytest.raises(ValueError, match="endpoint_weeks"):
        kernels.run_population(*args, Regimen.daily(60, days=14), 2, placebo_mu=MU, calibration=CAL,
                               endpoint_weeks=[3])
    with pytest.raises(ValueError, match="same times"):
        kernels.run_population(*args, [Regimen.daily(60, days=14), Regimen.daily(60, days=14, interval=12)], 2,
                               placebo_mu=MU, calibration=CAL)
    with pytest.raises(ValueError, match="outcomes"):
        kernels.run_population(*args, Regimen.daily(60, days=14), 2, placebo_mu=MU, calibration=CAL,
                               outcomes=("40pct",))


# --- determinism ----------------------------------------------------------------------------

def _endpoints(res):
    return {k: res[k] for k in kernels.ENDPOINT_FIELDS}


def test_a_patient_does_not_depend_on_batch_composition_or_chunking():
    """Patients 37…136 alone (other batch boundaries, partial last batch) and inside 0…199."""
    full, *_ = _run("venlafaxine", 150.0, 2, 200, p_miss=0.1)
    part, *_ = _run("venlafaxine", 150.0, 2, 100, start=37, p_miss=0.1)
    for k, v in _endpoints(full).items():
        np.testing.assert_array_equal(v[37:137], part[k], err_msg=k)
    single, *_ = _run("venlafaxine", 150.0, 2, 1, start=100, p_miss=0.1)
    for k, v in _endpoints(full).items():
        np.testing.assert_array_equal(v[100:101], single[k], err_msg=k)


_SCRIPT = """
import json
import numpy as np
from painsim import kernels
from painsim.calibration import load_calibration
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.population import ARM_DRUG, draw_population
from painsim.regimen import Regimen
from painsim.simulate import chain

def run():
    phys, cal = load_physiology(), load_calibration()
    drug = load_drug("duloxetine")
    pop = draw_population(drug, phys, 300, seed=11, stream=ARM_DRUG)
    res = kernels.run_population(chain(drug, phys, cal), pop.theta, pop.sensitivity, pop.placebo_z,
                                 pop.baseline, Regimen.daily(60.0, days=14), 2, placebo_mu=-1.2,
                                 calibration=cal, endpoint_weeks=[1, 2])
    return {k: np.asarray(res[k]).tolist() for k in kernels.ENDPOINT_FIELDS}

print(json.dumps(run()))
"""


def test_results_do_not_depend_on_the_number_of_threads():
    outs = []
    for threads in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(SRC), "NUMBA_NUM_THREADS": threads}
        r = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env,
                           check=True, timeout=900)
        outs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1]
