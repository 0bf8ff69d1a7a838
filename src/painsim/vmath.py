"""Numerical building blocks: vectorisable elementary functions (exp, log, pow) for the population
kernel, and the matrix exponential that propagates linear pharmacokinetics exactly.

LLVM vectorises a loop over patients only if every call in it has a vector form. Without
Intel's SVML (not shipped on this platform), ``math.exp``/``math.log``/``x ** y`` inside such a
loop are split into one scalar libm call per patient, and those calls cost more than all the
rest of a time step. The functions here are plain arithmetic on float64 plus bit reinterpretation
(an LLVM ``bitcast``), so a loop over patients that calls them vectorises (AVX2: 4 patients per
instruction).

Accuracy (checked in ``tests/unit/test_kernels.py`` against :mod:`math`): :func:`exp` and
:func:`log` within 2 ulp for normal, finite arguments; :func:`power` within a few ulp times
``|n·log x|``. Domain: :func:`exp` saturates to 0 below −708 and to ``exp(709)`` above 709;
:func:`log` needs a positive, normal, finite argument (the kernel only takes logs of
concentrations and rates that are > 0); :func:`power` returns 0 for ``x == 0`` and ``x`` itself
for ``n == 1`` (as ``x ** 1`` does exactly).

The algorithms are the classic ones (fdlibm/Cephes): for exp, Cody–Waite reduction
``x = k·ln2 + r`` with ``|r| ≤ ln2/2`` and a degree-13 Taylor polynomial (truncation < 1e-17);
for log, ``x = 2^e·m`` with ``m ∈ [√½, √2)`` and fdlibm's ``log1p`` kernel in ``s = f/(2+f)``.
Integer ↔ float conversions go through the ``1.5·2^52`` trick rather than ``cvt`` instructions
because AVX2 has no vector int64 ↔ float64 conversion.

They must not be compiled with the ``reassoc`` fast-math flag (it would fold the reduction
``x − k·ln2_hi − k·ln2_lo`` and the ``1.5·2^52`` rounding); the kernel uses
``fastmath={"contract", "nsz", "arcp"}``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["exp", "expm", "expm_into", "expm_lanes", "log", "pow_libm", "power"]


@intrinsic
def _as_int64(typingctx, x):
    """The bits of a float64 as an int64 (no conversion)."""
    if not isinstance(x, types.Float) or x.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _as_float64(typingctx, x):
    """The bits of an int64 as a float64 (no conversion)."""
    if not isinstance(x, types.Integer) or x.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000: k·LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0  # 1.5·2^52: adding it leaves round(x) in the low mantissa bits
_SHIFT_BITS = 0x4338000000000000
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD
_BIAS_BITS = 1023 << 52
# fdlibm e_log.c: log(1+f) = f - hfsq + s*(hfsq+R), R(z) on z = s^2
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


# explicit flags: a numba dispatcher keeps the first compilation of a signature, whatever the
# caller's flags; these must always be branch-free (error_model="numpy") and keep their order of
# operations (no reassoc); forceinline lets LLVM inline them into the loop over patients
_FLAGS = {"forceinline": True, "error_model": "numpy", "fastmath": {"contract"}}


@nb.njit(**_FLAGS)
def exp(x):
    """e**x, vectorisable (float64 → float64)."""
    big = x > 709.0
    small = x < -708.0
    xc = min(max(x, -708.0), 709.0)
    kf = xc * _LOG2E + _SHIFT  # round(x/ln2) lands in the low mantissa bits
    k = kf - _SHIFT  # exact; not folded with kf because reassoc is off
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    # degree-13 Taylor polynomial by Estrin's scheme: a 4-FMA-deep tree instead of a 13-deep
    # Horner chain, so that successive patients' evaluations overlap in the pipeline
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q0 = 1.0 + r
    q1 = 0.5 + r * (1.0 / 6.0)
    q2 = 1.0 / 24.0 + r * (1.0 / 120.0)
    q3 = 1.0 / 720.0 + r * (1.0 / 5040.0)
    q4 = 1.0 / 40320.0 + r * (1.0 / 362880.0)
    q5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0)
    q6 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    p = (q0 + r2 * q1 + r4 * (q2 + r2 * q3)) + r8 * ((q4 + r2 * q5) + r4 * q6)
    ki = _as_int64(kf) - _SHIFT_BITS  # k as an integer (|k| ≤ 1022)
    y = p * _as_float64((ki + 1023) << 52)
    if small:
        y = 0.0
    if big:
        y = math.inf
    return y


@nb.njit(**_FLAGS)
def log(x):
    """Natural logarithm of a positive, normal, finite float64, vectorisable."""
    bits = _as_int64(x)
    # the exponent e with m = x/2^e in [√½, √2); biased so that a logical shift does (AVX2 has
    # no 64-bit arithmetic shift)
    eb = ((bits - _SQRT_HALF_BITS + _BIAS_BITS) >> 52) & 0x7FF  # the mask makes it a logical shift
    m = _as_float64(bits - ((eb - 1023) << 52))
    ef = _as_float64(eb + _SHIFT_BITS) - (_SHIFT + 1023.0)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    rr = t2 + t1
    hfsq = 0.5 * f * f
    return ef * _LN2_HI - ((hfsq - (s * (hfsq + rr) + ef * _LN2_LO)) - f)


@nb.njit(**_FLAGS)
def power(x, n):
    """x**n for x ≥ 0, vectorisable: exactly x for n == 1, 0 for x == 0 (n > 0)."""
    y = exp(n * log(max(x, 1e-300)))
    if x <= 0.0:
        y = 0.0
    if n == 1.0:
        y = x
    return y


@nb.njit(inline="always")
def pow_libm(x, n):
    """``x ** n`` (libm; scalars or arrays).

    Stage functions write powers as ``pow_libm(x, n)`` rather than ``x ** n`` only so that the
    population kernel can substitute :func:`power` when it specialises them
    (:func:`painsim.kernels.specialise`); everywhere else this *is* ``x ** n``.
    """
    return x ** n


# ---------------------------------------------------------------------------------------------
# the matrix exponential (exact propagation of linear pharmacokinetics)


@nb.njit(cache=True)
def expm(mat):
    """Matrix exponential by scaling and squaring of a Taylor series (numba).

    Accurate to ~1e-14 relative for the small, stable compartmental matrices of
    :mod:`painsim.pk`; checked against :func:`scipy.linalg.expm` in the tests.
    """
    n = mat.shape[0]
    norm = 0.0
    for j in range(n):
        col = 0.0
        for i in range(n):
            col += abs(mat[i, j])
        norm = max(norm, col)
    s = 0
    if norm > 0.5:
        s = math.ceil(math.log2(norm / 0.5))
    scaled = mat / (2.0 ** s)
    result = np.eye(n)
    term = np.eye(n)
    for k in range(1, 20):
        term = term @ scaled / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


@nb.njit(cache=True)
def expm_into(mat, h, out, work):
    """``expm(mat·h)`` written into ``out`` without allocating: :func:`expm`'s algorithm (the same
    scaling and squaring of the same 19-term Taylor series) with explicit loops.

    The batch form of :func:`expm` for the population kernel, which needs a few transition
    matrices per patient: :func:`expm` allocates ~60 temporaries and calls BLAS for 2×2 products,
    which cost more than a patient's whole time course. Agrees with :func:`expm` to ~1e-15
    (tested): the same series, summed in another order, and stopped once a term is below 1e-17
    (the rest, smaller still at a scaled norm ≤ 0.5, is below rounding) — what a patient's setup
    costs in the kernel is mostly these series.

    Parameters
    ----------
    mat : ndarray, shape (n, n)
    h : float
        Scale (the step length, h, for a rate matrix in 1/h).
    out : ndarray, shape (n, n)
        Receives the result.
    work : ndarray, shape (3, n, n)
        Scratch space.
    """
    n = mat.shape[0]
    scaled = work[0]
    term = work[1]
    tmp = work[2]
    norm = 0.0
    for j in range(n):
        col = 0.0
        for i in range(n):
            scaled[i, j] = mat[i, j] * h
            col += abs(scaled[i, j])
        norm = max(norm, col)
    # s = ceil(log2(norm / 0.5)) as expm's, by halving (exact), without libm's log2 and pow
    s = 0
    inv_div = 1.0
    while norm * inv_div > 0.5:
        inv_div *= 0.5
        s += 1
    for i in range(n):
        for j in range(n):
            scaled[i, j] = scaled[i, j] * inv_div
            out[i, j] = 1.0 if i == j else 0.0
            term[i, j] = out[i, j]
    for k in range(1, 20):
        inv_k = 1.0 / k  # one division per term, not per element
        big = 0.0
        for i in range(n):
            for j in range(n):
                acc = 0.0
                for q in range(n):
                    acc += term[i, q] * scaled[q, j]
                tmp[i, j] = acc * inv_k
                big = max(big, abs(tmp[i, j]))
        for i in range(n):
            for j in range(n):
                term[i, j] = tmp[i, j]
                out[i, j] = out[i, j] + tmp[i, j]
        # the rest of the series is below the last term (norm ≤ 0.5): stop once that is below
        # rounding of the identity's entries (a short step needs a few terms, not 19)
        if big < 1e-17:
            break
    for _ in range(s):
        for i in range(n):
            for j in range(n):
                acc = 0.0
                for q in range(n):
                    acc += out[i, q] * out[q, j]
                tmp[i, j] = acc
        for i in range(n):
            for j in range(n):
                out[i, j] = tmp[i, j]


@nb.njit(cache=True, inline="always")
def _matmul_lanes(a, b, out):
    """``out[:, :, l] = a[:, :, l] @ b[:, :, l]`` for every lane, the lanes innermost (the sum over
    q in increasing order, as numpy's and :func:`expm_into`'s loops)."""
    n = a.shape[0]
    nl = a.shape[2]
    for i in range(n):
        for j in range(n):
            for lane in range(nl):
                out[i, j, lane] = 0.0
            for q in range(n):
                for lane in range(nl):
                    out[i, j, lane] += a[i, q, lane] * b[q, j, lane]


@nb.njit(cache=True)
def expm_lanes(mat, h, out, work, n_square):
    """``expm(mat[:, :, l]·h)`` for every lane ``l`` at once: :func:`expm_into`'s algorithm with
    the lanes innermost, so that the series vectorises over them.

    The population kernel's setup of a batch (a transition matrix per patient and step length:
    one scalar :func:`expm_into` of a 2×2 matrix costs ~500 cycles, a tenth of a patient's whole
    course on the quadrature grid). Every lane keeps its own scaling and its own number of terms
    (a lane's series stops, as :func:`expm_into`'s, at its first term below 1e-17; later terms
    are computed for the other lanes but not added), and the operations of a lane are those of
    :func:`expm_into` in the same order, so a lane's result is :func:`expm_into`'s bit for bit
    (tested) and does not depend on the other lanes.

    Parameters
    ----------
    mat : ndarray, shape (n, n, L)
        One matrix per lane (e.g. rate matrices, 1/h); n ≥ 2.
    h : float
        Scale (the step length, h).
    out : ndarray, shape (n, n, L)
        Receives the results.
    work : ndarray, shape (4, n, n, L)
        Scratch space.
    n_square : ndarray of int64, shape (L,)
        Scratch space (each lane's number of squarings).
    """
    n = mat.shape[0]
    nl = mat.shape[2]
    scaled = work[0]
    term = work[1]
    tmp = work[2]
    live = work[3, 0, 0]  # 1 while a lane's series goes on
    big = work[3, 1, 1]  # a lane's largest entry of the last term
    s_max = 0
    for lane in range(nl):
        norm = 0.0
        for j in range(n):
            col = 0.0
            for i in range(n):
                col += abs(mat[i, j, lane] * h)
            norm = max(norm, col)
        s = 0
        inv_div = 1.0
        while norm * inv_div > 0.5:  # as expm_into
            inv_div *= 0.5
            s += 1
        n_square[lane] = s
        s_max = max(s_max, s)
        for i in range(n):
            for j in range(n):
                scaled[i, j, lane] = mat[i, j, lane] * h * inv_div
        live[lane] = 1.0
    for i in range(n):
        for j in range(n):
            for lane in range(nl):
                out[i, j, lane] = 1.0 if i == j else 0.0
                term[i, j, lane] = out[i, j, lane]
    for k in range(1, 20):
        inv_k = 1.0 / k
        for lane in range(nl):
            big[lane] = 0.0
        _matmul_lanes(term, scaled, tmp)
        for i in range(n):
            for j in range(n):
                for lane in range(nl):
                    tmp[i, j, lane] *= inv_k
                    big[lane] = max(big[lane], abs(tmp[i, j, lane]))
        for i in range(n):
            for j in range(n):
                for lane in range(nl):
                    term[i, j, lane] = tmp[i, j, lane]
                    if live[lane] > 0.0:
                        out[i, j, lane] = out[i, j, lane] + tmp[i, j, lane]
        n_live = 0.0
        for lane in range(nl):
            if big[lane] < 1e-17:
                live[lane] = 0.0
            n_live += live[lane]
        if n_live == 0.0:
            break
    for r in range(s_max):
        _matmul_lanes(out, out, tmp)
        for i in range(n):
            for j in range(n):
                for lane in range(nl):
                    if r < n_square[lane]:
                        out[i, j, lane] = tmp[i, j, lane]
