"""The generated sample collection: consistent figures, every deviation, reproducible bytes."""

from __future__ import annotations

import os
from datetime import date

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from talentstats.profile.forms import form
from talentstats.profile.units import CITY
from talentstats.reading.ids import check_character, check_id_number
from talentstats.workbooks.sample import (
    DEVIATIONS,
    generate_sample,
    load_plan,
)

YEARS = range(2012, 2017)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    return generate_sample(out)


def _grid(values: pd.DataFrame) -> dict[tuple[int, int], float]:
    return {(int(r.item), int(r.column)): r.value for r in values.itertuples()}


def _clean_files(sample) -> set[str]:
    cat = sample.catalogue
    bad = cat.loc[cat["deviation"] != "clean", "file"]
    return set(cat["file"]) - set(bad)


def _sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


# --- the plan and the catalogue --------------------------------------------------------------


def test_plan_uses_known_units_and_years():
    plan = load_plan()
    assert {e.year for e in plan} <= set(YEARS)
    assert len({(e.unit, e.year, e.deviation) for e in plan}) == len(plan)


def test_catalogue_covers_every_deviation(sample):
    assert set(DEVIATIONS) <= set(sample.catalogue["deviation"])


def test_catalogue_expected_rules_and_status(sample):
    cat = sample.catalogue.set_index("deviation")
    for key in ("N01", "N05", "N09", "J01", "H01", "H02", "P01", "P04", "P05", "F01"):
        assert (cat.loc[[f"planted_{key}"], "expected_rules"] == key).all()
    assert set(cat.loc[["corrupt_file", "not_spreadsheet"], "expected_status"]) == {"unreadable"}
    assert cat.loc["money_yuan", "expected_rules"] == "F05"
    assert cat.loc["unit_mismatch", "expected_rules"] == "X04"
    assert sorted(cat.loc["resubmission", "expected_status"]) == ["accepted", "superseded"]
    # errors reject, warnings do not
    for key, status in {"N01": "rejected", "J01": "rejected", "P04": "rejected", "F01": "rejected",
                        "H01": "accepted", "H02": "accepted", "P05": "accepted"}.items():
        assert set(cat.loc[[f"planted_{key}"], "expected_status"]) == {status}


