"""Sentences of the bulletin, in the register of Chinese statistical bulletins.

Everything here is pure: numbers (and small frames) in, Simplified Chinese text out. Figures
follow the conventions of 统计公报: persons in 万人 with 2 decimals, money in 亿元 with 2
decimals, rates and shares in % with 1 decimal, changes of a share in 百分点. Rounding is
四舍五入 (half up), as statistical offices print it, not Python's round-half-even.

The section builders (``section_total`` ... ``section_notes``) take a
:class:`~talentstats.publication.tables.BulletinData` and return Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from talentstats.analysis.wording import chinese_numeral
from talentstats.publication import tables as T
from talentstats.publication.numbers import (
    MISSING,
    bulletin_number,
    format_percent,
    format_persons,
    format_wan_persons,
    format_wan_yuan,
    format_yi_yuan,
    is_missing,
    join_list,
)
from talentstats.publication.suppress import SUPPRESSED

if TYPE_CHECKING:
    from talentstats.profile.forms import Form

__all__ = [
    "MISSING",
    "ROUNDING_NOTE",
    "build_bulletin",
    "coverage_text",
    "growth_clause",
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
    if is_missing(value) or is_missing(previous) or float(previous) == 0:
        return ""
    rate = (float(value) / float(previous) - 1) * 100
    shown = bulletin_number(abs(rate), 1)
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
    diff = float(value) - float(previous)
    shown = bulletin_number(abs(diff), 1)
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
    y, profile = data.year, data.profile
    city_unit = profile.city.code
    total = T.indicator(data.indicators, y, city_unit, "I01")
    if is_missing(total):
        return _heading(1, "人才资源总量") + "本年度无有效的人才资源数据。\n"
    previous = T.indicator(data.indicators, y - 1, city_unit, "I01")
    parts = [total_sentence(total, previous)]
    matched = T.indicator(data.indicators, y, city_unit, "I02.matched")
    # which units, not how many: one town dropping out while another returns changes the basis
    units, units_prev = (T.coverage(profile, data.submissions, yy, "TR1").accepted for yy in (y, y - 1))
    if not is_missing(matched) and not is_missing(previous) and units != units_prev:
        parts.append(f"因两年报送单位不同，按可比口径计算{growth_clause(100 + matched, 100, subject='').lstrip('，') or '与上年持平'}。")
    density = T.indicator(data.indicators, y, city_unit, "I03")
    if not is_missing(density):
        prev_density = T.indicator(data.indicators, y - 1, city_unit, "I03")
        # the numerator covers the reporting units only, the denominator the whole city
        n_units = len(T.reporting_unit_codes(profile))
        partial = len(units) < n_units
        basis = f"（按{len(units)}个报送单位的人才总量计算）" if partial else ""
        # a change on last year only when both years cover the same units
        change = _density_change(density, prev_density) if units == units_prev else ""
        parts.append(f"全市人才密度为每万人口{bulletin_number(density, 1)}人{basis}{_with(change)}。")
    tr1 = T.city_tr1(profile, data.observations, y)
    if not tr1.empty:
        high = T.cell(tr1, 240, 1)
        if not is_missing(high):
            prev_tr1 = T.city_tr1(profile, data.observations, y - 1)
            parts.append(f"其中，高层次人才{format_persons(high)}{_with(growth_clause(high, T.cell(prev_tr1, 240, 1)))}。")
    return _heading(1, "人才资源总量") + "".join(parts) + "\n"


def _density_change(value: float, previous: float | None) -> str:
    return _difference_clause(value, previous, ("增加", "减少"), "人")


def section_structure(data: T.BulletinData) -> str:
    """二、人才队伍结构: the talent categories (forms.yaml), their counts, shares and change in 百分点."""
    y, profile = data.year, data.profile
    tr1 = T.city_tr1(profile, data.observations, y)
    categories = profile.forms["TR1"].categories
    sentences = []
    for item in categories:
        share = T.indicator(data.indicators, y, profile.city.code, f"I04.{item.code}")
        if is_missing(share):
            continue
        prev = T.indicator(data.indicators, y - 1, profile.city.code, f"I04.{item.code}")
        count = T.cell(tr1, item.code, 1) if not tr1.empty else None
        sentences.append(share_sentence(item.name, count, share, prev))
    if not sentences:
        return _heading(2, "人才队伍结构") + "本年度无有效的人才队伍结构数据。\n"
    body = f"在{chinese_numeral(len(categories))}支人才队伍中，" + "；".join(sentences) + "。"
    return _heading(2, "人才队伍结构") + body + "\n"


def _share_parts(
    tr1_form: Form, tr1: pd.DataFrame, prev: pd.DataFrame, item: int, columns: Sequence[int], base: float
) -> list[str]:
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
    y, profile = data.year, data.profile
    tr1_form, city_unit = profile.forms["TR1"], profile.city.code
    tr1 = T.city_tr1(profile, data.observations, y)
    prev = T.city_tr1(profile, data.observations, y - 1)
    head = _heading(3, "人才素质结构")
    if tr1.empty:
        return head + "本年度无有效的人才素质结构数据。\n"
    total = T.cell(tr1, 100, 1)
    paras = []
    # education
    edu = T.indicator(data.indicators, y, city_unit, "I05")
    edu_prev = T.indicator(data.indicators, y - 1, city_unit, "I05")
    text = "学历结构。"
    if not is_missing(edu):
        text += f"具有大学本科及以上学历的人才占人才资源总量的{format_percent(edu)}{_with(points_clause(edu, edu_prev))}。"
    parts = _share_parts(tr1_form, tr1, prev, 100, (3, 4, 5, 6, 7), total)
    if parts:
        text += "其中，" + "；".join(parts) + "。"
    paras.append(text)
    # titles
    pro = T.cell(tr1, 130, 1)
    text = "职称结构。"
    high = T.indicator(data.indicators, y, city_unit, "I06")
    high_prev = T.indicator(data.indicators, y - 1, city_unit, "I06")
    if not is_missing(pro):
        text += f"专业技术人才{format_persons(pro)}"
        if not is_missing(high):
            text += f"，其中具有高级职称的占{format_percent(high)}{_with(points_clause(high, high_prev))}"
        text += "。"
        items = [
            f"{tr1_form.item(i).name}{format_persons(T.cell(tr1, i, 1))}"
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
                items.append(f"{tr1_form.item(i).name}{format_persons(v)}，占{format_percent(v / skilled * 100)}")
        paras.append(f"技能结构。高技能人才{format_persons(skilled)}，其中" + "；".join(items) + "。")
    # age
    parts = _share_parts(tr1_form, tr1, prev, 100, (8, 9, 10, 11), total)
    if parts:
        paras.append("年龄结构。" + "；".join(parts) + "。")
    # sex
    parts = _share_parts(tr1_form, tr1, prev, 100, (2,), total)
    if parts:
        paras.append("性别结构。" + parts[0].replace("女性", "女性人才", 1) + "。")
    return head + "\n\n".join(paras) + "\n"


def section_distribution(data: T.BulletinData, top_n: int = 10) -> str:
    """四、区域分布: the units with the most talents, and their combined share."""
    y, profile = data.year, data.profile
    top = T.top_units(profile, data.indicators, y, top_n)
    head = _heading(4, "区域分布")
    term = profile.city.unit_term
    if top.empty:
        return head + f"本年度无有效的分{term}数据。\n"
    total = T.quoted(data, "I01")
    listing = join_list(f"{r.name}（{format_persons(r.value)}）" for r in top.itertuples())
    text = f"分{term}看，人才资源总量居前{chinese_numeral(len(top))}位的依次为：{listing}。"
    if total:
        text += f"前{chinese_numeral(len(top))}位合计占全市人才资源总量的{format_percent(top['value'].sum() / total * 100)}。"
    dens = T.indicator_by_unit(profile, data.indicators, y, "I03").dropna()
    if not dens.empty:
        best = dens.idxmax()
        text += f"人才密度最高的是{T.unit_name(profile, best)}，每万人口{bulletin_number(dens.max(), 1)}人。"
    return head + text + "\n"


def section_investment(data: T.BulletinData) -> str:
    """五、人才投入: the city's investment against its targets; the units' fund ratios against the
    line (3% in Dongguan). The targets and the line are the profile's (city.yaml ``targets:``)."""
    y, profile = data.year, data.profile
    term = profile.city.unit_term
    head = _heading(5, "人才投入")
    paras = []
    policy = T.policy_targets(profile, y)
    invest = T.city_investment(data)
    if invest is not None:
        text = (
            f"全年市财政人才投入{format_yi_yuan(invest['amount'])}"
            f"{_with(growth_clause(invest['amount'], invest['previous']))}"
        )
        if policy.annual:
            text += f"，为年度目标（{format_yi_yuan(policy.annual)}）的{format_percent(invest['rate'])}"
        if not is_missing(invest["special"]):
            text += f"，其中{profile.forms['TR5'].item(510).name}{format_yi_yuan(invest['special'])}"
        text += "。"
        if not is_missing(invest["cumulative"]):
            span = policy.cumulative_years
            period = f"{chinese_numeral(span)}年目标" if span and span < 100 else "累计目标"
            text += (
                f"{policy.start}年以来累计投入{format_yi_yuan(invest['cumulative'])}，"
                f"为{period}（{format_yi_yuan(policy.cumulative)}）的{format_percent(invest['cumulative_rate'])}。"
            )
        paras.append(text)
    fund = T.fund_by_unit(data)
    if not fund.empty:
        totals = fund[["revenue", "budget", "spent"]].sum(min_count=1)
        text = (
            f"各{term}人才专项资金预算安排额合计{format_yi_yuan(totals['budget'])}，"
            f"占财政总收入的{format_percent(T.quoted(data, 'I08'))}；实际支出{format_yi_yuan(totals['spent'])}"
        )
        execution = T.indicator(data.indicators, y, profile.city.code, "I11")  # none when nothing was budgeted
        if not is_missing(execution):
            text += f"，执行率{format_percent(execution)}"
        text += "。"
        n_units = int(fund["ratio"].notna().sum())
        text += (
            f"在报送有效数据的{n_units}个{term}中，{bulletin_number(T.quoted(data, 'I09'), 0)}个人才专项资金"
            f"预算安排额达到财政总收入{T.fund_line_label(profile, y)}的要求，占{format_percent(T.quoted(data, 'I09.share'))}"
        )
        below = fund[fund["compliant"] == 0].sort_values("ratio")
        if below.empty:
            text += "。"
        else:
            listing = join_list(
                f"{r.name}（{format_percent(r.ratio, T.FUND_RATIO_DECIMALS)}，缺口{format_wan_yuan(r.gap)}）"
                for r in below.itertuples()
            )
            text += (
                f"；未达到要求的{len(below)}个，为{listing}，"
                f"资金缺口合计{format_wan_yuan(T.quoted(data, 'I10'))}。"
            )
        paras.append(text)
    if not paras:
        return head + "本年度无有效的人才投入数据。\n"
    return head + "\n\n".join(paras) + "\n"


