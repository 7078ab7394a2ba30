"""The sample collection read back against its catalogue: every deviation gives the catalogue's
correct values, and exactly the predicted findings (no false alarms on clean units)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from talentstats.profile.units import CITY
from talentstats.store import catalog

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
    # a rejected form is rejected only on the forms its rule names; a file-level error (a file
    # held by X04) on every form of its file
    rejected = subs[subs["status"] == "rejected"]
    errors = catalog.read_dataset(sample_run.processed, "findings").query("severity == 'error'")
    held = set(errors.loc[errors["form"] == "", "source_file"]) - set(
        subs.loc[subs["status"] == "unreadable", "source_file"])
    assert set(zip(rejected["source_file"], rejected["form"], strict=True)) == {
        (f, form) for f, form in zip(errors["source_file"], errors["form"], strict=True) if form
    } | {(f, form) for f, form in zip(subs["source_file"], subs["form"], strict=True) if f in held}


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
    from talentstats.store.export import export
    from talentstats.store.query import run_query

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


# --- the new year's deviations (issue 14), one by one ------------------------------------------

NEW_DEVIATIONS = ("decoy_template", "instructions_sheet", "stacked_forms", "money_unit_in_header",
                  "money_unit_in_title", "hidden_stale_rows", "hidden_rows", "footnote_marks",
                  "neighbour_template", "roster_undated_resubmission", "unit_mismatch")
_WARNINGS = {"F05", "F11"}


def _datasets(sample_run):
    return {name: catalog.read_dataset(sample_run.processed, name)
            for name in ("observations", "findings", "submissions", "roster")}


@pytest.mark.parametrize("deviation", NEW_DEVIATIONS)
def test_new_deviation_reads_as_catalogued(sample_run, deviation):
    """Per file of the deviation: each form's status, exactly the catalogue's rules (with their
    severity), and every number of an accepted form equal to the truth, read from that file."""
    cat, truth = sample_run.catalogue(), sample_run.truth()
    data = _datasets(sample_run)
    subs, findings, obs = data["submissions"], data["findings"], data["observations"]
    rows = cat[cat["deviation"] == deviation]
    assert len(rows) >= 1
    for row in rows.itertuples():
        year, source = int(row.year), _strip_year(row.file)
        mine = subs[(subs["year"] == year) & (subs["source_file"] == source)]
        status = dict(zip(mine["form"], mine["status"], strict=True))
        assert len(status) == len(mine)  # one status per form of the file
        assert {f: status.get(f) for f in row.forms.split(";")} == dict.fromkeys(row.forms.split(";"),
                                                                                row.expected_status)
        got = findings[(findings["year"] == year) & (findings["source_file"] == source)]
        assert sorted(set(got["rule"])) == sorted(set(filter(None, row.expected_rules.split(";"))))
        for rule, severity in zip(got["rule"], got["severity"], strict=True):
            want = "error" if deviation == "neighbour_template" else "warning"
            assert severity == (want if rule == "X04" else "warning" if rule in _WARNINGS else severity), rule
        numbers = obs[(obs["year"] == year) & (obs["source"].str.split("!").str[0] == source)
                      & obs["form"].isin(row.forms.split(";"))]
        expected = truth[(truth["file"] == row.file) & (truth["accepted"].astype(str) == "True")
                         & truth["form"].isin(row.forms.split(";"))]
        if row.expected_status != "accepted":
            assert numbers.empty
            continue
        key = ["unit_code", "form", "item", "column"]
        merged = expected.merge(numbers, on=key, how="outer", suffixes=("_truth", "_read"), indicator=True)
        assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key]
        assert ((merged["value_truth"] - merged["value_read"]).abs() <= 1e-6).all()
        assert set(merged["unit_code"]) == {row.unit_code}


def _hidden_rows(path) -> list[int]:
    """1-based numbers of the hidden rows of sheet 表1, read from the file itself."""
    import openpyxl
    import xlrd

    if path.suffix == ".xls":
        sheet = xlrd.open_workbook(str(path), formatting_info=True).sheet_by_name("表1")
        return sorted(r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden)
    ws = openpyxl.load_workbook(path)["表1"]
    return sorted(r for r, dim in ws.row_dimensions.items() if dim.hidden)


@pytest.mark.parametrize("deviation", ["hidden_stale_rows", "hidden_rows"])
def test_hidden_rows_are_named_and_never_read(sample_run, deviation):
    cat = sample_run.catalogue()
    row = cat[cat["deviation"] == deviation].iloc[0]
    data = _datasets(sample_run)
    source = _strip_year(row["file"])
    hidden = _hidden_rows(sample_run.sample / row["file"])
    assert len(hidden) == 3
    f11 = data["findings"][(data["findings"]["source_file"] == source) & (data["findings"]["rule"] == "F11")]
    named = {int(re.sub(r"\D", "", ref.split("!")[1])) for ref in ";".join(f11["cells"]).split(";")}
    assert named == set(hidden)
    read_rows = {int(re.sub(r"\D", "", ref.rsplit("!", 1)[1]))
                 for ref in data["observations"].query("form == 'TR1'").loc[
                     lambda d: d["source"].str.startswith(source + "!"), "source"]}
    assert not read_rows & set(hidden)
    assert {r + 1 for r in hidden} <= read_rows  # the visible row under each hidden one is read


def test_a_file_naming_a_neighbour_is_held_and_supersedes_nobody(sample_run):
    cat, truth = sample_run.catalogue(), sample_run.truth()
    data = _datasets(sample_run)
    row = cat[cat["deviation"] == "neighbour_template"].iloc[0]
    year, held = int(row["year"]), _strip_year(row["file"])
    x04 = data["findings"][(data["findings"]["source_file"] == held) & (data["findings"]["rule"] == "X04")]
    assert x04["severity"].tolist() == ["error"]
    assert "清溪镇" in x04["message"].item() and "凤岗镇" in x04["message"].item() and held in x04["message"].item()
    obs = data["observations"][data["observations"]["year"] == year]
    assert not obs["source"].str.startswith(held + "!").any()
    for unit in ("441900117", "441900115"):  # 凤岗 (the file's name) and 清溪 (its sheets)
        own = cat[(cat["year"] == str(year)) & (cat["unit_code"] == unit) & (cat["deviation"] == "clean")]["file"].item()
        mine = obs[obs["unit_code"] == unit]
        assert set(mine["source"].str.split("!").str[0]) == {_strip_year(own)}
        want = truth[(truth["file"] == own)].set_index(["form", "item", "column"])["value"]
        assert mine.set_index(["form", "item", "column"])["value"].sort_index().equals(want.sort_index())
        subs = data["submissions"]
        accepted = subs[(subs["year"] == year) & (subs["unit_code"] == unit) & (subs["status"] == "accepted")]
        assert set(accepted["source_file"]) == {_strip_year(own)}


def test_an_assigned_file_counts_for_the_unit_it_is_assigned_to(sample_run):
    data = _datasets(sample_run)
    assigned = "大朗镇人才报表2015.xlsx"
    x04 = data["findings"][(data["findings"]["source_file"] == assigned) & (data["findings"]["rule"] == "X04")]
    assert x04["severity"].tolist() == ["warning"] and x04["unit_code"].tolist() == ["441900118"]
    assert "大岭山镇" in x04["message"].item()
    obs = data["observations"][data["observations"]["year"] == 2015]
    files = obs.assign(file=obs["source"].str.split("!").str[0]).groupby("unit_code")["file"].agg(set)
    assert files["441900118"] == {assigned}
    assert files["441900113"] == {"大朗镇2015年人才统计报表.xlsx"}


def test_an_undated_roster_follows_its_workbooks_date(sample_run):
    cat, truth = sample_run.catalogue(), sample_run.truth()
    data = _datasets(sample_run)
    rows = cat[cat["deviation"] == "roster_undated_resubmission"].set_index("expected_status")
    old, new = _strip_year(rows.loc["superseded", "file"]), _strip_year(rows.loc["accepted", "file"])
    year, unit = int(rows.loc["accepted", "year"]), rows.loc["accepted", "unit_code"]
    subs = data["submissions"]
    tr4 = subs[(subs["year"] == year) & (subs["unit_code"] == unit) & (subs["form"] == "TR4")]
    assert dict(zip(tr4["source_file"], tr4["status"], strict=True)) == {old: "superseded", new: "accepted"}
    assert data["findings"].query("source_file in @old or source_file in @new").empty
    roster = data["roster"][(data["roster"]["year"] == year) & (data["roster"]["unit_code"] == unit)]
    assert set(roster["source"].str.split("!").str[0]) == {new}
    t240 = truth[(truth["file"] == rows.loc["accepted", "file"]) & (truth["item"] == 240) & (truth["column"] == 1)]
    assert len(roster) == int(t240["value"].item())
