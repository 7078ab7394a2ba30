"""Sentences of the bulletin, in the register of Chinese statistical bulletins.

Everything here is pure: numbers (and small frames) in, Simplified Chinese text out. Figures
follow the conventions of 统计公报: persons in 万人 with 2 decimals, money in 亿元 with 2
decimals, rates and shares in % with 1 decimal, changes of a share in 百分点. Rounding is
四舍五入 (half up), as statistical offices print it, not Python's round-half-even.

The section builders (``section_total`` ... ``section_notes``) take a
:class:`~talentstats.publication.tables.BulletinData` and return Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from talentstats.analysis.indicators import mechanism_minima
from talentstats.profile import forms
from talentstats.profile.config import city
from talentstats.profile.reference import population_notes
from talentstats.profile.units import city_code, unit_name
from talentstats.publication import tables as T
from talentstats.publication.numbers import (
    MISSING,
    chinese_numeral,
    format_number,
    format_percent,
    format_persons,
    format_wan_persons,
    format_wan_yuan,
    format_yi_yuan,
    is_missing,
    join_list,
)
from talentstats.publication.suppress import SUPPRESSED

__all__ = [
    "MISSING",
    "ROUNDING_NOTE",
    "build_bulletin",
    "chinese_numeral",
    "coverage_text",
    "format_number",
    "format_percent",
    "format_persons",
    "format_wan_persons",
    "format_yi_yuan",
    "growth_clause",
    "join_list",
    "points_clause",
    "section_distribution",
    "section_investment",
    "section_mechanisms",
    "section_notes",
    "section_quality",
    "section_structure",
    "section_total",
    "share_sentence",
    "total_sentence",
]

ROUNDING_NOTE = "部分数据因四舍五入，分项合计与总计略有差异。"


# --------------------------------------------------------------------------- clauses


def growth_clause(value: float, previous: float | None, *, subject: str = "比上年") -> str:
    """'比上年增长6.2%', '比上年下降3.1%', '与上年持平', or '' without a previous value.

    The change is computed from unrounded values; one that rounds to 0.0% reads 持平.
    """
    if is_missing(value) or is_missing(previous) or float(previous) == 0:  # type: ignore[arg-type]
        return ""
    rate = (float(value) / float(previous) - 1) * 100  # type: ignore[arg-type]
    shown = format_number(abs(rate), 1)
    if shown == "0.0":
        return "与上年持平"
    return f"{subject}{'增长' if rate > 0 else '下降'}{shown}%"


def points_clause(share: float, previous: float | None, *, subject: str = "比上年") -> str:
    """Change of a share in 百分点: '比上年提高0.8个百分点', '…降低…', '与上年持平' or ''."""
    if is_missing(share):
        return ""
    return _difference_clause(share, previous, ("提高", "降低"), "个百分点", subject)


def _difference_clause(value: float, previous: float | None, words: tuple[str, str],
                       unit: str, subject: str = "比上年") -> str:
    """An absolute change, 1 decimal: '比上年提高0.8个百分点', '与上年持平', or '' without a base."""
    if is_missing(previous):
        return ""
    diff = float(value) - float(previous)  # type: ignore[arg-type]
    shown = format_number(abs(diff), 1)
    if shown == "0.0":
        return "与上年持平"
    return f"{subject}{words[0] if diff > 0 else words[1]}{shown}{unit}"


def _with(clause: str) -> str:
    return f"，{clause}" if clause else ""


def total_sentence(value: float, previous: float | None = None) -> str:
    """「年末全市人才资源总量128.35万人，比上年增长6.2%。」 (value in persons)."""
    return f"年末全市人才资源总量{format_wan_persons(value)}{_with(growth_clause(value, previous))}。"


def share_sentence(
    label: str, count: float | None, share: float, previous_share: float | None = None
) -> str:
    """「专业技术人才52.10万人，占人才资源总量的41.9%，比上年提高0.8个百分点」 (no full stop)."""
    head = f"{label}{format_persons(count)}，" if not is_missing(count) else label
    return f"{head}占人才资源总量的{format_percent(share)}{_with(points_clause(share, previous_share))}"


# --------------------------------------------------------------------------- sections


def _heading(n: int, title: str) -> str:
    return f"## {chinese_numeral(n)}、{title}\n\n"


def section_total(data: T.BulletinData) -> str:
    """一、人才资源总量: total, growth, density, coverage of the figure."""
    y = data.year
    total = T.indicator(data.indicators, y, city_code(), "I01")
    if is_missing(total):
        return _heading(1, "人才资源总量") + "本年度无有效的人才资源数据。\n"
    previous = T.indicator(data.indicators, y - 1, city_code(), "I01")
    parts = [total_sentence(total, previous)]
    matched = T.indicator(data.indicators, y, city_code(), "I02.matched")
    # which units, not how many: one town dropping out while another returns changes the basis
    units, units_prev = (T.coverage(data.submissions, yy, "TR1").accepted for yy in (y, y - 1))
    if not is_missing(matched) and not is_missing(previous) and units != units_prev:
        parts.append(f"因两年报送单位不同，按可比口径计算{growth_clause(100 + matched, 100, subject='').lstrip('，') or '与上年持平'}。")
    density = T.indicator(data.indicators, y, city_code(), "I03")
    if not is_missing(density):
        prev_density = T.indicator(data.indicators, y - 1, city_code(), "I03")
        # the numerator covers the reporting units only, the denominator the whole city
        n_units = len(T.reporting_unit_codes())
        partial = len(units) < n_units
        basis = f"（按{len(units)}个报送单位的人才总量计算）" if partial else ""
        # a change on last year only when both years cover the same units
        change = _density_change(density, prev_density) if units == units_prev else ""
        parts.append(f"全市人才密度为每万人口{format_number(density, 1)}人{basis}{_with(change)}。")
    tr1 = T.city_tr1(data.observations, y)
    if not tr1.empty:
        high = T.cell(tr1, 240, 1)
        if not is_missing(high):
            parts.append(f"其中，高层次人才{format_persons(high)}{_with(growth_clause(high, T.cell(T.city_tr1(data.observations, y - 1), 240, 1)))}。")
    return _heading(1, "人才资源总量") + "".join(parts) + "\n"


def _density_change(value: float, previous: float | None) -> str:
    return _difference_clause(value, previous, ("增加", "减少"), "人")


def section_structure(data: T.BulletinData) -> str:
    """二、人才队伍结构: the six categories, their counts, shares and change in 百分点."""
    y = data.year
    tr1 = T.city_tr1(data.observations, y)
    sentences = []
    for code in T.CATEGORY_ITEMS:
        share = T.indicator(data.indicators, y, city_code(), f"I04.{code}")
        if is_missing(share):
            continue
        prev = T.indicator(data.indicators, y - 1, city_code(), f"I04.{code}")
        count = T.cell(tr1, code, 1) if not tr1.empty else None
        sentences.append(share_sentence(forms.form("TR1").item(code).name, count, share, prev))
    if not sentences:
        return _heading(2, "人才队伍结构") + "本年度无有效的人才队伍结构数据。\n"
    body = "在六支人才队伍中，" + "；".join(sentences) + "。"
    return _heading(2, "人才队伍结构") + body + "\n"


def _share_parts(
    tr1: pd.DataFrame, prev: pd.DataFrame, item: int, columns: Sequence[int], base: float
) -> list[str]:
    tr1_form = forms.form("TR1")
    out = []
    prev_base = T.cell(prev, item, 1) if not prev.empty else None
    for col in columns:
        v = T.cell(tr1, item, col)
        if is_missing(v) or is_missing(base) or base == 0:
            continue
        share = v / base * 100
        prev_share = None
        if not is_missing(prev_base) and prev_base:
            pv = T.cell(prev, item, col)
            prev_share = None if is_missing(pv) else pv / prev_base * 100
        out.append(
            f"{tr1_form.column(col).short_name}{format_persons(v)}，占{format_percent(share)}"
            f"{_with(points_clause(share, prev_share))}"
        )
    return out


def section_quality(data: T.BulletinData) -> str:
    """三、人才素质结构: education, professional titles, skill levels, age and sex."""
    y = data.year
    tr1 = T.city_tr1(data.observations, y)
    prev = T.city_tr1(data.observations, y - 1)
    head = _heading(3, "人才素质结构")
    if tr1.empty:
        return head + "本年度无有效的人才素质结构数据。\n"
    total = T.cell(tr1, 100, 1)
    paras = []
    # education
    edu = T.indicator(data.indicators, y, city_code(), "I05")
    edu_prev = T.indicator(data.indicators, y - 1, city_code(), "I05")
    text = "学历结构。"
    if not is_missing(edu):
        text += f"具有大学本科及以上学历的人才占人才资源总量的{format_percent(edu)}{_with(points_clause(edu, edu_prev))}。"
    parts = _share_parts(tr1, prev, 100, (3, 4, 5, 6, 7), total)
    if parts:
        text += "其中，" + "；".join(parts) + "。"
    paras.append(text)
    # titles
    pro = T.cell(tr1, 130, 1)
    text = "职称结构。"
    high = T.indicator(data.indicators, y, city_code(), "I06")
    high_prev = T.indicator(data.indicators, y - 1, city_code(), "I06")
    if not is_missing(pro):
        text += f"专业技术人才{format_persons(pro)}"
        if not is_missing(high):
            text += f"，其中具有高级职称的占{format_percent(high)}{_with(points_clause(high, high_prev))}"
        text += "。"
        items = [
            f"{forms.form('TR1').item(i).name}{format_persons(T.cell(tr1, i, 1))}"
            for i in (131, 132, 133)
            if not is_missing(T.cell(tr1, i, 1))
        ]
        if items:
            text += "具有" + join_list(items) + "。"
        paras.append(text)
    # skills
    skilled = T.cell(tr1, 140, 1)
    if not is_missing(skilled) and skilled:
        items = []
        for i in (141, 142, 143):
            v = T.cell(tr1, i, 1)
            if not is_missing(v):
                items.append(f"{forms.form('TR1').item(i).name}{format_persons(v)}，占{format_percent(v / skilled * 100)}")
        paras.append(f"技能结构。高技能人才{format_persons(skilled)}，其中" + "；".join(items) + "。")
    # age
    parts = _share_parts(tr1, prev, 100, (8, 9, 10, 11), total)
    if parts:
        paras.append("年龄结构。" + "；".join(parts) + "。")
    # sex
    parts = _share_parts(tr1, prev, 100, (2,), total)
    if parts:
        paras.append("性别结构。" + parts[0].replace("女性", "女性人才", 1) + "。")
    return head + "\n\n".join(paras) + "\n"


def section_distribution(data: T.BulletinData, top_n: int = 10) -> str:
    """四、区域分布: the units with the most talents, and their combined share."""
    y = data.year
    top = T.top_units(data.indicators, y, top_n)
    head = _heading(4, "区域分布")
    if top.empty:
        return head + "本年度无有效的分镇街数据。\n"
    total = T.indicator(data.indicators, y, city_code(), "I01")
    listing = join_list(f"{r.name}（{format_persons(r.value)}）" for r in top.itertuples())
    text = (
        f"分镇街（园区）看，人才资源总量居前{chinese_numeral(len(top))}位的依次为：{listing}。"
    )
    if not is_missing(total) and total:
        text += f"前{chinese_numeral(len(top))}位合计占全市人才资源总量的{format_percent(top['value'].sum() / total * 100)}。"
    dens = T.indicator_by_unit(data.indicators, y, "I03").dropna()
    if not dens.empty:
        best = dens.idxmax()
        text += f"人才密度最高的是{unit_name(best)}，每万人口{format_number(dens.max(), 1)}人。"
    return head + text + "\n"


def section_investment(data: T.BulletinData) -> str:
    """五、人才投入: the city's investment against its targets; towns' fund ratios against the line.

    The targets and the line (3% in Dongguan) are the profile's (city.yaml ``targets:``).
    """
    y = data.year
    head = _heading(5, "人才投入")
    paras = []
    policy = T.policy_targets()
    invest = T.city_investment(data.observations, data.indicators, y)
    if invest is not None:
        text = (
            f"全年市财政人才投入{format_yi_yuan(invest['amount'])}"
            f"{_with(growth_clause(invest['amount'], invest['previous']))}"
        )
        if policy.annual and not is_missing(invest["rate"]):
            text += f"，为年度目标（{format_yi_yuan(policy.annual)}）的{format_percent(invest['rate'])}"
        if not is_missing(invest["special"]):
            text += f"，其中{forms.form('TR5').item(510).name}{format_yi_yuan(invest['special'])}"
        text += "。"
        if not is_missing(invest["cumulative"]):
            span = policy.cumulative_years
            period = f"{chinese_numeral(span)}年目标" if span and span < 100 else "累计目标"
            text += (
                f"{policy.start}年以来累计投入{format_yi_yuan(invest['cumulative'])}，"
                f"为{period}（{format_yi_yuan(policy.cumulative)}）的{format_percent(invest['cumulative_rate'])}。"
            )
        paras.append(text)
    fund = T.fund_by_unit(data.observations, data.indicators, y)
    if not fund.empty:
        totals = fund[["revenue", "budget", "spent"]].sum(min_count=1)
        ratio = T.indicator(data.indicators, y, city_code(), "I08")
        if is_missing(ratio) and totals["revenue"]:
            ratio = totals["budget"] / totals["revenue"] * 100
        text = (
            f"各镇街（园区）人才专项资金预算安排额合计{format_yi_yuan(totals['budget'])}，"
            f"占财政总收入的{format_percent(ratio)}；实际支出{format_yi_yuan(totals['spent'])}"
        )
        execution = T.indicator(data.indicators, y, city_code(), "I11")
        if is_missing(execution) and totals["budget"]:
            execution = totals["spent"] / totals["budget"] * 100
        if not is_missing(execution):
            text += f"，执行率{format_percent(execution)}"
        text += "。"
        n_units = int(fund["ratio"].notna().sum())
        compliant = T.indicator(data.indicators, y, city_code(), "I09")
        if is_missing(compliant):
            compliant = float((fund["compliant"] == 1).sum())
        share = T.indicator(data.indicators, y, city_code(), "I09.share")
        if is_missing(share) and n_units:
            share = compliant / n_units * 100
        text += (
            f"在报送有效数据的{n_units}个镇街（园区）中，{format_number(compliant, 0)}个人才专项资金"
            f"预算安排额达到财政总收入{T.fund_line_label(y)}的要求，占{format_percent(share)}"
        )
        below = fund[fund["compliant"] == 0].sort_values("ratio")
        if below.empty:
            text += "。"
        else:
            gap = T.indicator(data.indicators, y, city_code(), "I10")
            if is_missing(gap):
                gap = below["gap"].sum()
            listing = join_list(
                f"{r.name}（{format_percent(r.ratio, T.FUND_RATIO_DECIMALS)}，缺口{format_wan_yuan(r.gap)}）"
                for r in below.itertuples()
            )
            text += (
                f"；未达到要求的{len(below)}个，为{listing}，"
                f"资金缺口合计{format_wan_yuan(gap)}。"
            )
        paras.append(text)
    if not paras:
        return head + "本年度无有效的人才投入数据。\n"
    return head + "\n\n".join(paras) + "\n"


def section_mechanisms(data: T.BulletinData) -> str:
    """六、党管人才工作机制: mechanisms in place, activity totals, minima met (I13)."""
    y = data.year
    head = _heading(6, "党管人才工作机制")
    mech = T.mechanisms_by_unit(data.observations, y)
    if mech.empty:
        return head + "本年度无有效的工作机制数据。\n"
    n = len(mech)
    text = (
        f"在报送有效数据的{n}个镇街（园区）中，{int((mech[401] == 1).sum())}个成立了人才工作领导小组，"
        f"{int((mech[402] == 1).sum())}个设立了人才工作领导小组办公室，"
        f"人才工作机构专职人员共{format_number(mech[403].sum(), 0)}人。"
        f"全年各镇街（园区）党委专题研究人才工作会议共{format_number(mech[404].sum(), 0)}次，"
        f"召开人才工作情况通报会{format_number(mech[405].sum(), 0)}次，"
        f"开展人才政策宣讲活动{format_number(mech[406].sum(), 0)}次、人才工作专项调研{format_number(mech[407].sum(), 0)}次，"
        f"人才工作者参加教育培训或实践锻炼{format_number(mech[408].sum(), 0)}人次；"
        f"领导班子成员直接联系服务高层次人才{format_number(mech[409].sum(), 0)}人。"
    )
    met = T.mechanism_minima_met(mech)
    n_minima = len(mechanism_minima())
    full = T.indicator(data.indicators, y, city_code(), "I13")
    if is_missing(full):
        full = int((met == n_minima).sum())
    text += (
        f"{n_minima}项工作机制要求全部达到的有{format_number(full, 0)}个，"
        f"平均每个镇街（园区）达到{format_number(met.mean(), 1)}项。"
    )
    return head + text + "\n"


_COVERED_FORMS = (("TR1", "人才资源数据"), ("TR2", "人才专项资金数据"), ("TR3", "工作机制数据"), ("TR4", "高层次人才名册"))


def coverage_text(data: T.BulletinData) -> str:
    """数据覆盖: units covered per form, naming rejected units and missing ones.

    Units that sent none of the forms are named once; a unit missing only some forms is named
    under those forms.
    """
    covs = [(code, what, T.coverage(data.submissions, data.year, code)) for code, what in _COVERED_FORMS]
    common = set.intersection(*(set(c.missing) for _, _, c in covs))
    parts = []
    for code, what, cov in covs:
        n = T.indicator(data.indicators, data.year, city_code(), f"coverage.{code}")
        accepted = len(cov.accepted) if is_missing(n) else int(n)
        s = f"{what}（{forms.form(code).table_no}）覆盖{accepted}个镇街（园区）"
        if cov.rejected:
            s += f"，{join_list(unit_name(c) for c in cov.rejected)}报表未通过审核"
        extra = [c for c in cov.missing if c not in common]
        if extra:
            s += f"，{join_list(unit_name(c) for c in extra)}未报送"
        parts.append(s)
    text = "；".join(parts) + "。"
    if common:
        names = join_list(unit_name(c) for c in T.reporting_unit_codes() if c in common)
        text += f"{names}（共{len(common)}个）未报送报表。"
    return text + "未报送或未通过审核的单位，相关数据未纳入统计，相应指标缺失，不以0计。"


# The indicators the bulletin quotes, whose definitions 附注 prints (in dictionary order).
QUOTED_INDICATORS = frozenset(
    {"I01", "I02", "I02.matched", "I03", *(f"I04.{c}" for c in T.CATEGORY_ITEMS), "I05", "I06",
     "I07", "I08", "I09", "I09.share", "I10", "I11", "I12", "I12.cum", "I13"}
)


def _sources(text: str) -> str:
    """'TR1 100/1; TR2 310/1' -> '东人统1表 100/1；东人统2表 310/1' (the forms' printed numbers)."""
    out = text.replace("; ", "；")
    for code, f in forms.forms().items():
        out = out.replace(code, f.table_no)
    return out


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def section_notes(data: T.BulletinData, *, threshold: int = 3) -> str:
    """附注: definitions and sources (indicator dictionary), coverage, rounding, symbols."""
    notes: list[str] = []
    n = 1
    the_city, no = city(), {c: forms.form(c).table_no for c in ("TR1", "TR4", "TR5")}
    notes.append(
        f"{n}. 统计范围：全市{len(T.reporting_unit_codes())}个镇街（园区）。数据来源于各镇街（园区）"
        f"报送的{the_city.name}人才资源统计报表（{no['TR1']}至{no['TR4']}）和{the_city.office}报送的市本级人才投入情况"
        f"（{no['TR5']}）。统计时点为{data.year}年12月31日，人才专项资金和工作机制为全年数据。"
    )
    n += 1
    notes.append(f"{n}. 数据覆盖：" + coverage_text(data))
    n += 1
    if not data.dictionary.empty:
        defs = []
        for ind_id, r in zip(T.dictionary_ids(data.dictionary), data.dictionary.itertuples(), strict=True):
            if ind_id not in QUOTED_INDICATORS:
                continue
            unit = f"（{r.unit}）" if _text(r.unit) and r.unit != "—" else ""
            src = f"资料来源：{_sources(r.sources)}。" if _text(r.sources) else ""
            note = f"{str(r.note).rstrip('。')}。" if _text(getattr(r, "note", None)) else ""
            defs.append(f"    - {r.name}{unit}：{str(r.definition).rstrip('。')}。{note}{src}")
        notes.append(f"{n}. 主要指标解释：\n\n" + "\n".join(defs))
        n += 1
    basis = data.population_basis
    if basis:
        method = population_notes()[1]  # the profile's reference/city_population.yaml
        notes.append(
            f"{n}. 人才密度按年末常住人口计算。常住人口为估算数：全市{data.year}年常住人口取{basis}"
            + (f"，{method.rstrip('。')}。" if method else "。")
        )
        n += 1
    notes.append(
        f"{n}. 符号说明：“{MISSING}”表示无数据（未报送或报表未通过审核）；"
        f"“{SUPPRESSED}”表示依据高层次人才名册汇总的单元格人数少于{threshold}人，"
        "或为防止由合计推算而不予公布。"
    )
    n += 1
    notes.append(f"{n}. {ROUNDING_NOTE}")
    return "## 附注\n\n" + "\n\n".join(notes) + "\n"


def build_bulletin(data: T.BulletinData, *, top_n: int = 10, threshold: int = 3) -> dict[str, str]:
    """All sections of the bulletin as Markdown, keyed by section id (total ... notes)."""
    return {
        "total": section_total(data),
        "structure": section_structure(data),
        "quality": section_quality(data),
        "distribution": section_distribution(data, top_n),
        "investment": section_investment(data),
        "mechanisms": section_mechanisms(data),
        "notes": section_notes(data, threshold=threshold),
    }
