"""The codebook describes exactly what the processed datasets hold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_api import CITY, DONGCHENG, SHILONG, build_processed

from talentstats.profile import forms
from talentstats.store import catalog, codebook

INDICATOR_DICTIONARY = pd.DataFrame(
    {
        "indicator": ["I01", "I08", "coverage.TR1"],
        "name": ["人才资源总量", "人才专项资金占财政总收入比例", "人才资源情况表覆盖单位数"],
        "unit": ["人", "%", "个"],
        "definition": ["TR1 100 合计", "TR2 310 / 300", "TR1 被采用的单位数"],
        "formula": ["TR1[100,1]", "TR2[310,1]/TR2[300,1]*100", "count"],
        "sources": ["TR1", "TR2", "submissions"],
        "threshold": [None, "不低于3%", None],
        "scope": ["both", "both", "city"],
    }
)
RULES = pd.DataFrame(
    {
        "id": ["N01", "P05"],
        "kind": ["表内", "表间"],
        "severity": ["error", "warning"],
        "forms": ["TR1", "TR4"],
        "description": ["表1 100 = 110+…+160", "表4 同一人由两个及以上单位填报"],
    }
)


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    return build_processed(tmp_path / "processed")


def _build(processed: Path) -> tuple[str, dict[str, pd.DataFrame]]:
    return codebook.build_codebook(
        processed, indicator_dictionary=INDICATOR_DICTIONARY, rules_table=RULES
    )


def test_labels_cover_the_catalog_exactly() -> None:
    assert set(codebook.COLUMN_LABELS) == set(catalog.DATASETS)
    for name, ds in catalog.DATASETS.items():
        assert list(codebook.COLUMN_LABELS[name]) == list(ds.columns), name
        for zh, en in codebook.COLUMN_LABELS[name].values():
            assert zh and en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_variables_match_the_written_files(processed: Path) -> None:
    """Every codebook entry is a real column of the Parquet file, with its real type."""
    _, sheets = _build(processed)
    variables = sheets["变量"]
    arrow_to_sql = {
        "int64": "BIGINT",
        "double": "DOUBLE",
        "string": "VARCHAR",
        "large_string": "VARCHAR",
    }
    for name in catalog.DATASETS:
        # `year` is the partition folder (year=2016/), read as int64; the rest is in the file
        (year, first), *_ = catalog.dataset_files(processed, name)
        schema = pq.read_schema(first)
        names = ["year", *schema.names]
        rows = variables.loc[variables["dataset"] == name]
        assert rows["column"].tolist() == names, name
        actual = ["BIGINT"] + [arrow_to_sql[str(schema.field(c).type)] for c in schema.names]
        assert rows["sql_type"].tolist() == actual, name


def test_every_form_code_is_listed(processed: Path) -> None:
    md, sheets = _build(processed)
    items = sheets["项目代码"]
    for f in forms.forms().values():
        listed = items.loc[items["form"] == f.code, "item"].tolist()
        assert listed == list(f.item_codes)
        cols = sheets["栏目代码"].loc[lambda d, c=f.code: d["form"] == c, "column"].tolist()
        assert cols == list(f.column_codes)
    row = items.loc[(items["form"] == "TR3") & (items["item"] == 408)].iloc[0]
    assert (row["unit"], row["value_type"]) == ("人次", "count")
    assert items.loc[(items["form"] == "TR2") & (items["item"] == 300), "unit"].item() == "万元"
    assert "| 131 | 高级职称 | 人 | count |" in md
    assert "### TR1 人才资源情况（东人统1表，单位：人）" in md
    fields = sheets["名册字段"].set_index("field")
    assert (
        bool(fields.loc["id_number", "personal"])
        and "never" in fields.loc["id_number", "in_roster"]
    )


def test_indicators_and_rules_are_included(processed: Path) -> None:
    md, sheets = _build(processed)
    assert sheets["指标"]["indicator"].tolist() == ["I01", "I08", "coverage.TR1"]
    assert "scope" in sheets["指标"].columns  # extra dictionary columns kept
    assert "| I08 | 人才专项资金占财政总收入比例 | % | both |" in md
    assert sheets["审核规则"]["id"].tolist() == ["N01", "P05"]
    assert "| P05 | 表间 | warning | TR4 |" in md


def test_coverage_by_unit_and_form(processed: Path) -> None:
    _, sheets = _build(processed)
    by_unit = sheets["覆盖情况_单位"].set_index("unit_code")
    assert len(by_unit) == 36  # 35 units + the city
    assert by_unit.loc[DONGCHENG, 2015] == "TR1、TR2"
    assert by_unit.loc[DONGCHENG, 2016] == "TR1、TR4"  # TR2 rejected
    assert by_unit.loc[SHILONG, 2016] == "TR1、TR4"  # superseded file not counted twice
    assert by_unit.loc[SHILONG, 2015] == "TR1、TR2、TR4"
    assert by_unit.loc[CITY, 2016] == "TR5" and by_unit.loc[CITY, 2015] == "—"
    assert by_unit.loc["441900401", 2016] == "—"
    assert by_unit.loc[DONGCHENG, "单位"] == "东城街道"
    by_form = sheets["覆盖情况_报表"].set_index("year")
    assert by_form.loc[2015].tolist() == [2, 2, 0, 1, 0]
    assert by_form.loc[2016].tolist() == [2, 0, 0, 2, 1]


def test_empty_folder_has_no_coverage(tmp_path: Path) -> None:
    md, sheets = codebook.build_codebook(
        tmp_path, indicator_dictionary=INDICATOR_DICTIONARY, rules_table=RULES
    )
    assert sheets["覆盖情况_报表"].empty
    assert "(no submissions yet)" in md


def test_write_codebook_files(processed: Path) -> None:
    written = codebook.write_codebook(
        processed, indicator_dictionary=INDICATOR_DICTIONARY, rules_table=RULES
    )
    assert [p.name for p in written] == ["codebook.md", "codebook.xlsx"]
    assert all(p.parent == processed for p in written)
    md = written[0].read_text("utf-8")
    for name in catalog.DATASETS:
        assert f"### `{name}`" in md
    back = pd.read_excel(written[1], sheet_name=None, engine="calamine")
    assert list(back) == [
        "数据集",
        "变量",
        "项目代码",
        "栏目代码",
        "名册字段",
        "指标",
        "审核规则",
        "覆盖情况_单位",
        "覆盖情况_报表",
    ]
    assert len(back["变量"]) == sum(len(d.columns) for d in catalog.DATASETS.values())
    assert not [p for p in processed.iterdir() if p.name.startswith(".staging-")]


def test_codebook_with_the_real_declarations(processed: Path) -> None:
    md, sheets = codebook.build_codebook(processed)
    ids = set(sheets["指标"]["indicator"])
    assert {"I01", "I08", "I04.110", "I14.rank", "coverage.TR5"} <= ids
    assert {"F01", "X01", "N09", "J01", "H00", "P05"} <= set(sheets["审核规则"]["id"])
    assert "I12.cum" in md
