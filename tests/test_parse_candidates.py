"""Reading by evidence: every candidate block of every form, hidden rows and columns, units of
measure from every place, footnote marks, workbook-level facts, and files that name another
unit. Each test lays its workbook out otherwise than the file that first showed the problem.

Values as in test_parse: item 130, column 5 holds 13005 (TR1); V2 for TR2 in 万元.
"""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
import xlwt
from conftest import TEST_PROFILE
from test_parse import SHILONG, V1, V2, rules, values_of, wb
from test_parse_property import Layout, build_sheet

from talentstats.errors import ParameterError
from talentstats.model import SheetGrid, WorkbookGrid
from talentstats.profile.config import load_profile
from talentstats.profile.forms import form
from talentstats.reading import ingest
from talentstats.reading.assignments import match_assignments, parse_assign, read_assignments
from talentstats.reading.parse import locate_forms
from talentstats.reading.readers import read_workbook

PROFILE = load_profile(TEST_PROFILE)

DONGCHENG = "441900003"
TR1 = form("TR1")
V3 = {(it.code, 1): float(i % 3 + 1) for i, it in enumerate(form("TR3").items)}


def stack(*sheets: SheetGrid, name: str = "汇总表") -> SheetGrid:
    """Sheets one under the other, with an empty row between."""
    rows, merged, at = [], [], 0
    for s in sheets:
        rows += [list(r) for r in s.cells] + [[""]]
        merged += [(r0 + at, c0, r1 + at, c1) for r0, c0, r1, c1 in s.merged]
        at = len(rows)
    return SheetGrid(name, rows, merged)


# ------------------------------------------------------------------ several candidates


def test_a_filled_form_beats_a_blank_template_that_names_itself_better():
    """The blank copy has the 表号 and title; the filled one has neither, and comes later."""
    blank, _ = build_sheet("TR1", {}, name="表1")
    filled, _ = build_sheet("TR1", V1, Layout(table_no=False, title=False), name="上报数")
    res = locate_forms(wb(blank, filled), PROFILE)
    (fr,) = res.forms
    assert (fr.sheet, values_of(fr), fr.findings, res.findings) == ("上报数", V1, [], [])


def test_a_blank_form_alone_is_f10_not_accepted_empty():
    blank, _ = build_sheet("TR2", {}, name="资金")
    (fr,) = locate_forms(wb(blank), PROFILE).forms
    assert fr.values == [] and rules(fr.findings) == ["F10"]
    assert fr.findings[0].severity == "error" and "表2" in fr.findings[0].message
    assert "未填报数值" in fr.findings[0].message


def test_an_instructions_sheet_with_a_table_of_codes_is_not_taken():
    """A 说明 sheet that lists every item with its code, the 表号 in a short cell, the sum
    rules in prose; the real form comes second, on a sheet named Sheet2."""
    rows = [["东人统1表 填报口径", "", ""], ["代码", "指标名称", "填报说明"]]
    for it in TR1.items:
        rows.append([it.code, it.name, f"{it.name}：按年末实有人数填报，不含离退休人员，各分项之和应等于合计。"])
    rows.append(["注：100 = 110+120+130+140+150+160；140 = 141+142+143。", "", ""])
    notes = SheetGrid("说明", rows)
    real, _ = build_sheet("TR1", V1, name="Sheet2")
    res = locate_forms(wb(notes, real), PROFILE)
    (fr,) = res.forms
    assert (fr.sheet, values_of(fr), fr.findings, res.findings) == ("Sheet2", V1, [], [])


def test_two_filled_copies_that_disagree_are_x07_naming_both():
    a, _ = build_sheet("TR1", V1, name="表1")
    b, _ = build_sheet("TR1", {**V1, (110, 1): 99.0}, name="表1(修改)")
    (fr,) = locate_forms(wb(a, b), PROFILE).forms
    (x07,) = [f for f in fr.findings if f.rule == "X07"]
    assert x07.severity == "error"
    assert "表1!A7:M23" in x07.cells and "表1(修改)!A7:M23" in x07.cells


def test_two_identical_copies_are_one_form():
    a, _ = build_sheet("TR1", V1, name="表1")
    b, _ = build_sheet("TR1", V1, name="表1 (2)")
    (fr,) = locate_forms(wb(a, b), PROFILE).forms
    assert (fr.sheet, fr.findings) == ("表1", [])


def test_three_forms_stacked_on_one_sheet():
    """TR3 on top, TR2 under it without its own 填报单位, TR1 at the bottom."""
    s3, _ = build_sheet("TR3", V3, name="x")
    s2, _ = build_sheet("TR2", V2, Layout(unit_name=None, year_text=None), name="x")
    s1, _ = build_sheet("TR1", V1, name="x")
    res = locate_forms(wb(stack(s3, s2, s1)), PROFILE)
    got = {fr.form: fr for fr in res.forms}
    assert sorted(got) == ["TR1", "TR2", "TR3"] and res.findings == []
    assert values_of(got["TR1"]) == V1 and values_of(got["TR2"]) == V2
    assert values_of(got["TR3"]) == V3
    assert all(fr.findings == [] for fr in got.values())
    assert {(fr.unit_code, fr.year) for fr in got.values()} == {(SHILONG, 2013)}
    # TR1's item 100 is its 7th row (C7 on a sheet of its own), below TR3 and TR2 and the
    # empty row after each
    below = len(s3.cells) + 1 + len(s2.cells) + 1
    assert dict(((i, c), ref) for i, c, _, ref in got["TR1"].values)[(100, 1)] == f"C{below + 7}"


