"""The bulletin's figures and tables, as pure functions over the processed datasets.

Inputs are the datasets (``observations``, ``submissions``, ``roster``, ``indicators``; see
docs/data-contract.md) and the profile, gathered in a :class:`BulletinData`. Every indicator is
read from the ``indicators`` dataset, never computed a second time: a quoted city value that is
missing there stops the bulletin (:func:`quoted`). The breakdowns that no indicator holds (age,
sex, titles, skills, fund totals) are sums of the accepted forms in ``observations``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from talentstats.analysis.indicators import mechanism_minima
from talentstats.analysis.wording import number_text
from talentstats.errors import DataNotFound
from talentstats.profile.targets import fund_ratio_line, target_step
from talentstats.profile.text import normalize_label
from talentstats.publication.numbers import MISSING, bulletin_number, is_missing
from talentstats.publication.suppress import SUPPRESSED, format_suppressed

if TYPE_CHECKING:
    from talentstats.profile.config import Profile

__all__ = [
    "SUPPRESSED",
    "FUND_RATIO_DECIMALS",
    "BulletinData",
    "Coverage",
    "PolicyTargets",
    "annex_fund",
    "annex_indicators",
    "annex_mechanisms",
    "annex_tr1",
    "category_items",
    "cell",
    "cell_text",
    "city_investment",
    "city_tr1",
    "coverage",
    "dictionary_ids",
    "fund_by_unit",
    "fund_line_label",
    "fund_table",
    "indicator",
    "indicator_by_unit",
    "mechanism_minima_met",
    "mechanism_shortfalls",
    "mechanisms_by_unit",
    "numeric_columns",
    "policy_targets",
    "quality_table",
    "quoted",
    "reporting_unit_codes",
    "roster_table",
    "structure_table",
    "to_html",
    "top_units",
    "top_units_table",
    "unit_name",
]


@dataclass(frozen=True)
class PolicyTargets:
    """The city's investment targets of a year (Dongguan: 2013 plan §22), from the profile's
    city.yaml ``targets:``."""

    annual: float | None  # 万元 a year (I12.amount), None: no investment target
    cumulative: float | None  # 万元 over start..end (I12.cum_amount)
    start: int | None  # first year of the investment targets
    end: int | None  # last year of the cumulative target

    @property
    def cumulative_years(self) -> int | None:
        """Length of the cumulative target's period (5 for 2012-2016), None when open."""
        return self.end - self.start + 1 if self.start is not None and self.end is not None else None


def policy_targets(profile: Profile, year: int) -> PolicyTargets:
    """The plan's investment targets that apply in ``year`` (see :class:`PolicyTargets`)."""
    targets = profile.city.targets
    annual, cum = target_step(targets, "I12.amount", year), target_step(targets, "I12.cum_amount", year)
    start = annual.start if annual is not None and annual.start is not None else cum.start if cum else None
    return PolicyTargets(
        annual=annual.value if annual else None,
        cumulative=cum.value if cum else None,
        start=start,
        end=cum.end if cum else None,
    )


def fund_line_label(profile: Profile, year: int) -> str:
    """The fund-ratio line of ``year`` as printed in headings and columns: '3%'."""
    return f"{number_text(fund_ratio_line(profile.city.targets, year))}%"


# Fund ratios are printed with 2 decimals: a town at 2.96% must not read as 3.0% and 否.
FUND_RATIO_DECIMALS = 2


@dataclass(frozen=True)
class BulletinData:
    """Everything the bulletin reads, for one year (frames hold all years), and the profile."""

    year: int
    indicators: pd.DataFrame
    observations: pd.DataFrame
    submissions: pd.DataFrame
    roster: pd.DataFrame
    profile: Profile
    dictionary: pd.DataFrame = field(default_factory=pd.DataFrame)
    population_basis: str = ""


@dataclass(frozen=True)
class Coverage:
    """Units of one form and year: accepted, rejected (no accepted form), missing."""

    accepted: tuple[str, ...]
    rejected: tuple[str, ...]
    missing: tuple[str, ...]


