"""Blank and filled report templates (报表模板) for TR1-TR5, built from ``forms.yaml``.

The layout of a form sheet is computed first as plain data (``SheetLayout``: a grid of cell
values, merged ranges, row roles, the position of every item and column, and which cells are
input cells). Writers then render a list of layouts with openpyxl (the official, styled,
protected template), XlsxWriter (formulas with cached values) or xlwt (legacy .xls). The
sample generator (``talentstats.workbooks.sample``) builds the same layouts with ``LayoutOptions`` and
edits cells before rendering, to imitate what towns really send.

Layout of a form sheet: title row (merged) · header block (表号、制定机关、填报单位、
year、单位) · column header (two levels where columns have a group, merged) · index row
(甲 | 乙 | 1 | 2 ...) · item rows · footer lines (单位负责人 ... 报出日期).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from talentstats.profile.config import city, city_code
from talentstats.profile.forms import Form, form, forms, issuer
from talentstats.profile.units import unit_name

__all__ = [
    "Formula",
    "LayoutOptions",
    "SheetLayout",
    "build_form_layout",
    "build_instructions_layout",
    "build_workbook_layouts",
    "forms_for_unit",
    "insert_row",
    "normalize_zip",
    "render_workbook",
    "stack_layouts",
    "template_filename",
    "write_template",
    "write_templates",
]

FONT = "宋体"
FROM_WAN_YUAN = {"万元": 1.0, "元": 10_000.0, "亿元": 0.0001}  # 1 万元 in each money unit
ROSTER_ROWS = 200
_INDEX_LETTERS = "甲乙丙丁戊"
_CN_NUMBERS = "一二三四五六七八九十"
_FIXED_TIME = datetime(2013, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Formula:
    """A formula cell: ``text`` starts with ``=``; ``cached`` is the value Excel would show
    (written only by the XlsxWriter engine; openpyxl and xlwt write no cached value)."""

    text: str
    cached: float | None = None


@dataclass(frozen=True)
class LayoutOptions:
    """How a form sheet departs from the official layout (the default is the official one).

    Parameters
    ----------
    sheet_name : name of the sheet (default 表1 ... 表5).
    unit_label : what 填报单位 shows; None for the unit's name, "" for nothing.
    code_column : print the 代码 column.
    numbering : prefix item names with ``1.`` (main items) and ``（一）`` (sub-items), the way
        towns do when they retype the form (used with ``code_column=False``).
    index_row : print the 甲 | 乙 | 1 | 2 ... row.
    header_layout : ``standard`` (3 lines), ``compact`` (1 line) or ``tall`` (5 lines).
    remark_column : add a 备注 column after the value columns.
    column_order : value column codes in the order to print them.
    money_unit : 万元 (official), 元 or 亿元; money values are scaled and 单位 says so.
    money_unit_at : where the money unit is written: ``line`` (the 单位 line, official),
        ``header`` (no 单位 line; the value column headers say 本年（元）) or ``title`` (no 单位
        line; the title says 人才专项资金情况（单位：亿元）).
    remark : text put in the 备注 column of the first item row.
    """

    sheet_name: str | None = None
    unit_label: str | None = None
    code_column: bool = True
    numbering: bool = False
    index_row: bool = True
    header_layout: str = "standard"
    remark_column: bool = False
    column_order: tuple[int, ...] | None = None
    money_unit: str = "万元"
    money_unit_at: str = "line"
    remark: str = ""


@dataclass
class SheetLayout:
    """One sheet as plain data, 0-based rows and columns.

    ``rows[r][c]`` is a number, a str, a ``Formula`` or None (empty). ``roles[r]`` is one of
    title, meta, header, index, item, field, entry, footer, text, extra. ``item_rows`` maps an
    item code to its row, ``value_cols`` a column code to its column (for TR4: field key to
    column). ``input_cells`` maps (r, c) to the value type the cell takes (count, money, flag,
    text, sex, year): these are unlocked and validated in the official template.
    """

    name: str
    form: str | None
    rows: list[list[object]]
    roles: list[str]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    item_rows: dict[int, int] = field(default_factory=dict)
    value_cols: dict[object, int] = field(default_factory=dict)
    input_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    widths: list[float] = field(default_factory=list)
    header_rows: tuple[int, int] = (0, 0)  # first and last row of the column header
    unit_cell: tuple[int, int] | None = None  # where 单位：... is printed
    boxes: list[tuple[int, int]] = field(default_factory=list)  # bordered tables when several

    @property
    def ncols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, item: int | object, column: int | object) -> tuple[int, int]:
        """(row, col) of an item's value in a column (TR4: row index and field key)."""
        return self.item_rows[item], self.value_cols[column]

    def set(self, r: int, c: int, value: object) -> None:
        """Put a value into the grid, widening the row if needed."""
        row = self.rows[r]
        if c >= len(row):
            row.extend([None] * (c + 1 - len(row)))
        row[c] = value


