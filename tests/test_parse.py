"""parse.locate_forms on small grids, one test per deviation that real submissions show.

Values are chosen so that each is recognisable by hand: item 130, column 5 holds 13005.
In the template layout (``build_sheet`` defaults) the rows are: title (1), 表号 (2), 填报单位/
year/单位 (3), two header rows (4-5), index row (6), items from row 7 (100 at 7, 110 at 8, 120
at 9, 130 at 10, 131-133 at 11-13, 140 at 14, 141-143 at 15-17, 150 at 18, 160 at 19, 210-240
at 20-23); columns A 项目, B 代码, C-M columns 1-11.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from conftest import TEST_PROFILE
from test_parse_property import Layout, build_sheet

from talentstats.model import SheetGrid, WorkbookGrid
from talentstats.profile.config import load_profile
from talentstats.profile.forms import form
from talentstats.reading.parse import locate_forms
from talentstats.reading.readers import read_workbook
from talentstats.reading.values import F09_MAX_REVENUE

PROFILE = load_profile(TEST_PROFILE)

TR1 = form("TR1")
V1 = {(it.code, c.code): float(it.code * 100 + c.code) for it in TR1.items for c in TR1.columns}
SHILONG, DONGCHENG = "441900102", "441900003"
FOREIGN = sorted(str(p) for p in (Path(__file__).parent / "fixtures" / "foreign-workbooks").glob("*.xls*"))


def wb(*sheets: SheetGrid, name: str = "石龙镇2013年人才统计.xlsx") -> WorkbookGrid:
    return WorkbookGrid(name, "xlsx", list(sheets))


def one(grid: WorkbookGrid):
    res = locate_forms(grid, PROFILE)
    assert len(res.forms) == 1, res.findings
    return res, res.forms[0]


def values_of(fr) -> dict[tuple[int, int], float]:
    return {(i, c): v for i, c, v, _ in fr.values}


def rules(findings) -> list[str]:
    return sorted(f.rule for f in findings)


def read_with_calamine(path: Path, source_file: str | None = None) -> WorkbookGrid:
    """A tiny reader for the tests: calamine values and merged ranges into a grid."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = []
    for meta in book.sheets_metadata:
        sh = book.get_sheet_by_name(meta.name)
        merged = [(a[0], a[1], b[0], b[1]) for a, b in (sh.merged_cell_ranges or [])]
        visible = str(meta.visible).lower().endswith("visible")
        sheets.append(SheetGrid(meta.name, sh.to_python(), merged, visible=visible))
    return WorkbookGrid(source_file or path.name, path.suffix[1:], sheets)


# ------------------------------------------------------------------ the template itself


def test_template_layout_reads_every_value_with_its_cell():
    sheet, _ = build_sheet("TR1", V1)
    res, fr = one(wb(sheet))
    assert res.findings == [] and fr.findings == []
    assert (fr.form, fr.sheet, fr.unit_code, fr.year) == ("TR1", "表1", SHILONG, 2013)
    assert fr.report_date == date(2014, 1, 20)
    assert fr.unit_of_measure == "人"
    assert values_of(fr) == V1  # 17 items x 11 columns
    assert len(fr.values) == 187
    assert (130, 5, 13005.0, "G10") in fr.values
    assert (240, 11, 24011.0, "M23") in fr.values


def test_two_level_headers_with_variant_spellings():
    sheet, _ = build_sheet("TR1", V1)
    variants = ["博士", "硕士", "本科", "大专", "高中及以下", "35岁以下", "36～45岁", "46至54岁", "55岁以上"]
    sheet.cells[4][4:13] = variants
    sheet.cells[3][3] = "女"
    _, fr = one(wb(sheet))
    assert values_of(fr) == V1


def test_index_row_absent():
    sheet, _ = build_sheet("TR1", V1, Layout(index_row=False))
    _, fr = one(wb(sheet))
    assert values_of(fr) == V1
    assert (100, 1, 10001.0, "C6") in fr.values  # items move up a row


# ------------------------------------------------------------------ items


def test_items_by_name_when_there_is_no_code_column():
    labels = {110: "1.党政人才", 120: "（二）企业经营管理人才", 131: "　其中：高级职称 ",
              130: "专业技术人才：", 140: "高技能人才队伍", 100: "合计"}
    sheet, _ = build_sheet("TR1", V1, Layout(code_col=False, labels=labels))
    res, fr = one(wb(sheet))
    assert fr.findings == []
    assert values_of(fr) == V1
    assert (130, 5, 13005.0, "F10") in fr.values  # no code column: column 5 is F


