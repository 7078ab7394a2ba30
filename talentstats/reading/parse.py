"""From a workbook grid to forms: find TR1-TR5 by content and read what the town meant.

``locate_forms(grid)`` is pure: a ``WorkbookGrid`` in, a ``ParseResult`` out (``FormRead``s and
file-level findings). Plain Python over lists, spelling lookups built once per form.

How a workbook is read, and the choices made (a careful statistician's reading):

- **Candidates, chosen by evidence, never by order.** Every block of item rows of every form
  is a candidate: on any sheet, at any row, several per sheet (a form stacked under another,
  a blank template kept beside the filled copy, an instructions sheet that lists the items and
  their codes). A block holds at least half of its form's items, or fewer under a header that
  names its form (表号 such as ``东人统1表``, or its title). Per form the best candidate wins
  (``_rank``): values first (a candidate without values never beats one with values), then a
  visible sheet, the form named by 表号 (over title), the items and columns matched, the
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

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import PurePath
from typing import TYPE_CHECKING

from talentstats.model import Cell, Finding, FormRead, SheetGrid, WorkbookGrid, cell_ref
from talentstats.profile.forms import Form
from talentstats.profile.text import normalize_label, to_simplified
from talentstats.profile.units import identify_unit
from talentstats.reading.clean import (
    TO_WAN_YUAN,
    clean_value,
    parse_report_date,
    parse_unit_of_measure,
)

if TYPE_CHECKING:
    from talentstats.profile.config import Profile
    from talentstats.validation.rulebook import Rule

__all__ = [
    "F09_MAX_REVENUE",
    "F09_MIN_REVENUE",
    "ParseResult",
    "locate_forms",
]

_TABLE_NO_MAX_LEN = 30  # a cell longer than this is prose (an instructions sheet), not a 表号
_LABEL_SCAN_COLS = 10  # item names and codes are looked for in the first columns only
_HEADER_WINDOW = 8  # rows above the first item row that may hold column headers
_BLOCK_GAP = 5  # item rows further apart than this belong to two blocks
# F09: TR2 300 (财政总收入) in 万元. A Dongguan town's fiscal revenue is some 10-100 亿元, i.e.
# 100,000-1,000,000 万元: above 1000 亿元 it was typed in 元, below 100 万元 in 亿元.
F09_MAX_REVENUE = 10_000_000.0
F09_MIN_REVENUE = 100.0
_MONEY_ROUND = 6  # decimals kept after converting to 万元 (1 分)
_MAX_RANGE_CELLS = 10_000  # a SUM over more cells than this is not a form's subtotal

_CN_DIGIT = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_YEAR_LABELLED = re.compile(r"(?:年份|年度|报告期|统计年度)[:：]?((?:19|20)\d{2})")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})年(?!\d{1,2}月)")
_YEAR_END = re.compile(r"(?<!\d)((?:19|20)\d{2})年12月(?:31日)?$")  # 统计时点：2013年12月31日
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_PAREN_TAIL = re.compile(r"[（(][^（()）]*[)）]")
_A1 = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
_INDEX_MARKS = frozenset({"甲", "乙", "丙", "丁"})
_BIRTH_YM = re.compile(r"((?:19|20)\d{2})[年\-./](\d{1,2})(?:月|[\-./]\d{1,2}日?|月\d{1,2}日)?")
_BIRTH_DIGITS = re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})?")
_YEAR_LABELS = frozenset({"年份", "年度", "报告期", "统计年度"})  # a label whose next cell is the year
_EXTRA_FOOTERS = ("审核人", "制表人", "填报人", "负责人", "单位负责人", "报出日期", "填报日期")


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


# --------------------------------------------------------------------------- lookups (once)


@lru_cache(maxsize=65536)
def _norm_str(s: str) -> str:
    return normalize_label(s)


def _norm(v: Cell | object) -> str:
    return _norm_str(v) if isinstance(v, str) else ""


@lru_cache(maxsize=65536)
def _key_str(s: str) -> str:
    """Normalised label without a bracketed tail: 党政人才（人） -> 党政人才."""
    n = _norm_str(s)
    return _PAREN_TAIL.sub("", n) if ("(" in n or "（" in n) else n


def _key(v: object) -> str:
    return _key_str(v) if isinstance(v, str) else ""


def _index(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """key -> target, dropping keys that point at two different targets."""
    out: dict[str, object] = {}
    clash: set[str] = set()
    for k, t in pairs:
        if not k:
            continue
        if k in out and out[k] != t:
            clash.add(k)
        out.setdefault(k, t)
    for k in clash:
        del out[k]
    return out


def _with_bare(keys: tuple[str, ...]) -> list[str]:
    out = list(keys)
    out += [_PAREN_TAIL.sub("", k) for k in keys]
    return out


def _item_lookup(f: Form) -> dict[str, int]:
    exact = _index([(k, it.code) for it in f.items for k in it.spellings()])
    bare = _index([(k, it.code) for it in f.items for k in _with_bare(it.spellings())])
    return {**bare, **exact}  # type: ignore[dict-item]


def _column_lookup(f: Form) -> dict[str, int]:
    pairs: list[tuple[str, object]] = []
    for col in f.columns:
        for sp in _with_bare(col.spellings()):
            pairs.append((sp, col.code))
            if col.group:
                g = normalize_label(col.group)
                pairs += [(g + sp, col.code), (sp + g, col.code)]
    return _index(pairs)  # type: ignore[return-value]


def _field_lookup(f: Form) -> dict[str, str]:
    return _index([(k, fl.key) for fl in f.fields for k in _with_bare(fl.spellings())])  # type: ignore[return-value]


def _table_no_pattern(forms: dict[str, Form]) -> re.Pattern[str]:
    """表号 as forms.yaml declares them (东人统1表 ... 东人统5表): the shared prefix, then the
    number in Arabic or Chinese digits, 号 tolerated (东人统1号表)."""
    import os.path

    prefix = os.path.commonprefix([f.table_no for f in forms.values()]).rstrip("0123456789")
    return re.compile(re.escape(prefix) + "([1-9一二三四五六七八九])号?表")


class _Vocabulary:
    """What the parser looks up, built once per profile from its forms: the spellings of items,
    columns and roster fields, titles, footers, 表号; and the rules its findings come from."""

    def __init__(self, profile: Profile):
        forms = profile.forms
        self.profile = profile
        self.forms = forms
        self.rules: dict[str, Rule] = dict(profile.rules)
        self.tables = {code: f for code, f in forms.items() if not f.is_roster}
        self.items = {code: _item_lookup(f) for code, f in self.tables.items()}
        self.columns = {code: _column_lookup(f) for code, f in self.tables.items()}
        self.fields = _field_lookup(forms["TR4"])
        # (normalised title, form code), longest first
        self.titles = sorted(((normalize_label(f.title), c) for c, f in forms.items()),
                             key=lambda p: -len(p[0]))
        footers = {normalize_label(x) for f in forms.values() for x in (*f.footer, *_EXTRA_FOOTERS)}
        self.footers = tuple(sorted(k for k in footers if k))
        self.table_no = _table_no_pattern(forms)
        nos = [f.table_no for f in sorted(forms.values(), key=lambda f: f.number)]
        self.table_no_range = f"{nos[0]}至{nos[-1]}"
        code_forms: dict[int, list[str]] = {}  # item code -> the table forms that declare it
        for code, f in self.tables.items():
            for it in f.item_codes:
                code_forms.setdefault(it, []).append(code)
        self.code_forms = {k: tuple(v) for k, v in code_forms.items()}
        # cell text -> (form, item by name, item by code) per form it names; filled as met
        self.text_hits: dict[str, tuple[tuple[str, int | None, int | None], ...]] = {}

    def is_footer(self, v: str) -> bool:
        k = _norm_str(v)
        return bool(k) and k.startswith(self.footers)

    def text_hit(self, v: str) -> tuple[tuple[str, int | None, int | None], ...]:
        key = _key_str(v)
        n = _str_code(v)
        by_code = self.code_forms.get(n, ()) if n is not None else ()
        out = []
        for code, lookup in self.items.items():
            it = lookup.get(key)
            m = n if code in by_code else None
            if it is not None or m is not None:
                out.append((code, it, m))
        return tuple(out)


@cache
def _vocabulary(profile: Profile) -> _Vocabulary:
    return _Vocabulary(profile)


# --------------------------------------------------------------------------- grid helpers


def _get(cells: list[list[Cell]], r: int, c: int) -> Cell:
    if r < len(cells):
        row = cells[r]
        if c < len(row):
            return row[c]
    return ""


def _blank(v: object) -> bool:
    if v is None or v == "":
        return True
    return v.__class__ is str and not v.strip()  # type: ignore[union-attr]


def _width(cells: list[list[Cell]]) -> int:
    return max((len(r) for r in cells), default=0)


def _filled(sheet: SheetGrid, upto: int, start: int = 0) -> list[list[Cell]]:
    """Rows ``start`` to ``upto`` (excluded) with every merged range filled with its top-left
    value (which may lie above ``start``)."""
    nrows = min(upto, len(sheet.cells))
    out = [list(r) for r in sheet.cells[start:nrows]]
    for r0, c0, r1, c1 in sheet.merged:
        if r0 >= nrows or r1 < start:
            continue
        v = _get(sheet.cells, r0, c0)
        if _blank(v):
            continue
        for r in range(max(r0, start), min(r1, nrows - 1) + 1):
            row = out[r - start]
            last = min(c1, max(len(row) - 1, c0))
            if len(row) <= last:
                row.extend([""] * (last + 1 - len(row)))
            for c in range(c0, last + 1):
                if _blank(row[c]):
                    row[c] = v
    return out


def _as_code(v: object) -> int | None:
    """An item code as typed: 100, 100.0, '100', '１００'."""
    cls = v.__class__
    if cls is float:
        return int(v) if v.is_integer() and 0 < v < 1e6 else None  # type: ignore[union-attr]
    if cls is str:
        return _str_code(v)  # type: ignore[arg-type]
    if cls is int:
        return v  # type: ignore[return-value]
    return None


@lru_cache(maxsize=65536)
def _str_code(v: str) -> int | None:
    s = unicodedata.normalize("NFKC", v).strip()
    if s.endswith(".0"):
        s = s[:-2]
    return int(s) if s.isdigit() and len(s) <= 6 else None


_ref = lru_cache(maxsize=1 << 16)(cell_ref)


@lru_cache(maxsize=1024)
def _col_letters(c: int) -> str:
    """A 0-based column's letters: 2 -> 'C' (``cell_ref(r, c)`` is them and the row number)."""
    return cell_ref(0, c)[:-1]


