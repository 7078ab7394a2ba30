"""Validation rules: every rule passes on a clean fixture and fails on a broken one, with the
message and cells worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import TEST_PROFILE

from talentstats.profile.config import load_profile
from talentstats.validation.rules import format_message_number, rules_table, validate

PROFILE = load_profile(TEST_PROFILE)


def rule(rule_id: str):
    return PROFILE.rules[rule_id]

YEAR = 2015
A = "441900003"  # 东城街道
B = "441900004"  # 南城街道

# TR1: sheet 人才资源, item rows from row 7, column 1 in C ... column 11 in M.
TR1_ROWS = [100, 110, 120, 130, 131, 132, 133, 140, 141, 142, 143, 150, 160, 210, 220, 230, 240]
TR1_TOTALS = {100: 1000, 110: 100, 120: 200, 130: 300, 131: 50, 132: 100, 133: 100, 140: 200,
              141: 20, 142: 80, 143: 100, 150: 100, 160: 100, 210: 10, 220: 50, 230: 20, 240: 10}
# Each column as tenths of the total: female 4; education 1,1,4,2,2; age 4,3,2,1.
TR1_SHARES = {1: 10, 2: 4, 3: 1, 4: 1, 5: 4, 6: 2, 7: 2, 8: 4, 9: 3, 10: 2, 11: 1}
# TR2: sheet 表2, item rows from row 6, column 1 in C, column 2 in D.
TR2 = {300: (100000, 90000), 310: (3000, 2800), 320: (2500.5, 2400), 321: (1000, 1000),
       322: (500, 500), 323: (400.25, 400), 324: (300.25, 300), 325: (200, 100), 326: (100, 100)}
# TR3: sheet 表3, item rows from row 6, column 1 in D (after 项目, 代码, 计量单位).
TR3 = {401: 1, 402: 1, 403: 2, 404: 1, 405: 4, 406: 2, 407: 1, 408: 2, 409: 5}


def _col(i: int) -> str:
    return chr(ord("A") + i)


def _obs(unit: str) -> list[dict]:
    rows = []
    for r, item in enumerate(TR1_ROWS):
        for col, tenth in TR1_SHARES.items():
            rows.append(dict(unit_code=unit, form="TR1", item=item, column=col,
                             value=TR1_TOTALS[item] * tenth / 10, sheet="人才资源",
                             cell=f"{_col(1 + col)}{7 + r}", source_file=f"{unit}.xlsx"))
    for r, (item, values) in enumerate(TR2.items()):
        for col, v in enumerate(values, start=1):
            rows.append(dict(unit_code=unit, form="TR2", item=item, column=col, value=v,
                             sheet="表2", cell=f"{_col(1 + col)}{6 + r}",
                             source_file=f"{unit}.xlsx"))
    for r, (item, v) in enumerate(TR3.items()):
        rows.append(dict(unit_code=unit, form="TR3", item=item, column=1, value=v, sheet="表3",
                         cell=f"D{6 + r}", source_file=f"{unit}-表3.xls"))
    return rows


def candidates(**changes) -> pd.DataFrame:
    """Two clean units (A, B); ``changes`` maps 'FORM_item_column' to a new value for A."""
    df = pd.DataFrame(_obs(A) + _obs(B))
    df = df.assign(year=YEAR, source=df["source_file"] + "!" + df["sheet"] + "!" + df["cell"])
    for key, value in changes.items():
        f, item, col = key.split("_")
        hit = (df["unit_code"] == A) & (df["form"] == f) & (df["item"] == int(item)) & (
            df["column"] == int(col))
        assert hit.sum() == 1, key
        df = df.assign(value=df["value"].mask(hit, value))
    return df.astype({"unit_code": "string", "form": "string", "sheet": "string",
                      "cell": "string", "source_file": "string", "source": "string"})


def roster(n_a: int = 10, n_b: int = 10, **flags) -> pd.DataFrame:
    rows = []
    for unit, n in ((A, n_a), (B, n_b)):
        for i in range(n):
            rows.append(dict(year=YEAR, unit_code=unit, person=f"{unit}-p{i}", seq=str(i + 1),
                             sex="男", birth_year=1970, row=5 + i, sheet="名册",
                             source_file=f"{unit}-名册.xlsx", id_valid=True, birth_ok=True,
                             sex_ok=True))
    return pd.DataFrame(rows)


def previous(**changes) -> pd.DataFrame:
    """Last year: TR1 100 = 900, TR2 column 1 = this year's column 2, for A and B."""
    rows = []
    for unit in (A, B):
        rows.append(dict(year=YEAR - 1, unit_code=unit, form="TR1", item=100, column=1,
                         value=900.0, source="x"))
        for item, (_, last) in TR2.items():
            rows.append(dict(year=YEAR - 1, unit_code=unit, form="TR2", item=item, column=1,
                             value=float(last), source="x"))
    df = pd.DataFrame(rows)
    for key, value in changes.items():
        f, item, col = key.split("_")
        hit = (df["unit_code"] == A) & (df["form"] == f) & (df["item"] == int(item)) & (
            df["column"] == int(col))
        df = df.assign(value=df["value"].mask(hit, value))
    return df


