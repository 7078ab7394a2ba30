"""The reports' content as an ordered list of blocks: one source for the HTML and the Word draft.

:func:`bulletin_report` and :func:`assessment_report` assemble what the bulletin and the
assessment report say (sentences from ``narrative`` / ``assessment_view``, tables from
``tables``, charts from ``charts``) with their titles and order. The notebooks display these
blocks (the HTML and the PDF come from there), and ``word`` writes the same blocks to .docx, so a
sentence, a table cell or a chart exists once. Pure: a :class:`BulletinData` in, a
:class:`Report` out.

A block is Markdown text (``str``: ``## `` headings, paragraphs, ``N. `` notes with ``    - ``
items), a :class:`Table` or a :class:`Chart`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from talentstats.analysis.wording import chinese_numeral
from talentstats.publication import assessment_view as A
from talentstats.publication import charts as C
from talentstats.publication import narrative as N
from talentstats.publication import tables as T

__all__ = ["Block", "Chart", "Report", "Table", "assessment_report", "bulletin_report"]


@dataclass(frozen=True)
class Table:
    """A display table (strings) with its title (表N …), unit line (单位：…) and note (注：…)."""

    frame: pd.DataFrame
    title: str
    unit: str = ""
    note: str = ""

    def to_html(self) -> str:
        return T.to_html(self.frame, self.title, self.unit, self.note)


@dataclass(frozen=True)
class Chart:
    """A chart (matplotlib figure); its title (图N …) is the image's alternative text."""

    figure: Figure

    @property
    def title(self) -> str:
        return self.figure.axes[0].get_title() if self.figure.axes else ""


Block = str | Table | Chart


@dataclass(frozen=True)
class Report:
    """Title, the lines under it (issuing body, date), and the sections' blocks in order.

    Each section is one cell of the notebook.
    """

    title: str
    subtitle: tuple[str, ...]
    sections: Mapping[str, tuple[Block, ...]]


def bulletin_report(data: T.BulletinData, *, top_n: int = 10, threshold: int = 3,
                    issue_date: str = "") -> Report:
    """The bulletin 《东莞市YYYY年人才资源统计公报》: sections total ... notes (``narrative``)."""
    y, profile = data.year, data.profile
    term = profile.city.unit_term
    text = N.build_bulletin(data, top_n=top_n, threshold=threshold)
    quality: list[Block] = [
        text["quality"],
        Table(T.quality_table(data), f"表2  {y}年全市人才学历、年龄和性别构成", "人、%"),
    ]
    roster = T.roster_table(profile, data.roster, y, threshold)
    if not roster.empty:
        quality.append(Table(roster, f"表3  {y}年高层次人才类别和学历构成", "人",
                             f"注：依据高层次人才名册汇总；“{T.SUPPRESSED}”表示不予公布（见附注）。"))
    investment: list[Block] = [text["investment"], Chart(C.investment_chart(profile, data.indicators, y))]
    fund = T.fund_by_unit(data)
    if not fund.empty:
        investment += [Chart(C.fund_ratio_chart(profile, fund, y)),
                       Table(T.fund_table(data), f"表5  {y}年各{term}人才专项资金情况", "万元、%")]
    sections: dict[str, tuple[Block, ...]] = {
        "total": (text["total"], Chart(C.trend_chart(profile, data.indicators, y))),
        "structure": (
            text["structure"],
            Table(T.structure_table(data), f"表1  {y}年全市人才队伍结构", "人、%"),
            Chart(C.structure_chart(profile, data.indicators, y)),
        ),
        "quality": tuple(quality),
        "distribution": (
            text["distribution"],
            Table(T.top_units_table(data, top_n),
                  f"表4  {y}年人才资源总量居前{chinese_numeral(top_n)}位的{term}", "人、%、人/万人"),
            Chart(C.units_chart(profile, data.indicators, y, highlight=top_n)),
        ),
        "investment": tuple(investment),
        "mechanisms": (text["mechanisms"],),
        "notes": (
            text["notes"],
            f"各{term}的完整数据见附表（附表.xlsx）：附表1 人才资源情况，附表2 人才专项资金情况，"
            "附表3 党管人才工作机制落实情况，附表4 主要指标。",
        ),
    }
    subtitle = tuple(s for s in (profile.city.issuer, issue_date) if s)
    return Report(profile.city.bulletin_name(y), subtitle, sections)


def assessment_report(data: T.BulletinData) -> Report:
    """The internal assessment report (人才工作目标责任考核报告): ranking, fund, mechanisms."""
    y, profile = data.year, data.profile
    term = profile.city.unit_term
    line = T.fund_line_label(profile, y)
    fund: list[Block] = [f"## 二、人才专项资金未达到{line}要求的单位", A.fund_text(data)]
    below = A.fund_noncompliance_table(data)
    if not below.empty:
        fund.append(Table(below, f"表2  {y}年人才专项资金未达到{line}要求的{term}", "万元、%"))
    mechanisms: list[Block] = ["## 三、工作机制未达标情况", A.mechanism_text(data)]
    short = A.mechanism_noncompliance_table(data)
    if not short.empty:
        mechanisms.append(Table(short, f"表3  {y}年工作机制未全部达标的{term}", "项"))
    sections: dict[str, tuple[Block, ...]] = {
        "summary": (A.summary(data),),
        "ranking": (
            "## 一、综合得分与排名",
            Table(A.ranking_table(data), f"表1  {y}年各{term}人才工作考核得分及排名", "分（0-100）"),
            Chart(C.score_chart(profile, data.indicators, y)),
        ),
        "fund": tuple(fund),
        "mechanisms": tuple(mechanisms),
        "unscored": ("## 四、未纳入考核的单位", A.unscored_text(data), "## 说明", A.method_note(profile)),
    }
    return Report(f"{y}年{term}人才工作目标责任考核报告",
                  (f"{profile.city.issuer}　内部资料　注意保存",), sections)
