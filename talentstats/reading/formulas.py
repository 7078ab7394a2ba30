"""The value of a formula cell saved without one, when it is a plain sum of cells of its sheet
(``=SUM(C8:C13)``, ``=C8+C9``)."""

from __future__ import annotations

import re

from talentstats.model import SheetGrid
from talentstats.reading.clean import clean_value
from talentstats.reading.grid import cell_at, is_blank

_A1 = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
_MAX_RANGE_CELLS = 10_000  # a SUM over more cells than this is not a form's subtotal


def _col_letters_to_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _formula_refs(formula: str, sheet_name: str) -> list[tuple[int, int]] | None:
    """The cells a plain same-sheet sum adds up, or None for any other formula."""
    f = formula.strip().lstrip("=").replace("$", "").replace(" ", "").upper()
    m = re.fullmatch(r"SUM\((.+)\)", f)
    if m:
        parts = m.group(1).split(",")
    else:
        parts = f.lstrip("+").split("+")
    out: list[tuple[int, int]] = []
    for p in parts:
        if "!" in p:
            prefix, p = p.rsplit("!", 1)
            if prefix.strip("'") != sheet_name.upper():
                return None
        ends = p.split(":")
        if len(ends) > 2:
            return None
        coords = []
        for e in ends:
            mm = _A1.match(e)
            if not mm:
                return None
            coords.append((int(mm.group(2)) - 1, _col_letters_to_index(mm.group(1))))
        (r0, c0), (r1, c1) = coords[0], coords[-1]
        r0, r1 = sorted((r0, r1))
        c0, c1 = sorted((c0, c1))
        if (r1 - r0 + 1) * (c1 - c0 + 1) > _MAX_RANGE_CELLS:
            return None
        out += [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
    return out


def evaluate_formula(
    sheet: SheetGrid, r: int, c: int, value_type: str, seen: frozenset, factor: float = 1.0
) -> float | None:
    """The value of a formula cell without a cached value, or None when it cannot be had."""
    refs = _formula_refs(sheet.formulas[(r, c)], sheet.name)
    if refs is None:
        return None
    total = 0.0
    for rr, cc in refs:
        if (rr, cc) in seen:
            return None
        raw = cell_at(sheet.cells, rr, cc)
        if (rr, cc) in sheet.formulas and is_blank(raw):
            v = evaluate_formula(sheet, rr, cc, value_type, seen | {(r, c)}, factor)
            if v is None:
                return None
            total += v
            continue
        cl = clean_value(raw, value_type=value_type, money_factor=factor)
        if cl.problem:
            return None
        total += cl.value or 0.0
    return total
