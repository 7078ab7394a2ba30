"""Property test of parse.locate_forms, and the grid builder the parse tests share.

``build_sheet`` lays a form out the way towns do: header blocks of any height, two-level merged
headers, the 甲乙 index row on or off, the code column on or off, columns shuffled, 备注 added,
numbers as text, thousands separators, full-width digits, note rows, money in 元 or 亿元 said on
the unit line, in the column headers or in the title, footnote marks after item names, hidden
stale copies of item rows. ``new_year_workbook`` then puts one to three forms into a workbook as
a new year's files come: at any row, several per sheet, behind blank template sheets and an
instructions sheet; ``test_hidden_xls_rows_are_never_read`` writes such workbooks as .xls. The
property: whatever the layout, the reading gives back exactly the (item, column, value) set that
was laid out, and reports only the conversions (F05) and the hidden rows (F11).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from conftest import TEST_PROFILE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentstats.model import SheetGrid, WorkbookGrid
from talentstats.profile.config import load_profile
from talentstats.profile.forms import form
from talentstats.reading.parse import locate_forms

PROFILE = load_profile(TEST_PROFILE)

_FULL = {ord(c): ord(c) + 0xFEE0 for c in "0123456789.,-"}


def full_width(text: str) -> str:
    return text.translate(_FULL)


@dataclass
class Layout:
    """How to lay a form out; the defaults are the official template."""

    header_rows: int = 0  # extra rows above the title
    two_level: bool = True  # TR1: 学历 / 年龄 as a merged upper level
    index_row: bool = True
    code_col: bool = True
    column_order: list[int] | None = None
    remark: bool = False  # a 备注 column at the end
    remark_at: int | None = None  # or inserted at this position among value columns
    unit_line: str | None = None  # default: the form's unit
    unit_name: str | None = "石龙镇"
    unit_next_cell: bool = False  # 填报单位： | 石龙镇
    year_text: str | None = "2013年"
    labels: dict[int, str] = field(default_factory=dict)  # item -> label as typed
    note_rows: int = 0  # 注 rows under the items, before the footer
    extra_rows: dict[int, list] = field(default_factory=dict)  # after item -> (label, values)
    report_date: object = "2014年1月20日"
    title: bool = True
    table_no: bool = True
    skip_items: tuple[int, ...] = ()
    hidden_items: tuple[int, ...] = ()  # each gets a hidden stale copy right above it
    title_text: str | None = None  # the title as typed (default 东莞市 + the form's title)
    header_unit: str = ""  # appended to every value column's header: 本年（元）
    stale_rows: dict[int, dict[int, object]] = field(default_factory=dict)  # item -> hidden old row


def build_sheet(code: str, values: dict[tuple[int, int], object], lay: Layout | None = None,
                name: str = "表1") -> tuple[SheetGrid, dict[tuple[int, int], str]]:
    """A form laid out as a grid, and where each (item, column) landed (A1 refs)."""
    from talentstats.model import cell_ref

    lay = lay or Layout()
    f = form(code)
    cols = list(lay.column_order or f.column_codes)
    desc = ["项目"] + (["代码"] if lay.code_col else [])
    if code == "TR3":
        desc.append("计量单位")
    slots: list[object] = list(cols)  # value column slots: a column code or "备注"
    if lay.remark_at is not None:
        slots.insert(lay.remark_at, "备注")
    elif lay.remark:
        slots.append("备注")
    nd = len(desc)
    width = nd + len(slots)
    rows: list[list[object]] = []
    merged: list[tuple[int, int, int, int]] = []
    hidden: set[int] = set()

    def blank() -> list[object]:
        return [""] * width

    for _ in range(lay.header_rows):
        rows.append(blank())
    if lay.title:
        r = blank()
        r[0] = lay.title_text if lay.title_text is not None else f"东莞市{f.title}"
        merged.append((len(rows), 0, len(rows), width - 1))
        rows.append(r)
    if lay.table_no:
        r = blank()
        r[width - 1] = f"表  号：{f.table_no}"
        rows.append(r)
    r = blank()
    if lay.unit_name is not None:
        if lay.unit_next_cell:
            r[0], r[1] = "填报单位：", lay.unit_name
        else:
            r[0] = f"填报单位：{lay.unit_name}"
    if lay.year_text:
        r[nd] = lay.year_text
    unit_line = lay.unit_line if lay.unit_line is not None else (f"单位：{f.unit}" if f.unit else "")
    if unit_line:
        r[width - 1] = unit_line
    rows.append(r)
    grouped = lay.two_level and any(f.column(c).group for c in cols)
    top = len(rows)
    upper, lower = blank(), blank()
    for i, d in enumerate(desc):
        upper[i] = d
        if grouped:
            merged.append((top, i, top + 1, i))
    for j, s in enumerate(slots):
        c = nd + j
        if s == "备注":
            upper[c] = "备注"
            if grouped:
                merged.append((top, c, top + 1, c))
            continue
        col = f.column(s)
        if grouped and col.group:
            upper[c], lower[c] = col.group, (col.short_name if col.code != 2 else col.name) + lay.header_unit
        else:
            upper[c] = col.name + lay.header_unit
            if grouped:
                merged.append((top, c, top + 1, c))
    if grouped:  # merge runs of the same group
        j = 0
        while j < len(slots):
            s = slots[j]
            g = f.column(s).group if s != "备注" else None
            k = j
            while g and k + 1 < len(slots) and slots[k + 1] != "备注" and f.column(slots[k + 1]).group == g:
                k += 1
            if g and k > j:
                merged.append((top, nd + j, top, nd + k))
                for x in range(j + 1, k + 1):
                    upper[nd + x] = ""
            j = k + 1
        rows += [upper, lower]
    else:
        rows.append(upper)
    if lay.index_row:
        r = blank()
        for i in range(nd):
            r[i] = "甲乙丙"[i]
        for j, s in enumerate(slots):
            r[nd + j] = s if s != "备注" else len(f.columns) + 1
        rows.append(r)
    where: dict[tuple[int, int], str] = {}
    stale_rows = {i: dict.fromkeys(cols, 7) for i in lay.hidden_items} | lay.stale_rows
    for it in f.items:
        if it.code in lay.skip_items:
            continue
        if it.code in stale_rows:  # last year's row, hidden above the item's: never data
            r = blank()
            r[0] = lay.labels.get(it.code, it.label)
            if lay.code_col:
                r[1] = it.code
            if code == "TR3":
                r[nd - 1] = it.unit
            for j, s in enumerate(slots):
                if s != "备注" and s in stale_rows[it.code]:
                    r[nd + j] = stale_rows[it.code][s]
            hidden.add(len(rows))
            rows.append(r)
        r = blank()
        r[0] = lay.labels.get(it.code, it.label)
        if lay.code_col:
            r[1] = it.code
        if code == "TR3":
            r[nd - 1] = it.unit
        for j, s in enumerate(slots):
            if s == "备注":
                continue
            if (it.code, s) in values:
                r[nd + j] = values[(it.code, s)]
                where[(it.code, s)] = cell_ref(len(rows), nd + j)
        rows.append(r)
        for label, vals in lay.extra_rows.get(it.code, []):
            r = blank()
            r[0] = label
            for j, v in enumerate(vals):
                r[nd + j] = v
            rows.append(r)
    for i in range(lay.note_rows):
        r = blank()
        r[0] = f"注：{i + 1}. 本表由各镇街（园区）填报，人数按年末实有人数统计。"
        merged.append((len(rows), 0, len(rows), width - 1))
        rows.append(r)
    r = blank()
    r[0] = "单位负责人：张三"
    r[2] = "填表人：李四"
    r[width - 1] = 76922334455.0  # a phone number in a value column: not data
    rows.append(r)
    if lay.report_date is not None:
        r = blank()
        r[0] = "报出日期："
        r[1] = lay.report_date
        rows.append(r)
    return SheetGrid(name, rows, merged, hidden_rows=frozenset(hidden)), where


def consistent_tr1(draw_int) -> dict[tuple[int, int], int]:
    """TR1 values that satisfy every sum rule, from a source of small integers."""
    v: dict[tuple[int, int], int] = {}
    edu = (3, 4, 5, 6, 7)
    age = (8, 9, 10, 11)

    def person_row(item: int, total_by_edu: list[int]) -> None:
        total = sum(total_by_edu)
        for c, x in zip(edu, total_by_edu, strict=True):
            v[(item, c)] = x
        # age: spread the same total over four groups
        a = [total // 4] * 4
        a[0] += total - sum(a)
        for c, x in zip(age, a, strict=True):
            v[(item, c)] = x
        v[(item, 1)] = total
        v[(item, 2)] = total // 3

    rows: dict[int, list[int]] = {}
    for item in (110, 120, 131, 132, 133, 141, 142, 143, 150, 160, 210, 220, 230, 240):
        rows[item] = [draw_int() for _ in edu]
    rows[130] = [a + b + c + draw_int() for a, b, c in zip(rows[131], rows[132], rows[133], strict=True)]
    rows[140] = [a + b + c for a, b, c in zip(rows[141], rows[142], rows[143], strict=True)]
    rows[100] = [sum(rows[i][k] for i in (110, 120, 130, 140, 150, 160)) for k in range(5)]
    for item, r in rows.items():
        person_row(item, r)
    return v


def _as_typed(x: float, style: int) -> object:
    """A number the way a town may type it."""
    if style == 0:
        return x
    plain = format(x, ".12g") if x != int(x) else str(int(x))
    if style == 1:
        return plain
    if style == 2:
        return f"{x:,.10f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x):,}"
    return full_width(plain)


_CN = "一二三四五六七八九十"


def _label(name: str, i: int, style: int) -> str:
    """An item name as towns type it: numbered, with full-width spaces, trailing spaces."""
    if style == 1:
        return f"{i + 1}.{name}"
    if style == 2:
        return f"（{_CN[i % 10]}）{name}　"
    return f"\u3000\u3000{name} "


# Footnote marks towns put after item names (党政人才*, 专业技术人才², 高技能人才（注）).
FOOTNOTE_MARKS = ("*", "※", "①", "②", "¹", "²", "³", "（注）", "（注1）", "[注]")


@dataclass
class FormCase:
    """One form laid out: the true values (万元 for money), the layout, the values as typed,
    and what the reading must report about it."""

    code: str
    values: dict[tuple[int, int], float]
    lay: Layout
    typed: dict[tuple[int, int], object]
    money_unit: str | None  # the unit the money is typed in (TR2), None for TR1/TR3

    @property
    def expected_rules(self) -> set[str]:
        """F05 for money converted to 万元, F11 for hidden rows that carry an item."""
        return ({"F05"} if self.money_unit in ("元", "亿元") else set()) | ({"F11"} if self.lay.stale_rows else set())


def _true_values(draw, code: str) -> dict[tuple[int, int], float]:
    f = form(code)
    if code == "TR1":
        return {k: float(x) for k, x in consistent_tr1(lambda: draw(st.integers(0, 3000))).items()}
    if code == "TR3":
        return {(it.code, 1): float(draw(st.integers(0, 1) if f.item_value_type(it.code) == "flag" else st.integers(0, 40)))
                for it in f.items}
    values = {}
    for it in f.items:
        for c in f.column_codes:
            hi = 500_000_000 if it.code == 300 else 5_000_000
            lo = 10_000_000 if it.code == 300 else 0  # 300 within the F09 bounds
            values[(it.code, c)] = draw(st.integers(lo, hi)) / 100  # 万元, 2 decimals
    return values


def draw_form(draw, code: str, *, stale: bool | None = None) -> FormCase:
    """A form laid out the way towns do, with the perturbation families of the parse tests:
    header blocks, merged headers, index row, code column, column order, 备注, spellings of
    numbers, numbered labels, note rows, money in 元/亿元 said on the 单位 line, in the column
    headers (本年（元）) or in the title (…（单位：亿元）), footnote marks after item names, and
    hidden stale copies of item rows (same label and code, old numbers) above the visible ones.
    ``stale`` forces hidden stale rows on (True) or off (False)."""
    f = form(code)
    values = _true_values(draw, code)
    cols = list(f.column_codes)
    if len(cols) > 1 and draw(st.booleans()):
        cols = draw(st.permutations(cols))
    money_unit = draw(st.sampled_from(["万元", "元", "亿元"])) if code == "TR2" else None
    money_at = draw(st.sampled_from(["line", "header", "title"])) if code == "TR2" else "line"
    factor = {"万元": 1, "元": 10_000, "亿元": 0.0001}.get(money_unit or "", 1)
    label_style = draw(st.integers(0, 3))
    labels = {it.code: _label(it.name, i, label_style) for i, it in enumerate(f.items)} if label_style else {}
    marked = draw(st.sets(st.sampled_from(f.item_codes), max_size=len(f.items)))
    for item in marked:
        labels[item] = labels.get(item, f.item(item).label) + draw(st.sampled_from(FOOTNOTE_MARKS))
    style = st.integers(0, 3)
    typed = {}
    for k, x in values.items():
        shown = round(x * factor, 8) if code == "TR2" else x
        typed[k] = _as_typed(shown, draw(style))
    stale_items = set() if stale is False else draw(st.sets(st.sampled_from(f.item_codes), min_size=int(bool(stale)),
                                                            max_size=3))
    stale_rows = {i: {c: round(values[(i, c)] * factor * 2 + 1, 8) for c in f.column_codes} for i in stale_items}
    unit_line = None  # the form's own unit
    if money_unit:
        unit_line = f"单位：{money_unit}" if money_at == "line" else ""
    title_text = None
    if money_at == "title":
        title_text = draw(st.sampled_from([f"东莞市{f.title}（单位：{money_unit}）", f"{f.title}（{money_unit}）"]))
    lay = Layout(
        labels=labels,
        remark_at=draw(st.one_of(st.none(), st.integers(0, len(cols)))),
        stale_rows=stale_rows,
        unit_next_cell=draw(st.booleans()),
        year_text=draw(st.sampled_from(["2013年", "2013 年度", "年份：2013", "２０１３年"])),
        header_rows=draw(st.integers(0, 3)),
        two_level=draw(st.booleans()),
        index_row=draw(st.booleans()),
        code_col=draw(st.booleans()),
        column_order=cols,
        remark=draw(st.booleans()),
        unit_line=unit_line,
        title_text=title_text,
        header_unit=f"（{money_unit}）" if money_at == "header" else "",
        note_rows=draw(st.integers(0, 2)),
    )
    return FormCase(code, values, lay, typed, money_unit)


@st.composite
def laid_out(draw):
    return draw_form(draw, draw(st.sampled_from(["TR1", "TR2"])))


def _rules(res) -> set[str]:
    """Every rule reported on a workbook: its own findings and its forms'."""
    return {x.rule for x in res.findings} | {x.rule for fr in res.forms for x in fr.findings}