def _col_letters_to_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _text_of(v: object) -> str:
    """A cell as text for messages and the roster: 2013.0 -> '2013'."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return str(v).strip()


def _footer_row(cells: list[list[Cell]], r: int, lex: _Vocabulary) -> bool:
    row = cells[r] if r < len(cells) else []
    return any(isinstance(v, str) and v and lex.is_footer(v) for v in row[:_LABEL_SCAN_COLS])


# --------------------------------------------------------------------------- form detection


def _table_no_in(v: object, lex: _Vocabulary) -> str | None:
    # A quick test first: a statistical 表号 (X人统N表) has 统, in simplified or traditional.
    if not isinstance(v, str) or "统" not in v and "統" not in v:
        return None
    s = _norm_str(v).replace("統", "统")
    if len(s) > _TABLE_NO_MAX_LEN:
        return None
    found = {_CN_DIGIT.get(m, m) for m in lex.table_no.findall(s)}
    return f"TR{found.pop()}" if len(found) == 1 else None


# --------------------------------------------------------------------------- header block


def _unit_text_after(cells: list[list[Cell]], r: int, c: int, label: str) -> str:
    """The text after a label such as 填报单位 in the same cell, or the next non-empty cell."""
    k = _norm(_get(cells, r, c))
    rest = k[k.find(label) + len(label):]
    rest = _PAREN_TAIL.sub("", rest) if rest.startswith(("(", "（")) else rest
    rest = rest.lstrip(":：")
    if rest:
        return rest
    row = cells[r]
    for v in row[c + 1:]:
        if not _blank(v):
            return _text_of(v)
    return ""


def _sheet_unit(cells: list[list[Cell]], top: int, upto: int,
                lex: _Vocabulary) -> tuple[str | None, str]:
    """(unit code, cell) from 填报单位 in rows ``top`` to ``upto`` (excluded); the cell is 'A3'."""
    for r in range(top, min(upto, len(cells))):
        for c, v in enumerate(cells[r]):
            if v.__class__ is not str or "位" not in v:  # 单位, 單位
                continue
            k = _norm_str(v)  # type: ignore[arg-type]
            if "填报单位" in k or "报送单位" in k:
                label = "填报单位" if "填报单位" in k else "报送单位"
                text = _unit_text_after(cells, r, c, label)
                if text:
                    return _unit_of_text(lex.profile, text), _ref(r, c)
    return None, ""


@lru_cache(maxsize=4096)
def _unit_of_text(profile: Profile, text: str) -> str | None:
    """``units.identify_unit``, cached per profile: the same 填报单位 texts recur in a batch."""
    return identify_unit(text)


def _year_of(v: object) -> int | None:
    if v.__class__ is not str or ("年" not in v and "期" not in v):  # type: ignore[operator]
        return None
    s = _norm_str(v)
    if "报出" in s or "填报日期" in s:
        return None  # the date the form was sent is in the next year
    m = _YEAR_LABELLED.search(s) or _YEAR_IN_TEXT.search(s) or _YEAR_END.search(s)
    return int(m.group(1)) if m else None


def _sheet_year(cells: list[list[Cell]], top: int, upto: int, lex: _Vocabulary) -> int | None:
    for r in range(top, min(upto, len(cells))):
        row = cells[r]
        if _footer_row(cells, r, lex):
            continue
        for c, v in enumerate(row):
            if v.__class__ is not str or not v:
                continue  # only a text holds a year (2013年) or its label (年份)
            y = _year_of(v)
            if y:
                return y
            k = _norm_str(v)  # type: ignore[arg-type]
            if k in _YEAR_LABELS and c + 1 < len(row):
                nxt = row[c + 1]
                n = _as_code(nxt)
                if n and 1990 <= n <= 2100:
                    return n
    return None


def _report_date(cells: list[list[Cell]], top: int, upto: int) -> date | None:
    """The 报出日期 written in rows ``top`` to ``upto`` (excluded)."""
    for r in range(top, min(upto, len(cells))):
        for c, v in enumerate(cells[r]):
            if v.__class__ is str and "日" in v and "报出日期" in _norm_str(v):
                d = parse_report_date(_norm_str(v).split("报出日期", 1)[1])
                if d:
                    return d
                for nxt in cells[r][c + 1:]:
                    if not _blank(nxt):
                        return parse_report_date(nxt)
    return None


def _unit_of_measure(cells: list[list[Cell]], top: int, upto: int) -> tuple[str | None, float | None, str]:
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


# --------------------------------------------------------------------------- messages


def _cells(sheet: str, *refs: str) -> str:
    return ";".join(f"{sheet}!{r}" for r in refs)


def _where(f: Form, item: int, col: int, ref: str) -> str:
    it, c = f.item(item), f.column(col)
    return f"表{f.number} 第{item}行“{it.name}”{c.short_name}(列{col})单元格{ref}"


# --------------------------------------------------------------------------- formulas


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


def _evaluate(
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
        raw = _get(sheet.cells, rr, cc)
        if (rr, cc) in sheet.formulas and _blank(raw):
            v = _evaluate(sheet, rr, cc, value_type, seen | {(r, c)}, factor)
            if v is None:
                return None
            total += v
            continue
        cl = clean_value(raw, value_type=value_type, money_factor=factor)
        if cl.problem:
            return None
        total += cl.value or 0.0
    return total


# --------------------------------------------------------------------------- candidate blocks


@dataclass
class _Block:
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


def _item_hits(sheet: SheetGrid,
               lex: _Vocabulary) -> dict[str, tuple[list[dict[int, int]], list[dict[int, int]]]]:
    """One pass over a sheet's label columns: per table form, per column, the rows where one of
    its item names sits (row -> item) and the rows where one of its item codes sits."""
    hits = lex.text_hits
    by_code = lex.code_forms
    out: dict[str, tuple[list[dict[int, int]], list[dict[int, int]]]] = {}

    def slot(code: str) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
        if code not in out:
            out[code] = ([{} for _ in range(_LABEL_SCAN_COLS)], [{} for _ in range(_LABEL_SCAN_COLS)])
        return out[code]

    for r, row in enumerate(sheet.cells):
        for c, v in enumerate(row[:_LABEL_SCAN_COLS]):
            cls = v.__class__
            if cls is str:
                if not v:
                    continue
                h = hits.get(v)  # type: ignore[arg-type]
                if h is None:
                    if len(hits) > 65536:
                        hits.clear()
                    h = hits[v] = lex.text_hit(v)  # type: ignore[index, arg-type]
                for code, it, n in h:
                    names, codes = slot(code)
                    if it is not None:
                        names[c][r] = it
                    if n is not None:
                        codes[c][r] = n
            elif cls is float or cls is int:
                for code in by_code.get(v, ()):  # type: ignore[call-overload]
                    slot(code)[1][c][r] = int(v)  # type: ignore[arg-type]
    return out


def _form_blocks(sheet: SheetGrid, f: Form, names_in: list[dict[int, int]],
                 codes_in: list[dict[int, int]]) -> tuple[list[_Block], dict[int, int]]:
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
    blocks: list[_Block] = []
    cur: _Block | None = None
    prev = -1
    for r in sorted(by_row):
        if r in hidden:
            continue
        item = by_row[r]
        if (cur is None or r - prev > _BLOCK_GAP
                or item in cur.item_rows and (r - prev > 2 or item == by_row[cur.first])):
            cur = _Block(f.code, label_col, code_col, label_cols, first=r)
            blocks.append(cur)
        if item in cur.item_rows:
            cur.dup_rows.append(r)
        else:
            cur.item_rows[item] = r
        cur.last = r
        prev = r
    return blocks, hidden


def _named_forms(cells: list[list[Cell]], top: int, upto: int, lex: _Vocabulary) -> dict[str, int]:
    """The forms that rows ``top`` to ``upto`` name: by 表号 (2) or by title (1)."""
    named: dict[str, int] = {}
    for row in cells[top:upto]:
        for v in row:
            if v.__class__ is not str or not v:
                continue
            t = _table_no_in(v, lex)
            if t:
                named[t] = 2
                continue
            k = _norm_str(v)  # type: ignore[arg-type]
            for tk, code in lex.titles:
                if tk in k and len(k) <= len(tk) + 20:
                    named.setdefault(code, 1)
                    break
    return named


def _is_index_row(row: list[Cell], item_cols: set[int], ncols: int) -> dict[int, int] | None:
    """sheet column -> number for an index row (甲 乙 1 2 3 ...), else None."""
    marks = False
    nums: dict[int, int] = {}
    for c, v in enumerate(row):
        if v.__class__ is str:  # the common case, without the general helpers' checks
            if not v or v.isspace():  # _blank
                continue
            if _norm_str(v) in _INDEX_MARKS:  # type: ignore[arg-type]
                marks = True
                continue
            n = _str_code(v)  # type: ignore[arg-type]  # _as_code of a text
        elif _blank(v):
            continue
        else:
            n = _as_code(v)
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


def _map_columns(
    sheet: SheetGrid, f: Form, blk: _Block, item_cols: set[int], lex: _Vocabulary
) -> tuple[dict[int, int], dict[int, int]]:
    """(sheet column -> form column, hidden sheet column -> the form column its header names).

    A hidden column is never read: it is left out of the mapping, and said in the second."""
    lookup = lex.columns[f.code]
    first = blk.first
    item_rows = sorted(blk.item_rows.values())
    head = _filled(sheet, first, max(blk.top, first - _HEADER_WINDOW))
    skip = item_cols | sheet.hidden_cols
    width = max(_width(head), _width([sheet.cells[r] for r in item_rows]))
    index: dict[int, int] = {}
    header_rows = []
    for row in head:
        idx = _is_index_row(row, item_cols, len(f.columns))
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
            k = _key(row[c]) if c < len(row) else ""
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
            if c not in skip and any(isinstance(_get(sheet.cells, r, c), (int, float)) for r in item_rows)
        ]
        out = dict(zip(numeric, f.column_codes, strict=False))
    return out, hidden_named


def _row_has_numbers(sheet: SheetGrid, r: int, cols: dict[int, int]) -> bool:
    for c in cols:
        v = _get(sheet.cells, r, c)
        if isinstance(v, bool) or _blank(v):
            continue
        if isinstance(v, (int, float)):
            return True
        cl = clean_value(v, value_type="money")
        if cl.value is not None and cl.problem is None and cl.value != 0:
            return True
    return False


def _row_label(sheet: SheetGrid, r: int, lay: _Block) -> str:
    parts = []
    for c in (lay.code_col, lay.label_col):
        if c is not None and not _blank(_get(sheet.cells, r, c)):
            parts.append(_text_of(_get(sheet.cells, r, c)))
    return " ".join(parts)


def _money_units(sheet: SheetGrid, lay: _Block) -> list[tuple[str, str]]:
    """(unit, cell) for every place above a money form's rows that states its unit: the 单位
    line, the title, the value columns' headers (本年（元）)."""
    out: list[tuple[str, str]] = []
    unit, _, ref = _unit_of_measure(sheet.cells, lay.top, lay.first)
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