def run(cands=None, ros=None, prev="default", **kw) -> pd.DataFrame:
    cands = candidates() if cands is None else cands
    ros = roster() if ros is None else ros
    prev = previous() if isinstance(prev, str) else prev
    return validate(cands, ros, prev, year=YEAR, **kw, profile=PROFILE)


def only(findings: pd.DataFrame, rule_id: str) -> list[tuple]:
    f = findings.loc[findings["rule"] == rule_id]
    return list(f[["unit_code", "message", "cells"]].itertuples(index=False, name=None))


# --- the clean fixture -----------------------------------------------------------------------


def test_clean_collection_has_no_findings():
    found = run()
    assert found.empty, found[["rule", "message"]].to_string()
    assert list(found.columns) == ["year", "unit_code", "form", "rule", "kind", "severity",
                                   "message", "cells", "source_file"]


def test_format_message_number():
    assert format_message_number(52310) == "52,310"
    assert format_message_number(2500.5) == "2,500.5"
    assert format_message_number(1233.9999) == "1,234"
    assert format_message_number(0.6000000001) == "0.6"


# --- 表内 -----------------------------------------------------------------------------------


def test_n01_total_equals_six_categories():
    found = run(candidates(TR1_100_1=52310))
    assert only(found, "N01") == [(
        A,
        "表1 第100行“人才资源总量”合计(列1)=52,310，六支队伍之和=1,000，相差51,310",
        "人才资源!C7;人才资源!C8;人才资源!C9;人才资源!C10;人才资源!C14;人才资源!C18;人才资源!C19",
    )]
    row = found.loc[found["rule"] == "N01"].iloc[0]
    assert (row["form"], row["kind"], row["severity"], row["source_file"], row["year"]) == (
        "TR1", "表内", "error", f"{A}.xlsx", YEAR)


def test_n02_skills_in_female_column():
    found = run(candidates(TR1_142_2=30))  # female: 8 + 30 + 40 = 78 against 80
    assert only(found, "N02") == [(
        A,
        "表1 第140行“高技能人才”女性(列2)=80，高级技师、技师、高级工之和=78，相差2",
        "人才资源!D14;人才资源!D15;人才资源!D16;人才资源!D17",
    )]


def test_n03_titles_not_above_professionals():
    assert only(run(candidates(TR1_133_1=150)), "N03") == []  # 50 + 100 + 150 = 300, equal
    found = run(candidates(TR1_133_1=200))
    assert only(found, "N03") == [(
        A,
        "表1 第131-133行高、中、初级职称之和合计(列1)=350，大于第130行“专业技术人才”=300，多50",
        "人才资源!C11;人才资源!C12;人才资源!C13;人才资源!C10",
    )]


def test_n04_each_supplementary_item_alone():
    # 210+220+230+240 = 90 in column 1, but each alone is compared: no finding on the clean one.
    found = run(candidates(TR1_230_4=150))
    assert only(found, "N04") == [(
        A,
        "表1 第230行“文化艺术人才”硕士研究生(列4)=150，大于第100行“人才资源总量”=100，多50",
        "人才资源!F22;人才资源!F7",
    )]


def test_n05_total_equals_education():
    found = run(candidates(TR1_120_5=85))
    assert only(found, "N05") == [(
        A,
        "表1 第120行“企业经营管理人才”合计(列1)=200，学历分组(列3-7)之和=205，相差5",
        "人才资源!C9;人才资源!E9;人才资源!F9;人才资源!G9;人才资源!H9;人才资源!I9",
    )]


