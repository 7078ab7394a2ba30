"""The realistic sample collection: five years of submissions from the 35 units and the city.

``generate_sample`` first simulates the true figures (``simulate``: pure, seeded), then writes
each unit's submissions from the official layout (``talentstats.workbooks.template``), departing from it
as ``data/sample_plan.yaml`` says: file formats, renamed sheets, layouts, value spellings, unit
names, money in 元/亿元, resubmissions, broken files, and rule breaks planted on purpose. It
writes ``catalogue.csv`` (what was done to every file and what the ingest must report) and
``truth.csv`` (the correct reading of every number).

Assumptions, written down here because the figures are invented:
- the city's talent total is about 1.2 million in 2012, growing 6-9% a year; units get shares
  proportional to their resident population (the two parks without a census row get small
  fixed sizes); the six categories follow the national 2015 structure, with fewer 农村实用人才;
- money is generated in whole 分 (0.01 万元), so every sum holds exactly;
- TR1 240 (高层次人才) is the tally of the TR4 roster, so J01 holds by construction; a person
  stays on a unit's roster from year to year;
- ID numbers are synthetic: Guangdong area codes, valid GB 11643 check digits, names invented.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from talentstats.errors import ParameterError
from talentstats.profile import config
from talentstats.profile.config import load_yaml
from talentstats.profile.forms import form
from talentstats.profile.reference import resident_population
from talentstats.profile.units import CITY, reporting_units, unit_name
from talentstats.reading.ids import CHECK_CHARACTERS, check_character
from talentstats.workbooks.template import (
    Formula,
    LayoutOptions,
    SheetLayout,
    a1,
    build_workbook_layouts,
    forms_for_unit,
    insert_row,
    render_workbook,
    stack_layouts,
    template_filename,
)

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "CATALOGUE_COLUMNS",
    "DEVIATIONS",
    "PlanEntry",
    "SampleResult",
    "TRUTH_COLUMNS",
    "generate_sample",
    "load_plan",
    "simulate",
]

SEED = 20131
YEARS = range(2012, 2017)
CATALOGUE_COLUMNS = ["file", "year", "unit_code", "forms", "deviation", "detail",
                     "expected_rules", "expected_status"]
ASSIGNMENT_COLUMNS = ["file", "unit", "note"]  # assignments.csv: the statistician's decisions
TRUTH_COLUMNS = ["year", "unit_code", "form", "item", "column", "value", "file", "accepted"]

# Expected rules per deviation (the planted_* keys carry their rule in their name).
_RULES = {"added_row": "F04", "money_yuan": "F05", "money_yiyuan": "F05", "unit_mismatch": "X04",
          "corrupt_file": "X01", "not_spreadsheet": "X01", "hidden_rows": "F11",
          "hidden_stale_rows": "F11", "money_unit_in_header": "F05", "money_unit_in_title": "F05",
          "neighbour_template": "X04"}
DEVIATIONS = (
    "clean", "xls", "xlsm", "sheet_names", "separate_files", "no_code_column", "no_index_row",
    "header_height", "remark_column", "column_order", "hidden_rows", "added_row",
    "numbers_as_text", "thousands_separator", "fullwidth_digits", "suffix_ren", "dash_zero",
    "formula_cached", "formula_uncached", "float_noise", "yes_no", "money_yuan", "money_yiyuan",
    "unit_in_filename_only", "unit_in_sheet_only", "unit_alias", "unit_traditional",
    "unit_suffix", "unit_mismatch", "resubmission", "corrupt_file", "not_spreadsheet",
    "missing_year", "planted_N01", "planted_N05", "planted_N09", "planted_J01", "planted_H01",
    "planted_H02", "planted_P01", "planted_P04", "planted_P05", "planted_F01",
    "decoy_template", "instructions_sheet", "stacked_forms", "money_unit_in_header",
    "money_unit_in_title", "hidden_stale_rows", "footnote_marks", "neighbour_template",
    "roster_undated_resubmission",
)

# ---------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class PlanEntry:
    unit: str
    year: int
    deviation: str
    params: Mapping[str, object] = field(default_factory=dict)


def _require_packaged_profile() -> None:
    """The sample collection is Dongguan's (the plan names its units): refuse another profile."""
    selected = config.selection()
    if selected and Path(selected) != Path(str(resources.files("talentstats").joinpath("data"))).resolve():
        raise ParameterError(
            f"样例报表是东莞市的演示数据（sample_plan.yaml 列出东莞的单位），不能用于配置 {selected}："
            "请不带 --config / TALENTSTATS_CONFIG 运行 / "
            f"the sample collection is Dongguan's and does not fit the profile {selected}: "
            "run it without --config / TALENTSTATS_CONFIG"
        )


def load_plan() -> tuple[PlanEntry, ...]:
    """The entries of ``data/sample_plan.yaml``; raises ValueError on an unknown deviation and
    ParameterError when another city's profile is selected (the plan names Dongguan's units)."""
    _require_packaged_profile()
    return _plan()


@cache
def _plan() -> tuple[PlanEntry, ...]:
    text = resources.files("talentstats").joinpath("data/sample_plan.yaml").read_text("utf-8")
    entries = []
    for e in load_yaml(text)["entries"]:
        if e["deviation"] not in DEVIATIONS:
            raise ValueError(f"sample_plan.yaml: unknown deviation {e['deviation']!r}")
        unit_name(str(e["unit"]))
        entries.append(PlanEntry(str(e["unit"]), int(e["year"]), e["deviation"], dict(e.get("params") or {})))
    return tuple(entries)


# ---------------------------------------------------------------------------------------------
# GB 11643 identity numbers

# Area codes (GB/T 2260) of Guangdong: Dongguan first, then places its talents often come from.
_AREAS = ("441900", "441900", "441900", "440103", "440106", "440304", "440305", "440604",
          "440507", "445202", "440902", "440803", "441402", "441302", "440705", "441202")


# ---------------------------------------------------------------------------------------------
# Simulation of the true figures



def _category_codes() -> tuple[int, ...]:
    """TR1's talent categories (forms.yaml ``category: true``); the simulation below gives each
    its own share and make-up, in this order."""
    return tuple(it.code for it in form("TR1").categories)
