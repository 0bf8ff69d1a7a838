"""Helpers for testing painsim and code built on it: synthetic drugs and assertions.

Hypothesis strategies live in :mod:`painsim.testing.strategies` (needs ``hypothesis``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from painsim.library import DrugSpec, parse_drug_file

__all__ = ["SYNTHETIC_SOURCE", "synthetic_drug"]

#: the only bibliography key synthetic drugs cite
SYNTHETIC_SOURCE = "synthetic"


def _v(value: float, unit: str) -> str:
    return f'{{ value = {value!r}, unit = "{unit}", source = "{SYNTHETIC_SOURCE}" }}'


def synthetic_drug(*, ka: float = 1.0, cl: float = 10.0, v: float = 100.0, q: float | None = None,
                   vp: float | None = None, lag: float = 0.0, vmax: float | None = None,
                   km: float | None = None, metabolite: dict | None = None,
                   ec50_sert: float | None = 10.0, ec50_net: float | None = None,
                   emax: float = 1.0, hill: float = 1.0, mw: float = 300.0,
                   dose_max: float | None = None, name: str = "synthetic") -> DrugSpec:
    """A drug with chosen parameters, written in the model-file dialect and loaded strictly.

    Parameters
    ----------
    ka, cl, v, q, vp, lag : float
        1/h, L/h, L, L/h, L, h (apparent oral).
    vmax, km : float, optional
        mg/h and ng/mL: Michaelis–Menten elimination instead of ``cl``.
    metabolite : dict, optional
        Keys ``fraction``, ``cl``, ``v`` (and optionally ``q``, ``vp``, ``mw``, ``ec50_sert``,
        ``ec50_net``): one active metabolite.
    ec50_sert, ec50_net : float, optional
        ng/mL (PET method); ``None`` means the moiety does not bind.
    dose_max : float, optional
        mg/day (default 100; with ``vmax``, at most 90 % of what Vmax eliminates in a day, since
        the loader refuses saturable elimination slower than the largest dose rate).
    """
    mm = vmax is not None
    if dose_max is None:
        dose_max = min(100.0, 0.9 * 24.0 * vmax) if mm else 100.0
    lines = [
        'dialect = "painsim-drug/1"',
        "[drug]",
        f'name = "{name}"', 'display_name = "Synthetic"', 'class = "SNRI"',
        f'references = ["{SYNTHETIC_SOURCE}"]',
        "[dosing]",
        f"interval = {_v(24.0, 'h')}", f"dose_min = {_v(1.0, 'mg/day')}",
        f"dose_max = {_v(dose_max, 'mg/day')}",
    ]

    def moiety(mname: str, role: str, p: dict, is_mm: bool) -> list[str]:
        ncmt = 2 if p.get("q") is not None else 1
        out = ["[[moieties]]", f'name = "{mname}"', f'role = "{role}"',
               f"molecular_weight = {_v(p.get('mw', mw), 'g/mol')}", f"fu = {_v(0.1, '1')}"]
        if role == "metabolite":
            out += ["[moieties.formation]", 'from = "parent"',
                    f"fraction = {_v(p['fraction'], '1')}"]
        out += ["[moieties.pk]", f"compartments = {ncmt}",
                f'elimination = "{"michaelis_menten" if is_mm else "linear"}"',
                'cl_basis = "apparent_oral"', f"v = {_v(p['v'], 'L')}"]
        if role == "parent":
            out.append(f"ka = {_v(p['ka'], '1/h')}")
            if p.get("lag"):
                out.append(f"lag = {_v(p['lag'], 'h')}")
        if is_mm:
            out += [f"vmax = {_v(p['vmax'], 'mg/h')}", f"km = {_v(p['km'], 'ng/mL')}"]
        else:
            out.append(f"cl = {_v(p['cl'], 'L/h')}")
        if ncmt == 2:
            out += [f"q = {_v(p['q'], 'L/h')}", f"vp = {_v(p['vp'], 'L')}"]
        for target in ("sert", "net"):
            e = p.get(f"ec50_{target}")
            out.append(f"[moieties.occupancy.{target}]")
            if e is None:
                out.append('method = "none"')
            else:
                out += ['method = "pet"', f"ec50 = {_v(e, 'ng/mL')}", f"emax = {_v(emax, '1')}",
                        f"hill = {_v(hill, '1')}"]
        return out

    lines += moiety("parent", "parent", {"ka": ka, "cl": cl, "v": v, "q": q, "vp": vp, "lag": lag,
                                         "vmax": vmax, "km": km, "ec50_sert": ec50_sert,
                                         "ec50_net": ec50_net}, mm)
    if metabolite is not None:
        lines += moiety("metabolite", "metabolite", metabolite, False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return parse_drug_file(path, bib=frozenset({SYNTHETIC_SOURCE}))