def test_codes_as_float_and_text():
    sheet, _ = build_sheet("TR1", V1)
    for r in range(6, 23):
        code = sheet.cells[r][1]
        sheet.cells[r][1] = float(code) if r % 2 else str(code)
        sheet.cells[r][0] = ""  # names gone: codes alone must do
    _, fr = one(wb(sheet))
    assert values_of(fr) == V1


def test_code_wins_over_a_disagreeing_name():
    sheet, _ = build_sheet("TR1", V1)
    sheet.cells[9][0] = "高技能人才"  # row of code 130 mislabelled
    _, fr = one(wb(sheet))
    assert values_of(fr)[(130, 1)] == 13001.0
    assert values_of(fr)[(140, 1)] == 14001.0


def test_row_added_by_the_unit_with_numbers_is_f04():
    extra = {160: [("其中：外籍人才", [7, 1]), ("说明：以上为年末数", [])]}
    sheet, _ = build_sheet("TR1", V1, Layout(extra_rows=extra))
    _, fr = one(wb(sheet))
    assert values_of(fr) == V1
    (f04,) = fr.findings
    assert (f04.rule, f04.severity, f04.cells) == ("F04", "warning", "表1!A20")
    assert f04.message == "表1（工作表“表1”）第20行“其中：外籍人才”不是本表的项目，该行数值已忽略"
    assert f04.unit_code == SHILONG


def test_missing_item_row_is_f08():
    sheet, _ = build_sheet("TR1", V1, Layout(skip_items=(150,)))
    _, fr = one(wb(sheet))
    (f08,) = fr.findings
    assert (f08.rule, f08.severity) == ("F08", "error")
    assert f08.message == "表1（工作表“表1”）缺少第150行“农村实用人才”。"
    assert {(i, c) for i, c, _, _ in fr.values} == {k for k in V1 if k[0] != 150}


def test_hidden_rows_are_never_data_and_are_said():
    """Each hidden row is a stale copy (7s) right above its visible item row."""
    sheet, _ = build_sheet("TR1", V1, Layout(hidden_items=(130, 131)))
    assert sheet.hidden_rows == frozenset({9, 11})
    _, fr = one(wb(sheet))
    assert values_of(fr) == V1
    (f11,) = fr.findings
    assert (f11.rule, f11.severity, f11.cells) == ("F11", "warning", "表1!A10;表1!A12")
    assert "第10行（130）、第12行（131）为隐藏行" in f11.message


def test_a_hidden_item_row_without_a_visible_one_is_missing():
    sheet, _ = build_sheet("TR1", V1)
    sheet.hidden_rows = frozenset({14})  # 141 高级技师
    _, fr = one(wb(sheet))
    assert (141, 1) not in values_of(fr)
    assert rules(fr.findings) == ["F08", "F11"]


# ------------------------------------------------------------------ columns


def test_columns_reordered_and_remark_added():
    order = [11, 10, 9, 8, 1, 2, 7, 6, 5, 4, 3]
    sheet, where = build_sheet("TR1", V1, Layout(column_order=order, remark_at=2))
    for r in range(6, 23):
        sheet.cells[r][4] = "含外聘人员"  # 备注 text: not a number, not a finding
    _, fr = one(wb(sheet))
    assert fr.findings == []
    assert values_of(fr) == V1
    # C=11, D=10, E=备注, F=9, G=8, H=1, I=2, J=7 ...
    assert (100, 1, 10001.0, "H7") in fr.values
    assert where[(100, 1)] == "H7"


def test_columns_by_index_row_when_header_names_are_missing():
    order = [2, 1, 3, 4, 5, 6, 7, 11, 10, 9, 8]
    sheet, _ = build_sheet("TR1", V1, Layout(column_order=order))
    for r in (3, 4):
        sheet.cells[r][2:] = [""] * 11
    sheet.merged = []
    _, fr = one(wb(sheet))
    assert values_of(fr) == V1
    assert (100, 2, 10002.0, "C7") in fr.values


