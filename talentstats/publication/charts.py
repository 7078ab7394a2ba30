"""The bulletin's charts (matplotlib, no pyplot state), with a CJK font registered explicitly.

Even with Noto CJK installed, matplotlib falls back to DejaVu Sans and draws boxes unless the
font file is registered (pitfalls: Chinese in charts). :func:`use_cjk_font` registers the first
CJK font found (``$TALENTSTATS_CJK_FONT`` first) and raises :class:`CJKFontNotFound` otherwise.
Each chart function returns a :class:`matplotlib.figure.Figure`; :func:`figure_png` renders it.
"""

from __future__ import annotations

import io
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg", force=False)

if TYPE_CHECKING:
    from talentstats.profile.config import Profile

import pandas as pd
from matplotlib import (
    font_manager,
    rcParams,
)
from matplotlib.figure import Figure

from talentstats.analysis.wording import chinese_numeral, number_text
from talentstats.errors import TalentstatsError
from talentstats.profile.targets import fund_ratio_line
from talentstats.publication import tables as T

__all__ = [
    "CJKFontNotFound",
    "figure_png",
    "fund_ratio_chart",
    "investment_chart",
    "score_chart",
    "structure_chart",
    "trend_chart",
    "units_chart",
    "use_cjk_font",
]

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/local/share/fonts/NotoSansCJKsc-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
# Preferred family names inside the files above (a .ttc holds several; SC first).
PREFERRED_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei")

BLUE = "#2f5d8a"
RED = "#c0392b"
GREY = "#8c8c8c"


class CJKFontNotFound(TalentstatsError):
    """No font able to draw Chinese was found for the charts."""


@cache
def use_cjk_font(path: str | None = None) -> str:
    """Register a CJK font with matplotlib and make it the default sans-serif; return its family.

    Looks at ``path``, then ``$TALENTSTATS_CJK_FONT``, then common locations on Debian, Fedora,
    macOS and Windows.

    Raises
    ------
    CJKFontNotFound
        When none exists (install Debian's fonts-noto-cjk or set TALENTSTATS_CJK_FONT).
    """
    candidates = [p for p in (path, os.environ.get("TALENTSTATS_CJK_FONT")) if p] + list(FONT_CANDIDATES)
    for candidate in candidates:
        if Path(candidate).is_file():
            font_manager.fontManager.addfont(candidate)
            registered = {f.name for f in font_manager.fontManager.ttflist if f.fname == candidate}
            family = next((f for f in PREFERRED_FAMILIES if f in registered), None)
            family = family or font_manager.FontProperties(fname=candidate).get_name()
            rcParams["font.family"] = "sans-serif"
            rcParams["font.sans-serif"] = [family, *rcParams["font.sans-serif"]]
            rcParams["axes.unicode_minus"] = False
            return family
    raise CJKFontNotFound(
        "找不到可显示中文的字体（图表中的汉字会显示为方框）。请安装 fonts-noto-cjk，或设置环境变量 "
        "TALENTSTATS_CJK_FONT 指向字体文件。 / No CJK font found: install fonts-noto-cjk "
        f"or set TALENTSTATS_CJK_FONT. Looked in: {', '.join(candidates)}"
    )