def dictionary_ids(dictionary: pd.DataFrame) -> list[str]:
    """The indicator ids of a dictionary frame (column ``indicator``, or ``id``)."""
    col = "indicator" if "indicator" in dictionary.columns else "id"
    return [str(i) for i in dictionary[col]]


def reporting_unit_codes(profile: Profile) -> list[str]:
    """The reporting units' codes (Dongguan's 35), in the order of units.csv."""
    return [u.code for u in profile.units if u.code != profile.city.code]


def unit_name(profile: Profile, code: str) -> str:
    """A unit's name (units.csv)."""
    return next(u.name for u in profile.units if u.code == code)


def category_items(profile: Profile) -> tuple[int, ...]:
    """The talent categories' items of TR1 (forms.yaml ``category: true``): 110 ... 160."""
    return tuple(item.code for item in profile.forms["TR1"].categories)


# --------------------------------------------------------------------------- lookups


def indicator(ind: pd.DataFrame, year: int, unit_code: str, name: str) -> float | None:
    """One indicator value, or None when absent or missing."""
    hit = ind.loc[
        (ind["year"] == year) & (ind["unit_code"] == unit_code) & (ind["indicator"] == name),
        "value",
    ]
    if hit.empty or is_missing(hit.iloc[0]):
        return None
    return float(hit.iloc[0])


def quoted(data: BulletinData, name: str, year: int | None = None) -> float:
    """A city value the bulletin quotes, from the indicators dataset.

    Raises
    ------
    DataNotFound
        Naming the indicator and the year when the dataset lacks it: the bulletin does not
        compute an indicator a second time.
    """
    year = data.year if year is None else year
    value = indicator(data.indicators, year, data.profile.city.code, name)
    if value is None:
        raise DataNotFound(
            f"公报引用的指标 {name}（{year}年，全市）在指标数据集中缺失，请先运行 talentstats indicators / "
            f"the bulletin quotes indicator {name} for {year} (city), which the indicators dataset "
            "lacks: run `talentstats indicators`"
        )
    return value


def indicator_by_unit(profile: Profile, ind: pd.DataFrame, year: int, name: str) -> pd.Series:
    """An indicator for every reporting unit that has it (index unit_code, city excluded)."""
    sel = ind[(ind["year"] == year) & (ind["indicator"] == name) & (ind["unit_code"] != profile.city.code)]
    return sel.set_index("unit_code")["value"].astype("float64").dropna()


def _form_values(obs: pd.DataFrame, year: int, form_code: str, column: int | None = None) -> pd.DataFrame:
    sel = obs[(obs["year"] == year) & (obs["form"] == form_code)]
    if column is not None:
        sel = sel[sel["column"] == column]
    return sel


def city_tr1(profile: Profile, obs: pd.DataFrame, year: int) -> pd.DataFrame:
    """TR1 summed over the accepted units: items x columns (empty frame when none)."""
    sel = _form_values(obs, year, "TR1")
    sel = sel[sel["unit_code"] != profile.city.code]
    if sel.empty:
        return pd.DataFrame()
    return sel.pivot_table(index="item", columns="column", values="value", aggfunc="sum")


def cell(table: pd.DataFrame, item: int, column: int) -> float | None:
    """A value of an items x columns frame, or None."""
    try:
        v = table.loc[item, column]
    except KeyError:
        return None
    return None if is_missing(v) else float(v)


def _by_unit(profile: Profile, obs: pd.DataFrame, year: int, form_code: str, column: int = 1) -> pd.DataFrame:
    sel = _form_values(obs, year, form_code, column)
    sel = sel[sel["unit_code"] != profile.city.code]
    if sel.empty:
        return pd.DataFrame()
    return sel.pivot_table(index="unit_code", columns="item", values="value", aggfunc="sum")


