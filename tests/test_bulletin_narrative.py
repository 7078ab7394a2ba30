"""Sentences and sections of the bulletin, on hand-made inputs (tests/bulletin_fixture.py)."""

from dataclasses import replace

import bulletin_fixture as bf
import pandas as pd
import pytest

from talentstats.analysis.wording import chinese_numeral
from talentstats.errors import DataNotFound
from talentstats.profile.units import CITY
from talentstats.publication import narrative as N
from talentstats.publication import tables as T
from talentstats.publication.numbers import bulletin_number, format_persons


def test_total_sentence_growth():
    assert N.total_sentence(1_283_500, 1_208_569) == "年末全市人才资源总量128.35万人，比上年增长6.2%。"


def test_total_sentence_decline_reads_xiajiang():
    # 96900 / 100000 - 1 = -3.1%
    assert N.total_sentence(96_900, 100_000) == "年末全市人才资源总量9.69万人，比上年下降3.1%。"


def test_total_sentence_no_change_and_no_previous():
    assert N.total_sentence(100_000, 100_000) == "年末全市人才资源总量10.00万人，与上年持平。"
    # +0.04% rounds to 0.0: 持平, never 增长0.0%
    assert N.growth_clause(100_040, 100_000) == "与上年持平"
    assert N.total_sentence(100_000, None) == "年末全市人才资源总量10.00万人。"
    assert N.total_sentence(100_000, float("nan")) == "年末全市人才资源总量10.00万人。"


def test_share_change_in_percentage_points():
    assert N.points_clause(41.9, 41.1) == "比上年提高0.8个百分点"
    assert N.points_clause(41.1, 41.9) == "比上年降低0.8个百分点"
    assert N.points_clause(41.9, 41.92) == "与上年持平"
    assert N.points_clause(41.9, None) == ""
    assert (
        N.share_sentence("专业技术人才", 521_000, 41.9, 41.1)
        == "专业技术人才52.10万人，占人才资源总量的41.9%，比上年提高0.8个百分点"
    )


def test_number_formatting_half_up_and_numerals():
    assert bulletin_number(2.345, 2) == "2.35"  # float 2.345 is 2.34499..; printed as statistical offices do
    assert bulletin_number(0.05, 1) == "0.1"
    assert bulletin_number(-0.04, 1) == "0.0"
    assert format_persons(9_999) == "9999人"
    assert format_persons(12_345) == "1.23万人"
    assert N.format_yi_yuan(102_500) == "10.25亿元"
    assert [chinese_numeral(n) for n in (1, 10, 12, 20, 35)] == ["一", "十", "十二", "二十", "三十五"]


@pytest.fixture(scope="module")
def sections():
    return N.build_bulletin(bf.bulletin_data())


def test_section_total(sections):
    text = sections["total"]
    assert text.startswith("## 一、人才资源总量")
    # 100000 persons, 2014: 90000 -> +11.1%; density 121.2 vs 107.9 -> +13.3
    assert "年末全市人才资源总量10.00万人，比上年增长11.1%。" in text
    # 3 of 35 units reported: the density's numerator covers them only, and says so
    assert "每万人口121.2人（按3个报送单位的人才总量计算），比上年增加13.3人" in text


def test_section_structure(sections):
    text = sections["structure"]
    assert "党政人才1.00万人，占人才资源总量的10.0%，比上年降低0.5个百分点" in text
    assert "企业经营管理人才2.00万人，占人才资源总量的20.0%，与上年持平" in text
    assert "专业技术人才4.00万人，占人才资源总量的40.0%，比上年提高0.8个百分点" in text


def test_section_quality(sections):
    text = sections["quality"]
    assert "大学本科及以上学历的人才占人才资源总量的47.5%，比上年提高1.5个百分点" in text
    assert "博士研究生1700人，占1.7%" in text  # 1000 + 500 + 200
    assert "高级工1.26万人，占63.0%" in text  # 12600 / 20000
    assert "35岁及以下4.00万人，占40.0%" in text
    assert "女性人才4.50万人，占45.0%" in text


def test_section_distribution(sections):
    text = sections["distribution"]
    assert "居前三位的依次为：东城街道（5.00万人）、南城街道（3.00万人）、万江街道（2.00万人）" in text


def test_section_investment(sections):
    text = sections["investment"]
    assert "全年市财政人才投入10.25亿元，比上年增长4.6%，为年度目标（10.00亿元）的102.5%" in text
    assert "2012年以来累计投入38.55亿元，为五年目标（50.00亿元）的77.1%" in text
    assert "预算安排额合计1.15亿元，占财政总收入的3.3%" in text
    assert "1个人才专项资金预算安排额达到财政总收入3%的要求，占33.3%" in text
    assert "未达到要求的2个，为万江街道（2.00%，缺口500.00万元）、南城街道（2.50%，缺口500.00万元）" in text
    assert "资金缺口合计1000.00万元" in text


