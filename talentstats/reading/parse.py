"""From a workbook grid to forms: find TR1-TR5 by content and read what the town meant.

``locate_forms(grid, profile)`` is pure: a ``WorkbookGrid`` in, a ``ParseResult`` out
(``FormRead``s and file-level findings). Plain Python over lists. This module wires the steps,
each in a module of its own in ``talentstats.reading``:

- ``vocabulary``: the spellings, titles, footers and rules looked up, built once per profile;
- ``locate``: the blocks of each form on a sheet, and the header that names a form;
- ``layout``: a block's columns (header names, the 甲乙 index row);
- ``values``: a block's values and the findings about them; ``formulas`` evaluates a plain sum;
- ``measure``: the unit of measure a money form states; ``meta``: 填报单位, year and 报出日期;
- ``persons``: the roster's rows; ``candidates``: every candidate of a form, and the choice;
- ``grid``: the plain cell helpers they share.

How a workbook is read, and the choices made (a careful statistician's reading):

- **Candidates, chosen by evidence, never by order.** Every block of item rows of every form
  is a candidate: on any sheet, at any row, several per sheet (a form stacked under another,
  a blank template kept beside the filled copy, an instructions sheet that lists the items and
  their codes). A block holds at least half of its form's items, or fewer under a header that
  names its form (表号 such as ``东人统1表``, or its title). Per form the best candidate wins
  (``candidates._rank``): values first (a candidate without values never beats one with
  values), then a visible sheet, the form named by 表号 (over title), the items and columns matched, the
  earlier place. Two filled candidates on visible sheets that hold different numbers for the
  same year are an error (X07) naming both; a form whose value cells are all blank is an
  error (F10), never accepted empty. A workbook without any candidate gets X02.
- **Items.** By code where a code column exists (int, ``100.0`` or ``'100'``), else by name
  (``Item.spellings()``, normalised: numbering, spaces, ``其中：`` and footnote marks such as
  ``*``, ``①``, ``²``, ``（注）`` removed, also without a bracketed tail such as ``（人）``).
  When a row's code and name disagree, the code wins: it is what the form's rules are keyed
  on. A row with neither a known code nor a known name is ignored, with F04 only when it holds
  numbers in the form's columns; a second row for the same item right below is ignored the
  same way. Below the last item, the scan for such rows stops at the footer (单位负责人、
  填表人、联系电话…, whose phone numbers are not data), at another form's header or at the
  block below.
- **Columns.** By header names (``Column.spellings()``), bottom header level first, then the
  upper level joined with the lower one (学历/博士), after merged ranges are filled; where a
  column's name is missing or unknown, by the 甲乙 index row's number; when neither gives any
  column, the numeric columns right of the item columns in form order. A column such as 备注 is
  ignored.
- **Hidden rows and columns are never data** (in every format: the reader takes them from
  xlsx and, through xlrd, from .xls). A hidden row that carries an item, or a hidden column
  whose header names a form column, is said in a warning (F11); an item found only in a hidden
  row is missing (F08). Hidden roster rows are left out the same way.
- **Values** through ``clean.clean_value``. A cell with a problem (F01/F02/F03) gives a finding
  and no value (the form is rejected by the error anyway). Money (TR2, TR5) is converted to 万元
  with the unit of measure wherever the form states it: the 单位 line, the title, the value
  columns' headers (``本年（元）``); places that contradict each other are an error (F12) and
  nothing is read. F05 names the unit and the cells. A unit typed in a cell wins over them.
  F09 warns when TR2 300 (财政总收入) in 万元 is outside ``[F09_MIN_REVENUE,
  F09_MAX_REVENUE]``. A formula without a cached value is evaluated when it is a plain sum of
  cells of the same sheet (``=SUM(C8:C13)``, ``=C8+C9``); any other is F06.
- **Workbook-level facts.** A form's 填报单位, year and 报出日期 are read in its own block
  (header above, footer below); what it does not state it takes from its sheet, then from the
  workbook's other forms (the unit and year when they agree, the latest 报出日期: the date a
  workbook was sent belongs to every form in it, a roster without a footer included), then
  from the file name (unit and year). The unit is read through ``units.identify_unit``; a file
  name that only names the city (东莞市…) names no unit.
- **Whose the file is** is the batch's decision (``ingest.assemble``): when the sheets name a
  unit and the file name another, ``ParseResult.unit_conflict`` says so, and the batch holds
  the file (X04) until the statistician assigns it. X03, X05 and X06 are the batch's too, as it
  knows the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import TYPE_CHECKING

from talentstats.model import Finding, FormRead, WorkbookGrid
from talentstats.profile.units import identify_unit
from talentstats.reading.candidates import Candidate, contest, sheet_candidates, sole_value
from talentstats.reading.meta import year_in_file_name
from talentstats.reading.vocabulary import vocabulary_of

if TYPE_CHECKING:
    from talentstats.profile.config import Profile

__all__ = ["ParseResult", "locate_forms"]


@dataclass
class ParseResult:
    """What ``locate_forms`` found in one workbook: forms, file-level findings (X01, X02), and
    the units when the sheets' 填报单位 names another unit than the file name (``unit_conflict``:
    (the sheets' unit, the file name's unit); ``conflict_cells``: where the sheets say so). The
    batch decides what a conflict means: it knows the statistician's assignments."""

    forms: list[FormRead] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unit_conflict: tuple[str, str] | None = None
    conflict_cells: str = ""


