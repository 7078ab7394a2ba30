"""Reference data that towns do not submit: resident population by unit and year.

Method (documented in ``docs/reference-data.md``): the 7th census (2020-11-01) gives each unit's
share of the city's resident population; each year's city total (published for 2014-2016,
interpolated for 2012-2013) is split by those shares. The two parks the census does not list
separately (虎门港, 东莞生态园) get no estimate: their residents are counted in the host towns,
so their talent density is missing rather than invented.

The files are the deployment profile's ``reference/census2020.csv`` and
``reference/city_population.yaml`` (``talentstats.profile.config``; Dongguan's are packaged). A profile
without them has no population: every talent density (I03) is missing, and the bulletin says
nothing about an estimate.
"""

from __future__ import annotations

from functools import cache
from io import StringIO

import pandas as pd

from talentstats.profile.config import (
    ConfigError,
    Profile,
    city_code,
    load_profile,
    load_yaml,
    profile_file,
)

__all__ = ["population_basis", "population_notes", "resident_population"]

_TOTALS = "reference/city_population.yaml"
_CENSUS = "reference/census2020.csv"


def _read(name: str) -> str | None:
    f = profile_file(name)
    return None if f is None else f.read_text("utf-8")


def _city_totals() -> dict:
    return _totals(load_profile())


@cache
def _totals(profile: Profile) -> dict:
    text = _read(_TOTALS)
    if text is None:
        return {"years": {}}
    totals = load_yaml(text)
    if not isinstance(totals, dict) or not isinstance(totals.get("years"), dict):
        raise ConfigError(f"{profile.folder}/{_TOTALS} 缺少 years：各年全市常住人口（万人） / "
                          f"{profile.folder}/{_TOTALS} needs `years:` (city population by year, 万人)")
    return totals


def population_basis(year: int) -> str:
    """How the city's population of a year was obtained (统计公布数, 线性插值, ...).

    Raises KeyError for a year without a population (or a profile without reference data).
    """
    return _city_totals()["years"][year]["basis"]


def population_notes() -> tuple[str, str]:
    """How the estimate is made: (the dictionary's I03 note, the bulletin's clause); '' if none."""
    totals = _city_totals()
    return (" ".join(str(totals.get("dictionary_note") or "").split()),
            " ".join(str(totals.get("bulletin_note") or "").split()))


def resident_population() -> pd.DataFrame:
    """Estimated year-end resident population, persons, by unit and year (city included).

    Returns
    -------
    DataFrame with columns year (int64), unit_code (string), population (float64), basis
    (string). Units without a census row of their own are absent; no rows when the profile
    has no reference data.
    """
    return _population(load_profile())


@cache
def _population(profile: Profile) -> pd.DataFrame:
    text = _read(_CENSUS)
    city = city_code()
    if text is None or not _city_totals()["years"]:
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "unit_code": pd.Series(dtype="string"),
                             "population": pd.Series(dtype="float64"), "basis": pd.Series(dtype="string")})
    census = pd.read_csv(StringIO(text), dtype={"unit_code": "string"})
    if (census["unit_code"] == city).sum() != 1:
        raise ConfigError(f"{profile.folder}/{_CENSUS} 应有且仅有一行全市（{city}） / "
                          f"{profile.folder}/{_CENSUS} needs exactly one row for the city {city}")
    city_census = census.loc[census["unit_code"] == city, "resident_population"].item()
    towns = census[census["unit_code"] != city]
    share = towns.set_index("unit_code")["resident_population"] / city_census
    frames = []
    for year, spec in sorted(_city_totals()["years"].items()):
        total = round(spec["value"] * 10_000)
        by_unit = (share * total).round(0)
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "unit_code": pd.array([*by_unit.index, city], dtype="string"),
                    "population": [*by_unit.to_list(), total],
                    "basis": spec["basis"],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"year": "int64", "population": "float64", "basis": "string"})
