"""The deployment profile (talentstats.profile.config): Dongguan by default, another city by configuration.

The made-up city 西山市 (tests/fixtures/profile-xishan: code 469900, four units, a 2.5% fund-ratio
line, an investment target of 5亿元 a year and 15亿元 over 2016-2018, its own issuing body and
bulletin title) is ingested end to end by the command line in a child process, as a deployment
would run it: the profile is chosen before anything is imported, and the ingest's worker
processes inherit it. (In this process the ingest cannot be switched: its fork server and the
modules that bound ``units.CITY`` at import keep the profile they started with.) The pure
functions of the bulletin are then run here under the same profile.

Expected values, worked out by hand:

* every unit sends the consistent town of test_pipeline (TR1 100 = 1000 persons, TR2 spent 320 =
  13000.25, of which services 325 = 2000), with its own revenue (300) and budget (310):
  城关 600000 / 15600 = 2.6 %, 河东 700000 / 14000 = 2.0 %, 河西 620000 / 15500 = 2.5 %,
  高新区 400000 / 16000 = 4.0 %. Against 2.5 %: 城关, 河西 (exactly on the line) and 高新区 meet
  it, 河东 does not, its gap is 2.5 % × 700000 − 14000 = 3500 万元. Against Dongguan's 3 % only
  高新区 would.
* the city (469900) sends TR5: 500 = 60000 万元 (I12 = 60000 / 50000 = 120 %, I12.cum = 60000 /
  150000 = 40 %), 510 = 20000.
* population 2016: city 120 万 → 1,200,000; census shares 0.4 / 0.3 / 0.2 → 城关 480,000,
  河东 360,000, 河西 240,000; 高新区 none. Density: city 4000 / 1,200,000 × 10,000 = 33.33;
  河东 1000 / 360,000 × 10,000 = 27.78; 高新区 missing.
* assessment D2 of 河东 = (2 × min(2.0 / 2.5, 1) × 100 + 13000.25 / 14000 × 100 + 100) / 4
  (I11.services is equal everywhere, so its min-max score is 100 for all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import TEST_PROFILE
from test_pipeline import _TR1_ROWS, _TR2, _TR3

from talentstats.errors import ConfigError, ParameterError
from talentstats.profile import config, forms, units
from talentstats.profile.targets import Step, fund_ratio_line, target_value
from talentstats.store import catalog

XISHAN = Path(__file__).parent / "fixtures" / "profile-xishan"
YEAR = 2016
CITY, CHENGGUAN, HEDONG, HEXI, PARK = "469900", "469900003", "469900101", "469900102", "469900401"
# revenue (300), budget (310), 本年 column; the 上年 column and the other rows as test_pipeline's
FUND = {CHENGGUAN: (600000, 15600), HEDONG: (700000, 14000), HEXI: (620000, 15500),
        PARK: (400000, 16000)}
ISSUER = "西山市人才工作办公室"
OFFICE = "西山市人才办公室"  # files TR5; Dongguan's is 市人才办


@pytest.fixture
def xishan(monkeypatch):
    """The made-up profile selected for this test (and the default again afterwards)."""
    monkeypatch.setenv(config.ENV_VAR, str(XISHAN))
    config.reset()
    yield XISHAN
    config.reset()


# --------------------------------------------------------------------------- the default


def test_the_default_profile_is_dongguan(monkeypatch):
    monkeypatch.delenv(config.ENV_VAR, raising=False)
    c = config.city()
    assert (c.code, c.name, c.issuer, c.office) == ("441900", "东莞市", "东莞市人才工作领导小组办公室", "市人才办")
    assert c.bulletin_name(2016) == "东莞市2016年人才资源统计公报"
    assert fund_ratio_line(c.targets, 2016) == 3.0
    assert target_value(c.targets, "I12.amount", 2013) == 100000.0
    assert target_value(c.targets, "I12.cum_amount", 2017) is None  # after 2012-2016
    assert c.unit_term == "镇街（园区）"
    assert len(units.reporting_units()) == 35 and units.CITY == "441900"


# --------------------------------------------------------------------------- the made-up city


def test_units_and_names_come_from_the_profile(xishan):
    assert config.city_code() == CITY and units.CITY == CITY  # module attribute, read now
    assert [u.code for u in units.reporting_units()] == [CHENGGUAN, HEDONG, HEXI, PARK]
    assert units.identify_unit("河東鎮2016年報表.xlsx") == HEDONG
    assert units.identify_unit("西山高新技术产业开发区管委会") == PARK  # a town wins over 西山
    assert units.identify_unit(f"{OFFICE}2016年人才统计报表.xlsx") == CITY
    assert units.identify_unit("市人才办2016年人才统计报表.xlsx") is None  # Dongguan's office
    assert units.identify_unit("石龙镇2016.xlsx") is None  # a Dongguan town is unknown here
    assert units.unit_name(CITY) == "西山市"
    assert forms.issuer() == ISSUER
    assert forms.form("TR5").item(510).name == "人才西山战略专项"  # short_name: 西山市 without 市


def test_bulletin_titles_and_issuer_come_from_the_profile(xishan, tmp_path):
    from talentstats.store.codebook import COLUMN_LABELS
    from talentstats.workbooks.template import build_instructions_layout, template_filename

    assert config.load_profile().city.bulletin_name(YEAR) == "西山市人才发展统计公报（2016年）"
    assert config.load_profile().city.unit_term == "乡镇（街道）"
    assert template_filename(YEAR, CITY) == f"{OFFICE}2016年人才统计报表.xlsx"
    first = [row[0] for row in build_instructions_layout(YEAR, CITY).rows[:2]]
    assert first[0] == "西山市人才资源统计报表填报说明（2016年）"
    assert first[1].startswith(f"一、本报表由{ISSUER}制定")
    assert f"由{OFFICE}填报" in first[1]
    assert COLUMN_LABELS["indicators"]["unit_code"] == ("单位代码（469900为全市）", "unit code (469900 = the city)")


def test_targets_reach_the_dictionary_and_the_assessment(xishan):
    from talentstats.analysis.assessment import dimension_table
    from talentstats.analysis.indicators import indicator_dictionary

    profile = config.load_profile()
    assert profile.city.targets["I08"] == (Step(2.5),)
    dims = dimension_table(profile).set_index("indicator")
    assert dims.loc["I08", "target"] == 2.5
    assert dims.loc["I08", "label"] == "人才专项资金占财政总收入比例（达2.5%满分）"
    d = indicator_dictionary(profile).set_index("indicator")
    assert d.loc["I09", "name"] == "人才专项资金是否达到2.5%要求"
    assert d.loc["I10", "formula"] == "max(0, 2.5% × TR2 300/1 − TR2 310/1)"
    assert d.loc["I12", "threshold"] == "从2016年起每年投入5亿元（50000万元）"
    assert d.loc["I12.cum", "name"] == "市财政人才投入三年累计完成率"
    assert d.loc["I03", "note"].startswith("常住人口为估算数：2020年普查")


def _id_number(first17: str) -> str:
    """GB 11643 check character: Σ digit × weight mod 11 indexes '10X98765432'."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _roster(k: int) -> list[dict]:
    """Two persons of unit number k, distinct across units (a man born 1975-03, a woman 1982-08)."""
    return [
        {"seq": 1, "name": f"陈{k}平", "sex": "男", "id_number": _id_number(f"46990019750312{k:02d}1"),
         "birth": "1975-03", "education": "博士研究生", "title": "正高级工程师",
         "category": "专业技术人才", "employer": "西山某电子有限公司", "industry": "C",
         "recognised_year": 2012, "note": ""},
        {"seq": 2, "name": f"李{k}英", "sex": "女", "id_number": _id_number(f"46990019820815{k:02d}2"),
         "birth": "1982-08", "education": "硕士研究生", "title": "高级经济师",
         "category": "企业经营管理人才", "employer": "西山某实业集团", "industry": "F",
         "recognised_year": 2013, "note": ""},
    ]