# ------------------------------------------------------------------ units of measure


def test_money_unit_in_the_title_only():
    typed = {k: v / 10000 for k, v in V2.items()}  # 亿元
    sheet, _ = build_sheet("TR2", typed, Layout(unit_line=""), name="表2")
    sheet.cells[0][0] = "东莞市人才专项资金情况表（亿元）"
    (fr,) = locate_forms(wb(sheet), PROFILE).forms
    assert values_of(fr) == pytest.approx(V2)
    (f05,) = fr.findings
    assert (f05.rule, f05.severity) == ("F05", "warning")
    assert "亿元" in f05.message and "A1" in f05.message


def test_money_unit_in_column_headers_only():
    typed = {k: v * 10000 for k, v in V2.items()}  # 元
    sheet, _ = build_sheet("TR2", typed, Layout(unit_line=""), name="表2")
    header = next(r for r in sheet.cells if "本年" in r)
    header[header.index("本年")], header[header.index("上年")] = "本年(元)", "上年(元)"
    (fr,) = locate_forms(wb(sheet), PROFILE).forms
    assert values_of(fr) == V2 and rules(fr.findings) == ["F05"]


def test_units_that_contradict_each_other_are_f12():
    sheet, _ = build_sheet("TR2", V2, name="表2")  # 单位：万元
    header = next(r for r in sheet.cells if "本年" in r)
    header[header.index("上年")] = "上年（元）"
    (fr,) = locate_forms(wb(sheet), PROFILE).forms
    assert fr.values == [] and rules(fr.findings) == ["F12"]
    assert "万元" in fr.findings[0].message and "元" in fr.findings[0].message


# ------------------------------------------------------------------ hidden rows and columns


def _with_hidden(sheet: SheetGrid) -> tuple[list[list], int]:
    """The sheet's rows with a hidden stale copy BELOW the 130 row and a hidden stale 合计
    column inserted before the value columns (column C); the stale row's index."""
    rows = [list(r) for r in sheet.cells]
    at = next(i for i, r in enumerate(rows) if r[1] == 130)
    rows.insert(at + 1, [*rows[at][:2], *[7] * (len(rows[at]) - 2)])
    head = next(i for i, r in enumerate(rows) if "合计" in r)
    for i, r in enumerate(rows):
        r.insert(2, "合计" if i == head else (7 if isinstance(r[1], int) and r[1] >= 100 else ""))
    return rows, at + 1


@pytest.mark.parametrize("suffix", ["xls", "xlsx"])
def test_hidden_rows_and_columns_are_never_read(tmp_path, suffix):
    sheet, _ = build_sheet("TR1", V1, Layout(two_level=False))
    rows, stale = _with_hidden(sheet)
    path = tmp_path / f"石龙镇2013.{suffix}"
    if suffix == "xls":
        book = xlwt.Workbook()
        ws = book.add_sheet("表1")
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v != "":
                    ws.write(r, c, v)
        ws.row(stale).hidden = True
        ws.col(2).hidden = True
        book.save(str(path))
    else:
        book = openpyxl.Workbook()
        ws = book.active
        ws.title = "表1"
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v != "":
                    ws.cell(r, c, v)
        ws.row_dimensions[stale + 1].hidden = True
        ws.column_dimensions["C"].hidden = True
        book.save(path)
    (fr,) = locate_forms(read_workbook(path, path.name), PROFILE).forms
    assert values_of(fr) == V1
    assert rules(fr.findings) == ["F11", "F11"]
    first = next(i for i, r in enumerate(rows) if r[1] == 100)
    assert {f.cells for f in fr.findings} == {f"表1!A{stale + 1}", f"表1!C{first + 1}"}


# ------------------------------------------------------------------ item names


def test_footnote_marks_do_not_hide_an_item():
    labels = {110: "党政人才※", 120: "企业经营管理人才⑵", 130: "专业技术人才³",
              140: "高技能人才[注]", 150: "农村实用人才（注1）", 160: "＊社会工作人才"}
    sheet, _ = build_sheet("TR1", V1, Layout(code_col=False, labels=labels))
    (fr,) = locate_forms(wb(sheet), PROFILE).forms
    assert values_of(fr) == V1 and fr.findings == []


# ------------------------------------------------------------------ the batch


def outcome(grid: WorkbookGrid, modified: float) -> ingest.FileOutcome:
    res = locate_forms(grid, PROFILE)
    return ingest.FileOutcome(grid.source_file, grid.source_file, modified, res.forms,
                              res.findings, res.unit_conflict, res.conflict_cells)