def _assert_reads_back(res, cases: list[FormCase]) -> None:
    by_form = {}
    for fr in res.forms:
        assert fr.form not in by_form, f"{fr.form} read twice"
        by_form[fr.form] = fr
    assert sorted(by_form) == sorted(c.code for c in cases)
    for case in cases:
        fr = by_form[case.code]
        got = {(i, c): v for i, c, v, _ in fr.values}
        assert set(got) == set(case.values), case.code
        for k, v in case.values.items():
            assert abs(got[k] - v) < 1e-6, (case.code, k, got[k], v)
        assert fr.unit_code == "441900102"
        assert fr.year == 2013
    assert _rules(res) == set().union(*(c.expected_rules for c in cases))


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(laid_out())
def test_any_layout_reads_back_the_same_values(case):
    sheet, _ = build_sheet(case.code, case.typed, case.lay, name="Sheet1")
    res = locate_forms(WorkbookGrid("石龙镇2013.xlsx", "xlsx", [sheet]), PROFILE)
    _assert_reads_back(res, [case])


# --- the new year's workbooks: forms anywhere, several per sheet, decoys ------------------------


def stack(name: str, grids: list[SheetGrid], gaps: list[int]) -> SheetGrid:
    """Grids one under another on one sheet: ``gaps[k]`` blank rows before grid k."""
    width = max((len(r) for g in grids for r in g.cells), default=1)
    cells: list[list[object]] = []
    merged, hidden = [], set()
    for g, gap in zip(grids, gaps, strict=True):
        cells += [[""] * width for _ in range(gap)]
        at = len(cells)
        cells += [list(r) + [""] * (width - len(r)) for r in g.cells]
        merged += [(r0 + at, c0, r1 + at, c1) for r0, c0, r1, c1 in g.merged]
        hidden |= {r + at for r in g.hidden_rows}
    return SheetGrid(name, cells, merged, hidden_rows=frozenset(hidden))


