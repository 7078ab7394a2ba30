"""The towns' assessment I14 on hand-built indicator frames.

Fixture (year 2013): unit A wins on D1 (team building), unit B on D2 (environment); D3 and D4
are equal. Unit C lacks I02 (first year) and unit D has no TR2 (no D2 indicator at all).
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml

from talentstats.analysis.assessment import assess, dimension_table
from talentstats.analysis.declarations import build_assessment
from talentstats.errors import ConfigError
from talentstats.profile.config import load_profile

A, B, C, D, CITY = "441900003", "441900004", "441900005", "441900006", "441900"

# A: growth 20%, density 100, 10 high-level per 1000 talents; fund 1% (of 3), execution 50%,
#    services 10%.
# B: growth 0%, density 50, 2 per 1000; fund 3%, execution 100%, services 30%.
# D3 (I05 30, I06 10) and D4 (I13 8) identical for both.
VALUES = {
    A: {"I01": 1000, "I02": 20, "I03": 100, "I07": 10, "I08": 1, "I11": 50, "I11.services": 10,
        "I05": 30, "I06": 10, "I13": 8},
    B: {"I01": 1000, "I02": 0, "I03": 50, "I07": 2, "I08": 3, "I11": 100, "I11.services": 30,
        "I05": 30, "I06": 10, "I13": 8},
}


def _frame(values: dict[str, dict[str, float]], year: int = 2013) -> pd.DataFrame:
    rows = [(year, u, ind, float(v)) for u, inds in values.items() for ind, v in inds.items()]
    # a city row must be ignored
    rows.append((year, CITY, "I03", 999.0))
    frame = pd.DataFrame(rows, columns=["year", "unit_code", "indicator", "value"])
    return frame.astype({"unit_code": "string", "indicator": "string"})


def _get(res: pd.DataFrame, unit: str, ind: str) -> float | None:
    hit = res[(res["unit_code"] == unit) & (res["indicator"] == ind)]
    return None if hit.empty else float(hit["value"].iloc[0])


def _config(profile) -> dict:
    """An editable copy of the profile's assessment configuration."""
    return copy.deepcopy(dict(profile.assessment))


def _with(profile, cfg: dict):
    """The profile with another assessment configuration, checked as a profile's is."""
    return replace(profile, assessment=build_assessment(cfg, "test", profile.city.targets))


def _with_weights(profile, d1: float, d2: float):
    cfg = _config(profile)
    cfg["dimensions"]["D1"]["weight"] = d1
    cfg["dimensions"]["D2"]["weight"] = d2
    return _with(profile, cfg)


def test_default_scores_by_hand(profile):
    res = assess(_frame(VALUES), profile)
    # D1: minmax over A and B: A 100 on all three, B 0 -> A 100, B 0.
    assert _get(res, A, "I14.D1") == pytest.approx(100)
    assert _get(res, B, "I14.D1") == pytest.approx(0)
    # D2: A = (2 × 1/3 × 100 + 1 × 50 + 1 × 0) / 4 = 29.1667; B = (2 × 100 + 100 + 100) / 4 = 100.
    assert _get(res, A, "I14.D2") == pytest.approx(350 / 12)
    assert _get(res, B, "I14.D2") == pytest.approx(100)
    # D3: equal values -> both 100; D4: 8 of 8 -> 100.
    for u in (A, B):
        assert _get(res, u, "I14.D3") == pytest.approx(100)
        assert _get(res, u, "I14.D4") == pytest.approx(100)
    # I14 (30/30/20/20): A = (3000 + 30 × 29.1667 + 2000 + 2000) / 100 = 78.75;
    #                    B = (0 + 3000 + 2000 + 2000) / 100 = 70.
    assert _get(res, A, "I14") == pytest.approx(78.75)
    assert _get(res, B, "I14") == pytest.approx(70)
    assert _get(res, A, "I14.rank") == 1
    assert _get(res, B, "I14.rank") == 2
    assert res[res["unit_code"] == CITY].empty


def test_changing_a_weight_changes_the_ranking(profile):
    # D1 10, D2 50: A = (1000 + 50 × 29.1667 + 4000) / 100 = 64.58; B = (0 + 5000 + 4000) / 100 = 90.
    res = assess(_frame(VALUES), _with_weights(profile, 10, 50))
    assert _get(res, A, "I14") == pytest.approx(64.5833333)
    assert _get(res, B, "I14") == pytest.approx(90)
    assert _get(res, B, "I14.rank") == 1
    assert _get(res, A, "I14.rank") == 2


