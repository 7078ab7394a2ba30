"""The SQL sandbox: plain SELECTs work over the views; everything that reaches files,
extensions or settings is refused, both by the statement check and by the locked DuckDB
configuration underneath it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_api import CITY, DONGCHENG, IDS, ROSTER, SHILONG, assert_no_personal_data, build_processed

from talentstats.errors import DataNotFound, ParameterError, UnsafeQuery
from talentstats.store import catalog, query


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    return build_processed(tmp_path / "processed")


# --------------------------------------------------------------------------- SELECTs work


def test_select_over_view(processed: Path) -> None:
    df = query.run_query(
        "SELECT unit_code, value FROM observations WHERE year = 2016 AND form = 'TR1' "
        'AND item = 100 AND "column" = 1 ORDER BY unit_code',
        processed,
    )
    assert df["unit_code"].tolist() == [DONGCHENG, SHILONG]
    assert df["value"].tolist() == [1100.0, 600.0]


def test_join_and_aggregate_across_views(processed: Path) -> None:
    df = query.run_query(
        """
        WITH tr1 AS (
            SELECT year, unit_code, value AS total FROM observations
            WHERE form = 'TR1' AND item = 100 AND "column" = 1
        )
        SELECT t.unit_code, t.total, i.value AS i08
        FROM tr1 t JOIN indicators i USING (year, unit_code)
        WHERE i.indicator = 'I08' AND t.year = 2015
        ORDER BY i08 DESC
        """,
        processed,
    )
    assert df.to_dict("records") == [
        {"unit_code": SHILONG, "total": 500.0, "i08": 4.0},
        {"unit_code": DONGCHENG, "total": 1000.0, "i08": 2.0},
    ]
    counts = query.run_query(
        "SELECT status, count(*) AS n FROM submissions GROUP BY status ORDER BY status", processed
    )
    assert dict(zip(counts["status"], counts["n"], strict=True)) == {
        "accepted": 10,
        "rejected": 1,
        "superseded": 1,
    }


def test_views_have_catalog_types(processed: Path) -> None:
    df = query.run_query("DESCRIBE roster", processed)
    assert df["column_name"].tolist() == list(catalog.DATASETS["roster"].columns)
    assert df.set_index("column_name").loc["birth_year", "column_type"] == "BIGINT"
    assert df.set_index("column_name").loc["unit_code", "column_type"] == "VARCHAR"


def test_city_rows_and_missing_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    from test_api import INDICATORS

    catalog.write_datasets(folder, {"indicators": INDICATORS})
    df = query.run_query(
        "SELECT value FROM indicators WHERE unit_code = '441900' ORDER BY year, indicator", folder
    )
    assert df["value"].tolist() == [1500.0, 2.0, 1700.0, 2.0]
    with pytest.raises(ParameterError, match="查询出错"):
        query.run_query("SELECT * FROM observations", folder)  # not ingested: no such view
    with pytest.raises(DataNotFound):
        query.run_query("SELECT 1", tmp_path / "nothing")
    assert CITY == "441900"


def test_syntax_error_is_a_parameter_error(processed: Path) -> None:
    with pytest.raises(ParameterError, match="语法"):
        query.run_query("SELEC * FROM observations", processed)


def test_timeout_interrupts(processed: Path) -> None:
    with pytest.raises(ParameterError, match="超时"):
        query.run_query(
            "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b",
            processed,
            timeout=0.3,
        )


# --------------------------------------------------------------------------- refused


def _refused(processed: Path, tmp_path: Path) -> list[str]:
    outside = tmp_path / "outside.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(outside)
    p = str(processed.resolve())
    return [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        f"SELECT * FROM read_parquet('{outside}')",
        f"SELECT * FROM '{outside}'",
        f"SELECT * FROM read_parquet('{p}/../outside.parquet')",
        f"COPY (SELECT 1) TO '{tmp_path}/out.csv'",
        f"COPY observations TO '{p}/observations.parquet'",
        f"EXPORT DATABASE '{tmp_path}/dump'",
        f"ATTACH '{tmp_path}/x.duckdb' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET threads = 8",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "RESET memory_limit",
        "PRAGMA threads = 8",
        "PRAGMA enable_profiling",
        "CREATE TABLE t AS SELECT 1 AS a",
        f"CREATE TABLE t AS SELECT * FROM read_csv('{tmp_path}/x.csv')",
        "INSERT INTO observations VALUES (2016, '1', 'TR1', 100, 1, 1.0, 'x')",
        "DROP VIEW observations",
        "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
        "SELECT 1; COPY (SELECT 1) TO 'x.csv'",
        "CALL pragma_version()",
        "CHECKPOINT",
    ]


def test_every_refused_query_is_refused(processed: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in processed.iterdir())
    for sql in _refused(processed, tmp_path):
        with pytest.raises(UnsafeQuery) as err:
            query.run_query(sql, processed)
        msg = str(err.value)
        assert "/" in msg and any("\u4e00" <= ch <= "\u9fff" for ch in msg), msg  # 中文 / English
    assert sorted(p.name for p in processed.iterdir()) == before
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "dump").exists()
    assert not (tmp_path / "x.duckdb").exists()


def test_locked_connection_refuses_even_without_the_statement_check(
    processed: Path, tmp_path: Path
) -> None:
    """The DuckDB settings hold on their own (defence in depth)."""
    con = query.connect(processed)
    try:
        assert con.execute("SELECT count(*) FROM observations").fetchone() == (17,)
        for sql in [
            "SELECT * FROM read_csv('/etc/passwd')",
            f"COPY (SELECT 1) TO '{tmp_path}/out.csv'",
            f"ATTACH '{tmp_path}/x.duckdb' AS x",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET threads = 8",
            "SET enable_external_access = true",
            "RESET lock_configuration",
            "PRAGMA threads = 8",
        ]:
            with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
                con.execute(sql)
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('enable_external_access', 'lock_configuration', 'threads')"
            ).fetchall()
        )
        assert settings == {
            "enable_external_access": "false",
            "lock_configuration": "true",
            "threads": "2",
        }
    finally:
        con.close()
    assert not (tmp_path / "out.csv").exists()


def test_in_memory_connection_cannot_be_read_only() -> None:
    """Why connect() does not pass read_only=True (documented in the module)."""
    with pytest.raises(duckdb.Error, match="read-only"):
        duckdb.connect(":memory:", read_only=True)


# --------------------------------------------------------------------------- privacy + output


def test_query_results_never_hold_names_or_ids(processed: Path) -> None:
    for name in catalog.DATASETS:
        assert_no_personal_data(
            query.run_query(f"SELECT * FROM {name}", processed), f"query({name})"
        )


def test_query_blanks_ids_and_views_hide_extra_columns(tmp_path: Path) -> None:
    raw = catalog.conform("roster", ROSTER).assign(
        note=pd.array([f"身份证{IDS[0]}", None, None, None, None], dtype="string"),
        id_number=pd.array(IDS[:2] * 2 + IDS[2:], dtype="string"),
    )
    for year, part in raw.groupby("year"):  # the partitioned layout, written by hand
        path = catalog.partition_path(tmp_path, "roster", year)
        path.parent.mkdir(parents=True)
        part.drop(columns="year").to_parquet(path, index=False)
    with pytest.warns(UserWarning, match="ID"):
        df = query.run_query("SELECT * FROM roster", tmp_path)
    assert "id_number" not in df.columns
    assert df["note"].iloc[0] == "身份证［已删除］"


def test_write_result(tmp_path: Path, processed: Path) -> None:
    df = query.run_query(
        "SELECT unit_code, value, '=1+1' AS f FROM indicators WHERE indicator = 'I08' ORDER BY unit_code",
        processed,
    )
    csv = query.write_result(df, tmp_path / "out" / "r.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv, encoding="utf-8-sig", dtype={"unit_code": "string"})
    assert back["unit_code"].tolist() == [DONGCHENG, SHILONG]
    assert back["value"].tolist() == [2.0, 4.0]
    assert back["f"].tolist() == ["'=1+1", "'=1+1"]
    pq = query.write_result(df, tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(pq), df)
    with pytest.raises(ParameterError):
        query.write_result(df, tmp_path / "r.txt")


def test_a_result_arrow_cannot_hold_is_a_clear_error(processed: Path, monkeypatch) -> None:
    """``SELECT repeat('x', 100000000) FROM range(30)``: 3 GB of text in one batch, which
    DuckDB's Arrow appender refuses with an OSError (faked here: the real one takes 2.4 GB)."""
    def refuse(*args):
        raise OSError("Invalid Input Error: Arrow Appender: The maximum total string size for "
                      "regular string buffers is 2147483647 but the offset of 2200000000 exceeds")

    monkeypatch.setattr(query, "_fetch", refuse)
    with pytest.raises(ParameterError, match="查询结果过大"):
        query.run_query("SELECT 1", processed)


