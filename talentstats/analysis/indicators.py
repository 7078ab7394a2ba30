"""Indicators I01-I14 (indicators.yaml) from the accepted observations, per unit and for the city.

The meaning of every indicator is declared once, in ``data/indicators.yaml``, and read through
``indicator_dictionary()``; the bulletin's 附注 and the codebook print that table. The numbers
that are policy (the 3% line, the city's yearly and five-year investment) are the plan targets
of the deployment profile (``city.yaml`` ``targets:``, read through ``talentstats.profile.config``) and
arrive here as ``targets``; the dictionary's texts quote them through placeholders such as
``{line}``.

Rules that hold throughout (the dictionary states them in Chinese):

* only forms whose submission is ``accepted`` count; a unit without an accepted form has no
  value for the indicators of that form (missing, never 0), and a ratio whose denominator is 0
  is missing;
* city values (unit code: the profile's city, 441900 for Dongguan) come from summed numerators and denominators over the units that have
  both, never from the mean of the units' ratios; city rows carry ``coverage.TR1..TR5``;
* city I02 compares the city total with last year's city total as published; ``I02.matched``
  gives the growth over the units present in both years, for when coverage differs;
* city I07.roster counts distinct persons (a person reported by two units, P05, counts once).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from talentstats.analysis.assessment import assess, check_config, load_assessment_config
from talentstats.profile.config import city_code, load_yaml, number_text, target_value
from talentstats.profile.config import target_spec as _target_spec
from talentstats.profile.forms import form, forms
from talentstats.store.catalog import conform

__all__ = [
    "accepted_forms",
    "compute_indicators",
    "general_note",
    "indicator_dictionary",
    "mechanism_minima",
    "target_value",
]

KEY = ["year", "unit_code"]
_EPS = 1e-9  # a ratio computed as 2.9999999999 from exact inputs still meets a 3% line

# Attainment of these targets is published under the shared ids, not as `<id>.attainment`.
_ATTAINMENT_IDS = {"I12.amount": "I12", "I12.cum_amount": "I12.cum"}
_CUMULATIVE = "I12.cum_amount"

DICTIONARY_COLUMNS = [
    "indicator",
    "parent",
    "name",
    "unit",
    "city_unit",
    "scope",
    "definition",
    "formula",
    "city_rule",
    "sources",
    "threshold",
    "clause",
    "note",
]


# --------------------------------------------------------------------------------------------
# The dictionary


@cache
def _declaration() -> dict:
    text = resources.files("talentstats").joinpath("data/indicators.yaml").read_text("utf-8")
    return load_yaml(text)


def general_note() -> str:
    """The rules that apply to every indicator, in Chinese, for the bulletin's 附注."""
    return " ".join(_declaration()["general_note"].split())


# Texts that may quote a target ({line}, {annual}, ...); without it, the entry is left out when
# the first three need it (the indicator is not computed) and the field is left empty otherwise.
_QUOTING = ("name", "definition", "formula", "city_rule", "threshold", "note")
_ESSENTIAL = ("name", "definition", "formula")


def _quoted_values(targets: Mapping[str, Any]) -> dict[str, str]:
    """The values the dictionary's placeholders stand for (see indicators.yaml)."""
    from talentstats.profile.reference import population_notes
    from talentstats.publication.numbers import chinese_numeral  # at call time: no import cycle

    out: dict[str, str] = {}
    line = target_value(targets, "I08", None)
    if line is not None:
        out["line"] = number_text(line)
    for key, ind in (("annual", "I12.amount"), ("cum", "I12.cum_amount")):
        spec = _target_spec(targets, ind)
        if spec is None:
            continue
        value = target_value(targets, ind, None)
        out[key] = number_text(value)
        out[f"{key}_yi"] = number_text(value / 10_000)
        for end in ("from", "to"):
            if end in spec:
                out[f"{key}_{end}"] = str(int(spec[end]))
        if "from" in spec and "to" in spec and 0 < int(spec["to"]) - int(spec["from"]) + 1 < 100:
            out[f"{key}_years"] = chinese_numeral(int(spec["to"]) - int(spec["from"]) + 1)
    note = population_notes()[0]
    if note:
        out["population_note"] = note
    return out