def section_mechanisms(data: T.BulletinData) -> str:
    """六、党管人才工作机制: mechanisms in place, activity totals, minima met (I13)."""
    y, profile = data.year, data.profile
    term = profile.city.unit_term
    head = _heading(6, "党管人才工作机制")
    mech = T.mechanisms_by_unit(profile, data.observations, y)
    if mech.empty:
        return head + "本年度无有效的工作机制数据。\n"
    n = len(mech)
    text = (
        f"在报送有效数据的{n}个{term}中，{int((mech[401] == 1).sum())}个成立了人才工作领导小组，"
        f"{int((mech[402] == 1).sum())}个设立了人才工作领导小组办公室，"
        f"人才工作机构专职人员共{bulletin_number(mech[403].sum(), 0)}人。"
        f"全年各{term}党委专题研究人才工作会议共{bulletin_number(mech[404].sum(), 0)}次，"
        f"召开人才工作情况通报会{bulletin_number(mech[405].sum(), 0)}次，"
        f"开展人才政策宣讲活动{bulletin_number(mech[406].sum(), 0)}次、人才工作专项调研{bulletin_number(mech[407].sum(), 0)}次，"
        f"人才工作者参加教育培训或实践锻炼{bulletin_number(mech[408].sum(), 0)}人次；"
        f"领导班子成员直接联系服务高层次人才{bulletin_number(mech[409].sum(), 0)}人。"
    )
    met = T.mechanism_minima_met(data)
    text += (
        f"{len(profile.indicators.minima)}项工作机制要求全部达到的有{bulletin_number(T.quoted(data, 'I13'), 0)}个，"
        f"平均每个{term}达到{bulletin_number(met.mean(), 1)}项。"
    )
    return head + text + "\n"