def _town_values(code: str) -> dict:
    tr1 = {(item, col): v for item, row in _TR1_ROWS.items() for col, v in enumerate(row, 1)}
    tr2 = {(item, col): v for item, row in _TR2.items() for col, v in enumerate(row, 1)}
    tr2[(300, 1)], tr2[(310, 1)] = FUND[code]
    return {"TR1": tr1, "TR2": tr2, "TR3": {(item, 1): v for item, v in _TR3.items()}}


def _write_collection(raw: Path) -> None:
    from talentstats.workbooks.template import template_filename, write_template

    for k, code in enumerate(FUND, start=1):
        write_template(raw / template_filename(YEAR, code), YEAR, code, values=_town_values(code),
                       roster=_roster(k), report_date=date(2017, 1, 20))
    write_template(raw / template_filename(YEAR, CITY), YEAR, CITY,
                   values={"TR5": {(500, 1): 60000, (510, 1): 20000}}, report_date=date(2017, 1, 20))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The collection of 西山市 for 2016, ingested by ``talentstats --config`` in a child process."""
    root = tmp_path_factory.mktemp("xishan")
    raw, processed, reports = root / "raw", root / "processed", root / "reports"
    raw.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(config.ENV_VAR, str(XISHAN))
        _write_collection(raw)
    env = {k: v for k, v in os.environ.items() if k != config.ENV_VAR}  # --config alone selects
    env["TALENTSTATS_KEY_FILE"] = str(root / "key" / "pseudonym.key")
    run = subprocess.run(
        [sys.executable, "-m", "talentstats", "--config", str(XISHAN), "ingest", str(raw),
         "--year", str(YEAR), "--out", str(processed), "--reports", str(reports)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return processed, reports


def _value(ind: pd.DataFrame, unit: str, name: str) -> float | None:
    hit = ind.loc[(ind["year"] == YEAR) & (ind["unit_code"] == unit) & (ind["indicator"] == name), "value"]
    return None if hit.empty else float(hit.item())


def test_ingest_uses_the_made_up_registry(ingested):
    processed, _ = ingested
    subs = catalog.read_dataset(processed, "submissions")
    assert set(subs["status"]) == {"accepted"}
    assert sorted(set(subs["unit_code"])) == [CITY, CHENGGUAN, HEDONG, HEXI, PARK]
    assert subs.loc[subs["form"] == "TR5", "unit_code"].tolist() == [CITY]
    obs = catalog.read_dataset(processed, "observations")
    assert set(obs["unit_code"]) == {CITY, CHENGGUAN, HEDONG, HEXI, PARK}
    tr5 = obs[obs["form"] == "TR5"].set_index("item")["value"]  # 510: 人才西山战略专项 on the form
    assert tr5.to_dict() == {500: 60000.0, 510: 20000.0}


def test_city_row_and_density_use_the_made_up_city(ingested):
    ind = catalog.read_dataset(ingested[0], "indicators")
    assert not ind["unit_code"].str.startswith("441900").any()
    assert _value(ind, CITY, "I01") == 4000
    assert _value(ind, CITY, "coverage.TR1") == 4
    assert _value(ind, CITY, "I03") == pytest.approx(4000 / 1_200_000 * 10_000)
    assert _value(ind, HEDONG, "I03") == pytest.approx(1000 / 360_000 * 10_000)
    assert _value(ind, PARK, "I03") is None  # no census row of its own


def test_fund_ratio_line_and_investment_targets_are_the_profiles(ingested):
    ind = catalog.read_dataset(ingested[0], "indicators")
    assert {u: _value(ind, u, "I09") for u in FUND} == {CHENGGUAN: 1, HEDONG: 0, HEXI: 1, PARK: 1}
    assert _value(ind, HEDONG, "I10") == pytest.approx(3500)
    assert _value(ind, CITY, "I09") == 3 and _value(ind, CITY, "I09.share") == pytest.approx(75)
    assert _value(ind, CITY, "I10") == pytest.approx(3500)
    assert _value(ind, CHENGGUAN, "I08.attainment") == pytest.approx(2.6 / 2.5 * 100)
    assert _value(ind, CITY, "I12.amount") == 60000
    assert _value(ind, CITY, "I12") == pytest.approx(120)
    assert _value(ind, CITY, "I12.cum") == pytest.approx(40)
    d2 = (2 * 2.0 / 2.5 * 100 + 13000.25 / 14000 * 100 + 100) / 4
    assert _value(ind, HEDONG, "I14.D2") == pytest.approx(d2)
    assert _value(ind, PARK, "I14.D2") == pytest.approx((2 * 100 + 13000.25 / 16000 * 100 + 100) / 4)


def test_feedback_and_summary_carry_the_profiles_names(ingested):
    _, reports = ingested
    summary = openpyxl.load_workbook(reports / str(YEAR) / f"{YEAR}年报表收集情况.xlsx")
    assert summary.active["A1"].value == "西山市2016年人才资源统计报表收集情况"
    assert summary.properties.creator == ISSUER
    names = sorted(p.name for p in (reports / str(YEAR) / "feedback").glob("*.xlsx"))
    assert names == ["城关街道.xlsx", "河东镇.xlsx", "河西镇.xlsx", "西山市.xlsx", "西山高新区.xlsx"]


def test_exports_and_codebook_name_the_profiles_city(ingested, xishan, tmp_path):
    from talentstats.analysis.indicators import indicator_dictionary
    from talentstats.store import export
    from talentstats.store.codebook import build_codebook

    export.export(ingested[0], tmp_path, "dta", datasets=["indicators"])
    with pd.io.stata.StataReader(tmp_path / "indicators.dta") as reader:
        assert reader.data_label == "西山市人才资源统计 indicators"
    markdown, _ = build_codebook(ingested[0])
    assert "西山市人才资源统计 代码手册" in markdown
    assert "441900" not in markdown and "东莞" not in markdown
    definition = indicator_dictionary(config.load_profile()).set_index("indicator").loc["coverage.TR5", "definition"]
    assert "市人才办" not in definition


def test_bulletin_text_quotes_the_profile(ingested, xishan, tmp_path):
    from talentstats.publication import assessment_view as A
    from talentstats.publication import narrative as N
    from talentstats.publication.annex import write_annex
    from talentstats.publication.render import load_bulletin_data

    data = load_bulletin_data(ingested[0], YEAR, config.load_profile())
    assert data.population_basis == "西山市统计局公布数"
    sections = N.build_bulletin(data)
    invest = sections["investment"]
    assert "全年市财政人才投入6.00亿元，为年度目标（5.00亿元）的120.0%，其中人才西山战略专项2.00亿元。" in invest
    assert "2016年以来累计投入6.00亿元，为三年目标（15.00亿元）的40.0%。" in invest
    assert "3个人才专项资金预算安排额达到财政总收入2.5%的要求，占75.0%" in invest
    assert "未达到要求的1个，为河东镇（2.00%" in invest
    notes = sections["notes"]
    assert "统计范围：全市4个乡镇（街道）" in notes and "镇街（园区）" not in "".join(sections.values())
    assert "报送的西山市人才资源统计报表" in notes
    assert f"和{OFFICE}报送的市本级人才投入情况" in notes
    assert "全市2016年常住人口取西山市统计局公布数，各镇街按2020年普查的人口比例推算" in notes
    assert "东莞" not in "".join(sections.values())
    assert A.fund_text(data).startswith("报送有效数据的4个乡镇（街道）中，3个达到2.5%要求，1个未达到")

    annex = openpyxl.load_workbook(write_annex(data, tmp_path / "附表.xlsx"))
    assert annex.properties.title == "西山市人才发展统计公报（2016年） 附表"
    assert annex.properties.creator == ISSUER
    fund = annex["附表2 人才专项资金"]
    assert "是否达到2.5%" in [c.value for c in fund[3]]


# --------------------------------------------------------------------------- invalid profiles


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "profile"
    shutil.copytree(XISHAN, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "says"),
    [
        ("city.yaml", "  I08: {value: 2.5}", "  I08: null", r"city\.yaml 的字段 targets\.I08 缺失"),
        ("city.yaml", "name: 西山市", "name: [西山市", r"city\.yaml 不是有效的 YAML"),
        ("city.yaml", 'code: "469900"', "code: 西山", r"city\.yaml 的字段 code .*field code"),
        ("city.yaml", "issuer: 西山市人才工作办公室", "issuer: ''", r"city\.yaml 的字段 issuer 缺失或为空"),
        ("city.yaml", "{city}人才发展统计公报（{year}年）", "{city}{yaer}年公报",
         r"bulletin_title 只能使用"),
        ("city.yaml", "I12.amount: {value: 50000, from: 2016}", "I12.amount: {value: 5亿元}",
         r"targets\.I12\.amount"),
        ("units.csv", "469900,西山市,市", "469901,西山市,市", r"units\.csv 中没有 city\.yaml 的城市代码 469900"),
        ("units.csv", "code,name,type,aliases", "code,name,type", r"units\.csv 缺少列：aliases"),
        ("units.csv", "469900102,河西镇", "469900101,河西镇", r"单位代码重复：469900101"),
        # 河西镇 also called 河東 (traditional for 河东): 河东镇's name, so a collision
        ("units.csv", "469900102,河西镇,镇,河西", "469900102,河西镇,镇,河西|河東",
         r"“河东”同时指向 469900101 河东镇 和 469900102 河西镇"),
    ],
)
def test_an_invalid_profile_is_a_clear_error(tmp_path, monkeypatch, file, old, new, says):
    folder = _copy(tmp_path)
    _edit(folder / file, old, new)
    monkeypatch.setenv(config.ENV_VAR, str(folder))
    with pytest.raises(ConfigError, match=says) as err:
        config.load_profile()
    assert str(folder / file) in str(err.value)  # the message names the file
    assert isinstance(err.value, ParameterError)  # a usage error: the CLI exits 2


def test_a_missing_folder_or_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(config.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="配置目录不存在"):
        config.city()
    folder = _copy(tmp_path)
    (folder / "units.csv").unlink()
    monkeypatch.setenv(config.ENV_VAR, str(folder))
    with pytest.raises(ConfigError, match=r"缺少单位名录 .*units\.csv"):
        units.reporting_units()


def test_targets_in_a_profiles_assessment_file_are_refused(tmp_path, monkeypatch):
    folder = _copy(tmp_path)
    (folder / "assessment.yaml").write_text(
        "targets: {I08: 3}\ndimensions: {D1: {weight: 1, indicators: [{id: I01}]}}\n", "utf-8")
    monkeypatch.setenv(config.ENV_VAR, str(folder))
    with pytest.raises(ConfigError, match=r"assessment\.yaml 的字段 targets 不应在此.*belongs in city.yaml"):
        config.load_profile()
    (folder / "assessment.yaml").write_text("dimensions: {D1: {weight: 1, indicators: [{id: I01}]}}\n", "utf-8")
    config.reset()  # a file edited in place
    profile = config.load_profile()
    assert list(profile.assessment["dimensions"]) == ["D1"] and profile.city.targets["I08"] == (Step(2.5),)


def test_the_cli_refuses_an_invalid_profile(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from talentstats.cli import app

    folder = _copy(tmp_path)
    _edit(folder / "city.yaml", "  I08: {value: 2.5}", "  I08: null")
    monkeypatch.setenv(config.ENV_VAR, "")  # restored afterwards: the callback sets it
    result = CliRunner().invoke(app, ["--config", str(folder), "codebook", "--processed", str(tmp_path)])
    assert result.exit_code == 2
    assert "targets.I08" in result.output


def test_the_sample_command_refuses_another_citys_profile(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from talentstats.cli import app

    monkeypatch.setenv(config.ENV_VAR, "")  # restored afterwards: the callback sets it
    result = CliRunner().invoke(app, ["--config", str(XISHAN), "sample", "--out", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    said = " ".join(result.output.split())  # rich wraps the message
    assert "样例报表是东莞市的演示数据" in said and "run it without --config / TALENTSTATS_CONFIG" in said
    assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_item_lookups_are_kept_per_city(monkeypatch):
    """TR5 510 spells the short name (人才东莞战略专项 / 人才西山战略专项): a process serving one
    profile, then another, must not keep the first one's lookups."""
    from talentstats.reading.grid import label_key
    from talentstats.reading.vocabulary import vocabulary_of

    dongguan, xishan = label_key("人才东莞战略专项"), label_key("人才西山战略专项")
    first = vocabulary_of(config.load_profile(TEST_PROFILE)).items["TR5"]
    assert first.get(dongguan) == 510 and xishan not in first
    second = vocabulary_of(config.load_profile(XISHAN)).items["TR5"]
    assert second.get(xishan) == 510 and dongguan not in second