def a1(r: int, c: int) -> str:
    """A 0-based (row, col) as an A1 reference."""
    letters, n = "", c + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


def forms_for_unit(unit_code: str) -> list[str]:
    """The forms a unit reports: TR1-TR4 for the reporting units, TR5 for the city."""
    who = "city" if unit_code == city_code() else "towns"
    return [code for code, f in forms().items() if f.reporter == who]


def template_filename(year: int, unit_code: str, forms_in_file: Sequence[str] | None = None) -> str:
    """The usual file name, e.g. ``石龙镇2013年人才统计报表.xlsx`` (one form: ``…东人统1表.xlsx``)."""
    name = city().office if unit_code == city_code() else unit_name(unit_code)
    if forms_in_file and len(forms_in_file) == 1:
        return f"{name}{year}年{form(forms_in_file[0]).table_no}.xlsx"
    return f"{name}{year}年人才统计报表.xlsx"


def _format_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "　　年　　月　　日"


def _spread(texts: Sequence[str], ncols: int, per_row: int | None = None) -> list[list[object]]:
    """Place texts left to right across ``ncols`` columns, wrapping into more rows."""
    per_row = per_row or max(1, min(len(texts), ncols // 2 or 1))
    out = []
    for start in range(0, len(texts), per_row):
        chunk = texts[start : start + per_row]
        row: list[object] = [None] * ncols
        step = ncols / len(chunk)
        for k, t in enumerate(chunk):
            row[min(ncols - 1, int(k * step))] = t
        if len(chunk) > 1:  # last one flush right, as on printed forms
            row[int((len(chunk) - 1) * step)] = None
            row[ncols - 1] = chunk[-1]
        out.append(row)
    return out


def _unit_text(unit_code: str, options: LayoutOptions) -> str:
    if options.unit_label is not None:
        return options.unit_label
    return issuer() if unit_code == city_code() else unit_name(unit_code)


def _item_label(f: Form, options: LayoutOptions) -> dict[int, str]:
    if not options.numbering:
        return {it.code: it.label for it in f.items}
    labels, main, sub = {}, 0, 0
    for it in f.items:
        if it.label.startswith("补充资料"):  # 补充资料：（一）… then （二）… below it
            main, sub = -1, 1
            labels[it.code] = f"补充资料：（一）{it.name}"
        elif it.label.startswith("　"):
            sub += 1
            labels[it.code] = f"（{_CN_NUMBERS[(sub - 1) % 10]}）{it.name}"
        elif it.name.endswith("总量"):  # the total heads the form unnumbered
            labels[it.code] = it.name
        else:
            main, sub = main + 1, 0
            labels[it.code] = f"{main}.{it.name}"
    return labels


def _meta_rows(f: Form, unit_text: str, year: int, unit_line: str | None, ncols: int,
               layout: str) -> list[list[object]]:
    table_no, office = f"表号：{f.table_no}", f"制定机关：{issuer()}"
    who, when = f"填报单位：{unit_text}", f"{year}年"
    last = [who, when] + ([unit_line] if unit_line else [])
    if layout == "compact":
        return _spread([who, table_no, when] + ([unit_line] if unit_line else []), ncols, 4)
    def right(text: str) -> list[object]:
        return [None] * (ncols - 1) + [text]

    rows = [right(table_no), right(office)]
    if layout == "tall":
        rows += [right(f"批准机关：{issuer()}"), [None] * ncols]
    return rows + _spread(last, ncols, 3)


def build_form_layout(
    form_code: str,
    year: int,
    unit_code: str,
    values: Mapping[tuple[int, int], object] | None = None,
    *,
    roster: Sequence[Mapping[str, object]] | None = None,
    report_date: date | None = None,
    footer: Mapping[str, str] | None = None,
    options: LayoutOptions = LayoutOptions(),
) -> SheetLayout:
    """The layout of one form sheet, filled with ``values`` when given.

    Parameters
    ----------
    form_code : TR1 .. TR5.
    values : {(item, column): number} in the form's own unit (万元 for money; converted to
        ``options.money_unit`` here). Missing cells stay empty.
    roster : for TR4, one dict per person keyed by the field keys of forms.yaml.
    report_date : printed after 报出日期：.
    footer : text after the other footer labels (单位负责人： -> name).
    options : departures from the official layout.
    """
    f = form(form_code)
    if f.is_roster:
        return _roster_layout(f, year, unit_code, roster, report_date, footer, options)
    values = values or {}
    unit_text = _unit_text(unit_code, options)
    order = options.column_order or f.column_codes
    desc = [("项目", "甲")]
    if options.code_column:
        desc.append(("代码", "乙"))
    if "计量单位" in f.index_cols:
        desc.append(("计量单位", _INDEX_LETTERS[len(desc)] if options.code_column else "乙"))
    ncols = len(desc) + len(order) + int(options.remark_column)
    money = f.value_type == "money"
    unit_line = f"单位：{options.money_unit if money else f.unit}" if f.unit else None
    factor = FROM_WAN_YUAN[options.money_unit] if money else 1.0
    title, header_unit = f.title, ""
    if money and options.money_unit_at == "title":
        title, unit_line = f"{f.title}（单位：{options.money_unit}）", None
    elif money and options.money_unit_at == "header":
        header_unit, unit_line = f"（{options.money_unit}）", None

    rows: list[list[object]] = [[title] + [None] * (ncols - 1)]
    roles = ["title"]
    merges = [(0, 0, 0, ncols - 1)]
    meta = _meta_rows(f, unit_text, year, unit_line, ncols, options.header_layout)
    unit_cell = None
    for r in meta:
        if unit_line and unit_line in r:
            unit_cell = (len(rows), r.index(unit_line))
        rows.append(r)
        roles.append("meta")

    # column header: one or two levels
    two_level = any(f.column(c).group for c in order)
    h0 = len(rows)
    top: list[object] = [d[0] for d in desc]
    bottom: list[object] = [None] * len(desc)
    col_pos = {}
    for k, code in enumerate(order):
        col = f.column(code)
        c = len(desc) + k
        col_pos[code] = c
        top.append(col.group or col.name + header_unit)
        bottom.append(col.name + header_unit if col.group else None)
    if options.remark_column:
        top.append("备注")
        bottom.append(None)
    rows.append(top)
    roles.append("header")
    if two_level:
        rows.append(bottom)
        roles.append("header")
        for c in range(ncols):
            if bottom[c] is None:
                merges.append((h0, c, h0 + 1, c))
        c = len(desc)
        while c < len(desc) + len(order):  # merge runs of the same group
            g = f.column(order[c - len(desc)]).group
            end = c
            while g and end + 1 < len(desc) + len(order) and f.column(order[end + 1 - len(desc)]).group == g:
                end += 1
            if g and end > c:
                merges.append((h0, c, h0, end))
            c = end + 1
    header_rows = (h0, len(rows) - 1)

    if options.index_row:
        idx: list[object] = [d[1] for d in desc] + [str(code) for code in order]
        if options.remark_column:
            idx.append(None)
        rows.append(idx)
        roles.append("index")

    labels = _item_label(f, options)
    item_rows, input_cells = {}, {}
    for it in f.items:
        r = len(rows)
        item_rows[it.code] = r
        row: list[object] = [labels[it.code]]
        if options.code_column:
            row.append(str(it.code))
        if "计量单位" in f.index_cols:
            row.append(it.unit)
        vtype = f.item_value_type(it.code)
        for code in order:
            v = values.get((it.code, code))
            if v is not None and vtype == "money" and isinstance(v, int | float):
                v = v * factor
            row.append(v)
            input_cells[(r, col_pos[code])] = vtype
        if options.remark_column:
            row.append(options.remark if it is f.items[0] else None)
            input_cells[(r, ncols - 1)] = "text"
        rows.append(row)
        roles.append("item")

    _append_footer(rows, roles, f.footer, ncols, report_date, footer)

    widths = [34.0 if f.code != "TR3" else 44.0] + [7.0] * (len(desc) - 1)
    widths += [11.0 if money else 9.0] * len(order) + ([12.0] if options.remark_column else [])
    return SheetLayout(
        name=options.sheet_name or f"表{f.number}",
        form=f.code,
        rows=rows,
        roles=roles,
        merges=merges,
        item_rows=item_rows,
        value_cols=col_pos,
        input_cells=input_cells,
        widths=widths,
        header_rows=header_rows,
        unit_cell=unit_cell,
    )


def _append_footer(rows: list, roles: list, labels: tuple[str, ...], ncols: int,
                   report_date: date | None, footer: Mapping[str, str] | None) -> None:
    """A blank line, then the footer lines (单位负责人 ... 报出日期), under a form's table."""
    rows.append([None] * ncols)
    roles.append("extra")
    for r in _footer_rows(labels, ncols, report_date, footer):
        rows.append(r)
        roles.append("footer")


def _footer_rows(labels: tuple[str, ...], ncols: int, report_date: date | None,
                 footer: Mapping[str, str] | None):
    footer = footer or {}
    texts = []
    for label in labels:
        if label.startswith("报出日期"):
            texts.append(f"{label}{_format_date(report_date)}")
        else:
            texts.append(f"{label}{footer.get(label, '')}")
    return _spread(texts, ncols)


_FIELD_TYPES = {"sex": "sex", "recognised_year": "year", "seq": "count"}
_FIELD_WIDTHS = {"seq": 6, "name": 10, "sex": 6, "id_number": 21, "birth": 10, "education": 12,
                 "title": 16, "category": 16, "employer": 30, "industry": 12,
                 "recognised_year": 10, "note": 12}


def _roster_layout(f: Form, year, unit_code, roster, report_date, footer, options) -> SheetLayout:
    ncols = len(f.fields)
    unit_text = _unit_text(unit_code, options)
    rows: list[list[object]] = [[f.title] + [None] * (ncols - 1)]
    roles = ["title"]
    for r in _meta_rows(f, unit_text, year, None, ncols, options.header_layout):
        rows.append(r)
        roles.append("meta")
    h = len(rows)
    rows.append([fl.name for fl in f.fields])
    roles.append("header")
    # a blank template offers ROSTER_ROWS input rows; a filled one its persons and 10 spare rows
    n_rows = ROSTER_ROWS if roster is None else len(roster) + 10
    roster = list(roster or [])
    input_cells = {}
    value_cols = {fl.key: c for c, fl in enumerate(f.fields)}
    first = len(rows)
    for k in range(n_rows):
        person = roster[k] if k < len(roster) else {}
        r = len(rows)
        row = []
        for c, fl in enumerate(f.fields):
            v = person.get(fl.key)
            if fl.key == "seq" and person and v is None:
                v = k + 1
            row.append(v)
            input_cells[(r, c)] = _FIELD_TYPES.get(fl.key, "text")
        rows.append(row)
        roles.append("entry")
    _append_footer(rows, roles, f.footer, ncols, report_date, footer)
    return SheetLayout(
        name=options.sheet_name or f"表{f.number}",
        form=f.code,
        rows=rows,
        roles=roles,
        merges=[(0, 0, 0, ncols - 1)],
        item_rows={k: first + k for k in range(n_rows)},
        value_cols=value_cols,
        input_cells=input_cells,
        widths=[float(_FIELD_WIDTHS.get(fl.key, 12)) for fl in f.fields],
        header_rows=(h, h),
    )


def build_instructions_layout(year: int, unit_code: str) -> SheetLayout:
    """The 填报说明 sheet: what to fill in, units of measure, rules, the deadline."""
    codes = forms_for_unit(unit_code)
    the_city = city()
    lines = [
        f"{the_city.name}人才资源统计报表填报说明（{year}年）",
        f"一、本报表由{the_city.issuer}制定，填报单位为各镇（街道）、园区；市本级人才投入（{form('TR5').table_no}）由{the_city.office}填报。",
        f"二、统计时点为{year}年12月31日；人才专项资金和党管人才工作机制为{year}年全年情况。",
        f"三、请于{year + 1}年1月31日前报送。本工作簿包含："
        + "、".join(f"{form(c).table_no}《{form(c).title}》" for c in codes) + "。",
        "四、人员以“人”为单位填写整数；金额以“万元”为单位，保留两位小数；“是否”类项目填1（是）或0（否）。",
        "五、表内关系：人才资源总量=六支人才队伍之和；合计=各学历之和=各年龄段之和；其中项不大于合计。",
        f"六、高层次人才数（{form('TR1').table_no}240行）须与{form('TR4').table_no}名册人数一致；公民身份号码请填写18位。",
        f"七、{form('TR2').table_no}“上年”栏请按上年报送的本年数填写。",
        "八、仅浅色底纹单元格可以填写，请勿增删行列、修改表头或工作表名称。",
    ]
    return SheetLayout(
        name="填报说明",
        form=None,
        rows=[[line] for line in lines],
        roles=["title"] + ["text"] * (len(lines) - 1),
        widths=[110.0],
    )


def build_workbook_layouts(
    year: int,
    unit_code: str,
    *,
    values: Mapping[str, Mapping[tuple[int, int], object]] | None = None,
    roster: Sequence[Mapping[str, object]] | None = None,
    report_date: date | None = None,
    footer: Mapping[str, str] | None = None,
    forms_in_file: Sequence[str] | None = None,
    options: Mapping[str, LayoutOptions] | None = None,
    instructions: bool = True,
) -> list[SheetLayout]:
    """Layouts of a unit's workbook: 填报说明, then 表1..表4 (the city: 表5)."""
    values, options = values or {}, options or {}
    codes = list(forms_in_file or forms_for_unit(unit_code))
    out = [build_instructions_layout(year, unit_code)] if instructions else []
    for code in codes:
        out.append(
            build_form_layout(
                code, year, unit_code, values.get(code),
                roster=roster if code == "TR4" else None,
                report_date=report_date, footer=footer,
                options=options.get(code, LayoutOptions()),
            )
        )
    return out


def stack_layouts(layouts: Sequence[SheetLayout], name: str, gap: int = 2) -> SheetLayout:
    """Several forms on one sheet, one under another with ``gap`` blank rows between them, each
    with its own title, header block, table and footer (as towns paste forms into one sheet).

    The result's ``form`` is the first layout's; ``item_rows`` and ``value_cols`` are the first
    layout's too (the others' positions are shifted copies, kept in ``boxes`` for the borders).
    """
    ncols = max(lay.ncols for lay in layouts)
    rows: list[list[object]] = []
    roles: list[str] = []
    merges, boxes, hidden = [], [], set()
    input_cells: dict[tuple[int, int], str] = {}
    widths = [0.0] * ncols
    for k, lay in enumerate(layouts):
        if k:
            rows += [[None] * ncols for _ in range(gap)]
            roles += ["extra"] * gap
        at = len(rows)
        rows += [list(r) + [None] * (ncols - len(r)) for r in lay.rows]
        roles += lay.roles
        merges += [(r0 + at, c0, r1 + at, c1) for r0, c0, r1, c1 in lay.merges]
        input_cells |= {(r + at, c): t for (r, c), t in lay.input_cells.items()}
        hidden |= {r + at for r in lay.hidden_rows}
        top, bottom = _table_box(lay)
        boxes.append((top + at, bottom + at))
        for c, w in enumerate(lay.widths):
            widths[c] = max(widths[c], w)
    first = layouts[0]
    return SheetLayout(name=name, form=first.form, rows=rows, roles=roles, merges=merges,
                       item_rows=dict(first.item_rows), value_cols=dict(first.value_cols),
                       input_cells=input_cells, hidden_rows=hidden, widths=widths,
                       header_rows=first.header_rows, unit_cell=first.unit_cell, boxes=boxes)


def insert_row(layout: SheetLayout, at: int, cells: Sequence[object], role: str = "extra") -> None:
    """Insert a row before row ``at``, shifting positions, merges and inputs below it."""
    def shift(r: int) -> int:
        return r + 1 if r >= at else r

    layout.rows.insert(at, list(cells) + [None] * (layout.ncols - len(cells)))
    layout.roles.insert(at, role)
    layout.item_rows = {k: shift(r) for k, r in layout.item_rows.items()}
    layout.merges = [(shift(r0), c0, shift(r1) if r1 >= at else r1, c1) for r0, c0, r1, c1 in layout.merges]
    layout.input_cells = {(shift(r), c): t for (r, c), t in layout.input_cells.items()}
    layout.hidden_rows = {shift(r) for r in layout.hidden_rows}
    layout.boxes = [(shift(t), shift(b)) for t, b in layout.boxes]
    if layout.unit_cell:
        layout.unit_cell = (shift(layout.unit_cell[0]), layout.unit_cell[1])
    layout.header_rows = (shift(layout.header_rows[0]), shift(layout.header_rows[1]))


# ---------------------------------------------------------------------------------------------
# Writers


def _table_box(layout: SheetLayout) -> tuple[int, int]:
    """First and last row of the bordered table (header to last item/entry row)."""
    body = [r for r, role in enumerate(layout.roles) if role in {"item", "entry", "index", "header"}]
    extra = [r for r, role in enumerate(layout.roles) if role == "extra" and body and body[0] < r < body[-1]]
    return (min(body + extra), max(body + extra)) if body else (0, -1)


def _boxed_rows(layout: SheetLayout) -> set[int]:
    """The rows inside a bordered table: the one table, or each of a stacked sheet's tables."""
    boxes = layout.boxes or [_table_box(layout)]
    return {r for top, bottom in boxes for r in range(top, bottom + 1)}


def _render_openpyxl(wb, layout: SheetLayout, *, protect: bool) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(layout.name)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fonts = {
        "title": Font(name=FONT, size=16, bold=True),
        "header": Font(name=FONT, size=10, bold=True),
        "default": Font(name=FONT, size=10),
    }
    fill = PatternFill("solid", fgColor="FFF9E5")
    unlocked = Protection(locked=False)
    boxed = _boxed_rows(layout)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ncols = layout.ncols
    number_formats = {"money": "#,##0.00", "count": "0", "year": "0", "text": "@"}
    styles: dict[tuple, object] = {}  # style arrays by look: openpyxl styles are slow to set

    def style_of(cell, role: str, c: int, boxed: bool, kind: str | None):
        key = (role, c == ncols - 1 and role == "meta", boxed, kind, layout.form is None)
        if key not in styles:
            cell.font = fonts.get(role, fonts["default"])
            if role == "title" and layout.form is not None:
                cell.alignment = Alignment(horizontal="center", vertical="center")
            elif role in {"header", "index"}:
                cell.alignment = center
            elif key[1]:
                cell.alignment = Alignment(horizontal="right")
            elif role == "text":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if boxed:
                cell.border = border
            if kind:
                cell.protection = unlocked
                cell.fill = fill
                if kind in number_formats:
                    cell.number_format = number_formats[kind]
            styles[key] = copy(cell._style)
        else:
            cell._style = copy(styles[key])

    for r, row in enumerate(layout.rows):
        role = layout.roles[r]
        boxed_row = r in boxed
        for c, v in enumerate(row):
            cell = ws.cell(row=r + 1, column=c + 1)
            if isinstance(v, Formula):
                cell.value = v.text
            elif v is not None:
                cell.value = v
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"  # text, never a live formula
            style_of(cell, role, c, boxed_row, layout.input_cells.get((r, c)))
    for r0, c0, r1, c1 in layout.merges:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    for c, w in enumerate(layout.widths):
        ws.column_dimensions[get_column_letter(c + 1)].width = w
    if layout.form is not None:
        ws.row_dimensions[1].height = 30
    for r in sorted(layout.hidden_rows):
        ws.row_dimensions[r + 1].hidden = True
    _add_validations(ws, layout, DataValidation)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    if layout.form is not None and layout.header_rows[1] > 0:
        ws.print_title_rows = f"{layout.header_rows[0] + 1}:{layout.header_rows[1] + 1}"
    if protect:
        ws.protection.sheet = True
        ws.protection.formatColumns = False  # let towns widen columns
        ws.protection.formatRows = False


_VALIDATIONS = {
    "count": dict(type="whole", operator="greaterThanOrEqual", formula1="0",
                  errorTitle="输入有误", error="请填写不小于0的整数。"),
    "money": dict(type="decimal", operator="greaterThanOrEqual", formula1="0",
                  errorTitle="输入有误", error="请填写不小于0的金额（万元）。"),
    "flag": dict(type="list", formula1='"1,0"', errorTitle="输入有误", error="请填写1（是）或0（否）。"),
    "sex": dict(type="list", formula1='"男,女"', errorTitle="输入有误", error="请填写“男”或“女”。"),
    "year": dict(type="whole", operator="between", formula1="1949", formula2="2100",
                 errorTitle="输入有误", error="请填写四位年份。"),
}


def _add_validations(ws, layout: SheetLayout, DataValidation) -> None:
    from openpyxl.utils import get_column_letter

    by_kind: dict[str, list[tuple[int, int]]] = {}
    for (r, c), kind in sorted(layout.input_cells.items()):
        if kind in _VALIDATIONS:
            by_kind.setdefault(kind, []).append((r, c))
    for kind, cells in by_kind.items():
        dv = DataValidation(allow_blank=True, showErrorMessage=True, **_VALIDATIONS[kind])
        # one range per column run keeps the XML small (200-row roster columns)
        cols: dict[int, list[int]] = {}
        for r, c in cells:
            cols.setdefault(c, []).append(r)
        for c, rs in sorted(cols.items()):
            start = prev = rs[0]
            for r in rs[1:] + [None]:
                if r is not None and r == prev + 1:
                    prev = r
                    continue
                col = get_column_letter(c + 1)
                dv.add(f"{col}{start + 1}:{col}{prev + 1}" if prev > start else f"{col}{start + 1}")
                if r is not None:
                    start = prev = r
        ws.add_data_validation(dv)


def _placed_cells(layout: SheetLayout):
    """The cells a renderer writes: (row, col, value, style, merge end or None).

    Cells covered by a merge, other than its top-left origin, are skipped. The style is title,
    header (header and index rows), body (inside the table's box) or plain.
    """
    boxed = _boxed_rows(layout)
    origins = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in layout.merges}
    covered = {(r, c) for r0, c0, r1, c1 in layout.merges
               for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r, row in enumerate(layout.rows):
        role = layout.roles[r]
        if role == "title":
            style = "title"
        elif role in {"header", "index"}:
            style = "header"
        else:
            style = "body" if r in boxed else "plain"
        for c, v in enumerate(row):
            end = origins.get((r, c))
            if end is None and (r, c) in covered:
                continue
            yield r, c, v, style, end


def _render_xlsxwriter(wb, layout: SheetLayout) -> None:
    ws = wb.add_worksheet(layout.name)
    base = {"font_name": FONT, "font_size": 10}
    fmt = {
        "title": wb.add_format({**base, "font_size": 16, "bold": True, "align": "center"}),
        "header": wb.add_format({**base, "bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True}),
        "body": wb.add_format({**base, "border": 1}),
        "plain": wb.add_format(base),
    }
    for r, c, v, style, end in _placed_cells(layout):
        f = fmt[style]
        if end is not None:
            ws.merge_range(r, c, *end, v if not isinstance(v, Formula) else v.cached, f)
        elif isinstance(v, Formula):
            ws.write_formula(r, c, v.text, f, v.cached if v.cached is not None else 0)
        elif isinstance(v, str):
            ws.write_string(r, c, v, f)
        elif v is None:
            ws.write_blank(r, c, None, f)
        else:
            ws.write_number(r, c, v, f)
    for c, w in enumerate(layout.widths):
        ws.set_column(c, c, w)
    for r in sorted(layout.hidden_rows):
        ws.set_row(r, None, None, {"hidden": True})
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


def _render_xlwt(wb, layout: SheetLayout) -> None:
    import xlwt

    ws = wb.add_sheet(layout.name, cell_overwrite_ok=True)
    font = f"font: name {FONT}, height 200"
    styles = {
        "title": xlwt.easyxf(f"font: name {FONT}, height 320, bold on; align: horiz center"),
        "header": xlwt.easyxf(f"{font}, bold on; align: horiz center, vert center, wrap on; "
                              "borders: left thin, right thin, top thin, bottom thin"),
        "body": xlwt.easyxf(f"{font}; borders: left thin, right thin, top thin, bottom thin"),
        "plain": xlwt.easyxf(font),
    }
    for r, c, v, style, end in _placed_cells(layout):
        if isinstance(v, Formula):
            v = v.cached  # a legacy file keeps its values; no formulas in .xls
        if end is not None:
            ws.write_merge(r, end[0], c, end[1], v if v is not None else "", styles[style])
        else:
            ws.write(r, c, v, styles[style])
    for c, w in enumerate(layout.widths):
        ws.col(c).width = int(w * 256)
    for r in layout.hidden_rows:
        ws.row(r).hidden = True
    ws.portrait = False
    ws.paper_size_code = 9
    ws.fit_num_pages = 1


def normalize_zip(data: bytes, when: datetime = _FIXED_TIME, *, macro_enabled: bool = False) -> bytes:
    """Rewrite an OOXML package with fixed member timestamps, so the bytes are reproducible.

    With ``macro_enabled`` the workbook's content type becomes the .xlsm one (a macro-enabled
    workbook without macros, as Excel saves it).
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if macro_enabled and info.filename == "[Content_Types].xml":
                payload = payload.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            zi = zipfile.ZipInfo(info.filename, stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, payload)
    return out.getvalue()


def render_workbook(
    layouts: Sequence[SheetLayout],
    *,
    engine: str = "openpyxl",
    when: datetime = _FIXED_TIME,
    protect: bool = True,
    macro_enabled: bool = False,
) -> bytes:
    """Render layouts into workbook bytes.

    Parameters
    ----------
    engine : ``openpyxl`` (official template: styles, validation, protection; formulas without
        cached values), ``xlsxwriter`` (formulas with cached values) or ``xlwt`` (legacy .xls).
    when : the workbook's created/modified time and the zip members' time (reproducible bytes).
    protect : protect form sheets, leaving only input cells unlocked (openpyxl only).
    macro_enabled : write an .xlsm package (openpyxl/xlsxwriter).
    """
    buf = io.BytesIO()
    if engine == "openpyxl":
        from openpyxl import Workbook
        from openpyxl.writer.excel import ExcelWriter

        wb = Workbook()
        wb.remove(wb.active)
        for lay in layouts:
            _render_openpyxl(wb, lay, protect=protect and lay.form is not None)
        wb.properties.creator = issuer()
        wb.properties.lastModifiedBy = issuer()
        wb.properties.created = when
        wb.properties.modified = when
        wb.properties.title = f"{city().name}人才资源统计报表"
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(wb, archive).write_data()
        return normalize_zip(buf.getvalue(), when, macro_enabled=macro_enabled)
    if engine == "xlsxwriter":
        import xlsxwriter

        wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                       "strings_to_numbers": False, "strings_to_urls": False})
        wb.set_properties({"title": f"{city().name}人才资源统计报表", "author": issuer(), "created": when})
        for lay in layouts:
            _render_xlsxwriter(wb, lay)
        wb.close()
        return normalize_zip(buf.getvalue(), when, macro_enabled=macro_enabled)
    if engine == "xlwt":
        import xlwt

        wb = xlwt.Workbook(encoding="utf-8")
        for lay in layouts:
            _render_xlwt(wb, lay)
        wb.save(buf)
        return buf.getvalue()
    raise ValueError(f"unknown engine {engine!r}; use openpyxl, xlsxwriter or xlwt")


def write_template(
    path: str | Path,
    year: int,
    unit_code: str,
    *,
    values: Mapping[str, Mapping[tuple[int, int], object]] | None = None,
    roster: Sequence[Mapping[str, object]] | None = None,
    report_date: date | None = None,
) -> Path:
    """Write a unit's official workbook for a year: blank, or filled with ``values``.

    Parameters
    ----------
    path : file to write, or an existing folder (the file is then named by
        ``template_filename``).
    year : report year Y.
    unit_code : a reporting unit (TR1-TR4) or the city (TR5; 441900 in Dongguan).
    values : form code -> {(item, column): number}, money in 万元.
    roster : TR4 persons, dicts keyed by the field keys of forms.yaml.
    report_date : printed after 报出日期： (blank when None).

    Returns
    -------
    The path written.
    """
    unit_name(unit_code)  # KeyError naming the unknown code
    path = Path(path)
    if path.is_dir():
        path = path / template_filename(year, unit_code)
    layouts = build_workbook_layouts(year, unit_code, values=values, roster=roster, report_date=report_date)
    when = datetime(report_date.year, report_date.month, report_date.day, 12) if report_date else datetime(year, 12, 1)
    data = render_workbook(layouts, when=when, macro_enabled=path.suffix.lower() == ".xlsm")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_templates(out_dir: str | Path, year: int, unit_codes: Sequence[str] | None = None) -> list[Path]:
    """Blank templates for several units (default: every unit of units.csv and the city) into ``out_dir``."""
    from talentstats.profile.units import units as _units_table

    codes = list(unit_codes) if unit_codes else [str(c) for c in _units_table()["code"]]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_template(out / template_filename(year, c), year, c) for c in codes]


# kept for callers that want a copy of the default options with one change
def options_with(**changes) -> LayoutOptions:
    """``LayoutOptions()`` with some fields changed."""
    return replace(LayoutOptions(), **changes)
