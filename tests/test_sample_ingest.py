"""The sample collection read back against its catalogue: every deviation gives the catalogue's
correct values, and exactly the predicted findings (no false alarms on clean units)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from talentstats import catalog
from talentstats.units import CITY

pytestmark = pytest.mark.slow


def _strip_year(file: str) -> str:
    return file.split("/", 1)[1] if "/" in file else file


def test_every_accepted_number_reads_back_to_the_truth(sample_run):
    truth = sample_run.truth()
    truth = truth[truth["accepted"].astype(str) == "True"]
    obs = catalog.read_dataset(sample_run.processed, "observations")
    key = ["year", "unit_code", "form", "item", "column"]
    merged = truth.merge(obs, on=key, how="outer", suffixes=("_truth", "_read"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key + ["_merge"]]
    diff = (merged["value_truth"] - merged["value_read"]).abs()
    assert (diff <= 1e-6).all(), merged[diff > 1e-6][key + ["value_truth", "value_read"]]
    # provenance: every number names its file, sheet and cell, and the file is the truth's
    assert (merged["source"].str.split("!").str[0] == merged["file"].map(_strip_year)).all()


def test_findings_are_exactly_the_planted_ones(sample_run):
    cat = sample_run.catalogue()
    cat = cat[cat["file"] != ""]
    expected = (
        cat.assign(rule=cat["expected_rules"].str.split(";")).explode("rule")
        .query("rule != ''")
        .assign(source_file=lambda d: d["file"].map(_strip_year), year=lambda d: d["year"].astype(int))
        [["year", "source_file", "rule"]].drop_duplicates()
    )
    findings = catalog.read_dataset(sample_run.processed, "findings")
    per_file = findings[findings["source_file"] != ""]
    got = per_file[["year", "source_file", "rule"]].drop_duplicates().astype(
        {"source_file": object, "rule": object})
    as_set = lambda d: set(map(tuple, d.to_numpy().tolist()))  # noqa: E731
    assert as_set(got) == as_set(expected)
    # the only finding without a file: 历年 rules not checked in the first year
    general = findings[findings["source_file"] == ""]
    assert general[["year", "rule"]].to_numpy().tolist() == [[2012, "H00"]]


def test_statuses_match_the_catalogue(sample_run):
    cat = sample_run.catalogue()
    subs = catalog.read_dataset(sample_run.processed, "submissions")
    for row in cat[cat["file"] != ""].itertuples():
        mine = subs[(subs["year"] == int(row.year))
                    & (subs["source_file"] == _strip_year(row.file))]
        if row.expected_status == "unreadable":
            assert mine["status"].tolist() == ["unreadable"], row.file
            continue
        for form in row.forms.split(";"):
            status = mine.loc[mine["form"] == form, "status"].tolist()
            want = row.expected_status if row.expected_status != "rejected" else None
            if want:
                assert status == [want], (row.file, form, status)
    # a rejected form is rejected only on the forms its rule names
    rejected = subs[subs["status"] == "rejected"]
    errors = catalog.read_dataset(sample_run.processed, "findings").query("severity == 'error'")
    assert set(zip(rejected["source_file"], rejected["form"], strict=True)) == {
        (f, form) for f, form in zip(errors["source_file"], errors["form"], strict=True) if form
    }


def test_a_unit_that_missed_a_year_has_no_data_and_no_indicator(sample_run):
    cat = sample_run.catalogue()
    missing = cat[cat["deviation"] == "missing_year"].iloc[0]
    year, unit = int(missing["year"]), missing["unit_code"]
    subs = catalog.read_dataset(sample_run.processed, "submissions")
    assert subs[(subs["year"] == year) & (subs["unit_code"] == unit)].empty
    ind = catalog.read_dataset(sample_run.processed, "indicators")
    assert ind[(ind["year"] == year) & (ind["unit_code"] == unit)].empty
    city = ind[(ind["year"] == year) & (ind["unit_code"] == CITY)].set_index("indicator")["value"]
    assert city["coverage.TR1"] < 35


def test_city_totals_equal_the_sums_of_the_observations(sample_run):
    obs = catalog.read_dataset(sample_run.processed, "observations")
    ind = catalog.read_dataset(sample_run.processed, "indicators")
    city = ind[ind["unit_code"] == CITY].pivot(index="year", columns="indicator", values="value")
    towns = obs[obs["unit_code"] != CITY]

    def total(form, item, column=1):
        sel = towns[(towns["form"] == form) & (towns["item"] == item) & (towns["column"] == column)]
        return sel.groupby("year")["value"].sum()

    tr1_units = towns[towns["form"] == "TR1"].groupby("year")["unit_code"].nunique()
    for year in city.index:
        assert city.loc[year, "I01"] == total("TR1", 100)[year]
        assert city.loc[year, "coverage.TR1"] == tr1_units[year]
        assert city.loc[year, "I07"] == total("TR1", 240)[year]
        ratio = total("TR2", 310)[year] / total("TR2", 300)[year] * 100
        assert city.loc[year, "I08"] == pytest.approx(ratio, rel=1e-12)
        tr5 = obs[(obs["unit_code"] == CITY) & (obs["item"] == 500) & (obs["year"] == year)]
        assert city.loc[year, "I12"] == pytest.approx(tr5["value"].item() / 100_000 * 100)


# an ID number standing alone (not inside a sha256 or a pseudonym)
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def roster_names(sample_run) -> set[str]:
    """The names typed in the sample rosters, read from the raw files themselves."""
    from python_calamine import CalamineWorkbook

    names: set[str] = set()
    for path in sorted(sample_run.sample.glob("*/*.xls*")):
        try:
            wb = CalamineWorkbook.from_path(str(path))
        except Exception:  # noqa: BLE001 - the planted corrupt files
            continue
        for sheet in wb.sheet_names:
            rows = wb.get_sheet_by_name(sheet).to_python()
            header = next((r for r in rows if "姓名" in [str(c).strip() for c in r]), None)
            if header is None:
                continue
            col = [str(c).strip() for c in header].index("姓名")
            names |= {str(r[col]).strip() for r in rows[rows.index(header) + 1:]
                      if len(r) > col and str(r[col]).strip()}
    assert len(names) > 500
    return names


def _assert_no_personal_data(frame: pd.DataFrame, names: set[str], where: str) -> None:
    cells = set(frame.astype("string").fillna("").to_numpy().ravel().tolist())
    joined = "\n".join(cells)
    assert not ID_PATTERN.search(joined), where
    assert [n for n in names if n in joined] == [], where


def test_no_dataset_holds_a_name_or_an_id_number(sample_run, roster_names):
    for name in catalog.DATASETS:
        _assert_no_personal_data(catalog.read_dataset(sample_run.processed, name), roster_names,
                                 name)


def test_queries_and_exports_hold_no_name_or_id_number(sample_run, roster_names, tmp_path):
    from talentstats.export import export
    from talentstats.query import run_query

    for name in catalog.DATASETS:
        _assert_no_personal_data(run_query(f"SELECT * FROM {name}", sample_run.processed),
                                 roster_names, f"query {name}")
    for fmt, read in (("csv", lambda p: pd.read_csv(p, dtype=str, encoding="utf-8-sig")),
                      ("dta", pd.read_stata),
                      ("xlsx", lambda p: pd.read_excel(p, sheet_name=None, dtype=str, engine="calamine"))):
        for path in export(sample_run.processed, tmp_path / fmt, fmt, datasets=["roster", "findings"]):
            back = read(path)
            frames = back.values() if isinstance(back, dict) else [back]
            for frame in frames:
                _assert_no_personal_data(frame, roster_names, f"{fmt} {path.name}")
