"""Number formatting in the style of Chinese statistical bulletins (公报). Chinese numerals
(三, 十二) are ``talentstats.analysis.wording.chinese_numeral``.

Rounding is 四舍五入 (half up), as statistical offices print it, not Python's round-half-even.
Persons in 万人 with 2 decimals, money in 亿元 with 2 decimals, percentages with 1 decimal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

__all__ = [
    "MISSING",
    "bulletin_number",
    "format_percent",
    "format_persons",
    "format_wan_persons",
    "format_wan_yuan",
    "format_yi_yuan",
    "is_missing",
    "join_list",
]

MISSING = "—"


def is_missing(value: object) -> bool:
    """True for None, pd.NA, NaN and anything that is not a number."""
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def bulletin_number(value: float, decimals: int = 0) -> str:
    """A number rounded half up, without thousands separators (公报 style).

    >>> bulletin_number(2.345, 2)
    '2.35'
    >>> bulletin_number(-0.04, 1)
    '0.0'
    """
    if is_missing(value):
        return MISSING
    q = Decimal(1).scaleb(-decimals)
    d = Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)
    return f"{d:f}"


def format_wan_persons(persons: float) -> str:
    """Persons as 万人 with 2 decimals: 1283456 -> '128.35万人'."""
    return f"{bulletin_number(persons / 10_000, 2)}万人"


def format_persons(persons: float) -> str:
    """A count of persons: 万人 (2 decimals) from 10,000 up, else whole persons ('356人')."""
    if is_missing(persons):
        return MISSING
    if abs(persons) >= 10_000:
        return format_wan_persons(persons)
    return f"{bulletin_number(persons, 0)}人"


def format_yi_yuan(wan_yuan: float) -> str:
    """Money given in 万元 as 亿元 with 2 decimals: 102500 -> '10.25亿元'."""
    return f"{bulletin_number(wan_yuan / 10_000, 2)}亿元"


def format_wan_yuan(wan_yuan: float) -> str:
    """Money in 万元 with 2 decimals: '123.40万元'."""
    return f"{bulletin_number(wan_yuan, 2)}万元"


def format_percent(value: float, decimals: int = 1) -> str:
    """A percentage already in percent (3.2, not 0.032): '3.2%'."""
    return f"{bulletin_number(value, decimals)}%"


def join_list(items: Iterable[str]) -> str:
    """Chinese enumeration with the 顿号: ['甲', '乙'] -> '甲、乙'."""
    return "、".join(items)
