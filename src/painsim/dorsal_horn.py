"""Dorsal horn: from spinal 5-HT and NE to net descending inhibition and pain transmission.

Receptor activation is a Hill function of the transmitter concentration; what matters is the
change from baseline:

- NE at α2 adrenoceptors (inhibitory: presynaptic on primary afferents, lowering glutamate and
  substance-P release, and postsynaptic): ``ΔA_NE = r_NE − 1``. Neither the α2A EC50 of NE nor
  the basal spinal NE level was retrievable; NE is a low-potency full agonist at α2A (Jasper
  1998), so activation is taken in its linear range and its scale goes into the weight w_NE.
  (A saturating ``H(r/K) − H(1/K)`` with K calibrated was tried twice: with the Ki-derived NET
  EC50 of duloxetine, and again with the measured one, refitting every weight at K = 0.1 … ∞.
  The objective moved by 0.11 and the 60-vs-120 mg duloxetine contrast barely (z 1.52 → 1.45): the trained
  drugs raise r_NE by 17–29 % only, so K is not identified. The simpler form stays; numbers in
  docs/model.md, section 5);
- 5-HT at the inhibitory pool (5-HT1A/1B/1D/7): ``ΔA_inh = H(r·c0/EC50_inh) − H(c0/EC50_inh)``;
- 5-HT at the facilitatory pool (5-HT3): ``ΔA_fac`` likewise with its EC50 and Hill exponent.
  With nanomolar inhibitory and micromolar facilitatory potencies, the inhibitory pool is
  partly occupied at baseline and saturates, the facilitatory pool engages only at large rises:
  the net serotonergic effect stays small — why SSRIs alone are weak analgesics;
- optional NE × 5-HT synergy ``w_syn·ΔA_NE·ΔA_inh``.

Net drive ``I_net = w_NE·ΔA_NE + w_5HT·(ΔA_inh − ΔA_fac) + w_syn·ΔA_NE·ΔA_inh`` and the
inhibition restored ``I = I_net/(1 + |I_net|)`` (bounded in (−1, 1)). Neuropathic pain is
amplified transmission with a deficit of descending inhibition; a patient with sensitivity
``s_i`` (the fraction of their transmission under descending control, ≤ s_max) transmits
``T = 1 − s_i·I`` of their untreated pain signal. w_NE and w_5HT are calibrated
(:mod:`painsim.calibrate`); everything else is from ``models/physiology.toml``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from painsim.physiology import Physiology

__all__ = ["DH_SIZE", "activation_changes", "activation_changes_log", "dorsal_horn_params", "inhibition",
           "inhibition_array", "inhibition_log", "saturate", "transmission"]

# dorsal-horn parameter vector
D_INH_K, D_INH_N, D_FAC_K, D_FAC_N, D_W_NE, D_W_5HT, D_W_SYN = 0, 1, 2, 3, 4, 5, 6
DH_SIZE = 7


def dorsal_horn_params(phys: Physiology, w_ne: float, w_5ht: float) -> np.ndarray:
    """Parameter vector: EC50s relative to basal levels, Hill exponents and the weights."""
    c0 = phys["serotonin.basal"]
    p = np.zeros(DH_SIZE)
    p[D_INH_K] = phys["dorsal_horn.inhibitory_5ht_ec50"] / c0
    p[D_INH_N] = phys["dorsal_horn.inhibitory_5ht_hill"]
    p[D_FAC_K] = phys["dorsal_horn.facilitatory_5ht_ec50"] / c0
    p[D_FAC_N] = phys["dorsal_horn.facilitatory_5ht_hill"]
    p[D_W_NE] = w_ne
    p[D_W_5HT] = w_5ht
    p[D_W_SYN] = phys["dorsal_horn.synergy"]
    return p


@nb.njit(cache=True, inline="always")
def _hill(log_x, x, k, n):
    """Receptor activation (x/K)^n / (1 + (x/K)^n), given x and ln x.

    Written as x/(x + K) for n = 1 and as 1/(1 + e^{n(ln K − ln x)}) otherwise: one division, and
    one exp only where n ≠ 1 (the population kernel compiles n in as a constant and has ln x from
    its Newton solve, so neither form costs a log)."""
    if n == 1.0:
        return x / (x + k)
    return 1.0 / (1.0 + math.exp(n * (math.log(k) - log_x)))


@nb.njit(cache=True)
def activation_changes_log(log_r_5ht, r_5ht, r_ne, p):
    """(ΔA_NE, ΔA_inh, ΔA_fac) from r_5HT and its logarithm (see :func:`activation_changes`)."""
    d_ne = r_ne - 1.0
    d_inh = _hill(log_r_5ht, r_5ht, p[D_INH_K], p[D_INH_N]) - _hill(0.0, 1.0, p[D_INH_K], p[D_INH_N])
    d_fac = _hill(log_r_5ht, r_5ht, p[D_FAC_K], p[D_FAC_N]) - _hill(0.0, 1.0, p[D_FAC_K], p[D_FAC_N])
    return d_ne, d_inh, d_fac


@nb.njit(cache=True)
def activation_changes(r_5ht, r_ne, p):
    """(ΔA_NE, ΔA_inh, ΔA_fac): receptor activation changes from baseline.

    ΔA_NE = r_NE − 1 (α2, linear); ΔA_inh, ΔA_fac: Hill activation of the inhibitory (5-HT1/7)
    and facilitatory (5-HT3) receptors at r_5HT minus that at baseline (r = 1)."""
    return activation_changes_log(math.log(r_5ht), r_5ht, r_ne, p)


@nb.njit(cache=True)
def saturate(net):
    """I = I_net / (1 + |I_net|): restored inhibition from the net receptor drive (scalar or array)."""
    return net / (1.0 + np.abs(net))


@nb.njit(cache=True)
def inhibition_log(log_r_5ht, r_5ht, r_ne, p):
    """Restored descending inhibition I in (−1, 1) from r_5HT, its logarithm and r_NE (the
    kernel's form: it has both from the Newton solve)."""
    d_ne, d_inh, d_fac = activation_changes_log(log_r_5ht, r_5ht, r_ne, p)
    return saturate(p[D_W_NE] * d_ne + p[D_W_5HT] * (d_inh - d_fac) + p[D_W_SYN] * d_ne * d_inh)


@nb.njit(cache=True)
def inhibition(r_5ht, r_ne, p):
    """Restored descending inhibition I in (−1, 1) (positive = analgesic)."""
    return inhibition_log(math.log(r_5ht), r_5ht, r_ne, p)


@nb.njit(cache=True)
def inhibition_array(r_5ht, r_ne, p):
    """:func:`inhibition` elementwise over 1-d arrays of ratios."""
    out = np.empty(r_5ht.shape[0])
    for i in range(r_5ht.shape[0]):
        out[i] = inhibition(r_5ht[i], r_ne[i], p)
    return out


def transmission(inh: float | np.ndarray, s: float | np.ndarray) -> float | np.ndarray:
    """Pain transmission relative to untreated, ``T = 1 − s·I`` (elementwise over numpy arrays).

    Parameters
    ----------
    inh : float or ndarray
        Restored descending inhibition I (−1…1), e.g. a week's mean.
    s : float or ndarray
        The patient's sensitivity: the fraction of their transmission under descending control.
    """
    return 1.0 - s * inh