@st.composite
def instructions_sheet(draw, codes: list[str]) -> SheetGrid:
    """A 填表说明 sheet: 表号 and title, a 代码 | 项目 | 说明 table of the items of one of the
    forms ``codes`` (codes as numbers or text), the sum rules in prose. It holds no figures.
    (It quotes a form the workbook holds: a form found only in instructions is another question.)"""
    f = form(draw(st.sampled_from(codes)))
    rows: list[list[object]] = [["填表说明", "", ""], [f"表号：{f.table_no}", f.title, ""]]
    rows += [[""] * 3 for _ in range(draw(st.integers(0, 3)))]
    rows.append(["代码", "项目", "说明"])
    as_text = draw(st.booleans())
    rows += [[str(it.code) if as_text else it.code, it.label, "按统计口径填写"] for it in f.items]
    rows += [[f"{f.table_no}：{f.items[0].name}（{f.items[0].code}）= 下列各项之和；金额单位为万元。", "", ""],
             ["报出日期：", "", ""]]
    return SheetGrid(draw(st.sampled_from(["填表说明", "说明", "Sheet1"])), rows)


@st.composite
def new_year_workbook(draw, stale: bool | None = None):
    """A workbook of one to three forms (TR1, TR2, TR3) as a new year's files come: each form
    laid out with ``draw_form``; the forms put on sheets of their own or stacked on one sheet
    (each block with its own title, 表号, 单位 line and header), starting at any row; blank
    template sheets of the same forms and an instructions sheet put in front of, between or
    after them. Returns (sheets, cases)."""
    codes = draw(st.lists(st.sampled_from(["TR1", "TR2", "TR3"]), min_size=1, max_size=3, unique=True))
    cases = [draw_form(draw, c, stale=stale) for c in codes]
    if stale:  # one stale row somewhere is enough; keep the others plain
        cases = [cases[0]] + [draw_form(draw, c, stale=False) for c in codes[1:]]
    sheets: list[SheetGrid] = []
    blocks: list[SheetGrid] = []
    gaps: list[int] = []
    for case in cases:
        grid, _ = build_sheet(case.code, case.typed, case.lay)
        if blocks and not draw(st.booleans()):  # a new sheet for this form
            sheets.append(stack(f"表{len(sheets) + 1}", blocks, gaps))
            blocks, gaps = [], []
        blocks.append(grid)
        gaps.append(draw(st.integers(0, 30)) if not gaps else draw(st.integers(1, 4)))
    sheets.append(stack(f"表{len(sheets) + 1}", blocks, gaps))
    decoys = []
    for code in draw(st.sets(st.sampled_from(codes))):  # blank templates of forms filled elsewhere
        blank, _ = build_sheet(code, {}, Layout(report_date=None), name=f"{code}空表")
        decoys.append(blank)
    if draw(st.booleans()):
        decoys.append(draw(instructions_sheet(codes)))
    for decoy in decoys:
        sheets.insert(draw(st.integers(0, len(sheets))), decoy)
    for k, sheet in enumerate(sheets):  # unique sheet names, as a workbook has
        sheet.name = f"{sheet.name}-{k}"
    return sheets, cases


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(new_year_workbook())
def test_any_workbook_reads_back_every_form(workbook):
    sheets, cases = workbook
    res = locate_forms(WorkbookGrid("石龙镇2013.xlsx", "xlsx", sheets), PROFILE)
    _assert_reads_back(res, cases)


