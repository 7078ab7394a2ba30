"""The Excel annex (附表) of the bulletin: full unit tables, formatted for print and reading.

One sheet per table, each with a title row, a 单位 line, Chinese headers, number formats by
column, frozen panes below the header and right of the unit name, column widths, and the
city total in bold. Written with XlsxWriter, strings never turned into formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from talentstats.publication import tables as T
from talentstats.publication.numbers import MISSING

__all__ = ["AnnexSheet", "annex_sheets", "write_annex"]


@dataclass(frozen=True)
class AnnexSheet:
    """One annex table: sheet name, title, unit line, frame, number format per column."""

    name: str
    title: str
    unit: str
    frame: pd.DataFrame
    formats: dict[str, str]


def _formats_for(frame: pd.DataFrame, default: str, overrides: dict[str, str]) -> dict[str, str]:
    out = {}
    for col in frame.columns[2:]:
        if pd.api.types.is_numeric_dtype(frame[col]):
            out[col] = next((f for key, f in overrides.items() if key in col), default)
    return out


def annex_sheets(data: T.BulletinData) -> list[AnnexSheet]:
    """The annex tables for ``data.year`` (pure: frames and formats, no file)."""
    y, term = data.year, data.profile.city.unit_term
    tr1 = T.annex_tr1(data.profile, data.observations, y)
    fund = T.annex_fund(data)
    mech = T.annex_mechanisms(data)
    ind = T.annex_indicators(data.profile, data.indicators, y, data.dictionary)
    return [
        AnnexSheet("附表1 人才资源", f"附表1  {y}年各{term}人才资源情况", "人", tr1, _formats_for(tr1, "0", {})),
        AnnexSheet(
            "附表2 人才专项资金",
            f"附表2  {y}年各{term}人才专项资金情况",
            "万元（比例、执行率为%）",
            fund,
            _formats_for(fund, "#,##0.00", {"占财政总收入比例": "0.00", "（%）": "0.0"}),
        ),
        AnnexSheet(
            "附表3 工作机制",
            f"附表3  {y}年各{term}党管人才工作机制落实情况",
            "见各列（次、人、人次；1是 0否）",
            mech,
            _formats_for(mech, "0", {}),
        ),
        AnnexSheet(
            "附表4 主要指标",
            f"附表4  {y}年各{term}主要指标",
            "见各列方括号",
            ind,
            _formats_for(ind, "0.0", {"[人]": "0", "[万元]": "#,##0.00"}),
        ),
    ]


def _width(values: Sequence[object]) -> float:
    def w(s: str) -> float:
        return sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in s)

    return min(max(w(str(v)) for v in values) + 2, 40)


def write_annex(data: T.BulletinData, path: Path) -> Path:
    """Write the annex workbook (附表.xlsx) for ``data.year``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
    # fixed timestamps (the report year's end) so the same data give the same file
    stamp = datetime(data.year, 12, 31)
    the_city = data.profile.city
    wb.set_properties({"title": f"{the_city.bulletin_name(data.year)} 附表",
                       "author": the_city.issuer, "created": stamp})
    base = {"font_name": "宋体", "font_size": 10, "border": 1}
    title_fmt = wb.add_format({"font_name": "黑体", "font_size": 14, "bold": True})
    unit_fmt = wb.add_format({"font_name": "宋体", "font_size": 10})
    head_fmt = wb.add_format({**base, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#e8eef4"})
    text_fmt = wb.add_format(base)
    bold_text_fmt = wb.add_format({**base, "bold": True})
    missing_fmt = wb.add_format({**base, "align": "center"})
    cache: dict[tuple[str, bool], object] = {}

    def num_fmt(spec: str, bold: bool):
        key = (spec, bold)
        if key not in cache:
            cache[key] = wb.add_format({**base, "num_format": spec, "bold": bold})
        return cache[key]

    for sheet in annex_sheets(data):
        ws = wb.add_worksheet(sheet.name[:31])
        frame = sheet.frame
        ws.write(0, 0, sheet.title, title_fmt)
        ws.write(1, 0, f"单位：{sheet.unit}", unit_fmt)
        header_row = 2
        ws.set_row(header_row, 48)
        for j, col in enumerate(frame.columns):
            ws.write_string(header_row, j, str(col), head_fmt)
            values = [col, *frame[col].astype("string").fillna(MISSING).to_list()]
            ws.set_column(j, j, _width([values[0][:8], *values[1:]]) if j >= 2 else _width(values))
        for i, row in enumerate(frame.itertuples(index=False), start=header_row + 1):
            is_city = str(row[0]) == the_city.code
            for j, (col, v) in enumerate(zip(frame.columns, row, strict=True)):
                if j < 2 or col not in sheet.formats:
                    if v is None or (not isinstance(v, str) and pd.isna(v)):
                        ws.write_string(i, j, MISSING, missing_fmt)
                    else:
                        ws.write_string(i, j, str(v), bold_text_fmt if is_city else text_fmt)
                elif pd.isna(v):
                    ws.write_string(i, j, MISSING, missing_fmt)
                else:
                    ws.write_number(i, j, float(v), num_fmt(sheet.formats[col], is_city))
        ws.freeze_panes(header_row + 1, 2)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        last = header_row + len(frame) + 1
        ws.write(last, 0, f"注：“{MISSING}”表示无数据（未报送或报表未通过审核）。", unit_fmt)
    wb.close()
    tmp.replace(path)
    return path