def top_units(profile: Profile, ind: pd.DataFrame, year: int, n: int = 10) -> pd.DataFrame:
    """The n units with the largest I01: columns unit_code, name, value (ties by code)."""
    s = indicator_by_unit(profile, ind, year, "I01")
    frame = pd.DataFrame({"unit_code": s.index.astype("string"), "value": s.to_numpy()})
    frame = frame.sort_values(["value", "unit_code"], ascending=[False, True], kind="stable")
    frame = frame.head(n).reset_index(drop=True)
    return frame.assign(name=[unit_name(profile, c) for c in frame["unit_code"]])[["unit_code", "name", "value"]]


def city_investment(data: BulletinData) -> dict | None:
    """The city's investment in ``data.year`` from the indicators, or None without I12.amount.

    Keys: amount, previous (万元, I12.amount), special (万元, TR5 item 510), rate (I12, %),
    cumulative (I12.cum_amount, 万元), cumulative_rate (I12.cum, %). A rate is quoted where
    the year has a target, and then must be in the dataset.
    """
    profile, year, ind = data.profile, data.year, data.indicators
    city_unit, policy = profile.city.code, policy_targets(profile, year)
    amount = indicator(ind, year, city_unit, "I12.amount")
    if amount is None:
        return None
    obs = data.observations
    special = obs.loc[(obs["form"] == "TR5") & (obs["unit_code"] == city_unit) & (obs["column"] == 1)
                      & (obs["item"] == 510) & (obs["year"] == year), "value"]
    cumulative = indicator(ind, year, city_unit, "I12.cum_amount")
    return {
        "amount": amount,
        "previous": indicator(ind, year - 1, city_unit, "I12.amount"),
        "special": float(special.sum()) if not special.empty else None,
        "rate": quoted(data, "I12") if policy.annual else None,
        "cumulative": cumulative,
        "cumulative_rate": quoted(data, "I12.cum") if cumulative is not None else None,
    }


def fund_by_unit(data: BulletinData) -> pd.DataFrame:
    """TR2 by unit with the fund indicators.

    Columns: unit_code, name, revenue, budget, spent (万元), ratio (I08, %), compliant (I09,
    1/0), gap (I10, 万元), execution (I11, %); the indicators from the dataset (missing where
    it has none).
    """
    profile = data.profile
    wide = _by_unit(profile, data.observations, data.year, "TR2")
    if wide.empty:
        return pd.DataFrame(
            columns=["unit_code", "name", "revenue", "budget", "spent", "ratio", "compliant", "gap", "execution"]
        )
    wide = wide.reindex(columns=[300, 310, 320])
    out = pd.DataFrame(
        {
            "unit_code": wide.index.astype("string"),
            "revenue": wide[300].to_numpy(),
            "budget": wide[310].to_numpy(),
            "spent": wide[320].to_numpy(),
        }
    )
    for col, ind_id in (("ratio", "I08"), ("compliant", "I09"), ("gap", "I10"), ("execution", "I11")):
        given = indicator_by_unit(profile, data.indicators, data.year, ind_id)
        out[col] = out["unit_code"].map(given).astype("float64")
    return out.assign(name=[unit_name(profile, c) for c in out["unit_code"]])[
        ["unit_code", "name", "revenue", "budget", "spent", "ratio", "compliant", "gap", "execution"]
    ]


def mechanisms_by_unit(profile: Profile, obs: pd.DataFrame, year: int) -> pd.DataFrame:
    """TR3 by unit: index unit_code, columns 401..409 (missing items as NaN)."""
    wide = _by_unit(profile, obs, year, "TR3")
    if wide.empty:
        return wide
    return wide.reindex(columns=list(profile.forms["TR3"].item_codes))


def _minima_flags(profile: Profile, mech: pd.DataFrame) -> pd.DataFrame:
    """Per unit and TR3 minimum (``mechanism_minima``): met or not, for naming the requirements
    a unit misses; their count is I13. Blank counts as 0, as I13 counts it. Columns are the
    minima's requirement texts."""
    values = mech.fillna(0.0)
    flags = {}
    for m in mechanism_minima(profile).itertuples():
        floor = values[int(m.item_min)] if pd.notna(m.item_min) else m.min
        flags[m.requirement] = values[m.item] >= floor
    return pd.DataFrame(flags, index=mech.index)


