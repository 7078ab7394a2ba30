"""A table block's columns: which sheet column holds which form column, by header names or
by the 甲乙 index row's numbers."""

from __future__ import annotations

from talentstats.model import Cell, SheetGrid
from talentstats.profile.forms import Form
from talentstats.reading.grid import (
    as_code,
    cell_at,
    cell_key,
    filled_rows,
    grid_width,
    is_blank,
    norm_text,
    text_code,
)
from talentstats.reading.locate import HEADER_WINDOW, Block
from talentstats.reading.vocabulary import Vocabulary

_INDEX_MARKS = frozenset({"甲", "乙", "丙", "丁"})


def index_row(row: list[Cell], item_cols: set[int], ncols: int) -> dict[int, int] | None:
    """sheet column -> number for an index row (甲 乙 1 2 3 ...), else None."""
    marks = False
    nums: dict[int, int] = {}
    for c, v in enumerate(row):
        if isinstance(v, str):  # the common case, without the general helpers' checks
            if not v or v.isspace():  # is_blank
                continue
            if norm_text(v) in _INDEX_MARKS:
                marks = True
                continue
            n = text_code(v)  # as_code of a text
        elif is_blank(v):
            continue
        else:
            n = as_code(v)
        if n is None:
            if c not in item_cols:
                return None
            continue
        if c not in item_cols:
            nums[c] = n
    vals = [nums[c] for c in sorted(nums)]
    increasing = all(a < b for a, b in zip(vals, vals[1:], strict=False))
    if nums and (marks or (len(nums) >= 2 and increasing and max(vals) <= ncols + 5)):
        return nums
    return None


def map_columns(
    sheet: SheetGrid, f: Form, blk: Block, item_cols: set[int], lex: Vocabulary
) -> tuple[dict[int, int], dict[int, int]]:
    """(sheet column -> form column, hidden sheet column -> the form column its header names).

    A hidden column is never read: it is left out of the mapping, and said in the second."""
    lookup = lex.columns[f.code]
    first = blk.first
    item_rows = sorted(blk.item_rows.values())
    head = filled_rows(sheet, first, max(blk.top, first - HEADER_WINDOW))
    skip = item_cols | sheet.hidden_cols
    width = max(grid_width(head), grid_width([sheet.cells[r] for r in item_rows]))
    index: dict[int, int] = {}
    header_rows = []
    for row in head:
        idx = index_row(row, item_cols, len(f.columns))
        if idx is not None:
            index = idx
        else:
            header_rows.append(row)
    by_name: dict[int, int] = {}
    hidden_named: dict[int, int] = {}
    for c in range(width):
        if c in item_cols:
            continue
        pieces: list[str] = []
        for row in reversed(header_rows):
            k = cell_key(row[c]) if c < len(row) else ""
            if k and (not pieces or pieces[-1] != k):
                pieces.append(k)
        for i, p in enumerate(pieces):
            code = lookup.get(p)
            if code is None and i + 1 < len(pieces):
                code = lookup.get(pieces[i + 1] + p)
            if code is not None:
                (hidden_named if c in sheet.hidden_cols else by_name)[c] = code
                break
    out: dict[int, int] = {}
    taken: set[int] = set()
    for c in sorted(by_name):
        if by_name[c] not in taken:
            out[c] = by_name[c]
            taken.add(by_name[c])
    known = set(f.column_codes)
    for c in sorted(index):
        if c not in out and c not in skip and c not in by_name and index[c] in known and index[c] not in taken:
            out[c] = index[c]
            taken.add(index[c])
    if not out:  # no header names and no index row: the numeric columns, in form order
        right = max(item_cols) if item_cols else -1
        numeric = [
            c for c in range(right + 1, width)
            if c not in skip and any(isinstance(cell_at(sheet.cells, r, c), (int, float)) for r in item_rows)
        ]
        out = dict(zip(numeric, f.column_codes, strict=False))
    return out, hidden_named