def test_write_result_neutralises_enum_and_mixed_columns(tmp_path: Path, processed: Path) -> None:
    """An ENUM comes back as a categorical column, a mixed one as object: both are text in
    Excel, so both get the quote."""
    df = query.run_query(
        "SELECT CAST(CASE WHEN range = 0 THEN '=cmd|'' /C calc''!A0' ELSE 'b' END "
        "AS ENUM('=cmd|'' /C calc''!A0', 'b')) AS e, '+1' AS s FROM range(2) ORDER BY range",
        processed)
    assert isinstance(df["e"].dtype, pd.CategoricalDtype)
    df = df.assign(o=pd.Series(["@SUM(1)", 3], dtype=object))
    back = pd.read_csv(query.write_result(df, tmp_path / "r.csv"), encoding="utf-8-sig",
                       dtype=str)
    assert back.loc[0].tolist() == ["'=cmd|' /C calc'!A0", "'+1", "'@SUM(1)"]
    assert back.loc[1].tolist() == ["b", "'+1", "3"]


def test_write_result_refuses_a_name_that_is_not_utf8(tmp_path: Path, processed: Path) -> None:
    import os

    df = query.run_query("SELECT 1 AS a", processed)
    name = os.fsdecode(os.path.join(os.fsencode(tmp_path), "结果.parquet".encode("gbk")))
    with pytest.raises(ParameterError, match="not UTF-8"):
        query.write_result(df, name)
    assert list(tmp_path.iterdir()) == [tmp_path / "processed"]


