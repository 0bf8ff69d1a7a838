"""Hypothesis strategies for painsim parameters and regimens (requires ``hypothesis``)."""

from __future__ import annotations

from hypothesis import strategies as st

from painsim.regimen import Regimen

__all__ = ["linear_drug_params", "regimens"]


@st.composite
def linear_drug_params(draw: st.DrawFn) -> dict:
    """Keyword arguments for :func:`painsim.testing.synthetic_drug` (linear PK, physiological
    ranges: ka 0.05–5 /h, CL 0.5–300 L/h, V 5–5000 L, optional 2nd compartment and metabolite)."""
    p = {
        "ka": draw(st.floats(0.05, 5.0)),
        "cl": draw(st.floats(0.5, 300.0)),
        "v": draw(st.floats(5.0, 5000.0)),
    }
    if draw(st.booleans()):
        p["q"] = draw(st.floats(0.5, 100.0))
        p["vp"] = draw(st.floats(5.0, 5000.0))
    if draw(st.booleans()):
        p["metabolite"] = {
            "fraction": draw(st.floats(0.01, 1.0)),
            "cl": draw(st.floats(0.5, 100.0)),
            "v": draw(st.floats(5.0, 3000.0)),
            "mw": draw(st.floats(150.0, 450.0)),
            "ec50_sert": draw(st.one_of(st.none(), st.floats(0.1, 1000.0))),
        }
    return p


@st.composite
def regimens(draw: st.DrawFn) -> Regimen:
    """Regular oral regimens: 1–30 doses of 0.1–500 mg every 4–48 h, optional start and lag."""
    return Regimen(dose=draw(st.floats(0.1, 500.0)), interval=draw(st.sampled_from([4.0, 8.0, 12.0, 24.0, 48.0])),
                   n_doses=draw(st.integers(1, 30)), start=draw(st.floats(0.0, 48.0)),
                   lag=draw(st.floats(0.0, 3.0)))