def _quote(spec: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any] | None:
    """``spec`` with its placeholders filled in; None when an essential text cannot be."""
    out = dict(spec)
    for key in _QUOTING:
        text = spec.get(key)
        if not isinstance(text, str) or "{" not in text:
            continue
        try:
            out[key] = text.format_map(values)
        except KeyError:
            if key in _ESSENTIAL:
                return None
            out[key] = None
    return out


def _entry(ind: str, spec: Mapping[str, Any], parent: str | None = None) -> dict[str, Any]:
    return {
        "indicator": ind,
        "parent": parent,
        "name": spec["name"],
        "unit": spec["unit"],
        "city_unit": spec.get("city_unit", spec["unit"]),
        "scope": spec["scope"],
        "definition": spec["definition"],
        "formula": spec["formula"],
        "city_rule": spec.get("city_rule"),
        "sources": "; ".join(spec.get("sources", ())),
        "threshold": spec.get("threshold"),
        "clause": spec.get("clause"),
        "note": " ".join(spec["note"].split()) if spec.get("note") else None,
    }


def indicator_dictionary(targets: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The indicator dictionary (指标解释): one row per indicator id of the ``indicators`` dataset.

    ``I04`` is expanded into ``I04.110`` ... ``I04.160`` with the item names of forms.yaml, and
    each configured target without a declared entry adds ``<id>.attainment``.

    Parameters
    ----------
    targets
        Plan targets (city.yaml ``targets:``), quoted by the texts; the profile's when None.

    Returns
    -------
    DataFrame with columns indicator, parent, name, unit, city_unit, scope (unit | city |
    both), definition, formula, city_rule, sources ('; '-separated), threshold, clause, note;
    all strings, missing where the dictionary gives nothing.
    """
    if targets is None:
        targets = load_assessment_config()["targets"]
    tr1 = form("TR1")
    rows: list[dict[str, Any]] = []
    declared = _declaration()["indicators"]
    values = _quoted_values(targets)
    for ind, raw in declared.items():
        spec = _quote(raw, values)
        if spec is None:
            continue
        if "per_item" not in spec:
            rows.append(_entry(ind, spec))
            continue
        for code in spec["per_item"]:
            item = tr1.item(code)
            rows.append(
                _entry(
                    f"{ind}.{code}",
                    {
                        **spec,
                        "name": f"{item.name}占比",
                        "definition": f"{item.name}人数占人才资源总量的比重。",
                        "formula": spec["formula"].replace("<item>", str(code)),
                        "sources": [f"TR1 {code}/1", *spec.get("sources", ())],
                    },
                    parent=ind,
                )
            )
    for ind in targets:
        att = _attainment_id(ind)
        if target_value(targets, ind, None) is None or att in declared:
            continue
        base = next((r for r in rows if r["indicator"] == ind), None)
        if base is None:
            continue
        rows.append(
            {
                **base,
                "indicator": att,
                "parent": ind,
                "name": f"{base['name']}完成率",
                "unit": "%",
                "city_unit": "%",
                "definition": f"{base['name']}达到规划目标的程度。",
                "formula": f"{ind} ÷ 目标值 × 100",
                "city_rule": f"全市 {ind} ÷ 目标值 × 100",
                "threshold": "目标值见考核配置 targets",
            }
        )
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS).astype("string")


def mechanism_minima() -> pd.DataFrame:
    """The eight TR3 minima that I13 counts.

    Returns
    -------
    DataFrame: item (int), name (from forms.yaml), min (float, NaN where the minimum is another
    item), item_min (Int64: the item whose value is the minimum), requirement, clause.
    """
    tr3 = form("TR3")
    rows = [
        {
            "item": m["item"],
            "name": tr3.item(m["item"]).name,
            "min": float(m["min"]) if "min" in m else np.nan,
            "item_min": m.get("item_min"),
            "requirement": m["requirement"],
            "clause": m["clause"],
        }
        for m in _declaration()["mechanism_minima"]
    ]
    return pd.DataFrame(rows).astype(
        {
            "item": "int64",
            "name": "string",
            "min": "float64",
            "item_min": "Int64",
            "requirement": "string",
            "clause": "string",
        }
    )


# --------------------------------------------------------------------------------------------
# Targets


def _attainment_id(ind: str) -> str:
    return _ATTAINMENT_IDS.get(ind, f"{ind}.attainment")


# --------------------------------------------------------------------------------------------
# Inputs


def accepted_forms(submissions: pd.DataFrame) -> pd.DataFrame:
    """(year, unit_code, form) of every accepted submission, once each."""
    acc = submissions.loc[submissions["status"] == "accepted", ["year", "unit_code", "form"]]
    acc = acc[acc["unit_code"].notna() & (acc["unit_code"] != "")]
    return (
        acc.drop_duplicates()
        .astype({"year": "int64", "unit_code": "string", "form": "string"})
        .reset_index(drop=True)
    )


def _accepted_cells(observations: pd.DataFrame, accepted: pd.DataFrame) -> pd.DataFrame:
    """Wide frame indexed by (year, unit_code), one column ``FORM:item:column`` per number;
    both sorted, as ``DataFrame.pivot`` sorts them.

    Observations of a form that is not accepted in ``submissions`` are ignored (the ingest
    never writes them; this guards a hand-edited or stale processed folder).

    Built with numpy from the codes of the row and column labels: a pivot through string keys
    took most of the indicators' time on a national batch.
    """
    obs = observations.astype({"year": "int64", "unit_code": "string", "form": "string"})
    # a number without its unit, form, item or column has no place in the table
    obs = obs.dropna(subset=["unit_code", "form", "item", "column"])
    forms = ["year", "unit_code", "form"]
    keep = pd.MultiIndex.from_frame(obs[forms]).isin(pd.MultiIndex.from_frame(accepted[forms]))
    if not keep.all():
        obs = obs.loc[keep]
    if obs.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=KEY))
    row_codes, (years, units) = _group_codes(obs["year"], obs["unit_code"])
    cell_codes, (forms_, items, columns) = _group_codes(
        obs["form"], obs["item"].astype("int64"), obs["column"].astype("int64"))
    names = np.array([f"{f}:{i}:{c}" for f, i, c in zip(forms_, items, columns, strict=True)],
                     dtype=object)
    order = np.argsort(names, kind="stable")  # the columns in the order of their names
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    col_codes = rank[cell_codes]
    flat = row_codes.astype(np.int64) * len(names) + col_codes
    counts = np.bincount(flat, minlength=len(years) * len(names))
    if (counts > 1).any():
        dup = counts[flat] > 1
        first = obs.loc[dup].iloc[0]
        raise ValueError(
            f"observations hold {int(dup.sum())} duplicate numbers, e.g. {first['year']} "
            f"{first['unit_code']} {first['form']}:{first['item']}:{first['column']}: one "
            "value per year, unit, form, item and column"
        )
    wide = np.full(len(years) * len(names), np.nan)
    wide[flat] = obs["value"].to_numpy(dtype="float64")
    index = pd.MultiIndex.from_arrays([pd.Index(years, dtype="int64"),
                                       pd.Index(units, dtype="string")], names=KEY)
    return pd.DataFrame(wide.reshape(len(years), len(names)), index=index,
                        columns=pd.Index(names[order], name="cell", dtype="string"))


def _group_codes(*columns: pd.Series) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per row, the position of its combination of ``columns`` among the distinct ones sorted
    (as a pivot sorts its labels); and those combinations, one array per column."""
    index = pd.MultiIndex.from_arrays(list(columns))  # each level factorised, sorted
    sizes = [len(level) for level in index.levels]
    combined = np.zeros(len(index), dtype=np.int64)
    for codes, size in zip(index.codes, sizes, strict=True):
        combined = combined * size + codes
    distinct, inverse = np.unique(combined, return_inverse=True)
    labels = []
    for level, size in reversed(list(zip(index.levels, sizes, strict=True))):
        distinct, code = np.divmod(distinct, size)
        labels.append(level.to_numpy()[code])
    return inverse, labels[::-1]


class _Cells:
    """Access to the wide numbers by form, item and column (NaN where absent)."""

    def __init__(self, wide: pd.DataFrame):
        self.wide = wide

    def __call__(self, form_code: str, item: int, column: int = 1) -> pd.Series:
        key = f"{form_code}:{item}:{column}"
        if key in self.wide.columns:
            return self.wide[key]
        return pd.Series(np.nan, index=self.wide.index, dtype="float64")


# --------------------------------------------------------------------------------------------
# Computation helpers: unit values are Series on (year, unit_code), city values on year.


def _ratio(num: pd.Series, den: pd.Series, scale: float) -> tuple[pd.Series, pd.Series]:
    """Unit ratio num/den×scale and the city ratio Σnum/Σden×scale over units that have both."""
    both = num.notna() & den.notna()
    unit = (num / den.where(den != 0)) * scale
    n = num.where(both).groupby(level="year").sum(min_count=1)
    d = den.where(both).groupby(level="year").sum(min_count=1)
    return unit, (n / d.where(d != 0)) * scale


def _city_sum(s: pd.Series) -> pd.Series:
    return s.groupby(level="year").sum(min_count=1)


def _previous(s: pd.Series) -> pd.Series:
    """The value of the year before (same unit, or the city), aligned on this year; NaN if absent."""
    prev = (
        s.rename(lambda y: y + 1, level="year")
        if isinstance(s.index, pd.MultiIndex)
        else s.rename(lambda y: y + 1)
    )
    return prev.reindex(s.index)


def _minima_met(cells: _Cells, units: pd.MultiIndex) -> pd.Series:
    """Number of the TR3 minima each unit with an accepted TR3 meets (blank counts as 0)."""
    met = pd.Series(0.0, index=units)
    for m in mechanism_minima().itertuples():
        value = cells("TR3", m.item).reindex(units).fillna(0.0)
        floor = (
            cells("TR3", int(m.item_min)).reindex(units).fillna(0.0)
            if pd.notna(m.item_min)
            else m.min
        )
        met = met + (value >= floor - _EPS).astype("float64")
    return met


def _roster_counts(roster: pd.DataFrame, accepted: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Persons per unit with an accepted TR4 (0 for an empty accepted roster); city: distinct."""
    tr4 = accepted[accepted["form"] == "TR4"].set_index(KEY).index
    rows = roster.astype({"year": "int64", "unit_code": "string"})
    rows = rows.set_index(KEY).loc[lambda f: f.index.isin(tr4)].reset_index()
    unit = rows.groupby(KEY).size().astype("float64").reindex(tr4, fill_value=0.0)
    named = rows[rows["person"].notna()].drop_duplicates(["year", "person"])
    unnamed = rows[rows["person"].isna()]
    years = sorted(set(tr4.get_level_values("year")))
    city = (
        named.groupby("year").size().reindex(years, fill_value=0)
        + unnamed.groupby("year").size().reindex(years, fill_value=0)
    ).astype("float64")
    return unit, city


def _coverage(accepted: pd.DataFrame, years: list[int]) -> dict[str, pd.Series]:
    counts = accepted.groupby(["year", "form"]).size()
    return {
        f"coverage.{code}": counts.xs(code, level="form")
        .reindex(years, fill_value=0)
        .astype("float64")
        if code in counts.index.get_level_values("form")
        else pd.Series(0.0, index=pd.Index(years, name="year"))
        for code in forms()
    }


def _by_year_target(s: pd.Series, targets: Mapping[str, Any], ind: str) -> pd.Series:
    """The target of each row's year, NaN where there is none."""
    years = s.index.get_level_values("year")
    return pd.Series(
        [target_value(targets, ind, int(y)) for y in years], index=s.index, dtype="float64"
    )


def _cumulative(amount: pd.Series, targets: Mapping[str, Any]) -> pd.Series:
    """Cumulative city investment from the target's first year, within its period.

    A year of the period without an amount breaks the cumulation: that year and every later
    year have no cumulative value.
    """
    spec = _target_spec(targets, _CUMULATIVE) or {}
    if amount.empty:
        return amount
    start = int(spec.get("from", amount.index.min()))
    end = int(spec.get("to", amount.index.max()))
    span = pd.RangeIndex(start, max(end, start) + 1, name="year")
    a = amount.reindex(span)
    complete = a.notna().cumprod().astype(bool)
    cum = a.fillna(0.0).cumsum().where(complete)
    return cum.dropna()


# --------------------------------------------------------------------------------------------
# The indicators


def compute_indicators(
    observations: pd.DataFrame,
    submissions: pd.DataFrame,
    roster: pd.DataFrame,
    population: pd.DataFrame,
    *,
    targets: Mapping[str, Any] | None = None,
    assessment: Mapping[str, Any] | bool | None = None,
) -> pd.DataFrame:
    """Compute I01-I14 per unit and for the city (its profile's code), for every year present.

    Parameters
    ----------
    observations, submissions, roster
        The processed datasets, all years; only accepted forms count.
    population
        Resident population: year, unit_code, population (``reference.resident_population()``).
    targets
        The plan targets (city.yaml ``targets:``); the deployment profile's when None.
    assessment
        Assessment config for I14 (``assessment.load_assessment_config``); None = the packaged
        default, False = leave I14 out.

    Returns
    -------
    The ``indicators`` dataset: year, unit_code, indicator, value, sorted; no rows for missing
    values.
    """
    if assessment is None or assessment is True:
        assessment = load_assessment_config()
    elif assessment is not False:
        assessment = check_config(assessment)
    if targets is None:
        targets = (assessment or load_assessment_config())["targets"]

    accepted = accepted_forms(submissions)
    years = sorted(
        {int(y) for y in submissions["year"].unique()}
        | {int(y) for y in observations["year"].unique()}
        | {int(y) for y in accepted["year"].unique()}
    )
    cells = _Cells(_accepted_cells(observations, accepted))
    unit: dict[str, pd.Series] = {}
    city: dict[str, pd.Series] = {}

    # TR1: totals, growth, density, structure, education, titles, high-level talents.
    t100 = cells("TR1", 100)
    unit["I01"], city["I01"] = t100, _city_sum(t100)
    unit["I02"] = (t100 / _previous(t100).where(lambda p: p != 0) - 1.0) * 100.0
    city_prev = _previous(city["I01"])
    city["I02"] = (city["I01"] / city_prev.where(city_prev != 0) - 1.0) * 100.0
    _, growth = _ratio(t100, _previous(t100), 100.0)
    city["I02.matched"] = growth - 100.0

    city_unit = city_code()
    pop = (
        population.astype({"year": "int64", "unit_code": "string"})
        .set_index(KEY)["population"]
        .astype("float64")
    )
    unit["I03"] = t100 / pop.reindex(t100.index).where(lambda p: p > 0) * 10_000.0
    city_pop = (
        pop.xs(city_unit, level="unit_code")
        if city_unit in pop.index.get_level_values("unit_code")
        else pd.Series(dtype="float64")
    )
    city["I03"] = (
        city["I01"] / city_pop.reindex(city["I01"].index).where(lambda p: p > 0) * 10_000.0
    )

    for code in _declaration()["indicators"]["I04"]["per_item"]:
        unit[f"I04.{code}"], city[f"I04.{code}"] = _ratio(cells("TR1", code), t100, 100.0)
    educated = pd.concat([cells("TR1", 100, c) for c in (3, 4, 5)], axis=1).sum(axis=1, min_count=1)
    unit["I05"], city["I05"] = _ratio(educated, t100, 100.0)
    unit["I06"], city["I06"] = _ratio(cells("TR1", 131), cells("TR1", 130), 100.0)
    unit["I07"], city["I07"] = cells("TR1", 240), _city_sum(cells("TR1", 240))
    unit["I07.roster"], city["I07.roster"] = _roster_counts(roster, accepted)

    # TR2: the fund against the 3% line, execution, services.
    r300, r310 = cells("TR2", 300), cells("TR2", 310)
    unit["I08"], city["I08"] = _ratio(r310, r300, 100.0)
    line = _by_year_target(unit["I08"], targets, "I08")  # 3 (%), per year
    unit["I09"] = (
        (unit["I08"] >= line - _EPS).astype("float64").where(unit["I08"].notna() & line.notna())
    )
    city["I09"] = _city_sum(unit["I09"])
    coverage = _coverage(accepted, years)
    city["I09.share"] = city["I09"] / coverage["coverage.TR2"].where(lambda c: c > 0) * 100.0
    gap = (line / 100.0 * r300.reindex(line.index) - r310.reindex(line.index)).clip(lower=0.0)
    unit["I10"] = gap.where(r300.notna() & r310.notna())
    city["I10"] = _city_sum(unit["I10"])
    unit["I11"], city["I11"] = _ratio(cells("TR2", 320), r310, 100.0)
    unit["I11.services"], city["I11.services"] = _ratio(cells("TR2", 325), cells("TR2", 320), 100.0)

    # TR5: the city's own investment.
    amount = cells("TR5", 500)
    amount = amount[amount.index.get_level_values("unit_code") == city_unit].droplevel("unit_code")
    city["I12.amount"] = amount
    if _target_spec(targets, _CUMULATIVE) is not None:
        city["I12.cum_amount"] = _cumulative(amount, targets)

    # TR3: working mechanisms.
    tr3 = accepted[accepted["form"] == "TR3"].set_index(KEY).index
    unit["I13"] = _minima_met(cells, tr3)
    n_minima = len(mechanism_minima())
    city["I13"] = (unit["I13"] == n_minima).astype("float64").groupby(level="year").sum()
    city["I13.share"] = city["I13"] / coverage["coverage.TR3"].where(lambda c: c > 0) * 100.0
    city.update(coverage)

    out = pd.concat([_long_units(unit), _long_city(city, city_unit)], ignore_index=True)
    out = pd.concat([out, _attainments(out, targets)], ignore_index=True)
    if assessment:
        out = pd.concat([out, assess(out, assessment)], ignore_index=True)
    return conform("indicators", out)


def _long_units(values: Mapping[str, pd.Series]) -> pd.DataFrame:
    # one frame from flat arrays: the same rows, in the same order, as concatenating a
    # reset_index() per indicator, without the per-series pandas overhead
    kept = [(ind, s) for ind, s in values.items() if len(s)]
    if not kept:
        return _clean(None)
    return _clean(
        pd.DataFrame(
            {
                "year": np.concatenate([s.index.get_level_values(0).to_numpy() for _, s in kept]),
                "unit_code": np.concatenate(
                    [s.index.get_level_values(1).to_numpy(dtype=object) for _, s in kept]
                ),
                "indicator": np.repeat([ind for ind, _ in kept], [len(s) for _, s in kept]).astype(object),
                "value": np.concatenate([s.to_numpy(dtype="float64") for _, s in kept]),
            }
        )
    )


def _long_city(values: Mapping[str, pd.Series], city_unit: str) -> pd.DataFrame:
    kept = [(ind, s) for ind, s in values.items() if len(s)]
    if not kept:
        return _clean(None)
    n = sum(len(s) for _, s in kept)
    return _clean(
        pd.DataFrame(
            {
                "year": np.concatenate([s.index.to_numpy() for _, s in kept]),
                "unit_code": np.full(n, city_unit, dtype=object),
                "indicator": np.repeat([ind for ind, _ in kept], [len(s) for _, s in kept]).astype(object),
                "value": np.concatenate([s.to_numpy(dtype="float64") for _, s in kept]),
            }
        )
    )


def _clean(frame: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["year", "unit_code", "indicator", "value"]
    if frame is None:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in zip(cols, ["int64", "string", "string", "float64"], strict=True)
            }
        )
    frame = frame.loc[:, cols].astype(
        {"year": "int64", "unit_code": "string", "indicator": "string", "value": "float64"}
    )
    return frame[np.isfinite(frame["value"])].reset_index(drop=True)


def _attainments(values: pd.DataFrame, targets: Mapping[str, Any]) -> pd.DataFrame:
    """``<id>.attainment`` (or I12 / I12.cum) = value ÷ target × 100 for every set target."""
    frames = []
    for ind in targets:
        if _target_spec(targets, ind) is None:
            continue
        rows = values[values["indicator"] == ind]
        target = pd.Series(
            [target_value(targets, ind, int(y)) for y in rows["year"]],
            index=rows.index,
            dtype="float64",
        )
        frames.append(
            rows.assign(
                indicator=_attainment_id(ind),
                value=rows["value"] / target.where(target > 0) * 100.0,
            )
        )
    return _clean(pd.concat(frames, ignore_index=True) if frames else None)