def test_no_headers_and_no_index_row_takes_columns_in_form_order():
    sheet, _ = build_sheet("TR1", V1, Layout(index_row=False, two_level=False))
    sheet.cells[3][2:] = [""] * 11
    _, fr = one(wb(sheet))
    assert values_of(fr) == V1


# ------------------------------------------------------------------ values


def test_not_a_number_message_names_form_item_column_cell_and_value():
    sheet, _ = build_sheet("TR1", {**V1, (130, 5): "一千"})
    _, fr = one(wb(sheet))
    (f01,) = fr.findings
    assert (f01.rule, f01.kind, f01.severity, f01.form) == ("F01", "格式", "error", "TR1")
    assert f01.message == "表1 第130行“专业技术人才”大学本科(列5)单元格G10的值“一千”不是数字"
    assert f01.cells == "表1!G10"
    assert (130, 5) not in values_of(fr)


def test_negative_and_fractional_counts():
    sheet, _ = build_sheet("TR1", {**V1, (110, 1): -3.0, (120, 2): "2.5"})
    _, fr = one(wb(sheet))
    f02, f03 = sorted(fr.findings, key=lambda f: f.rule)
    assert f02.rule == "F02" and f02.message.endswith("单元格C8的值“-3”是负数")
    assert f03.rule == "F03" and f03.message.endswith("单元格D9的值“2.5”不是整数")


def test_nan_infinity_and_booleans_in_number_cells():
    sheet, _ = build_sheet("TR1", {**V1, (110, 1): float("nan"), (110, 2): float("inf"), (110, 3): True})
    _, fr = one(wb(sheet))
    assert rules(fr.findings) == ["F01", "F01", "F01"]
    assert not {(110, 1), (110, 2), (110, 3)} & set(values_of(fr))


def test_text_numbers_units_dashes_and_blanks():
    typed = {**V1, (110, 1): "1,234人", (110, 2): "１２３", (110, 3): "—", (110, 4): "无",
             (110, 5): "", (110, 6): 1233.9999999}
    sheet, _ = build_sheet("TR1", typed)
    _, fr = one(wb(sheet))
    got = values_of(fr)
    assert fr.findings == []
    assert got[(110, 1)] == 1234.0 and got[(110, 2)] == 123.0
    assert got[(110, 3)] == 0.0 and got[(110, 4)] == 0.0  # dash and 无 mean none
    assert (110, 5) not in got  # blank is missing, not zero
    assert got[(110, 6)] == 1234.0


# ------------------------------------------------------------------ money


TR2 = form("TR2")
V2 = {(300, 1): 250000.0, (300, 2): 230000.0, (310, 1): 7500.0, (310, 2): 6900.0,
      (320, 1): 6000.0, (320, 2): 5000.0, (321, 1): 1000.0, (322, 1): 1500.0,
      (323, 1): 500.0, (324, 1): 2000.0, (325, 1): 800.0, (326, 1): 200.0}


def test_money_in_yuan_is_converted_with_f05():
    typed = {k: v * 10000 for k, v in V2.items()}
    typed[(310, 1)] = "75,000,000"
    sheet, _ = build_sheet("TR2", typed, Layout(unit_line="单位：元"), name="表2")
    _, fr = one(wb(sheet))
    assert values_of(fr) == V2
    assert fr.unit_of_measure == "元"
    (f05,) = fr.findings
    assert (f05.rule, f05.severity, f05.cells) == ("F05", "warning", "表2")
    assert "计量单位为“元”" in f05.message and "万元" in f05.message


def test_money_in_yi_yuan_and_a_cell_with_its_own_unit():
    typed = {k: v / 10000 for k, v in V2.items()}
    typed[(320, 1)] = "6000万元"  # the cell's unit wins over the line
    sheet, _ = build_sheet("TR2", typed, Layout(unit_line="金额单位：亿元"), name="资金")
    _, fr = one(wb(sheet))
    assert values_of(fr) == V2
    assert rules(fr.findings) == ["F05"]


def test_cell_unit_in_a_wan_yuan_form():
    sheet, _ = build_sheet("TR2", {**V2, (321, 1): "10000000元"}, name="表2")
    _, fr = one(wb(sheet))
    assert values_of(fr)[(321, 1)] == 1000.0
    (f05,) = fr.findings
    assert f05.rule == "F05" and "C9（元）" in f05.message and f05.cells == "表2!C9"


