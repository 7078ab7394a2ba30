"""Exports of the processed datasets for R, Stata and Excel users, with Chinese labels.

| format  | files                              | labels                                                  |
|---------|------------------------------------|---------------------------------------------------------|
| csv     | ``<dataset>.csv`` (UTF-8 with BOM) | ``data_dictionary.csv`` beside                          |
| parquet | ``<dataset>.parquet``              | field metadata ``label_zh`` / ``label_en``; dictionary |
| dta     | ``<dataset>.dta`` (Stata 118, Unicode) | variable labels (80 characters at most)             |
| xlsx    | ``<dataset>.xlsx``                 | sheet ``数据`` (codes as header) + sheet ``变量说明``      |

Every exported dataset carries the unit's name, ``unit_name``, right after ``unit_code`` (the
processed datasets themselves keep the contract's columns), so nobody has to join the unit
registry. Every file reads back with pandas (``read_csv``, ``read_parquet``, ``read_stata``,
``read_excel``) to the same values, with the caveats of the formats: CSV and Stata cannot tell
missing text from ``""`` (both read back as ``""``), Excel cannot either (both read back as
missing), and Stata stores years and codes as 32-bit integers and nullable integers as floats.
A CSV text starting with ``=``, ``+``, ``-`` or ``@`` is prefixed with ``'`` so Excel does not run
it (as in the processed CSV files).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from talentstats.errors import DataNotFound, ParameterError
from talentstats.profile.config import city
from talentstats.store import catalog
from talentstats.store.api import guard_personal, select_rows, with_unit_names
from talentstats.store.codebook import COLUMN_LABELS, column_label, variables_table, write_workbook

__all__ = ["FORMATS", "export", "to_stata_frame"]

FORMATS = ("csv", "parquet", "dta", "xlsx")
DICTIONARY_FILE = "data_dictionary.csv"
XLSX_DATA_SHEET = "数据"
XLSX_LABEL_SHEET = "变量说明"
EXCEL_MAX_ROWS = 1_048_575
STATA_LABEL_LIMIT = 80
# The one column an export adds to the contract's (api.with_unit_names), and its meaning.
UNIT_NAME = "unit_name"
UNIT_NAME_LABEL = ("单位名称（按单位代码查单位名录）", "unit name, looked up from unit_code")


def _labels(name: str, column: str) -> tuple[str, str]:
    return UNIT_NAME_LABEL if column == UNIT_NAME else COLUMN_LABELS[name][column]


def _dictionary(names: Iterable[str]) -> pd.DataFrame:
    """The variables of the exported datasets: the codebook's, with ``unit_name`` after each
    ``unit_code``."""
    table = variables_table()
    table = table.loc[table["dataset"].isin(list(names))]
    unit_names = table.loc[table["column"] == "unit_code"].assign(
        column=UNIT_NAME, dtype="string", sql_type="VARCHAR", nullable=True,
        label_zh=UNIT_NAME_LABEL[0], label_en=UNIT_NAME_LABEL[1],
    )
    # each unit_name row shares its unit_code row's index: a stable sort puts it right after
    return pd.concat([table, unit_names]).sort_index(kind="stable").reset_index(drop=True)


def to_stata_frame(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """A frame Stata can hold, and its variable labels.

    Text columns become plain ``object`` with ``""`` for missing (Stata has no missing text);
    nullable integers become float with NaN (Stata's ``.``).
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == "string":
            out[col] = out[col].fillna("").astype(object)
        elif out[col].dtype == "Int64":
            out[col] = out[col].astype("float64")
    labels = {col: _stata_label(name, col) for col in out.columns}
    return out, labels


def _stata_label(name: str, column: str) -> str:
    if column != UNIT_NAME:
        return column_label(name, column, limit=STATA_LABEL_LIMIT)
    zh, en = UNIT_NAME_LABEL
    return f"{zh}（{en}）"


def _write_csv(name: str, frame: pd.DataFrame, path: Path) -> None:
    catalog.write_csv(frame, path)


def _write_parquet(name: str, frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        f.with_metadata(
            dict(zip(("label_zh", "label_en"), _labels(name, f.name), strict=True))
        )
        for f in table.schema
    ]
    schema = pa.schema(fields, metadata=table.schema.metadata)
    pq.write_table(table.cast(schema), path, compression="zstd")


def _write_dta(name: str, frame: pd.DataFrame, path: Path) -> None:
    data, labels = to_stata_frame(name, frame)
    data.to_stata(
        path,
        write_index=False,
        version=118,
        variable_labels=labels,
        data_label=f"{city().name}人才资源统计 {name}"[:80],
    )


def _write_xlsx(name: str, frame: pd.DataFrame, path: Path) -> None:
    if len(frame) > EXCEL_MAX_ROWS:
        raise ParameterError(
            f"{name} 有 {len(frame)} 行，超过 Excel 上限 / {name} has more rows than Excel allows: "
            "use csv or parquet"
        )
    labels = _dictionary([name]).loc[:, ["column", "dtype", "label_zh", "label_en"]]
    labels.columns = ["变量", "类型", "中文含义", "English"]
    write_workbook(path, {XLSX_DATA_SHEET: frame, XLSX_LABEL_SHEET: labels})


_WRITERS = {"csv": _write_csv, "parquet": _write_parquet, "dta": _write_dta, "xlsx": _write_xlsx}


def export(
    processed_dir: str | Path,
    out_dir: str | Path,
    fmt: str,
    *,
    datasets: Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
) -> list[Path]:
    """Export the processed datasets present in ``processed_dir`` to ``out_dir`` as ``fmt``.

    Files are staged and renamed into place, so an interrupted export leaves earlier files
    whole. For csv and parquet a ``data_dictionary.csv`` (UTF-8 with BOM) is written beside.

    Parameters
    ----------
    fmt
        csv, parquet, dta or xlsx.
    datasets
        Default: every dataset of the catalog that has been written.
    years
        Keep only these years.

    Returns
    -------
    The paths written.

    Raises
    ------
    ParameterError
        Unknown format or dataset, or a dataset too long for Excel.
    DataNotFound
        Nothing to export.

    Examples
    --------
    >>> export("data/processed", "reports/export", "dta")  # doctest: +SKIP
    """
    if fmt not in FORMATS:
        raise ParameterError(
            f"不支持的格式 / unsupported format: {fmt!r}; use {', '.join(FORMATS)}"
        )
    folder = Path(processed_dir)
    if datasets is None:
        names = [n for n in catalog.DATASETS if catalog.has_dataset(folder, n)]
    else:
        names = list(datasets)
        unknown = [n for n in names if n not in catalog.DATASETS]
        if unknown:
            raise ParameterError(f"未知数据集 / unknown datasets: {unknown}")
    if not names:
        raise DataNotFound(f"{folder} 中没有可导出的数据集 / nothing to export in {folder}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=out) as tmp:
        for name in names:
            frame = select_rows(catalog.read_dataset(folder, name), years=years)
            frame = with_unit_names(guard_personal(frame, name))
            target = out / f"{name}.{fmt}"
            _WRITERS[fmt](name, frame, Path(tmp) / target.name)
            staged.append((Path(tmp) / target.name, target))
        if fmt in ("csv", "parquet"):
            tmp_dict = Path(tmp) / DICTIONARY_FILE
            _dictionary(names).to_csv(
                tmp_dict, index=False, encoding="utf-8-sig", lineterminator="\n"
            )
            staged.append((tmp_dict, out / DICTIONARY_FILE))
        for src, dst in staged:
            os.replace(src, dst)
    return [dst for _, dst in staged]