def test_a_form_stacked_under_one_without_codes_keeps_to_its_own_rows():
    """Found by the property above: TR1 without a code column, whose 合计 column (B) holds 409
    in its last row, and TR3 stacked under it. B is where TR3's codes are, and 409 is a TR3
    code, but the row is TR1's: TR3 is its nine rows under its own title, nothing else."""
    tr1 = {k: float(x) for k, x in consistent_tr1(lambda: 0).items()} | {(240, 1): 409.0}
    g1, _ = build_sheet("TR1", tr1, Layout(code_col=False, two_level=False, index_row=False))
    tr3 = {(401, 1): 1.0, (402, 1): 1.0, (403, 1): 4.0, (404, 1): 2.0, (405, 1): 3.0,
           (406, 1): 5.0, (407, 1): 1.0, (408, 1): 6.0, (409, 1): 12.0}
    g3, _ = build_sheet("TR3", tr3, Layout(two_level=False, index_row=False))
    res = locate_forms(WorkbookGrid("石龙镇2013.xlsx", "xlsx", [stack("表1", [g1, g3], [0, 1])]), PROFILE)
    by_form = {fr.form: fr for fr in res.forms}
    assert sorted(by_form) == ["TR1", "TR3"]
    assert {(i, c): v for i, c, v, _ in by_form["TR3"].values} == tr3
    assert {(i, c): v for i, c, v, _ in by_form["TR1"].values} == tr1
    assert _rules(res) == set()