def locate_forms(grid: WorkbookGrid, profile: Profile) -> ParseResult:
    """Find and read every form in a workbook.

    Every candidate block of every form is read, on every sheet and at any row; per form the
    best by evidence wins (``candidates._rank``): a candidate without values never beats one
    with values, and two filled candidates that disagree are an error (X07). A form without any value is
    an error (F10). What a form does not state itself, it takes from its sheet, then from the
    workbook's other forms (填报单位 and year when they agree, the latest 报出日期), then from
    the file name.

    Parameters
    ----------
    grid
        The workbook as plain values (``readers.read_workbook``).
    profile
        The deployment profile: its forms, rules, units and city.

    Returns
    -------
    ParseResult
        One ``FormRead`` per form, each with its findings and ``unit_code``/``year`` resolved;
        file-level findings (X01 for a sheet that could not be parsed, X02 for no form), and
        ``unit_conflict`` when the sheets name another unit than the file name.
    """
    lex = vocabulary_of(profile)
    base = PurePath(grid.source_file).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    result = ParseResult()
    by_form: dict[str, list[Candidate]] = {}
    for order, sheet in enumerate(grid.sheets):
        try:
            cands = sheet_candidates(sheet, order, lex)
        except Exception as exc:  # noqa: BLE001 - a bug on one odd sheet must not cost the batch
            result.findings.append(lex.rules["X01"].finding(
                case="sheet", file=base, sheet=sheet.name, error=f"{type(exc).__name__}: {exc}",
                office=profile.city.office,
                cells=sheet.name,
            ))
            continue
        for c in cands:
            by_form.setdefault(c.form.form, []).append(c)
    if not by_form and not result.findings:
        looked = "、".join(f"“{s.name}”" for s in grid.sheets) or "（无工作表）"
        result.findings.append(lex.rules["X02"].finding(
            file=base, table_nos=lex.table_no_range, sheets=looked,
            unit_code=identify_unit(stem) or "",
        ))
        return result

    chosen = []
    for code in sorted(by_form, key=lambda c: lex.forms[c].number):
        best, found = contest(code, by_form[code], lex)
        best.form.findings = best.form.findings + found
        chosen.append(best)
    file_unit = identify_unit(stem)
    file_year = year_in_file_name(stem)
    wb_unit = sole_value([c.form.unit_code or c.sheet_unit for c in chosen])
    wb_year = sole_value([c.form.year or c.sheet_year for c in chosen])
    wb_date = max((d for c in chosen if (d := c.form.report_date or c.sheet_date)), default=None)
    named: list[tuple[str, str]] = []  # (sheet, cell) of forms whose 填报单位 disagrees with the file name
    for c in chosen:
        fr = c.form
        sheet_unit = fr.unit_code or c.sheet_unit or wb_unit
        if sheet_unit and file_unit and sheet_unit != file_unit and file_unit != profile.city.code:
            named.append((fr.sheet, c.unit_cell))
            result.unit_conflict = (sheet_unit, file_unit)
        fr.unit_code = sheet_unit or file_unit
        fr.year = fr.year or c.sheet_year or wb_year or file_year
        fr.report_date = fr.report_date or c.sheet_date or wb_date
        if fr.unit_code:
            fr.findings = [replace(x, unit_code=fr.unit_code) for x in fr.findings]
        result.forms.append(fr)
    if named:
        result.conflict_cells = ";".join(f"{s}!{ref}" if ref else s for s, ref in named)
    return result