def mechanism_minima_met(data: BulletinData) -> pd.Series:
    """How many of the TR3 minima each unit meets (I13 by unit; index unit_code)."""
    return indicator_by_unit(data.profile, data.indicators, data.year, "I13").astype("int64")


def mechanism_shortfalls(profile: Profile, mech: pd.DataFrame) -> pd.DataFrame:
    """Units missing any TR3 minimum: unit_code, name, met (count), unmet (requirements, ；-joined)."""
    flags = _minima_flags(profile, mech)
    rows = []
    for code, row in flags.iterrows():
        unmet = [req for req, ok in row.items() if not ok]
        if unmet:
            rows.append((code, unit_name(profile, code), int(row.sum()), "；".join(unmet)))
    return pd.DataFrame(rows, columns=["unit_code", "name", "met", "unmet"])


def coverage(profile: Profile, submissions: pd.DataFrame, year: int, form_code: str) -> Coverage:
    """Which reporting units have an accepted form, only rejected ones, or none."""
    sel = submissions[(submissions["year"] == year) & (submissions["form"] == form_code)]
    accepted = set(sel.loc[sel["status"] == "accepted", "unit_code"].dropna())
    tried = set(sel["unit_code"].dropna())
    codes = reporting_unit_codes(profile)
    return Coverage(
        accepted=tuple(c for c in codes if c in accepted),
        rejected=tuple(c for c in codes if c in tried and c not in accepted),
        missing=tuple(c for c in codes if c not in tried),
    )


# --------------------------------------------------------------------------- display tables


def _fmt(values: pd.Series, decimals: int) -> pd.Series:
    return pd.Series([bulletin_number(v, decimals) for v in values], index=values.index, dtype="string")


def structure_table(data: BulletinData) -> pd.DataFrame:
    """表: the talent categories — 人数（人）, 占比（%）, 比上年增减（百分点）."""
    profile = data.profile
    tr1 = city_tr1(profile, data.observations, data.year)
    city_unit = profile.city.code
    rows = []
    for code in (100, *category_items(profile)):
        share = 100.0 if code == 100 else indicator(data.indicators, data.year, city_unit, f"I04.{code}")
        prev = 100.0 if code == 100 else indicator(data.indicators, data.year - 1, city_unit, f"I04.{code}")
        diff = None if share is None or prev is None or code == 100 else share - prev
        rows.append(
            {
                "类别": profile.forms["TR1"].item(code).name,
                "人数（人）": bulletin_number(cell(tr1, code, 1) if not tr1.empty else None, 0),
                "占比（%）": bulletin_number(share, 1),
                "比上年增减（百分点）": MISSING if diff is None else bulletin_number(diff, 1) if round(diff, 1) <= 0 else f"+{bulletin_number(diff, 1)}",
            }
        )
    return pd.DataFrame(rows)


def quality_table(data: BulletinData) -> pd.DataFrame:
    """表: talents by education and by age (city, persons and %), from TR1 item 100."""
    tr1 = city_tr1(data.profile, data.observations, data.year)
    f = data.profile.forms["TR1"]
    total = cell(tr1, 100, 1) if not tr1.empty else None
    rows = []
    for col in (3, 4, 5, 6, 7, 8, 9, 10, 11, 2):
        v = cell(tr1, 100, col) if not tr1.empty else None
        c = f.column(col)
        rows.append(
            {
                "分组": c.group or "性别",
                "项目": c.short_name,
                "人数（人）": bulletin_number(v, 0),
                "占比（%）": bulletin_number(None if v is None or not total else v / total * 100, 1),
            }
        )
    return pd.DataFrame(rows)