def test_section_mechanisms(sections):
    text = sections["mechanisms"]
    # 401: 1+1+1; 402: 1+1+0; 403: 3+2+1; minima met 8, 7, 4 -> mean 6.3; all met: 1 (I13 city)
    assert "3个成立了人才工作领导小组，2个设立了人才工作领导小组办公室，人才工作机构专职人员共6人" in text
    assert "8项工作机制要求全部达到的有1个，平均每个镇街（园区）达到6.3项" in text


def test_notes_name_rejected_and_missing_units(sections):
    text = sections["notes"]
    assert "人才资源数据（东人统1表）覆盖3个镇街（园区），莞城街道报表未通过审核" in text
    assert "人才专项资金数据（东人统2表）覆盖3个镇街（园区），莞城街道未报送" in text
    assert "（共31个）未报送报表" in text
    assert N.ROUNDING_NOTE in text
    assert "“…”表示" in text and "少于3人" in text
    assert "人才密度（人/万人）：人才资源总量与年末常住人口之比。资料来源：东人统1表；常住人口估算。" in text
    assert "全市2015年常住人口取统计公布数" in text


def test_missing_year_has_no_comparison():
    data = bf.bulletin_data()
    only_2015 = data.indicators[data.indicators["year"] == 2015]
    sections = N.build_bulletin(type(data)(**{**data.__dict__, "indicators": only_2015}))
    assert "年末全市人才资源总量10.00万人。" in sections["total"]
    assert "比上年" not in sections["structure"]


def _with_2014_tr1(units, matched):
    d = bf.bulletin_data()
    subs = pd.concat([d.submissions[d.submissions["year"] != 2014], pd.DataFrame(
        [(2014, u, "TR1", f"{u}-2014.xlsx", "3" * 64, "accepted") for u in units],
        columns=d.submissions.columns)], ignore_index=True)
    ind = pd.concat([d.indicators, pd.DataFrame(
        [(2015, CITY, "I02.matched", matched), (2014, CITY, "coverage.TR1", float(len(units)))],
        columns=d.indicators.columns)], ignore_index=True)
    return T.BulletinData(**{**d.__dict__, "submissions": subs, "indicators": ind})


def test_comparable_growth_is_given_when_the_units_differ_even_if_their_number_does_not():
    # 2014: 东城, 南城, 莞城 (3 units); 2015: 东城, 南城, 万江 (3 units): a different basis
    text = N.section_total(_with_2014_tr1([bf.A, bf.B, bf.D], 8.04))
    assert "因两年报送单位不同，按可比口径计算增长8.0%" in text
    same = N.section_total(_with_2014_tr1([bf.A, bf.B, bf.C], 8.04))
    assert "可比口径" not in same


def test_a_quoted_indicator_missing_from_the_dataset_stops_the_bulletin():
    # no second computation: the bulletin names what the indicators dataset lacks
    data = bf.bulletin_data()
    ind = data.indicators
    without = ind[~((ind["indicator"] == "I09") & (ind["unit_code"] == CITY))]
    with pytest.raises(DataNotFound, match=r"I09（2015年，全市）"):
        N.build_bulletin(replace(data, indicators=without))


def test_the_unit_term_comes_from_the_profile():
    data = bf.bulletin_data()
    profile = replace(data.profile, city=replace(data.profile.city, unit_term="区县"))
    sections = N.build_bulletin(replace(data, profile=profile))
    assert "平均每个区县达到6.3项" in sections["mechanisms"]
    assert "在报送有效数据的3个区县中" in sections["investment"]
    assert "统计范围：全市35个区县。数据来源于各区县报送的" in sections["notes"]
    assert "分区县看，人才资源总量居前" in sections["distribution"]


def test_the_talent_categories_come_from_forms_yaml():
    # a profile whose TR1 declares five categories (160 is not one): five sentences, 五支
    data = bf.bulletin_data()
    tr1 = data.profile.forms["TR1"]
    five = replace(tr1, items=tuple(replace(it, category=False) if it.code == 160 else it for it in tr1.items))
    profile = replace(data.profile, forms={**data.profile.forms, "TR1": five})
    text = N.section_structure(replace(data, profile=profile))
    assert text.startswith("## 二、人才队伍结构\n\n在五支人才队伍中，党政人才")
    assert "社会工作人才" not in text
    assert N.section_structure(data).count("；") == 5  # six categories in the test profile
