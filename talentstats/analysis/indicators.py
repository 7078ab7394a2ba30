"""Indicators I01-I14 from the accepted observations, per unit and for the city.

What each indicator means, and how a plain one (a sum, or a ratio numerator ÷ denominator ×
scale) is computed, is declared once, in ``data/indicators.yaml``, built into
``profile.indicators`` (``talentstats.analysis.declarations``); the indicators that no plain
declaration states (growth, density, the fund line, the mechanisms, the city's investment,
coverage) are the functions of ``_COMPUTED`` below. The numbers that are policy (the fund-ratio
line, the city's yearly and cumulative investment) are the profile's plan targets (city.yaml
``targets:``); the dictionary's texts quote them through placeholders such as ``{line}``.

Rules that hold throughout (the dictionary states them in Chinese, docs/data-contract.md in
full):

* only forms whose submission is ``accepted`` count; a unit without an accepted form has no
  value for the indicators of that form (missing, never 0), and a ratio whose denominator is 0
  is missing;
* city values (unit code: the profile's city) come from summed numerators and denominators over
  the units that have both, never from the mean of the units' ratios; city rows carry
  ``coverage.TR1..TR5``;
* city I02 compares the city total with last year's city total as published; ``I02.matched``
  gives the growth over the units present in both years, for when coverage differs;
* city I07.roster counts distinct persons (a person reported by two units, P05, counts once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from talentstats.analysis.assessment import assess
from talentstats.analysis.declarations import Cell, Indicator
from talentstats.analysis.wording import chinese_numeral, number_text
from talentstats.errors import ConfigError
from talentstats.profile.targets import Step, Targets, target_step, target_value
from talentstats.store.catalog import conform

if TYPE_CHECKING:
    from talentstats.profile.config import Profile

__all__ = [
    "accepted_forms",
    "compute_indicators",
    "general_note",
    "indicator_dictionary",
    "mechanism_minima",
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


def general_note(profile: Profile) -> str:
    """The rules that apply to every indicator, in Chinese, for the bulletin's 附注."""
    return profile.indicators.general_note


# Texts that may quote a target ({line}, {annual}, ...); without it, the entry is left out when
# the first three need it (the indicator is not computed) and the field is left empty otherwise.
_QUOTING = ("name", "definition", "formula", "city_rule", "threshold", "note")
_ESSENTIAL = ("name", "definition", "formula")


def _quoted_values(profile: Profile, year: int | None) -> dict[str, str]:
    """The values the dictionary's placeholders stand for (see indicators.yaml)."""
    targets = profile.city.targets
    categories = profile.forms["TR1"].categories
    out = {"categories": chinese_numeral(len(categories)),
           "category_names": "、".join(item.name for item in categories)}
    line = target_value(targets, "I08", year)
    if line is not None:
        out["line"] = number_text(line)
    for key, ind in (("annual", "I12.amount"), ("cum", "I12.cum_amount")):
        step = target_step(targets, ind, year)
        if step is None:
            continue
        out[key] = number_text(step.value)
        out[f"{key}_yi"] = number_text(step.value / 10_000)
        for end, y in (("from", step.start), ("to", step.end)):
            if y is not None:
                out[f"{key}_{end}"] = str(y)
        if step.start is not None and step.end is not None and 0 < step.end - step.start + 1 < 100:
            out[f"{key}_years"] = chinese_numeral(step.end - step.start + 1)
    note = profile.reference.dictionary_note
    if note:
        out["population_note"] = note
    return out


def _quote(texts: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any] | None:
    """``texts`` with their placeholders filled in; None when an essential text cannot be."""
    out = dict(texts)
    for key in _QUOTING:
        text = texts.get(key)
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


