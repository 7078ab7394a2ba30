"""Where the forms are on a sheet: the blocks of item rows of each table form, the header that
names a form (表号 or title), and the roster's header row."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from talentstats.model import Cell, SheetGrid
from talentstats.profile.forms import Form
from talentstats.reading.grid import filled_rows, label_key, norm_text
from talentstats.reading.vocabulary import LABEL_SCAN_COLS, Vocabulary

_TABLE_NO_MAX_LEN = 30  # a cell longer than this is prose (an instructions sheet), not a 表号
HEADER_WINDOW = 8  # rows above the first item row that may hold column headers
_BLOCK_GAP = 5  # item rows further apart than this belong to two blocks
_CN_DIGIT = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}


@dataclass
class Block:
    """Where one candidate of a table form sits on a sheet: its item rows and, once the sheet's
    blocks are known, its region (``top``: the first row after the block above it, where its
    own title, 表号 and header are; ``bottom``: the last row before the block below it)."""

    form: str
    label_col: int | None
    code_col: int | None
    label_cols: list[int]
    item_rows: dict[int, int] = field(default_factory=dict)  # item code -> row
    dup_rows: list[int] = field(default_factory=list)
    first: int = 0
    last: int = 0
    top: int = 0
    bottom: int = 0
    columns: dict[int, int] = field(default_factory=dict)  # sheet column -> form column code


def item_hits(sheet: SheetGrid,
               lex: Vocabulary) -> dict[str, tuple[list[dict[int, int]], list[dict[int, int]]]]:
    """One pass over a sheet's label columns: per table form, per column, the rows where one of
    its item names sits (row -> item) and the rows where one of its item codes sits."""
    hits = lex.text_hits
    by_code = lex.code_forms
    out: dict[str, tuple[list[dict[int, int]], list[dict[int, int]]]] = {}

    def slot(code: str) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
        if code not in out:
            out[code] = ([{} for _ in range(LABEL_SCAN_COLS)], [{} for _ in range(LABEL_SCAN_COLS)])
        return out[code]

    for r, row in enumerate(sheet.cells):
        for c, v in enumerate(row[:LABEL_SCAN_COLS]):
            if isinstance(v, str):
                if not v:
                    continue
                h = hits.get(v)
                if h is None:
                    if len(hits) > 65536:
                        hits.clear()
                    h = hits[v] = lex.text_hit(v)
                for code, it, n in h:
                    names, codes = slot(code)
                    if it is not None:
                        names[c][r] = it
                    if n is not None:
                        codes[c][r] = n
            elif isinstance(v, (float, int)) and not isinstance(v, bool):  # TRUE is no code
                for code in by_code.get(v, ()):
                    slot(code)[1][c][r] = int(v)
    return out


def form_blocks(sheet: SheetGrid, f: Form, names_in: list[dict[int, int]],
                 codes_in: list[dict[int, int]]) -> tuple[list[Block], dict[int, int]]:
    """The blocks of form ``f`` on a sheet, top to bottom, and the hidden rows that carry one
    of its items (row -> item; never read).

    The item column is the one holding at least half of the form's codes (a value column whose
    numbers happen to equal a few codes, 140 persons, is not one), else the column where most
    item names sit, with a second label column only beside it (indentation typed as a column of
    its own; a lone 合计 in a column header is not a label column). The code wins over the
    name on a row. A new block starts where an item comes again after a gap of rows (room for
    a header) or where the block's first item comes again, and wherever more than
    ``_BLOCK_GAP`` rows lie between two item rows (a number in the block above that happens to
    equal one of this form's codes is not this form's row); an item again right below is a
    duplicate row of the same block.
    """
    codes = set(f.item_codes)
    labels_at = {c: m for c, m in enumerate(names_in) if m}
    codes_at = {c: m for c, m in enumerate(codes_in) if m}
    need = max(2, math.ceil(len(codes) / 2))
    distinct = {c: len(set(m.values())) for c, m in codes_at.items()}
    code_col = max(distinct, key=lambda c: (distinct[c], -c)) if distinct else None
    if code_col is not None and distinct[code_col] < need:
        code_col = None
    label_hits = {c: len(m) for c, m in labels_at.items()}
    ranked = sorted(
        (c for c in label_hits if c != code_col and label_hits[c] >= 2),
        key=lambda c: (-label_hits[c], c),
    )
    label_cols = ranked[:1] + [c for c in ranked[1:] if abs(c - ranked[0]) == 1]
    if code_col is None and not label_cols:
        return [], {}
    by_row: dict[int, int] = {}
    for c in reversed(label_cols):  # the main label column last, so it wins
        by_row.update(labels_at[c])
    if code_col is not None:
        by_row.update(codes_at[code_col])  # the code wins over the name
    hidden = {r: it for r, it in by_row.items() if r in sheet.hidden_rows}
    label_col = label_cols[0] if label_cols else None
    blocks: list[Block] = []
    cur: Block | None = None
    prev = -1
    for r in sorted(by_row):
        if r in hidden:
            continue
        item = by_row[r]
        if (cur is None or r - prev > _BLOCK_GAP
                or item in cur.item_rows and (r - prev > 2 or item == by_row[cur.first])):
            cur = Block(f.code, label_col, code_col, label_cols, first=r)
            blocks.append(cur)
        if item in cur.item_rows:
            cur.dup_rows.append(r)
        else:
            cur.item_rows[item] = r
        cur.last = r
        prev = r
    return blocks, hidden


def _table_no_in(v: object, lex: Vocabulary) -> str | None:
    # A quick test first: a statistical 表号 (X人统N表) has 统, in simplified or traditional.
    if not isinstance(v, str) or "统" not in v and "統" not in v:
        return None
    s = norm_text(v).replace("統", "统")
    if len(s) > _TABLE_NO_MAX_LEN:
        return None
    found = {_CN_DIGIT.get(m, m) for m in lex.table_no.findall(s)}
    return f"TR{found.pop()}" if len(found) == 1 else None


def named_forms(cells: list[list[Cell]], top: int, upto: int, lex: Vocabulary) -> dict[str, int]:
    """The forms that rows ``top`` to ``upto`` name: by 表号 (2) or by title (1)."""
    named: dict[str, int] = {}
    for row in cells[top:upto]:
        for v in row:
            if not isinstance(v, str) or not v:
                continue
            t = _table_no_in(v, lex)
            if t:
                named[t] = 2
                continue
            k = norm_text(v)
            for tk, code in lex.titles:
                if tk in k and len(k) <= len(tk) + 20:
                    named.setdefault(code, 1)
                    break
    return named


def roster_header(sheet: SheetGrid, lex: Vocabulary) -> tuple[int, dict[int, str]] | None:
    """The roster's header row (at least four of its fields) and its columns: in the first 40
    rows with merged ranges filled, else anywhere below (a roster under another form)."""
    return _header_in(filled_rows(sheet, 40), 0, lex) or _header_in(sheet.cells[40:], 40, lex)


def _header_in(rows: list[list[Cell]], offset: int,
               lex: Vocabulary) -> tuple[int, dict[int, str]] | None:
    lookup = lex.fields
    best: tuple[int, dict[int, str]] | None = None
    for i, row in enumerate(rows):
        r = i + offset
        if best is not None and r > best[0] + 3:
            break  # person rows follow the header
        cols: dict[int, str] = {}
        for c, v in enumerate(row):
            if not isinstance(v, str):
                continue
            k = label_key(v)
            if k in lookup and lookup[k] not in cols.values():
                cols[c] = lookup[k]
        if len(cols) >= 4 and (best is None or len(cols) > len(best[1])):
            best = (r, cols)
    return best