@pytest.mark.parametrize(("revenue", "hint"), [(F09_MAX_REVENUE * 100, "元"), (25.0, "亿元")])
def test_magnitude_of_fiscal_revenue_suggests_a_unit_mix_up(revenue, hint):
    sheet, _ = build_sheet("TR2", {**V2, (300, 1): revenue}, name="表2")
    _, fr = one(wb(sheet))
    (f09,) = fr.findings
    assert (f09.rule, f09.severity, f09.cells) == ("F09", "warning", "表2!C6")  # one header row
    assert f"可能误按{hint}填报" in f09.message
    assert values_of(fr)[(300, 1)] == revenue  # a warning: the value stays


# ------------------------------------------------------------------ formulas


def test_formulas_without_cached_values():
    sheet, _ = build_sheet("TR1", V1)
    # 1-based rows: 100 at 7, 110 at 8, 120 at 9, 130 at 10, 131-133 at 11-13, 140 at 14,
    # 141-143 at 15-17, 150 at 18, 160 at 19
    sheet.cells[6][2] = ""
    sheet.formulas[(6, 2)] = "=C8+C9+C10+C14+C18+C19"
    sheet.cells[9][3] = ""
    sheet.formulas[(9, 3)] = "=SUM($D$11:D13)"
    sheet.cells[13][2] = ""
    sheet.formulas[(13, 2)] = "=SUM(C15:C17)"
    sheet.cells[14][2] = ""
    sheet.formulas[(14, 2)] = "=C16"  # nested: C14 sums C15, itself a formula
    sheet.cells[7][4] = ""
    sheet.formulas[(7, 4)] = "=VLOOKUP(A8,Sheet2!A:B,2,0)"
    _, fr = one(wb(sheet))
    got = values_of(fr)
    # C7 = C8+C9+C10+C14+C18+C19, where C14 = C15+C16+C17 and C15 = C16
    assert got[(100, 1)] == 11001 + 12001 + 13001 + (14201 + 14201 + 14301) + 15001 + 16001
    assert got[(130, 2)] == 13102 + 13202 + 13302  # 39606
    assert got[(141, 1)] == 14201  # = C16
    assert got[(140, 1)] == 14201 + 14201 + 14301  # C15 (=C16) + C16 + C17
    (f06,) = fr.findings
    assert (f06.rule, f06.severity, f06.cells) == ("F06", "error", "表1!E8")
    assert "VLOOKUP" in f06.message and (110, 3) not in got


# ------------------------------------------------------------------ unit, year, date


def test_unit_in_sheet_and_file_name_disagree_is_reported_for_the_batch():
    sheet, _ = build_sheet("TR1", V1, Layout(unit_name="東城街道辦事處"))
    res, fr = one(wb(sheet))
    assert fr.unit_code == DONGCHENG and res.findings == []
    assert res.unit_conflict == (DONGCHENG, SHILONG)  # the batch holds the file (X04)
    assert res.conflict_cells == "表1!A3"


def test_traditional_unit_label_and_name():
    sheet, _ = build_sheet("TR1", V1, Layout(unit_name="樟木頭鎮"))
    sheet.cells[2][0] = "填報單位：樟木頭鎮"
    res, fr = one(wb(sheet, name="2013.xlsx"))
    assert fr.unit_code == "441900112" and res.findings == []


def test_unit_with_stamp_note():
    sheet, _ = build_sheet("TR1", V1, Layout(unit_name=None))
    sheet.cells[2][0] = "填报单位（盖章）：石龙镇人民政府"
    res, fr = one(wb(sheet, name="2013.xlsx"))
    assert fr.unit_code == SHILONG


def test_unit_from_file_name_only_and_from_next_cell():
    sheet, _ = build_sheet("TR1", V1, Layout(unit_name=None))
    res, fr = one(wb(sheet))
    assert fr.unit_code == SHILONG and res.findings == []
    sheet, _ = build_sheet("TR1", V1, Layout(unit_name="东城", unit_next_cell=True))
    res, fr = one(wb(sheet, name="东城2013.xlsx"))
    assert fr.unit_code == DONGCHENG and res.findings == []


def test_no_unit_anywhere_leaves_it_to_the_batch():
    sheet, _ = build_sheet("TR1", V1, Layout(unit_name=None))
    res, fr = one(wb(sheet, name="报表2013.xlsx"))
    assert fr.unit_code is None and res.findings == []


