"""The official templates: layout, data validation, protection, print setup, writers."""

from __future__ import annotations

import subprocess
from datetime import date

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from talentstats.profile.forms import form
from talentstats.workbooks.template import (
    Formula,
    LayoutOptions,
    build_form_layout,
    build_workbook_layouts,
    insert_row,
    render_workbook,
    template_filename,
    write_template,
    write_templates,
)

TOWN = "441900102"  # 石龙镇


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("tpl"), 2013, TOWN)


def _rows(path, sheet):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_file_name_and_sheets(blank, tmp_path):
    assert blank.name == "石龙镇2013年人才统计报表.xlsx" == template_filename(2013, TOWN)
    assert CalamineWorkbook.from_path(str(blank)).sheet_names == ["填报说明", "表1", "表2", "表3", "表4"]
    city = write_template(tmp_path, 2013, "441900")
    assert CalamineWorkbook.from_path(str(city)).sheet_names == ["填报说明", "表5"]
    assert any("东莞市人才工作领导小组办公室" in c for r in _rows(city, "表5") for c in map(str, r))


def test_tr1_layout(blank):
    rows = _rows(blank, "表1")
    flat = [c for r in rows for c in r]
    assert rows[0][0] == "人才资源情况"
    for text in ("表号：东人统1表", "制定机关：东莞市人才工作领导小组办公室", "填报单位：石龙镇", "2013年", "单位：人"):
        assert text in flat
    assert rows[4][:5] == ["项目", "代码", "合计", "其中：女性", "学历"] and rows[4][9] == "年龄"
    assert rows[5][4:9] == ["博士研究生", "硕士研究生", "大学本科", "大学专科", "中专及以下"]
    assert rows[6] == ["甲", "乙"] + [str(c) for c in range(1, 12)]
    assert [int(r[1]) for r in rows[7:24]] == list(form("TR1").item_codes)
    assert rows[7 + 4][0] == "　其中：高级职称"
    footer = [c for c in flat if isinstance(c, str) and c.endswith(("：", "日"))]
    assert [lab for lab in form("TR1").footer if not any(f.startswith(lab) for f in footer)] == []
    ws = openpyxl.load_workbook(blank)["表1"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A1:M1", "A5:A6", "B5:B6", "E5:I5", "J5:M5"} <= merged


def test_tr3_has_unit_column_and_index_bing(blank):
    rows = _rows(blank, "表3")
    head = next(i for i, r in enumerate(rows) if r[0] == "项目")
    assert rows[head] == ["项目", "代码", "计量单位", "本年"]
    assert rows[head + 1] == ["甲", "乙", "丙", "1"]
    assert rows[head + 2][1:3] == ["401", "—"]


def test_validation_and_protection(blank):
    wb = openpyxl.load_workbook(blank)
    ws = wb["表1"]
    assert ws.protection.sheet
    assert ws["C8"].protection.locked is False and ws["A8"].protection.locked is True
    dv = ws.data_validations.dataValidation
    assert [(d.type, d.operator, d.formula1) for d in dv] == [("whole", "greaterThanOrEqual", "0")]
    assert "C8:C24" in str(dv[0].sqref) and "M8:M24" in str(dv[0].sqref)
    dv2 = {d.type: d for d in wb["表2"].data_validations.dataValidation}
    assert dv2["decimal"].formula1 == "0" and "C7:C15" in str(dv2["decimal"].sqref)
    dv3 = {d.type: d for d in wb["表3"].data_validations.dataValidation}
    assert dv3["list"].formula1 == '"1,0"' and str(dv3["list"].sqref) == "D7:D8"
    assert "D9:D15" in str(dv3["whole"].sqref)
    ws4 = wb["表4"]
    assert ws4.protection.sheet and ws4["B6"].protection.locked is False
    dv4 = {d.type: d for d in ws4.data_validations.dataValidation}
    assert dv4["list"].formula1 == '"男,女"' and str(dv4["list"].sqref) == "C6:C205"  # 200 rows
    assert not wb["填报说明"].protection.sheet


def test_print_setup_and_font(blank):
    ws = openpyxl.load_workbook(blank)["表1"]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws["A1"].font.name == "宋体" and ws["A1"].font.bold
    assert ws["C8"].border.left.style == "thin"
    assert ws.column_dimensions["A"].width > ws.column_dimensions["C"].width


def test_filled_template_puts_values_in_place(tmp_path):
    values = {
        "TR1": {(100, 1): 1234, (240, 2): 3},
        "TR2": {(300, 1): 456789.12, (321, 2): 1.5},
        "TR3": {(401, 1): 1},
    }
    roster = [{"name": "陈伟", "sex": "男", "id_number": "44190019800101001X", "birth": "1980.01"}]
    path = write_template(tmp_path / "x.xlsx", 2014, TOWN, values=values, roster=roster, report_date=date(2015, 1, 20))
    t1 = _rows(path, "表1")
    assert t1[7][2] == 1234 and t1[23][3] == 3
    t2 = _rows(path, "表2")
    assert t2[6][2] == 456789.12 and t2[9][3] == 1.5
    assert _rows(path, "表3")[6][3] == 1
    t4 = _rows(path, "表4")
    assert t4[5][:5] == [1, "陈伟", "男", "44190019800101001X", "1980.01"]
    assert "报出日期：2015年1月20日" in [c for r in t1 for c in r]
    assert len(t4) < 40  # a filled roster keeps 10 spare rows, not 200


def test_layout_options():
    lay = build_form_layout("TR1", 2013, TOWN, options=LayoutOptions(
        code_column=False, numbering=True, index_row=False, remark_column=True,
        column_order=(1, 2, 8, 9, 10, 11, 3, 4, 5, 6, 7), header_layout="compact"))
    labels = [lay.rows[r][0] for r in lay.item_rows.values()]
    assert labels[:3] == ["人才资源总量", "1.党政人才", "2.企业经营管理人才"]
    assert "补充资料：（一）创新创业领军人才" in labels and "（四）高层次人才" in labels
    assert "index" not in lay.roles and lay.roles.count("meta") == 1
    head = lay.rows[lay.header_rows[0]]
    assert head[0] == "项目" and head[3] == "年龄" and head[7] == "学历" and head[-1] == "备注"
    assert lay.value_cols[8] == 3 and lay.value_cols[3] == 7
    tall = build_form_layout("TR2", 2013, TOWN, options=LayoutOptions(header_layout="tall", money_unit="亿元"),
                             values={(300, 1): 12345.0})
    assert tall.roles.count("meta") == 5
    assert tall.rows[tall.unit_cell[0]][tall.unit_cell[1]] == "单位：亿元"
    assert tall.rows[tall.item_rows[300]][2] == pytest.approx(1.2345)


def test_insert_row_shifts_positions():
    lay = build_form_layout("TR1", 2013, TOWN)
    r160, r210 = lay.item_rows[160], lay.item_rows[210]
    insert_row(lay, r160 + 1, ["小计"])
    assert lay.item_rows[160] == r160 and lay.item_rows[210] == r210 + 1
    assert lay.rows[r160 + 1][0] == "小计" and (r210 + 1, 2) in lay.input_cells


def test_other_engines_and_formulas(tmp_path):
    lays = build_workbook_layouts(2013, TOWN, values={"TR1": {(110, 1): 5, (120, 1): 7}})
    t1 = lays[1]
    r, c = t1.cell(100, 1)
    t1.set(r, c, Formula("=C9+C10", 12))
    xlsx = tmp_path / "f.xlsx"
    xlsx.write_bytes(render_workbook(lays, engine="xlsxwriter"))
    assert _rows(xlsx, "表1")[r][c] == 12  # cached value
    xls = tmp_path / "f.xls"
    xls.write_bytes(render_workbook(lays, engine="xlwt"))
    assert xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    assert _rows(xls, "表1")[r][c] == 12
    plain = tmp_path / "p.xlsx"
    plain.write_bytes(render_workbook(lays))
    assert openpyxl.load_workbook(plain)["表1"].cell(r + 1, c + 1).value == "=C9+C10"
    xlsm = tmp_path / "m.xlsm"
    xlsm.write_bytes(render_workbook(lays, macro_enabled=True))
    import zipfile
    assert b"macroEnabled" in zipfile.ZipFile(xlsm).read("[Content_Types].xml")
    assert CalamineWorkbook.from_path(str(xlsm)).sheet_names[1] == "表1"


def test_same_bytes_twice(tmp_path):
    a = write_template(tmp_path / "a.xlsx", 2013, TOWN, report_date=date(2014, 1, 9))
    b = write_template(tmp_path / "b.xlsx", 2013, TOWN, report_date=date(2014, 1, 9))
    assert a.read_bytes() == b.read_bytes()


def test_write_templates_for_all_units(tmp_path):
    paths = write_templates(tmp_path, 2016, ["441900401", "441900"])
    assert [p.name for p in paths] == ["松山湖高新区2016年人才统计报表.xlsx", "市人才办2016年人才统计报表.xlsx"]
    with pytest.raises(KeyError):
        write_template(tmp_path, 2016, "123")


@pytest.mark.slow
def test_libreoffice_opens_the_template(blank, tmp_path):
    out = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "csv",
         "--outdir", str(tmp_path), str(blank)],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / (blank.stem + ".csv")).exists()