def test_a_sheet_that_cannot_be_parsed_names_the_profiles_office(xishan, monkeypatch):
    from talentstats.model import SheetGrid, WorkbookGrid
    from talentstats.reading import parse

    def boom(*_args):
        raise TypeError("odd sheet")

    monkeypatch.setattr(parse, "sheet_candidates", boom)
    grid = WorkbookGrid("河东镇2016.xlsx", "xlsx", [SheetGrid("表1", [["x"]])])
    x01 = [f for f in parse.locate_forms(grid, config.load_profile(xishan)).findings if f.rule == "X01"]
    assert len(x01) == 1 and x01[0].message.endswith(f"请联系{OFFICE}")


def test_reset_reloads_a_profile_edited_in_place(tmp_path, monkeypatch):
    folder = _copy(tmp_path)
    monkeypatch.setenv(config.ENV_VAR, str(folder))
    assert config.city().name == "西山市"
    _edit(folder / "city.yaml", "name: 西山市", "name: 东山市")
    assert config.city().name == "西山市"  # cached
    config.reset()
    assert config.city().name == "东山市"


@pytest.mark.slow
def test_rendered_bulletin_and_assessment_report_are_the_profiles(ingested, xishan, tmp_path):
    from talentstats.publication.render import render_assessment, render_bulletin

    # the notebook kernel inherits TALENTSTATS_CONFIG from this process's environment
    paths = render_bulletin(YEAR, ingested[0], tmp_path, pdf=False, profile=config.load_profile())
    assert paths["html"].name == "西山市人才发展统计公报（2016年）.html"
    html = paths["html"].read_text("utf-8")
    assert "西山市人才发展统计公报（2016年）" in html and ISSUER in html
    assert "达到财政总收入2.5%的要求" in html and "东莞" not in html
    # the Word draft too: its name, title and issuer are the profile's
    from docx import Document

    assert paths["docx"].name == "西山市人才发展统计公报（2016年）.docx"
    draft = [p.text for p in Document(str(paths["docx"])).paragraphs]
    assert draft[:2] == ["西山市人才发展统计公报（2016年）", ISSUER]
    assert not any("东莞" in p for p in draft)
    assessment = render_assessment(YEAR, ingested[0], tmp_path, pdf=False, profile=config.load_profile())
    report = assessment["html"].read_text("utf-8")
    assert f"{ISSUER}　内部资料" in report
    assert "人才专项资金未达到2.5%要求的单位" in report and "东莞" not in report
    draft = [p.text for p in Document(str(assessment["docx"])).paragraphs]
    assert f"{ISSUER}　内部资料　注意保存" in draft and "二、人才专项资金未达到2.5%要求的单位" in draft
