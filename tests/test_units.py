import pytest

from talentstats.profile.units import CITY, identify_unit, reporting_units, unit_name


def test_35_reporting_units_4_streets_28_towns_3_parks():
    us = reporting_units()
    assert len(us) == 35
    assert [sum(u.type == t for u in us) for t in ("街道", "镇", "园区")] == [4, 28, 3]
    assert CITY not in {u.code for u in us}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("东城街道", "441900003"),
        ("東城街道辦事處", "441900003"),
        ("南城 街道", "441900004"),
        ("石龍鎮2013.xlsx", "441900102"),
        ("东莞市石龙镇2013年报表.xls", "441900102"),
        ("虎门镇人民政府", "441900121"),
        ("虎门港管委会2013年报表.xlsx", "441900402"),  # longest alias wins over 虎门
        ("松山湖管委会", "441900401"),
        ("东莞生态园管委会", "441900403"),
        ("中共东莞市东城街道委员会", "441900003"),
        ("市人才办", CITY),
        ("东莞市人才工作领导小组办公室", CITY),
        ("2013年报表.xlsx", None),
        ("", None),
    ],
)
def test_identify_unit(text, code):
    assert identify_unit(text) == code


def test_unit_name():
    assert unit_name("441900102") == "石龙镇"
    assert unit_name(CITY) == "东莞市"
