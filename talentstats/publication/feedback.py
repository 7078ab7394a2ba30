"""Feedback to the reporting units: a feedback workbook per unit, and the collection summary.

A unit's feedback workbook (审核反馈表) follows its current submission: the files that count now
(the winners of the resubmission rule, accepted or rejected, and any file that could not be
read). When those carry findings, the workbook is a copy of them, as sent, with the cells of
every finding filled (强制性 errors red, 核实性 warnings yellow) and commented with the message,
after a first sheet 审核结果 that lists the findings and says whether the unit must resubmit or
only confirm. A unit with no finding gets a receipt: 审核结果 alone, saying 审核通过 and listing
the forms received; nothing is copied. Files that a later file replaced are listed on 审核结果
(file, 报出日期, file time, the file that replaced it), never copied. A legacy .xls is converted
(values, merged ranges and sheet visibility, through python-calamine) into an .xlsx with the
same sheet names and cell positions. Every sheet prints to the page width (landscape where
wide) and repeats its header rows.

The files are opened here only after the ingest has read them in its sandbox; a file that the
ingest could not read (finding X01) is never opened again: its findings are listed only.
``pipeline.write_reports`` runs each unit's workbook in an ``IsolatedExecutor`` child (its
timeout and memory limit); even so a file is copied only when it is small
(``MAX_COPY_XML_BYTES``, ``MAX_COPY_XLS_BYTES``), and a file that openpyxl cannot open (it is
stricter than calamine) is listed rather than copied: the 审核结果 sheet says so.

Whatever came from a submission goes through one check (``_defuse``) before the workbook is
saved: a formula (ArrayFormula included), defined name, hyperlink, conditional format or data
validation that reaches outside the workbook (DDE, links to other files, HYPERLINK,
WEBSERVICE..., ``file://`` or UNC links) becomes text or is dropped; macros and external links
are not copied. Text from a submission is always written as text, never as a formula, with the
characters XML forbids removed (``clean_text``).

A feedback workbook holds the unit's roster (names and ID numbers): it goes back to that unit
only. ``pipeline.write_reports`` writes them to ``reports/<year>/feedback/`` with a
``PERSONAL_DATA_NOTE`` file beside them.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from talentstats.profile.config import city
from talentstats.profile.forms import form, forms
from talentstats.profile.units import reporting_units
from talentstats.profile.units import unit_name as _unit_name

__all__ = [
    "FEEDBACK_SHEET",
    "STATUS_LABELS",
    "clean_text",
    "collection_table",
    "current_findings",
    "write_collection_summary",
    "write_feedback",
]

FEEDBACK_SHEET = "审核结果"
STATUS_LABELS = {
    "accepted": "已接收",
    "rejected": "已退回",
    "superseded": "被替代",
    "unreadable": "无法读取",
}
MISSING = "未报送"
NOT_APPLICABLE = "—"
SEVERITY_LABELS = {"error": "强制性", "warning": "核实性"}

_FILLS = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
}
_STATUS_FILLS = {
    "已接收": PatternFill("solid", fgColor="C6EFCE"),
    "已退回": PatternFill("solid", fgColor="FFC7CE"),
    "被替代": PatternFill("solid", fgColor="D9D9D9"),
    "无法读取": PatternFill("solid", fgColor="F8CBAD"),
    "未报送": PatternFill("solid", fgColor="FFEB9C"),
}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ROW_REF = re.compile(r"^\$?(\d+):\$?(\d+)$")
#: Inflated worksheet XML of a source above which it is not copied into its feedback workbook
#: (about 200,000 cells). openpyxl holds each cell as a Python object: a sheet of 1,000,000
#: cells (7.5 MB on disk) took 45 s and 840 MB to copy, close to the limits of the worker
#: that writes the workbook (``pipeline.write_reports``).
MAX_COPY_XML_BYTES = 8 * 2**20
#: The same for a legacy .xls, by file size (its cells cannot be counted without parsing it).
MAX_COPY_XLS_BYTES = 4 * 2**20
#: A formula that reaches outside the workbook when Excel opens or recalculates it: DDE
#: (``=cmd|' /c calc'!A1``), a link to another file (``[1]Sheet1!A1``, ``'C:\\x\\[b.xlsx]S'!A1``),
#: or a function that fetches, opens or runs something. The copy keeps it as text.
_OUTWARD = re.compile(
    r"[|\[]|\b(?:HYPERLINK|WEBSERVICE|FILTERXML|IMPORT\w*|RTD|CALL|REGISTER(?:\.ID)?|EXEC"
    r"|IMAGE|DDE\w*)\s*\(",
    re.IGNORECASE,
)
#: The file written beside the feedback workbooks (``pipeline.write_reports``).
PERSONAL_DATA_NOTE = "含个人信息-请勿公开.txt"
PERSONAL_DATA_TEXT = (
    "本文件夹中的审核反馈表是各单位所报报表的副本，含高层次人才名册中的姓名、公民身份号码等个人信息。\n"
    "每份反馈表只发回报送它的单位，不得公开、转发或上传到共享位置；公报、附表与数据集中不含这些信息。\n"
    "\n"
    "The feedback workbooks in this folder are copies of the units' own submissions and hold "
    "personal data (names and ID numbers of the TR4 roster). Send each one back to its own "
    "unit only; never publish or share this folder.\n"
)
_SHEET_CHARS = re.compile(r"[\[\]\*\?/\\:]")


# ---------------------------------------------------------------------------------------------
# Small helpers


def clean_text(text: str) -> str:
    """``text`` without the characters XML forbids (a ``\\x0b`` pasted from Word): openpyxl
    refuses them, and the whole workbook would be lost."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _put(ws: Worksheet, row: int, col: int, value) -> None:
    """Write a value; a string starting with '=' stays text, never a live formula, and loses
    the characters XML forbids."""
    if hasattr(value, "text") and not isinstance(value, str):  # an ArrayFormula: as text
        value = str(value.text)
    if isinstance(value, str):
        value = clean_text(value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


class _StyleCache:
    """openpyxl styles made once per key and then copied: setting a cell's font, fill or
    border hashes the style objects each time, which took most of a 10,000-unit summary's
    time."""

    def __init__(self) -> None:
        self._made: dict[object, object] = {}

    def apply(self, cell, key: object, **attrs) -> None:
        """Give ``cell`` (still unstyled) the style ``attrs``, known by ``key``."""
        made = self._made.get(key)
        if made is None:
            for name, value in attrs.items():
                setattr(cell, name, value)
            self._made[key] = copy(cell._style)
        else:
            cell._style = copy(made)


def _table_label(code: object) -> str:
    try:
        return f"表{form(str(code)).number}"
    except KeyError:
        return ""


_FINDING_COLUMNS = ["form", "rule", "kind", "severity", "message", "cells", "source_file"]


def _finding_records(findings: pd.DataFrame | None) -> list[dict[str, str]]:
    """Findings as plain records of ``_FINDING_COLUMNS`` (text, "" for missing): a unit has a
    few, and pandas' own per-call costs were most of a small workbook's time."""
    if findings is None or not len(findings):
        return []
    n = len(findings)
    columns = [findings[c].astype("string").fillna("").tolist() if c in findings else [""] * n
               for c in _FINDING_COLUMNS]
    return [dict(zip(_FINDING_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]


def _is_xls(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(8) == _OLE2


# ---------------------------------------------------------------------------------------------
# Building the copy of the submission


def _unique_sheet_name(wb: Workbook, wanted: str, prefix: str) -> str:
    taken = {n for n in wb.sheetnames} | {FEEDBACK_SHEET}
    if wanted not in taken:
        return wanted
    base = _SHEET_CHARS.sub("_", f"{prefix}_{wanted}")[:31]
    name, n = base, 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    return name


def _copy_xlsx_sheets(src_path: Path, wb: Workbook, prefix: str) -> dict[str, str]:
    """Copy every sheet of an .xlsx/.xlsm into ``wb`` with values, styles, merges and sizes
    (formulas become text)."""
    src = _open_xlsx(src_path)
    names: dict[str, str] = {}
    for ws in src.worksheets:
        dst = wb.create_sheet(_unique_sheet_name(wb, ws.title, prefix))
        names[ws.title] = dst.title
        dst.sheet_state = ws.sheet_state
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None and not cell.has_style:
                    continue
                _put(dst, cell.row, cell.column, cell.value)
                if cell.has_style:
                    out = dst.cell(row=cell.row, column=cell.column)
                    out.font, out.fill, out.border = copy(cell.font), copy(cell.fill), copy(cell.border)
                    out.alignment, out.protection = copy(cell.alignment), copy(cell.protection)
                    out.number_format = cell.number_format
        for rng in ws.merged_cells.ranges:
            dst.merge_cells(str(rng))
        for key, dim in ws.column_dimensions.items():
            dst.column_dimensions[key].width = dim.width
            dst.column_dimensions[key].hidden = dim.hidden
        for key, dim in ws.row_dimensions.items():
            dst.row_dimensions[key].height = dim.height
            dst.row_dimensions[key].hidden = dim.hidden
        dst.freeze_panes = ws.freeze_panes
    src.close()
    return names


def _copy_xls_sheets(src_path: Path, wb: Workbook, prefix: str) -> dict[str, str]:
    """Convert an .xls into sheets of ``wb``: values at the same positions, merges, visibility."""
    from python_calamine import CalamineWorkbook

    names: dict[str, str] = {}
    with open(src_path, "rb") as fh:
        book = CalamineWorkbook.from_filelike(fh)
        visible = {m.name: str(m.visible) for m in book.sheets_metadata}
        for sheet_name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(sheet_name)
                rows = sheet.to_python(skip_empty_area=False)
                merged = sheet.merged_cell_ranges or []
            except Exception:  # a chart or macro sheet: nothing to copy  # noqa: BLE001
                continue
            dst = wb.create_sheet(_unique_sheet_name(wb, sheet_name, prefix))
            names[sheet_name] = dst.title
            if "Hidden" in visible.get(sheet_name, ""):
                dst.sheet_state = "hidden"
            for r, values in enumerate(rows, start=1):
                for c, value in enumerate(values, start=1):
                    if value != "" and value is not None:
                        _put(dst, r, c, value)
            for (r0, c0), (r1, c1) in merged:
                if (r0, c0) != (r1, c1):
                    dst.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1,
                                    end_column=c1 + 1)
            for c in range(1, (max((len(v) for v in rows), default=0)) + 1):
                dst.column_dimensions[get_column_letter(c)].width = 14
    return names


def _open_xlsx(path: Path) -> Workbook:
    """The unit's .xlsx/.xlsm in openpyxl, from its bytes (openpyxl would refuse an .xlsx named
    .xls by its extension), without macros or external links."""
    return openpyxl.load_workbook(io.BytesIO(path.read_bytes()), keep_vba=False, keep_links=False)


def _copy_problem(path: Path) -> str | None:
    """Why a source is not copied into the feedback workbook (too big), or None."""
    if _is_xls(path):
        size = path.stat().st_size
        if size > MAX_COPY_XLS_BYTES:
            return f"文件较大（{size / 2**20:.1f} MB）"
        return None
    try:
        with zipfile.ZipFile(path) as z:
            xml = sum(i.file_size for i in z.infolist() if i.filename.startswith("xl/worksheets/"))
    except (zipfile.BadZipFile, OSError, ValueError):
        return "文件无法打开"
    if xml > MAX_COPY_XML_BYTES:
        return f"工作表数据较多（约 {xml / 2**20:.0f} MB）"
    return None


def _outward(text: object) -> bool:
    return bool(_OUTWARD.search(str(text or "")))


def _defuse(wb: Workbook) -> int:
    """The one check of everything a copied submission brings along that Excel would evaluate
    or follow: what reaches outside the workbook (``_OUTWARD``) becomes text or is dropped.
    Returns how many things were defused.

    - cell formulas, ``ArrayFormula`` objects included: shown as text;
    - defined names, workbook- and sheet-level, and macro names: dropped;
    - hyperlinks: any with a target (a web address, ``file://``, a UNC path, another file) is
      dropped, with its external relationship; a link within the workbook whose location does
      not reach outside is kept;
    - conditional formats and data validations whose formula reaches outside: dropped;
    - a legacy drawing (VML form controls): dropped; our comments bring their own.

    External links and macros are never loaded (``_open_xlsx``), so no external relationship
    is left in the package.
    """
    n = 0
    # A defined name is a formula too (``X`` = ``cmd|' /c calc'!A0``, ``[1]Sheet1!A1``: Excel
    # evaluates it for any cell that says ``=X``), and the unit's own workbook is the base of
    # the copy, so its names, workbook-level and sheet-level, come with it. A name that reaches
    # outside, or a macro's name, is dropped (a cell using it shows #NAME?). The others are
    # kept rather than dropping every name: the unit's own sums may use one, and would show
    # #NAME? in the copy sent back to it. Print areas and titles are read by openpyxl as cell
    # ranges only (it drops any other value), and the copy has no macro sheet for a name to run.
    for names in (wb.defined_names, *(ws.defined_names for ws in wb.worksheets)):
        for key, defn in list(names.items()):
            if defn.function or defn.vbProcedure or defn.xlm or _outward(defn.value):
                del names[key]
                n += 1
    wb._external_links = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    text = str(getattr(cell.value, "text", None) or cell.value)
                    if _outward(text):
                        cell.value = clean_text(text if text.startswith("=") else "=" + text)
                        cell.data_type = "s"
                        n += 1
                link = getattr(cell, "_hyperlink", None)
                if link is not None and (link.target or _outward(link.location)):
                    cell._hyperlink = None
                    n += 1
        kept = [h for h in ws._hyperlinks if not h.target and not _outward(h.location)]
        n += len(ws._hyperlinks) - len(kept)
        ws._hyperlinks = kept
        formats = ConditionalFormattingList()
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                if any(_outward(f) for f in rule.formula or ()):
                    n += 1
                else:
                    formats.add(str(cf.sqref), rule)
        ws.conditional_formatting = formats
        validations = ws.data_validations.dataValidation
        safe = [dv for dv in validations if not (_outward(dv.formula1) or _outward(dv.formula2))]
        n += len(validations) - len(safe)
        ws.data_validations.dataValidation = safe
        ws.legacy_drawing = None
    return n


def _load_sources(
    sources: list[tuple[Path | None, list[dict]]],
) -> tuple[Workbook, list[dict], list[str]]:
    """One workbook holding every readable source's sheets; per source, old -> new sheet names;
    and notes on the sources that were not copied."""
    wb: Workbook | None = None
    maps: list[dict[str, str]] = []
    notes: list[str] = []
    for path, found in sources:
        readable = (path is not None and Path(path).is_file()
                    and not any(rec["rule"] == "X01" for rec in found))
        if not readable:
            maps.append({})
            continue
        path = Path(path)
        problem = _copy_problem(path)
        if problem:
            notes.append(f"文件“{path.name}”{problem}，未附原表，审核结果见本表。")
            maps.append({})
            continue
        before = set(wb.sheetnames) if wb is not None else set()
        try:
            if wb is None and not _is_xls(path):
                wb = _open_xlsx(path)  # the unit's own file, kept as sent
                names = {ws.title: ws.title for ws in wb.worksheets}
                if FEEDBACK_SHEET in names:
                    renamed = _unique_sheet_name(wb, "原" + FEEDBACK_SHEET, "原")
                    wb[FEEDBACK_SHEET].title = renamed
                    names[FEEDBACK_SHEET] = renamed
                maps.append(names)
                continue
            if wb is None:
                wb = Workbook()
                wb.remove(wb.active)
            copier = _copy_xls_sheets if _is_xls(path) else _copy_xlsx_sheets
            maps.append(copier(path, wb, path.stem))
        except Exception as exc:  # noqa: BLE001 - openpyxl is stricter than calamine: list only
            if wb is not None:
                for name in set(wb.sheetnames) - before:
                    wb.remove(wb[name])
            notes.append(f"文件“{path.name}”无法复制到反馈表（{type(exc).__name__}），"
                         "未附原表，审核结果见本表。")
            maps.append({})
    if wb is None:
        wb = Workbook()
        wb.remove(wb.active)
    return wb, maps, notes


# ---------------------------------------------------------------------------------------------
# Marking the cells


def _targets(ws: Worksheet, ref: str) -> list[tuple[int, int]]:
    """(row, col) cells a reference covers: 'C7', 'C7:D9' or a whole row '12:12'."""
    m = _ROW_REF.match(ref)
    if m:
        last = max(ws.max_column, 1)
        return [(r, c) for r in range(int(m.group(1)), int(m.group(2)) + 1) for c in range(1, last + 1)]
    try:
        c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
    except (ValueError, TypeError):
        return []
    if None in (c0, r0, c1, r1):
        return []
    return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


def _top_left(ws: Worksheet, row: int, col: int) -> tuple[int, int]:
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return rng.min_row, rng.min_col
    return row, col


def _mark(wb: Workbook, sources: list[tuple[Path | None, list[dict]]], maps: list[dict]) -> int:
    """Fill and comment every finding's cells; returns how many cells were marked."""
    notes: dict[tuple[str, int, int], list[tuple[str, str]]] = {}
    fills: dict[tuple[str, int, int], str] = {}
    for (_, found), names in zip(sources, maps, strict=True):
        for rec in found:
            text = f"[{rec['rule']} {SEVERITY_LABELS.get(rec['severity'], '')}] {rec['message']}"
            for ref in filter(None, rec["cells"].split(";")):
                sheet, _, coord = ref.rpartition("!")
                if sheet not in names:
                    continue
                ws = wb[names[sheet]]
                cells = _targets(ws, coord)
                for i, (r, c) in enumerate(cells):
                    r, c = _top_left(ws, r, c)
                    key = (ws.title, r, c)
                    if fills.get(key) != "error":
                        fills[key] = rec["severity"]
                    if i == 0 and text not in [t for _, t in notes.get(key, [])]:
                        notes.setdefault(key, []).append((rec["severity"], text))
    for (title, r, c), severity in fills.items():
        wb[title].cell(row=r, column=c).fill = _FILLS.get(severity, _FILLS["warning"])
    for (title, r, c), texts in notes.items():
        body = clean_text("\n".join(t for _, t in texts))
        comment = Comment(body, city().issuer)
        comment.width = 320
        comment.height = max(80, 20 * (len(body) // 22 + len(texts) + 1))
        wb[title].cell(row=r, column=c).comment = comment
    return len(fills)


# ---------------------------------------------------------------------------------------------
# The 审核结果 sheet


def _verdict(found: list[dict]) -> str:
    errors = [rec for rec in found if rec["severity"] == "error"]
    warnings = [rec for rec in found if rec["severity"] == "warning"]
    if len(errors):
        tables = sorted({_table_label(rec["form"]) for rec in errors} - {""})
        which = f"（{'、'.join(tables)}）" if tables else ""
        text = (f"审核发现{len(errors)}条强制性错误（红色标示），相关报表{which}已退回，"
                "请更正后重新报送。")
        if len(warnings):
            text += f"另有{len(warnings)}条核实性提示（黄色标示），请一并核实并说明情况。"
        return text
    if len(warnings):
        return (f"未发现强制性错误，报表已接收。有{len(warnings)}条核实性提示（黄色标示），"
                "请核实确认，数据无误的请书面说明原因，无需重新报送。")
    return "审核通过，未发现问题，报表已接收。"


def _received_rows(received: Sequence[Mapping]) -> list[list]:
    """表, 报表, 文件, 状态 per form received (records with form, source_file, status)."""
    rows = []
    for rec in sorted(received, key=lambda r: (str(r["form"] or ""), str(r["source_file"]))):
        code = str(rec["form"] or "")
        title = form(code).title if code in forms() else ""
        rows.append([_table_label(code) or "—", title or "（未识别的报表）", rec["source_file"],
                     STATUS_LABELS.get(rec["status"], rec["status"])])
    return rows


def _superseded_rows(superseded: Sequence[Mapping]) -> list[list]:
    """文件, 表, 报出日期, 文件时间, 替代它的文件 per superseded file (``superseded_table``)."""
    def when(value: object, fmt: str) -> str:
        return "" if value is None else value.strftime(fmt)

    return [[rec["source_file"], "、".join(_table_label(f) or f for f in rec["forms"]),
             when(rec["report_date"], "%Y-%m-%d") or "未填写",
             when(rec["modified"], "%Y-%m-%d %H:%M"), rec["replaced_by"]]
            for rec in superseded]


@dataclass
class _Layout:
    """The 审核结果 sheet as data, for either writer (openpyxl for a copy, XlsxWriter for a
    receipt): cells (row and column from 1, value, a ``_STYLES`` name), rows merged from
    column A to the table's last column, and row heights."""

    cells: list[tuple[int, int, object, str]] = field(default_factory=list)
    merged: set[int] = field(default_factory=set)
    heights: dict[int, float] = field(default_factory=dict)

    def put(self, row: int, col: int, value: object, style: str = "plain") -> None:
        self.cells.append((row, col, value, style))

    def table(self, top: int, title: str, header: list[str], rows: list[list]) -> int:
        """A titled table from row ``top``; returns the row after it."""
        self.put(top, 1, title, "heading")
        for c, text in enumerate(header, start=1):
            self.put(top + 1, c, text, "header")
        for r, values in enumerate(rows, start=top + 2):
            for c, value in enumerate(values, start=1):
                self.put(r, c, value, "cell")
            self.heights[r] = 15 * max(1, *(-(-len(str(v)) // 30) for v in values))
        return top + 2 + len(rows)


#: The look of each kind of cell on 审核结果: bold, size, font colour, fill, border, wrap.
_STYLES = {
    "plain": (False, 11, None, None, False, False),
    "title": (True, 14, None, None, False, False),
    "verdict": (True, 11, "000000", None, False, True),
    "verdict_error": (True, 11, "C00000", None, False, True),
    "note": (False, 11, None, None, False, True),
    "heading": (True, 11, None, None, False, False),
    "header": (True, 11, None, "DDEBF7", True, False),
    "cell": (False, 11, None, None, True, True),
    "error": (False, 11, None, "FFC7CE", True, True),
    "warning": (False, 11, None, "FFEB9C", True, True),
}
_RESULT_WIDTHS = [6, 6, 7, 7, 8, 64, 22]
_RESULT_HEADER_ROW = 5


def _results_layout(found: list[dict], unit: str, year: int, notes: Sequence[str] = (), *,
                    received: Sequence[Mapping] = (),
                    superseded: Sequence[Mapping] = ()) -> _Layout:
    """What the 审核结果 sheet says: title, verdict, the findings, the forms received and the
    files superseded."""
    out = _Layout()
    out.put(1, 1, f"{unit}{year}年人才资源统计报表审核结果", "title")
    errors = any(rec["severity"] == "error" for rec in found)
    out.put(2, 1, _verdict(found), "verdict_error" if errors else "verdict")
    out.put(3, 1, "说明：强制性审核不通过的报表须更正后重新报送；核实性审核提示的数据请核实，"
                  "确认无误的请说明原因。单元格已在各报表中标示并附批注。", "note")
    out.merged |= {2, 3}
    out.heights |= {2: 36, 3: 30}
    if notes:  # sources not copied into this workbook
        out.put(4, 1, "注：" + "".join(notes), "note")
        out.merged.add(4)
        out.heights[4] = 15 * max(2, -(-len("".join(notes)) // 60))
    for c, text in enumerate(["序号", "表", "规则", "类别", "性质", "说明", "单元格"], start=1):
        out.put(_RESULT_HEADER_ROW, c, text, "header")
    rank = {"error": 0, "warning": 1}
    records = sorted(found, key=lambda r: (rank.get(r["severity"], 2), r["form"], r["rule"],
                                           r["cells"]))  # errors first
    for i, rec in enumerate(records, start=1):
        values = [i, _table_label(rec["form"]), rec["rule"], rec["kind"],
                  SEVERITY_LABELS.get(rec["severity"], rec["severity"]), rec["message"],
                  rec["cells"]]
        for c, value in enumerate(values, start=1):
            out.put(5 + i, c, value, rec["severity"] if c == 5 and rec["severity"] in _FILLS
                    else "cell")
        # no writer sizes rows: about 30 Chinese characters fit a line of the 说明 column
        lines = max(1, -(-len(str(rec["message"])) // 30), -(-len(str(rec["cells"])) // 10))
        out.heights[5 + i] = 15 * lines
    if not found:
        out.put(6, 1, "无")
    row = 6 + max(1, len(found)) + 1
    if received:
        row = out.table(row, "已收到的报表", ["表", "报表", "文件", "状态"],
                        _received_rows(received)) + 1
    if superseded:
        out.table(row, "已被后报文件替代的文件（不再审核，未附原表）",
                  ["文件", "表", "报出日期", "文件时间", "替代它的文件"], _superseded_rows(superseded))
    return out


def _openpyxl_style(name: str) -> dict:
    bold, size, colour, fill, border, wrap = _STYLES[name]
    return {"font": Font(bold=bold, size=size, color=colour),
            "fill": PatternFill("solid", fgColor=fill) if fill else PatternFill(),
            "border": _BORDER if border else Border(),
            "alignment": _WRAP if wrap else Alignment()}


def _write_results_sheet(wb: Workbook, layout: _Layout) -> None:
    """The 审核结果 sheet, first in ``wb``, with openpyxl."""
    ws = wb.create_sheet(FEEDBACK_SHEET, 0)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    styles = _StyleCache()
    for row, col, value, style in layout.cells:
        _put(ws, row, col, value)
        if style != "plain":
            styles.apply(ws.cell(row=row, column=col), style, **_openpyxl_style(style))
    for row in layout.merged:
        ws.merge_cells(start_row=row, start_column=1, end_row=row,
                       end_column=len(_RESULT_WIDTHS))
    for row, height in layout.heights.items():
        ws.row_dimensions[row].height = height
    for c, width in enumerate(_RESULT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = f"A{_RESULT_HEADER_ROW + 1}"
    # printed for the town's records: A4 landscape, all columns on one page width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{_RESULT_HEADER_ROW}:{_RESULT_HEADER_ROW}"


def _save_receipt(layout: _Layout, out_path: str | os.PathLike, year: int) -> Path:
    """A receipt: the 审核结果 sheet alone, written with XlsxWriter (about a fifth of what
    openpyxl takes for it), text always as text, saved atomically like ``_save``."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "in_memory": True})
    wb.set_properties({"author": city().issuer, "created": datetime(year + 1, 1, 1)})
    formats = {}
    for name, (bold, size, colour, fill, border, wrap) in _STYLES.items():
        spec = {"bold": bold, "font_size": size, "text_wrap": wrap, "valign": "top" if wrap else None,
                "font_color": f"#{colour}" if colour else None,
                "bg_color": f"#{fill}" if fill else None, "pattern": 1 if fill else 0,
                "border": 1 if border else 0, "border_color": "#999999" if border else None}
        formats[name] = wb.add_format({k: v for k, v in spec.items() if v is not None})
    ws = wb.add_worksheet(FEEDBACK_SHEET)
    last = len(_RESULT_WIDTHS) - 1
    for row, col, value, style in layout.cells:
        value = clean_text(value) if isinstance(value, str) else value
        if row in layout.merged and col == 1:
            ws.merge_range(row - 1, 0, row - 1, last, value, formats[style])
        else:
            ws.write(row - 1, col - 1, value, formats[style])
    for row, height in layout.heights.items():
        ws.set_row(row - 1, height)
    for c, width in enumerate(_RESULT_WIDTHS):
        ws.set_column(c, c, width)
    ws.freeze_panes(_RESULT_HEADER_ROW, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(_RESULT_HEADER_ROW - 1)
    wb.close()
    os.replace(tmp, out)
    return out


#: A sheet wider than this (in Excel's column-width units; an A4 page holds about 95 at 100%)
#: prints landscape.
_PORTRAIT_WIDTH = 95


def _header_rows(ws: Worksheet) -> int:
    """How many rows at the top of a unit's sheet are its title and header: the rows above a
    frozen pane, else those above the first of the top 30 rows holding a number (a form's
    first item code, or a roster's first 序号); 0 when there is none."""
    if ws.freeze_panes:
        return ws[ws.freeze_panes].row - 1
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 30)):
        if any(isinstance(c.value, int | float) and not isinstance(c.value, bool) for c in row):
            return row[0].row - 1
    return 0


def _print_ready(ws: Worksheet) -> None:
    """Print ``ws`` on A4 at the page width, landscape where wide, header rows repeated."""
    widths = [(ws.column_dimensions[get_column_letter(c)].width or 8.43)
              if get_column_letter(c) in ws.column_dimensions else 8.43
              for c in range(1, ws.max_column + 1)]
    ws.page_setup.orientation = "landscape" if sum(widths) > _PORTRAIT_WIDTH else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    header = _header_rows(ws)
    if 0 < header < ws.max_row:
        ws.print_title_rows = f"1:{header}"


def _save(wb: Workbook, out_path: str | os.PathLike, year: int) -> Path:
    """Save a workbook atomically, with the office (city.yaml ``issuer``) as author and a fixed
    creation date."""
    wb.properties.creator = city().issuer
    wb.properties.created = datetime(year + 1, 1, 1)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    wb.save(tmp)
    os.replace(tmp, out)
    return out


def write_feedback(
    source_path: str | os.PathLike | Mapping[str | os.PathLike, pd.DataFrame] | None,
    findings: pd.DataFrame | None,
    out_path: str | os.PathLike,
    *,
    unit_name: str,
    year: int,
    received: Sequence[Mapping] = (),
    superseded: Sequence[Mapping] = (),
) -> Path:
    """Write a unit's feedback workbook: a copy of the files with their findings marked, or a
    receipt (审核结果 alone) when there is no finding.

    Parameters
    ----------
    source_path
        The unit's submitted workbook (.xlsx, .xlsm or .xls; the format is sniffed), or a
        mapping ``{file: findings of that file}`` when the unit sent several files (then
        ``findings`` holds findings not tied to a file, or None). Sheets whose names clash
        get the file name as prefix.
    findings
        Findings (columns of the ``findings`` dataset) whose ``cells`` name sheets of that file.
    out_path
        The .xlsx to write; its folder is created.
    unit_name, year
        For the title of the 审核结果 sheet.
    received
        The forms received that count now (records with form, source_file, status), listed
        on 审核结果.
    superseded
        The files a later file replaced (records of ``superseded_table``), listed on 审核结果,
        not copied.

    Returns
    -------
    The path written.
    """
    if isinstance(source_path, Mapping):
        given = list(source_path.items())
    else:
        given = [(source_path, findings)]
        findings = None
    if all(f is None or not len(f) for _, f in [*given, (None, findings)]):
        # a receipt: nothing to mark, so nothing is copied
        layout = _results_layout([], unit_name, year, received=received, superseded=superseded)
        return _save_receipt(layout, out_path, year)
    sources = [(Path(p) if p is not None else None, _finding_records(f)) for p, f in given]
    every = [rec for _, found in sources for rec in found] + _finding_records(findings)
    wb, maps, notes = _load_sources(sources)
    _defuse(wb)
    for ws in wb.worksheets:
        _print_ready(ws)
    _mark(wb, sources, maps)
    _write_results_sheet(wb, _results_layout(every, unit_name, year, notes, received=received,
                                             superseded=superseded))
    return _save(wb, out_path, year)


# ---------------------------------------------------------------------------------------------
# The collection summary

_PRIORITY = ["accepted", "rejected", "unreadable", "superseded"]


def superseded_findings(findings: pd.DataFrame, submissions: pd.DataFrame) -> pd.Series:
    """Which findings concern a superseded file: a boolean Series on ``findings``' index.

    A finding is superseded when every submission of its (year, file, form) is superseded, or,
    for a finding about the whole file (``form`` empty), every submission of its (year, file).
    Such findings stay in the ``findings`` dataset as an audit trail; nothing counts them.
    """
    if findings is None or not len(findings) or not len(submissions):
        return pd.Series(False, index=getattr(findings, "index", None), dtype=bool)

    def keys(frame: pd.DataFrame, cols: list[str]) -> list[tuple]:
        return list(zip(*(frame[c].astype("string").fillna("").tolist() for c in cols),
                        strict=True))

    by_form = ["year", "source_file", "form"] if "year" in findings and "year" in submissions \
        else ["source_file", "form"]
    by_file = by_form[:-1]
    old = submissions["status"] == "superseded"
    gone_forms = set(keys(submissions[old], by_form)) - set(keys(submissions[~old], by_form))
    gone_files = set(keys(submissions[old], by_file)) - set(keys(submissions[~old], by_file))
    whole_file = findings["form"].astype("string").fillna("").eq("").tolist()
    hit = [(k in gone_files) if w else (k2 in gone_forms) for k, k2, w in
           zip(keys(findings, by_file), keys(findings, by_form), whole_file, strict=True)]
    return pd.Series(hit, index=findings.index, dtype=bool)


def current_findings(findings: pd.DataFrame, submissions: pd.DataFrame) -> pd.DataFrame:
    """The findings that count: those of the files that count now (``superseded_findings``)."""
    if findings is None or not len(findings):
        return findings
    return findings.loc[~superseded_findings(findings, submissions)]


def superseded_table(submissions: Sequence[Mapping], report_dates: Mapping[tuple[str, str], object],
                     modified: Mapping[str, float | None]) -> list[dict]:
    """The files of one unit that later files replaced, for its 审核结果 sheet.

    Parameters
    ----------
    submissions
        The unit's submissions of the year, as records (source_file, form, status).
    report_dates
        ``(file, form) -> 报出日期`` (a date, or None where the form gives none).
    modified
        ``file -> file time`` (seconds since the epoch, or None).

    Returns
    -------
    One record per file whose every form was superseded: ``source_file``, ``forms`` (codes),
    ``report_date`` (the latest of its forms'), ``modified`` (local time), ``replaced_by``
    (the files that count now for those forms, joined), newest first.
    """
    forms_of: dict[str, set[str]] = {}
    current_of: dict[str, set[str]] = {}  # form -> the files that count for it
    for rec in submissions:
        forms_of.setdefault(rec["source_file"], set()).add(rec["form"])
        if rec["status"] != "superseded":
            current_of.setdefault(rec["form"], set()).add(rec["source_file"])
    now = set().union(*current_of.values()) if current_of else set()
    rows = []
    for file in set(forms_of) - now:
        codes = sorted(forms_of[file])
        dates = [d for d in (report_dates.get((file, c)) for c in codes) if d is not None]
        stamp = modified.get(file)
        rows.append({"source_file": file, "forms": codes,
                     "report_date": max(dates) if dates else None,
                     "modified": None if stamp is None else datetime.fromtimestamp(stamp),
                     "replaced_by": "、".join(sorted(set().union(
                         *(current_of.get(c, set()) for c in codes))))})
    rows.sort(key=lambda r: (str(r["report_date"] or ""), r["modified"] or datetime.min,
                             r["source_file"]), reverse=True)
    return rows


def collection_table(submissions: pd.DataFrame, findings: pd.DataFrame, year: int) -> pd.DataFrame:
    """Status of every unit's forms for one year, with error and warning counts (of the
    findings that count: a superseded file's are left out, ``current_findings``).

    Returns
    -------
    One row per reporting unit (all of units.csv, in its order) and the city: ``unit_code``,
    ``unit_name``, ``TR1`` ... ``TR5`` (已接收/已退回/被替代/无法读取/未报送, or — where the unit
    does not report that form and sent none), ``errors``, ``warnings``. A file that could not be
    read (no form known) marks every form of its unit that has no other status as 无法读取.
    """
    codes = list(forms())
    town_forms = [c for c, f in forms().items() if f.reporter == "towns"]
    city_unit = city().code
    units_ = [(u.code, u.name) for u in reporting_units()] + [(city_unit, _unit_name(city_unit))]
    subs = submissions
    if "year" in subs.columns:
        subs = subs.loc[subs["year"] == year]
    subs = subs.assign(
        unit_code=subs["unit_code"].astype("string").fillna(""),
        form=subs["form"].astype("string").fillna(""),
        _rank=subs["status"].map({s: i for i, s in enumerate(_PRIORITY)}).fillna(len(_PRIORITY)),
    )
    best = subs.sort_values("_rank", kind="stable").drop_duplicates(["unit_code", "form"])
    status = {(u, f): STATUS_LABELS.get(s, s) for u, f, s in best[["unit_code", "form", "status"]].itertuples(index=False)}
    unread = set(subs.loc[(subs["status"] == "unreadable") & ~subs["form"].isin(codes), "unit_code"])

    fnd = current_findings(findings, submissions)
    if fnd is not None and len(fnd) and "year" in fnd.columns:
        fnd = fnd.loc[fnd["year"] == year]
    counts = (
        fnd.assign(unit_code=fnd["unit_code"].astype("string")).groupby(["unit_code", "severity"]).size()
        if fnd is not None and len(fnd) else pd.Series(dtype="int64")
    )

    rows = []
    for code, name in units_:
        row = {"unit_code": code, "unit_name": name}
        for f in codes:
            expected = (f in town_forms) != (code == city_unit)
            default = MISSING if expected else NOT_APPLICABLE
            if (code, f) in status:
                row[f] = status[(code, f)]
            elif expected and code in unread:
                row[f] = STATUS_LABELS["unreadable"]
            else:
                row[f] = default
        row["errors"] = int(counts.get((code, "error"), 0))
        row["warnings"] = int(counts.get((code, "warning"), 0))
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.astype({"unit_code": "string", "unit_name": "string", **{f: "string" for f in codes},
                       "errors": "int64", "warnings": "int64"})


def write_collection_summary(
    submissions: pd.DataFrame, findings: pd.DataFrame, out_path: str | os.PathLike, *, year: int
) -> Path:
    """Write the collection summary workbook (报表收集情况汇总) for one year.

    One sheet 收集情况 (``collection_table`` with Chinese headers, frozen header, coloured
    statuses, and a count of received forms), and, when some files could not be tied to a unit,
    a sheet 未识别单位的文件 listing their findings.
    """
    table = collection_table(submissions, findings, year)
    codes = list(forms())
    wb = Workbook()
    ws = wb.active
    ws.title = "收集情况"
    ncols = 2 + len(codes) + 2
    _put(ws, 1, 1, f"{city().name}{year}年人才资源统计报表收集情况")
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    header = ["单位代码", "单位名称", *[f"{_table_label(c)} {form(c).title}" for c in codes],
              "强制性错误数", "核实性提示数"]
    for c, text in enumerate(header, start=1):
        cell = ws.cell(row=2, column=c, value=text)
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    ws.row_dimensions[2].height = 32
    styles = _StyleCache()
    for i, rec in enumerate(table.to_dict("records"), start=3):
        values = [rec["unit_code"], rec["unit_name"], *[rec[c] for c in codes], rec["errors"], rec["warnings"]]
        for c, value in enumerate(values, start=1):
            _put(ws, i, c, value)
            cell = ws.cell(row=i, column=c)
            if value in _STATUS_FILLS:
                styles.apply(cell, value, border=_BORDER, fill=_STATUS_FILLS[value],
                             alignment=Alignment(horizontal="center"))
            elif c == ncols - 1 and rec["errors"]:
                styles.apply(cell, "errors", border=_BORDER, font=Font(bold=True, color="C00000"))
            else:
                styles.apply(cell, "cell", border=_BORDER)
    last = 2 + len(table)
    total_row = last + 1
    _put(ws, total_row, 1, "已接收")
    _put(ws, total_row, 2, "单位数")
    for j, c in enumerate(codes, start=3):
        received = int((table[c] == STATUS_LABELS["accepted"]).sum())
        expected = int((table[c] != NOT_APPLICABLE).sum())
        _put(ws, total_row, j, f"{received}/{expected}")
    _put(ws, total_row, ncols - 1, int(table["errors"].sum()))
    _put(ws, total_row, ncols, int(table["warnings"].sum()))
    for c in range(1, ncols + 1):
        ws.cell(row=total_row, column=c).font = _BOLD
        ws.cell(row=total_row, column=c).border = _BORDER
    for c, width in enumerate([12, 16, *[16] * len(codes), 12, 12], start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "C3"
    ws.auto_filter.ref = f"A2:{get_column_letter(ncols)}{last}"
    _print_ready(ws)

    fnd = findings if findings is not None else pd.DataFrame(columns=["unit_code"])
    if len(fnd) and "year" in fnd.columns:
        fnd = fnd.loc[fnd["year"] == year]
    orphan = fnd.loc[fnd["unit_code"].fillna("").astype(str).eq("")] if len(fnd) else fnd
    orphan = orphan.loc[orphan["source_file"].fillna("").astype(str).ne("")] if len(orphan) else orphan
    if len(orphan):
        ws2 = wb.create_sheet("未识别单位的文件")
        for c, text in enumerate(["文件", "规则", "性质", "说明"], start=1):
            cell = ws2.cell(row=1, column=c, value=text)
            cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _BORDER
        for i, rec in enumerate(orphan.to_dict("records"), start=2):
            for c, value in enumerate([rec["source_file"], rec["rule"],
                                       SEVERITY_LABELS.get(rec["severity"], rec["severity"]),
                                       rec["message"]], start=1):
                _put(ws2, i, c, value)
        for c, width in enumerate([40, 8, 8, 70], start=1):
            ws2.column_dimensions[get_column_letter(c)].width = width
        ws2.freeze_panes = "A2"
        _print_ready(ws2)
    return _save(wb, out_path, year)