def _figure(width: float = 7.0, height: float = 3.6) -> tuple[Figure, object]:
    use_cjk_font()
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def figure_png(fig: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes (deterministic metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def trend_chart(profile: Profile, ind: pd.DataFrame, year: int) -> Figure:
    """图: city talent total (万人, bars) and its growth rate (%, line), all years up to ``year``."""
    sel = ind[(ind["unit_code"] == profile.city.code) & (ind["year"] <= year)]
    total = sel[sel["indicator"] == "I01"].set_index("year")["value"].sort_index() / 10_000
    growth = sel[sel["indicator"] == "I02"].set_index("year")["value"].reindex(total.index)
    fig, ax = _figure()
    years = [str(y) for y in total.index]
    bars = ax.bar(years, total.to_numpy(), color=BLUE, width=0.6, label="人才资源总量（万人）")
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in total], fontsize=8)
    ax.set_ylabel("万人")
    ax.set_ylim(0, max(total.max(), 0) * 1.15 or 1)
    ax.set_title(f"图1  {total.index.min()}-{year}年全市人才资源总量及增长速度", fontsize=11)
    if growth.notna().any():
        ax2 = ax.twinx()
        ax2.plot(years, growth.to_numpy(), color=RED, marker="o", label="比上年增长（%）")
        ax2.set_ylabel("%")
        ax2.spines[["top"]].set_visible(False)
        lines = [bars, *ax2.get_lines()]
        ax.legend(lines, [h.get_label() for h in lines], loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    return fig


def structure_chart(profile: Profile, ind: pd.DataFrame, year: int) -> Figure:
    """图: shares of the talent categories (I04.110..160) in the city's total, %."""
    categories = profile.forms["TR1"].categories
    names, shares = [], []
    for item in categories:
        v = T.indicator(ind, year, profile.city.code, f"I04.{item.code}")
        if v is not None:
            names.append(item.name)
            shares.append(v)
    fig, ax = _figure(7.0, 3.2)
    bars = ax.barh(names[::-1], shares[::-1], color=BLUE)
    ax.bar_label(bars, labels=[f"{v:.1f}%" for v in shares[::-1]], fontsize=8, padding=2)
    ax.set_xlabel("占人才资源总量的比重（%）")
    ax.set_title(f"图2  {year}年{chinese_numeral(len(categories))}支人才队伍构成", fontsize=11)
    return fig


def units_chart(profile: Profile, ind: pd.DataFrame, year: int, highlight: int = 10) -> Figure:
    """图: every unit's talent total (万人), ranked; the top ``highlight`` in a darker colour."""
    top = T.top_units(profile, ind, year, n=len(T.reporting_unit_codes(profile)))
    fig, ax = _figure(7.0, max(3.0, 0.22 * len(top) + 1.0))
    colors = [BLUE if i < highlight else GREY for i in range(len(top))]
    ax.barh(top["name"][::-1], (top["value"] / 10_000)[::-1], color=colors[::-1])
    ax.set_xlabel("人才资源总量（万人）")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"图3  {year}年各{profile.city.unit_term}人才资源总量", fontsize=11)
    return fig


def fund_ratio_chart(profile: Profile, fund: pd.DataFrame, year: int) -> Figure:
    """图: each unit's fund ratio (I08, %) against the line (3%, the profile's); units below it in red."""
    data = fund.dropna(subset=["ratio"]).sort_values(["ratio", "unit_code"], ascending=[False, True])
    fig, ax = _figure(7.0, max(3.0, 0.22 * len(data) + 1.0))
    line = fund_ratio_line(profile.city.targets, year)
    colors = [BLUE if r >= line else RED for r in data["ratio"]]
    ax.barh(data["name"][::-1], data["ratio"][::-1], color=colors[::-1])
    ax.axvline(line, color=RED, linestyle="--", linewidth=1)
    ax.text(line, 0.01, f" {T.fund_line_label(profile, year)}要求", color=RED, fontsize=8, va="bottom", transform=ax.get_xaxis_transform())
    ax.set_xlabel("人才专项资金预算安排额占财政总收入比例（%）")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"图4  {year}年各{profile.city.unit_term}人才专项资金比例", fontsize=11)
    return fig


def investment_chart(profile: Profile, ind: pd.DataFrame, year: int) -> Figure:
    """图: city investment (I12.amount, 亿元) per year against the yearly target (10亿元 in
    Dongguan), with the cumulative total."""
    policy = T.policy_targets(profile, year)
    sel = ind[(ind["indicator"] == "I12.amount") & (ind["unit_code"] == profile.city.code) & (ind["year"] <= year)]
    first = policy.start if policy.start is not None else (int(sel["year"].min()) if len(sel) else year)
    amounts = sel[sel["year"] >= first].set_index("year")["value"].sort_index() / 10_000
    fig, ax = _figure()
    years = [str(y) for y in amounts.index]
    bars = ax.bar(years, amounts.to_numpy(), color=BLUE, width=0.6, label="当年投入（亿元）")
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in amounts], fontsize=8)
    if policy.annual:
        target = policy.annual / 10_000
        ax.axhline(target, color=RED, linestyle="--", linewidth=1, label=f"年度目标{number_text(target)}亿元")
    ax.plot(years, amounts.cumsum().to_numpy(), color=GREY, marker="o", label="累计投入（亿元）")
    ax.set_ylabel("亿元")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    ax.set_title(f"图5  {first}-{year}年市财政人才投入", fontsize=11)
    return fig


def score_chart(profile: Profile, ind: pd.DataFrame, year: int) -> Figure:
    """图: assessment scores (I14, 0-100) by unit, ranked."""
    s = T.indicator_by_unit(profile, ind, year, "I14").sort_values(ascending=True)
    fig, ax = _figure(7.0, max(3.0, 0.22 * len(s) + 1.0))
    ax.barh([T.unit_name(profile, c) for c in s.index], s.to_numpy(), color=BLUE)
    ax.set_xlim(0, 100)
    ax.set_xlabel("综合得分")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"{year}年各{profile.city.unit_term}人才工作考核综合得分", fontsize=11)
    return fig
