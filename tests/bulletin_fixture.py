"""A small hand-made processed collection for the bulletin tests (years 2014-2015).

Three units report in 2015: 东城街道 (A), 南城街道 (B), 万江街道 (C); 莞城街道 (D) sent a TR1
that was rejected; the other 31 units sent nothing. The city (441900) sent TR5 every year
2012-2015. Hand-worked figures for 2015 (used by the tests):

* TR1 100: A 50000 + B 30000 + C 20000 = 100000 persons = 10.00万人; 2014: 90000 -> +11.1%.
* I04: 110 10.0 (2014 10.5 -> 降低0.5个百分点), 120 20.0 (持平), 130 40.0 (2014 39.2 ->
  提高0.8个百分点), 140 20.0, 150 4.0, 160 6.0.
* TR2 (万元): revenue A 200000 / B 100000 / C 50000; budget 8000 / 2500 / 1000 -> ratios
  4.0 / 2.5 / 2.0 %; gaps 0 / 500 / 500; city 11500 / 350000 = 3.3%; 1 of 3 compliant.
* TR5 500: 2012 90000, 2013 95000, 2014 98000, 2015 102500 (10.25亿元, +4.6%, 102.5% of
  target); cumulative 385500 = 38.55亿元 = 77.1% of 500000.
* TR3: A meets all 8 minima, B 7 (405 = 3 < 4), C 4 (402, 404, 407, 408 missed).
* TR4: 6 persons (A 3, B 2, C 1).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from talentstats.profile.units import CITY

A, B, C, D = "441900003", "441900004", "441900005", "441900006"

TR1_2015 = {
    A: {100: 50000, 110: 5000, 120: 10000, 130: 20000, 131: 4000, 132: 8000, 133: 6000, 140: 10000,
        141: 1000, 142: 3000, 143: 6000, 150: 2000, 160: 3000, 240: 3},
    B: {100: 30000, 110: 3000, 120: 6000, 130: 12000, 131: 2000, 132: 5000, 133: 4000, 140: 6000,
        141: 600, 142: 1400, 143: 4000, 150: 1200, 160: 1800, 240: 2},
    C: {100: 20000, 110: 2000, 120: 4000, 130: 8000, 131: 1000, 132: 3000, 133: 3000, 140: 4000,
        141: 400, 142: 1000, 143: 2600, 150: 800, 160: 1200, 240: 1},
}
# item 100, columns 2..11
TR1_100_COLS = {
    A: {2: 22000, 3: 1000, 4: 4000, 5: 20000, 6: 15000, 7: 10000, 8: 20000, 9: 15000, 10: 10000, 11: 5000},
    B: {2: 14000, 3: 500, 4: 2000, 5: 12000, 6: 9000, 7: 6500, 8: 12000, 9: 9000, 10: 6000, 11: 3000},
    C: {2: 9000, 3: 200, 4: 800, 5: 7000, 6: 7000, 7: 5000, 8: 8000, 9: 6000, 10: 4000, 11: 2000},
}
TR1_2014_TOTAL = {A: 45000, B: 27000, C: 18000}
TR2_2015 = {A: {300: 200000, 310: 8000, 320: 6000}, B: {300: 100000, 310: 2500, 320: 2400},
            C: {300: 50000, 310: 1000, 320: 1000}}
TR3_2015 = {
    A: dict(zip(range(401, 410), (1, 1, 3, 2, 4, 2, 1, 5, 10), strict=True)),
    B: dict(zip(range(401, 410), (1, 1, 2, 1, 3, 1, 1, 2, 6), strict=True)),
    C: dict(zip(range(401, 410), (1, 0, 1, 0, 4, 1, 0, 0, 3), strict=True)),
}
TR5 = {2012: 90000, 2013: 95000, 2014: 98000, 2015: 102500}


def observations() -> pd.DataFrame:
    rows = []

    def add(year, unit, form, item, column, value):
        rows.append((year, unit, form, item, column, float(value), f"{unit}.xlsx!表!A1"))

    for unit, items in TR1_2015.items():
        for item, v in items.items():
            add(2015, unit, "TR1", item, 1, v)
        for col, v in TR1_100_COLS[unit].items():
            add(2015, unit, "TR1", 100, col, v)
    for unit, v in TR1_2014_TOTAL.items():
        add(2014, unit, "TR1", 100, 1, v)
    for unit, items in TR2_2015.items():
        for item, v in items.items():
            add(2015, unit, "TR2", item, 1, v)
    for unit, items in TR3_2015.items():
        for item, v in items.items():
            add(2015, unit, "TR3", item, 1, v)
    for year, v in TR5.items():
        add(year, CITY, "TR5", 500, 1, v)
    add(2015, CITY, "TR5", 510, 1, 60000)
    return pd.DataFrame(rows, columns=["year", "unit_code", "form", "item", "column", "value", "source"])


def submissions() -> pd.DataFrame:
    rows = []
    for unit in (A, B, C):
        for form in ("TR1", "TR2", "TR3", "TR4"):
            rows.append((2015, unit, form, f"{unit}.xlsx", "0" * 64, "accepted"))
    rows.append((2015, D, "TR1", f"{D}.xlsx", "1" * 64, "rejected"))
    # 2014: the same three units reported TR1 (its totals are TR1_2014_TOTAL)
    rows += [(2014, unit, "TR1", f"{unit}-2014.xlsx", "3" * 64, "accepted") for unit in (A, B, C)]
    rows.append((2015, CITY, "TR5", "city.xlsx", "2" * 64, "accepted"))
    return pd.DataFrame(rows, columns=["year", "unit_code", "form", "source_file", "sha256", "status"])


def roster() -> pd.DataFrame:
    people = [
        (A, "博士研究生", 130), (A, "博士研究生", 130), (A, "硕士研究生", 120),
        (B, "博士研究生", 130), (B, "大学本科", 140), (C, "硕士研究生", 110),
    ]
    names = {110: "党政人才", 120: "企业经营管理人才", 130: "专业技术人才", 140: "高技能人才"}
    return pd.DataFrame(
        [
            (2015, u, f"p{i:02d}", "女" if i % 2 else "男", 1975, edu, "正高级", names[cat], cat,
             "某公司", "M", 2014, "", f"{u}.xlsx!表4!A{i + 5}")
            for i, (u, edu, cat) in enumerate(people)
        ],
        columns=["year", "unit_code", "person", "sex", "birth_year", "education", "title", "category",
                 "category_item", "employer", "industry", "recognised_year", "note", "source"],
    )


def indicators() -> pd.DataFrame:
    city = {
        2015: {"I01": 100000, "I02": 100000 / 90000 * 100 - 100, "I03": 121.2, "I04.110": 10.0,
               "I04.120": 20.0, "I04.130": 40.0, "I04.140": 20.0, "I04.150": 4.0, "I04.160": 6.0,
               "I05": 47.5, "I06": 17.5, "I07": 6, "I08": 11500 / 350000 * 100, "I09": 1,
               "I09.share": 100 / 3, "I10": 1000, "I11": 9400 / 11500 * 100, "I12": 102.5,
               "I12.cum": 77.1, "I12.amount": 102500, "I12.cum_amount": 385500, "I13": 1,
               "coverage.TR1": 3, "coverage.TR2": 3, "coverage.TR3": 3, "coverage.TR4": 3,
               "coverage.TR5": 1},
        2014: {"I01": 90000, "I03": 107.9, "I04.110": 10.5, "I04.120": 20.0, "I04.130": 39.2,
               "I04.140": 19.8, "I04.150": 4.3, "I04.160": 6.2, "I05": 46.0, "I06": 17.0,
               "I12": 98.0, "I12.cum": 56.6, "I12.amount": 98000, "I12.cum_amount": 283000},
        2013: {"I12.amount": 95000, "I12.cum_amount": 185000},
        2012: {"I12.amount": 90000, "I12.cum_amount": 90000},
    }
    units = {
        2015: {
            A: {"I01": 50000, "I03": 290.1, "I08": 4.0, "I09": 1, "I10": 0, "I11": 75.0, "I13": 8,
                "I14": 85.5, "I14.D1": 90, "I14.D2": 80, "I14.D3": 85, "I14.D4": 87, "I14.rank": 1},
            B: {"I01": 30000, "I03": 150.0, "I08": 2.5, "I09": 0, "I10": 500, "I11": 96.0, "I13": 7,
                "I14": 72.25, "I14.D1": 70, "I14.D2": 75, "I14.D3": 72, "I14.D4": 72, "I14.rank": 2},
            C: {"I01": 20000, "I03": 80.0, "I08": 2.0, "I09": 0, "I10": 500, "I11": 100.0, "I13": 4,
                "I14": 60.0, "I14.D1": 55, "I14.D2": 60, "I14.D3": 65, "I14.D4": 60, "I14.rank": 3},
        },
        2014: {
            A: {"I01": 45000, "I14": 74.0, "I14.rank": 2},
            B: {"I01": 27000, "I14": 75.0, "I14.rank": 1},
            C: {"I01": 18000, "I14": 58.0, "I14.rank": 3},
        },
    }
    rows = [(y, CITY, k, float(v)) for y, d in city.items() for k, v in d.items()]
    rows += [(y, u, k, float(v)) for y, d in units.items() for u, dd in d.items() for k, v in dd.items()]
    return pd.DataFrame(rows, columns=["year", "unit_code", "indicator", "value"])


def dictionary() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("I01", "人才资源总量", "人", "各镇街（园区）人才资源情况表中人才资源总量之和", "TR1 100/1", "东人统1表", ""),
            ("I03", "人才密度", "人/万人", "人才资源总量与年末常住人口之比", "I01 / 常住人口 * 10000", "东人统1表；常住人口估算", ""),
            ("I08", "人才专项资金占财政总收入比例", "%", "人才专项资金预算安排额占财政总收入的比例", "TR2 310 / 300", "东人统2表", ">= 3"),
        ],
        columns=["indicator", "name", "unit", "definition", "formula", "sources", "threshold"],
    )


def frames() -> dict[str, pd.DataFrame]:
    """The datasets for catalog.write_datasets (findings empty)."""
    from talentstats.store.catalog import empty

    return {
        "observations": observations(),
        "findings": empty("findings"),
        "submissions": submissions(),
        "roster": roster(),
        "indicators": indicators(),
    }


def bulletin_data(year: int = 2015):
    from talentstats.profile.config import load_profile
    from talentstats.publication.tables import BulletinData
    from talentstats.store.catalog import conform

    f = frames()
    return BulletinData(
        year=year,
        indicators=conform("indicators", f["indicators"]),
        observations=conform("observations", f["observations"]),
        submissions=conform("submissions", f["submissions"]),
        roster=conform("roster", f["roster"]),
        profile=load_profile(Path(__file__).parent / "fixtures" / "profile-test"),  # the frozen test profile
        dictionary=dictionary(),
        population_basis="统计公布数",
    )
