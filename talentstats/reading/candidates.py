"""The candidate readings of each form in a workbook, and the choice between them by evidence
(X07 when two filled ones disagree, F10 when the best holds no value)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from talentstats.model import Finding, FormRead, SheetGrid, cell_ref
from talentstats.reading.grid import sheet_cells
from talentstats.reading.layout import map_columns
from talentstats.reading.locate import (
    HEADER_WINDOW,
    Block,
    form_blocks,
    item_hits,
    named_forms,
    roster_header,
)
from talentstats.reading.meta import read_report_date, read_unit, read_year
from talentstats.reading.persons import read_roster
from talentstats.reading.values import hidden_findings, read_table
from talentstats.reading.vocabulary import Vocabulary


@dataclass
class Candidate:
    """One candidate reading of a form: a block of a sheet, read, with what decides between
    candidates (``rank``) and what the workbook's other forms may lend it."""

    form: FormRead
    unit_cell: str  # where 填报单位 was read ('A3'), or ''
    filled: bool  # holds values (or cells that could not be read: ``_TRIED``)
    rank: tuple  # larger is better: see ``_rank``
    where: str  # 'sheet!A5:M21', for messages
    sheet_unit: str | None = None  # the 填报单位 of any form on the same sheet
    sheet_date: date | None = None  # the 报出日期 anywhere on the same sheet
    sheet_year: int | None = None


def _rank(filled: bool, visible: bool, named: int, n_items: int, n_columns: int, order: int) -> tuple:
    """Evidence first: values (a candidate with none never beats one with some), a visible
    sheet, the form named by its 表号 (2) or title (1), items and columns matched; then the
    earlier place in the workbook."""
    return (filled, visible, named, n_items, n_columns, -order)


# a cell held something that could not be read as a number (F01-F03, F06), or the numbers'
# unit could not be told (F12): not a blank form
_TRIED = frozenset({"F01", "F02", "F03", "F06", "F12"})


