import pandas as pd
import pytest

from talentstats import catalog
from talentstats.errors import DataNotFound


def _obs(year, value, source="石龙镇2013.xlsx!表1!E9"):
    return pd.DataFrame({"year": [year], "unit_code": ["441900102"], "form": ["TR1"],
                         "item": [100], "column": [1], "value": [value], "source": [source]})


def test_write_then_read_gives_typed_frames(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 52310.0)})
    back = catalog.read_dataset(tmp_path, "observations")
    assert back.dtypes.to_dict() == {"year": "int64", "unit_code": "string", "form": "string",
                                     "item": "int64", "column": "int64", "value": "float64",
                                     "source": "string"}
    assert back["value"].tolist() == [52310.0]
    assert (tmp_path / "observations.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not list(tmp_path.glob(".staging-*"))


def test_replace_years_keeps_other_years():
    old = pd.concat([_obs(2012, 1.0), _obs(2013, 2.0)])
    merged = catalog.replace_years(old, _obs(2013, 3.0), [2013])
    assert sorted(zip(merged["year"], merged["value"], strict=True)) == [(2012, 1.0), (2013, 3.0)]


def test_second_write_of_same_data_is_byte_identical(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.5)})
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.5)})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == first


def test_csv_neutralises_formula_like_strings(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.0, source="=HYPERLINK(1)")})
    text = (tmp_path / "observations.csv").read_text("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    assert catalog.read_dataset(tmp_path, "observations")["source"].tolist() == ["=HYPERLINK(1)"]


def test_interrupted_write_leaves_previous_files(tmp_path, monkeypatch):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.0)})
    before = (tmp_path / "observations.parquet").read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(KeyboardInterrupt):
        catalog.write_datasets(tmp_path, {"observations": _obs(2013, 9.0)})
    assert (tmp_path / "observations.parquet").read_bytes() == before
    assert not list(tmp_path.glob(".staging-*"))


def test_missing_dataset_says_what_to_run(tmp_path):
    with pytest.raises(DataNotFound, match="talentstats ingest"):
        catalog.read_dataset(tmp_path, "indicators")
    assert catalog.read_dataset(tmp_path, "indicators", missing_ok=True).empty