_COVERED_FORMS = (("TR1", "人才资源数据"), ("TR2", "人才专项资金数据"), ("TR3", "工作机制数据"), ("TR4", "高层次人才名册"))


def coverage_text(data: T.BulletinData) -> str:
    """数据覆盖: units covered per form (coverage.<form>), naming rejected units and missing ones.

    Units that sent none of the forms are named once; a unit missing only some forms is named
    under those forms.
    """
    profile = data.profile
    covs = [(code, what, T.coverage(profile, data.submissions, data.year, code)) for code, what in _COVERED_FORMS]
    common = set.intersection(*(set(c.missing) for _, _, c in covs))
    parts = []
    for code, what, cov in covs:
        accepted = int(T.quoted(data, f"coverage.{code}"))
        s = f"{what}（{profile.forms[code].table_no}）覆盖{accepted}个{profile.city.unit_term}"
        if cov.rejected:
            s += f"，{join_list(T.unit_name(profile, c) for c in cov.rejected)}报表未通过审核"
        extra = [c for c in cov.missing if c not in common]
        if extra:
            s += f"，{join_list(T.unit_name(profile, c) for c in extra)}未报送"
        parts.append(s)
    text = "；".join(parts) + "。"
    if common:
        names = join_list(T.unit_name(profile, c) for c in T.reporting_unit_codes(profile) if c in common)
        text += f"{names}（共{len(common)}个）未报送报表。"
    return text + "未报送或未通过审核的单位，相关数据未纳入统计，相应指标缺失，不以0计。"


