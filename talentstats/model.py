"""The records that pass between the ingest's stages.

A file is read into a ``WorkbookGrid`` (plain cell values, no library objects), in a child
process. ``parse.locate_forms`` turns a grid into ``FormRead`` records: one per form found on a
sheet. Everything here pickles, so a worker process can hand it back to the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = ["FINDING_COLUMNS", "Finding", "FormRead", "SheetGrid", "WorkbookGrid", "cell_ref"]

Cell = str | float | int | bool | None


def cell_ref(row: int, col: int) -> str:
    """A 0-based (row, col) as an A1 reference: (8, 4) -> 'E9'."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


@dataclass
class SheetGrid:
    """One sheet's cells as values.

    ``cells[r][c]`` is what the cell shows: a str, a float/int, a bool, or ``""`` for empty.
    ``merged`` holds inclusive 0-based ranges (r0, c0, r1, c1). ``formulas`` maps (r, c) to the
    formula text for cells whose formula has no cached value (read with openpyxl only when
    needed). ``hidden_rows`` and ``hidden_cols`` are 0-based indices of hidden rows and columns.
    """

    name: str
    cells: list[list[Cell]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    visible: bool = True
    hidden_rows: frozenset[int] = frozenset()
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_cols: frozenset[int] = frozenset()


@dataclass
class WorkbookGrid:
    """A workbook read into plain values. ``source_file`` is relative to the raw folder."""

    source_file: str
    format: str  # xlsx | xlsm | xls
    sheets: list[SheetGrid]
    modified: float = 0.0  # file mtime, the last tie-breaker between resubmissions


@dataclass(frozen=True)
class Finding:
    """One finding, before it gets its year and file (the batch adds those)."""

    rule: str
    kind: str  # 格式 | 表内 | 表间 | 历年 | 文件
    severity: str  # error | warning
    message: str
    form: str = ""
    unit_code: str = ""
    cells: str = ""  # e.g. "表1!C7;表1!C8"


FINDING_COLUMNS = ["year", "unit_code", "form", "rule", "kind", "severity", "message", "cells", "source_file"]


class PackedValues:
    """``FormRead.values`` packed for the trip from a worker to the parent.

    Four columns (two integer arrays, a float array, the cell references joined in one string)
    instead of a tuple per number: about a tenth of the memory and of the pickling time, which
    is what lets the parent hold a national batch (millions of numbers) until it assembles it.
    Iterates as the ``(item, column, value, cell)`` tuples it was made from.
    """

    __slots__ = ("items", "columns", "values", "cells")
    _SEP = "\x1f"  # the ASCII unit separator: never in a cell reference such as 'E9'

    def __init__(self, rows: list[tuple[int, int, float, str]]):
        from array import array

        items, columns, values, cells = zip(*rows, strict=True) if rows else ((), (), (), ())
        self.items = array("q", items)
        self.columns = array("q", columns)
        self.values = array("d", values)
        self.cells = self._SEP.join(cells)

    def cell_list(self) -> list[str]:
        return self.cells.split(self._SEP) if self.items else []

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return zip(self.items, self.columns, self.values, self.cell_list(), strict=True)

    def __getstate__(self) -> tuple:
        return self.items, self.columns, self.values, self.cells

    def __setstate__(self, state: tuple) -> None:
        self.items, self.columns, self.values, self.cells = state


class PackedRows:
    """``FormRead.roster`` (pseudonymised) packed for the trip from a worker: the field names
    once and a tuple per person, instead of a dict per person (about a fifth of the memory
    while the parent holds a batch). Iterates as the dicts it was made from.

    Rows with different field names cannot be packed; ``pack`` leaves such a list as it is.
    """

    __slots__ = ("keys", "rows")

    def __init__(self, keys: tuple[str, ...], rows: list[tuple]):
        self.keys = keys
        self.rows = rows

    @classmethod
    def pack(cls, rows: list[dict[str, object]]) -> PackedRows | list[dict[str, object]]:
        if not rows:
            return rows
        keys = tuple(rows[0])
        if any(tuple(r) != keys for r in rows):
            return rows
        return cls(keys, [tuple(r.values()) for r in rows])

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return (dict(zip(self.keys, r, strict=True)) for r in self.rows)

    def __getstate__(self) -> tuple:
        return self.keys, self.rows

    def __setstate__(self, state: tuple) -> None:
        self.keys, self.rows = state


@dataclass
class FormRead:
    """One form found on one sheet of a submission.

    ``values`` holds one ``(item, column, value, cell)`` tuple per number read: item and column
    codes (int), the value (float, money already in 万元), and the sheet cell ('E9'). Plain
    tuples, not a DataFrame: a batch reads thousands of forms, and the batch builds one frame.
    For the roster (TR4) ``values`` is empty and ``roster`` holds one dict per person, keyed by
    the field keys of forms.yaml, plus ``row`` (the sheet row, 1-based). The raw roster holds
    personal data: it never leaves the worker in clear (``pseudonym.pseudonymise`` replaces it).
    """

    form: str
    sheet: str
    unit_code: str | None
    year: int | None
    report_date: date | None
    values: list[tuple[int, int, float, str]] | PackedValues = field(default_factory=list)
    roster: list[dict[str, object]] | PackedRows | None = None
    findings: list[Finding] = field(default_factory=list)
    unit_of_measure: str | None = None  # as read from 单位：...