_CAT_SHARE = np.array([4.2, 24.8, 41.9, 25.7, 1.6, 0.4])
_FEMALE = np.array([0.38, 0.40, 0.51, 0.36, 0.34, 0.66])
_EDU = np.array([  # 博士 硕士 本科 专科 中专及以下
    [0.003, 0.060, 0.550, 0.300, 0.087],
    [0.002, 0.030, 0.250, 0.350, 0.368],
    [0.005, 0.055, 0.400, 0.340, 0.200],
    [0.000, 0.001, 0.040, 0.250, 0.709],
    [0.000, 0.000, 0.020, 0.100, 0.880],
    [0.000, 0.020, 0.350, 0.450, 0.180],
])
_AGE = np.array([  # <=35 36-45 46-54 >=55
    [0.30, 0.35, 0.25, 0.10],
    [0.45, 0.33, 0.17, 0.05],
    [0.50, 0.30, 0.15, 0.05],
    [0.55, 0.30, 0.12, 0.03],
    [0.20, 0.35, 0.30, 0.15],
    [0.55, 0.30, 0.12, 0.03],
])
_TR5_PATTERN = (0.94, 1.03, 0.97, 1.07, 1.02)  # city investment against 100,000 万元, by year
_PARK_POPULATION = {"441900402": 30_000, "441900403": 18_000}  # no census row of their own
_EDU_NAMES = tuple(form("TR1").column(c).name for c in range(3, 8))
_SURNAMES = "陈李张王刘黄林何梁叶罗周郑谢钟邓莫袁蔡卢吴徐孙朱胡郭杨赖曾彭冯方邱苏江翟"
_GIVEN_M = "伟强军勇杰涛斌明辉鹏志浩俊峰磊华建国文东海鑫宇航晨"
_GIVEN_F = "芳敏静丽娟艳玲婷慧琳雪颖倩洁萍燕红霞婉欣怡蕾"
_FIRM_A = ("华", "创", "宏", "新", "达", "利", "恒", "盛", "嘉", "铭", "科", "力", "德", "信", "锐", "晟")
_FIRM_B = ("电子科技", "精密机械", "新材料", "智能装备", "生物医药", "模具", "光电", "电器",
           "信息技术", "检测技术", "家具", "食品")
_INDUSTRIES = ("制造业", "制造业", "制造业", "科学研究和技术服务业", "信息传输、软件和信息技术服务业",
               "卫生和社会工作", "教育")


def _alloc(n: int, probs: np.ndarray) -> np.ndarray:
    """Split ``n`` into integer parts proportional to ``probs`` (largest remainder)."""
    p = np.asarray(probs, dtype=float)
    p = p / p.sum()
    raw = n * p
    base = np.floor(raw).astype(np.int64)
    rest = n - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _noisy(rng: np.random.Generator, p: np.ndarray, sd: float) -> np.ndarray:
    return p * rng.lognormal(0.0, sd, size=len(p))