def top_units_table(data: BulletinData, n: int = 10) -> pd.DataFrame:
    """表: the n units with most talents — 位次, unit, 人才资源总量, 占全市比重, 人才密度."""
    profile = data.profile
    top = top_units(profile, data.indicators, data.year, n)
    total = quoted(data, "I01")
    density = indicator_by_unit(profile, data.indicators, data.year, "I03")
    return pd.DataFrame(
        {
            "位次": [str(i + 1) for i in range(len(top))],
            profile.city.unit_term: top["name"].to_list(),
            "人才资源总量（人）": _fmt(top["value"], 0).to_list(),
            "占全市比重（%）": _fmt(top["value"] / total * 100 if total else top["value"] * float("nan"), 1).to_list(),
            "人才密度（人/万人）": _fmt(top["unit_code"].map(density).astype("float64"), 1).to_list(),
        }
    )


def fund_table(data: BulletinData) -> pd.DataFrame:
    """表: towns' talent fund — revenue, budget, ratio, line met, gap, execution (sorted by ratio)."""
    fund = fund_by_unit(data).sort_values(["ratio", "unit_code"], ascending=[False, True], kind="stable")
    line = fund_line_label(data.profile, data.year)
    return pd.DataFrame(
        {
            data.profile.city.unit_term: fund["name"].to_list(),
            "财政总收入（万元）": _fmt(fund["revenue"], 2).to_list(),
            "人才专项资金预算安排额（万元）": _fmt(fund["budget"], 2).to_list(),
            "占财政总收入比例（%）": _fmt(fund["ratio"], FUND_RATIO_DECIMALS).to_list(),
            f"是否达到{line}": ["是" if v == 1 else "否" if v == 0 else MISSING for v in fund["compliant"]],
            f"距{line}缺口（万元）": _fmt(fund["gap"], 2).to_list(),
            "执行率（%）": _fmt(fund["execution"], 1).to_list(),
        }
    )


def _education_column(profile: Profile, label: object) -> str:
    """Map a roster's 最高学历 to TR1's education columns (3-7); anything else is 其他."""
    key = normalize_label(label)
    for col in (3, 4, 5, 6, 7):
        c = profile.forms["TR1"].column(col)
        if key in c.spellings():
            return c.short_name
    return "其他"


def roster_table(profile: Profile, roster: pd.DataFrame, year: int, threshold: int = 3) -> pd.DataFrame:
    """表: high-level talents (TR4) by category and education, small cells suppressed.

    Returns strings, with 合计 row and column; cells under ``threshold`` persons and their
    complements show :data:`~talentstats.publication.suppress.SUPPRESSED`.
    """
    # a person reported by two units (P05) is one person: count each pseudonym once, keeping
    # the row of the first unit in code order so the choice is deterministic
    sel = (roster[roster["year"] == year].sort_values(["unit_code", "person"], kind="stable")
           .drop_duplicates(["person"]))
    f = profile.forms["TR1"]
    order_cols = [f.column(c).short_name for c in (3, 4, 5, 6, 7)]
    categories = [item.name for item in f.categories]
    if sel.empty:
        return pd.DataFrame()
    cat = sel["category_item"].map(lambda c: f.item(int(c)).name if not is_missing(c) else "其他")
    edu = sel["education"].map(lambda e: _education_column(profile, e))
    counts = pd.crosstab(cat, edu)
    rows = [c for c in categories if c in counts.index] + [c for c in counts.index if c not in categories]
    cols = [c for c in order_cols if c in counts.columns] + [c for c in counts.columns if c not in order_cols]
    counts = counts.reindex(index=rows, columns=cols, fill_value=0)
    counts.index.name = "人才类别"
    counts.columns.name = None
    return format_suppressed(counts, threshold).reset_index()


# --------------------------------------------------------------------------- annex (numeric)


def _units_frame(profile: Profile, codes: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"代码": pd.array(codes, dtype="string"),
                         profile.city.unit_term: [unit_name(profile, c) for c in codes]})


