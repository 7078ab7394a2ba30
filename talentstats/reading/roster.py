"""The roster of high-level talents (TR4): what its typed fields mean.

A roster row is read field by field: 出生年月 as a year and the months it may name, 性别, the
人才类别 as a TR1 talent category (the items forms.yaml marks ``category: true``), the 行业 as
a GB/T 4754 门类. ID numbers are ``talentstats.reading.ids``'s; the stored row, without names or
ID numbers, is ``talentstats.reading.pseudonym``'s.

Assumptions written down here:

- 出生年月 typed as the number ``1978.1`` is ambiguous (Excel drops the 0 of ``1978.10``), so
  both January and October agree with the ID number.
- A 人才类别 names a category when it is one of the category's spellings, or when exactly one
  category's spelling contains it or is contained in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from talentstats.profile.forms import Item
from talentstats.profile.text import normalize_label
from talentstats.reading.ids import cell_text

__all__ = [
    "INDUSTRY_SECTIONS",
    "birth_year_month",
    "category_item",
    "industry_section",
    "recognised_year",
    "sex_of",
    "text_or_none",
]

# GB/T 4754-2017 (and 2011) 国民经济行业分类, the 20 门类: letter -> name.
INDUSTRY_SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
# Short names towns type instead of the full 门类 name (matched after the full names).
_INDUSTRY_SHORT = {
    "农业": "A", "林业": "A", "渔业": "A", "畜牧业": "A", "采矿": "B", "制造": "C", "电力": "D",
    "燃气": "D", "建筑": "E", "批发": "F", "零售": "F", "交通运输": "G", "物流": "G", "邮政": "G",
    "住宿": "H", "餐饮": "H", "信息传输": "I", "软件": "I", "信息技术": "I", "互联网": "I",
    "金融": "J", "银行": "J", "保险": "J", "房地产": "K", "租赁": "L", "商务服务": "L",
    "科学研究": "M", "科研": "M", "技术服务": "M", "水利": "N", "环境": "N", "公共设施": "N",
    "居民服务": "O", "修理": "O", "教育": "P", "卫生": "Q", "医疗": "Q", "医院": "Q", "社会工作": "Q",
    "文化": "R", "体育": "R", "娱乐": "R", "公共管理": "S", "社会保障": "S", "社会组织": "S",
    "国际组织": "T", "IT": "I",
}
_YEAR4 = re.compile(r"(?:19|20)\d{2}")
_YM = re.compile(r"((?:19|20)\d{2})\s*(?:[年.\-/．]\s*(\d{1,2})|(\d{2}))?")


def birth_year_month(value: object) -> tuple[int | None, tuple[int, ...]]:
    """Year and the possible months of a 出生年月 as typed.

    Returns ``(year, months)``; ``months`` is empty when no month is given, and ``(1, 10)`` for
    a number like ``1978.1``. Accepts dates, Excel serial numbers, ``1978.05``, ``1978-5``,
    ``1978年5月``, ``197805``, ``19780512``.

    >>> birth_year_month("1978年5月")
    (1978, (5,))
    >>> birth_year_month(1978.1)
    (1978, (1, 10))
    """
    if isinstance(value, datetime | date):
        return value.year, (value.month,)
    if isinstance(value, bool) or value is None:
        return None, ()
    if isinstance(value, int | float):
        if value != value:
            return None, ()
        if 1900 <= value < 2100:
            year = int(value)
            digits = repr(float(value)).partition(".")[2].rstrip("0")
            if not digits:
                return year, ()
            month = int(digits[:2]) if len(digits) >= 2 else int(digits)
            if digits == "1":  # 1978.1 may be 1978.10 with its 0 dropped
                return year, (1, 10)
            return year, (month,) if 1 <= month <= 12 else ()
        if 190001 <= value <= 210012 and float(value).is_integer():  # 197805
            year, month = divmod(int(value), 100)
            return year, (month,) if 1 <= month <= 12 else ()
        if 19000101 <= value <= 21001231 and float(value).is_integer():  # 19780512
            year, month = int(value) // 10000, int(value) // 100 % 100
            return year, (month,) if 1 <= month <= 12 else ()
        if 1 <= value < 80000:  # Excel serial date
            d = datetime(1899, 12, 30) + timedelta(days=float(value))
            return d.year, (d.month,)
        return None, ()
    m = _YM.search(cell_text(value))
    if not m:
        return None, ()
    year = int(m.group(1))
    month_text = m.group(2) or m.group(3)
    if not month_text:
        return year, ()
    month = int(month_text)
    return year, (month,) if 1 <= month <= 12 else ()


def sex_of(value: object) -> str | None:
    """男 or 女 as typed (男性, M, 1, ...); any other text as it is; None when blank."""
    s = cell_text(value).upper()
    if s in {"男", "男性", "M", "MALE", "1"}:
        return "男"
    if s in {"女", "女性", "F", "FEMALE", "2"}:
        return "女"
    return s or None




def category_item(category: object, categories: Iterable[Item]) -> int | None:
    """The talent category (a TR1 item of ``categories``) a 人才类别 names, or None.

    >>> from talentstats.profile.config import load_profile
    >>> categories = load_profile().forms["TR1"].categories
    >>> category_item("专技人才", categories)
    130
    >>> category_item("（四）高技能人才", categories)
    140
    """
    key = normalize_label(category)
    if not key:
        return None
    spellings = [(spelling, it.code) for it in categories for spelling in it.spellings()]
    exact = {code for spelling, code in spellings if spelling == key}
    if len(exact) == 1:
        return exact.pop()
    near = {code for spelling, code in spellings
            if spelling in key or (len(key) >= 2 and key in spelling)}
    return near.pop() if len(near) == 1 else None


_SECTION_NAMES = {normalize_label(v): k for k, v in INDUSTRY_SECTIONS.items()}


def industry_section(value: object) -> str | None:
    """The GB/T 4754 门类 letter an industry names (``C``, ``C 制造业``, ``制造业``), else None.

    >>> industry_section("C-制造业")
    'C'
    >>> industry_section("软件和信息技术服务业")
    'I'
    """
    s = normalize_label(value).upper()
    if not s:
        return None
    if s[0] in INDUSTRY_SECTIONS and (len(s) == 1 or not s[1].isalnum() or not s[1].isascii()):
        return s[0]
    within = {letter for name, letter in _SECTION_NAMES.items() if s in name and len(s) >= 2}
    if len(within) == 1:
        return within.pop()
    hits = [(len(word), letter) for word, letter in _INDUSTRY_SHORT.items() if word in s]
    best = {letter for n, letter in hits if n == max(hits)[0]} if hits else set()
    return best.pop() if len(best) == 1 else None


def recognised_year(value: object) -> int | None:
    """A year as typed (2015, 2015.0, '2015年'), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if value == value and float(value).is_integer() else None
    m = _YEAR4.search(cell_text(value))
    return int(m.group(0)) if m else None


def text_or_none(value: object) -> str | None:
    """A field as stripped text (a whole float without '.0'), None when blank."""
    if isinstance(value, str):
        return value.strip() or None
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None
