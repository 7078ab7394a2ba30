"""Plan targets as steps in time (talentstats.profile.targets), and their checks in city.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from talentstats.errors import ConfigError
from talentstats.profile.config import load_profile
from talentstats.profile.targets import Step, check_targets, fund_ratio_line, target_value

TEST_PROFILE = Path(__file__).parent / "fixtures" / "profile-test"


def test_a_line_that_changes_in_2017():
    t = check_targets({"I08": [{"from": 2013, "value": 3}, {"from": 2017, "value": 4}]})
    assert t["I08"] == (Step(3.0, 2013, 2016), Step(4.0, 2017, None))  # the first ends where the next starts
    assert [target_value(t, "I08", y) for y in (2012, 2013, 2016, 2017, 2030)] == [None, 3, 3, 4, 4]
    assert fund_ratio_line(t, 2016) == 3 and fund_ratio_line(t, 2017) == 4
    with pytest.raises(ConfigError, match="targets.I08 .*2012"):
        fund_ratio_line(t, 2012)


def test_plain_forms_stay_valid():
    t = check_targets({"I08": 3, "I12.amount": {"value": 100000, "from": 2012},
                       "I12.cum_amount": {"value": 500000, "from": 2012, "to": 2016}, "I03": None})
    assert target_value(t, "I08", 1990) == 3
    assert target_value(t, "I12.amount", 2011) is None and target_value(t, "I12.amount", 2040) == 100000
    assert target_value(t, "I12.cum_amount", 2016) == 500000 and target_value(t, "I12.cum_amount", 2017) is None
    assert target_value(t, "I03", 2013) is None and target_value(t, "I03", None) is None
    assert target_value(t, "I12.amount", None) == 100000  # None: the first step, whether one is set


@pytest.mark.parametrize(("steps", "field"), [
    ([{"from": 2017, "value": 4}, {"from": 2013, "value": 3}], r"targets\.I08\[1\]\.from"),  # not increasing
    ([{"value": 3}, {"from": 2017, "value": 4}], r"targets\.I08\[0\]\.from"),  # a step without from
    ([{"from": 2013, "to": 2018, "value": 3}, {"from": 2017, "value": 4}], r"targets\.I08\[1\]\.from"),  # overlap
    ([{"from": 2013, "value": "3%"}], r"targets\.I08\[0\]"),
    ([{"from": "later", "value": 3}], r"targets\.I08\[0\]\.from"),
    ([], r"targets\.I08"),
])
def test_a_malformed_step_list_names_the_file_and_field(tmp_path, steps, field):
    folder = tmp_path / "profile"
    shutil.copytree(TEST_PROFILE, folder)
    city = folder / "city.yaml"
    text = city.read_text("utf-8")
    line = next(s for s in text.splitlines() if s.startswith("  I08:"))
    city.write_text(text.replace(line, f"  I08: {steps!r}"), "utf-8")
    with pytest.raises(ConfigError, match=field) as err:
        load_profile(folder)
    assert str(city.resolve()) in str(err.value)
