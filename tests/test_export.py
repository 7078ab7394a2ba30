"""Exports read back with pandas to the same values, with Chinese labels, and no personal data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_api import (
    CITY,
    DONGCHENG,
    FRAMES,
    IDS,
    ROSTER,
    SHILONG,
    assert_no_personal_data,
    build_processed,
)

from talentstats.errors import DataNotFound, ParameterError
from talentstats.store import api, catalog, export


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    return build_processed(tmp_path / "processed")


# The registry's names of the fixture's codes; "" is a finding on a file of no known unit.
NAMES = {DONGCHENG: "东城街道", SHILONG: "石龙镇", CITY: "东莞市", "": ""}


def _columns(name: str) -> dict[str, str]:
    """An export's columns: the contract's, with unit_name right after unit_code."""
    cols = list(catalog.DATASETS[name].columns.items())
    return dict([cols[0], cols[1], ("unit_name", "string"), *cols[2:]])


def _expected(name: str) -> pd.DataFrame:
    frame = catalog.conform(name, FRAMES[name])
    frame.insert(2, "unit_name", frame["unit_code"].map(NAMES).astype("string"))
    return frame


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(_columns(name))


def test_csv_reads_back_equal_with_dictionary(processed: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    written = export.export(processed, out, "csv")
    assert sorted(p.name for p in written) == sorted(
        [f"{n}.csv" for n in catalog.DATASETS] + ["data_dictionary.csv"]
    )
    for name in catalog.DATASETS:
        path = out / f"{name}.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        text_cols = [c for c, t in _columns(name).items() if t == "string"]
        back = pd.read_csv(
            path,
            encoding="utf-8-sig",
            dtype=dict.fromkeys(text_cols, "string"),
            keep_default_na=False,
            na_values={c: [""] for c in _columns(name) if c not in text_cols},
        )
        # CSV cannot tell missing text from "": both read back as "".
        expected = _expected(name)
        expected[text_cols] = expected[text_cols].fillna("")
        pd.testing.assert_frame_equal(_typed(name, back), expected, check_dtype=True)
    dictionary = pd.read_csv(out / "data_dictionary.csv", encoding="utf-8-sig")
    row = dictionary.loc[
        (dictionary["dataset"] == "roster") & (dictionary["column"] == "person")
    ].iloc[0]
    assert row["label_zh"].startswith("人员假名")
    indicators = dictionary.loc[dictionary["dataset"] == "indicators"]
    assert indicators["column"].tolist() == ["year", "unit_code", "unit_name", "indicator", "value"]
    assert indicators["label_zh"].iloc[2] == "单位名称（按单位代码查单位名录）"


def test_parquet_reads_back_equal_with_field_labels(processed: Path, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    export.export(processed, out, "parquet")
    for name in catalog.DATASETS:
        back = pd.read_parquet(out / f"{name}.parquet")
        pd.testing.assert_frame_equal(_typed(name, back), _expected(name))
    field = pq.read_schema(out / "observations.parquet").field("value")
    assert field.metadata[b"label_zh"].decode() == "数值（人、万元、次等，货币已折算为万元）"
    assert (out / "data_dictionary.csv").exists()


def test_stata_reads_back_equal_with_variable_labels(processed: Path, tmp_path: Path) -> None:
    out = tmp_path / "dta"
    export.export(processed, out, "dta")
    for name in catalog.DATASETS:
        back = pd.read_stata(out / f"{name}.dta")
        expected = _expected(name)
        # Stata has no missing text: a missing string comes back as "".
        for col, t in _columns(name).items():
            if t == "string":
                expected[col] = expected[col].fillna("")
        pd.testing.assert_frame_equal(_typed(name, back), expected, check_dtype=True)
    with pd.io.stata.StataReader(out / "roster.dta") as reader:
        labels = reader.variable_labels()
        assert reader.data_label == "东莞市人才资源统计 roster"
    assert labels["person"].startswith("人员假名")
    assert labels["birth_year"] == "出生年份（year of birth）"
    assert labels["unit_name"] == "单位名称（按单位代码查单位名录）（unit name, looked up from unit_code）"
    assert all(len(v) <= 80 for v in labels.values())
    back = pd.read_stata(out / "roster.dta")
    assert sorted(back["birth_year"].tolist()) == [1969.0, 1975.0, 1975.0, 1982.0, 1982.0]


def test_xlsx_reads_back_equal_with_label_sheet(processed: Path, tmp_path: Path) -> None:
    out = tmp_path / "xlsx"
    export.export(processed, out, "xlsx")
    for name in catalog.DATASETS:
        back = pd.read_excel(
            out / f"{name}.xlsx",
            sheet_name="数据",
            engine="calamine",
            dtype={c: "string" for c, t in _columns(name).items() if t == "string"},
        )
        expected = _expected(name)
        # An empty cell in Excel is missing: "" (findings without a unit) reads back as missing.
        for col, t in _columns(name).items():
            if t == "string":
                expected[col] = expected[col].replace("", pd.NA)
        pd.testing.assert_frame_equal(_typed(name, back), expected)
    labels = pd.read_excel(out / "indicators.xlsx", sheet_name="变量说明", engine="calamine")
    assert labels["变量"].tolist() == ["year", "unit_code", "unit_name", "indicator", "value"]
    assert labels.loc[1, "中文含义"] == "单位代码（441900为全市）"
    assert labels.loc[2, "中文含义"] == "单位名称（按单位代码查单位名录）"


def test_xlsx_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    findings = FRAMES["findings"].assign(cells=['=HYPERLINK("http://x")', "", "+1"])
    catalog.write_datasets(tmp_path / "p", {"findings": findings})
    export.export(tmp_path / "p", tmp_path / "x", "xlsx")
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "x" / "findings.xlsx")["数据"]
    assert ws.cell(row=1, column=9).value == "cells"  # after year, unit_code, unit_name, ...
    cells = [ws.cell(row=r, column=9) for r in range(2, 5)]
    assert all(c.data_type == "s" for c in cells if c.value is not None)
    export.export(tmp_path / "p", tmp_path / "c", "csv")
    text = (tmp_path / "c" / "findings.csv").read_text("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text


def test_filter_and_errors(processed: Path, tmp_path: Path) -> None:
    written = export.export(
        processed, tmp_path / "o", "parquet", datasets=["indicators"], years=2016
    )
    assert [p.name for p in written] == ["indicators.parquet", "data_dictionary.csv"]
    assert set(pd.read_parquet(written[0])["year"]) == {2016}
    with pytest.raises(ParameterError):
        export.export(processed, tmp_path / "o", "sav")
    with pytest.raises(ParameterError):
        export.export(processed, tmp_path / "o", "csv", datasets=["persons"])
    with pytest.raises(DataNotFound):
        export.export(tmp_path / "nothing", tmp_path / "o", "csv")
    assert not [p for p in (tmp_path / "o").iterdir() if p.name.startswith(".staging-")]


def _read_any(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".dta":
        return pd.read_stata(path)
    frames = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=str)
    return pd.concat(list(frames.values()), ignore_index=True)


def test_no_export_holds_names_or_ids(processed: Path, tmp_path: Path) -> None:
    for fmt in export.FORMATS:
        for path in export.export(processed, tmp_path / fmt, fmt):
            assert_no_personal_data(_read_any(path), str(path))
            raw = path.read_bytes()
            for secret in IDS:
                assert secret.encode() not in raw


def test_export_blanks_an_id_typed_into_a_note(tmp_path: Path) -> None:
    leaky = ROSTER.assign(note=[None, None, f"身份证号码：{IDS[2]}", None, None])
    catalog.write_datasets(tmp_path / "p", {"roster": leaky})
    with pytest.warns(api.PersonalDataWarning):
        (path,) = export.export(tmp_path / "p", tmp_path / "o", "dta")
    back = pd.read_stata(path)
    assert sorted(back["note"]) == ["", "", "", "", "身份证号码：［已删除］"]
    assert_no_personal_data(back, "roster.dta")
