"""Property test of parse.locate_forms, and the grid builder the parse tests share.

``build_sheet`` lays a form out the way towns do (spec §6): header blocks of any height,
two-level merged headers, the 甲乙 index row on or off, the code column on or off, columns
shuffled, 备注 added, numbers as text, thousands separators, full-width digits, note rows,
money in 元 or 亿元 with the unit line. The property: whatever the layout, ``locate_forms``
gives back exactly the (item, column, value) set that was laid out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentstats.forms import form
from talentstats.model import SheetGrid, WorkbookGrid
from talentstats.parse import locate_forms

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
        r[0] = f"东莞市{f.title}"
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
            upper[c], lower[c] = col.group, col.short_name if col.code != 2 else col.name
        else:
            upper[c] = col.name
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
    for it in f.items:
        if it.code in lay.skip_items:
            continue
        r = blank()
        r[0] = lay.labels.get(it.code, it.label)
        if lay.code_col:
            r[1] = it.code
        if code == "TR3":
            r[nd - 1] = it.unit
        if it.code in lay.hidden_items:  # last year's row, hidden: never data
            stale = list(r)
            for j, s in enumerate(slots):
                if s != "备注":
                    stale[nd + j] = 7
            hidden.add(len(rows))
            rows.append(stale)
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


@st.composite
def laid_out(draw):
    code = draw(st.sampled_from(["TR1", "TR2"]))
    f = form(code)
    small = st.integers(min_value=0, max_value=3000)
    if code == "TR1":
        values = {k: float(x) for k, x in consistent_tr1(lambda: draw(small)).items()}
    else:
        values = {}
        for it in f.items:
            for c in f.column_codes:
                hi = 500_000_000 if it.code == 300 else 5_000_000
                lo = 10_000_000 if it.code == 300 else 0  # 300 within the F09 bounds
                values[(it.code, c)] = draw(st.integers(lo, hi)) / 100  # 万元, 2 decimals
    cols = list(f.column_codes)
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))
    money_unit = draw(st.sampled_from(["万元", "元", "亿元"])) if code == "TR2" else None
    factor = {"万元": 1, "元": 10_000, "亿元": 0.0001}.get(money_unit or "", 1)
    label_style = draw(st.integers(0, 3))
    labels = {it.code: _label(it.name, i, label_style) for i, it in enumerate(f.items)}
    remark_at = draw(st.one_of(st.none(), st.integers(0, len(cols))))
    lay = Layout(
        labels=labels if label_style else {},
        remark_at=remark_at,
        hidden_items=tuple(draw(st.sets(st.sampled_from(f.item_codes), max_size=3))),
        unit_next_cell=draw(st.booleans()),
        year_text=draw(st.sampled_from(["2013年", "2013 年度", "年份：2013", "２０１３年"])),
        header_rows=draw(st.integers(0, 3)),
        two_level=draw(st.booleans()),
        index_row=draw(st.booleans()),
        code_col=draw(st.booleans()),
        column_order=cols,
        remark=draw(st.booleans()),
        unit_line=f"单位：{money_unit}" if money_unit else None,
        note_rows=draw(st.integers(0, 2)),
    )
    style = st.integers(0, 3)
    typed = {}
    for k, x in values.items():
        shown = round(x * factor, 8) if code == "TR2" else x
        typed[k] = _as_typed(shown, draw(style))
    return code, values, lay, typed, money_unit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(laid_out())
def test_any_layout_reads_back_the_same_values(case):
    code, values, lay, typed, money_unit = case
    sheet, _ = build_sheet(code, typed, lay, name="Sheet1")
    res = locate_forms(WorkbookGrid("石龙镇2013.xlsx", "xlsx", [sheet]))
    assert [x.rule for x in res.findings] == []
    (fr,) = res.forms
    assert fr.form == code
    got = {(i, c): v for i, c, v, _ in fr.values}
    assert set(got) == set(values)
    for k, v in values.items():
        assert abs(got[k] - v) < 1e-6, (k, got[k], v)
    rules = sorted({x.rule for x in fr.findings})
    assert rules == sorted((["F05"] if money_unit in ("元", "亿元") else [])
                           + (["F11"] if lay.hidden_items else []))
    assert fr.unit_code == "441900102"
    assert fr.year == 2013


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


@settings(max_examples=150, deadline=None)
@given(st.lists(garbage_sheet(), max_size=3))
def test_any_grid_parses_without_crashing(sheets):
    res = locate_forms(WorkbookGrid("x.xlsx", "xlsx", sheets))
    assert "X01" not in [f.rule for f in res.findings]
    assert res.forms or [f.rule for f in res.findings] == ["X02"]