def annex_tr1(profile: Profile, obs: pd.DataFrame, year: int) -> pd.DataFrame:
    """附表: TR1 column 1 (合计) by unit: 代码, unit, one column per item; city total row."""
    wide = _by_unit(profile, obs, year, "TR1")
    f = profile.forms["TR1"]
    codes = reporting_unit_codes(profile)
    wide = wide.reindex(index=codes, columns=list(f.item_codes)) if not wide.empty else pd.DataFrame(
        index=codes, columns=list(f.item_codes), dtype="float64"
    )
    body = pd.concat(
        [_units_frame(profile, codes), wide.set_axis([f.item(c).name for c in f.item_codes], axis=1).reset_index(drop=True)],
        axis=1,
    )
    return _with_total(profile, body)


def _with_total(profile: Profile, body: pd.DataFrame, sum_columns: Sequence[str] | None = None) -> pd.DataFrame:
    cols = list(sum_columns) if sum_columns is not None else list(body.columns[2:])
    total = {c: body[c].sum(min_count=1) for c in cols}
    row = pd.DataFrame([{"代码": profile.city.code, profile.city.unit_term: "全市合计", **total}])
    return pd.concat([body, row], ignore_index=True).astype({"代码": "string"})


def annex_fund(data: BulletinData) -> pd.DataFrame:
    """附表: TR2 by unit with the fund ratio, line flag and gap; city total row."""
    profile, year, obs = data.profile, data.year, data.observations
    fund = fund_by_unit(data).set_index("unit_code")
    codes = reporting_unit_codes(profile)
    fund = fund.reindex(codes)
    line = fund_line_label(profile, year)
    met, gap = f"是否达到{line}", f"距{line}缺口"
    wide = _by_unit(profile, obs, year, "TR2")
    f = profile.forms["TR2"]
    items = [c for c in f.item_codes if c not in (300, 310, 320)]
    parts = wide.reindex(index=codes, columns=items) if not wide.empty else pd.DataFrame(index=codes, columns=items, dtype="float64")
    body = _units_frame(profile, codes).assign(
        **{
            "财政总收入": fund["revenue"].to_numpy(),
            "人才专项资金预算安排额": fund["budget"].to_numpy(),
            "占财政总收入比例（%）": fund["ratio"].to_numpy(),
            met: fund["compliant"].map({1.0: "是", 0.0: "否"}).astype("string").to_numpy(),
            gap: fund["gap"].to_numpy(),
            "人才专项资金实际支出额": fund["spent"].to_numpy(),
            "执行率（%）": fund["execution"].to_numpy(),
        },
        **{f.item(c).name: parts[c].to_numpy() for c in items},
    )
    sums = ["财政总收入", "人才专项资金预算安排额", gap, "人才专项资金实际支出额", *[f.item(c).name for c in items]]
    out = _with_total(profile, body, sums)
    last = out.index[-1]
    t = out.loc[last]
    out.loc[last, "占财政总收入比例（%）"] = t["人才专项资金预算安排额"] / t["财政总收入"] * 100 if t["财政总收入"] else float("nan")
    out.loc[last, "执行率（%）"] = t["人才专项资金实际支出额"] / t["人才专项资金预算安排额"] * 100 if t["人才专项资金预算安排额"] else float("nan")
    n_yes = int((fund["compliant"] == 1).sum())
    out.loc[last, met] = f"{n_yes}个达到"
    return out


