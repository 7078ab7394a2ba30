"""Reporting units: the 35 towns, streets and parks, the city, and how towns name themselves.

The reference table is ``data/units.csv`` (built from the spec's units.csv, plus the city office
itself under 441900). ``identify_unit`` turns whatever a town typed, in a cell or a file name,
into a unit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from io import StringIO

import pandas as pd

from talentstats.text import normalize_label

__all__ = ["CITY", "Unit", "identify_unit", "reporting_units", "unit", "unit_name", "units"]

CITY = "441900"

# Suffixes a unit's name may carry, longest first (街道办事处 before 街道).
_SUFFIXES = ("街道办事处", "人民政府", "办事处", "管委会", "管理委员会", "街道", "镇", "区")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    type: str
    aliases: tuple[str, ...]

    @property
    def is_city(self) -> bool:
        return self.code == CITY


@cache
def units() -> pd.DataFrame:
    """The units table: code (string), name, type, aliases ('|'-separated)."""
    text = resources.files("talentstats").joinpath("data/units.csv").read_text("utf-8")
    return pd.read_csv(StringIO(text), dtype="string", keep_default_na=False)


@cache
def _units() -> dict[str, Unit]:
    return {
        r.code: Unit(r.code, r.name, r.type, tuple(a for a in r.aliases.split("|") if a))
        for r in units().itertuples()
    }


def unit(code: str) -> Unit:
    try:
        return _units()[str(code)]
    except KeyError:
        raise KeyError(f"unknown unit code {code!r}") from None


def unit_name(code: str) -> str:
    return unit(code).name


def reporting_units() -> list[Unit]:
    """The 35 units that report TR1-TR4 every year, in code order."""
    return [u for u in _units().values() if not u.is_city]


def _strip_suffix(name: str) -> str:
    for s in _SUFFIXES:
        if name.endswith(s) and len(name) > len(s) + 1:
            return name.removesuffix(s)
    return name


@cache
def _alias_index() -> list[tuple[str, str]]:
    """(normalised alias, code), longest alias first so 虎门港 wins over 虎门."""
    pairs: dict[str, str] = {}
    for u in _units().values():
        for name in (u.name, *u.aliases):
            key = normalize_label(name)
            for k in {key, _strip_suffix(key)}:
                if len(k) >= 2:
                    pairs.setdefault(k, u.code)
    return sorted(pairs.items(), key=lambda kv: (-len(kv[0]), kv[0]))


def identify_unit(text: object) -> str | None:
    """The unit code a cell or a file name refers to, or None.

    Matches the longest known name or alias contained in the text, after normalising
    (full-width forms, traditional characters, spaces) and ignoring suffixes such as 镇,
    街道办事处, 人民政府 and 管委会. When two different units match equally long, returns None:
    an ambiguous name is not guessed. A town's name wins over the city's (东莞市石龙镇 is
    石龙镇), since towns often prefix their names with the city's.

    >>> identify_unit("東城街道辦事處")
    '441900003'
    >>> identify_unit("虎门港管委会2013年报表.xlsx")
    '441900402'
    """
    s = normalize_label(text)
    found = [(len(alias), code) for alias, code in _alias_index() if alias in s]
    towns = [(n, c) for n, c in found if c != CITY]
    found = towns or found
    if not found:
        return None
    best = max(n for n, _ in found)
    codes = {c for n, c in found if n == best}
    return codes.pop() if len(codes) == 1 else None
