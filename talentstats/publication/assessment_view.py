"""Tables and text of the internal assessment report (人才工作目标责任考核报告).

Pure functions over a :class:`~talentstats.publication.tables.BulletinData`: the ranking with the
four dimension scores and the change on last year, the units below the 3% fund ratio, the units
missing TR3 minima, the units without a score. Scores come from the ``indicators`` dataset
(I14, I14.D1..D4, I14.rank, computed by ``talentstats.analysis.assessment``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from talentstats.analysis.assessment import dimension_table
from talentstats.publication import tables as T
from talentstats.publication.numbers import (
    MISSING,
    bulletin_number,
    format_percent,
    format_wan_yuan,
    is_missing,
    join_list,
)

if TYPE_CHECKING:
    from talentstats.profile.config import Profile

__all__ = [
    "fund_noncompliance_table",
    "fund_text",
    "mechanism_noncompliance_table",
    "mechanism_text",
    "method_note",
    "ranking",
    "ranking_table",
    "summary",
    "unscored_text",
]

DIMENSIONS = ("D1", "D2", "D3", "D4")


def _dimension_names(profile: Profile) -> dict[str, str]:
    dims = dimension_table(profile)
    return dict(zip(dims["dimension"], dims["dimension_name"], strict=False))


def ranking(profile: Profile, ind: pd.DataFrame, year: int) -> pd.DataFrame:
    """Scored units by rank: unit_code, name, rank, score, D1..D4, score_prev, rank_prev."""
    cols = {"I14": "score", "I14.rank": "rank", **{f"I14.{d}": d for d in DIMENSIONS}}
    sel = ind[(ind["year"] == year) & ind["indicator"].isin(list(cols))]
    wide = sel.pivot_table(index="unit_code", columns="indicator", values="value", aggfunc="first")
    wide = wide.reindex(columns=list(cols)).rename(columns=cols).dropna(subset=["score"])
    prev = T.indicator_by_unit(profile, ind, year - 1, "I14")
    prev_rank = T.indicator_by_unit(profile, ind, year - 1, "I14.rank")
    out = wide.assign(score_prev=wide.index.map(prev), rank_prev=wide.index.map(prev_rank)).reset_index()
    out = out.assign(name=[T.unit_name(profile, c) for c in out["unit_code"]])
    return out.sort_values(["rank", "unit_code"], kind="stable").reset_index(drop=True)


def _rank_change(rank: float, prev: float) -> str:
    if is_missing(prev):
        return MISSING
    diff = int(prev) - int(rank)
    return "持平" if diff == 0 else f"上升{diff}位" if diff > 0 else f"下降{-diff}位"


def ranking_table(data: T.BulletinData) -> pd.DataFrame:
    """表: 位次, unit, 综合得分, the four dimension scores, 比上年 (score and rank)."""
    r = ranking(data.profile, data.indicators, data.year)
    names = _dimension_names(data.profile)
    table = pd.DataFrame(
        {
            "位次": [bulletin_number(v, 0) for v in r["rank"]],
            data.profile.city.unit_term: r["name"].to_list(),
            "综合得分": [bulletin_number(v, 1) for v in r["score"]],
            **{names.get(d, d): [bulletin_number(v, 1) for v in r[d]] for d in DIMENSIONS},
            "得分比上年增减": [
                MISSING if is_missing(p) else f"{'+' if s - p > 0.05 else ''}{bulletin_number(s - p, 1)}"
                for s, p in zip(r["score"], r["score_prev"], strict=True)
            ],
            "位次变化": [_rank_change(a, b) for a, b in zip(r["rank"], r["rank_prev"], strict=True)],
        }
    )
    return table


def summary(data: T.BulletinData) -> str:
    """Opening paragraph: how many units were scored, the top three, the largest movers."""
    r = ranking(data.profile, data.indicators, data.year)
    if r.empty:
        return f"{data.year}年无考核得分数据。"
    top = join_list(f"{n}（{bulletin_number(s, 1)}分）" for n, s in zip(r["name"].head(3), r["score"].head(3), strict=True))
    text = (
        f"{data.year}年共有{len(r)}个{data.profile.city.unit_term}纳入人才工作目标责任考核，综合得分平均"
        f"{bulletin_number(r['score'].mean(), 1)}分，最高{bulletin_number(r['score'].max(), 1)}分，"
        f"最低{bulletin_number(r['score'].min(), 1)}分。综合得分居前三位的是：{top}。"
    )
    moved = r.dropna(subset=["rank_prev"]).assign(change=lambda f: f["rank_prev"] - f["rank"])
    if not moved.empty and moved["change"].abs().max() > 0:
        up = moved.sort_values(["change", "unit_code"], ascending=[False, True]).iloc[0]
        down = moved.sort_values(["change", "unit_code"], ascending=[True, True]).iloc[0]
        if up["change"] > 0:
            text += f"位次上升最多的是{up['name']}（上升{int(up['change'])}位）"
        if down["change"] < 0:
            text += f"{'，' if up['change'] > 0 else ''}下降最多的是{down['name']}（下降{int(-down['change'])}位）"
        text += "。"
    return text


def fund_noncompliance_table(data: T.BulletinData) -> pd.DataFrame:
    """表: units whose fund ratio is below the line (3%), with the gap, and last year's ratio."""
    fund = T.fund_by_unit(data)
    below = fund[fund["compliant"] == 0].sort_values(["ratio", "unit_code"], kind="stable")
    prev = T.indicator_by_unit(data.profile, data.indicators, data.year - 1, "I08")
    return pd.DataFrame(
        {
            data.profile.city.unit_term: below["name"].to_list(),
            "财政总收入（万元）": [bulletin_number(v, 2) for v in below["revenue"]],
            "预算安排额（万元）": [bulletin_number(v, 2) for v in below["budget"]],
            "比例（%）": [bulletin_number(v, T.FUND_RATIO_DECIMALS) for v in below["ratio"]],
            "上年比例（%）": [bulletin_number(prev.get(c), T.FUND_RATIO_DECIMALS)
                          for c in below["unit_code"]],
            f"距{T.fund_line_label(data.profile, data.year)}缺口（万元）": [bulletin_number(v, 2) for v in below["gap"]],
        }
    )