def test_weights_from_a_profiles_edited_yaml_file(profile, tmp_path):
    cfg = _config(profile)
    cfg["dimensions"]["D1"]["weight"] = 10
    cfg["dimensions"]["D2"]["weight"] = 50
    folder = tmp_path / "profile"
    shutil.copytree(Path(profile.folder), folder)
    (folder / "assessment.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    res = assess(_frame(VALUES), load_profile(folder))
    assert _get(res, B, "I14.rank") == 1


def test_missing_indicator_reweight_and_zero(profile):
    # C: no I02; I03 75 and 6 per 1000 sit half-way and at 50% between B and A.
    values = {**VALUES, C: {**VALUES[B], "I03": 75, "I07": 6}}
    values[C].pop("I02")
    res = assess(_frame(values), profile)
    # reweight: D1 = mean(I03 50, I07/I01 50) = 50
    assert _get(res, C, "I14.D1") == pytest.approx(50)
    cfg = _config(profile)
    cfg["missing_indicator"] = "zero"
    res0 = assess(_frame(values), _with(profile, cfg))
    # zero: D1 = (0 + 50 + 50) / 3
    assert _get(res0, C, "I14.D1") == pytest.approx(100 / 3)


def test_unit_without_a_dimension_is_not_ranked(profile):
    values = {**VALUES, D: {k: v for k, v in VALUES[A].items() if k not in ("I08", "I11", "I11.services")}}
    res = assess(_frame(values), profile)
    assert _get(res, D, "I14.D2") is None
    assert _get(res, D, "I14") is None
    assert _get(res, D, "I14.rank") is None
    assert _get(res, D, "I14.D1") == pytest.approx(100)  # ties A at the top of every D1 indicator
    assert _get(res, A, "I14.rank") == 1


def test_ties_share_a_rank(profile):
    res = assess(_frame({A: VALUES[A], B: VALUES[A]}), profile)
    assert _get(res, A, "I14.rank") == 1
    assert _get(res, B, "I14.rank") == 1


def test_lower_is_better_direction(profile):
    cfg = _config(profile)
    cfg["dimensions"]["D1"]["indicators"] = [{"id": "I03", "method": "minmax", "direction": "lower"}]
    res = assess(_frame(VALUES), _with(profile, cfg))
    assert _get(res, B, "I14.D1") == pytest.approx(100)
    assert _get(res, A, "I14.D1") == pytest.approx(0)


def test_years_are_scored_separately(profile):
    frame = pd.concat([_frame(VALUES, 2012), _frame({A: VALUES[B], B: VALUES[A]}, 2013)])
    res = assess(frame, profile)
    assert res.loc[(res["year"] == 2012) & (res["unit_code"] == A) & (res["indicator"] == "I14.rank"), "value"].item() == 1
    assert res.loc[(res["year"] == 2013) & (res["unit_code"] == B) & (res["indicator"] == "I14.rank"), "value"].item() == 1


def test_bad_config_is_a_clear_error(profile):
    cfg = _config(profile)
    cfg["dimensions"]["D1"]["weight"] = -1
    with pytest.raises(ConfigError, match=r"dimensions\.D1\.weight"):
        _with(profile, cfg)
    cfg = _config(profile)
    cfg["dimensions"]["D2"]["indicators"][0]["method"] = "rank"
    with pytest.raises(ConfigError, match=r"dimensions\.D2\.indicators\[0\]\.method"):
        _with(profile, cfg)
    with pytest.raises(ConfigError, match="city.yaml"):
        _with(profile, {**_config(profile), "targets": {"I08": 3}})


def test_default_config_and_dimension_table(profile):
    cfg = profile.assessment
    assert {d: s["weight"] for d, s in cfg["dimensions"].items()} == {"D1": 30, "D2": 30, "D3": 20, "D4": 20}
    table = dimension_table(profile)
    assert set(table["dimension"]) == {"D1", "D2", "D3", "D4"}
    assert table.loc[table["indicator"] == "I07", "per"].item() == "I01"
    assert table.loc[table["indicator"] == "I08", "target"].item() == 3  # city.yaml's line
    assert table.loc[table["indicator"] == "I08", "label"].item() == "人才专项资金占财政总收入比例（达3%满分）"


def test_empty_frame(profile):
    empty = _frame({}).iloc[0:0]
    res = assess(empty, profile)
    assert res.empty
    assert list(res.columns) == ["year", "unit_code", "indicator", "value"]