def _read_table(sheet: SheetGrid, f: Form, lay: _Block,
                lex: _Vocabulary) -> tuple[list, list[Finding], str | None]:
    rules = lex.rules
    name = sheet.name
    found: list[Finding] = []
    values: list[tuple[int, int, float, str]] = []
    is_money = f.value_type == "money"
    unit, factor, line_ref = _unit_of_measure(sheet.cells, lay.top, lay.first)
    stated = _money_units(sheet, lay) if is_money else []
    if len({u for u, _ in stated}) > 1:
        found.append(rules["F12"].finding(
            f"表{f.number}（工作表“{name}”）的计量单位前后矛盾："
            + "；".join(f"{ref}为“{u}”" for u, ref in stated)
            + "，无法确定数值的单位，请统一计量单位后重新报送",
            form=f.code, cells=_cells(name, *(ref for _, ref in stated)),
        ))
        return [], found, unit
    if stated and not unit:  # said only in the title or the column headers
        unit, factor = stated[0][0], TO_WAN_YUAN.get(stated[0][0])
    unit_where = "" if not stated or stated[0][1] == line_ref else \
        f"（见单元格{'、'.join(ref for _, ref in stated)}）"
    sheet_factor = factor if (is_money and factor) else 1.0
    cell_units: list[str] = []
    columns = sorted(lay.columns.items())

    formulas = sheet.formulas
    letters = [(c, col, _col_letters(c)) for c, col in columns]
    append = values.append
    for it in f.items:
        item = it.code
        r = lay.item_rows.get(item)
        if r is None:
            found.append(rules["F08"].finding(
                f"表{f.number}（工作表“{name}”）缺少第{item}行“{it.name}”。",
                form=f.code, cells=name,
            ))
            continue
        vtype = it.value_type or f.value_type  # f.item_value_type(item)
        row = sheet.cells[r]
        n = len(row)
        rownum = str(r + 1)
        for c, col, letter in letters:
            raw = row[c] if c < n else ""
            cls = raw.__class__
            if (cls is float or cls is int) and 0 <= raw < 1e15:  # a plain number (not NaN/inf)
                if not is_money:
                    if cls is int or raw.is_integer():  # type: ignore[union-attr]
                        append((item, col, float(raw), letter + rownum))
                        continue
                elif sheet_factor == 1.0:
                    append((item, col, round(float(raw), 4) + 0.0, letter + rownum))
                    continue
            elif raw == "" and (r, c) not in formulas:
                continue
            ref = letter + rownum
            if (r, c) in sheet.formulas and _blank(raw):
                total = _evaluate(sheet, r, c, vtype, frozenset(), sheet_factor)
                if total is None:
                    found.append(rules["F06"].finding(
                        f"{_where(f, item, col, ref)}是公式“{sheet.formulas[(r, c)]}”，没有保存计算结果，"
                        "且不是本表单元格的简单求和，无法取值；请在Excel中打开并保存后重新报送",
                        form=f.code, cells=_cells(name, ref),
                    ))
                    continue
                raw = total
            cl = clean_value(raw, value_type=vtype, money_factor=sheet_factor)
            if cl.problem:
                found.append(rules[cl.problem].finding(
                    f"{_where(f, item, col, ref)}的值“{_text_of(raw)}”{cl.reason}",
                    form=f.code, cells=_cells(name, ref),
                ))
                continue
            if cl.value is None:
                continue
            value = cl.value
            if is_money:
                if cl.unit and cl.unit != "万元":
                    value = value * TO_WAN_YUAN.get(cl.unit, 1.0)
                    cell_units.append(f"{ref}（{cl.unit}）")
                elif not cl.unit:
                    value = value * sheet_factor
                value = round(value, _MONEY_ROUND) + 0.0
            values.append((item, col, value, ref))

    if is_money and sheet_factor != 1.0:
        found.append(rules["F05"].finding(
            f"表{f.number}（工作表“{name}”）的计量单位为“{unit}”{unit_where}，本表应以万元填报，"
            f"已按1{unit}={sheet_factor:g}万元换算为万元，请核实",
            form=f.code, cells=name,
        ))
    if cell_units:
        found.append(rules["F05"].finding(
            f"表{f.number}（工作表“{name}”）单元格{'、'.join(cell_units)}填写了其他金额单位，已换算为万元，请核实",
            form=f.code, cells=_cells(name, *(u.split("（")[0] for u in cell_units)),
        ))
    if f.code == "TR2" and sheet_factor == 1.0:
        found += _magnitude(f, name, values, rules["F09"])
    found += _unknown_rows(sheet, f, lay, lex)
    return values, found, unit


