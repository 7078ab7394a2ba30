"""Reporting units: the 35 towns, streets and parks, the city, and how towns name themselves.

The reference table is the deployment profile's ``units.csv`` (``talentstats.profile.config``; the
packaged Dongguan one lists the 35 units with their aliases, plus the city office itself under
441900). The city is the row whose code is ``city_code()`` (city.yaml ``code``); every other row
is a reporting unit. ``identify_unit`` turns whatever a town typed, in a cell or a file name,
into a unit code.

``CITY`` is kept for older callers: it is the city code of the profile selected when it is read
(``from talentstats.profile.units import CITY`` binds it once, at import); new code calls ``city_code()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from talentstats.profile.config import UNIT_COLUMNS, Profile, city_code, load_profile
from talentstats.profile.text import normalize_label

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CITY",  # noqa: F822 (module __getattr__: the selected profile's city code)
    "Unit",
    "city_code",
    "identify_unit",
    "reporting_units",
    "unit",
    "unit_name",
    "units",
]


def __getattr__(name: str) -> str:
    if name == "CITY":
        return city_code()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
        return self.code == city_code()


def units() -> pd.DataFrame:
    """The units table of the profile: code (string), name, type, aliases ('|'-separated)."""
    return _frame(load_profile())


@cache
def _frame(profile: Profile) -> pd.DataFrame:
    import pandas as pd  # not at module level: the ingest workers use this module without it

    return pd.DataFrame(list(profile.units), columns=list(UNIT_COLUMNS), dtype="string")


def _units() -> dict[str, Unit]:
    return _registry(load_profile())


@cache
def _registry(profile: Profile) -> dict[str, Unit]:
    return {
        r.code: Unit(r.code, r.name, r.type, tuple(a for a in r.aliases.split("|") if a))
        for r in profile.units
    }


def unit(code: str) -> Unit:
    try:
        return _units()[str(code)]
    except KeyError:
        raise KeyError(f"unknown unit code {code!r}") from None


def unit_name(code: str) -> str:
    return unit(code).name


def reporting_units() -> list[Unit]:
    """The units that report TR1-TR4 every year (Dongguan's 35), in the order of units.csv."""
    city = city_code()
    return [u for u in _units().values() if u.code != city]


def _strip_suffix(name: str) -> str:
    for s in _SUFFIXES:
        if name.endswith(s) and len(name) > len(s) + 1:
            return name.removesuffix(s)
    return name


@dataclass(frozen=True)
class _AliasIndex:
    codes: dict[str, str]  # normalised name or alias -> unit code (the first unit that has it)
    lengths: tuple[int, ...]  # the lengths of those names, longest first


def _alias_index() -> _AliasIndex:
    return _aliases(load_profile())


@cache
def _aliases(profile: Profile) -> _AliasIndex:
    pairs: dict[str, str] = {}
    for u in _registry(profile).values():
        for name in (u.name, *u.aliases):
            key = normalize_label(name)
            for k in {key, _strip_suffix(key)}:
                if len(k) >= 2:
                    pairs.setdefault(k, u.code)
    return _AliasIndex(pairs, tuple(sorted({len(k) for k in pairs}, reverse=True)))


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
    index = _alias_index()
    city = city_code()
    city_named = False
    # Every substring of the text of a length some name has, longest first: the cost depends on
    # the text, not on the size of the registry (a national one has tens of thousands of units).
    for n in index.lengths:
        codes = {index.codes.get(s[i : i + n]) for i in range(len(s) - n + 1)}
        codes.discard(None)
        if city in codes:
            city_named = True
            codes.discard(city)
        if codes:
            return codes.pop() if len(codes) == 1 else None
    return city if city_named else None
