"""Indicators I01-I14 on a hand-built fixture: three units, two years.

Fixture (every expected value below is worked out by hand from these numbers):

* A = 441900003 东城, B = 441900004 南城, C = 441900005 万江; city = 441900.
* 2012: A, B, C send TR1-TR4, all accepted (C's roster is accepted and empty); TR5 accepted.
* 2013: A sends TR1-TR4, accepted (plus an older TR2 file, superseded); B's TR1 is rejected
  (its stale numbers are in `observations` and must be ignored), its TR2-TR4 accepted; C sends
  nothing; TR5 accepted.
* Population: A 200,000, B 100,000, C 50,000, city 1,000,000 in both years.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from talentstats.analysis.indicators import (
    accepted_forms,
    compute_indicators,
    indicator_dictionary,
    mechanism_minima,
)
from talentstats.profile.targets import check_targets

A, B, C, CITY = "441900003", "441900004", "441900005", "441900"

TR1 = {
    # (year, unit): {(item, column): value}
    (2012, A): {(100, 1): 1000, (110, 1): 100, (120, 1): 200, (130, 1): 400, (131, 1): 40,
                (140, 1): 150, (150, 1): 50, (160, 1): 100, (240, 1): 5,
                (100, 3): 10, (100, 4): 90, (100, 5): 300},
    (2012, B): {(100, 1): 500, (110, 1): 50, (120, 1): 100, (130, 1): 100, (131, 1): 30,
                (140, 1): 150, (150, 1): 50, (160, 1): 50, (240, 1): 2,
                (100, 3): 0, (100, 4): 20, (100, 5): 80},
    (2012, C): {(100, 1): 100, (110, 1): 10, (120, 1): 20, (130, 1): 50, (131, 1): 5,
                (140, 1): 10, (150, 1): 5, (160, 1): 5, (240, 1): 0,
                (100, 3): 0, (100, 4): 5, (100, 5): 25},
    (2013, A): {(100, 1): 1100, (110, 1): 110, (120, 1): 220, (130, 1): 440, (131, 1): 66,
                (140, 1): 160, (150, 1): 60, (160, 1): 110, (240, 1): 6,
                (100, 3): 12, (100, 4): 100, (100, 5): 328},
    # rejected: must not leak into any indicator
    (2013, B): {(100, 1): 9999, (110, 1): 9999, (240, 1): 99},
}
TR2 = {
    (2012, A): {300: 10000, 310: 400, 320: 300, 325: 60},
    (2012, B): {300: 5000, 310: 100, 320: 100, 325: 50},
    (2012, C): {300: 1000, 310: 30, 320: 45, 325: 0},
    (2013, A): {300: 12000, 310: 300, 320: 330, 325: 33},
    (2013, B): {300: 6000, 310: 240, 320: 120, 325: 60},
}
TR3 = {
    # 401 402 403 404 405 406 407 408
    (2012, A): dict(zip(range(401, 409), [1, 1, 2, 1, 4, 2, 1, 2], strict=True)),  # 8 met
    (2012, B): dict(zip(range(401, 409), [1, 0, 1, 0, 2, 1, 1, 0], strict=True)),  # 4 met
    (2012, C): dict(zip(range(401, 409), [1, 1, 0, 1, 4, 1, 0, 0], strict=True)),  # 6 met
    # 407 left blank (absent), 408 = 2 < 403 = 3: 6 met
    (2013, A): {401: 1, 402: 1, 403: 3, 404: 2, 405: 4, 406: 1, 408: 2},
    (2013, B): dict(zip(range(401, 409), [1, 1, 1, 1, 4, 1, 1, 1], strict=True)),  # 8 met
}
TR5 = {(2012, CITY): {500: 80000, 510: 50000}, (2013, CITY): {500: 120000}}
ROSTER = {
    (2012, A): ["p1", "p2", "p3", "p4", "p5"],
    (2012, B): ["p6", "p1"],  # p1 also reported by A (P05): counted once for the city
    (2013, A): ["p1", "p2", "p3", "p4", "p5", "p7"],
    (2013, B): ["p6", "p8"],
}
SUBMISSIONS = [
    *[(2012, u, f, "accepted") for u in (A, B, C) for f in ("TR1", "TR2", "TR3", "TR4")],
    (2012, CITY, "TR5", "accepted"),
    *[(2013, A, f, "accepted") for f in ("TR1", "TR2", "TR3", "TR4")],
    (2013, A, "TR2", "superseded"),
    (2013, B, "TR1", "rejected"),
    *[(2013, B, f, "accepted") for f in ("TR2", "TR3", "TR4")],
    (2013, CITY, "TR5", "accepted"),
]


def _observations() -> pd.DataFrame:
    rows = []
    for (year, unit), cells in TR1.items():
        rows += [(year, unit, "TR1", i, c, v) for (i, c), v in cells.items()]
    for name, data in (("TR2", TR2), ("TR3", TR3), ("TR5", TR5)):
        for (year, unit), cells in data.items():
            rows += [(year, unit, name, i, 1, v) for i, v in cells.items()]
    frame = pd.DataFrame(rows, columns=["year", "unit_code", "form", "item", "column", "value"])
    return frame.assign(source="f.xlsx!表1!C7").astype(
        {"year": "int64", "unit_code": "string", "form": "string", "item": "int64", "column": "int64",
         "value": "float64", "source": "string"}
    )


def _submissions() -> pd.DataFrame:
    frame = pd.DataFrame(SUBMISSIONS, columns=["year", "unit_code", "form", "status"])
    return frame.assign(source_file="x.xlsx", sha256="0").astype(
        {"year": "int64", "unit_code": "string", "form": "string", "status": "string"}
    )


def _roster() -> pd.DataFrame:
    rows = [(y, u, p) for (y, u), people in ROSTER.items() for p in people]
    frame = pd.DataFrame(rows, columns=["year", "unit_code", "person"])
    return frame.astype({"year": "int64", "unit_code": "string", "person": "string"})


def _population() -> pd.DataFrame:
    pops = {A: 200_000, B: 100_000, C: 50_000, CITY: 1_000_000}
    rows = [(y, u, float(p)) for y in (2012, 2013) for u, p in pops.items()]
    return pd.DataFrame(rows, columns=["year", "unit_code", "population"]).astype({"unit_code": "string"})


def _with_targets(profile, targets: dict):
    """The test profile with other plan targets (city.yaml ``targets:``)."""
    return replace(profile, city=replace(profile.city, targets=check_targets(targets)))


@pytest.fixture(scope="module")
def result(profile) -> pd.DataFrame:
    return compute_indicators(_observations(), _submissions(), _roster(), _population(), profile)


def _get(res: pd.DataFrame, year: int, unit: str, ind: str) -> float | None:
    hit = res[(res["year"] == year) & (res["unit_code"] == unit) & (res["indicator"] == ind)]
    assert len(hit) <= 1
    return None if hit.empty else float(hit["value"].iloc[0])


def _check(res: pd.DataFrame, expected: dict[tuple[int, str, str], float | None]) -> None:
    for (year, unit, ind), want in expected.items():
        got = _get(res, year, unit, ind)
        if want is None:
            assert got is None, f"{year} {unit} {ind}: expected missing, got {got}"
        else:
            assert got == pytest.approx(want, abs=1e-9), f"{year} {unit} {ind}"


def test_schema(result):
    assert list(result.columns) == ["year", "unit_code", "indicator", "value"]
    assert str(result["unit_code"].dtype) == "string"
    assert not result.duplicated(["year", "unit_code", "indicator"]).any()
    assert result["value"].notna().all()


def test_tr1_indicators_per_unit(result):
    _check(result, {
        (2012, A, "I01"): 1000,
        (2012, A, "I02"): None,  # no 2011
        (2012, A, "I03"): 50,  # 1000 / 200,000 × 10,000
        (2012, A, "I04.110"): 10,  # 100 / 1000
        (2012, A, "I04.130"): 40,  # 400 / 1000
        (2012, A, "I04.140"): 15,  # 150 / 1000
        (2012, A, "I05"): 40,  # (10 + 90 + 300) / 1000
        (2012, A, "I06"): 10,  # 40 / 400
        (2012, A, "I07"): 5,
        (2012, B, "I03"): 50,  # 500 / 100,000 × 10,000
        (2012, B, "I04.140"): 30,  # 150 / 500
        (2012, B, "I05"): 20,  # (0 + 20 + 80) / 500
        (2012, B, "I06"): 30,  # 30 / 100
        (2012, C, "I03"): 20,  # 100 / 50,000 × 10,000
        (2012, C, "I06"): 10,  # 5 / 50
        (2012, C, "I07"): 0,  # a real zero stays
        (2013, A, "I01"): 1100,
        (2013, A, "I02"): 10,  # 1100 / 1000 − 1
        (2013, A, "I03"): 55,  # 1100 / 200,000 × 10,000
        (2013, A, "I04.140"): 160 / 1100 * 100,  # 14.5454...
        (2013, A, "I05"): 40,  # (12 + 100 + 328) / 1100
        (2013, A, "I06"): 15,  # 66 / 440
        (2013, A, "I07"): 6,
    })


def test_rejected_and_missing_units_have_no_values(result):
    # B's TR1 2013 was rejected: no TR1 indicator, though its stale numbers are in observations.
    for ind in ("I01", "I02", "I03", "I04.110", "I05", "I06", "I07"):
        assert _get(result, 2013, B, ind) is None, ind
    # ... but its accepted TR2, TR3 and TR4 count.
    assert _get(result, 2013, B, "I08") == pytest.approx(4)
    assert _get(result, 2013, B, "I07.roster") == 2
    # C sent nothing in 2013: no row at all, never 0.
    assert result[(result["year"] == 2013) & (result["unit_code"] == C)].empty


def test_city_tr1(result):
    _check(result, {
        (2012, CITY, "I01"): 1600,  # 1000 + 500 + 100
        (2012, CITY, "I02"): None,
        (2012, CITY, "I03"): 16,  # 1600 / 1,000,000 (city population) × 10,000
        (2012, CITY, "I04.110"): 10,  # (100 + 50 + 10) / 1600
        (2012, CITY, "I04.130"): 34.375,  # (400 + 100 + 50) / 1600
        (2012, CITY, "I05"): 33.125,  # (400 + 100 + 30) / 1600
        (2012, CITY, "I06"): 75 / 550 * 100,  # (40 + 30 + 5) / (400 + 100 + 50) = 13.636...
        (2012, CITY, "I07"): 7,  # 5 + 2 + 0
        (2012, CITY, "I07.roster"): 6,  # p1..p6; p1 (A and B) once
        (2013, CITY, "I01"): 1100,  # A only: B rejected, C missing
        # as published: 1100 / 1600 − 1 (coverage fell from 3 units to 1)
        (2013, CITY, "I02"): -31.25,
        # comparable units (A only): 1100 / 1000 − 1
        (2013, CITY, "I02.matched"): 10,
        (2013, CITY, "I03"): 11,  # 1100 / 1,000,000 × 10,000
        (2013, CITY, "I07"): 6,
        (2013, CITY, "I07.roster"): 8,  # p1..p5, p7 (A) + p6, p8 (B)
    })


def test_city_ratios_are_sums_not_means(result):
    # I06 2012: units 10, 30, 10 -> mean 16.67; city = 75 / 550 = 13.64.
    assert _get(result, 2012, CITY, "I06") == pytest.approx(13.636363636)
    # I08 2012: units 4, 2, 3 -> mean 3; city = 530 / 16,000 = 3.3125.
    assert _get(result, 2012, CITY, "I08") == pytest.approx(3.3125)


def test_fund_indicators(result):
    _check(result, {
        (2012, A, "I08"): 4,  # 400 / 10,000
        (2012, A, "I09"): 1,
        (2012, A, "I10"): 0,  # max(0, 300 − 400)
        (2012, A, "I11"): 75,  # 300 / 400
        (2012, A, "I11.services"): 20,  # 60 / 300
        (2012, A, "I08.attainment"): 400 / 3,  # 4 / 3
        (2012, B, "I08"): 2,
        (2012, B, "I09"): 0,
        (2012, B, "I10"): 50,  # 3% × 5000 − 100
        (2012, B, "I11"): 100,
        (2012, C, "I08"): 3,  # exactly 3%: compliant
        (2012, C, "I09"): 1,
        (2012, C, "I10"): 0,
        (2012, C, "I11"): 150,  # 45 / 30: spending above budget is kept
        (2012, C, "I11.services"): 0,
        (2012, CITY, "I09"): 2,  # A and C
        (2012, CITY, "I09.share"): 200 / 3,  # 2 of 3 units with an accepted TR2
        (2012, CITY, "I10"): 50,  # gaps summed; A's surplus does not offset B's gap
        (2012, CITY, "I11"): 445 / 530 * 100,  # (300 + 100 + 45) / (400 + 100 + 30)
        (2012, CITY, "I11.services"): 110 / 445 * 100,  # (60 + 50 + 0) / 445
        (2012, CITY, "I08.attainment"): 3.3125 / 3 * 100,
        (2013, A, "I08"): 2.5,  # 300 / 12,000
        (2013, A, "I09"): 0,
        (2013, A, "I10"): 60,  # 360 − 300
        (2013, A, "I11"): 110,
        (2013, B, "I10"): 0,
        (2013, B, "I11"): 50,  # 120 / 240
        (2013, CITY, "I08"): 3,  # 540 / 18,000
        (2013, CITY, "I09"): 1,
        (2013, CITY, "I09.share"): 50,  # 1 of 2
        (2013, CITY, "I10"): 60,
        (2013, CITY, "I11"): 450 / 540 * 100,
    })


def test_city_investment(result):
    _check(result, {
        (2012, CITY, "I12.amount"): 80000,
        (2012, CITY, "I12"): 80,  # 80,000 / 100,000
        (2012, CITY, "I12.cum_amount"): 80000,
        (2012, CITY, "I12.cum"): 16,  # 80,000 / 500,000
        (2013, CITY, "I12.amount"): 120000,
        (2013, CITY, "I12"): 120,
        (2013, CITY, "I12.cum_amount"): 200000,  # 80,000 + 120,000
        (2013, CITY, "I12.cum"): 40,  # 200,000 / 500,000
    })
    # units have no I12
    assert result[result["indicator"].str.startswith("I12") & (result["unit_code"] != CITY)].empty


def test_cumulative_needs_every_year_from_2012(profile):
    subs = _submissions()
    subs = subs.assign(status=subs["status"].mask((subs["year"] == 2012) & (subs["form"] == "TR5"), "rejected"))
    res = compute_indicators(_observations(), subs, _roster(), _population(), profile, assessment=False)
    assert _get(res, 2013, CITY, "I12") == pytest.approx(120)
    assert _get(res, 2013, CITY, "I12.cum") is None
    assert _get(res, 2012, CITY, "coverage.TR5") == 0


def test_mechanisms(result):
    _check(result, {
        (2012, A, "I13"): 8,
        (2012, B, "I13"): 4,  # 402, 404, 405 (2 < 4), 408 (0 < 1) not met
        (2012, C, "I13"): 6,  # 403 (0) and 407 (0) not met; 408 0 >= 403 0 met
        (2013, A, "I13"): 6,  # 407 blank = 0; 408 (2) < 403 (3)
        (2013, B, "I13"): 8,
        (2012, CITY, "I13"): 1,  # units meeting all 8: A
        (2012, CITY, "I13.share"): 100 / 3,
        (2013, CITY, "I13"): 1,  # B
        (2013, CITY, "I13.share"): 50,
    })


def test_roster_counts(result):
    _check(result, {
        (2012, A, "I07.roster"): 5,
        (2012, B, "I07.roster"): 2,
        (2012, C, "I07.roster"): 0,  # accepted, empty roster: a real zero
        (2013, A, "I07.roster"): 6,
    })


def test_coverage(result):
    _check(result, {
        (2012, CITY, "coverage.TR1"): 3,
        (2012, CITY, "coverage.TR2"): 3,
        (2012, CITY, "coverage.TR3"): 3,
        (2012, CITY, "coverage.TR4"): 3,
        (2012, CITY, "coverage.TR5"): 1,
        (2013, CITY, "coverage.TR1"): 1,  # B rejected, C missing
        (2013, CITY, "coverage.TR2"): 2,  # the superseded file of A counts once
        (2013, CITY, "coverage.TR3"): 2,
        (2013, CITY, "coverage.TR4"): 2,
        (2013, CITY, "coverage.TR5"): 1,
    })
    assert result[result["indicator"].str.startswith("coverage") & (result["unit_code"] != CITY)].empty


def test_assessment_rows(result):
    # Worked out in full in test_assessment.py's style; default weights 30/30/20/20.
    # 2012 D1 (I02 missing everywhere, reweighted): I03 50/50/20 -> 100/100/0; I07 per 1000
    #   talents 5/4/0 -> 100/80/0; D1 = A 100, B 90, C 0.
    # D2: I08 target 3 -> 100/66.67/100 (w2); I11 target 100 -> 75/100/100; services 20/50/0 ->
    #   40/100/0; D2 = A 78.75, B 83.33, C 75.
    # D3: I05 40/20/30 -> 100/0/50; I06 10/30/10 -> 0/100/0; D3 = A 50, B 50, C 25.
    # D4: I13 8/4/6 of 8 -> 100/50/75.
    # I14 = (30 D1 + 30 D2 + 20 D3 + 20 D4) / 100: A 83.625, B 72.0, C 42.5.
    _check(result, {
        (2012, A, "I14.D1"): 100, (2012, B, "I14.D1"): 90, (2012, C, "I14.D1"): 0,
        (2012, A, "I14.D2"): 78.75, (2012, B, "I14.D2"): 250 / 3, (2012, C, "I14.D2"): 75,
        (2012, A, "I14"): 83.625, (2012, B, "I14"): 72, (2012, C, "I14"): 42.5,
        (2012, A, "I14.rank"): 1, (2012, B, "I14.rank"): 2, (2012, C, "I14.rank"): 3,
        # 2013: A alone in D1/D3 (100 each); D2 = (2 × 83.33 + 100 + 0) / 4 = 66.67; D4 = 75.
        (2013, A, "I14"): 85,
        (2013, A, "I14.rank"): 1,
        # B: no TR1 -> no D1, no D3 -> no score, no rank; D2 (2×100 + 50 + 100)/4 and D4 remain.
        (2013, B, "I14"): None,
        (2013, B, "I14.rank"): None,
        (2013, B, "I14.D2"): 87.5,
        (2013, B, "I14.D4"): 100,
    })
    assert result[result["indicator"].str.startswith("I14") & (result["unit_code"] == CITY)].empty


def test_targets_are_configuration(profile):
    targets = {"I08": {"value": 2}, "I01": [{"from": 2013, "to": 2013, "value": 2200}],
               "I12.amount": {"value": 100000, "from": 2012},
               "I12.cum_amount": {"value": 500000, "from": 2012, "to": 2016}}
    res = compute_indicators(_observations(), _submissions(), _roster(), _population(),
                             _with_targets(profile, targets), assessment=False)
    assert _get(res, 2012, B, "I09") == 1  # 2% now meets a 2% line
    assert _get(res, 2012, B, "I10") == 0
    assert _get(res, 2012, A, "I08.attainment") == pytest.approx(200)  # 4 / 2
    assert _get(res, 2013, CITY, "I01.attainment") == pytest.approx(50)  # 1100 / 2200
    assert _get(res, 2012, CITY, "I01.attainment") is None  # no target for 2012
    assert _get(res, 2012, A, "I14") is None  # assessment=False


def test_a_line_that_changes_in_2017_applies_from_2017(profile):
    # The fixture moved to 2016-2017; the line is 3% from 2013 and 4% from 2017.
    def later(frame):
        return frame.assign(year=frame["year"] + 4)

    targets = {"I08": [{"from": 2013, "value": 3}, {"from": 2017, "value": 4}]}
    res = compute_indicators(later(_observations()), later(_submissions()), later(_roster()),
                             later(_population()), _with_targets(profile, targets), assessment=False)
    _check(res, {
        (2016, A, "I09"): 1,  # 4% against 3%
        (2016, B, "I09"): 0,  # 2% against 3%
        (2016, B, "I10"): 50,  # 3% × 5000 − 100
        (2016, CITY, "I09"): 2,
        (2016, CITY, "I10"): 50,
        (2017, A, "I09"): 0,  # 2.5% against 4%
        (2017, A, "I10"): 180,  # 4% × 12,000 − 300
        (2017, B, "I09"): 1,  # exactly 4%
        (2017, B, "I10"): 0,
        (2017, CITY, "I09"): 1,
        (2017, CITY, "I10"): 180,
        (2017, A, "I08.attainment"): 62.5,  # 2.5 / 4
    })


def test_empty_inputs(profile):
    res = compute_indicators(_observations().iloc[0:0], _submissions().iloc[0:0], _roster().iloc[0:0], _population(),
                             profile)
    assert res.empty
    assert list(res.columns) == ["year", "unit_code", "indicator", "value"]


def test_only_accepted_submissions_count():
    acc = accepted_forms(_submissions())
    assert len(acc) == 12 + 1 + 4 + 3 + 1  # the superseded and the rejected rows are gone
    assert not acc.duplicated().any()


def test_a_number_given_twice_is_refused_with_its_cell(profile):
    obs = _observations()
    twice = pd.concat([obs, obs.iloc[[3]].assign(value=1.0)], ignore_index=True)
    first = obs.iloc[3]
    with pytest.raises(ValueError, match=(
            f"2 duplicate numbers, e.g. {first['year']} {first['unit_code']} "
            f"{first['form']}:{first['item']}:{first['column']}")):
        compute_indicators(twice, _submissions(), _roster(), _population(), profile)


def test_dictionary_covers_every_indicator(result, profile):
    d = indicator_dictionary(profile)
    assert d["indicator"].is_unique
    assert set(result["indicator"]) <= set(d["indicator"])
    row = d.set_index("indicator").loc["I04.150"]
    assert row["name"] == "农村实用人才占比"  # item name from forms.yaml
    assert row["formula"] == "TR1 150/1 ÷ TR1 100/1 × 100"
    assert d.set_index("indicator").loc["I08", "clause"] == "实施方案第22条"
    assert set(d["scope"]) == {"unit", "city", "both"}
    # a configured target adds its attainment entry
    d2 = indicator_dictionary(_with_targets(profile, {"I08": 3, "I03": {"value": 40}}))
    assert d2.set_index("indicator").loc["I03.attainment", "name"] == "人才密度完成率"


def test_mechanism_minima_as_data(profile):
    m = mechanism_minima(profile).set_index("item")
    assert list(m.index) == list(range(401, 409))
    assert m.loc[405, "min"] == 4
    assert m.loc[408, "item_min"] == 403
    assert m.loc[404, "clause"] == "实施方案第5条"
