"""Reference data that towns do not submit: resident population by unit and year.

Method (documented in ``docs/reference-data.md``): the 7th census (2020-11-01) gives each unit's
share of the city's resident population; each year's city total (published for 2014-2016,
interpolated for 2012-2013) is split by those shares. The two parks the census does not list
separately (虎门港, 东莞生态园) get no estimate: their residents are counted in the host towns,
so their talent density is missing rather than invented.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from io import StringIO

import pandas as pd
import yaml

from talentstats.units import CITY

__all__ = ["population_basis", "resident_population"]


def _read(name: str) -> str:
    return resources.files("talentstats").joinpath(f"data/reference/{name}").read_text("utf-8")


@cache
def _city_totals() -> dict:
    return yaml.safe_load(_read("city_population.yaml"))


def population_basis(year: int) -> str:
    """How the city's population of a year was obtained (统计公布数, 线性插值, ...)."""
    return _city_totals()["years"][year]["basis"]


@cache
def resident_population() -> pd.DataFrame:
    """Estimated year-end resident population, persons, by unit and year (city included).

    Returns
    -------
    DataFrame with columns year (int64), unit_code (string), population (float64), basis
    (string). Units without a census row of their own are absent.
    """
    census = pd.read_csv(StringIO(_read("census2020.csv")), dtype={"unit_code": "string"})
    city_census = census.loc[census["unit_code"] == CITY, "resident_population"].item()
    towns = census[census["unit_code"] != CITY]
    share = towns.set_index("unit_code")["resident_population"] / city_census
    frames = []
    for year, spec in sorted(_city_totals()["years"].items()):
        total = round(spec["value"] * 10_000)
        by_unit = (share * total).round(0)
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "unit_code": pd.array([*by_unit.index, CITY], dtype="string"),
                    "population": [*by_unit.to_list(), total],
                    "basis": spec["basis"],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"year": "int64", "population": "float64", "basis": "string"})
