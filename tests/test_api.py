"""The researchers' API over a small hand-made processed folder.

``build_processed`` (also used by test_query, test_export and test_codebook) writes, with
``catalog.write_datasets``, two units (东城街道 441900003, 石龙镇 441900102) and the city over
2015-2016. The roster comes from three people whose names and ID numbers are known here and
pseudonymised per the contract (``person`` = keyed hex pseudonym), so the privacy tests can
scan every output for them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from talentstats.errors import DataNotFound, ParameterError
from talentstats.store import api, catalog

DONGCHENG, SHILONG, CITY = "441900003", "441900102", "441900"
KEY = b"test-key-not-secret"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A valid GB 11643 ID number (check digit computed)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


# The raw roster, as a town would type it: personal data that must never come out.
PEOPLE = [
    {"name": "张伟", "id": id_number("44190019750312001"), "sex": "男", "birth_year": 1975},
    {"name": "李娜", "id": id_number("44190019820607002"), "sex": "女", "birth_year": 1982},
    {"name": "欧阳晓明", "id": id_number("44190019690101003"), "sex": "男", "birth_year": 1969},
]
NAMES = [p["name"] for p in PEOPLE]
IDS = [p["id"] for p in PEOPLE]
ID_PATTERN = re.compile(r"\d{17}[\dXx]")


def pseudonym(id_no: str) -> str:
    return hmac.new(KEY, id_no.encode(), hashlib.sha256).hexdigest()[:16]


def _obs(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["year", "unit_code", "form", "item", "column", "value"])
    return df.assign(source=[f"{u}_{y}.xlsx!表{f[-1]}!C{i % 97}" for y, u, f, i, *_ in rows])


OBSERVATIONS = _obs(
    [
        (2015, DONGCHENG, "TR1", 100, 1, 1000.0),
        (2015, DONGCHENG, "TR1", 100, 2, 400.0),
        (2015, DONGCHENG, "TR1", 130, 1, 300.0),
        (2015, DONGCHENG, "TR2", 300, 1, 50000.0),
        (2015, DONGCHENG, "TR2", 310, 1, 1000.0),
        (2015, SHILONG, "TR1", 100, 1, 500.0),
        (2015, SHILONG, "TR1", 100, 2, 200.0),
        (2015, SHILONG, "TR1", 130, 1, 100.0),
        (2015, SHILONG, "TR2", 300, 1, 20000.0),
        (2015, SHILONG, "TR2", 310, 1, 800.0),
        (2016, DONGCHENG, "TR1", 100, 1, 1100.0),
        (2016, DONGCHENG, "TR1", 100, 2, 450.0),
        (2016, DONGCHENG, "TR1", 130, 1, 330.0),
        (2016, SHILONG, "TR1", 100, 1, 600.0),
        (2016, SHILONG, "TR1", 100, 2, 260.0),
        (2016, SHILONG, "TR1", 130, 1, 150.0),
        (2016, CITY, "TR5", 500, 1, 120000.0),
    ]
)

INDICATORS = pd.DataFrame(
    [
        (2015, DONGCHENG, "I01", 1000.0),
        (2015, SHILONG, "I01", 500.0),
        (2015, CITY, "I01", 1500.0),
        (2015, DONGCHENG, "I08", 2.0),
        (2015, SHILONG, "I08", 4.0),
        (2015, CITY, "coverage.TR1", 2.0),
        (2016, DONGCHENG, "I01", 1100.0),
        (2016, SHILONG, "I01", 600.0),
        (2016, CITY, "I01", 1700.0),
        (2016, SHILONG, "I04.130", 25.0),
        (2016, CITY, "coverage.TR1", 2.0),
    ],
    columns=["year", "unit_code", "indicator", "value"],
)

SUBMISSIONS = pd.DataFrame(
    [
        (2015, DONGCHENG, "TR1", "2015/东城.xlsx", "a" * 64, "accepted"),
        (2015, DONGCHENG, "TR2", "2015/东城.xlsx", "a" * 64, "accepted"),
        (2015, SHILONG, "TR1", "2015/石龙.xlsx", "b" * 64, "accepted"),
        (2015, SHILONG, "TR2", "2015/石龙.xlsx", "b" * 64, "accepted"),
        (2015, SHILONG, "TR4", "2015/石龙.xlsx", "b" * 64, "accepted"),
        (2016, DONGCHENG, "TR1", "2016/东城.xlsx", "c" * 64, "accepted"),
        (2016, DONGCHENG, "TR2", "2016/东城.xlsx", "c" * 64, "rejected"),
        (2016, DONGCHENG, "TR4", "2016/东城.xlsx", "c" * 64, "accepted"),
        (2016, SHILONG, "TR1", "2016/石龙_v1.xlsx", "d" * 64, "superseded"),
        (2016, SHILONG, "TR1", "2016/石龙_v2.xlsx", "e" * 64, "accepted"),
        (2016, SHILONG, "TR4", "2016/石龙_v2.xlsx", "e" * 64, "accepted"),
        (2016, CITY, "TR5", "2016/市本级.xlsx", "f" * 64, "accepted"),
    ],
    columns=["year", "unit_code", "form", "source_file", "sha256", "status"],
)

FINDINGS = pd.DataFrame(
    [
        (
            2016,
            DONGCHENG,
            "TR2",
            "N09",
            "表内",
            "error",
            "东人统2表 320 本年 12.0 ≠ 321+…+326 合计 10.0（容差0.5万元）",
            "表2!C9;表2!C10",
            "2016/东城.xlsx",
        ),
        (
            2016,
            "",
            "",
            "X01",
            "格式",
            "error",
            "文件无法读取（已损坏或加密）",
            "",
            "2016/坏文件.xlsx",
        ),
        (
            2016,
            SHILONG,
            "TR4",
            "P04",
            "格式",
            "error",
            "同一人在本单位名册中重复出现：表4!A5;表4!A6",
            "表4!A5;表4!A6",
            "2016/石龙_v2.xlsx",
        ),
    ],
    columns=[
        "year",
        "unit_code",
        "form",
        "rule",
        "kind",
        "severity",
        "message",
        "cells",
        "source_file",
    ],
)


def _roster_row(year: int, unit: str, person: dict, row: int) -> dict:
    return {
        "year": year,
        "unit_code": unit,
        "person": pseudonym(person["id"]),
        "sex": person["sex"],
        "birth_year": person["birth_year"],
        "education": "博士研究生",
        "title": "正高级",
        "category": "专业技术人才",
        "category_item": 130,
        "employer": "某某科技有限公司",
        "industry": "M",
        "recognised_year": 2014,
        "note": None,
        "source": f"{unit}_{year}.xlsx!表4!A{row}",
    }


ROSTER = pd.DataFrame(
    [
        _roster_row(2015, SHILONG, PEOPLE[0], 5),
        _roster_row(2015, SHILONG, PEOPLE[1], 6),
        _roster_row(2016, SHILONG, PEOPLE[0], 5),
        _roster_row(2016, SHILONG, PEOPLE[1], 6),
        _roster_row(2016, DONGCHENG, PEOPLE[2], 5),
    ]
)

FRAMES = {
    "observations": OBSERVATIONS,
    "findings": FINDINGS,
    "submissions": SUBMISSIONS,
    "roster": ROSTER,
    "indicators": INDICATORS,
}


def build_processed(folder: Path) -> Path:
    """Write the fixture datasets into ``folder`` as the ingest would."""
    catalog.write_datasets(folder, FRAMES)
    return folder


def assert_no_personal_data(frame: pd.DataFrame, where: str) -> None:
    """No cell (of any type, as text) holds an ID-number pattern or a raw name."""
    text = [str(v) for v in frame.to_numpy(dtype=object).ravel()] + [str(c) for c in frame.columns]
    for cell in text:
        assert not ID_PATTERN.search(cell), f"{where}: ID-like text {cell!r}"
        for name in NAMES:
            assert name not in cell, f"{where}: name {name!r} in {cell!r}"


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    return build_processed(tmp_path / "processed")


# --------------------------------------------------------------------------- load


def test_load_types_match_catalog_with_unit_names(processed: Path) -> None:
    for name, ds in catalog.DATASETS.items():
        df = api.load(name, processed_dir=processed)
        # the contract's columns, and the unit's name right after its code
        contract = list(ds.columns.items())
        expected = dict([*contract[:2], ("unit_name", "string"), *contract[2:]])
        assert list(df.columns) == list(expected)
        assert {c: str(t) for c, t in df.dtypes.items()} == {
            c: str(pd.Series(dtype=t).dtype) for c, t in expected.items()
        }
        assert len(df) == len(FRAMES[name])
    # the processed files themselves keep the contract's columns
    assert list(catalog.read_dataset(processed, "indicators").columns) == list(
        catalog.DATASETS["indicators"].columns)


def test_load_names_each_unit(processed: Path) -> None:
    ind = api.load("indicators", years=2016, processed_dir=processed)
    assert dict(zip(ind["unit_code"], ind["unit_name"], strict=True)) == {
        DONGCHENG: "东城街道", SHILONG: "石龙镇", CITY: "东莞市"}
    # a finding on a file whose unit was not identified: no code, no name
    findings = api.load("findings", processed_dir=processed)
    assert findings["unit_name"].tolist() == ["", "东城街道", "石龙镇"]  # in catalog order


def test_load_filters_years_and_units_by_name_or_code(processed: Path) -> None:
    obs = api.load("observations", years=2016, units=["石龙"], processed_dir=processed)
    assert set(obs["unit_code"]) == {SHILONG} and set(obs["year"]) == {2016}
    assert sorted(obs["value"]) == [150.0, 260.0, 600.0]
    both = api.load(
        "indicators", years=[2015], units=["東城街道辦事處", SHILONG], processed_dir=processed
    )
    assert sorted(both["unit_code"].unique()) == [DONGCHENG, SHILONG]
    assert len(both) == 4


def test_load_env_default_folder(processed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENTSTATS_PROCESSED", str(processed))
    assert len(api.load("submissions")) == len(SUBMISSIONS)


def test_load_errors(processed: Path, tmp_path: Path) -> None:
    with pytest.raises(DataNotFound):
        api.load("persons", processed_dir=processed)
    with pytest.raises(DataNotFound):
        api.load("observations", processed_dir=tmp_path / "empty")
    with pytest.raises(ParameterError, match="无法识别"):
        api.load("observations", units="火星镇", processed_dir=processed)
    with pytest.raises(ParameterError):
        api.load("observations", years="二〇一六", processed_dir=processed)


# --------------------------------------------------------------------------- TR1 table


def test_tr1_table_layout_and_values(processed: Path) -> None:
    t = api.tr1_table(2016, processed_dir=processed)
    assert list(t.columns) == [
        "合计",
        "女性",
        "博士研究生",
        "硕士研究生",
        "大学本科",
        "大学专科",
        "中专及以下",
        "35岁及以下",
        "36-45岁",
        "46-54岁",
        "55岁及以上",
    ]
    assert t.index.names == ["unit_code", "单位", "代码", "项目"]
    # 2 units x 17 items, in form order
    assert len(t) == 34
    assert list(t.index.get_level_values("代码")[:4]) == [100, 110, 120, 130]
    assert t.loc[(SHILONG, "石龙镇", 100, "人才资源总量"), "合计"] == 600.0
    assert t.loc[(SHILONG, "石龙镇", 100, "人才资源总量"), "女性"] == 260.0
    assert t.loc[(DONGCHENG, "东城街道", 130, "专业技术人才"), "合计"] == 330.0
    assert np.isnan(t.loc[(DONGCHENG, "东城街道", 110, "党政人才"), "合计"])


def test_tr1_table_city_total_and_unit_filter(processed: Path) -> None:
    t = api.tr1_table(2015, city_total=True, processed_dir=processed)
    city = t.xs(CITY, level="unit_code")
    assert city.loc[("东莞市", 100, "人才资源总量"), "合计"] == 1500.0
    assert city.loc[("东莞市", 100, "人才资源总量"), "女性"] == 600.0
    assert city.loc[("东莞市", 130, "专业技术人才"), "合计"] == 400.0
    assert np.isnan(city.loc[("东莞市", 140, "高技能人才"), "合计"])
    only = api.tr1_table(2015, units="石龙镇", processed_dir=processed)
    assert set(only.index.get_level_values("unit_code")) == {SHILONG}


def test_tr1_table_year_without_data_is_empty(processed: Path) -> None:
    t = api.tr1_table(2013, processed_dir=processed)
    assert len(t) == 0 and len(t.columns) == 11


# --------------------------------------------------------------------------- indicator panel


DICTIONARY = pd.DataFrame(
    {
        "indicator": ["I01", "I04", "I08", "I09"],
        "name": [
            "人才资源总量",
            "六支人才队伍构成",
            "人才专项资金占财政总收入比例",
            "是否达到3%要求",
        ],
    }
)


def test_indicator_panel_wide(processed: Path) -> None:
    p = api.indicator_panel(["I01", "I08"], processed_dir=processed)
    assert list(p.columns) == ["I01", "I08"]
    assert p.index.names == ["unit_code", "单位", "year"]
    assert p.loc[(DONGCHENG, "东城街道", 2015), "I08"] == 2.0
    assert p.loc[(CITY, "东莞市", 2016), "I01"] == 1700.0
    assert np.isnan(p.loc[(DONGCHENG, "东城街道", 2016), "I08"])  # missing, never 0
    assert list(p.xs(SHILONG, level="unit_code")["I01"]) == [500.0, 600.0]


def test_indicator_wide_chinese_labels() -> None:
    p = api.indicator_wide(
        INDICATORS, ["I08", "I04.130", "coverage.TR1"], labels="zh", dictionary=DICTIONARY
    )
    assert list(p.columns) == [
        "I08 人才专项资金占财政总收入比例",
        "I04.130 六支人才队伍构成：专业技术人才",
        "coverage.TR1 覆盖单位数：人才资源情况",
    ]
    assert api.indicator_name("I09.share", DICTIONARY) == "是否达到3%要求（占比）"
    with pytest.raises(ParameterError):
        api.indicator_wide(INDICATORS, labels="fr")


# --------------------------------------------------------------------------- privacy


def test_redact_personal_blanks_id_numbers_only() -> None:
    df = pd.DataFrame(
        {
            "note": pd.array([f"身份证{IDS[0]}", "无", None], dtype="string"),
            "sha256": pd.array(["1234567890123456789abc", "0" * 64, "x"], dtype="string"),
            "value": [1.0, 2.0, 3.0],
        }
    )
    out, n = api.redact_personal(df)
    assert n == 1
    assert out.loc[0, "note"] == "身份证［已删除］"
    assert out["sha256"].tolist() == df["sha256"].tolist()  # hex is not an ID number
    assert df.loc[0, "note"] == f"身份证{IDS[0]}"  # argument unchanged


def test_load_never_returns_names_or_ids(processed: Path) -> None:
    for name in catalog.DATASETS:
        assert_no_personal_data(api.load(name, processed_dir=processed), f"load({name})")
    roster = api.load("roster", processed_dir=processed)
    assert set(roster["person"]) == {pseudonym(i) for i in IDS}
    assert roster["person"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_load_blanks_an_id_typed_into_a_note(tmp_path: Path) -> None:
    leaky = ROSTER.assign(note=[None, f"身份证号{IDS[1]}", None, None, None])
    catalog.write_datasets(tmp_path, {"roster": leaky})
    with pytest.warns(api.PersonalDataWarning):
        roster = api.load("roster", processed_dir=tmp_path)
    assert_no_personal_data(roster, "load(roster)")
    assert roster["note"].dropna().tolist() == ["身份证号［已删除］"]


def test_load_drops_columns_outside_the_contract(tmp_path: Path) -> None:
    # A roster file written by something other than the catalog, with raw columns in it.
    raw = catalog.conform("roster", ROSTER).assign(
        name=pd.array(NAMES[:2] * 2 + NAMES[2:], dtype="string"),
        id_number=pd.array(IDS[:2] * 2 + IDS[2:], dtype="string"),
    )
    for year, part in raw.groupby("year"):  # the partitioned layout, written by hand
        path = catalog.partition_path(tmp_path, "roster", year)
        path.parent.mkdir(parents=True)
        part.drop(columns="year").to_parquet(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        roster = api.load("roster", processed_dir=tmp_path)
    assert "name" not in roster.columns and "id_number" not in roster.columns
    assert_no_personal_data(roster, "load(roster)")


def test_indicator_names_from_the_real_dictionary() -> None:
    assert api.indicator_name("I08") == "人才专项资金占财政总收入比例"
    assert api.indicator_name("I04.130") == "专业技术人才占比"
    assert api.indicator_name("coverage.TR1").endswith("覆盖单位数")


# --------------------------------------------------------------------------- the notebook


NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"


def test_notebook_exposes_its_parameters() -> None:
    import papermill

    # what papermill reads from the cell tagged `parameters`, as `-p NAME VALUE` would set them
    params = papermill.inspect_notebook(str(NOTEBOOK))
    assert {name: p["default"] for name, p in params.items()} == {
        "processed_dir": '""', "profile_dir": '""', "first_year": "2012", "last_year": "2016",
        "top_n": "5"}


@pytest.mark.slow
def test_notebook_runs_on_the_fixture(processed: Path, tmp_path: Path) -> None:
    import papermill

    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={
            "processed_dir": str(processed),
            "first_year": 2015,
            "last_year": 2016,
            "top_n": 5,
        },
        kernel_name="python3",
        start_timeout=120,
        progress_bar=False,
    )
    import nbformat

    nb = nbformat.read(out, as_version=4)
    text = "\n".join(
        str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    # 石龙镇 grew 100 -> 150 (+50%), 东城街道 300 -> 330 (+10%); their 2015 I08: 4.0 and 2.0.
    assert "石龙镇" in text and "50.0" in text and "10.0" in text
    assert "增长最快" in text and "4.0" in text and "2.0" in text
