"""What a form says about itself in its header and footer: the 填报单位, the year and the
报出日期; and the year a file name gives."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from talentstats.model import Cell, cell_ref
from talentstats.profile.units import identify_unit
from talentstats.reading.clean import parse_report_date
from talentstats.reading.grid import (
    PAREN_TAIL,
    as_code,
    cell_at,
    is_blank,
    norm_cell,
    norm_text,
    text_of,
)
from talentstats.reading.vocabulary import Vocabulary, is_footer_row

_YEAR_LABELLED = re.compile(r"(?:年份|年度|报告期|统计年度)[:：]?((?:19|20)\d{2})")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})年(?!\d{1,2}月)")
_YEAR_END = re.compile(r"(?<!\d)((?:19|20)\d{2})年12月(?:31日)?$")  # 统计时点：2013年12月31日
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_LABELS = frozenset({"年份", "年度", "报告期", "统计年度"})  # a label whose next cell is the year


def _unit_text_after(cells: list[list[Cell]], r: int, c: int, label: str) -> str:
    """The text after a label such as 填报单位 in the same cell, or the next non-empty cell."""
    k = norm_cell(cell_at(cells, r, c))
    rest = k[k.find(label) + len(label):]
    rest = PAREN_TAIL.sub("", rest) if rest.startswith(("(", "（")) else rest
    rest = rest.lstrip(":：")
    if rest:
        return rest
    row = cells[r]
    for v in row[c + 1:]:
        if not is_blank(v):
            return text_of(v)
    return ""


def read_unit(cells: list[list[Cell]], top: int, upto: int,
                lex: Vocabulary) -> tuple[str | None, str]:
    """(unit code, cell) from 填报单位 in rows ``top`` to ``upto`` (excluded); the cell is 'A3'."""
    for r in range(top, min(upto, len(cells))):
        for c, v in enumerate(cells[r]):
            if not isinstance(v, str) or "位" not in v:  # 单位, 單位
                continue
            k = norm_text(v)
            if "填报单位" in k or "报送单位" in k:
                label = "填报单位" if "填报单位" in k else "报送单位"
                text = _unit_text_after(cells, r, c, label)
                if text:
                    return _unit_of_text(text), cell_ref(r, c)
    return None, ""


def _year_of(v: object) -> int | None:
    if not isinstance(v, str) or ("年" not in v and "期" not in v):
        return None
    s = norm_text(v)
    if "报出" in s or "填报日期" in s:
        return None  # the date the form was sent is in the next year
    m = _YEAR_LABELLED.search(s) or _YEAR_IN_TEXT.search(s) or _YEAR_END.search(s)
    return int(m.group(1)) if m else None


@lru_cache(maxsize=4096)
def _unit_of_text(text: str) -> str | None:
    """``units.identify_unit``, cached: the same 填报单位 texts recur in a batch (without the
    cache the parse of the 2016 sample took some 5% longer, measured)."""
    return identify_unit(text)


def read_year(cells: list[list[Cell]], top: int, upto: int, lex: Vocabulary) -> int | None:
    for r in range(top, min(upto, len(cells))):
        row = cells[r]
        if is_footer_row(cells, r, lex):
            continue
        for c, v in enumerate(row):
            if not isinstance(v, str) or not v:
                continue  # only a text holds a year (2013年) or its label (年份)
            y = _year_of(v)
            if y:
                return y
            k = norm_text(v)
            if k in _YEAR_LABELS and c + 1 < len(row):
                nxt = row[c + 1]
                n = as_code(nxt)
                if n and 1990 <= n <= 2100:
                    return n
    return None


def read_report_date(cells: list[list[Cell]], top: int, upto: int) -> date | None:
    """The 报出日期 written in rows ``top`` to ``upto`` (excluded)."""
    for r in range(top, min(upto, len(cells))):
        for c, v in enumerate(cells[r]):
            if isinstance(v, str) and "日" in v and "报出日期" in norm_text(v):
                d = parse_report_date(norm_text(v).split("报出日期", 1)[1])
                if d:
                    return d
                for nxt in cells[r][c + 1:]:
                    if not is_blank(nxt):
                        return parse_report_date(nxt)
    return None


def year_in_file_name(name: str) -> int | None:
    years = {int(y) for y in _YEAR_IN_NAME.findall(unicodedata.normalize("NFKC", name))}
    return years.pop() if len(years) == 1 else None