def _magnitude(f: Form, sheet: str, values: list[tuple[int, int, float, str]],
               f09: Rule) -> list[Finding]:
    for item, col, v, ref in values:
        if item == 300 and col == 1 and not (F09_MIN_REVENUE <= v <= F09_MAX_REVENUE):
            hint = "元" if v > F09_MAX_REVENUE else "亿元"
            return [f09.finding(
                f"{_where(f, item, col, ref)}为{v:g}万元，数量级异常，可能误按{hint}填报，请核实计量单位",
                form=f.code, cells=_cells(sheet, ref),
            )]
    return []


def _first_not_none(*xs: int | None) -> int:
    return next(x for x in xs if x is not None)


def _unknown_rows(sheet: SheetGrid, f: Form, lay: _Block, lex: _Vocabulary) -> list[Finding]:
    """F04 for rows of the block that hold numbers but no item of the form (or a second row for
    one). Below the last item row the scan ends at the footer, at an index row (the next
    form's), or at the block below; hidden rows are never data."""
    out: list[Finding] = []
    item_row_set = set(lay.item_rows.values())
    dups = set(lay.dup_rows)
    item_cols = {c for c in (lay.label_col, lay.code_col) if c is not None}
    for r in range(lay.first, min(lay.bottom + 1, len(sheet.cells))):
        if r in item_row_set or r in sheet.hidden_rows:
            continue
        if r > lay.last and (
            _footer_row(sheet.cells, r, lex)
            or _is_index_row(sheet.cells[r], item_cols, len(f.columns)) is not None
        ):
            break
        if not _row_has_numbers(sheet, r, lay.columns):
            continue
        label = _row_label(sheet, r, lay) or "（无项目名称）"
        why = "重复的项目行" if r in dups else "不是本表的项目"
        out.append(lex.rules["F04"].finding(
            f"表{f.number}（工作表“{sheet.name}”）第{r + 1}行“{label}”{why}，该行数值已忽略",
            form=f.code, cells=_cells(sheet.name, cell_ref(r, _first_not_none(lay.label_col, lay.code_col, 0))),
        ))
    return out


