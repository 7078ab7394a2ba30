"""Bulletin tables, the annex workbook, and the render's parameter checks (no kernel)."""

import bulletin_fixture as bf
import openpyxl
import pandas as pd
import pytest

from talentstats.errors import DataNotFound, ParameterError
from talentstats.publication import assessment_view as A
from talentstats.publication import tables as T
from talentstats.publication.annex import write_annex
from talentstats.publication.render import to_html, validate_parameters
from talentstats.store.catalog import write_datasets


def test_roster_table_suppressed():
    t = T.roster_table(bf.bulletin_data().profile, bf.roster(), 2015).set_index("人才类别")
    # 专业技术人才 x 博士研究生 = 3 (A 2 + B 1) is published; every 1 is hidden.
    assert t.loc["专业技术人才", "博士研究生"] == "3"
    assert t.loc["党政人才", "硕士研究生"] == "…"
    assert t.loc["高技能人才", "大学本科"] == "…"
    assert t.loc["合计", "合计"] == "6"


def test_fund_by_unit_and_shortfalls():
    d = bf.bulletin_data()
    fund = T.fund_by_unit(d).set_index("unit_code")
    assert fund.loc[bf.B, "ratio"] == 2.5 and fund.loc[bf.B, "gap"] == 500
    short = A.mechanism_noncompliance_table(d)
    assert short["镇街（园区）"].to_list() == ["万江街道", "南城街道"]
    assert short["达标项数"].to_list() == ["4/8", "7/8"]


def test_ranking_change_on_last_year():
    t = A.ranking_table(bf.bulletin_data())
    assert t["镇街（园区）"].to_list() == ["东城街道", "南城街道", "万江街道"]
    assert t["位次变化"].to_list() == ["上升1位", "下降1位", "持平"]
    assert t["综合得分"].to_list() == ["85.5", "72.3", "60.0"]  # 72.25 half up
    assert t["得分比上年增减"].to_list() == ["+11.5", "-2.8", "+2.0"]


def test_annex_workbook(tmp_path):
    path = write_annex(bf.bulletin_data(), tmp_path / "附表.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["附表1 人才资源", "附表2 人才专项资金", "附表3 工作机制", "附表4 主要指标"]
    ws = wb["附表1 人才资源"]
    assert ws["A1"].value == "附表1  2015年各镇街（园区）人才资源情况"
    assert ws["A2"].value == "单位：人"
    assert ws.freeze_panes == "C4"
    assert ws["C3"].value == "人才资源总量"
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows[bf.A][2] == 50000
    assert rows["441900"][1] == "全市合计" and rows["441900"][2] == 100000
    assert rows["441900004"][2] == 30000
    assert rows["441900006"][2] == "—"  # rejected: no value, not 0
    fund = {r[0]: r for r in wb["附表2 人才专项资金"].iter_rows(min_row=4, values_only=True)}
    assert fund[bf.B][4] == 2.5 and fund[bf.B][5] == "否" and fund[bf.B][6] == 500
    # the ratio shows 2 decimals (2.96 must not display as 3.0 beside 否); execution 1 decimal
    ws2 = wb["附表2 人才专项资金"]
    header = [c.value for c in ws2[3]]
    ratio_col = header.index("占财政总收入比例（%）") + 1
    assert ws2.cell(row=4, column=ratio_col).number_format == "0.00"


def test_parameters_checked_before_any_kernel(tmp_path):
    with pytest.raises(DataNotFound):
        validate_parameters(2015, tmp_path / "nowhere")
    write_datasets(tmp_path, bf.frames())
    assert validate_parameters(2015, tmp_path) == 2015
    with pytest.raises(DataNotFound, match="2011"):
        validate_parameters(2011, tmp_path)
    with pytest.raises(ParameterError):
        validate_parameters("2015", tmp_path)


def test_html_has_no_network_loads(tmp_path):
    import re

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data={"text/markdown": "## 一、测试\n\n$x$ 正文"})])])
    ipynb = tmp_path / "t.ipynb"
    nbformat.write(nb, str(ipynb))
    html = to_html(ipynb, tmp_path / "t.html", "测试").read_text("utf-8")
    assert '<html lang="zh">' in html
    assert not re.search(r"<(script|link)\b[^>]*(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"@import\s+url\([\"']?https?:", html, re.I)
    assert "mathjax" not in html.lower() and "require.js" not in html.lower()
    assert 'class="jp-InputArea' not in html and "jp-InputPrompt" not in html.split("</style>")[-1]  # no code
    assert "@page { size: A4" in html


def test_fund_table_never_rounds_a_shortfall_up_to_the_line():
    d = bf.bulletin_data()
    ind = d.indicators.copy()
    # unit B budgets 2.96% of its revenue: printed with 1 decimal it would read "3.0" next to 否
    at_b = (ind["unit_code"] == bf.B) & (ind["year"] == 2015) & (ind["indicator"] == "I08")
    ind.loc[at_b, "value"] = 2.96
    table = T.fund_table(T.BulletinData(**{**d.__dict__, "indicators": ind})).set_index("镇街（园区）")
    assert table.loc["南城街道", "占财政总收入比例（%）"] == "2.96"
    assert table.loc["南城街道", "是否达到3%"] == "否"


def test_roster_table_counts_a_person_reported_by_two_units_once():
    roster = bf.roster()
    twice = roster.iloc[[0]].assign(unit_code=bf.B, source="b.xlsx!表4!A9")  # P05: same pseudonym
    t = T.roster_table(bf.bulletin_data().profile, pd.concat([roster, twice], ignore_index=True), 2015).set_index("人才类别")
    assert t.loc["合计", "合计"] == "6"  # 6 persons, 7 roster rows
    assert t.loc["专业技术人才", "博士研究生"] == "3"


def test_annex_leaves_the_internal_assessment_out():
    ind = T.annex_indicators(bf.bulletin_data().profile, bf.indicators(), 2015, bf.dictionary())
    assert not [c for c in ind.columns if str(c).startswith("I14")]
    assert any(str(c).startswith("I08") for c in ind.columns)


def test_annex_is_byte_identical_for_the_same_data(tmp_path):
    a = write_annex(bf.bulletin_data(), tmp_path / "a" / "附表.xlsx").read_bytes()
    b = write_annex(bf.bulletin_data(), tmp_path / "b" / "附表.xlsx").read_bytes()
    assert a == b


def test_html_does_not_depend_on_papermill_cell_ids(tmp_path):
    import nbformat

    def executed(cell_id: str):
        nb = nbformat.v4.new_notebook()
        injected = nbformat.v4.new_code_cell("year = 2015", id=cell_id)
        injected.metadata["tags"] = ["injected-parameters"]
        nb.cells = [injected, nbformat.v4.new_markdown_cell("## 一、人才资源总量", id="md")]
        path = tmp_path / f"{cell_id}.ipynb"
        nbformat.write(nb, str(path))
        return path

    first = to_html(executed("ede3ae75"), tmp_path / "1.html", "公报").read_text("utf-8")
    second = to_html(executed("086eb20b"), tmp_path / "2.html", "公报").read_text("utf-8")
    assert first == second