def _sources(forms: Mapping[str, Form], text: str) -> str:
    """'TR1 100/1; TR2 310/1' -> '东人统1表 100/1；东人统2表 310/1' (the forms' printed numbers)."""
    out = text.replace("; ", "；")
    for code, f in forms.items():
        out = out.replace(code, f.table_no)
    return out


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def section_notes(data: T.BulletinData, *, threshold: int = 3) -> str:
    """附注: definitions and sources (indicator dictionary), coverage, rounding, symbols."""
    profile = data.profile
    notes: list[str] = []
    n = 1
    the_city, no = profile.city, {c: profile.forms[c].table_no for c in ("TR1", "TR4", "TR5")}
    term = the_city.unit_term
    notes.append(
        f"{n}. 统计范围：全市{len(T.reporting_unit_codes(profile))}个{term}。数据来源于各{term}"
        f"报送的{the_city.name}人才资源统计报表（{no['TR1']}至{no['TR4']}）和{the_city.office}报送的市本级人才投入情况"
        f"（{no['TR5']}）。统计时点为{data.year}年12月31日，人才专项资金和工作机制为全年数据。"
    )
    n += 1
    notes.append(f"{n}. 数据覆盖：" + coverage_text(data))
    n += 1
    if not data.dictionary.empty:
        defs = []
        entries = profile.indicators.entries
        for ind_id, r in zip(T.dictionary_ids(data.dictionary), data.dictionary.itertuples(), strict=True):
            if ind_id not in entries or not entries[ind_id].quoted:
                continue
            unit = f"（{r.unit}）" if _text(r.unit) and r.unit != "—" else ""
            src = f"资料来源：{_sources(profile.forms, r.sources)}。" if _text(r.sources) else ""
            note = f"{str(r.note).rstrip('。')}。" if _text(getattr(r, "note", None)) else ""
            defs.append(f"    - {r.name}{unit}：{str(r.definition).rstrip('。')}。{note}{src}")
        notes.append(f"{n}. 主要指标解释：\n\n" + "\n".join(defs))
        n += 1
    basis = data.population_basis
    if basis:
        method = profile.reference.bulletin_note  # the profile's reference/city_population.yaml
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
