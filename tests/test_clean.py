from datetime import date, datetime

import pytest

from talentstats.reading.clean import Cleaned, clean_value, parse_report_date, parse_unit_of_measure


@pytest.mark.parametrize(
    ("raw", "value_type", "expected"),
    [
        (1234, "count", 1234.0),
        ("1234", "count", 1234.0),  # number stored as text
        (" 1234 ", "count", 1234.0),
        ("1,234", "count", 1234.0),  # thousands separator
        ("1，234", "count", 1234.0),  # full-width comma
        ("１２３４", "count", 1234.0),  # full-width digits
        ("１，２３４．５", "money", 1234.5),
        ("＋7", "count", 7.0),  # full-width sign
        ("1234人", "count", 1234.0),  # unit typed into the cell
        ("3次", "count", 3.0),
        ("12人次", "count", 12.0),
        ("1.2万人", "count", 12000.0),  # 万 multiplier on a count
        ("5.5万元", "money", 5.5),
        (1233.9999999, "count", 1234.0),  # formula noise
        (1234.0000001, "count", 1234.0),
        (12.123456, "money", 12.1235),  # money to 4 decimals of 万元
        ("1.5E+3", "count", 1500.0),
        ("-", "count", 0.0),  # dash means none
        ("—", "count", 0.0),
        ("–", "money", 0.0),
        ("/", "count", 0.0),
        ("无", "count", 0.0),
        ("是", "flag", 1.0),
        ("有", "flag", 1.0),
        ("√", "flag", 1.0),
        ("否", "flag", 0.0),
        ("无", "flag", 0.0),
        (True, "flag", 1.0),
        (False, "flag", 0.0),
        (1, "flag", 1.0),
        (0.0, "count", 0.0),
    ],
)
def test_valid_values(raw, value_type, expected):
    got = clean_value(raw, value_type=value_type)
    assert got.problem is None
    assert got.value == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_blank_is_missing_not_zero(raw):
    assert clean_value(raw, value_type="count") == Cleaned(None)


def test_unit_typed_is_reported():
    assert clean_value("5.5万元", value_type="money").unit == "万元"
    assert clean_value("12000元", value_type="money") == Cleaned(12000.0, unit="元")
    assert clean_value("1.2亿元", value_type="money").unit == "亿元"
    assert clean_value("3次", value_type="count").unit == "次"


def test_money_rounding_follows_the_cells_unit():
    # 0.00012345 亿元 is 1.2345 万元: rounding must keep 8 decimals of 亿元
    assert clean_value("0.00012345", value_type="money", money_factor=1e4).value == 0.00012345
    assert clean_value("12345.678", value_type="money", money_factor=1e-4).value == 12345.68
    assert clean_value("0.00012345亿元", value_type="money").value == 0.00012345


@pytest.mark.parametrize(
    ("raw", "value_type", "rule", "reason"),
    [
        ("一千", "count", "F01", "不是数字"),
        ("abc", "money", "F01", "不是数字"),
        ("#REF!", "count", "F01", "是Excel错误值，不是数字"),
        ("1,2345", "count", "F01", "不是数字"),
        ("5万元", "count", "F01", "带有无法识别的单位“万元”"),
        ("12个月", "money", "F01", "带有无法识别的单位“个月”（应为万元）"),
        (True, "count", "F01", "是逻辑值，不是数字"),
        (datetime(2014, 1, 1), "count", "F01", "是日期，不是数字"),
        (float("nan"), "count", "F01", "不是有效数字"),
        (-5, "count", "F02", "是负数"),
        ("-5", "money", "F02", "是负数"),
        ("(12)", "money", "F02", "是负数"),  # accounting negative
        (2.5, "count", "F03", "不是整数"),
        ("1233.5人", "count", "F03", "不是整数"),
    ],
)
def test_invalid_values(raw, value_type, rule, reason):
    got = clean_value(raw, value_type=value_type)
    assert (got.problem, got.reason) == (rule, reason)
    assert not got.ok


def test_negative_and_fraction_keep_the_number_for_the_message():
    assert clean_value(-5, value_type="count").value == -5.0
    assert clean_value(2.5, value_type="count").value == 2.5
    assert clean_value("一千", value_type="count").value is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("单位：元", ("元", 1e-4)),
        ("单位：万元", ("万元", 1.0)),
        ("单位:亿元", ("亿元", 1e4)),
        ("單位：萬元", ("万元", 1.0)),
        ("金额单位：千元", ("千元", 0.1)),
        ("单位： 万元", ("万元", 1.0)),
        ("单位：人", ("人", None)),
        ("计量单位：人次", ("人次", None)),
        ("计量单位", (None, None)),
        ("填报单位", (None, None)),
        (None, (None, None)),
        (3, (None, None)),
    ],
)
def test_parse_unit_of_measure(text, expected):
    assert parse_unit_of_measure(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014年1月20日", date(2014, 1, 20)),
        ("２０１４年１月２０日", date(2014, 1, 20)),
        ("2014-01-20", date(2014, 1, 20)),
        ("2014.1.20", date(2014, 1, 20)),
        ("2014/1/20", date(2014, 1, 20)),
        ("20140120", date(2014, 1, 20)),
        ("报出日期：2014年1月20日", date(2014, 1, 20)),
        ("2014年1月", date(2014, 1, 1)),
        (41659, date(2014, 1, 20)),  # Excel serial
        (41659.5, date(2014, 1, 20)),
        (datetime(2014, 1, 20, 9, 30), date(2014, 1, 20)),
        (date(2014, 1, 20), date(2014, 1, 20)),
        ("2014年13月40日", None),
        ("年 月 日", None),
        ("", None),
        (None, None),
        (12, None),
    ],
)
def test_parse_report_date(value, expected):
    assert parse_report_date(value) == expected
