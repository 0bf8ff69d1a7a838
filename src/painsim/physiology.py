"""Load ``models/physiology.toml``: the synapse, dorsal-horn, population and placebo parameters.

Dialect ``painsim-physiology/1``, read through :mod:`painsim.modelfile` with the same rules as
the drug files: every number has a unit and a source, unknown keys are refused, units are
checked and converted to canonical units on load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from painsim.modelfile import ModelFile, Value, models_dir, read_model_file
from painsim.sourced import cited_keys

__all__ = ["DIALECT", "SCHEMA", "Physiology", "load_physiology", "parse_physiology"]

DIALECT = "painsim-physiology/1"

#: section -> field -> kind (see :data:`painsim.units.CANONICAL`)
SCHEMA: dict[str, dict[str, str]] = {
    "serotonin": {"km": "molar", "vmax": "molar_rate", "k_other": "rate", "basal": "molar",
                  "feedback_gain": "dimensionless", "desensitisation_tau": "time",
                  "crosstalk_from_ne": "dimensionless"},
    "norepinephrine": {"k_uptake": "rate", "k_other": "rate", "feedback_gain": "dimensionless",
                       "desensitisation": "dimensionless", "desensitisation_tau": "time",
                       "crosstalk_from_5ht": "dimensionless"},
    "dorsal_horn": {"inhibitory_5ht_ec50": "molar", "inhibitory_5ht_hill": "dimensionless",
                    "facilitatory_5ht_ec50": "molar", "facilitatory_5ht_hill": "dimensionless",
                    "synergy": "dimensionless", "s_max": "dimensionless"},
    "population": {"baseline_pain_min": "dimensionless", "baseline_pain_mean": "dimensionless",
                   "cyp2d6_pm": "dimensionless", "cyp2d6_im": "dimensionless",
                   "cyp2d6_um": "dimensionless", "smokers": "dimensionless",
                   "within_patient_pain_sd": "dimensionless"},
    "placebo": {"dpn": "dimensionless", "phn": "dimensionless", "central": "dimensionless",
                "mixed": "dimensionless"},
}
#: the largest week-to-week SD of weekly mean pain (NRS points) at which the responder
#: expectations' quadrature was checked against brute-force integration
#: (:func:`painsim.response.expected_responder_rate`): the responder fraction of an arm of 1000
#: patients, or of the placebo baseline grid, within 1.5e-3 for placebo locations μ from -4.5
#: to 0.5 (measured worst 1.0e-3 at 0.8, 8.9e-4 at 0.6). A single patient's rate is less exact
#: (up to ~0.1 where the week's noise alone nearly decides: the integrand rises from 0 to 1 over
#: decades of the distance to that point), and the errors of patients with different baselines
#: and drug effects average out. At 1.0 a low placebo rate is off by up to 8e-3
MAX_WITHIN_PATIENT_SD = 0.8


def within_patient_sd_problem(sd: float) -> str | None:
    """What is wrong with a week-to-week SD of ``sd`` NRS points (None: nothing), for the file
    loader and for :func:`painsim.response.within_patient_sd` alike."""
    if 0.0 <= sd <= MAX_WITHIN_PATIENT_SD:
        return None
    return (f"must lie in 0-{MAX_WITHIN_PATIENT_SD:g} NRS points, the range in which painsim's responder "
            "expectations were checked")
_REQUIRED = {
    "serotonin": {"km", "vmax", "k_other", "basal", "feedback_gain", "desensitisation_tau"},
    "norepinephrine": {"k_uptake", "k_other", "feedback_gain", "desensitisation"},
    "dorsal_horn": {"inhibitory_5ht_ec50", "inhibitory_5ht_hill", "facilitatory_5ht_ec50",
                    "facilitatory_5ht_hill", "synergy", "s_max"},
    "population": {"baseline_pain_min", "baseline_pain_mean"},
    "placebo": {"dpn"},
}


@dataclass(frozen=True)
class Physiology:
    """Parsed physiology: ``sections[section][field]`` is a :class:`~painsim.library.Value`."""

    sections: Mapping[str, Mapping[str, Value]]
    path: str = ""
    sha256: str = ""

    def __getitem__(self, dotted: str) -> float:
        """The canonical value of ``"section.field"``."""
        sec, field = dotted.split(".", 1)
        try:
            return self.sections[sec][field].value
        except KeyError:
            raise KeyError(f"physiology has no parameter {dotted!r}") from None

    def get(self, dotted: str, default: float | None = None) -> float | None:
        try:
            return self[dotted]
        except KeyError:
            return default

    def value(self, dotted: str) -> Value:
        sec, field = dotted.split(".", 1)
        return self.sections[sec][field]

    def with_value(self, dotted: str, value: float) -> Physiology:
        """Return a copy with one parameter replaced (canonical unit); nothing is mutated."""
        sec, field = dotted.split(".", 1)
        if sec not in SCHEMA or field not in SCHEMA[sec]:
            raise KeyError(f"physiology has no parameter {dotted!r}")
        old = self.sections.get(sec, {}).get(field)
        from painsim.units import CANONICAL

        new = (old.replace(value) if old is not None else
               Value(value=float(value), unit=CANONICAL[SCHEMA[sec][field]], source=("user",),
                     note="set by user"))
        sections = {**self.sections, sec: {**self.sections.get(sec, {}), field: new}}
        return dataclasses.replace(self, sections=sections)

    def sources(self) -> tuple[str, ...]:
        """Every bibliography key the parameters cite (sorted, without locators)."""
        return tuple(sorted(cited_keys(self.sections)))


def parse_physiology(path: Path, bib: frozenset[str] | None = None) -> Physiology:
    """Parse and validate a physiology file (raises :class:`~painsim.modelfile.ModelFileError`)."""
    ctx = ModelFile(path, bib)
    data, doc = read_model_file(path, DIALECT)
    ctx.check_keys("top level", doc, {"dialect", *SCHEMA}, {"dialect", *_REQUIRED})
    sections: dict[str, dict[str, Value]] = {}
    for sec, fields in SCHEMA.items():
        raw = ctx.check_keys(sec, doc.get(sec, {}), set(fields), _REQUIRED.get(sec, set()))
        sections[sec] = {name: ctx.sourced_value(f"{sec}.{name}", v, fields[name]) for name, v in raw.items()}
    for sec in ("placebo",):
        for name, v in sections[sec].items():
            if not 0.0 < v.value < 1.0:
                raise ctx.fail(f"{sec}.{name}", "a responder fraction must lie in (0, 1)")
    sd = sections["population"].get("within_patient_pain_sd")
    if sd is not None and (problem := within_patient_sd_problem(sd.value)):
        raise ctx.fail("population.within_patient_pain_sd", problem)
    return Physiology(sections=sections, path=str(path), sha256=hashlib.sha256(data).hexdigest())


#: environment variable naming the physiology file used where none is given (set by the command
#: line's ``--physiology FILE``)
ENV_VAR = "PAINSIM_PHYSIOLOGY"


def load_physiology(path: str | None = None) -> Physiology:
    """Load ``path``, else the file named by ``$PAINSIM_PHYSIOLOGY``, else the shipped
    ``models/physiology.toml`` (any file in the same dialect)."""
    chosen = path or os.environ.get(ENV_VAR) or str(models_dir() / "physiology.toml")
    return _load(str(Path(chosen).resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> Physiology:
    return parse_physiology(Path(path))
