"""Cleaning one cell: what a town typed into a number, a unit of measure, a date.

Pure functions, no I/O. ``parse`` calls them for every cell of a form.

Choices a reader should know about (a careful statistician's reading of Chinese forms):

- A **blank** cell is *missing* (``value=None``): the town did not fill it in, and we do not
  know the number. A **dash** (``-``, ``—``, ``–``, ``－``, ``/``) or **无** is *zero*: on Chinese
  statistical forms a dash in a number cell is the printed convention for "none" (无此项), and
  无 says so in words. Missing and zero differ in the indicators (a missing value is never 0).
- Float noise from formulas (``1233.9999999``) is rounded for counts when it is within
  ``COUNT_TOLERANCE`` of an integer; money is rounded to ``MONEY_DECIMALS`` decimals.
- A unit typed into a cell (``1234人``, ``5.5万元``, ``3次``) is stripped and reported in
  ``Cleaned.unit``. For money the caller converts with the cell's own unit, which wins over the
  sheet's unit line (a town that writes ``5.5万元`` in a form in 元 means 5.5 万元). A unit that
  does not fit the value type (``万元`` in a count) is F01.
- Nothing becomes a silent zero: unparseable text is F01 with the raw text in the message.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from talentstats.profile.text import to_simplified

__all__ = [
    "COUNT_TOLERANCE",
    "Cleaned",
    "MONEY_DECIMALS",
    "TO_WAN_YUAN",
    "clean_value",
    "excel_serial_to_date",
    "parse_report_date",
    "parse_unit_of_measure",
]

COUNT_TOLERANCE = 1e-6  # |x - round(x)| below this is formula noise, not a fraction of a person
MONEY_DECIMALS = 4  # 万元 to 4 decimals is 1 元

# Money units and their factor to 万元 (the unit every money form asks for).
TO_WAN_YUAN: dict[str, float] = {"元": 1e-4, "千元": 0.1, "万元": 1.0, "百万元": 100.0, "亿元": 1e4}
# Units that may follow a count; 万人 etc. are handled by the 万 multiplier below.
_COUNT_UNITS = ("人次", "人", "名", "次", "个", "项", "位", "场", "期")
_ZERO_WORDS = frozenset({"-", "—", "–", "－", "―", "−", "/", "／", "无", "--", "——", "---", "╱"})
_FLAG_TRUE = frozenset({"是", "有", "√", "✓", "✔", "Y", "y", "YES", "yes", "Yes", "已成立", "已设立"})
_FLAG_FALSE = frozenset({"否", "无", "×", "✗", "✘", "N", "n", "NO", "no", "No", "未成立", "未设立"})
_BLANKS = frozenset({"", "\u3000"})

_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE](?P<exp>[-+]?\d+))?"
    r"(?P<unit>[^\d]*)$"
)
_UNIT_LINE = re.compile(r"单位\s*[:：]?\s*(?P<rest>.*)$")
_UNIT_TOKENS = ("百万元", "千元", "万元", "亿元", "元", "人次", "人", "次", "个")

_DATE_YMD = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[年\-./／]\s*(?P<m>\d{1,2})\s*(?:[月\-./／]\s*(?P<d>\d{1,2})\s*日?)?")
_DATE_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)")
_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Cleaned:
    """One cell, cleaned.

    ``value`` is the number (float) or None (blank, or not a valid value). ``problem`` is the
    finding rule when the cell is not a valid value: F01 not a number, F02 negative, F03 a
    count that is not an integer; ``reason`` says why, in Chinese. ``unit`` is a unit typed
    into the cell (``万元`` for ``5.5万元``), after any 万 multiplier was applied for counts.
    """

    value: float | None
    problem: str | None = None
    reason: str = ""
    unit: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _text(raw: str) -> str:
    """NFKC (full-width digits, signs, commas), no spaces of any width."""
    s = unicodedata.normalize("NFKC", raw)
    return "".join(s.split())


def _bad(reason: str) -> Cleaned:
    return Cleaned(None, "F01", reason)


def _split_number(s: str) -> tuple[float, str] | None:
    """'1,234.5万元' -> (1234.5, '万元'); None when s does not start with a number."""
    neg = False
    if s.startswith("(") and s.endswith(")") and len(s) > 2:  # accounting style (123)
        s, neg = s[1:-1], True
    m = _NUMBER.match(s)
    if not m:
        return None
    num = m.group("num").replace(",", "")
    if num.endswith("."):
        num = num[:-1]
    # '0E310' or '1e999': float() gives inf (refused as not a valid number), where
    # 10.0 ** 310 raised OverflowError (found by tests/test_security_fuzz.py)
    x = float(f"{num}e{m.group('exp')}") if m.group("exp") else float(num)
    if m.group("sign") == "-" or neg:
        x = -x
    return x, m.group("unit")


def clean_value(raw: object, *, value_type: str, money_factor: float = 1.0) -> Cleaned:
    """Read one cell as a value of the given type.

    Parameters
    ----------
    raw
        The cell as read (str, float, int, bool, None, or a date).
    value_type
        ``count`` (persons, times: integers >= 0), ``money`` (万元 or as the cell says, >= 0,
        4 decimals) or ``flag`` (1/0; 是/否/有/无/√/×/booleans accepted).
    money_factor
        For money: the factor to 万元 of the unit the cell is in (the sheet's 单位 line; a unit
        typed in the cell overrides it). Money is rounded to ``MONEY_DECIMALS`` decimals *of
        万元*, so a value in 亿元 keeps 8 decimals and one in 元 keeps 2 (分).

    Returns
    -------
    Cleaned
        The value, or the problem (F01/F02/F03) with a Chinese reason.
    """
    if raw is None:
        return Cleaned(None)
    if isinstance(raw, bool):
        if value_type == "flag":
            return Cleaned(1.0 if raw else 0.0)
        return _bad("是逻辑值，不是数字")
    if isinstance(raw, (datetime, date)):
        return _bad("是日期，不是数字")
    unit: str | None = None
    if isinstance(raw, (int, float)):
        x = float(raw)
        if math.isnan(x) or math.isinf(x):
            return _bad("不是有效数字")
    elif isinstance(raw, str):
        s = _text(raw)
        if s in _BLANKS:
            return Cleaned(None)
        if value_type == "flag":
            if s in _FLAG_TRUE:
                return Cleaned(1.0)
            if s in _FLAG_FALSE:
                return Cleaned(0.0)
        if s in _ZERO_WORDS:
            return Cleaned(0.0)
        if s.startswith("#"):
            return _bad("是Excel错误值，不是数字")
        split = _split_number(s)
        if split is None:
            return _bad("不是数字")
        x, tail = split
        if tail:
            x, unit, problem = _apply_unit(x, tail, value_type)
            if problem:
                return _bad(problem)
    else:
        return _bad("不是数字")
    if value_type == "money" and unit:
        money_factor = TO_WAN_YUAN[unit]
    return _check(x, value_type, unit, money_factor)


def _apply_unit(x: float, tail: str, value_type: str) -> tuple[float, str | None, str]:
    """Strip a unit typed after the number; (value, unit, problem)."""
    if value_type == "money":
        if tail in TO_WAN_YUAN:
            return x, tail, ""
        if tail == "万":
            return x, "万元", ""
        if tail == "亿":
            return x, "亿元", ""
        return x, None, f"带有无法识别的单位“{tail}”（应为万元）"
    mult = 1.0
    rest = tail
    if tail.startswith("万") and len(tail) > 1:
        mult, rest = 1e4, tail[1:]
    elif tail == "万":
        return x * 1e4, None, ""
    if rest in _COUNT_UNITS:
        return x * mult, rest, ""
    return x, None, f"带有无法识别的单位“{tail}”"


def _check(x: float, value_type: str, unit: str | None, money_factor: float = 1.0) -> Cleaned:
    if not math.isfinite(x):  # text such as '1e999', a 400-digit number, or 1e305万
        return _bad("不是有效数字")
    if value_type == "money":
        shift = round(math.log10(money_factor)) if money_factor > 0 else 0
        x = round(x, max(2, MONEY_DECIMALS + shift))
        if x < 0:
            return Cleaned(x, "F02", "是负数", unit)
        return Cleaned(x + 0.0, None, "", unit)
    nearest = round(x)
    if abs(x - nearest) < COUNT_TOLERANCE:
        x = float(nearest)
    if x < 0:
        return Cleaned(x, "F02", "是负数", unit)
    if x != int(x):
        return Cleaned(x, "F03", "不是整数", unit)
    return Cleaned(x + 0.0, None, "", unit)


def parse_unit_of_measure(text: object) -> tuple[str | None, float | None]:
    """The unit of measure on a form's 单位 line, and its factor to 万元.

    ``单位：元`` -> ('元', 0.0001); ``金额单位：亿元`` -> ('亿元', 10000.0); ``单位：人`` ->
    ('人', None). Text without a 单位 label or a known unit gives (None, None).
    """
    if not isinstance(text, str):
        return None, None
    s = to_simplified(_text(text))
    m = _UNIT_LINE.search(s)
    if not m:
        return None, None
    rest = m.group("rest")
    for token in _UNIT_TOKENS:  # longest first, so 万元 wins over 元
        if rest.startswith(token):
            return token, TO_WAN_YUAN.get(token)
    return None, None


def excel_serial_to_date(serial: float) -> date | None:
    """An Excel 1900-system serial day number as a date (None outside 1950-2100)."""
    if not 18264 <= serial <= 73051:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def parse_report_date(value: object) -> date | None:
    """The 报出日期 in any of the ways towns type it, or None.

    Accepts ``2014年1月20日``, ``2014-01-20``, ``2014.1.20``, ``2014/1/20``, ``20140120``,
    ``报出日期：2014年1月20日``, an Excel serial number (41659), a datetime or a date. A month
    without a day (``2014年1月``) gives the first of the month.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return excel_serial_to_date(float(value))
    if not isinstance(value, str):
        return None
    s = _text(value)
    for pat in (_DATE_YMD, _DATE_COMPACT):
        m = pat.search(s)
        if m:
            try:
                return date(int(m.group("y")), int(m.group("m")), int(m.group("d") or 1))
            except ValueError:
                continue
    tail = s.split(":")[-1]
    try:
        return excel_serial_to_date(float(tail))
    except ValueError:
        return None