def test_city_in_the_file_name_does_not_contradict_a_town():
    sheet, _ = build_sheet("TR1", V1)
    res, fr = one(wb(sheet, name="东莞市2013年人才报表.xlsx"))
    assert fr.unit_code == SHILONG and res.findings == []


@pytest.mark.parametrize(
    ("year_text", "file_name", "expected"),
    [("2013 年度", "x.xlsx", 2013), ("年份：2014", "x.xlsx", 2014), ("２０１５年", "x.xlsx", 2015),
     ("统计时点：2012年12月31日", "x.xlsx", 2012), ("报出日期：2014年1月20日", "石龙镇2013.xlsx", 2013),
     (None, "石龙镇2016.xlsx", 2016), (None, "石龙镇.xlsx", None)],
)
def test_year(year_text, file_name, expected):
    sheet, _ = build_sheet("TR1", V1, Layout(year_text=year_text))
    _, fr = one(wb(sheet, name=file_name))
    assert fr.year == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(datetime(2014, 2, 3), date(2014, 2, 3)), (41659.0, date(2014, 1, 20)),
     ("2014.1.20", date(2014, 1, 20)), (None, None)],
)
def test_report_date(typed, expected):
    sheet, _ = build_sheet("TR1", V1, Layout(report_date=typed))
    _, fr = one(wb(sheet))
    assert fr.report_date == expected


# ------------------------------------------------------------------ TR3


def test_tr3_flags_and_counts_with_units():
    typed = {(401, 1): "是", (402, 1): "否", (403, 1): "3人", (404, 1): 2, (405, 1): "4次",
             (406, 1): "２", (407, 1): "—", (408, 1): "5", (409, 1): 12.0}
    sheet, _ = build_sheet("TR3", typed, name="工作机制")
    _, fr = one(wb(sheet))
    assert fr.findings == []
    assert values_of(fr) == {(401, 1): 1.0, (402, 1): 0.0, (403, 1): 3.0, (404, 1): 2.0,
                             (405, 1): 4.0, (406, 1): 2.0, (407, 1): 0.0, (408, 1): 5.0,
                             (409, 1): 12.0}


# ------------------------------------------------------------------ TR4 roster


def roster_sheet() -> SheetGrid:
    rows = [
        ["高层次人才名册", "", "", "", "", "", "", "", "", "", "", ""],
        ["填报单位：石龙镇", "", "", "", "", "", "", "", "", "", "表号：东人统4表", ""],
        ["序号", "姓名", "性别", "身份证号码", "出生年月", "学历", "职称", "人才类别", "工作单位",
         "所属行业", "认定年份", "备注"],
        [1, "张三", "男", "44190019800512123X", 1980.05, "博士研究生", "正高级工程师",
         "专业技术人才", "某公司", "C", 2013.0, ""],
        [2.0, "李四", "女", 4.41900198e17, "1980年5月", "硕士研究生", "高级技师", "高技能人才",
         "某厂", "制造业", "2012", "重新认定"],
        ["", "", "", "", "", "", "", "", "", "", "", ""],
        [3, "王五", "男", " 441900197001011234 ", datetime(1970, 1, 1), "", "", "党政人才", "",
         "", "", ""],
        [4, "赵六", "女", "441900199010101245", 1990.1, "", "", "", "", "", "", ""],
        ["填表人：陈七", "", "", "联系电话：12345678", "", "", "", "", "", "", "", ""],
    ]
    return SheetGrid("名册", rows)


def test_roster_rows_with_ids_as_typed_and_births_as_year_month():
    res, fr = one(wb(roster_sheet()))
    assert (fr.form, fr.unit_code, fr.values) == ("TR4", SHILONG, [])
    p1, p2, p3, p4 = fr.roster
    assert p1 == {"seq": "1", "name": "张三", "sex": "男", "id_number": "44190019800512123X",
                  "birth": "1980-05", "education": "博士研究生", "title": "正高级工程师",
                  "category": "专业技术人才", "employer": "某公司", "industry": "C",
                  "recognised_year": "2013", "note": None, "row": 4}
    assert p2["id_number"] == "4.41900198e+17"  # a float ID is unreadable: kept for the rules
    assert (p2["birth"], p2["seq"], p2["recognised_year"], p2["row"]) == ("1980-05", "2", "2012", 5)
    assert (p3["id_number"], p3["birth"], p3["row"]) == ("441900197001011234", "1970-01", 7)
    assert p4["birth"] == "1990-10"  # Excel keeps a typed 1990.10 as 1990.1