def test_n06_total_equals_age():
    found = run(candidates(TR1_150_11=13))
    assert only(found, "N06") == [(
        A,
        "表1 第150行“农村实用人才”合计(列1)=100，年龄分组(列8-11)之和=103，相差3",
        "人才资源!C18;人才资源!J18;人才资源!K18;人才资源!L18;人才资源!M18",
    )]


def test_n07_female_not_above_total():
    found = run(candidates(TR1_160_2=120))
    assert only(found, "N07") == [(
        A, "表1 第160行“社会工作人才”女性(列2)=120，大于合计(列1)=100，多20", "人才资源!D19;人才资源!C19",
    )]


def test_n08_revenue_positive():
    found = run(candidates(TR2_300_1=0))
    assert only(found, "N08") == [(A, "表2 第300行“财政总收入”本年(列1)=0万元，应大于0", "表2!C6")]


def test_n09_spending_sum_tolerates_half_a_wan():
    assert only(run(candidates(TR2_321_1=1000.4)), "N09") == []  # off by 0.4 万元
    found = run(candidates(TR2_321_1=1000.6))  # 2,501.1 against 2,500.5
    assert only(found, "N09") == [(
        A,
        "表2 第320行“人才专项资金实际支出额”本年(列1)=2,500.5万元，各用途(第321-326行)之和=2,501.1万元，相差0.6万元",
        "表2!C8;表2!C9;表2!C10;表2!C11;表2!C12;表2!C13;表2!C14",
    )]
    assert found.loc[found["rule"] == "N09", "source_file"].tolist() == [f"{A}.xlsx"]


def test_n10_flags_are_zero_or_one():
    assert only(run(candidates(TR3_401_1=0)), "N10") == []
    found = run(candidates(TR3_402_1=2))
    assert only(found, "N10") == [(A, "表3 第402行“是否设立人才工作领导小组办公室”=2，只能填1（是）或0（否）", "表3!D7")]
    assert found.loc[found["rule"] == "N10", "source_file"].tolist() == [f"{A}-表3.xls"]


def test_blank_cell_counts_as_zero_and_missing_row_is_skipped():
    cands = candidates()
    # A blank cell (no observation) in a present row is 0: 141 column 1 blank breaks N02.
    blank = cands.loc[~((cands["unit_code"] == A) & (cands["item"] == 141) & (cands["column"] == 1))]
    assert only(run(blank), "N02")[0][1] == "表1 第140行“高技能人才”合计(列1)=200，高级技师、技师、高级工之和=180，相差20"
    # A missing row (F08 from the parser) is not reported again by the sum rules.
    no_row = cands.loc[~((cands["unit_code"] == A) & (cands["item"] == 141))]
    assert only(run(no_row), "N02") == []


# --- 表间 -----------------------------------------------------------------------------------


def test_j01_high_level_talents_equal_roster_rows():
    found = run(ros=roster(n_a=9))
    assert only(found, "J01") == [(A, "表1 第240行“高层次人才”合计(列1)=10，表4高层次人才名册列有9人，相差1", "人才资源!C23")]


def test_j01_empty_roster_counts_zero_and_missing_roster_is_skipped():
    ros = roster(n_a=0)
    assert only(run(ros=ros), "J01") == []  # A sent no roster: not cross-checked
    found = run(ros=ros, roster_units=[A, B])  # A sent an empty one
    assert [m for _, m, _ in only(found, "J01")] == [
        "表1 第240行“高层次人才”合计(列1)=10，表4高层次人才名册列有0人，相差10"]


# --- 历年 -----------------------------------------------------------------------------------


def test_h01_total_change_over_30_percent():
    assert only(run(prev=previous(TR1_100_1=800)), "H01") == []  # +25%
    found = run(prev=previous(TR1_100_1=700))  # 1000 / 700 - 1 = +42.857%
    assert only(found, "H01") == [(
        A, "表1 第100行“人才资源总量”合计(列1)本年=1,000，上年=700，增长42.9%，变动超过±30%，请核实", "人才资源!C7")]
    found = run(prev=previous(TR1_100_1=2000))
    assert "上年=2,000，下降50.0%" in only(found, "H01")[0][1]
    found = run(prev=previous(TR1_100_1=0))
    assert "上年=0，上年为0，" in only(found, "H01")[0][1]
    assert found.loc[found["rule"] == "H01", "severity"].tolist() == ["warning"]