def sheet_candidates(sheet: SheetGrid, order: int, lex: Vocabulary) -> list[Candidate]:
    """Every candidate block of every form on one sheet, read."""
    cells = sheet.cells
    blocks: list[Block] = []
    hidden_items: dict[str, dict[int, int]] = {}
    weak: list[Block] = []
    for code, (names_in, codes_in) in item_hits(sheet, lex).items():
        f = lex.forms[code]
        found, hidden_items[code] = form_blocks(sheet, f, names_in, codes_in)
        need = max(2, math.ceil(len(f.item_codes) / 2))
        strong = [b for b in found if len(b.item_rows) >= need]
        blocks += strong
        if not strong and found:  # the fullest of the rest, which its header may name
            weak.append(max(found, key=lambda b: len(b.item_rows)))
    roster = roster_header(sheet, lex)
    # a block with few items counts only where its own header names its form (one per form:
    # a roster's 人才类别 column, say, repeats a few TR1 names on every row)
    strong_starts = sorted([b.first for b in blocks] + ([roster[0]] if roster else []))
    for b in weak:
        top = max((x + 1 for x in strong_starts if x < b.first), default=0)
        if b.form in named_forms(cells, max(top, b.first - HEADER_WINDOW - 4), b.first, lex):
            blocks.append(b)
    bounds = sorted([(b.first, b.last) for b in blocks] + ([(roster[0], len(cells) - 1)] if roster else []))
    for b in blocks:
        b.top = max((last + 1 for first, last in bounds if first < b.first), default=0)
        b.bottom = min((first - 1 for first, _ in bounds if first > b.first), default=len(cells) - 1)

    out: list[Candidate] = []
    for b in blocks:
        f = lex.forms[b.form]
        item_cols = {c for c in (b.label_col, b.code_col) if c is not None} | set(b.label_cols)
        b.columns, hidden_cols = map_columns(sheet, f, b, item_cols, lex)
        values, found, uom = read_table(sheet, f, b, lex)
        found += hidden_findings(sheet, f, b, hidden_items.get(b.form, {}), hidden_cols,
                                  lex.rules["F11"])
        filled = bool(values) or any(x.rule in _TRIED for x in found)
        named = named_forms(cells, b.top, b.first, lex).get(b.form, 0)
        unit_code, unit_cell = read_unit(cells, b.top, b.first, lex)
        fr = FormRead(
            form=b.form, sheet=sheet.name, unit_code=unit_code,
            year=read_year(cells, b.top, b.first, lex),
            report_date=read_report_date(cells, b.last + 1, b.bottom + 1),
            values=values, findings=found, unit_of_measure=uom,
        )
        width = max(b.columns, default=b.first)
        out.append(Candidate(
            fr, unit_cell, filled,
            _rank(filled, sheet.visible, named, len(b.item_rows), len(b.columns), order),
            f"{sheet.name}!{cell_ref(b.first, 0)}:{cell_ref(b.last, width)}",
        ))
    if roster is not None:
        persons, hidden = read_roster(sheet, roster, lex)
        top = max((last + 1 for first, last in bounds if first < roster[0]), default=0)
        found = []
        if hidden:
            found.append(lex.rules["F11"].finding(
                case="roster", table=f"表{lex.forms['TR4'].number}", sheet=sheet.name,
                row_numbers="、".join(str(r + 1) for r in hidden),
                form="TR4", cells=sheet_cells(sheet.name, *(cell_ref(r, 0) for r in hidden)),
            ))
        unit_code, unit_cell = read_unit(cells, top, roster[0], lex)
        fr = FormRead(
            form="TR4", sheet=sheet.name, unit_code=unit_code,
            year=read_year(cells, top, roster[0], lex),
            report_date=read_report_date(cells, roster[0], len(cells)),
            roster=persons, findings=found,
        )
        named = named_forms(cells, top, roster[0], lex).get("TR4", 0)
        out.append(Candidate(
            fr, unit_cell, bool(persons),
            _rank(bool(persons), sheet.visible, named, len(roster[1]), 0, order),
            f"{sheet.name}!{cell_ref(roster[0], 0)}",
        ))
    # what a form's own header does not say, its sheet may: 填报单位, year and 报出日期 anywhere
    sheet_unit = sole_value([c.form.unit_code for c in out])
    sheet_year = sole_value([c.form.year for c in out])
    undated = any(c.form.report_date is None for c in out)
    sheet_date = read_report_date(cells, 0, len(cells)) if undated else None
    for c in out:
        c.sheet_unit, c.sheet_year, c.sheet_date = sheet_unit, sheet_year, sheet_date
    return out


def _values_of(fr: FormRead) -> dict[tuple[int, int], float]:
    return {(item, col): v for item, col, v, _ in fr.values}


def contest(code: str, cands: list[Candidate], lex: Vocabulary) -> tuple[Candidate, list[Finding]]:
    """The best candidate of one form, and X07 when another filled one (on a visible sheet, for
    the same year) holds other numbers."""
    best = max(cands, key=lambda c: c.rank)
    f = lex.forms[code]
    if not best.filled:
        if f.is_roster:
            return best, []
        return best, [lex.rules["F10"].finding(
            table=f"表{f.number}", sheet=best.form.sheet,
            form=code, cells=best.where,
        )]
    rivals = [
        c for c in cands
        if c is not best and c.filled and c.rank[1] and c.form.year in (None, best.form.year)
        and (_values_of(c.form) != _values_of(best.form) if not f.is_roster
             else len(c.form.roster or ()) != len(best.form.roster or ()))
    ]
    if not rivals:
        return best, []
    places = "、".join(f"“{c.where}”" for c in [best, *rivals])
    return best, [lex.rules["X07"].finding(
        table=f"表{f.number}", count=len(rivals) + 1, places=places,
        form=code, cells=";".join(c.where for c in [best, *rivals]),
    )]


def sole_value(values: list) -> object | None:
    s = {v for v in values if v is not None}
    return s.pop() if len(s) == 1 else None