def _category(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """A population vector: [total, female, 5 education counts, 4 age counts]."""
    female = int(min(n, round(n * _FEMALE[k] * rng.lognormal(0, 0.05))))
    edu = _alloc(n, _noisy(rng, _EDU[k], 0.12) + 1e-9) if n else np.zeros(5, np.int64)
    age = _alloc(n, _noisy(rng, _AGE[k], 0.10)) if n else np.zeros(4, np.int64)
    return np.array([n, female, *edu, *age], dtype=np.int64)


def _draw(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """A random subset of ``n`` persons out of a population vector (hypergeometric)."""
    n = int(min(n, pool[0]))
    if n <= 0:
        return np.zeros(11, np.int64)
    female = int(rng.hypergeometric(pool[1], pool[0] - pool[1], n)) if 0 < pool[1] < pool[0] else (n if pool[1] else 0)
    edu = rng.multivariate_hypergeometric(pool[2:7], n)
    age = rng.multivariate_hypergeometric(pool[7:11], n)
    return np.array([n, female, *edu, *age], dtype=np.int64)


def _age_bucket(birth: date, year: int) -> int:
    age = year - birth.year  # age reached in the year, as at 31 December
    return 0 if age <= 35 else 1 if age <= 45 else 2 if age <= 54 else 3


def _tally(roster: list[dict], year: int) -> np.ndarray:
    v = np.zeros(11, np.int64)
    for p in roster:
        v[0] += 1
        v[1] += p["sex"] == "女"
        v[2 + _EDU_NAMES.index(p["education"])] += 1
        v[7 + _age_bucket(p["_birth"], year)] += 1
    return v


def _vector_values(item: int, vec: np.ndarray) -> dict[tuple[int, int], int]:
    return {(item, c + 1): int(vec[c]) for c in range(11)}


class _People:
    """Invents high-level talents with unique, valid ID numbers."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.ids: set[str] = set()

    def person(self, unit_code: str, year: int, cap: np.ndarray) -> dict:
        rng = self.rng
        sex = "男" if rng.random() < 0.7 else "女"
        bucket = int(rng.choice(4, p=[0.30, 0.36, 0.24, 0.10]))
        lo, hi = ((28, 35), (36, 45), (46, 54), (55, 60))[bucket]
        birth_year = year - int(rng.integers(lo, hi + 1))
        birth = date(birth_year, 1, 1).fromordinal(date(birth_year, 1, 1).toordinal() + int(rng.integers(0, 365)))
        weights = np.array([0.30, 0.33, 0.27, 0.07, 0.03]) * (cap > 0)
        edu = _EDU_NAMES[int(rng.choice(5, p=weights / weights.sum()))]
        category = str(rng.choice(["专业技术人才", "企业经营管理人才", "高技能人才", "党政人才", "社会工作人才"],
                                  p=[0.60, 0.30, 0.07, 0.02, 0.01]))
        if category == "高技能人才":
            title = "高级技师"
        elif edu == _EDU_NAMES[0]:
            title = str(rng.choice(["正高级工程师", "研究员", "教授", "主任医师"]))
        else:
            title = str(rng.choice(["高级工程师", "副研究员", "高级经济师", "副主任医师", "高级工程师"]))
        while True:
            seq = int(rng.integers(0, 500)) * 2 + (1 if sex == "男" else 0)
            first17 = f"{rng.choice(_AREAS)}{birth:%Y%m%d}{seq:03d}"
            number = first17 + check_character(first17)
            if number not in self.ids:
                self.ids.add(number)
                break
        given = _GIVEN_M if sex == "男" else _GIVEN_F
        name = str(rng.choice(list(_SURNAMES))) + "".join(rng.choice(list(given), size=int(rng.integers(1, 3))))
        short = unit_name(unit_code).removesuffix("镇").removesuffix("街道")[:2]
        employer = f"东莞市{short}{rng.choice(_FIRM_A)}{rng.choice(_FIRM_A)}{rng.choice(_FIRM_B)}有限公司"
        if category == "党政人才":
            employer = f"{unit_name(unit_code)}人民政府" if unit_code[6] != "4" else f"{unit_name(unit_code)}管委会"
        return {
            "name": name, "sex": sex, "id_number": number, "birth": f"{birth.year}.{birth.month:02d}",
            "education": edu, "title": title, "category": category, "employer": employer,
            "industry": str(rng.choice(_INDUSTRIES)), "recognised_year": int(rng.integers(max(2008, year - 6), year + 1)),
            "note": None, "_birth": birth,
        }


@dataclass
class Simulation:
    """True figures: ``values[(unit, year)][form][(item, column)]`` (money in 万元) and rosters."""

    values: dict[tuple[str, int], dict[str, dict[tuple[int, int], float]]]
    rosters: dict[tuple[str, int], list[dict]]


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def simulate(seed: int = SEED, years: Iterable[int] = YEARS, plan: Iterable[PlanEntry] = ()) -> Simulation:
    """Simulate consistent figures for every unit and year (every rule of rules.yaml holds).

    The plan's ``planted_H01`` (a jump in a unit's talent total), ``planted_P04`` (a person
    twice) and ``planted_P05`` (a person on two units' rosters) change the figures themselves;
    the other deviations are applied when files are written.
    """
    rng = np.random.default_rng(seed)
    years = sorted(years)
    plan = list(plan)
    units = [u.code for u in reporting_units()]
    pop = resident_population(config.load_profile())  # profile: passed in by the shell
    base_pop = pop[pop["year"] == years[0]].set_index("unit_code")["population"]
    weight = {u: float(base_pop.get(u, _PARK_POPULATION.get(u, 20_000))) * (1.6 if u == "441900401" else 1.0) for u in units}
    total_w = sum(weight.values())
    jumps = {(e.unit, e.year): float(e.params.get("factor", 1.45)) for e in plan if e.deviation == "planted_H01"}

    # per-unit constants
    level = {u: 1.2e6 * weight[u] / total_w * rng.lognormal(0, 0.08) for u in units}
    shares = {u: _noisy(rng, _CAT_SHARE, 0.12) for u in units}
    hl_rate = {u: 0.00068 * rng.lognormal(0, 0.25) for u in units}
    revenue = {u: weight[u] * 0.62 * rng.lognormal(0, 0.15) * (1.8 if u == "441900401" else 1.0) for u in units}
    ratio = {u: float(np.clip(rng.normal(3.05, 0.65), 1.2, 5.5)) for u in units}
    tr3_office = {u: rng.random() < 0.9 for u in units}
    people = _People(rng)

    values: dict = {}
    rosters: dict = {}
    carried: dict[str, list[dict]] = {u: [] for u in units}
    tr2_prev: dict[str, dict[int, int]] = {}
    for year in [years[0] - 1, *years]:
        growth = rng.uniform(0.06, 0.09)
        for u in units:
            # TR2 in cents; year Y-1 only feeds column 2 of the first year
            rev = revenue[u] = revenue[u] * (1 + rng.uniform(0.04, 0.12))
            r300 = int(round(rev * 100))
            r310 = int(round(r300 * (ratio[u] + rng.normal(0, 0.25)) / 100))
            r320 = int(round(r310 * rng.uniform(0.70, 1.00)))
            parts = _alloc(r320, _noisy(rng, np.array([0.25, 0.25, 0.20, 0.12, 0.15, 0.03]), 0.3))
            cur = {300: r300, 310: r310, 320: r320, **{321 + k: int(parts[k]) for k in range(6)}}
            if year < years[0]:
                tr2_prev[u] = cur
                continue
            tr2 = {(i, 1): _money(c) for i, c in cur.items()} | {(i, 2): _money(c) for i, c in tr2_prev[u].items()}
            tr2_prev[u] = cur

            # TR1
            level[u] *= 1 + float(np.clip(growth + rng.normal(0, 0.015), 0.01, 0.16))
            level[u] *= jumps.get((u, year), 1.0)
            total = int(round(level[u]))
            cat_n = _alloc(total, shares[u] * rng.lognormal(0, 0.02, size=6))
            cats = [_category(rng, int(n), k) for k, n in enumerate(cat_n)]
            row100 = np.sum(cats, axis=0)
            tr1: dict[tuple[int, int], float] = _vector_values(100, row100)
            for code, vec in zip(_category_codes(), cats, strict=True):
                tr1 |= _vector_values(code, vec)
            pool = cats[2].copy()  # 131-133 are subsets of 130
            for code, frac in zip((131, 132, 133), (0.09, 0.28, 0.33), strict=True):
                sub = _draw(rng, pool, int(round(cats[2][0] * frac * rng.lognormal(0, 0.1))))
                pool -= sub
                tr1 |= _vector_values(code, sub)
            pool = cats[3].copy()  # 141-143 partition 140
            for code, frac in zip((141, 142), (0.04, 0.16), strict=True):
                sub = _draw(rng, pool, int(round(cats[3][0] * frac * rng.lognormal(0, 0.1))))
                pool -= sub
                tr1 |= _vector_values(code, sub)
            tr1 |= _vector_values(143, pool)
            for code, frac in zip((210, 220, 230), (0.0005, 0.06, 0.008), strict=True):
                tr1 |= _vector_values(code, _draw(rng, row100, int(round(total * frac * rng.lognormal(0, 0.2)))))

            # TR4: the roster carries over; new persons fill up to this year's size
            target = max(1, int(round(total * hl_rate[u])))
            roster = carried[u]
            while len(roster) > target:
                roster.pop(int(rng.integers(0, len(roster))))
            while len(roster) < target:
                cap = row100[2:7] - _tally(roster, year)[2:7]
                roster.append(people.person(u, year, cap))
            rosters[(u, year)] = list(roster)

            # TR3
            office = tr3_office[u] or year >= 2015
            staff = int(rng.integers(1, 6)) if office else int(rng.integers(0, 2))
            tr3 = {
                401: int(rng.random() < 0.96 or year >= 2014), 402: int(office), 403: staff,
                404: int(rng.choice([0, 1, 1, 2, 2, 3])), 405: int(rng.choice([2, 3, 4, 4, 4, 4, 5, 6])),
                406: int(rng.choice([0, 1, 1, 2, 2, 3, 4])), 407: int(rng.choice([0, 1, 1, 1, 2, 3])),
                408: max(0, staff + int(rng.choice([-1, 0, 0, 1, 2, 3, 5]))), 409: int(rng.integers(3, 31)),
            }
            values[(u, year)] = {"TR1": tr1, "TR2": tr2, "TR3": {(i, 1): v for i, v in tr3.items()}}
        if year >= years[0]:
            pattern = _TR5_PATTERN[(year - years[0]) % len(_TR5_PATTERN)]
            cents = int(round(100_000 * pattern * rng.uniform(0.99, 1.01) * 100))
            values[(CITY, year)] = {"TR5": {(500, 1): _money(cents), (510, 1): _money(int(round(cents * rng.uniform(0.3, 0.5))))}}

    # roster-level plants, then TR1 240 as the tally of each roster
    for e in plan:
        key = (e.unit, e.year)
        if e.deviation == "planted_P04" and key in rosters:
            r = list(rosters[key])
            r[-1] = dict(r[0])
            rosters[key] = r
        elif e.deviation == "planted_P05" and key in rosters:
            other = rosters[(str(e.params["other_unit"]), e.year)]
            r = list(rosters[key])
            r[-1] = dict(other[0])
            rosters[key] = r
    for (u, year), roster in rosters.items():
        vec = _tally(roster, year)
        tr1 = values[(u, year)]["TR1"]
        tr1 |= _vector_values(240, vec)
        for c in range(1, 12):
            if tr1[(240, c)] > tr1[(100, c)]:
                raise ValueError(f"simulation: TR1 240 exceeds 100 in column {c} for {u} {year}")
    return Simulation(values, rosters)


# ---------------------------------------------------------------------------------------------
# Writing submissions


@dataclass
class _File:
    rel: str
    data: bytes
    when: datetime
    unit: str
    year: int
    forms: list[str]
    rows: list[dict]  # catalogue rows (expected_status filled in at the end)
    status: dict[str, str]  # form -> accepted | rejected | superseded | unreadable
    reported: dict[str, dict[tuple[int, int], float]]  # the correct reading, 万元
    assignment: str = ""  # the note of the statistician's assignment of this file to its unit


@dataclass
class SampleResult:
    """What ``generate_sample`` wrote: the files (absolute), the catalogue and the truth."""

    out_dir: Path
    files: list[Path]
    catalogue: pd.DataFrame
    truth: pd.DataFrame
    assignments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ASSIGNMENT_COLUMNS))


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_DASHES = ("-", "—", "/", "无")


def _report_date(rng: np.random.Generator, year: int) -> date:
    return date(year + 1, 1, int(rng.integers(6, 29)))


def _footer(rng: np.random.Generator) -> dict[str, str]:
    def name() -> str:
        return str(rng.choice(list(_SURNAMES))) + "".join(rng.choice(list(_GIVEN_M + _GIVEN_F), size=2))

    return {"单位负责人：": name(), "统计负责人：": name(), "填表人：": name(),
            "联系电话：": f"0769-2{int(rng.integers(0, 10_000_000)):07d}"}


def _plant(kind: str, reported: dict, detail: list[str]) -> str:
    """Break one rule in ``reported`` (in place); returns the form that the rule rejects."""
    if kind == "planted_N01":
        t = reported["TR1"]
        d = min(10, int(t[(100, 5)]))
        t[(100, 5)] -= d
        t[(100, 6)] += d
        detail.append(f"人才资源总量行“大学本科”栏少填{d}人、“大学专科”栏多填{d}人，与六支人才队伍之和不符")
        return "TR1"
    if kind == "planted_N05":
        t = reported["TR1"]
        d = min(3, int(t[(120, 7)]))
        t[(110, 7)] += d
        t[(120, 7)] -= d
        detail.append(f"党政人才“中专及以下”栏多填{d}人、企业经营管理人才同栏少填{d}人，两行合计不等于各学历之和")
        return "TR1"
    if kind == "planted_N09":
        t = reported["TR2"]
        t[(321, 1)] = round(t[(321, 1)] + 12.34, 2)
        detail.append("人才引进本年数多填12.34万元，实际支出额不等于各分项之和")
        return "TR2"
    if kind == "planted_H02":
        t = reported["TR2"]
        t[(300, 2)] = round(t[(300, 2)] + 1000, 2)
        detail.append("财政总收入“上年”栏比上年报送的本年数多1000万元")
        return ""
    raise ValueError(kind)


def _zero_cells(layout: SheetLayout, form_code: str, reported: dict) -> list[tuple[int, int]]:
    return [layout.cell(i, c) for (i, c), v in sorted(reported[form_code].items()) if v == 0]


# Footnote marks towns put on item names (footnote_marks), and the note they add under the table.
_FOOTNOTE_MARKS = {110: "*", 120: "①", 130: "²", 131: "※", 140: "（注）", 150: "[注]", 160: "②",
                   240: "（注1）"}
_FOOTNOTE_NOTE = ("注：*含参照公务员法管理的事业单位工作人员；①含非公有制企业经营管理人员；²含未评聘职称的"
                  "专业技术人员；※指副高级及以上职称；（注）含取得国家职业资格三级及以上的技术工人；[注]指经"
                  "镇农业部门认定的人员；②含持证社会工作者；（注1）指经市认定的各类高层次人才。")


def _hide_stale_rows(tr1: SheetLayout, items: list[int], stale: Mapping[tuple[int, int], float]) -> None:
    """Above each item's row, a hidden copy of it (same label and code) holding last year's
    numbers: the town updated the form by hiding the old row and typing a new one below it."""
    for i in items:
        at = tr1.item_rows[i]
        cells = list(tr1.rows[at])
        for c, col in tr1.value_cols.items():
            cells[col] = stale[(i, c)]
        insert_row(tr1, at, cells, role="extra")
        tr1.hidden_rows.add(at)


def _edit_layouts(devs: dict, layouts: dict[str, SheetLayout], reported: dict, detail: dict,
                  previous: Mapping[str, Mapping[tuple[int, int], float]] | None = None) -> None:
    """Apply cell-level deviations to built layouts; ``detail`` gets a sentence per deviation.
    ``previous`` is the unit's true figures of the year before (the stale numbers of hidden rows)."""
    tr1 = layouts.get("TR1")
    if "numbers_as_text" in devs:
        for (i, c), v in reported["TR1"].items():
            tr1.set(*tr1.cell(i, c), str(int(v)))
        detail["numbers_as_text"] = "表1全部数字以文本格式存储"
    if "thousands_separator" in devs:
        n = 0
        for (i, c), v in reported["TR1"].items():
            if v >= 1000:
                tr1.set(*tr1.cell(i, c), f"{int(v):,}")
                n += 1
        detail["thousands_separator"] = f"表1中{n}个不小于1000的数字写成带千分位逗号的文本（如“12,345”）"
    if "fullwidth_digits" in devs:
        for (i, c), v in reported["TR1"].items():
            if c == 1:
                tr1.set(*tr1.cell(i, c), str(int(v)).translate(_FULLWIDTH))
        detail["fullwidth_digits"] = "表1“合计”栏用全角数字填写（如“１２３４５”）"
    if "suffix_ren" in devs:
        for (i, c), v in reported["TR1"].items():
            if c == 1:
                tr1.set(*tr1.cell(i, c), f"{int(v)}人")
        detail["suffix_ren"] = "表1“合计”栏数字后带“人”字（如“1234人”）"
    if "dash_zero" in devs:
        cells = [(fc, rc) for fc in ("TR1", "TR3") for rc in _zero_cells(layouts[fc], fc, reported)]
        if len(cells) < len(_DASHES):
            raise ValueError("dash_zero: fewer zero cells than dash spellings; choose another unit")
        for k, (fc, (r, c)) in enumerate(cells):
            layouts[fc].set(r, c, _DASHES[k % len(_DASHES)])
        detail["dash_zero"] = f"{len(cells)}个零值单元格填成“-”“—”“/”“无”"
    for key, cached in (("formula_cached", True), ("formula_uncached", False)):
        if key not in devs:
            continue
        for c in range(1, 12):
            refs = "+".join(a1(*tr1.cell(i, c)) for i in _category_codes())
            tr1.set(*tr1.cell(100, c), Formula(f"={refs}", reported["TR1"][(100, c)] if cached else None))
        tr2 = layouts["TR2"]
        for c in (1, 2):
            first, last = a1(*tr2.cell(321, c)), a1(*tr2.cell(326, c))
            tr2.set(*tr2.cell(320, c), Formula(f"=SUM({first}:{last})", reported["TR2"][(320, c)] if cached else None))
        detail[key] = ("表1人才资源总量行和表2实际支出额行为求和公式" + ("，带缓存值（Excel保存）" if cached else "，无缓存值（程序生成）"))
    if "float_noise" in devs:
        for i in (100, 130, 140):
            for c in range(1, 12):
                v = reported["TR1"][(i, c)]
                if v:
                    tr1.set(*tr1.cell(i, c), v - 1e-7)
        tr2 = layouts["TR2"]
        for c in (1, 2):
            tr2.set(*tr2.cell(320, c), reported["TR2"][(320, c)] * (1 + 3e-15))
        detail["float_noise"] = "表1总量、专业技术人才、高技能人才行带浮点误差（如1233.9999999），表2支出额同样"
    if "yes_no" in devs:
        tr3 = layouts["TR3"]
        for i in (401, 402):
            tr3.set(*tr3.cell(i, 1), "是" if reported["TR3"][(i, 1)] == 1 else "否")
        detail["yes_no"] = "表3第401、402项用“是/否”代替1/0"
    for key in ("hidden_rows", "hidden_stale_rows"):
        if key not in devs:
            continue
        if not previous:
            raise ValueError(f"{key}: the stale rows hold last year's numbers; choose a unit-year with one")
        items = [int(i) for i in devs[key].get("items", [141, 142, 143])]
        _hide_stale_rows(tr1, items, previous["TR1"])
        detail[key] = (("旧版Excel 97-2003格式（.xls），" if key == "hidden_stale_rows" else "")
                       + f"表1第{'、'.join(map(str, items))}行上方各有一行被隐藏的上年旧数（项目名称、代码相同），"
                       "可见行为本年数")
    if "footnote_marks" in devs:
        for i, mark in _FOOTNOTE_MARKS.items():
            r = tr1.item_rows[i]
            tr1.rows[r][0] = f"{tr1.rows[r][0]}{mark}"
        insert_row(tr1, max(tr1.item_rows.values()) + 1, [_FOOTNOTE_NOTE], role="extra")
        detail["footnote_marks"] = ("表1删去“代码”列，项目名称带注释符号（如“党政人才*”“企业经营管理人才①”"
                                    "“专业技术人才²”“高技能人才（注）”），表下加注")
    if "added_row" in devs:
        at = tr1.item_rows[160] + 1
        cells: list[object] = [None] * tr1.ncols
        cells[0] = "六支人才队伍小计"
        for c in range(1, 12):
            cells[tr1.value_cols[c]] = reported["TR1"][(100, c)]
        insert_row(tr1, at, cells, role="extra")
        detail["added_row"] = "表1在社会工作人才行后自行加了一行“六支人才队伍小计”（无代码）"


def _layout_options(devs: dict, unit: str, forms_in_file: list[str]) -> dict[str, LayoutOptions]:
    out = {}
    for k, code in enumerate(forms_in_file):
        o: dict = {}
        if "sheet_names" in devs:
            o["sheet_name"] = devs["sheet_names"]["names"][k]
        if "no_code_column" in devs:
            o |= {"code_column": False, "numbering": True}
        if "no_index_row" in devs:
            o["index_row"] = False
        if "header_height" in devs:
            o["header_layout"] = devs["header_height"]["layout"]
        if "remark_column" in devs and code in ("TR1", "TR2"):
            o |= {"remark_column": True, "remark": "含驻镇单位" if code == "TR1" else "据财政分局数"}
        if "column_order" in devs and code == "TR1":
            o["column_order"] = tuple(devs["column_order"]["order"])
        if "unit_in_filename_only" in devs:
            o["unit_label"] = ""
        for key in ("unit_alias", "unit_traditional", "unit_suffix"):
            if key in devs:
                o["unit_label"] = devs[key]["name"]
        if code == "TR2" and "money_yuan" in devs:
            o["money_unit"] = "元"
        if code == "TR2" and "money_yiyuan" in devs:
            o["money_unit"] = "亿元"
        if code == "TR2" and "money_unit_in_header" in devs:
            o |= {"money_unit": "元", "money_unit_at": "header"}
        if code == "TR2" and "money_unit_in_title" in devs:
            o |= {"money_unit": "亿元", "money_unit_at": "title"}
        if code == "TR1" and "footnote_marks" in devs:
            o["code_column"] = False
        if "decoy_template" in devs:
            o["sheet_name"] = f"表{form(code).number} (2)"  # Excel's name for a copied sheet
        out[code] = LayoutOptions(**o)
    return out


_LAYOUT_DETAIL = {
    "xls": "旧版Excel 97-2003格式（.xls）",
    "xlsm": "启用宏的工作簿（.xlsm）",
    "separate_files": "各表分别存为单独文件",
    "no_code_column": "删去“代码”列，项目名称带编号（如“1.党政人才”“（一）高级职称”）",
    "no_index_row": "无“甲、乙、1、2……”栏次行",
    "remark_column": "表1、表2在数值栏后加了“备注”列",
    "money_yuan": "表2金额以“元”为单位填报，单位行写“单位：元”",
    "money_yiyuan": "表2金额以“亿元”为单位填报，单位行写“单位：亿元”",
    "unit_in_filename_only": "表内“填报单位”未填，单位只见于文件名",
    "unit_in_sheet_only": "文件名不含单位名称，单位只见于表内",
    "decoy_template": "保留了未填数的空白模板工作表（表1至表4），数据填在其后复制出的“表1 (2)”至“表4 (2)”中",
    "instructions_sheet": "首页为单位自制的“填表说明”：表号、代码|项目|说明对照表和表内关系的文字说明",
    "stacked_forms": "表1、表2、表3上下排在同一张工作表中（各有标题、表号、单位行、表头和页脚），表4单独一张",
    "money_unit_in_header": "表2无单位行，金额以“元”为单位，只在栏目中写作“本年（元）”“上年（元）”",
    "money_unit_in_title": "表2无单位行，金额以“亿元”为单位，只在标题中注明“（单位：亿元）”",
}


def _describe(dev: str, params: Mapping) -> str:
    if dev in _LAYOUT_DETAIL:
        return _LAYOUT_DETAIL[dev]
    if dev == "sheet_names":
        return "工作表改名为" + "、".join(params["names"])
    if dev == "header_height":
        return {"compact": "表头信息压缩为一行", "tall": "表头信息多出两行（批准机关、空行）"}[params["layout"]]
    if dev == "column_order":
        return "表1栏目顺序调整为：" + "、".join(form("TR1").column(c).short_name for c in params["order"])
    if dev in ("unit_alias", "unit_traditional", "unit_suffix"):
        return f"单位名称写作“{params['name']}”（表内和文件名）"
    return ""


def _numeric_forms(forms_in_file: Iterable[str]) -> list[str]:
    return [f for f in forms_in_file if not form(f).is_roster]


def _unit_files(unit: str, year: int, sim: Simulation, entries: list[PlanEntry], p05_partner: str | None,
                rng: np.random.Generator) -> list[_File]:
    devs = {e.deviation: dict(e.params) for e in entries}
    codes = forms_for_unit(unit)
    report = _report_date(rng, year)
    footer = _footer(rng)
    if "missing_year" in devs:
        return [_File("", b"", datetime(year + 1, 1, 31), unit, year, codes,
                      [_row("missing_year", codes, "该单位本年度未报送任何报表", "")], {}, {})]
    truth = sim.values[(unit, year)]
    reported = copy.deepcopy(truth)
    roster = [dict(p) for p in sim.rosters.get((unit, year), [])]
    status = {c: "accepted" for c in codes}
    rows: list[dict] = []

    # rule breaks planted in the figures
    for dev in ("planted_N01", "planted_N05", "planted_N09", "planted_H02"):
        if dev in devs:
            detail: list[str] = []
            rejected = _plant(dev, reported, detail)
            if rejected:
                status[rejected] = "rejected"
            rows.append(_row(dev, [rejected or "TR2"], detail[0], dev.removeprefix("planted_")))
    if "planted_H01" in devs:
        prev = sim.values.get((unit, year - 1), {}).get("TR1", {}).get((100, 1))
        now = truth["TR1"][(100, 1)]
        change = f"（上年{int(prev)}人，本年{int(now)}人，增长{(now / prev - 1) * 100:.1f}%）" if prev else ""
        rows.append(_row("planted_H01", ["TR1"], f"人才资源总量比上年大幅增加{change}，统计范围扩大", "H01"))
    if "planted_F01" in devs:
        status["TR3"] = "rejected"
        reported["TR3"].pop((409, 1))
        rows.append(_row("planted_F01", ["TR3"], "表3第409项填成“不详”，不是数字", "F01"))
    if "planted_J01" in devs:
        dropped = roster.pop()
        status["TR1"] = "rejected"
        rows.append(_row("planted_J01", ["TR1"], f"表4名册漏填1人（{dropped['category']}），名册{len(roster)}人，表1高层次人才{len(roster) + 1}人", "J01"))
    if "planted_P01" in devs:
        p = roster[1]
        good = p["id_number"]
        bad = good[:17] + CHECK_CHARACTERS[(CHECK_CHARACTERS.index(good[17]) + 3) % 11]
        p["id_number"] = bad
        status["TR4"] = "rejected"
        rows.append(_row("planted_P01", ["TR4"], "表4第2人公民身份号码校验码错误", "P01"))
    if "planted_P04" in devs:
        status["TR4"] = "rejected"
        rows.append(_row("planted_P04", ["TR4"], f"表4同一人填报两次（第1行和第{len(roster)}行），名册人数与表1一致", "P04"))
    if "planted_P05" in devs or p05_partner:
        other = [e for e in entries if e.deviation == "planted_P05"]
        partner = unit_name(str(other[0].params["other_unit"]) if other else p05_partner)
        rows.append(_row("planted_P05", ["TR4"], f"表4中有1人同时出现在{partner}的名册中（同一人由两个单位填报）", "P05"))

    # layout
    options = _layout_options(devs, unit, codes)
    layouts = build_workbook_layouts(year, unit, values=reported, roster=roster, report_date=report,
                                     footer=footer, options=options)
    by_form = {lay.form: lay for lay in layouts if lay.form}
    details: dict[str, str] = {}
    _edit_layouts(devs, by_form, reported, details, sim.values.get((unit, year - 1)))
    if "planted_F01" in devs:
        by_form["TR3"].set(*by_form["TR3"].cell(409, 1), "不详")
    for dev, params in devs.items():
        if dev.startswith("planted_") or dev in ("resubmission", "corrupt_file", "not_spreadsheet", "missing_year",
                                                 "unit_mismatch", "neighbour_template", "roster_undated_resubmission"):
            continue
        text = details.get(dev) or _describe(dev, params)
        affected = {"money_yuan": ["TR2"], "money_yiyuan": ["TR2"], "yes_no": ["TR3"],
                    "column_order": ["TR1"], "hidden_rows": ["TR1"], "added_row": ["TR1"],
                    "hidden_stale_rows": ["TR1"], "footnote_marks": ["TR1"],
                    "money_unit_in_header": ["TR2"], "money_unit_in_title": ["TR2"]}.get(dev)
        if dev in ("numbers_as_text", "thousands_separator", "fullwidth_digits", "suffix_ren", "float_noise"):
            affected = ["TR1"] if dev != "float_noise" else ["TR1", "TR2"]
        if dev in ("formula_cached", "formula_uncached"):
            affected = ["TR1", "TR2"]
        if dev == "remark_column":
            affected = ["TR1", "TR2"]
        rows.append(_row(dev, affected or codes, text, _RULES.get(dev, "")))

    # file name(s) and format
    assignment = ""
    legacy = "xls" in devs or "hidden_stale_rows" in devs
    suffix = ".xls" if legacy else ".xlsm" if "xlsm" in devs else ".xlsx"
    engine = "xlwt" if legacy else "xlsxwriter" if "formula_cached" in devs else "openpyxl"
    name = unit_name(unit)
    for key in ("unit_alias", "unit_traditional", "unit_suffix"):
        if key in devs:
            name = devs[key]["name"]
    stem = f"{name}{year}年人才统计报表" if name != unit_name(unit) else Path(template_filename(year, unit, codes if unit == CITY else None)).stem
    if "unit_in_sheet_only" in devs:
        stem = f"人才统计报表（{year}年）"
    if "unit_mismatch" in devs:
        wrong = unit_name(str(devs["unit_mismatch"]["file_unit"]))
        stem = f"{wrong}人才报表{year}"
        rows.append(_row("unit_mismatch", codes, f"文件名写“{wrong}”，表内填报单位为“{unit_name(unit)}”（数据属于后者）；"
                         f"assignments.csv 指定归属{unit_name(unit)}", "X04"))
        assignment = f"文件名误写为{wrong}，表内填报单位和数据均属{unit_name(unit)}，已与该单位核实"
    when = datetime(report.year, report.month, report.day, 12)

    def render(lays: list[SheetLayout], moment: datetime) -> bytes:
        return render_workbook(lays, engine=engine, when=moment, macro_enabled=suffix == ".xlsm")

    instructions = _instructions_with_codes(year, unit) if "instructions_sheet" in devs else layouts[0]
    sheets = list(by_form.values())
    if "stacked_forms" in devs:
        numeric = [by_form[c] for c in _numeric_forms(codes)]
        sheets = [stack_layouts(numeric, "表1至表3"), *(by_form[c] for c in codes if form(c).is_roster)]
    if "decoy_template" in devs:  # the blank template's sheets stay in front of the filled copies
        sheets = [*build_workbook_layouts(year, unit, instructions=False), *sheets]
    files: list[_File] = []
    if "separate_files" in devs:
        for code in codes:
            rel = f"{year}/{name}{year}年{form(code).table_no}{suffix}"
            f_rows = [dict(r, forms=";".join([code])) for r in rows if code in r["forms"].split(";")]
            files.append(_File(rel, render([by_form[code]], when), when, unit, year, [code], f_rows,
                               {code: status[code]}, {k: v for k, v in reported.items() if k == code}))
        return files
    data = render([instructions, *sheets], when)
    rel = f"{year}/{stem}{suffix}"
    if "corrupt_file" in devs:
        data = data[: len(data) * 3 // 5]
        rows = [_row("corrupt_file", codes, "文件传输不完整（xlsx被截断），无法打开", "X01")]
        status = {c: "unreadable" for c in codes}
    if "not_spreadsheet" in devs:
        data = _not_a_spreadsheet(unit, year)
        rows = [_row("not_spreadsheet", codes, "误将文字说明（纯文本）改名为.xlsx报送", "X01")]
        status = {c: "unreadable" for c in codes}
    if "resubmission" in devs:
        old_reported = copy.deepcopy(reported)
        planted = str(devs["resubmission"].get("planted", "planted_N01"))
        detail: list[str] = []
        _plant(planted, old_reported, detail)
        old_layouts = build_workbook_layouts(year, unit, values=old_reported, roster=roster, report_date=report,
                                             footer=footer, options=options)
        files.append(_File(rel, render(old_layouts, when), when, unit, year, codes,
                           [_row("resubmission", codes, f"首次报送（报出日期{report:%Y-%m-%d}），{detail[0]}；已被更正版本取代", "")],
                           {c: "superseded" for c in codes}, old_reported))
        later = date(year + 1, 2, 10)
        when = datetime(later.year, later.month, later.day, 12)
        new_layouts = build_workbook_layouts(year, unit, values=reported, roster=roster, report_date=later,
                                             footer=footer, options=options)
        data = render(new_layouts, when)
        rel = f"{year}/{stem}（更正）{suffix}"
        rows.append(_row("resubmission", codes, f"更正后重新报送（报出日期{later:%Y-%m-%d}），改正了首次报送中的表内错误", ""))
    if "roster_undated_resubmission" in devs:
        old_file, (data, when, rel) = _undated_resubmission(year, unit, codes, reported, roster, report, footer,
                                                            options, stem, suffix, render)
        files.append(old_file)
        rows.append(_row("roster_undated_resubmission", codes,
                         f"更正后重新报送（表1至表3报出日期{when:%Y-%m-%d}），但文件修改时间早于首次报送的文件；"
                         "表4名册没有自己的报出日期，应随工作簿的报出日期", ""))
    if "neighbour_template" in devs:
        files.append(_neighbour_file(year, unit, str(devs["neighbour_template"]["sheet_unit"]), codes, reported,
                                     roster, footer, options, stem, suffix, render))
    files.append(_File(rel, data, when, unit, year, codes, rows or [_row("clean", codes, "按官方模板规范填报", "")],
                       status, reported, assignment))
    return files


def _drop_report_date(layouts: Iterable[SheetLayout], form_code: str) -> None:
    """Blank the 报出日期 line of one form's footer (the roster sheet of roster_undated_resubmission)."""
    for lay in layouts:
        if lay.form != form_code:
            continue
        for r, role in enumerate(lay.roles):
            for c, v in enumerate(lay.rows[r] if role == "footer" else ()):
                if isinstance(v, str) and v.startswith("报出日期"):
                    lay.rows[r][c] = None


def _undated_resubmission(year, unit, codes, reported, roster, report, footer, options, stem, suffix, render):
    """roster_undated_resubmission: the first version (its roster with a wrong ID check digit) and
    the corrected one (later 报出日期 on TR1-TR3), whose file time is the EARLIER of the two (the
    first version was saved again after the correction came in); neither roster sheet has a
    报出日期 of its own. Returns the superseded first version, and (bytes, time, path) of the
    corrected one."""
    roster_codes = [c for c in codes if form(c).is_roster]
    old_roster = [dict(p) for p in roster]
    good = old_roster[1]["id_number"]
    old_roster[1]["id_number"] = good[:17] + CHECK_CHARACTERS[(CHECK_CHARACTERS.index(good[17]) + 3) % 11]
    later = date(year + 1, 2, 10)
    new_when = datetime(later.year, later.month, later.day, 12)
    old_when = new_when + timedelta(days=4)
    versions = []
    for people, day in ((old_roster, report), (roster, later)):
        lays = build_workbook_layouts(year, unit, values=reported, roster=people, report_date=day,
                                      footer=footer, options=options)
        for code in roster_codes:
            _drop_report_date(lays, code)
        versions.append(lays)
    old = _File(f"{year}/{stem}{suffix}", render(versions[0], old_when), old_when, unit, year, codes,
                [_row("roster_undated_resubmission", codes,
                      f"首次报送（表1至表3报出日期{report:%Y-%m-%d}），表4第2人公民身份号码校验码错误；"
                      "文件修改时间晚于更正版本；已被更正版本取代", "")],
                {c: "superseded" for c in codes}, copy.deepcopy(reported))
    return old, (render(versions[1], new_when), new_when, f"{year}/{stem}（更正版）{suffix}")


def _neighbour_file(year, unit, other, codes, reported, roster, footer, options, stem, suffix, render) -> _File:
    """neighbour_template: a newer file named for ``unit`` (and holding its figures) typed into the
    neighbour ``other``'s template, so its 填报单位 cells name ``other``. It must be held (X04
    error, every form rejected) and supersede nobody; the unit's own file stands. Its numbers are
    no reading of anyone's data until the statistician assigns it, so the truth leaves them out."""
    day = date(year + 1, 2, 3)
    when = datetime(day.year, day.month, day.day, 12)
    borrowed = {c: replace(o, unit_label=unit_name(other)) for c, o in options.items()}
    lays = build_workbook_layouts(year, unit, values=reported, roster=roster, report_date=day, footer=footer,
                                  options=borrowed)
    detail = (f"另一份以{unit_name(unit)}命名的较新文件（报出日期{day:%Y-%m-%d}），表内填报单位却是邻镇"
              f"“{unit_name(other)}”（套用了其模板）：应暂缓入库，不得取代任何单位的数据，待统计人员指定归属")
    return _File(f"{year}/{stem}（修改稿）{suffix}", render(lays, when), when, unit, year, codes,
                 [_row("neighbour_template", codes, detail, "X04")], {c: "rejected" for c in codes}, {})


_CODE_NOTES = {
    100: "六支人才队伍之和", 110: "党政机关、群团机关的工作人员", 120: "企业中从事经营管理的人员",
    130: "具有中专以上学历或初级以上职称的专业技术人员", 140: "取得高级工以上职业资格的人员",
    150: "经认定的农村实用人才", 160: "从事社会工作服务的专业人员",
    300: "本镇（街道、园区）全年财政总收入", 310: "年初预算安排的人才专项资金",
    320: "全年实际支出的人才专项资金",
}


def _instructions_with_codes(year: int, unit: str) -> SheetLayout:
    """instructions_sheet: a town's own 填表说明 sheet quoting 表号, titles, item codes and names
    (a table 代码 | 项目 | 说明) and the sum rules in prose; it holds no figures."""
    codes = forms_for_unit(unit)
    tr1, tr2 = form("TR1"), form("TR2")
    rows: list[list[object]] = [["填表说明", None, None], [f"{year}年度人才资源统计报表", None, None],
                                ["表号", "表名", "填报要求"]]
    for c in codes:
        f = form(c)
        rows.append([f.table_no, f.title, "按名册逐人填写" if f.is_roster else f"单位：{f.unit or '见计量单位栏'}"])
    rows += [[None] * 3, ["代码", "项目", "说明"]]
    rows += [[it.code, it.name, _CODE_NOTES.get(it.code, "按统计口径填写")] for f in (tr1, tr2) for it in f.items]
    rows += [[None] * 3,
             [f"一、{tr1.table_no}：人才资源总量（100）= 党政人才（110）+ 企业经营管理人才（120）+ 专业技术人才（130）"
              "+ 高技能人才（140）+ 农村实用人才（150）+ 社会工作人才（160）。", None, None],
             ["二、各行合计 = 博士研究生 + 硕士研究生 + 大学本科 + 大学专科 + 中专及以下 = 各年龄段之和。", None, None],
             ["三、高技能人才（140）= 高级技师（141）+ 技师（142）+ 高级工（143）。", None, None],
             [f"四、{tr2.table_no}金额以万元为单位；人才专项资金实际支出额（320）= 321至326项之和。", None, None]]
    return SheetLayout(name="填表说明", form=None, rows=rows,
                       roles=["title"] + ["text"] * (len(rows) - 1), widths=[12.0, 40.0, 60.0])


def _not_a_spreadsheet(unit: str, year: int) -> bytes:
    text = (f"{unit_name(unit)}{year}年人才工作情况说明\r\n\r\n"
            f"　　{year}年，我镇（街）认真贯彻落实市委市政府关于人才工作的部署，"
            "人才统计报表另行报送。\r\n")
    return text.encode("gb18030")


def _row(deviation: str, forms_: list[str], detail: str, rules: str) -> dict:
    return {"deviation": deviation, "forms": ";".join(forms_), "detail": detail, "expected_rules": rules}


def _status_of(row_forms: str, status: Mapping[str, str]) -> str:
    found = [status.get(f, "") for f in row_forms.split(";") if status.get(f)]
    for s in ("unreadable", "superseded", "rejected"):
        if s in found:
            return s
    return "accepted" if found else "missing"


def _tables(files: list[_File]) -> tuple[pd.DataFrame, pd.DataFrame]:
    cat, truth = [], []
    for f in files:
        for r in f.rows:
            cat.append({"file": f.rel, "year": f.year, "unit_code": f.unit, **r,
                        "expected_status": _status_of(r["forms"], f.status)})
        for code in _numeric_forms(f.forms):
            st = f.status.get(code)
            if st not in ("accepted", "rejected"):
                continue
            for (item, col), v in sorted(f.reported.get(code, {}).items()):
                truth.append({"year": f.year, "unit_code": f.unit, "form": code, "item": item, "column": col,
                              "value": float(v), "file": f.rel, "accepted": st == "accepted"})
    catalogue = pd.DataFrame(cat, columns=CATALOGUE_COLUMNS).astype(
        {"year": "int64", "unit_code": "string", "file": "string"})
    catalogue = catalogue.sort_values(["year", "unit_code", "file", "deviation"], kind="stable").reset_index(drop=True)
    truth_df = pd.DataFrame(truth, columns=TRUTH_COLUMNS).astype(
        {"year": "int64", "unit_code": "string", "form": "string", "item": "int64", "column": "int64",
         "value": "float64", "file": "string", "accepted": "bool"})
    truth_df = truth_df.sort_values(["year", "unit_code", "form", "item", "column"], kind="stable").reset_index(drop=True)
    return catalogue, truth_df


def generate_sample(out_dir: str | Path, *, seed: int = SEED, years: Iterable[int] = YEARS) -> SampleResult:
    """Write the sample collection into ``out_dir/<year>/`` with catalogue.csv and truth.csv.

    Deterministic for a seed: the same bytes on a rerun (fixed workbook timestamps, file mtimes
    set to noon of the 报出日期). ``assignments.csv`` beside the year folders assigns the files
    whose name names another unit (unit_mismatch) to the unit whose data they hold, as the
    statistician would after checking (``talentstats build`` reads it). Spreadsheet files in the year folders that this run did not
    write are removed, so the folder holds exactly the collection the catalogue describes.

    Parameters
    ----------
    out_dir : the collection's folder (``talentstats.paths.sample_dir()`` by default in the CLI).
    seed : random seed of the simulation and the invented names.
    years : report years (the plan's entries for other years are ignored).

    Returns
    -------
    SampleResult with the files written, the catalogue, the truth and the assignments as
    DataFrames.

    Raises
    ------
    ParameterError
        When a profile other than the packaged (Dongguan) one is selected: the collection is
        Dongguan's demonstration.
    """
    out = Path(out_dir)
    years = sorted(years)
    plan = [e for e in load_plan() if e.year in years]
    sim = simulate(seed, years, plan)
    rng = np.random.default_rng([seed, 1])
    files: list[_File] = []
    for year in years:
        partners = {str(e.params["other_unit"]): e.unit for e in plan if e.deviation == "planted_P05" and e.year == year}
        for u in [*(x.code for x in reporting_units()), CITY]:
            entries = [e for e in plan if e.unit == u and e.year == year]
            files += _unit_files(u, year, sim, entries, partners.get(u), rng)

    written = []
    for f in files:
        if not f.rel:
            continue
        path = out / f.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != f.data:
            path.write_bytes(f.data)
        stamp = f.when.replace(tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))
        written.append(path)
    keep = set(written)
    for year in years:
        for p in (out / str(year)).glob("*"):
            if p.is_file() and p not in keep and p.suffix.lower() in {".xlsx", ".xls", ".xlsm"}:
                p.unlink()
    catalogue, truth = _tables(files)
    catalogue.to_csv(out / "catalogue.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    truth.to_csv(out / "truth.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    assignments = pd.DataFrame([{"file": f.rel, "unit": f.unit, "note": f.assignment} for f in files if f.assignment],
                               columns=ASSIGNMENT_COLUMNS)
    assignments.to_csv(out / "assignments.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    return SampleResult(out, written, catalogue, truth, assignments)
