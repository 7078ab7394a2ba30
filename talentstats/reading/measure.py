"""The unit of measure a money form states above its rows: the 单位 line, a unit in brackets
in the title or in the value columns' headers."""

from __future__ import annotations

import re
import unicodedata

from talentstats.model import Cell, SheetGrid, cell_ref
from talentstats.profile.text import to_simplified
from talentstats.reading.clean import parse_unit_of_measure
from talentstats.reading.locate import Block


def unit_of_measure(cells: list[list[Cell]], top: int, upto: int) -> tuple[str | None, float | None, str]:
    """The 单位 line in rows ``top`` to ``upto``: (unit, factor to 万元, cell)."""
    for r in range(top, min(upto, len(cells))):
        for c, v in enumerate(cells[r]):
            if isinstance(v, str) and "位" in v and "填报" not in v and "填報" not in v and "报送" not in v:
                unit, factor = parse_unit_of_measure(v)
                if unit:
                    return unit, factor, cell_ref(r, c)
    return None, None, ""


_BRACKET_MONEY = re.compile(r"[（(]\s*(?:(?:金额|计量)?单位[:：]?)?\s*(百万元|千元|万元|亿元|元)\s*[)）]")


def _bracket_money(v: object) -> str | None:
    """A money unit in brackets, as in a title or a column header: 本年（元）, …（亿元）."""
    if not isinstance(v, str) or "元" not in v:
        return None
    m = _BRACKET_MONEY.search(to_simplified(unicodedata.normalize("NFKC", v)))
    return m.group(1) if m else None


def money_units(sheet: SheetGrid, lay: Block) -> list[tuple[str, str]]:
    """(unit, cell) for every place above a money form's rows that states its unit: the 单位
    line, the title, the value columns' headers (本年（元）)."""
    out: list[tuple[str, str]] = []
    unit, _, ref = unit_of_measure(sheet.cells, lay.top, lay.first)
    if unit:
        out.append((unit, ref))
    for r in range(lay.top, lay.first):
        row = sheet.cells[r]
        for c, v in enumerate(row):
            m = _bracket_money(v)
            if m:
                ref = cell_ref(r, c)
                if all(ref != x for _, x in out):
                    out.append((m, ref))
    return out