def write_xls(path, sheets: list[SheetGrid]) -> None:
    """Sheets as a legacy .xls (xlwt): values, merged ranges, hidden rows."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for sheet in sheets:
        ws = book.add_sheet(sheet.name, cell_overwrite_ok=True)
        for r, row in enumerate(sheet.cells):
            for c, v in enumerate(row):
                if v != "" and v is not None:
                    ws.write(r, c, v)
        for r0, c0, r1, c1 in sheet.merged:
            ws.merge(r0, r1, c0, c1)
        for r in sheet.hidden_rows:
            ws.row(r).hidden = True
    book.save(str(path))


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(new_year_workbook(stale=True))
def test_hidden_xls_rows_are_never_read(tmp_path_factory, workbook):
    """The same workbooks, with hidden stale rows, written as .xls and read by the reader:
    hidden rows are found in the file (xlrd) and never read as data (F11 names them)."""
    from talentstats.reading.readers import read_workbook

    sheets, cases = workbook
    path = tmp_path_factory.mktemp("xls") / "石龙镇2013.xls"
    write_xls(path, sheets)
    grid = read_workbook(path, path.name)
    assert {s.name: s.hidden_rows for s in grid.sheets} == {s.name: s.hidden_rows for s in sheets}
    _assert_reads_back(locate_forms(grid, PROFILE), cases)


def test_builder_lays_out_unicode_digits():
    assert unicodedata.normalize("NFKC", full_width("1,234.5")) == "1,234.5"


_VOCAB = [
    "", "东人统1表", "表号：东人统2表", "人才资源总量", "党政人才", "合计", "代码", "项目", "甲", "乙",
    "单位：元", "单位：万元", "填报单位：", "填报单位：石龙镇", "报出日期：", "2013年", "年份：", "财政总收入",
    "序号", "姓名", "公民身份号码", "出生年月", "学历", "博士研究生", "本年", "上年", "=SUM(", "一千", "—",
    "高层次人才名册", "注：", "单位负责人：", "1,234", "１２", "备注",
]


@st.composite
def garbage_sheet(draw):
    cell = st.one_of(
        st.sampled_from(_VOCAB), st.integers(-5, 600), st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(), st.none(), st.text(max_size=6),
    )
    rows = draw(st.lists(st.lists(cell, max_size=14), max_size=30))
    n = len(rows)
    merged = draw(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 20), st.integers(0, 40),
                                     st.integers(0, 20)), max_size=4))
    formulas = {}
    if n:
        for _ in range(draw(st.integers(0, 3))):
            r, c = draw(st.integers(0, n - 1)), draw(st.integers(0, 13))
            formulas[(r, c)] = draw(st.sampled_from(["=SUM(A1:C3)", "=A1+B2", "=A1", "=X(", "=SUM(A1:Z9999)"]))
    return SheetGrid(draw(st.sampled_from(["表1", "Sheet1", "说明"])), rows, merged, formulas=formulas)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(garbage_sheet(), max_size=3))
def test_any_grid_parses_without_crashing(sheets):
    res = locate_forms(WorkbookGrid("x.xlsx", "xlsx", sheets), PROFILE)
    assert "X01" not in [f.rule for f in res.findings]
    assert res.forms or [f.rule for f in res.findings] == ["X02"]
