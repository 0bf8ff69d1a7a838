"""painsim.vmath: the vectorisable exp/log/pow of the population kernel and the matrix exponential."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest

from painsim import vmath
from painsim.library import load_drug
from painsim.pk import rate_matrix, structure, theta
from painsim.vmath import expm, expm_into, expm_lanes


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


@pytest.mark.parametrize("name", ["duloxetine", "venlafaxine"])
def test_expm_lanes_is_expm_into_lane_by_lane(name):
    """Every lane's result is expm_into's bit for bit, whatever the other lanes hold (the
    kernel's results must not depend on the batch composition)."""
    from painsim.physiology import load_physiology
    from painsim.population import ARM_DRUG, draw_population

    drug = load_drug(name)
    s = structure(drug)
    pop = draw_population(drug, load_physiology(), 16, seed=5, stream=ARM_DRUG)
    mats = [rate_matrix(th, s.ncmt, s.from_idx, s.mw_ratio, s.central, s.periph, s.n_states, False)
            for th in pop.theta]
    mats[3] = mats[3] * 40.0  # a lane that needs more squarings and terms than the others
    a = np.ascontiguousarray(np.stack(mats, axis=2))
    n = a.shape[0]
    out = np.empty_like(a)
    work = np.empty((4, *a.shape))
    n_square = np.empty(a.shape[2], dtype=np.int64)
    one = np.empty((n, n))
    work1 = np.empty((3, n, n))
    for h in (0.03, 0.7, 7.3, 24.0, 500.0):
        expm_lanes(a, h, out, work, n_square)
        for lane, m in enumerate(mats):
            expm_into(np.ascontiguousarray(m), h, one, work1)
            np.testing.assert_array_equal(out[:, :, lane], one)
        np.testing.assert_allclose(out[:, :, 0], expm(mats[0] * h), rtol=1e-13, atol=1e-15)