def indicator_dictionary(profile: Profile, year: int | None = None) -> pd.DataFrame:
    """The indicator dictionary (指标解释): one row per indicator id of the ``indicators`` dataset.

    ``I04`` is one row per talent category (``I04.110`` ...), and each configured target
    without a declared entry adds ``<id>.attainment``.

    Parameters
    ----------
    profile
        Its declared indicators, and its targets, which the texts quote.
    year
        The texts quote the targets of this year; their first steps when None.

    Returns
    -------
    DataFrame with columns indicator, parent, name, unit, city_unit, scope (unit | city |
    both), definition, formula, city_rule, sources ('; '-separated), threshold, clause, note;
    all strings, missing where the dictionary gives nothing.
    """
    targets = profile.city.targets
    declared = profile.indicators.entries
    values = _quoted_values(profile, year)
    rows: list[dict[str, Any]] = []
    for ind, entry in declared.items():
        texts = _quote(entry.texts, values)
        if texts is not None:
            rows.append(_entry(ind, texts, entry.parent))
    for ind in targets:
        att = _attainment_id(ind)
        if target_step(targets, ind, None) is None or att in declared:
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


def mechanism_minima(profile: Profile) -> pd.DataFrame:
    """The TR3 minima that I13 counts (eight in Dongguan).

    Returns
    -------
    DataFrame: item (int), name (from forms.yaml), min (float, NaN where the minimum is another
    item), item_min (Int64: the item whose value is the minimum), requirement, clause.
    """
    tr3 = profile.forms["TR3"]
    rows = [
        {
            "item": m.item,
            "name": tr3.item(m.item).name,
            "min": m.min if m.min is not None else np.nan,
            "item_min": m.item_min,
            "requirement": m.requirement,
            "clause": m.clause,
        }
        for m in profile.indicators.minima
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


def _minima_met(cells: _Cells, units: pd.MultiIndex, profile: Profile) -> pd.Series:
    """Number of the TR3 minima each unit with an accepted TR3 meets (blank counts as 0)."""
    met = pd.Series(0.0, index=units)
    for m in profile.indicators.minima:
        value = cells("TR3", m.item).reindex(units).fillna(0.0)
        floor = cells("TR3", m.item_min).reindex(units).fillna(0.0) if m.item_min is not None else m.min
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


def _by_year_target(s: pd.Series, targets: Targets, ind: str) -> pd.Series:
    """The target of each row's year, NaN where there is none."""
    years = s.index.get_level_values("year")
    return pd.Series(
        [target_value(targets, ind, int(y)) for y in years], index=s.index, dtype="float64"
    )


def _cumulative(amount: pd.Series, steps: tuple[Step, ...]) -> pd.Series:
    """Cumulative city investment from each step's first year, within its period.

    A year of the period without an amount breaks the cumulation: that year and every later
    year of the period have no cumulative value.
    """
    if amount.empty:
        return amount
    parts = []
    for step in steps:
        start = step.start if step.start is not None else int(amount.index.min())
        end = step.end if step.end is not None else int(amount.index.max())
        a = amount.reindex(pd.RangeIndex(start, max(end, start) + 1, name="year"))
        complete = a.notna().cumprod().astype(bool)
        parts.append(a.fillna(0.0).cumsum().where(complete).dropna())
    return pd.concat(parts) if len(parts) > 1 else parts[0]


# --------------------------------------------------------------------------------------------
# The indicators: unit values are Series on (year, unit_code), city values on year.

Values = tuple["pd.Series | None", "pd.Series | None"]  # (unit values, city values)


class _Computation:
    """The indicators of one call, each computed once, when first asked for (a declared one
    reads its operands, a computed one the indicators it needs)."""

    def __init__(self, profile: Profile, cells: _Cells, accepted: pd.DataFrame, years: list[int],
                 roster: pd.DataFrame, population: pd.DataFrame):
        self.profile, self.cells, self.accepted, self.years = profile, cells, accepted, years
        self.roster, self.population = roster, population
        self.unit: dict[str, pd.Series] = {}
        self.city: dict[str, pd.Series] = {}
        self._done: set[str] = set()

    def __call__(self, ind: str) -> Values:
        """The unit and city values of ``ind`` (None where it has none)."""
        if ind not in self._done:
            self._done.add(ind)
            entry = self.profile.indicators.entries.get(ind)
            if entry is not None and (entry.value or entry.numerator):
                unit, city = _declared(entry, self)
            elif ind in _COMPUTED or ind.startswith("coverage."):
                unit, city = _COMPUTED.get(ind, _coverage)(self, ind)
            elif ind.startswith("I14") or ind.endswith(".attainment") or ind in _ATTAINMENT_IDS.values():
                return None, None  # scored by the assessment, or an attainment of a target
            else:
                raise ConfigError(f"indicators.yaml 的 indicators.{ind} 既无 value / numerator，也无计算方法 / "
                                  f"indicators.yaml: {ind} has neither value nor numerator, and no computation")
            if unit is not None:
                self.unit[ind] = unit
            if city is not None:
                self.city[ind] = city
        return self.unit.get(ind), self.city.get(ind)

    def cell(self, cell: Cell) -> Values:
        s = self.cells(cell.form, cell.item, cell.column)
        return s, _city_sum(s)


def _summed(cells: list[pd.Series]) -> pd.Series:
    return cells[0] if len(cells) == 1 else pd.concat(cells, axis=1).sum(axis=1, min_count=1)


def _declared(entry: Indicator, c: _Computation) -> Values:
    """A plain indicator: a sum of cells, or numerator ÷ denominator × scale."""
    if entry.value:
        s = _summed([c.cells(v.form, v.item, v.column) for v in entry.value])
        return s, _city_sum(s)
    operands = [*entry.numerator, entry.denominator]
    if all(isinstance(o, Cell) for o in operands):  # the city's: Σ numerator ÷ Σ denominator
        num = _summed([c.cells(o.form, o.item, o.column) for o in entry.numerator])
        den = entry.denominator
        return _ratio(num, c.cells(den.form, den.item, den.column), entry.scale)
    values = [c.cell(o) if isinstance(o, Cell) else c(o) for o in operands]
    out = []
    for level in (0, 1):  # of indicators: the ratio of their unit values, of their city values
        parts = [v[level] for v in values]
        if any(p is None for p in parts):
            out.append(None)
            continue
        num, den = _summed(parts[:-1]), parts[-1]
        out.append((num / den.where(den != 0)) * entry.scale)
    return out[0], out[1]


def _growth(c: _Computation, ind: str) -> Values:
    t100, total = c("I01")
    prev = _previous(total)
    return ((t100 / _previous(t100).where(lambda p: p != 0) - 1.0) * 100.0,
            (total / prev.where(prev != 0) - 1.0) * 100.0)


def _matched_growth(c: _Computation, ind: str) -> Values:
    t100, _ = c("I01")
    _, growth = _ratio(t100, _previous(t100), 100.0)
    return None, growth - 100.0


def _density(c: _Computation, ind: str) -> Values:
    t100, total = c("I01")
    city_unit = c.profile.city.code
    pop = (
        c.population.astype({"year": "int64", "unit_code": "string"})
        .set_index(KEY)["population"]
        .astype("float64")
    )
    city_pop = (
        pop.xs(city_unit, level="unit_code")
        if city_unit in pop.index.get_level_values("unit_code")
        else pd.Series(dtype="float64")
    )
    return (t100 / pop.reindex(t100.index).where(lambda p: p > 0) * 10_000.0,
            total / city_pop.reindex(total.index).where(lambda p: p > 0) * 10_000.0)


def _roster(c: _Computation, ind: str) -> Values:
    return _roster_counts(c.roster, c.accepted)


def _fund_line_met(c: _Computation, ind: str) -> Values:
    ratio, _ = c("I08")
    line = _by_year_target(ratio, c.profile.city.targets, "I08")  # 3 (%), per year
    met = (ratio >= line - _EPS).astype("float64").where(ratio.notna() & line.notna())
    return met, _city_sum(met)


def _fund_gap(c: _Computation, ind: str) -> Values:
    ratio, _ = c("I08")
    r300, r310 = c.cells("TR2", 300), c.cells("TR2", 310)
    line = _by_year_target(ratio, c.profile.city.targets, "I08")
    gap = (line / 100.0 * r300.reindex(line.index) - r310.reindex(line.index)).clip(lower=0.0)
    gap = gap.where(r300.notna() & r310.notna())
    return gap, _city_sum(gap)


def _city_amount(c: _Computation) -> pd.Series:
    amount = c.cells("TR5", 500)
    return amount[amount.index.get_level_values("unit_code") == c.profile.city.code].droplevel("unit_code")


def _investment(c: _Computation, ind: str) -> Values:
    return None, _city_amount(c)


def _cumulative_investment(c: _Computation, ind: str) -> Values:
    steps = c.profile.city.targets.get(_CUMULATIVE, ())
    return None, (_cumulative(_city_amount(c), steps) if steps else None)


def _mechanisms(c: _Computation, ind: str) -> Values:
    tr3 = c.accepted[c.accepted["form"] == "TR3"].set_index(KEY).index
    met = _minima_met(c.cells, tr3, c.profile)
    n_minima = len(c.profile.indicators.minima)
    return met, (met == n_minima).astype("float64").groupby(level="year").sum()


def _coverage(c: _Computation, ind: str) -> Values:
    """coverage.<form>: the units whose form was accepted, per year (city only)."""
    code = ind.removeprefix("coverage.")
    counts = c.accepted.groupby(["year", "form"]).size()
    if code in counts.index.get_level_values("form"):
        return None, counts.xs(code, level="form").reindex(c.years, fill_value=0).astype("float64")
    return None, pd.Series(0.0, index=pd.Index(c.years, name="year"))


# The indicators that no plain declaration states (indicators.yaml says so in its comments).
_COMPUTED: dict[str, Callable[[_Computation, str], Values]] = {
    "I02": _growth,
    "I02.matched": _matched_growth,
    "I03": _density,
    "I07.roster": _roster,
    "I09": _fund_line_met,
    "I10": _fund_gap,
    "I12.amount": _investment,
    "I12.cum_amount": _cumulative_investment,
    "I13": _mechanisms,
}


def compute_indicators(
    observations: pd.DataFrame,
    submissions: pd.DataFrame,
    roster: pd.DataFrame,
    population: pd.DataFrame,
    profile: Profile,
    *,
    assessment: bool = True,
) -> pd.DataFrame:
    """Compute the declared indicators per unit and for the city, for every year present.

    Parameters
    ----------
    observations, submissions, roster
        The processed datasets (docs/data-contract.md), all years; only accepted forms count.
    population
        Resident population: year, unit_code, population (``reference.resident_population``).
    profile
        The declared indicators, the plan targets, the forms, the city's code and the
        assessment's weights.
    assessment
        False: leave the assessment's scores (I14) out.

    Returns
    -------
    The ``indicators`` dataset: year, unit_code, indicator, value, sorted; no rows for missing
    values.
    """
    accepted = accepted_forms(submissions)
    years = sorted(
        {int(y) for y in submissions["year"].unique()}
        | {int(y) for y in observations["year"].unique()}
        | {int(y) for y in accepted["year"].unique()}
    )
    c = _Computation(profile, _Cells(_accepted_cells(observations, accepted)), accepted, years,
                     roster, population)
    for ind in [*profile.indicators.entries, *(f"coverage.{code}" for code in profile.forms)]:
        c(ind)
    out = pd.concat([_long_units(c.unit), _long_city(c.city, profile.city.code)], ignore_index=True)
    out = pd.concat([out, _attainments(out, profile.city.targets)], ignore_index=True)
    if assessment:
        out = pd.concat([out, assess(out, profile)], ignore_index=True)
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


def _attainments(values: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """``<id>.attainment`` (or I12 / I12.cum) = value ÷ target × 100 for every set target."""
    frames = []
    for ind in targets:
        if target_step(targets, ind, None) is None:
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
