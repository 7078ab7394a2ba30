"""Reference data that towns do not submit: resident population by unit and year.

Method (documented in ``docs/reference-data.md``): the 7th census (2020-11-01) gives each unit's
share of the city's resident population; each year's city total (published for 2014-2016,
interpolated for 2012-2013) is split by those shares. The two parks the census does not list
separately (虎门港, 东莞生态园) get no estimate: their residents are counted in the host towns,
so their talent density is missing rather than invented.

The files are the deployment profile's ``reference/census2020.csv`` and
``reference/city_population.yaml``, read by ``talentstats.profile.config`` into
``Profile.reference`` (:func:`build_reference`). A profile without them has no population: every
talent density (I03) is missing, and the bulletin says nothing about an estimate.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from talentstats.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from talentstats.profile.config import Profile

__all__ = ["Reference", "build_reference", "population_basis", "population_notes", "resident_population"]

TOTALS = "reference/city_population.yaml"
CENSUS = "reference/census2020.csv"


@dataclass(frozen=True)
class Reference:
    """A profile's reference data: the city's population by year and the census shares."""

    years: Mapping[int, tuple[float, str]] = field(default_factory=dict)  # year -> (万人, basis)
    census: tuple[tuple[str, float], ...] = ()  # (unit_code, residents), the city's row included
    dictionary_note: str = ""  # I03's note in the indicator dictionary
    bulletin_note: str = ""  # the bulletin's clause on the method


def _words(value: object) -> str:
    return " ".join(str(value or "").split())


def build_reference(totals: Any, census_text: str | None, city_code: str, folder: str) -> Reference:
    """The reference data from parsed ``city_population.yaml`` (None: absent) and the census CSV.

    Raises
    ------
    ConfigError
        When ``years:`` is missing, or the census has not exactly one row for the city.
    """
    if totals is None:
        return Reference()
    if not isinstance(totals, Mapping) or not isinstance(totals.get("years"), Mapping):
        raise ConfigError(f"{folder}/{TOTALS} 缺少 years：各年全市常住人口（万人） / "
                          f"{folder}/{TOTALS} needs `years:` (city population by year, 万人)")
    census: tuple[tuple[str, float], ...] = ()
    if census_text is not None:
        rows = list(csv.DictReader(census_text.splitlines()))
        census = tuple((r["unit_code"], float(r["resident_population"])) for r in rows)
        if sum(code == city_code for code, _ in census) != 1:
            raise ConfigError(f"{folder}/{CENSUS} 应有且仅有一行全市（{city_code}） / "
                              f"{folder}/{CENSUS} needs exactly one row for the city {city_code}")
    years = {int(y): (float(s["value"]), str(s["basis"])) for y, s in totals["years"].items()}
    return Reference(years, census, _words(totals.get("dictionary_note")), _words(totals.get("bulletin_note")))


def population_basis(profile: Profile, year: int) -> str:
    """How the city's population of a year was obtained (统计公布数, 线性插值, ...); '' for a
    year without a population (or a profile without reference data)."""
    hit = profile.reference.years.get(year)
    return hit[1] if hit else ""


def population_notes(profile: Profile) -> tuple[str, str]:
    """How the estimate is made: (the dictionary's I03 note, the bulletin's clause); '' if none."""
    return profile.reference.dictionary_note, profile.reference.bulletin_note


def resident_population(profile: Profile) -> pd.DataFrame:
    """Estimated year-end resident population, persons, by unit and year (city included).

    Returns
    -------
    DataFrame with columns year (int64), unit_code (string), population (float64), basis
    (string). Units without a census row of their own are absent; no rows when the profile
    has no reference data.
    """
    import pandas as pd  # here, not at the top: the ingest workers load this module, not pandas

    ref, city = profile.reference, profile.city.code
    if not ref.census or not ref.years:
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "unit_code": pd.Series(dtype="string"),
                             "population": pd.Series(dtype="float64"), "basis": pd.Series(dtype="string")})
    census = dict(ref.census)
    share = pd.Series({c: n / census[city] for c, n in ref.census if c != city}, dtype="float64")
    frames = []
    for year, (value, basis) in sorted(ref.years.items()):
        total = round(value * 10_000)
        by_unit = (share * total).round(0)
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "unit_code": pd.array([*by_unit.index, city], dtype="string"),
                    "population": [*by_unit.to_list(), total],
                    "basis": basis,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"year": "int64", "population": "float64", "basis": "string"})
