"""Experiments as data: grids of virtual trials → a labelled :class:`xarray.Dataset` (zarr, netCDF).

An *experiment* is a TOML file (see ``experiments/`` for commented examples)::

    dialect = "painsim-experiment/1"   # first: the file format and its version

    [experiment]
    seed = 2026            # replicate trial r uses seed + r: the same patients at every grid point
    trials = 3             # replicate trials per grid point
    patients = 1000        # per arm
    weeks = 12
    outcomes = ["50pct", "30pct"]
    report_weeks = [4, 8, 12]          # default: every week

    [drugs.duloxetine]
    doses = [30, 60, 90, 120]          # mg/day; or { start = 30, stop = 120, step = 30 }

    [parameters]                        # any model parameter by its dotted name
    "calibration.w_ne" = { start = 5.0, stop = 20.0, num = 4 }
    "physiology.serotonin.feedback_gain" = [0.5, 1.0]

Keys (every other key is refused):

- ``dialect`` (required, before any table): ``"painsim-experiment/1"``, checked by the one
  model-file reader (:mod:`painsim.modelfile`) like every other model file;
- ``[experiment]``: ``weeks`` (required), ``seed`` (1), ``trials`` (1), ``patients`` per arm (500),
  ``outcomes`` (``["50pct"]``; also ``"30pct"``), ``report_weeks`` (every week), ``condition``
  (``"dpn"``, ``"phn"``, ``"central"``, ``"mixed"``), ``placebo_response`` (the placebo arm's
  expected responder fraction for ``placebo_outcome`` at the end of the trial; default: the
  condition's rate), ``placebo_outcome`` (``"50pct"``), ``design`` (``"parallel"`` or
  ``"crossover"``), ``missed_doses`` (probability, 0), ``variability`` (true),
  ``keep_patients`` (false), ``physiology`` / ``calibration`` (other model files, paths relative
  to the experiment file), ``name``, ``description``;
- ``[drugs.<name>]``: ``doses`` (mg/day; a list or a range), ``titration`` (``[[day, fraction of
  the target dose], ...]``, first step on day 0), ``interval`` (h); drugs with different dose
  lists share a ``dose`` axis of dose *levels* and the coordinate ``dose_mg_per_day(drug, dose)``
  (NaN and status "not_applicable" where a drug has fewer doses);
- ``[idealised]`` (instead of ``[drugs]``): ``label``, ``sert``, ``net`` (occupancies used when
  they are not swept);
- ``[parameters]``: dotted name → list of values or range ``{ start, stop, num | step,
  scale = "linear" | "log" }`` (canonical units of ``models/README.md``);
- ``[sensitivity]``: read by :mod:`painsim.sensitivity`.

A *point* of the grid is (drug, dose, one value of every swept parameter). At each point and for
each replicate trial the two-arm trial of :func:`painsim.trial.run_trial` is simulated (same
populations, same placebo model, same responder and NNT rules) and reduced to endpoints:
responder fractions per arm, NNT and its interval for every outcome at every reported week, mean
pain per arm, mean occupancy, inhibition and transmitter ratios per week, a status code, and —
with ``keep_patients = true`` — the per-patient arrays.

Dotted parameter names are routed to the object that owns them:

- ``drug.<moiety>.<...>`` → :meth:`painsim.library.DrugSpec.with_value` (``drug.duloxetine.pk.cl``,
  ``drug.venlafaxine.occupancy.net.ec50``; ``drug.dosing.<field>`` applies to every drug; a moiety
  parameter applies to the drugs that have that moiety and leaves the others unchanged);
- ``physiology.<section>.<field>`` → :meth:`painsim.physiology.Physiology.with_value`;
- ``calibration.<name>`` → :meth:`painsim.calibration.Calibration.with_values`;
- ``occupancy.sert`` / ``occupancy.net`` → the occupancies of an *idealised inhibitor*
  (``[idealised]`` instead of ``[drugs]``): constant transporter occupancy from day 0, no PK,
  fed to the same synapse and dorsal-horn stage functions (:func:`painsim.simulate.fixed_occupancy_course`) — the
  "selectivity map".

Crash safety and determinism
----------------------------
The grid (plus the ``trial`` axis) is cut into rectangular *chunks*; each chunk is exactly one
zarr chunk of every result array, so no two chunks share a file. The store's metadata (shapes,
coordinates, provenance) is written first, to a temporary directory renamed into place. A chunk's
arrays are written when it finishes (every zarr chunk file is written to a temporary name and
renamed by zarr), and its ``status`` chunk is written *last*: a chunk whose status is present is
complete, one whose status is still the fill value (−1) is recomputed on the next run. Rerunning
the same command therefore computes only the missing chunks, and since every number depends only
on (parameters, seed + r, patient index) — never on the chunk, the thread count or the scheduler —
the finished store is bit-identical to an uninterrupted run.

One sweep at a time writes a store: :func:`run_sweep` holds the lock file ``<store>.lock`` (beside
the store, so that it also covers creating the store and ``overwrite`` removing it; pid, host and
start time inside) while it writes, and a second sweep of the same store stops at once with
:class:`StoreLockedError`. A lock left by a killed run is taken over when its pid no longer runs
on this host. The output paths are checked before anything is computed, and the netCDF file is
written whole or not at all (:mod:`painsim.atomic`).
"""

# The modules import their siblings, never this package (that would go round in a circle), each
# only the ones before it: fields -> experiment -> grid -> provenance -> store -> point -> run (the
# experiment's placebo check imports point inside the function). Re-exported here: the public API
# and what painsim.sensitivity builds on.
from painsim.sweep.experiment import DrugEntry, Experiment, Idealised, load_experiment, parse_experiment
from painsim.sweep.fields import ExperimentError, Parameter, SensitivitySpec, check_parameter
from painsim.sweep.grid import STATUS_MEANINGS, STATUS_OK, ResolvedPoint, SweepContext, resolve_point, sweep_context
from painsim.sweep.point import PreparedPoint, prepare_point, simulate_point_trial
from painsim.sweep.provenance import provenance_attrs
from painsim.sweep.run import SweepStats, map_tasks, run_sweep
from painsim.sweep.store import StoreLockedError, lock_path, store_lock, write_netcdf

__all__ = [
    "STATUS_MEANINGS",
    "STATUS_OK",
    "DrugEntry",
    "Experiment",
    "ExperimentError",
    "Idealised",
    "Parameter",
    "PreparedPoint",
    "ResolvedPoint",
    "SensitivitySpec",
    "StoreLockedError",
    "SweepContext",
    "SweepStats",
    "check_parameter",
    "load_experiment",
    "lock_path",
    "map_tasks",
    "parse_experiment",
    "prepare_point",
    "provenance_attrs",
    "resolve_point",
    "run_sweep",
    "simulate_point_trial",
    "store_lock",
    "sweep_context",
    "write_netcdf",
]