def test_h02_last_year_column_equals_last_years_report():
    assert only(run(prev=previous(TR2_310_1=2800.4)), "H02") == []
    found = run(prev=previous(TR2_310_1=2801))
    assert only(found, "H02") == [(
        A, "表2 第310行“人才专项资金预算安排额”上年(列2)=2,800万元，与上年报送的本年数(列1)=2,801万元不一致，相差1万元", "表2!D7")]


def test_h00_when_last_year_absent():
    for prev in (None, previous().assign(year=YEAR - 2)):
        found = run(prev=prev)
        assert only(found, "H00") == [("", "2014年数据不在已处理数据中，历年审核(H01、H02)未执行", "")]
        assert not found["rule"].isin(["H01", "H02"]).any()
    assert only(run(), "H00") == []


# --- TR4 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "flag", "text"),
    [
        ("P01", "id_valid", "公民身份号码不是有效的18位号码（校验位不符或位数不对）"),
        ("P02", "birth_ok", "出生年月与公民身份号码中的出生日期不一致"),
        ("P03", "sex_ok", "性别与公民身份号码第17位（奇数为男、偶数为女）不一致"),
    ],
)
def test_roster_flags(rule_id, flag, text):
    ros = roster()
    ros = ros.assign(**{flag: ros[flag].astype(object)})
    assert only(run(ros=ros.assign(**{flag: None})), rule_id) == []  # not checkable: no finding
    bad = (ros["unit_code"] == A) & (ros["row"] == 7)
    found = run(ros=ros.assign(**{flag: ros[flag].mask(bad, False)}))
    assert only(found, rule_id) == [(A, f"表4 第7行(序号3){text}", "名册!7:7")]
    assert found.loc[found["rule"] == rule_id, "source_file"].tolist() == [f"{A}-名册.xlsx"]


def test_p04_same_person_twice_in_a_unit():
    ros = roster()
    twice = (ros["unit_code"] == A) & (ros["row"] == 9)
    ros = ros.assign(person=ros["person"].mask(twice, f"{A}-p0"))  # row 9 repeats row 5
    found = run(ros=ros)
    assert only(found, "P04") == [(A, "表4 第5、9行(序号1、5)为同一人，重复填报", "名册!5:5;名册!9:9")]
    assert only(found, "P05") == []


def test_p05_same_person_in_two_units_is_reported_for_both():
    ros = roster()
    shared = (ros["unit_code"] == B) & (ros["row"] == 6)
    ros = ros.assign(person=ros["person"].mask(shared, f"{A}-p0"))
    found = run(ros=ros)
    assert only(found, "P05") == [
        (A, "表4 第5行(序号1)所列人员同时出现在南城街道的名册中，请核实其所属单位", "名册!5:5"),
        (B, "表4 第6行(序号2)所列人员同时出现在东城街道的名册中，请核实其所属单位", "名册!6:6"),
    ]
    assert set(found.loc[found["rule"] == "P05", "severity"]) == {"warning"}


def test_findings_hold_no_personal_data():
    ros = roster().assign(id_valid=False)
    found = run(ros=ros)
    assert (found["rule"] == "P01").sum() == 20
    assert not found["message"].str.contains("p0").any()


# --- declarations ---------------------------------------------------------------------------


def _flag(flag: str) -> pd.DataFrame:
    ros = roster()
    return ros.assign(**{flag: ros[flag].mask((ros["unit_code"] == A) & (ros["row"] == 7), False)})


def _person_also_in(unit: str) -> pd.DataFrame:
    ros = roster()
    return ros.assign(person=ros["person"].mask((ros["unit_code"] == unit) & (ros["row"] == 9), f"{A}-p0"))


