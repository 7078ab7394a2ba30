"""The processed datasets of spec §7: their names, columns, types, and how they are stored.

Stages ask this module for ``observations`` and never build a file name themselves. Every
dataset is written as Parquet (the source of truth) and as CSV (UTF-8 with BOM, for Excel).
Writes are atomic: all files of a write are staged in the output folder, then renamed into
place, so an interrupted run leaves the previous files whole.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from talentstats.errors import DataNotFound

__all__ = [
    "DATASETS",
    "Dataset",
    "conform",
    "csv_safe",
    "empty",
    "read_dataset",
    "replace_years",
    "write_datasets",
]


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    columns: Mapping[str, str]  # column -> pandas dtype
    sort_by: tuple[str, ...]


_STR = "string"

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "observations",
            "One row per reported number of an accepted form (money in 万元).",
            {
                "year": "int64",
                "unit_code": _STR,
                "form": _STR,
                "item": "int64",
                "column": "int64",
                "value": "float64",
                "source": _STR,
            },
            ("year", "unit_code", "form", "item", "column"),
        ),
        Dataset(
            "findings",
            "Every finding of the ingest and the validation rules, in Chinese.",
            {
                "year": "int64",
                "unit_code": _STR,
                "form": _STR,
                "rule": _STR,
                "kind": _STR,
                "severity": _STR,
                "message": _STR,
                "cells": _STR,
                "source_file": _STR,
            },
            ("year", "unit_code", "source_file", "form", "rule", "cells", "message"),
        ),
        Dataset(
            "submissions",
            "Every form found in every file, with its status.",
            {
                "year": "int64",
                "unit_code": _STR,
                "form": _STR,
                "source_file": _STR,
                "sha256": _STR,
                "status": _STR,
            },
            ("year", "unit_code", "form", "source_file"),
        ),
        Dataset(
            "roster",
            "TR4 high-level talents of accepted rosters; names and ID numbers replaced by a keyed pseudonym.",
            {
                "year": "int64",
                "unit_code": _STR,
                "person": _STR,
                "sex": _STR,
                "birth_year": "Int64",
                "education": _STR,
                "title": _STR,
                "category": _STR,
                "category_item": "Int64",
                "employer": _STR,
                "industry": _STR,
                "recognised_year": "Int64",
                "note": _STR,
                "source": _STR,
            },
            ("year", "unit_code", "person", "source"),
        ),
        Dataset(
            "indicators",
            "Indicators I01-I14 per unit and for the city (441900), per year.",
            {"year": "int64", "unit_code": _STR, "indicator": _STR, "value": "float64"},
            ("year", "unit_code", "indicator"),
        ),
    )
}


def _dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise DataNotFound(f"no dataset {name!r}; known: {', '.join(DATASETS)}") from None


def empty(name: str) -> pd.DataFrame:
    """An empty frame with the dataset's columns and types."""
    ds = _dataset(name)
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in ds.columns.items()})


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the dataset's columns, types and row order."""
    ds = _dataset(name)
    missing = [c for c in ds.columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    out = frame.loc[:, list(ds.columns)].astype(dict(ds.columns))
    return out.sort_values(list(ds.sort_by), kind="stable").reset_index(drop=True)


def parquet_path(folder: Path, name: str) -> Path:
    return Path(folder) / f"{name}.parquet"


def csv_path(folder: Path, name: str) -> Path:
    return Path(folder) / f"{name}.csv"


def read_dataset(folder: Path, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
    """Read one dataset from a processed folder, typed per the catalog.

    Raises
    ------
    DataNotFound
        When the file is absent and ``missing_ok`` is false.
    """
    path = parquet_path(folder, name)
    if not path.exists():
        if missing_ok:
            return empty(name)
        raise DataNotFound(
            f"{path} does not exist: run `talentstats ingest` for at least one year first"
        )
    return conform(name, pd.read_parquet(path))


def replace_years(old: pd.DataFrame, new: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """``old`` without the given years, plus ``new`` (pure; the caller conforms the result)."""
    keep = old[~old["year"].isin(list(years))]
    frames = [f for f in (keep, new) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else new.iloc[0:0]


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix strings that Excel would run as formulas with a quote (pitfalls: CSV injection)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == "string":
            s = out[col]
            risky = s.str.startswith(_CSV_FORMULA_START).fillna(False)
            if risky.any():
                out[col] = s.mask(risky, "'" + s)
    return out


def write_datasets(folder: Path, frames: Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write datasets as Parquet and CSV, atomically.

    Each frame is conformed to its schema. All files are written to a staging folder inside
    ``folder`` first, then renamed into place; an interruption before the renames leaves the
    previous files untouched.

    Returns
    -------
    The paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=folder) as tmp:
        for name, frame in frames.items():
            data = conform(name, frame)
            pq = Path(tmp) / f"{name}.parquet"
            data.to_parquet(pq, index=False, compression="zstd")
            csv = Path(tmp) / f"{name}.csv"
            csv_safe(data).to_csv(csv, index=False, encoding="utf-8-sig", lineterminator="\n")
            staged += [(pq, parquet_path(folder, name)), (csv, csv_path(folder, name))]
        for src, dst in staged:
            os.replace(src, dst)
    return [dst for _, dst in staged]