# ------------------------------------------------------------------ detection


def test_form_found_by_title_then_by_items():
    for layout in (Layout(table_no=False), Layout(table_no=False, title=False)):
        sheet, _ = build_sheet("TR2", V2, layout, name="Sheet1")
        _, fr = one(wb(sheet))
        assert (fr.form, values_of(fr)) == ("TR2", V2)


def test_one_workbook_several_forms_and_an_instructions_sheet():
    notes = SheetGrid("填表说明", [["填表说明"], ["1. 东人统1表《人才资源情况》按年末实有人数填报。"],
                                  ["东人统1表"], ["2. 东人统2表以万元为单位。"]])
    s1, _ = build_sheet("TR1", V1, name="人才资源")
    s2, _ = build_sheet("TR2", V2, name="Sheet2")
    res = locate_forms(wb(notes, s1, s2, roster_sheet()), PROFILE)
    assert res.findings == []
    assert [(f.form, f.sheet) for f in res.forms] == [("TR1", "人才资源"), ("TR2", "Sheet2"),
                                                     ("TR4", "名册")]
    assert all(f.unit_code == SHILONG and f.year == 2013 for f in res.forms)


def test_hidden_copy_of_a_form_is_read_only_when_no_visible_one():
    old, _ = build_sheet("TR1", {k: 1.0 for k in V1}, name="表1(旧)")
    old.visible = False
    new, _ = build_sheet("TR1", V1, name="表1")
    res = locate_forms(wb(old, new), PROFILE)
    assert [f.sheet for f in res.forms] == ["表1"]
    res = locate_forms(wb(old), PROFILE)
    assert [f.sheet for f in res.forms] == ["表1(旧)"]


def test_no_form_at_all_is_x02_naming_file_and_sheets():
    res = locate_forms(wb(SheetGrid("Sheet1", [["地区", "2019年"], ["北京", 1.0]]),
                          SheetGrid("空表", []), name="石龙镇2013.xlsx"), PROFILE)
    assert res.forms == []
    (x02,) = res.findings
    assert (x02.rule, x02.kind, x02.severity) == ("X02", "格式", "error")
    assert x02.message == ("文件“石龙镇2013.xlsx”中没有识别出任何报表（东人统1表至东人统5表），"
                           "已查看的工作表：“Sheet1”、“空表”")


@pytest.mark.parametrize("path", FOREIGN, ids=lambda p: Path(p).name)
def test_foreign_workbooks_give_x02_and_nothing_else(path):
    res = locate_forms(read_with_calamine(Path(path)), PROFILE)
    assert res.forms == []
    assert [f.rule for f in res.findings] == ["X02"]


# ------------------------------------------------------------------ a real workbook


def write_xlsx(path: Path, sheets: list[SheetGrid]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sg in sheets:
        ws = book.create_sheet(sg.name)
        for r, row in enumerate(sg.cells, start=1):
            for c, v in enumerate(row, start=1):
                if v not in ("", None):
                    ws.cell(r, c, v)
        for r0, c0, r1, c1 in sg.merged:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        for r in sg.hidden_rows:
            ws.row_dimensions[r + 1].hidden = True
    book.save(path)


def test_real_xlsx_read_with_calamine(tmp_path):
    typed = {**V1, (110, 1): "11,001", (120, 1): "１２００１"}
    s1, _ = build_sheet("TR1", typed, Layout(hidden_items=(130,)), name="表1")
    s2, _ = build_sheet("TR2", {k: v * 10000 for k, v in V2.items()}, Layout(unit_line="单位：元"),
                        name="表2")
    path = tmp_path / "石龙镇2013.xlsx"
    write_xlsx(path, [s1, s2])
    res = locate_forms(read_workbook(path, path.name), PROFILE)  # the project's reader sees hidden rows
    assert res.findings == []
    tr1, tr2 = res.forms
    assert values_of(tr1) == V1 and rules(tr1.findings) == ["F11"]
    assert values_of(tr2) == V2 and rules(tr2.findings) == ["F05"]
    assert (tr1.unit_code, tr1.year, tr1.report_date) == (SHILONG, 2013, date(2014, 1, 20))