def annex_mechanisms(data: BulletinData) -> pd.DataFrame:
    """附表: TR3 by unit, plus minima met (I13); city total row (sums of counts)."""
    profile = data.profile
    mech = mechanisms_by_unit(profile, data.observations, data.year)
    f = profile.forms["TR3"]
    codes = reporting_unit_codes(profile)
    wide = mech.reindex(codes) if not mech.empty else pd.DataFrame(index=codes, columns=list(f.item_codes), dtype="float64")
    met = mechanism_minima_met(data).reindex(codes) if not mech.empty else pd.Series(index=codes, dtype="float64")
    body = _units_frame(profile, codes).assign(
        **{f.item(c).name: wide[c].to_numpy() for c in f.item_codes},
        **{"工作机制达标项数": met.to_numpy(dtype="float64")},
    )
    flags = [f.item(c).name for c in (401, 402)]
    out = _with_total(profile, body, [f.item(c).name for c in f.item_codes])
    out.loc[out.index[-1], "工作机制达标项数"] = float("nan")
    for name in flags:  # the total of a 1/0 flag is the number of units answering 1
        out.loc[out.index[-1], name] = body[name].sum(min_count=1)
    return out


# The towns' assessment (I14: score, dimensions, rank) is for the leadership, not the public
# bulletin: it stays out of the annex and appears only in the internal assessment report.
INTERNAL_INDICATORS = ("I14",)


def annex_indicators(profile: Profile, ind: pd.DataFrame, year: int,
                     dictionary: pd.DataFrame | None = None) -> pd.DataFrame:
    """附表: every published indicator by unit (columns named from the dictionary), city row last."""
    internal = ind["indicator"].str.split(".").str[0].isin(INTERNAL_INDICATORS)
    sel = ind[(ind["year"] == year) & ~internal]
    wide = sel.pivot_table(index="unit_code", columns="indicator", values="value", aggfunc="first")
    city_unit = profile.city.code
    codes = [*reporting_unit_codes(profile), city_unit]
    wide = wide.reindex(codes)
    names = _indicator_labels(dictionary, list(wide.columns))
    body = _units_frame(profile, codes).assign(**{names[c]: wide[c].to_numpy() for c in wide.columns})
    body.loc[body["代码"] == city_unit, profile.city.unit_term] = "全市"
    return body


def _indicator_labels(dictionary: pd.DataFrame | None, ids: Sequence[str]) -> dict[str, str]:
    known: Mapping[str, tuple[str, str]] = {}
    if dictionary is not None and not dictionary.empty:
        dict_ids = dictionary_ids(dictionary)
        known = {i: (n, u) for i, n, u in zip(dict_ids, dictionary["name"], dictionary["unit"], strict=True)}
    out = {}
    for i in ids:
        base = i.split(".")[0]
        if i in known:
            name, unit = known[i]
        elif base in known:
            name, unit = known[base]
            name = f"{name}（{i.split('.', 1)[1]}）"
        else:
            name, unit = i, ""
        unit_s = f"[{unit}]" if isinstance(unit, str) and unit and unit != "—" else ""
        out[i] = f"{i} {name}{unit_s}"
    return out


# --------------------------------------------------------------------------- HTML


_NUMBER = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?%?$")


def cell_text(value: object) -> str:
    """A display table's cell as printed (HTML and Word alike): a missing number is “—”."""
    return MISSING if is_missing(value) and not isinstance(value, str) else str(value)


def numeric_columns(table: pd.DataFrame) -> list[bool]:
    """Which columns hold only numbers (or —, *): right-aligned. The first column never is."""
    return [j > 0 and all(_NUMBER.match(str(v)) or str(v) in (MISSING, SUPPRESSED) for v in table.iloc[:, j])
            for j in range(table.shape[1])]


def to_html(table: pd.DataFrame, title: str, unit: str = "", note: str = "") -> str:
    """A display table as HTML: caption (title), 单位 line, first column left, numbers right."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    numeric = numeric_columns(table)
    rows = []
    for r in table.itertuples(index=False):
        cells = []
        for j, v in enumerate(r):
            cls = "num" if numeric[j] else "label"
            cells.append(f'<td class="{cls}">{html.escape(cell_text(v))}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    unit_line = f'<div class="table-unit">单位：{html.escape(unit)}</div>' if unit else ""
    note_line = f'<div class="table-note">{html.escape(note)}</div>' if note else ""
    return (
        f'<div class="bulletin-table"><div class="table-title">{html.escape(title)}</div>{unit_line}'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note_line}</div>"
    )