def test_only_the_processed_folder_is_reachable(processed: Path, tmp_path: Path, monkeypatch) -> None:
    # DuckDB allows its spill folder (.tmp under the working folder) unless told otherwise
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / ".tmp" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("secret-from-cwd", encoding="utf-8")
    con = query.connect(processed)
    try:
        folders, files = con.execute("SELECT current_setting('allowed_directories'), "
                                     "current_setting('allowed_paths')").fetchone()
    finally:
        con.close()
    assert folders == []
    assert sorted(files) == sorted(str(path) for name in catalog.DATASETS
                                   for _, path in catalog.dataset_files(processed.resolve(), name))
    with pytest.raises(UnsafeQuery):
        query.run_query(f"SELECT content FROM read_text('{secret}')", processed)


def test_the_sandbox_sees_the_datasets_and_nothing_else(processed: Path) -> None:
    """The lock file (the last writer's command line), the manifest, the CSV copies and a key
    misplaced in the processed folder are out of reach; the dataset files are not."""
    p = processed.resolve()
    (p / ".lock").write_text("pid 1 talentstats ingest --key-file /secret", encoding="utf-8")
    (p / "pseudonym.key").write_bytes(b"k" * 32)
    csv = next(p.rglob("*.csv"))
    for target in (p / ".lock", p / catalog.MANIFEST_NAME, p / "pseudonym.key", csv):
        assert target.is_file()
        with pytest.raises(UnsafeQuery):
            query.run_query(f"SELECT hex(content) FROM read_blob('{target}')", processed)
    part = catalog.dataset_files(p, "indicators")[0][1]
    assert query.run_query(f"SELECT count(*) AS n FROM read_parquet('{part}')",
                           processed)["n"].item() > 0


def test_a_huge_result_is_cut_before_it_is_converted(processed: Path) -> None:
    df = query.run_query("SELECT range AS r FROM range(300000000)", processed)
    assert len(df) == query.MAX_ROWS == 1_000_000
    assert df["r"].iloc[-1] == 999_999
    assert "1,000,000" in df.attrs["cut"]
    wide = query.run_query("SELECT repeat('x ', 2000000) AS s FROM range(4)", processed,
                           max_bytes=10 * 2**20)
    assert len(wide) == 4  # one Arrow batch of 16 MB: cut after it, having passed 10 MB
    assert "10 MB" in wide.attrs["cut"]
    whole = query.run_query("SELECT range AS r FROM range(5000)", processed)
    assert len(whole) == 5000 and "cut" not in whole.attrs
