"""The towns' assessment (人才工作目标责任考核, 实施方案第19条): the score I14 and its rank.

The score is configuration, not code: ``data/assessment.yaml`` names the four dimensions of §19,
their weights, the indicators behind each, how each is normalised to 0-100 and how a missing
indicator is treated; it arrives checked as ``profile.assessment``
(``talentstats.analysis.declarations.build_assessment``). A deployment profile may hold its own
``assessment.yaml``; the packaged one applies otherwise. The plan targets, the full marks of
``target`` entries, are the city's (``profile.city.targets``).

Scoring, in short (the YAML's comments are the full statement):

* each indicator is normalised per year over the units that have a value: ``minmax`` (worst 0,
  best 100) or ``target`` (attainment of a target, capped at 100; without a ``target:`` of its
  own, the indicator's plan target of that year);
* a dimension score is the weighted mean of its indicators' normalised scores; a missing
  indicator is left out and its weight shared among the others (``missing_indicator:
  reweight``), or scores 0 (``zero``);
* I14 is the weighted mean of the four dimension scores; a unit lacking a whole dimension (a
  form not accepted) gets no I14 and no rank; rank 1 is the best, ties share a rank.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from talentstats.analysis.declarations import entry_target
from talentstats.analysis.wording import number_text
from talentstats.profile.targets import Targets, target_value

if TYPE_CHECKING:
    from talentstats.profile.config import Profile

__all__ = ["assess", "dimension_table"]

KEY = ["year", "unit_code"]
_RANK_DECIMALS = 6  # scores equal to 6 decimals share a rank (floating-point noise is not merit)


def _float_or_nan(value: object) -> float:
    return float(value) if value is not None else np.nan


def _label(ent: Mapping[str, Any], targets: Targets) -> str:
    """The entry's label, ``{target}`` replaced by its full mark (3 in 达{target}%满分)."""
    label = str(ent.get("label", ent["id"]))
    target = entry_target(ent, targets) if ent["method"] == "target" else None
    return label.replace("{target}", number_text(target)) if target is not None else label


def dimension_table(profile: Profile) -> pd.DataFrame:
    """The configured dimensions and indicators as a table, for reports and the codebook.

    Returns
    -------
    One row per (dimension, indicator): dimension, dimension_name, dimension_weight, indicator,
    per, scale, weight, method, target, direction, label.
    """
    cfg, targets = profile.assessment, profile.city.targets
    rows = [
        {
            "dimension": d,
            "dimension_name": spec.get("name", d),
            "dimension_weight": float(spec["weight"]),
            "indicator": ent["id"],
            "per": ent.get("per"),
            "scale": float(ent.get("scale", 1)),
            "weight": float(ent["weight"]),
            "method": ent["method"],
            "target": _float_or_nan(entry_target(ent, targets)) if ent["method"] == "target" else np.nan,
            "direction": ent["direction"],
            "label": _label(ent, targets),
        }
        for d, spec in cfg["dimensions"].items()
        for ent in spec["indicators"]
    ]
    return pd.DataFrame(rows).astype(
        {
            c: "string"
            for c in (
                "dimension",
                "dimension_name",
                "indicator",
                "per",
                "method",
                "direction",
                "label",
            )
        }
    )


def assess(indicators: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Score the units: I14, I14.D1..D4 (0-100) and I14.rank, per year.

    Parameters
    ----------
    indicators
        Long frame (year, unit_code, indicator, value), as ``compute_indicators`` returns;
        city rows (the profile's city code) are ignored.
    profile
        Its assessment (``profile.assessment``: dimensions, weights) and plan targets.

    Returns
    -------
    Long frame (year, unit_code, indicator, value). A dimension score is given wherever the unit
    has at least one of its indicators; I14 and I14.rank only where every dimension has one.
    """
    cfg = profile.assessment
    units = indicators[indicators["unit_code"] != profile.city.code]
    wide = units.pivot_table(index=KEY, columns="indicator", values="value", aggfunc="first")
    if wide.empty:
        return _empty()
    wide.columns = wide.columns.astype(str)

    dims: dict[str, pd.Series] = {
        f"I14.{d}": _dimension_score(wide, spec, cfg["missing_indicator"], profile.city.targets)
        for d, spec in cfg["dimensions"].items()
    }
    scores = pd.DataFrame(dims)
    weights = pd.Series({f"I14.{d}": float(s["weight"]) for d, s in cfg["dimensions"].items()})
    complete = scores.notna().all(axis=1)
    total = scores.mul(weights, axis=1).sum(axis=1) / weights.sum()
    scores["I14"] = total.where(complete)
    scores["I14.rank"] = (
        scores["I14"]
        .round(_RANK_DECIMALS)
        .groupby(level="year")
        .rank(ascending=False, method="min")
    )
    out = (
        scores.rename_axis(columns="indicator")
        .stack(future_stack=True)
        .rename("value")
        .reset_index()
        .dropna(subset=["value"])
    )
    return out.astype(
        {"year": "int64", "unit_code": "string", "indicator": "string", "value": "float64"}
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": pd.Series(dtype="int64"),
            "unit_code": pd.Series(dtype="string"),
            "indicator": pd.Series(dtype="string"),
            "value": pd.Series(dtype="float64"),
        }
    )


def _dimension_score(wide: pd.DataFrame, spec: Mapping[str, Any], missing: str,
                     targets: Targets) -> pd.Series:
    """Weighted mean of the dimension's normalised indicators, per (year, unit)."""
    normalised = pd.DataFrame(
        {i: _normalise(_raw_values(wide, ent), ent, targets) for i, ent in enumerate(spec["indicators"])}
    )
    weights = pd.Series({i: float(ent["weight"]) for i, ent in enumerate(spec["indicators"])})
    present = normalised.notna()
    any_present = present.any(axis=1)
    if missing == "zero":
        normalised = normalised.fillna(0.0)
        used = pd.DataFrame(True, index=normalised.index, columns=normalised.columns)
    else:
        used = present
    w = used.mul(weights, axis=1)
    score = normalised.fillna(0.0).mul(w).sum(axis=1) / w.sum(axis=1)
    return score.where(any_present)


def _raw_values(wide: pd.DataFrame, ent: Mapping[str, Any]) -> pd.Series:
    """The indicator's values, or the derived ratio ``id / per × scale``."""
    nan = pd.Series(np.nan, index=wide.index)
    x = wide[ent["id"]] if ent["id"] in wide.columns else nan
    per = ent.get("per")
    if per:
        den = wide[per] if per in wide.columns else nan
        x = (x / den.where(den != 0)) * float(ent.get("scale", 1))
    return x.astype("float64")


def _normalise(x: pd.Series, ent: Mapping[str, Any], targets: Targets) -> pd.Series:
    """Map raw values to 0-100 per year, by the entry's method."""
    if ent["method"] == "target":
        if ent.get("target") is not None:
            target: float | pd.Series = float(ent["target"])
        else:  # the plan target of each row's year (a year without one: no score)
            years = x.index.get_level_values("year")
            target = pd.Series([target_value(targets, ent["id"], int(y)) for y in years],
                               index=x.index, dtype="float64")
        return (x / target).clip(lower=0.0, upper=1.0) * 100.0
    by_year = x.groupby(level="year")
    lo, hi = by_year.transform("min"), by_year.transform("max")
    span = hi - lo
    gap = (hi - x) if ent["direction"] == "lower" else (x - lo)
    scaled = gap / span * 100.0
    # All units equal (or a single unit): nobody lags, everyone scores 100.
    return scaled.where(span > 0, 100.0).where(x.notna())
