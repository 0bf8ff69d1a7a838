"""The fused population kernel: the whole causal chain for many virtual patients at once.

Dose → exact PK → SERT/NET occupancy → spinal 5-HT and NE at quasi-steady state → slow
autoreceptor desensitisation → restored inhibition, in one numba kernel that returns the weekly
means of every patient (:func:`run_population`). Pain and responders follow from the weekly
inhibition through :mod:`painsim.response`, as on every other path: the kernel integrates and
records, it defines no biology and no trial outcome.

How it is fast (DESIGN §4):

- a time grid of :func:`painsim.chain.time_grid` (the Gauss–Legendre nodes of
  :func:`painsim.chain.quadrature_grid` with ``grid="quad"``: 2.5× fewer evaluations of the chain
  than the dose-graded grid of :func:`painsim.chain.dose_grid`, ``grid="fine"``, weekly means as
  weighted node sums) and, for linear PK, one transition matrix ``expm(A·h)`` per patient and
  distinct step length, computed for a whole batch at once (:func:`painsim.vmath.expm_lanes`), so
  a PK step is a matrix–vector product (Michaelis–Menten PK: the RK4 of
  :func:`painsim.pk.rk4_step` in lane form);
- the synapse at quasi-steady state by Newton in ``ln r``, warm-started from the previous node
  (on a quadrature grid, moved as between the same nodes one dosing interval earlier) with a
  fixed number of steps (:func:`painsim.synapse.qss_log_ratio`), and only the desensitisation
  state stepped (exact relaxation over each step or node weight, as the fast path does);
- patients in batches of :data:`BATCH` (a compile-time constant) held as structure-of-arrays in
  one buffer, processed in lock-step so that LLVM vectorises the loop over the patients of a
  batch; ``prange`` over (grid point × batch) (:mod:`painsim.kernels.lanes`);
- elementary functions that vectorise (:mod:`painsim.vmath`), because without SVML a loop that
  calls libm's ``exp``/``log``/``pow`` is split into scalar calls.

One source of truth: every equation the kernel evaluates is a stage function of
:mod:`painsim.pk`, :mod:`painsim.occupancy`, :mod:`painsim.synapse`, :mod:`painsim.dorsal_horn`,
:mod:`painsim.population` or :mod:`painsim.chain`, compiled for the kernel by :func:`specialise`
(:mod:`painsim.kernels.specialisation`). Where a stage function did not suit a batch, a batch form
was added in the stage's own module and tested against the original:
:func:`painsim.synapse.qss_log_ratio` (fixed Newton steps), :func:`painsim.vmath.expm_into` (no
allocation) and :func:`painsim.vmath.expm_lanes` (lanes innermost). Results agree with
:func:`painsim.simulate.run_fast` on the same grid to ~1e-4 relative in the weekly inhibition
on the default (quadrature) grid, up to ~1e-3 with missed doses, ~1e-3 on the fine grid (one
Newton step per node and the vectorised exp/log instead of Newton to 1e-12 and libm),
checked in ``tests/unit/test_kernels.py``.

Compile-time constants: the switches and exponents of the synapse and dorsal-horn parameters
(first-order uptake or not, desensitisation on/off, the dorsal-horn Hill exponents) are
compiled into the kernel (:func:`painsim.kernels.run.model_switches`), so that e.g. ``x ** 1.0``
and a branch on ``Km = inf`` cost nothing inside the loop over patients; every other parameter,
the doses and the patients are run-time values. The kernel is compiled once per set of constants
(~25 s) and kept in numba's disk cache; a hash of every module whose code it inlines is one of
the constants, so editing an equation gives a new kernel rather than a stale cached one.

Determinism: every patient occupies one SIMD lane and no operation mixes lanes; batches are
padded to full size with copies of a real patient; random draws (adherence) are counter-based
(:func:`painsim.population.uniform`). A patient's weekly means are therefore bit-identical
whatever the batch composition, the chunking or the number of threads (tested).
"""

from painsim.kernels.lanes import BATCH
from painsim.kernels.run import (
    GRIDS,
    N_NEWTON,
    N_NEWTON_GRADED,
    N_NEWTON_QUAD,
    N_NEWTON_QUAD_FIRST,
    compile_kernel,
    run_population,
)
from painsim.kernels.specialisation import specialise

__all__ = ["BATCH", "GRIDS", "N_NEWTON", "N_NEWTON_GRADED", "N_NEWTON_QUAD", "N_NEWTON_QUAD_FIRST",
           "compile_kernel", "run_population", "specialise"]