def _hidden_findings(sheet: SheetGrid, f: Form, lay: _Block, hidden_items: dict[int, int],
                     hidden_cols: dict[int, int], f11: Rule) -> list[Finding]:
    """F11: hidden rows that carry an item of the block, hidden columns that a header names."""
    out: list[Finding] = []
    rows = sorted(r for r in hidden_items if lay.top <= r <= lay.bottom)
    if rows:
        labels = "、".join(f"第{r + 1}行（{hidden_items[r]}）" for r in rows)
        out.append(f11.finding(
            f"表{f.number}（工作表“{sheet.name}”）{labels}为隐藏行，隐藏行不作为数据读取，"
            "已按未隐藏的行读取；如隐藏行的数据才是要报送的，请取消隐藏、删除多余的行后重新报送",
            form=f.code,
            cells=_cells(sheet.name, *(cell_ref(r, _first_not_none(lay.label_col, lay.code_col, 0)) for r in rows)),
        ))
    cols = sorted(c for c in hidden_cols
                  if any(not _blank(_get(sheet.cells, r, c)) for r in lay.item_rows.values()))
    if cols:
        names = "、".join(f"{_col_letters(c)}列（{f.column(hidden_cols[c]).short_name}）" for c in cols)
        out.append(f11.finding(
            f"表{f.number}（工作表“{sheet.name}”）{names}为隐藏列，隐藏列不作为数据读取；"
            "如隐藏列的数据才是要报送的，请取消隐藏后重新报送",
            form=f.code, cells=_cells(sheet.name, *(cell_ref(lay.first, c) for c in cols)),
        ))
    return out


