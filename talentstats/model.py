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
    needed). ``hidden_rows`` are 0-based indices of hidden rows.
    """

    name: str
    cells: list[list[Cell]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    visible: bool = True
    hidden_rows: frozenset[int] = frozenset()
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


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


@dataclass
class FormRead:
    """One form found on one sheet of a submission.

    ``values`` holds one ``(item, column, value, cell)`` tuple per number read: item and column
    codes (int), the value (float, money already in 万元), and the sheet cell ('E9'). Plain
    tuples, not a DataFrame: a batch reads thousands of forms, and the batch builds one frame.
    For the roster (TR4) ``values`` is empty and ``roster`` holds one dict per person, keyed by
    the field keys of forms.yaml, plus ``row`` (the sheet row, 1-based). The raw roster holds
    personal data: it never leaves the worker in clear (``roster.pseudonymise`` replaces it).
    """

    form: str
    sheet: str
    unit_code: str | None
    year: int | None
    report_date: date | None
    values: list[tuple[int, int, float, str]] = field(default_factory=list)
    roster: list[dict[str, object]] | None = None
    findings: list[Finding] = field(default_factory=list)
    unit_of_measure: str | None = None  # as read from 单位：...
