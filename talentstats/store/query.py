"""Read-only SQL over the processed datasets, in a locked DuckDB sandbox.

How the sandbox is built (pitfalls.md, "DuckDB as a sandbox"), each step measured on DuckDB 2.0:

1. An **in-memory** connection. ``read_only=True`` applies to a database *file* only: DuckDB
   refuses it for ``:memory:`` ("Cannot launch in-memory database in read-only mode"), and it
   would not stop ``COPY ... TO`` or ``read_csv('/etc/passwd')`` anyway. There is no database
   file to protect; what matters are the file-system settings below.
2. One view per dataset present, over its year partitions by absolute path:
   ``SELECT <catalog columns> FROM read_parquet('<OUT>/<name>/year=Y/part-0.parquet')``, one
   ``UNION ALL`` branch per year with ``year`` taken from the folder name (as Hive
   partitioning does, but without parsing any other ``key=value`` folder of the path), created
   before the lock (only the catalog's columns, with the catalog's types). The file list comes
   from :func:`talentstats.store.catalog.dataset_files`, so a write killed after its commit point is
   read in its new state, as everywhere else.
3. ``SET allowed_paths=[<each dataset file the views read>]`` (and no allowed directory),
   ``SET enable_external_access=false``, ``SET memory_limit``, ``SET threads``, then
   ``SET lock_configuration=true``, in that order. The views keep working: with external
   access off, DuckDB still reads the allowed files (and refuses everything else: the lock file
   with the last writer's command line, the manifest, a key misplaced there, ``..`` paths).
   Without ``allowed_paths`` the views themselves fail.
4. Only a single ``SELECT`` statement is accepted (checked with DuckDB's own parser before it
   runs). This matters because the allowed files could otherwise be *written*:
   ``COPY ... TO '<processed>/…/part-0.parquet'`` passes the file-system check.
5. The result is read as Arrow batches of ``BATCH_ROWS`` rows, and reading stops at
   ``MAX_ROWS`` rows or ``MAX_BYTES`` bytes: DuckDB's ``memory_limit`` does not cover the
   result handed to Python, so ``SELECT range FROM range(300000000)`` would otherwise take
   gigabytes. A cut result says so in ``DataFrame.attrs["cut"]``.

Each query gets a fresh connection, so nothing a query does outlives it. A query running longer
than ``timeout`` seconds is interrupted. The result is scanned for text shaped like an ID number
(:func:`talentstats.store.api.redact_personal`). These limits apply to SQL only: a user who runs
Python is not sandboxed (the processed files should be read-only for researchers' accounts).
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from talentstats import paths
from talentstats.errors import DataNotFound, ParameterError, UnsafeQuery
from talentstats.store import catalog
from talentstats.store.api import guard_personal

__all__ = [
    "ALLOWED_STATEMENTS",
    "check_statement",
    "connect",
    "duckdb_type",
    "run_query",
    "write_result",
]

MEMORY_LIMIT = "1GB"
THREADS = 2
TIMEOUT_SECONDS = 60.0
#: A result is cut at this many rows, or once its Arrow batches hold this many bytes.
MAX_ROWS = 1_000_000
MAX_BYTES = 256 * 2**20
#: Rows per Arrow batch read from DuckDB (its vector size: a smaller one saves nothing).
BATCH_ROWS = 2048

ALLOWED_STATEMENTS = frozenset({duckdb.StatementType.SELECT})

_DUCKDB_TYPES = {
    "int64": "BIGINT",
    "Int64": "BIGINT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
}


def duckdb_type(pandas_dtype: str) -> str:
    """The SQL type a catalog dtype has in the sandbox (int64 -> BIGINT, string -> VARCHAR)."""
    return _DUCKDB_TYPES[pandas_dtype]


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _view_sql(name: str, files: list[tuple[int | None, Path]]) -> str:
    columns = catalog.DATASETS[name].columns

    def select(year: int | None, source: str) -> str:
        cols = ", ".join(
            f"CAST({year} AS BIGINT) AS {_ident(c)}" if c == "year" and year is not None
            else f"CAST({_ident(c)} AS {duckdb_type(t)}) AS {_ident(c)}"
            for c, t in columns.items()
        )
        return f"SELECT {cols} FROM {source}"

    branches = [
        select(year, f"read_parquet({_sql_literal(str(path))})") for year, path in files
    ]
    if not branches:  # written, with no rows in any year
        nulls = ", ".join(f"CAST(NULL AS {duckdb_type(t)}) AS {_ident(c)}"
                          for c, t in columns.items())
        branches = [f"SELECT {nulls} WHERE false"]
    return f"CREATE VIEW {_ident(name)} AS " + " UNION ALL ".join(branches)


def connect(
    processed_dir: str | Path,
    *,
    memory_limit: str = MEMORY_LIMIT,
    threads: int = THREADS,
) -> duckdb.DuckDBPyConnection:
    """A locked in-memory DuckDB connection with one view per processed dataset.

    Raises
    ------
    DataNotFound
        When the folder holds none of the datasets.
    """
    folder = Path(processed_dir).resolve()
    present = {
        name: files
        for name in catalog.DATASETS
        if (files := catalog.dataset_files(folder, name)) is not None
    }
    if not present:
        raise DataNotFound(
            f"{folder} 中没有已处理的数据集 / no processed datasets in {folder}: "
            "run `talentstats ingest` first"
        )
    con = duckdb.connect(":memory:")
    try:
        for name, files in present.items():
            con.execute(_view_sql(name, files))
        allowed = ", ".join(_sql_literal(str(path)) for files in present.values()
                            for _, path in files)
        # DuckDB adds its spill folder (.tmp under the working folder) to the allowed
        # directories; no spilling, so a query can read nothing but the dataset files.
        con.execute("SET temp_directory=''")
        con.execute(f"SET allowed_paths=[{allowed}]")
        con.execute("SET enable_external_access=false")
        con.execute(f"SET memory_limit={_sql_literal(memory_limit)}")
        con.execute(f"SET threads={int(threads)}")
        con.execute("SET lock_configuration=true")
    except BaseException:
        con.close()
        raise
    return con


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT (UnsafeQuery), or SQL that does not parse (ParameterError)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ParameterError(f"SQL 语法错误 / SQL syntax error: {exc}") from None
    if len(statements) != 1:
        raise UnsafeQuery(
            f"只允许一条 SELECT 语句，收到 {len(statements)} 条 / "
            f"exactly one SELECT statement is allowed, got {len(statements)}"
        )
    kind = statements[0].type
    if kind not in ALLOWED_STATEMENTS:
        raise UnsafeQuery(
            f"只允许查询（SELECT），不允许 {kind.name} 语句 / only SELECT is allowed, "
            f"not {kind.name}: the sandbox cannot write, attach, load or change settings"
        )


def _translate(exc: duckdb.Error) -> Exception:
    text = str(exc)
    if isinstance(exc, duckdb.PermissionException) or "file system operations are disabled" in text:
        return UnsafeQuery(
            f"查询不得访问已处理数据集以外的文件或扩展 / the query may not reach files or "
            f"extensions outside the processed datasets: {text.splitlines()[0]}"
        )
    if "configuration has been locked" in text:
        return UnsafeQuery(
            f"查询不得更改数据库设置 / the query may not change settings: {text.splitlines()[0]}"
        )
    if isinstance(exc, duckdb.InterruptException):
        return ParameterError("查询超时，已中止 / the query timed out and was interrupted")
    return ParameterError(f"查询出错 / query failed: {text}")


def run_query(
    sql: str,
    processed_dir: str | Path,
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> pd.DataFrame:
    """Run one SELECT over the processed datasets and return the result.

    At most ``max_rows`` rows, and about ``max_bytes`` bytes, are read; a result cut there
    says so in ``attrs["cut"]``.

    The datasets are views named as in the catalog: ``observations``, ``findings``,
    ``submissions``, ``roster``, ``indicators``.

    Raises
    ------
    UnsafeQuery
        For anything but a SELECT, or a SELECT that reaches files, extensions or settings.
    ParameterError
        For SQL that does not parse or fails (unknown column, type error, timeout).
    DataNotFound
        When nothing has been ingested into ``processed_dir``.

    Examples
    --------
    >>> run_query("SELECT year, value FROM indicators "
    ...           "WHERE unit_code = '441900' AND indicator = 'I01' ORDER BY year",
    ...           "data/processed")  # doctest: +SKIP
    """
    con = connect(processed_dir)
    timer = threading.Timer(timeout, con.interrupt)
    try:
        check_statement(con, sql)
        timer.start()
        result = _fetch(con.sql(sql).to_arrow_reader(BATCH_ROWS), max_rows, max_bytes)
    except duckdb.Error as exc:
        raise _translate(exc) from None
    except (pa.ArrowException, OSError) as exc:  # a batch's text over 2 GB: Arrow refuses it
        raise ParameterError(
            f"查询结果过大，无法读取；请缩小查询范围 / the result is too large to read: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    finally:
        timer.cancel()
        con.close()
    return guard_personal(result, "查询结果")


def _fetch(reader: pa.RecordBatchReader, max_rows: int, max_bytes: int) -> pd.DataFrame:
    """Read a result's batches until ``max_rows`` rows or ``max_bytes`` bytes, then convert.

    A cut result carries ``attrs["cut"]``, a Chinese and English sentence saying where.
    """
    batches: list[pa.RecordBatch] = []
    rows = size = 0
    cut = ""
    for batch in reader:
        if rows + batch.num_rows > max_rows:
            batch = batch.slice(0, max_rows - rows)
            cut = f"结果超过 {max_rows:,} 行，只取前 {max_rows:,} 行 / cut at {max_rows:,} rows"
        batches.append(batch)
        rows += batch.num_rows
        size += batch.nbytes
        if not cut and size > max_bytes:
            cut = (f"结果超过 {max_bytes // 2**20} MB，只取前 {rows:,} 行 / cut at {rows:,} rows "
                   f"({max_bytes // 2**20} MB)")
        if cut:
            break
    frame = pa.Table.from_batches(batches, schema=reader.schema).to_pandas()
    if cut:
        frame.attrs["cut"] = cut
    return frame


def write_result(df: pd.DataFrame, out_path: str | Path) -> Path:
    """Write a query result to ``.csv`` (UTF-8 with BOM, for Excel) or ``.parquet``.

    Raises
    ------
    ParameterError
        For any other extension, or a path whose name is not UTF-8.
    """
    out = paths.utf8_path(out_path)  # pyarrow cannot write under another name
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ParameterError(
            f"结果文件须为 .csv 或 .parquet / the result file must end in .csv or .parquet: {out}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    data = guard_personal(df, str(out))
    if suffix == ".csv":
        catalog.csv_safe(data).to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\n")
    else:
        data.to_parquet(out, index=False)
    return out