# --------------------------------------------------------------------------- roster (TR4)


def _roster_header(sheet: SheetGrid, lex: _Vocabulary) -> tuple[int, dict[int, str]] | None:
    """The roster's header row (at least four of its fields) and its columns: in the first 40
    rows with merged ranges filled, else anywhere below (a roster under another form)."""
    return _header_in(_filled(sheet, 40), 0, lex) or _header_in(sheet.cells[40:], 40, lex)


def _header_in(rows: list[list[Cell]], offset: int,
               lex: _Vocabulary) -> tuple[int, dict[int, str]] | None:
    lookup = lex.fields
    best: tuple[int, dict[int, str]] | None = None
    for i, row in enumerate(rows):
        r = i + offset
        if best is not None and r > best[0] + 3:
            break  # person rows follow the header
        cols: dict[int, str] = {}
        for c, v in enumerate(row):
            if v.__class__ is not str:
                continue
            k = _key_str(v)  # type: ignore[arg-type]
            if k in lookup and lookup[k] not in cols.values():
                cols[c] = lookup[k]
        if len(cols) >= 4 and (best is None or len(cols) > len(best[1])):
            best = (r, cols)
    return best


def _birth_text(v: object) -> object:
    """出生年月 as 'YYYY-MM' where it can be read, else the raw text (the rules flag it)."""
    if (  # already 'YYYY-MM' (what the regex below would give back unchanged)
        v.__class__ is str
        and len(v) == 7  # type: ignore[arg-type]
        and v[4] == "-"  # type: ignore[index]
        and v[:2] in ("19", "20")  # type: ignore[index]
        and v.isascii()  # type: ignore[union-attr]
        and v[:4].isdigit()  # type: ignore[index]
        and "01" <= v[5:] <= "12"  # type: ignore[index, operator]
        and v[5:].isdigit()  # type: ignore[index]
    ):
        return v
    if isinstance(v, (datetime, date)):
        return f"{v.year:04d}-{v.month:02d}"
    if isinstance(v, float) and not v.is_integer() and 1900 < v < 2100:
        # 1980.05 is May; 1980.1 is how Excel keeps a typed 1980.10, so October
        y, dec = repr(v).split(".")
        m = int(dec) * 10 if len(dec) == 1 else int(dec) if len(dec) == 2 else 0
        return f"{y}-{m:02d}" if 1 <= m <= 12 else _text_of(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        n = float(v)
        if 190001 <= n <= 210012 and n.is_integer():
            y, m = divmod(int(n), 100)
            return f"{y:04d}-{m:02d}" if 1 <= m <= 12 else _text_of(v)
        if 19000101 <= n <= 21001231 and n.is_integer():
            y, m = int(n) // 10000, int(n) // 100 % 100
            return f"{y:04d}-{m:02d}" if 1 <= m <= 12 else _text_of(v)
        d = parse_report_date(n)
        return f"{d.year:04d}-{d.month:02d}" if d else _text_of(v)
    s = unicodedata.normalize("NFKC", str(v)).strip().replace(" ", "")
    m2 = _BIRTH_YM.fullmatch(s)
    if m2 and 1 <= int(m2.group(2)) <= 12:
        return f"{m2.group(1)}-{int(m2.group(2)):02d}"
    m3 = _BIRTH_DIGITS.fullmatch(s)
    if m3 and 1 <= int(m3.group(2)) <= 12:
        return f"{m3.group(1)}-{m3.group(2)}"
    return s


def _roster_value(key: str, v: object) -> object:
    if v.__class__ is str and key != "birth":
        return v.strip() or None  # type: ignore[union-attr]
    if _blank(v):
        return None
    if key == "birth":
        return _birth_text(v)
    if key == "id_number":
        if isinstance(v, str):
            return v.strip()
        return _text_of(v)  # a number: 15-digit IDs survive, 18-digit ones come out unreadable
    return _text_of(v)


def _read_roster(sheet: SheetGrid, header: tuple[int, dict[int, str]],
                 lex: _Vocabulary) -> tuple[list[dict[str, object]], list[int]]:
    """The persons below the header, and the hidden rows that hold one (never read)."""
    hr, cols = header
    hidden: list[int] = []
    fields = sorted(cols.items())
    seq_col = next((c for c, k in fields if k == "seq"), None)
    # per field: (column, key, is 出生年月, counts as content: the 序号 alone makes no person)
    plan = [(c, key, key == "birth", key != "seq") for c, key in fields]
    out: list[dict[str, object]] = []
    cells = sheet.cells
    for r in range(hr + 1, len(cells)):
        row = cells[r]
        n = len(row)
        if not n or row.count("") == n:
            continue  # an empty row: no person, and neither the footer nor the index row
        seq = row[seq_col] if seq_col is not None and seq_col < n else None
        # a person's row is numbered; only an unnumbered row can be the footer
        if not isinstance(seq, float | int) and _footer_row(cells, r, lex):
            break
        if r <= hr + 2 and _is_index_row(row, set(), len(cols) + 2) is not None:
            continue
        if r in sheet.hidden_rows:
            hidden.append(r)
            continue
        rec: dict[str, object] = {}
        content = False
        for c, key, birth, counts in plan:
            v = row[c] if c < n else ""
            cls = v.__class__
            if cls is str:
                v = (_birth_text(v) if v.strip() else None) if birth else (v.strip() or None)  # type: ignore[union-attr]
            elif cls is float and not birth and v.is_integer() and -1e15 < v < 1e15:  # type: ignore[union-attr]
                v = str(int(v))  # what _roster_value gives (through _text_of)
            elif v is None:
                pass
            else:
                v = _roster_value(key, v)
            rec[key] = v
            if counts and v is not None:
                content = True
        if content:
            rec["row"] = r + 1
            out.append(rec)
    return out, hidden


# --------------------------------------------------------------------------- candidates


@dataclass
class _Candidate:
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


def _sheet_candidates(sheet: SheetGrid, order: int, lex: _Vocabulary) -> list[_Candidate]:
    """Every candidate block of every form on one sheet, read."""
    cells = sheet.cells
    blocks: list[_Block] = []
    hidden_items: dict[str, dict[int, int]] = {}
    weak: list[_Block] = []
    for code, (names_in, codes_in) in _item_hits(sheet, lex).items():
        f = lex.forms[code]
        found, hidden_items[code] = _form_blocks(sheet, f, names_in, codes_in)
        need = max(2, math.ceil(len(f.item_codes) / 2))
        strong = [b for b in found if len(b.item_rows) >= need]
        blocks += strong
        if not strong and found:  # the fullest of the rest, which its header may name
            weak.append(max(found, key=lambda b: len(b.item_rows)))
    roster = _roster_header(sheet, lex)
    # a block with few items counts only where its own header names its form (one per form:
    # a roster's 人才类别 column, say, repeats a few TR1 names on every row)
    strong_starts = sorted([b.first for b in blocks] + ([roster[0]] if roster else []))
    for b in weak:
        top = max((x + 1 for x in strong_starts if x < b.first), default=0)
        if b.form in _named_forms(cells, max(top, b.first - _HEADER_WINDOW - 4), b.first, lex):
            blocks.append(b)
    bounds = sorted([(b.first, b.last) for b in blocks] + ([(roster[0], len(cells) - 1)] if roster else []))
    for b in blocks:
        b.top = max((last + 1 for first, last in bounds if first < b.first), default=0)
        b.bottom = min((first - 1 for first, _ in bounds if first > b.first), default=len(cells) - 1)

    out: list[_Candidate] = []
    for b in blocks:
        f = lex.forms[b.form]
        item_cols = {c for c in (b.label_col, b.code_col) if c is not None} | set(b.label_cols)
        b.columns, hidden_cols = _map_columns(sheet, f, b, item_cols, lex)
        values, found, uom = _read_table(sheet, f, b, lex)
        found += _hidden_findings(sheet, f, b, hidden_items.get(b.form, {}), hidden_cols,
                                  lex.rules["F11"])
        filled = bool(values) or any(x.rule in _TRIED for x in found)
        named = _named_forms(cells, b.top, b.first, lex).get(b.form, 0)
        unit_code, unit_cell = _sheet_unit(cells, b.top, b.first, lex)
        fr = FormRead(
            form=b.form, sheet=sheet.name, unit_code=unit_code,
            year=_sheet_year(cells, b.top, b.first, lex),
            report_date=_report_date(cells, b.last + 1, b.bottom + 1),
            values=values, findings=found, unit_of_measure=uom,
        )
        width = max(b.columns, default=b.first)
        out.append(_Candidate(
            fr, unit_cell, filled,
            _rank(filled, sheet.visible, named, len(b.item_rows), len(b.columns), order),
            f"{sheet.name}!{cell_ref(b.first, 0)}:{cell_ref(b.last, width)}",
        ))
    if roster is not None:
        persons, hidden = _read_roster(sheet, roster, lex)
        top = max((last + 1 for first, last in bounds if first < roster[0]), default=0)
        found = []
        if hidden:
            found.append(lex.rules["F11"].finding(
                f"表4（工作表“{sheet.name}”）第{'、'.join(str(r + 1) for r in hidden)}行为隐藏行，"
                "隐藏行不作为数据读取；如其中的人员应当报送，请取消隐藏后重新报送",
                form="TR4", cells=_cells(sheet.name, *(cell_ref(r, 0) for r in hidden)),
            ))
        unit_code, unit_cell = _sheet_unit(cells, top, roster[0], lex)
        fr = FormRead(
            form="TR4", sheet=sheet.name, unit_code=unit_code,
            year=_sheet_year(cells, top, roster[0], lex),
            report_date=_report_date(cells, roster[0], len(cells)),
            roster=persons, findings=found,
        )
        named = _named_forms(cells, top, roster[0], lex).get("TR4", 0)
        out.append(_Candidate(
            fr, unit_cell, bool(persons),
            _rank(bool(persons), sheet.visible, named, len(roster[1]), 0, order),
            f"{sheet.name}!{cell_ref(roster[0], 0)}",
        ))
    # what a form's own header does not say, its sheet may: 填报单位, year and 报出日期 anywhere
    sheet_unit = _only([c.form.unit_code for c in out])
    sheet_year = _only([c.form.year for c in out])
    undated = any(c.form.report_date is None for c in out)
    sheet_date = _report_date(cells, 0, len(cells)) if undated else None
    for c in out:
        c.sheet_unit, c.sheet_year, c.sheet_date = sheet_unit, sheet_year, sheet_date  # type: ignore[assignment]
    return out


def _values_of(fr: FormRead) -> dict[tuple[int, int], float]:
    return {(item, col): v for item, col, v, _ in fr.values}


def _contest(code: str, cands: list[_Candidate], lex: _Vocabulary) -> tuple[_Candidate, list[Finding]]:
    """The best candidate of one form, and X07 when another filled one (on a visible sheet, for
    the same year) holds other numbers."""
    best = max(cands, key=lambda c: c.rank)
    f = lex.forms[code]
    if not best.filled:
        if f.is_roster:
            return best, []
        return best, [lex.rules["F10"].finding(
            f"表{f.number}（工作表“{best.form.sheet}”）未填报数值：各项目的数值单元格均为空，"
            "请填报后重新报送",
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
        f"表{f.number}在本文件中有{len(rivals) + 1}份已填报且数值不一致的表（{places}），"
        "无法确定以哪一份为准；请只保留一份后重新报送",
        form=code, cells=";".join(c.where for c in [best, *rivals]),
    )]


# --------------------------------------------------------------------------- workbook


def _file_year(name: str) -> int | None:
    years = {int(y) for y in _YEAR_IN_NAME.findall(unicodedata.normalize("NFKC", name))}
    return years.pop() if len(years) == 1 else None


def _only(values: list) -> object | None:
    s = {v for v in values if v is not None}
    return s.pop() if len(s) == 1 else None


def locate_forms(grid: WorkbookGrid, profile: Profile) -> ParseResult:
    """Find and read every form in a workbook.

    Every candidate block of every form is read, on every sheet and at any row; per form the
    best by evidence wins (``_rank``): a candidate without values never beats one with values,
    and two filled candidates that disagree are an error (X07). A form without any value is
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
    lex = _vocabulary(profile)
    base = PurePath(grid.source_file).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    result = ParseResult()
    by_form: dict[str, list[_Candidate]] = {}
    for order, sheet in enumerate(grid.sheets):
        try:
            cands = _sheet_candidates(sheet, order, lex)
        except Exception as exc:  # noqa: BLE001 - a bug on one odd sheet must not cost the batch
            result.findings.append(lex.rules["X01"].finding(
                f"文件“{base}”的工作表“{sheet.name}”无法解析（{type(exc).__name__}: {exc}），"
                f"请联系{profile.city.office}",
                cells=sheet.name,
            ))
            continue
        for c in cands:
            by_form.setdefault(c.form.form, []).append(c)
    if not by_form and not result.findings:
        looked = "、".join(f"“{s.name}”" for s in grid.sheets) or "（无工作表）"
        result.findings.append(lex.rules["X02"].finding(
            f"文件“{base}”中没有识别出任何报表（{lex.table_no_range}），已查看的工作表：{looked}",
            unit_code=identify_unit(stem) or "",
        ))
        return result

    chosen = []
    for code in sorted(by_form, key=lambda c: lex.forms[c].number):
        best, found = _contest(code, by_form[code], lex)
        best.form.findings = best.form.findings + found
        chosen.append(best)
    file_unit = identify_unit(stem)
    file_year = _file_year(stem)
    wb_unit = _only([c.form.unit_code or c.sheet_unit for c in chosen])
    wb_year = _only([c.form.year or c.sheet_year for c in chosen])
    wb_date = max((d for c in chosen if (d := c.form.report_date or c.sheet_date)), default=None)
    named: list[tuple[str, str]] = []  # (sheet, cell) of forms whose 填报单位 disagrees with the file name
    for c in chosen:
        fr = c.form
        sheet_unit = fr.unit_code or c.sheet_unit or wb_unit
        if sheet_unit and file_unit and sheet_unit != file_unit and file_unit != profile.city.code:
            named.append((fr.sheet, c.unit_cell))
            result.unit_conflict = (sheet_unit, file_unit)  # type: ignore[assignment]
        fr.unit_code = sheet_unit or file_unit  # type: ignore[assignment]
        fr.year = fr.year or c.sheet_year or wb_year or file_year  # type: ignore[assignment]
        fr.report_date = fr.report_date or c.sheet_date or wb_date
        if fr.unit_code:
            fr.findings = [replace(x, unit_code=fr.unit_code) for x in fr.findings]
        result.forms.append(fr)
    if named:
        result.conflict_cells = ";".join(f"{s}!{ref}" if ref else s for s, ref in named)
    return result