def fund_text(data: T.BulletinData) -> str:
    """One paragraph on the line (3%): compliant count, units below, total gap."""
    fund = T.fund_by_unit(data)
    if fund.empty:
        return "本年度无有效的人才专项资金数据。"
    below = fund[fund["compliant"] == 0]
    n = int(fund["ratio"].notna().sum())
    line, term = T.fund_line_label(data.profile, data.year), data.profile.city.unit_term
    if below.empty:
        return f"报送有效数据的{n}个{term}人才专项资金预算安排额均达到财政总收入的{line}。"
    return (
        f"报送有效数据的{n}个{term}中，{n - len(below)}个达到{line}要求，{len(below)}个未达到"
        f"（占{format_percent(len(below) / n * 100)}），资金缺口合计{format_wan_yuan(below['gap'].sum())}。"
        "未达标单位应在下一年度预算中足额安排人才专项资金。"
    )


def mechanism_noncompliance_table(data: T.BulletinData) -> pd.DataFrame:
    """表: units missing any TR3 minimum: unit, 达标项数, 未达到的要求."""
    mech = T.mechanisms_by_unit(data.profile, data.observations, data.year)
    if mech.empty:
        return pd.DataFrame()
    short = T.mechanism_shortfalls(data.profile, mech).sort_values(["met", "unit_code"], kind="stable")
    n = len(data.profile.indicators.minima)
    return pd.DataFrame(
        {
            data.profile.city.unit_term: short["name"].to_list(),
            "达标项数": [f"{m}/{n}" for m in short["met"]],
            "未达到的要求": short["unmet"].to_list(),
        }
    )


def mechanism_text(data: T.BulletinData) -> str:
    """One paragraph on the TR3 minima: units meeting all of them, and the others."""
    mech = T.mechanisms_by_unit(data.profile, data.observations, data.year)
    if mech.empty:
        return "本年度无有效的工作机制数据。"
    n = len(data.profile.indicators.minima)
    full = int(T.quoted(data, "I13"))
    return (
        f"报送有效数据的{len(mech)}个{data.profile.city.unit_term}中，{full}个{n}项工作机制要求全部达到，"
        f"{len(mech) - full}个存在未达标项目。"
    )


def unscored_text(data: T.BulletinData) -> str:
    """Units without a score (a form missing or rejected), named."""
    profile = data.profile
    scored = set(ranking(profile, data.indicators, data.year)["unit_code"])
    missing = [c for c in T.reporting_unit_codes(profile) if c not in scored]
    if not missing:
        return f"全部{profile.city.unit_term}均纳入考核。"
    return (
        f"{join_list(T.unit_name(profile, c) for c in missing)}（共{len(missing)}个）因报表未报送或未通过审核，"
        "缺少某一考核维度的全部指标，不计算综合得分和位次。"
    )


def method_note(profile: Profile) -> str:
    """How the score is formed, from the assessment configuration (dimensions, weights, indicators)."""
    dims = dimension_table(profile)
    parts = []
    for _, g in dims.groupby("dimension", sort=True):
        labels = "、".join(g["label"])
        parts.append(f"{g['dimension_name'].iloc[0]}（权重{bulletin_number(g['dimension_weight'].iloc[0], 0)}）：{labels}")
    return (
        "综合得分（0-100分）为四个考核维度得分的加权平均；各维度得分为其指标标准化得分的加权平均。"
        + "；".join(parts)
        + "。权重和指标见考核配置（assessment.yaml）。本报告为内部资料，供领导班子考核使用。"
    )