# One input that breaks each evaluated rule (the tests above work out the messages by hand).
BREAKS = {
    "N01": lambda: run(candidates(TR1_100_1=52310)),
    "N02": lambda: run(candidates(TR1_142_2=30)),
    "N03": lambda: run(candidates(TR1_133_1=200)),
    "N04": lambda: run(candidates(TR1_230_4=150)),
    "N05": lambda: run(candidates(TR1_120_5=85)),
    "N06": lambda: run(candidates(TR1_150_11=13)),
    "N07": lambda: run(candidates(TR1_160_2=120)),
    "N08": lambda: run(candidates(TR2_300_1=0)),
    "N09": lambda: run(candidates(TR2_321_1=1000.6)),
    "N10": lambda: run(candidates(TR3_402_1=2)),
    "J01": lambda: run(ros=roster(n_a=9)),
    "H01": lambda: run(prev=previous(TR1_100_1=700)),
    "H02": lambda: run(prev=previous(TR2_310_1=2801)),
    "H00": lambda: run(prev=None),
    "P01": lambda: run(ros=_flag("id_valid")),
    "P02": lambda: run(ros=_flag("birth_ok")),
    "P03": lambda: run(ros=_flag("sex_ok")),
    "P04": lambda: run(ros=_person_also_in(A)),
    "P05": lambda: run(ros=_person_also_in(B)),
}


def test_every_evaluated_rule_has_a_break():
    """A rule declared in rules.yaml without an input that breaks it here fails this test."""
    assert set(BREAKS) == {r.id for r in PROFILE.rules.values() if r.evaluated}


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_each_rule_fires_on_its_break_as_declared(rule_id):
    found = BREAKS[rule_id]()
    mine = found.loc[found["rule"] == rule_id]
    assert len(mine) >= 1
    declared = rule(rule_id)
    assert set(zip(mine["kind"], mine["severity"], strict=True)) == {(declared.kind, declared.severity)}


def test_rules_table_and_metadata():
    table = rules_table(PROFILE)
    assert list(table.columns) == ["id", "kind", "severity", "forms", "description"]
    assert {"F01", "X01", "N01", "J01", "H00", "P05"} <= set(table["id"])
    assert rule("J01").forms == ("TR1", "TR4")
    assert (rule("F05").kind, rule("F05").severity) == ("格式", "warning")
    tr1, tr2 = PROFILE.forms["TR1"], PROFILE.forms["TR2"]
    assert rule("N09").tolerance_for(tr2, rule("N09").rhs) == 0.5
    assert rule("N01").tolerance_for(tr1, rule("N01").rhs) == 0.0


def test_n01_sums_the_declared_categories_and_counts_them_in_its_wording():
    # forms.yaml marks 110, 120, 130, 140, 150, 160 `category: true`: six, 六 in Chinese
    assert rule("N01").rhs == (110, 120, 130, 140, 150, 160)
    assert rule("N01").description == "表1 人才资源总量(100) = 六支人才队伍(110-160)之和（各列）"
    assert "六支队伍之和={rhs}" in rule("N01").message


def test_empty_inputs():
    found = validate(pd.DataFrame(), None, None, year=YEAR, profile=PROFILE)
    assert found["rule"].tolist() == ["H00"]


def test_a_parse_finding_takes_its_severity_from_the_rule_table():
    """F04 (an unknown item row) is a warning in rules.yaml; a profile whose table makes it an
    error gets an error from the parser (which rejects the form in the batch)."""
    from dataclasses import replace

    from talentstats.model import SheetGrid, WorkbookGrid
    from talentstats.reading import parse

    strict = replace(PROFILE, rules={**PROFILE.rules,
                                     "F04": replace(PROFILE.rules["F04"], severity="error")})
    # TR1 by its codes, a row 999 that is no item of TR1, with a number in column 1
    tr1 = PROFILE.forms["TR1"]
    rows = [["人才资源情况"], ["项目", "代码", "合计"]]
    rows += [[it.name, it.code, 1.0] for it in tr1.items]
    rows.insert(4, ["其他人才", 999, 5.0])
    grid = WorkbookGrid("东城街道2015.xlsx", "xlsx", [SheetGrid("表1", rows)])
    (normal,) = [f for fr in parse.locate_forms(grid, PROFILE).forms for f in fr.findings
                 if f.rule == "F04"]
    (changed,) = [f for fr in parse.locate_forms(grid, strict).forms for f in fr.findings
                  if f.rule == "F04"]
    assert (normal.severity, changed.severity) == ("warning", "error")
    assert changed.message == normal.message and changed.kind == "格式"