def test_catalogue_csv_has_bom_and_every_file(sample):
    raw = (sample.out_dir / "catalogue.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    on_disk = {p.relative_to(sample.out_dir).as_posix() for p in sample.out_dir.glob("*/*")}
    listed = set(sample.catalogue["file"]) - {""}
    assert on_disk == listed
    assert 175 <= len(on_disk) <= 200
    assert sample.catalogue.loc[sample.catalogue["file"] == "", "deviation"].tolist() == ["missing_year"]


def test_truth_excludes_superseded_and_unreadable(sample):
    cat = sample.catalogue
    gone = set(cat.loc[cat["expected_status"].isin(["superseded", "unreadable"]), "file"])
    assert gone and not gone & set(sample.truth["file"])
    rejected = sample.truth.loc[~sample.truth["accepted"]]
    assert set(rejected["form"]) == {"TR1", "TR2", "TR3"}


# --- the figures hold every rule in clean files ------------------------------------------------


def _check_tr1(g):
    cats = (110, 120, 130, 140, 150, 160)
    for c in range(1, 12):
        assert g[(100, c)] == sum(g[(i, c)] for i in cats), ("N01", c)
        assert g[(140, c)] == g[(141, c)] + g[(142, c)] + g[(143, c)], ("N02", c)
        assert g[(131, c)] + g[(132, c)] + g[(133, c)] <= g[(130, c)], ("N03", c)
        for i in (210, 220, 230, 240):
            assert g[(i, c)] <= g[(100, c)], ("N04", i, c)
    for item in form("TR1").item_codes:
        row = [g[(item, c)] for c in range(1, 12)]
        assert all(v >= 0 and v == int(v) for v in row)
        assert row[0] == sum(row[2:7]), ("N05", item)
        assert row[0] == sum(row[7:11]), ("N06", item)
        assert row[1] <= row[0], ("N07", item)


def _check_tr2(g):
    assert g[(300, 1)] > 0
    for c in (1, 2):
        assert abs(g[(320, c)] - sum(g[(i, c)] for i in range(321, 327))) < 0.005, ("N09", c)


def test_rules_hold_in_truth_for_clean_files(sample):
    truth = sample.truth[sample.truth["file"].isin(_clean_files(sample))]
    checked = 0
    for (_, _, code), g in truth.groupby(["year", "unit_code", "form"]):
        g = _grid(g)
        if code == "TR1":
            _check_tr1(g)
            checked += 1
        elif code == "TR2":
            _check_tr2(g)
        elif code == "TR3":
            assert g[(401, 1)] in (0, 1) and g[(402, 1)] in (0, 1)
    assert checked >= 120


def test_history_holds_between_clean_years(sample):
    """H01 (±30%) and H02 (column 2 = last year's column 1) hold wherever no break is planted."""
    t = sample.truth[sample.truth["accepted"]]
    planted = {(r.unit_code, r.year) for r in sample.catalogue.itertuples() if r.deviation in {"planted_H01", "planted_H02"}}
    total = t[(t["form"] == "TR1") & (t["item"] == 100) & (t["column"] == 1)].set_index(["unit_code", "year"])["value"]
    tr2 = t[t["form"] == "TR2"].set_index(["unit_code", "year", "item", "column"])["value"]
    pairs = 0
    for (u, y), v in total.items():
        if (u, y - 1) in total.index and (u, y) not in planted:
            assert 0.7 < v / total[(u, y - 1)] < 1.3
            pairs += 1
        for item in range(300, 327) if (u, y) not in planted else ():
            if (u, y - 1, item, 1) in tr2.index and (u, y, item, 2) in tr2.index:
                assert abs(tr2[(u, y, item, 2)] - tr2[(u, y - 1, item, 1)]) < 0.5
    assert pairs > 100


def test_planted_breaks_are_really_broken(sample):
    cat, truth = sample.catalogue, sample.truth

    def grid(dev, code):
        f = cat.loc[cat["deviation"] == dev, "file"].iloc[0]
        return _grid(truth[(truth["file"] == f) & (truth["form"] == code)])

    g = grid("planted_N01", "TR1")
    assert g[(100, 5)] != sum(g[(i, 5)] for i in (110, 120, 130, 140, 150, 160))
    g = grid("planted_N05", "TR1")
    assert g[(110, 1)] != sum(g[(110, c)] for c in range(3, 8))
    g = grid("planted_N09", "TR2")
    assert abs(g[(320, 1)] - sum(g[(i, 1)] for i in range(321, 327))) > 0.5
    assert (409, 1) not in grid("planted_F01", "TR3")

    h02 = cat[cat["deviation"] == "planted_H02"].iloc[0]
    now = truth[(truth["file"] == h02["file"]) & (truth["item"] == 300) & (truth["column"] == 2)]["value"].item()
    last = truth[(truth["unit_code"] == h02["unit_code"]) & (truth["year"] == h02["year"] - 1)
                 & (truth["form"] == "TR2") & (truth["item"] == 300) & (truth["column"] == 1)]["value"].item()
    assert abs(now - last) > 0.5

    h01 = cat[cat["deviation"] == "planted_H01"].iloc[0]
    tot = truth[(truth["unit_code"] == h01["unit_code"]) & (truth["item"] == 100) & (truth["column"] == 1)]
    by_year = tot.set_index("year")["value"]
    assert by_year[h01["year"]] / by_year[h01["year"] - 1] > 1.3


# --- magnitudes --------------------------------------------------------------------------------


def test_magnitudes_are_plausible(sample):
    t = sample.truth
    tr1 = t[(t["form"] == "TR1") & (t["column"] == 1)]
    city = tr1[tr1["item"] == 100].groupby("year")["value"].sum()
    assert 1.0e6 < city[2012] < 1.4e6
    hl = tr1[tr1["item"] == 240].groupby("year")["value"].sum()
    assert ((hl > 500) & (hl < 1300)).all()
    female = t[(t["form"] == "TR1") & (t["item"] == 100)].pivot_table(index="year", columns="column", values="value", aggfunc="sum")
    assert ((female[2] / female[1]).between(0.40, 0.45)).all()
    cats = tr1[tr1["item"].isin([110, 120, 130, 140, 150, 160])].groupby("item")["value"].sum()
    share = cats / cats.sum() * 100
    assert 38 < share[130] < 46 and 21 < share[120] < 29 and 22 < share[140] < 30 and 3 < share[110] < 6
    tr2 = t[(t["form"] == "TR2") & (t["column"] == 1)].pivot_table(index=["year", "unit_code"], columns="item", values="value")
    ratio = tr2[310] / tr2[300] * 100
    assert (ratio < 3).sum() >= 10 and (ratio >= 3).sum() >= 10
    assert 400_000 < tr2[300].max() < 800_000
    execution = tr2[320] / tr2[310]
    assert execution.between(0.69, 1.0).all()
    tr5 = t[(t["form"] == "TR5") & (t["item"] == 500)].set_index("year")["value"]
    assert sorted(tr5.index) == list(YEARS) and tr5.between(90_000, 112_000).all()
    assert (tr5 < 100_000).any() and (tr5 > 100_000).any()
    assert (t.loc[t["form"] == "TR5", "unit_code"] == CITY).all()


# --- files -------------------------------------------------------------------------------------


def test_xls_and_xlsm_open_with_calamine(sample):
    odd = [p for p in sample.files if p.suffix in {".xls", ".xlsm"}]
    assert {p.suffix for p in odd} == {".xls", ".xlsm"}
    for p in odd:
        wb = CalamineWorkbook.from_path(str(p))
        assert wb.sheet_names[:2] == ["填报说明", "表1"]
        rows = wb.get_sheet_by_name("表1").to_python()
        assert any("表号：东人统1表" in str(c) for r in rows for c in r)


def test_every_readable_file_opens_and_broken_ones_do_not(sample):
    status = sample.catalogue.groupby("file")["expected_status"].agg(set)
    for p in sample.files:
        rel = p.relative_to(sample.out_dir).as_posix()
        if "unreadable" in status[rel]:
            with pytest.raises(Exception):  # noqa: B017 - any parser error will do
                CalamineWorkbook.from_path(str(p)).get_sheet_by_index(1).to_python()
        else:
            assert CalamineWorkbook.from_path(str(p)).sheet_names


def test_cells_spell_values_as_planned(sample):
    cat, truth = sample.catalogue, sample.truth

    def first(dev):
        row = cat[cat["deviation"] == dev].iloc[0]
        return sample.out_dir / row["file"], row

    def cells(path, sheet):
        return [c for r in _sheet(path, sheet) for c in r]

    path, row = first("money_yuan")
    tr2 = _sheet(path, "表2")
    assert any(c == "单位：元" for r in tr2 for c in r)
    r300 = next(r for r in tr2 if r[1] == "300")
    v300 = truth[(truth["file"] == row["file"]) & (truth["item"] == 300) & (truth["column"] == 1)]["value"].item()
    assert r300[2] == pytest.approx(v300 * 10_000)
    path, _ = first("money_yiyuan")
    assert "单位：亿元" in cells(path, "表2")
    path, _ = first("thousands_separator")
    assert any(isinstance(c, str) and "," in c and c.replace(",", "").isdigit() for c in cells(path, "表1"))
    path, _ = first("fullwidth_digits")
    assert any(isinstance(c, str) and c and c[0] in "１２３４５６７８９" for c in cells(path, "表1"))
    path, _ = first("suffix_ren")
    assert any(isinstance(c, str) and c.endswith("人") and c[:-1].isdigit() for c in cells(path, "表1"))
    path, _ = first("dash_zero")
    found = set(cells(path, "表1")) | set(cells(path, "表3"))
    assert {"-", "—", "/", "无"} <= found
    path, _ = first("yes_no")
    assert {"是"} <= set(cells(path, "表3"))
    path, row = first("formula_cached")  # calamine reads the cached value
    t100 = truth[(truth["file"] == row["file"]) & (truth["form"] == "TR1") & (truth["item"] == 100) & (truth["column"] == 1)]
    assert t100["value"].item() in cells(path, "表1")
    path, _ = first("formula_uncached")
    import openpyxl
    ws = openpyxl.load_workbook(path)["表1"]
    assert any(isinstance(c.value, str) and c.value.startswith("=") for r in ws.iter_rows() for c in r)
    path, _ = first("sheet_names")
    assert CalamineWorkbook.from_path(str(path)).sheet_names[1] in {"人才资源", "Sheet1"}
    path, _ = first("no_code_column")
    assert "1.党政人才" in cells(path, "表1") and "（一）高级职称" in cells(path, "表1")


def test_resubmission_newer_file_has_later_date(sample):
    rows = sample.catalogue[sample.catalogue["deviation"] == "resubmission"].set_index("expected_status")
    old, new = (sample.out_dir / rows.loc[s, "file"] for s in ("superseded", "accepted"))

    def date_of(p):
        text = next(c for r in _sheet(p, "表1") for c in r if isinstance(c, str) and c.startswith("报出日期："))
        y, m, d = (int(x) for x in text.removeprefix("报出日期：").replace("年", " ").replace("月", " ").removesuffix("日").split())
        return date(y, m, d)

    assert date_of(new) > date_of(old)
    assert os.path.getmtime(new) > os.path.getmtime(old)


def test_rosters_have_valid_ids_that_agree_with_birth_and_sex(sample):
    cat = sample.catalogue
    p01 = set(cat.loc[cat["deviation"] == "planted_P01", "file"])
    persons = 0
    for rel in sorted(set(cat.loc[cat["deviation"] == "clean", "file"]))[:40]:
        path = sample.out_dir / rel
        if CalamineWorkbook.from_path(str(path)).sheet_names[-1] != "表4" or rel in p01:
            continue
        rows = _sheet(path, "表4")
        head = next(i for i, r in enumerate(rows) if r[0] == "序号")
        for r in rows[head + 1:]:
            if not r[3]:
                continue
            number = r[3]
            assert check_id_number(number) and number.startswith("44")
            assert r[4] == f"{number[6:10]}.{number[10:12]}"
            assert r[2] == ("男" if int(number[16]) % 2 else "女")
            persons += 1
    assert persons > 100
    assert check_character("11010519491231002") == "X"  # GB 11643 worked example


def test_same_bytes_on_a_rerun(sample, tmp_path):
    """A run over the first two years writes the same files, byte for byte, with the same mtimes."""
    again = generate_sample(tmp_path, years=range(2012, 2014))
    assert again.files
    for p in again.files:
        twin = sample.out_dir / p.relative_to(tmp_path)
        assert p.read_bytes() == twin.read_bytes(), p.name
        assert os.path.getmtime(p) == os.path.getmtime(twin)


# --- the new year's deviations (issue 14) -------------------------------------------------------


def _row_of(sample, deviation, status=None):
    cat = sample.catalogue
    rows = cat[(cat["deviation"] == deviation) & ((cat["expected_status"] == status) if status else True)]
    assert len(rows) == 1, (deviation, status, rows)
    return rows.iloc[0]


def _truth_of(sample, row, form_code):
    t = sample.truth
    return _grid(t[(t["file"] == row["file"]) & (t["form"] == form_code)])


def _report_dates(rows) -> list[date]:
    out = []
    for r in rows:
        for c in r:
            if isinstance(c, str) and c.startswith("报出日期："):
                y, m, d = (int(x) for x in c.removeprefix("报出日期：").replace("年", " ").replace("月", " ")
                           .removesuffix("日").split())
                out.append(date(y, m, d))
    return out


NEW_DEVIATIONS = {  # deviation -> (forms, expected_rules, expected_status)
    "decoy_template": ("TR1;TR2;TR3;TR4", "", "accepted"),
    "instructions_sheet": ("TR1;TR2;TR3;TR4", "", "accepted"),
    "stacked_forms": ("TR1;TR2;TR3;TR4", "", "accepted"),
    "money_unit_in_header": ("TR2", "F05", "accepted"),
    "money_unit_in_title": ("TR2", "F05", "accepted"),
    "hidden_stale_rows": ("TR1", "F11", "accepted"),
    "hidden_rows": ("TR1", "F11", "accepted"),
    "footnote_marks": ("TR1", "", "accepted"),
    "neighbour_template": ("TR1;TR2;TR3;TR4", "X04", "rejected"),
}


def test_new_deviations_are_catalogued_on_units_otherwise_clean(sample):
    cat = sample.catalogue
    for dev, (forms_, rules, status) in NEW_DEVIATIONS.items():
        row = _row_of(sample, dev)
        assert (row["forms"], row["expected_rules"], row["expected_status"]) == (forms_, rules, status), dev
        # the deviation is the only thing planted in its file
        assert cat.loc[cat["file"] == row["file"], "deviation"].tolist() == [dev], dev
    undated = cat[cat["deviation"] == "roster_undated_resubmission"]
    assert sorted(undated["expected_status"]) == ["accepted", "superseded"]
    assert set(undated["expected_rules"]) == {""}
    mismatch = _row_of(sample, "unit_mismatch")
    assert (mismatch["expected_rules"], mismatch["expected_status"]) == ("X04", "accepted")


def test_assignments_csv_assigns_the_mismatched_file_to_its_unit(sample):
    raw = (sample.out_dir / "assignments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(sample.out_dir / "assignments.csv", dtype=str, encoding="utf-8-sig")
    mismatch = _row_of(sample, "unit_mismatch")
    assert table.columns.tolist() == ["file", "unit", "note"]
    assert table[["file", "unit"]].to_numpy().tolist() == [["2015/大朗镇人才报表2015.xlsx", "441900118"]]
    assert mismatch["file"] == "2015/大朗镇人才报表2015.xlsx" and mismatch["unit_code"] == "441900118"
    assert (sample.out_dir / table.loc[0, "file"]).is_file()  # relative to the folder of the CSV
    assert "大岭山镇" in table.loc[0, "note"]


def test_decoy_template_keeps_blank_sheets_before_the_filled_copies(sample):
    row = _row_of(sample, "decoy_template")
    wb = CalamineWorkbook.from_path(str(sample.out_dir / row["file"]))
    assert wb.sheet_names == ["填报说明", "表1", "表2", "表3", "表4", "表1 (2)", "表2 (2)", "表3 (2)", "表4 (2)"]
    for name in ("表1", "表2", "表3"):
        rows = _sheet(sample.out_dir / row["file"], name)
        assert not [c for r in rows for c in r if isinstance(c, float)], name  # no figure at all
    tr1 = _sheet(sample.out_dir / row["file"], "表1 (2)")
    r100 = next(r for r in tr1 if r[1] == "100")
    assert r100[2] == _truth_of(sample, row, "TR1")[(100, 1)]


def test_instructions_sheet_quotes_codes_and_rules_but_no_figures(sample):
    row = _row_of(sample, "instructions_sheet")
    path = sample.out_dir / row["file"]
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["填表说明", "表1", "表2", "表3", "表4"]
    rows = _sheet(path, "填表说明")
    cells = [c for r in rows for c in r]
    assert ["代码", "项目", "说明"] in [r[:3] for r in rows]
    assert {"东人统1表", "东人统2表", "人才资源总量", "党政人才", "财政总收入"} <= set(cells)
    assert [r[0] for r in rows if r[1] == "党政人才"] == [110.0]
    assert any(isinstance(c, str) and "= 党政人才（110）+" in c for c in cells)


def test_stacked_forms_put_three_forms_on_one_sheet(sample):
    row = _row_of(sample, "stacked_forms")
    path = sample.out_dir / row["file"]
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["填报说明", "表1至表3", "表4"]
    rows = _sheet(path, "表1至表3")
    at = {c: r for r, cells in enumerate(rows) for c in cells if isinstance(c, str) and c.startswith("表号：")}
    assert list(at) == ["表号：东人统1表", "表号：东人统2表", "表号：东人统3表"]
    units = [r for r, cells in enumerate(rows) if "单位：万元" in cells or "单位：人" in cells]
    assert len(units) == 2 and at["表号：东人统1表"] < units[0] < at["表号：东人统2表"] < units[1]
    assert len(_report_dates(rows)) == 3  # each form keeps its footer
    r320 = next(r for r in rows if r[1] == "320")
    assert r320[2] == _truth_of(sample, row, "TR2")[(320, 1)]
    assert [r[0] for r in rows if r[0] in ("人才资源情况", "人才专项资金情况", "党管人才工作机制落实情况")] == [
        "人才资源情况", "人才专项资金情况", "党管人才工作机制落实情况"]


def test_money_units_said_only_in_the_headers_or_the_title(sample):
    row = _row_of(sample, "money_unit_in_header")
    rows = _sheet(sample.out_dir / row["file"], "表2")
    assert not [c for r in rows for c in r if isinstance(c, str) and c.startswith("单位：")]
    assert ["本年（元）", "上年（元）"] in [r[2:4] for r in rows]
    r300 = next(r for r in rows if r[1] == "300")
    assert r300[2] == pytest.approx(_truth_of(sample, row, "TR2")[(300, 1)] * 10_000)

    row = _row_of(sample, "money_unit_in_title")
    rows = _sheet(sample.out_dir / row["file"], "表2")
    assert rows[0][0] == "人才专项资金情况（单位：亿元）"
    assert not [c for r in rows for c in r if isinstance(c, str) and c.startswith("单位：")]
    assert ["本年", "上年"] in [r[2:4] for r in rows]
    r310 = next(r for r in rows if r[1] == "310")
    assert r310[3] == pytest.approx(_truth_of(sample, row, "TR2")[(310, 2)] / 10_000)


@pytest.mark.parametrize("deviation", ["hidden_stale_rows", "hidden_rows"])
def test_hidden_rows_are_stale_copies_above_the_true_rows(sample, deviation):
    import openpyxl
    import xlrd

    row = _row_of(sample, deviation)
    path = sample.out_dir / row["file"]
    truth = _truth_of(sample, row, "TR1")
    if deviation == "hidden_stale_rows":
        assert path.suffix == ".xls"
        sheet = xlrd.open_workbook(str(path), formatting_info=True).sheet_by_name("表1")
        rows = [sheet.row_values(r) for r in range(sheet.nrows)]
        hidden = sorted(r for r, info in sheet.rowinfo_map.items() if info.hidden)
        items = [120, 131, 150]
    else:
        ws = openpyxl.load_workbook(path)["表1"]
        rows = [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
        hidden = sorted(r - 1 for r, dim in ws.row_dimensions.items() if dim.hidden)
        items = [141, 142, 143]
    assert [rows[r][1] for r in hidden] == [str(i) for i in items]
    last_year = sample.truth[(sample.truth["unit_code"] == row["unit_code"]) & (sample.truth["year"] == row["year"] - 1)
                             & (sample.truth["form"] == "TR1")]
    before = _grid(last_year)
    for r, item in zip(hidden, items, strict=True):
        stale, shown = rows[r], rows[r + 1]
        assert (stale[0], stale[1]) == (shown[0], shown[1])  # same label and code
        assert stale[2:13] == [before[(item, c)] for c in range(1, 12)]  # last year's numbers
        assert shown[2:13] == [truth[(item, c)] for c in range(1, 12)]  # this year's, visible
        assert stale[2:13] != shown[2:13]
        assert r + 1 not in hidden


def test_footnote_marks_on_item_names_without_a_code_column(sample):
    row = _row_of(sample, "footnote_marks")
    rows = _sheet(sample.out_dir / row["file"], "表1")
    header = next(r for r in rows if r[0] == "项目")
    assert "代码" not in header
    labels = [r[0] for r in rows]
    assert {"党政人才*", "企业经营管理人才①", "专业技术人才²", "高技能人才（注）", "农村实用人才[注]"} <= set(labels)
    r110 = next(r for r in rows if r[0] == "党政人才*")
    assert r110[1:12] == [_truth_of(sample, row, "TR1")[(110, c)] for c in range(1, 12)]


def test_neighbour_template_is_newer_names_the_neighbour_and_both_units_send_their_own(sample):
    row = _row_of(sample, "neighbour_template")
    path = sample.out_dir / row["file"]
    assert path.name.startswith("凤岗镇2014年") and row["unit_code"] == "441900117"
    tr1 = _sheet(path, "表1")
    assert "填报单位：清溪镇" in [c for r in tr1 for c in r]
    own = sample.catalogue[(sample.catalogue["year"] == 2014) & (sample.catalogue["unit_code"] == "441900117")
                           & (sample.catalogue["file"] != row["file"])]
    assert own[["deviation", "expected_status"]].to_numpy().tolist() == [["clean", "accepted"]]
    own_path = sample.out_dir / own["file"].item()
    assert "填报单位：凤岗镇" in [c for r in _sheet(own_path, "表1") for c in r]
    assert _report_dates(tr1) > _report_dates(_sheet(own_path, "表1"))
    assert os.path.getmtime(path) > os.path.getmtime(own_path)
    neighbour = sample.catalogue[(sample.catalogue["year"] == 2014) & (sample.catalogue["unit_code"] == "441900115")]
    assert neighbour["deviation"].tolist() == ["clean"]
    # the held file's numbers are the unit's own (as its file), and no reading of anyone's in the truth
    assert row["file"] not in set(sample.truth["file"])
    r100 = next(r for r in tr1 if r[1] == "100")
    assert r100[2] == _truth_of(sample, own.iloc[0], "TR1")[(100, 1)]


def test_roster_undated_resubmission_newer_version_has_the_older_file_time(sample):
    old = _row_of(sample, "roster_undated_resubmission", "superseded")
    new = _row_of(sample, "roster_undated_resubmission", "accepted")
    old_path, new_path = sample.out_dir / old["file"], sample.out_dir / new["file"]
    for name in ("表1", "表2", "表3"):
        (d_old,), (d_new,) = _report_dates(_sheet(old_path, name)), _report_dates(_sheet(new_path, name))
        assert d_new > d_old, name
    assert os.path.getmtime(new_path) < os.path.getmtime(old_path)
    rosters = []
    for path in (old_path, new_path):
        rows = _sheet(path, "表4")
        assert _report_dates(rows) == []  # the roster sheet carries no 报出日期 of its own
        head = next(i for i, r in enumerate(rows) if r[0] == "序号")
        rosters.append([r[3] for r in rows[head + 1:] if r[3]])
    old_ids, new_ids = rosters
    assert len(old_ids) == len(new_ids) and all(check_id_number(x) for x in new_ids)
    assert [k for k, (a, b) in enumerate(zip(old_ids, new_ids, strict=True)) if a != b] == [1]
    assert not check_id_number(old_ids[1])
    assert _truth_of(sample, new, "TR1") and old["file"] not in set(sample.truth["file"])


def test_new_deviations_draw_nothing_from_the_generator(tmp_path, monkeypatch):
    """Adding this round's deviations shifts no random draw: without them the same years give
    the same truth and the same bytes for every file they do not touch."""
    import talentstats.workbooks.sample as sample_module

    years = range(2012, 2015)
    new = set(NEW_DEVIATIONS) - {"hidden_rows"} | {"roster_undated_resubmission"}
    with_new = generate_sample(tmp_path / "with", years=years)
    plain = tuple(e for e in sample_module._plan() if e.deviation not in new)
    monkeypatch.setattr(sample_module, "_plan", lambda: plain)
    without = generate_sample(tmp_path / "without", years=years)
    key = ["year", "unit_code", "form", "item", "column", "value", "accepted"]
    pd.testing.assert_frame_equal(with_new.truth[key], without.truth[key])
    touched = set(with_new.catalogue.loc[with_new.catalogue["deviation"].isin(new), "file"])
    assert touched  # 2014 carries two of them
    same = 0
    for p in without.files:
        rel = p.relative_to(tmp_path / "without").as_posix()
        if rel not in touched:
            assert p.read_bytes() == (tmp_path / "with" / rel).read_bytes(), rel
            same += 1
    assert same == len(without.files) - 1  # only 南城街道 2014 (decoy_template) is rewritten
