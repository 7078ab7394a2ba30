"""Feedback workbooks and the collection summary."""

from __future__ import annotations

import openpyxl
import pandas as pd
import xlwt

from talentstats.feedback import (
    FEEDBACK_SHEET,
    collection_table,
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