def roster_sheet(n: int) -> SheetGrid:
    rows = [["东莞市高层次人才名册", "", "", ""], ["表号：东人统4表", "", "", ""],
            ["序号", "姓名", "性别", "公民身份号码", "出生年月", "人才类别"]]
    rows += [[i + 1, f"甲{i}", "男", "", "1980-01", "党政人才"] for i in range(n)]
    return SheetGrid("名册", rows)


def test_the_workbooks_date_belongs_to_a_roster_that_has_none():
    """Version 2 (报出日期 2014-02-01 on 表1) was saved before version 1 was copied again, so
    file time alone would take version 1's roster."""
    def version(n: int, sent: str) -> WorkbookGrid:
        s1, _ = build_sheet("TR1", V1, Layout(report_date=sent))
        return WorkbookGrid(f"石龙镇2013-v{n}.xlsx", "xlsx", [s1, roster_sheet(n)])

    v1, v2 = outcome(version(1, "2014年1月10日"), 200.0), outcome(version(2, "2014年2月1日"), 100.0)
    assert [fr.report_date for fr in v2.forms] == [date(2014, 2, 1)] * 2
    subs = ingest.assemble([v1, v2], 2013, PROFILE).submissions
    status = dict(zip(zip(subs["source_file"], subs["form"], strict=True), subs["status"], strict=True))
    assert status == {("石龙镇2013-v2.xlsx", "TR1"): "candidate", ("石龙镇2013-v2.xlsx", "TR4"): "candidate",
                      ("石龙镇2013-v1.xlsx", "TR1"): "superseded", ("石龙镇2013-v1.xlsx", "TR4"): "superseded"}


def _neighbour_files() -> list[ingest.FileOutcome]:
    """东城's own file, and a newer one named 石龙镇 whose sheet says 东城 (a copied template)."""
    own, _ = build_sheet("TR1", V1, Layout(unit_name="东城街道"))
    copied, _ = build_sheet("TR1", {**V1, (110, 1): 1.0}, Layout(unit_name="东城街道",
                                                                  report_date="2014年3月1日"))
    return [outcome(WorkbookGrid("东城街道.xlsx", "xlsx", [own]), 100.0),
            outcome(WorkbookGrid("报表/石龙镇（终稿）.xlsx", "xlsx", [copied]), 200.0)]


def test_a_file_that_names_another_unit_is_held_and_supersedes_nobody():
    batch = ingest.assemble(_neighbour_files(), 2013, PROFILE)
    subs = batch.submissions.set_index("source_file")
    assert subs.loc["东城街道.xlsx", "status"] == "candidate"
    assert (subs.loc["报表/石龙镇（终稿）.xlsx", ["unit_code", "status"]].tolist()
            == [SHILONG, "rejected"])
    assert set(batch.candidates["source_file"]) == {"东城街道.xlsx"}
    (x04,) = batch.findings[batch.findings["rule"] == "X04"].itertuples()
    assert (x04.severity, x04.unit_code, x04.cells) == ("error", SHILONG, "表1!A3")
    assert "东城街道 441900003" in x04.message and "石龙镇 441900102" in x04.message
    assert "--assign" in x04.message


def test_an_assignment_settles_a_held_file():
    batch = ingest.assemble(_neighbour_files(), 2013, PROFILE, {"报表/石龙镇（终稿）.xlsx": SHILONG})
    subs = batch.submissions.set_index("source_file")
    assert subs.loc["报表/石龙镇（终稿）.xlsx", "unit_code"] == SHILONG
    assert subs["status"].tolist() == ["candidate", "candidate"]
    assert set(batch.candidates.loc[batch.candidates["unit_code"] == SHILONG, "source_file"]) \
        == {"报表/石龙镇（终稿）.xlsx"}
    (x04,) = batch.findings[batch.findings["rule"] == "X04"].itertuples()
    assert (x04.severity, x04.unit_code) == ("warning", SHILONG) and "指定归属" in x04.message


def test_assignments_from_the_command_line_and_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "2013").mkdir()
    held = tmp_path / "2013" / "石龙镇（终稿）.xlsx"
    held.write_bytes(b"x")
    (tmp_path / "assignments.csv").write_text(
        "file,unit,note\n2013/石龙镇（终稿）.xlsx,石龙,模板抄自东城（电话核实）\n", "utf-8")
    assert read_assignments(tmp_path / "assignments.csv") == {held.resolve(): SHILONG}
    assert parse_assign(["2013/石龙镇（终稿）.xlsx=441900003"]) == {held.resolve(): DONGCHENG}
    matched, unmatched = match_assignments({held.resolve(): SHILONG, tmp_path / "x.xlsx": SHILONG},
                                           [(held, "石龙镇（终稿）.xlsx")])
    assert matched == {"石龙镇（终稿）.xlsx": SHILONG} and unmatched == {tmp_path / "x.xlsx"}
    for bad in ("2013/a.xlsx", "=石龙", "a.xlsx=不存在的镇"):
        with pytest.raises(ParameterError):
            parse_assign([bad])

