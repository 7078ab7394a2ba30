"""The processed datasets (docs/data-contract.md): their names, columns, types, and how they are stored.

Stages ask this module for ``observations`` and never build a file name themselves. Every
dataset is stored as Parquet partitioned by year, Hive style (the source of truth, read
directly by DuckDB, Arrow, Spark or Trino), and as one CSV (UTF-8 with BOM, for Excel)::

    OUT/observations/year=2013/part-0.parquet   # the columns without `year` (it is the folder)
    OUT/observations.csv                        # every year, with `year`
    OUT/_manifest.json                          # every file with its sha256, bytes and rows

A write changes only the partitions it is given (an ingest: its own year), and commits
atomically: every new file and the new manifest are staged in a hidden folder of OUT, which is
then renamed ``OUT/.commit`` (the commit point), and its files are moved into place with
``os.replace``; the manifest moves last. A run killed before the commit point leaves the
previous files as they were (its staging folder is removed by the next writer). A run killed
after it leaves ``.commit``, which the next writer finishes (roll forward) and which readers
here already honour, so :func:`read_dataset` always sees one complete state, old or new.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from talentstats.errors import DataNotFound
from talentstats.reading.digest import sha256_file

__all__ = [
    "DATASETS",
    "MANIFEST_NAME",
    "Dataset",
    "Write",
    "conform",
    "csv_path",
    "csv_safe",
    "dataset_dir",
    "dataset_files",
    "empty",
    "has_dataset",
    "manifest_digest",
    "partition_path",
    "read_dataset",
    "read_manifest",
    "recover",
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
            "Indicators I01-I14 per unit and for the city (its own unit code, city.yaml `code`), per year.",
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


# --------------------------------------------------------------------------- layout

MANIFEST_NAME = "_manifest.json"
PENDING_NAME = ".commit"  # a write past its commit point, being moved into place
STAGING_PREFIX = ".staging-"  # a write before its commit point (removed if left behind)
JOURNAL_NAME = "_commit.json"  # in a pending write: the files to move and to delete
PART_NAME = "part-0.parquet"
MANIFEST_FORMAT = "talentstats-processed/1"
_YEAR_DIR = re.compile(r"^year=(\d{1,4})$")


def dataset_dir(folder: str | Path, name: str) -> Path:
    """The folder of a dataset's year partitions: ``OUT/<name>``."""
    _dataset(name)
    return Path(folder) / name


def partition_path(folder: str | Path, name: str, year: int) -> Path:
    """One year's Parquet file: ``OUT/<name>/year=<year>/part-0.parquet``."""
    return dataset_dir(folder, name) / f"year={int(year)}" / PART_NAME


def _partition_rel(name: str, year: int) -> str:
    return f"{name}/year={int(year)}/{PART_NAME}"


def csv_path(folder: str | Path, name: str) -> Path:
    """The dataset's single CSV (every year): ``OUT/<name>.csv``."""
    return Path(folder) / f"{name}.csv"


def _legacy_path(folder: Path, name: str) -> Path:
    """Where releases before the partitioned layout kept a dataset (read, then replaced)."""
    return folder / f"{name}.parquet"


@dataclass(frozen=True)
class _Source:
    year: int | None  # None: a flat file of an earlier release, holding its own `year` column
    paths: tuple[Path, ...]  # where to read it, first existing wins (a pending copy first)


def _pending_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / PENDING_NAME / MANIFEST_NAME).read_bytes())
    except FileNotFoundError:
        return None


def _partitions_in_place(folder: Path, name: str) -> dict[int, list[str]]:
    """Year -> the Parquet files (relative to ``folder``) in that year's partition folder."""
    base = folder / name
    found: dict[int, list[str]] = {}
    if not base.is_dir():
        return found
    for d in sorted(base.iterdir()):
        m = _YEAR_DIR.match(d.name)
        if not m or not d.is_dir():
            continue
        files = sorted(f"{name}/{d.name}/{f.name}" for f in d.iterdir()
                       if f.suffix == ".parquet" and not f.name.startswith((".", "_")))
        if files:
            found[int(m.group(1))] = files
    return found


def _sources(folder: Path, name: str) -> list[_Source] | None:
    """The files a reader takes for ``name``, or None when the dataset was never written."""
    pending = _pending_manifest(folder)
    if pending is not None:  # a killed write past its commit point: read its new state
        if name not in pending["datasets"]:
            return None
        out = []
        for rel in sorted(pending["files"]):
            parts = rel.split("/")
            m = _YEAR_DIR.match(parts[1]) if len(parts) == 3 and parts[0] == name else None
            if m:
                out.append(_Source(int(m.group(1)), (folder / PENDING_NAME / rel, folder / rel)))
        return sorted(out, key=lambda s: s.year)
    parts = _partitions_in_place(folder, name)
    if parts or (folder / name).is_dir():
        return [_Source(y, (folder / rel,)) for y in sorted(parts) for rel in parts[y]]
    legacy = _legacy_path(folder, name)
    if legacy.is_file():
        return [_Source(None, (legacy,))]
    return None


def has_dataset(folder: str | Path, name: str) -> bool:
    """Whether ``name`` has been written into ``folder`` (possibly with no rows)."""
    _dataset(name)
    return _sources(Path(folder), name) is not None


def dataset_files(folder: str | Path, name: str) -> list[tuple[int | None, Path]] | None:
    """The Parquet files that hold ``name`` now, each with its year, or None if never written.

    The year is None for a flat file of an earlier release (it holds its own ``year``).
    """
    _dataset(name)
    sources = _sources(Path(folder), name)
    if sources is None:
        return None
    return [(s.year, next((p for p in s.paths if p.exists()), s.paths[-1])) for s in sources]


def _read_source(src: _Source) -> pa.Table:
    for i, path in enumerate(src.paths):
        try:
            table = pq.read_table(path)
            break
        except FileNotFoundError:  # moved into place by a writer meanwhile: take the next
            if i == len(src.paths) - 1:
                raise
    if src.year is not None:
        if "year" in table.column_names:  # the folder name wins, as in Hive
            table = table.drop_columns(["year"])
        table = table.append_column(
            "year", pa.array(np.full(table.num_rows, src.year, dtype="int64"))
        )
    return table


def _state(folder: Path) -> tuple[bytes | None, bytes | None]:
    """What tells one committed state from another: the pending and the current manifest."""
    out = []
    for path in (folder / PENDING_NAME / MANIFEST_NAME, folder / MANIFEST_NAME):
        try:
            out.append(path.read_bytes())
        except FileNotFoundError:
            out.append(None)
    return out[0], out[1]


def read_dataset(folder: Path, name: str, *, missing_ok: bool = False,
                 years: Iterable[int] | None = None) -> pd.DataFrame:
    """Read one dataset from a processed folder, typed per the catalog.

    Only the partitions of ``years`` are read when given. The read sees one committed state:
    if a writer commits meanwhile, it is read again.

    Raises
    ------
    DataNotFound
        When the dataset was never written and ``missing_ok`` is false.
    """
    folder = Path(folder)
    _dataset(name)
    wanted = None if years is None else {int(y) for y in years}
    for attempt in range(5):
        before = _state(folder)
        sources = _sources(folder, name)
        if sources is None:
            if missing_ok:
                return empty(name)
            raise DataNotFound(
                f"{dataset_dir(folder, name)} does not exist: run `talentstats ingest` for at "
                "least one year first"
            )
        if wanted is not None:
            sources = [s for s in sources if s.year is None or s.year in wanted]
        try:
            tables = [_read_source(s) for s in sources]
        except FileNotFoundError:
            if attempt == 4:
                raise
            continue
        if _state(folder) == before:
            break
    if not tables:
        return empty(name)
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    if wanted is not None:
        frame = frame[frame["year"].isin(wanted)]
    return conform(name, frame)


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of the state readers see (a pending commit's, else ``_manifest.json``)."""
    pending, current = _state(Path(folder))
    raw = pending if pending is not None else current
    return None if raw is None else json.loads(raw)


def manifest_digest(folder: str | Path) -> str | None:
    """sha256 of the manifest readers see: one hash names the whole processed state."""
    pending, current = _state(Path(folder))
    raw = pending if pending is not None else current
    return None if raw is None else hashlib.sha256(raw).hexdigest()


def replace_years(old: pd.DataFrame, new: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """``old`` without the given years, plus ``new`` (pure; the caller conforms the result)."""
    keep = old[~old["year"].isin(list(years))]
    frames = [f for f in (keep, new) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else new.iloc[0:0]


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix strings that Excel would run as formulas with a quote (pitfalls: CSV injection).

    Every text-like column is looked at: strings, categoricals (a query's ENUM) and object
    columns (mixed values); a categorical or object column that needs a prefix becomes text.
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
            s = s.astype("string")
        elif s.dtype != "string":
            continue
        risky = s.str.startswith(_CSV_FORMULA_START).fillna(False)
        if risky.any():
            out[col] = s.mask(risky, "'" + s)
    return out


# --------------------------------------------------------------------------- writing


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A dataset as CSV for Excel: UTF-8 with BOM, formula-like strings neutralised.

    Written by Arrow's C++ writer, about ten times faster than ``DataFrame.to_csv`` on the
    millions of rows of a national collection. Strings are quoted, numbers are not; a float
    prints in its shortest form (``12`` for 12.0).
    """
    table = pa.Table.from_pandas(csv_safe(frame), preserve_index=False)
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, f, pacsv.WriteOptions(quoting_style="needed"))


FSYNC = True  # staged files reach the disk before the commit point (power cuts, not only kills)


def _fsync(path: Path) -> None:
    if not FSYNC:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, obj: Mapping) -> None:
    text = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")


def _scan_manifest(folder: Path) -> dict:
    """A manifest of what is in place, for a folder written before manifests (or without one)."""
    datasets: dict[str, dict] = {}
    files: dict[str, dict] = {}
    for name in DATASETS:
        parts = _partitions_in_place(folder, name)
        if not parts and not (folder / name).is_dir():
            continue
        rows = 0
        for rels in parts.values():
            for rel in rels:
                n = pq.ParquetFile(folder / rel).metadata.num_rows
                files[rel] = {"bytes": (folder / rel).stat().st_size,
                              "rows": n, "sha256": sha256_file(folder / rel)}
                rows += n
        entry = {"rows": rows, "years": sorted(parts)}
        csv = csv_path(folder, name)
        if csv.is_file():
            files[csv.name] = {"bytes": csv.stat().st_size, "sha256": sha256_file(csv)}
            entry["csv"] = csv.name
        datasets[name] = entry
    return {"datasets": datasets, "files": files, "format": MANIFEST_FORMAT}


def _current_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_bytes())
        if manifest.get("format") == MANIFEST_FORMAT:
            return manifest
    except (FileNotFoundError, ValueError):
        pass
    return _scan_manifest(folder)


@dataclass
class _Staged:
    """What staging one dataset gave: manifest entries, and the files to move and delete."""

    files: dict[str, dict]
    entry: dict
    replace: list[str]
    delete: list[str]


def _stage_one(folder: Path, stage: Path, name: str, frame: pd.DataFrame,
               years: Iterable[int] | None, old_files: Mapping[str, dict]) -> _Staged:
    """Write one dataset's new partitions and its CSV under ``stage``."""
    data = conform(name, frame)
    files: dict[str, dict] = {}
    replace: list[str] = []
    delete: list[str] = []
    on_disk = _partitions_in_place(folder, name)
    present = {int(y) for y in data["year"].unique()}
    wanted = {int(y) for y in years} if years is not None else set(present)
    # a year of the frame without a partition yet (first write, or an earlier release's
    # flat file) is written too; a partition of a year gone from the frame is removed
    wanted |= present - set(on_disk)
    untouched = (set(on_disk) & present) - wanted
    for y in sorted(set(on_disk) - present - wanted):
        delete += on_disk[y]
    by_year = dict(iter(data.groupby("year", sort=True)))
    for y in sorted(wanted):
        part = by_year.get(y, data.iloc[0:0]).drop(columns="year")
        rel = _partition_rel(name, y)
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        part.to_parquet(target, index=False, compression="zstd")
        _fsync(target)
        files[rel] = {"bytes": target.stat().st_size, "rows": len(part),
                      "sha256": sha256_file(target)}
        replace.append(rel)
        delete += [r for r in on_disk.get(y, []) if r != rel]
    for y in sorted(untouched):
        for rel in on_disk[y]:
            if rel not in old_files:  # not in the old manifest: describe it as it is
                files[rel] = {"bytes": (folder / rel).stat().st_size,
                              "rows": pq.ParquetFile(folder / rel).metadata.num_rows,
                              "sha256": sha256_file(folder / rel)}
    csv = stage / csv_path(folder, name).name
    write_csv(data, csv)
    _fsync(csv)
    files[csv.name] = {"bytes": csv.stat().st_size, "sha256": sha256_file(csv)}
    replace.append(csv.name)
    if _legacy_path(folder, name).is_file():
        delete.append(_legacy_path(folder, name).name)
    known = {**old_files, **files}
    kept = sorted(untouched | wanted)
    entry = {
        "csv": csv.name,
        "rows": sum(known[r]["rows"] for y in kept
                    for r in ([_partition_rel(name, y)] if y in wanted else on_disk[y])),
        "years": kept,
    }
    return _Staged(files, entry, replace, delete)


def _combine(old: dict, staged: Mapping[str, _Staged]) -> tuple[dict, dict]:
    """The new manifest and the journal, from the old manifest and the staged datasets (put
    together in the datasets' order, whatever order they were staged in)."""
    files = dict(old["files"])
    datasets = dict(old["datasets"])
    replace: list[str] = []
    delete: list[str] = []
    for name, result in staged.items():
        files.update(result.files)
        datasets[name] = result.entry
        replace += result.replace
        delete += result.delete
    for rel in delete:
        files.pop(rel, None)
    manifest = {"datasets": datasets, "files": files, "format": MANIFEST_FORMAT}
    return manifest, {"datasets": sorted(staged), "delete": sorted(set(delete)),
                      "replace": replace}


def _finish(folder: Path) -> None:
    """Move a committed write (``OUT/.commit``) into place; safe to run again after a kill."""
    pending = folder / PENDING_NAME
    try:
        journal = json.loads((pending / JOURNAL_NAME).read_bytes())
    except FileNotFoundError:  # its clean-up was under way: everything is in place
        journal = None
    if journal is not None:
        for name in journal["datasets"]:  # a dataset with no partition is still there
            (folder / name).mkdir(exist_ok=True)
        for rel in journal["replace"]:
            src = pending / rel
            if src.exists():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, folder / rel)
        for rel in journal["delete"]:
            (folder / rel).unlink(missing_ok=True)
            if (folder / rel).parent != folder:
                try:  # the year=Y folder, once empty
                    (folder / rel).parent.rmdir()
                except OSError:
                    pass
        if (pending / MANIFEST_NAME).exists():
            os.replace(pending / MANIFEST_NAME, folder / MANIFEST_NAME)
        _fsync(folder)
    shutil.rmtree(pending)


def recover(folder: str | Path) -> dict[str, object]:
    """Finish a write killed after its commit point; remove staging folders left by kills.

    Call it holding the folder's lock (:mod:`talentstats.store.lock`), as every writer does.

    Returns
    -------
    What was done: ``finished`` (bool) and ``removed`` (staging folder names).
    """
    folder = Path(folder)
    finished = (folder / PENDING_NAME).is_dir()
    if finished:
        _finish(folder)
    removed = sorted(p.name for p in folder.glob(f"{STAGING_PREFIX}*") if p.is_dir())
    for name in removed:
        shutil.rmtree(folder / name, ignore_errors=True)
    return {"finished": finished, "removed": removed}


class Write:
    """One atomic write of datasets, each staged on a thread as soon as it is added.

    ::

        with catalog.Write(folder) as write:
            write.add("observations", frame, years=[2016])  # staging starts at once
            ...                                              # other work meanwhile
            written = write.commit()

    Sorting, Parquet and CSV encoding, hashing and fsync run in Arrow, numpy and hashlib
    without the GIL, so the datasets are staged side by side, and alongside whatever the
    caller computes next (the ingest computes the indicators while the other datasets are
    staged). ``commit`` waits for them, then commits every file together (see the module
    docstring). Leaving the block without a commit (an error, Ctrl-C) removes what was staged
    and leaves the folder as it was.

    The block holds the folder's lock, and on entering finishes or removes what an earlier
    killed write left. ``add`` takes the dataset's whole content after the write (all years)
    and ``years``, the partitions to rewrite (see :func:`write_datasets`).

    Raises
    ------
    FolderBusy
        On entering, when another process holds the folder's lock.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._staged: dict[str, Future] = {}
        self._written: list[Path] | None = None

    def __enter__(self) -> Write:
        from talentstats.store import lock

        self._lock = lock.hold(self.folder)
        self._lock.__enter__()
        try:
            recover(self.folder)
            self._old = _current_manifest(self.folder)
            self._stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.folder))
        except BaseException:
            self._lock.__exit__(*sys.exc_info())
            raise
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                        thread_name_prefix="talentstats-stage")
        return self

    def add(self, name: str, frame: pd.DataFrame, *, years: Iterable[int] | None = None) -> None:
        """Stage ``name`` (on a thread): its new partitions of ``years`` and its CSV."""
        _dataset(name)
        if name in self._staged:
            raise ValueError(f"dataset {name!r} was already added to this write")
        # a shallow copy: the caller goes on reading ``frame`` while the thread stages it
        self._staged[name] = self._pool.submit(
            _stage_one, self.folder, self._stage, name, frame.copy(deep=False),
            None if years is None else [int(y) for y in years], self._old["files"])

    def commit(self) -> list[Path]:
        """Wait for the staging, then commit. Returns the paths written, the manifest last."""
        staged = {name: future.result() for name, future in self._staged.items()}
        manifest, journal = _combine(self._old, staged)
        _write_json(self._stage / MANIFEST_NAME, manifest)
        _write_json(self._stage / JOURNAL_NAME, journal)
        # the datasets' files were synced as they were staged; now the rest, files before
        # their folders
        _fsync(self._stage / MANIFEST_NAME)
        _fsync(self._stage / JOURNAL_NAME)
        for p in sorted((p for p in self._stage.rglob("*") if p.is_dir()), reverse=True):
            _fsync(p)
        _fsync(self._stage)
        os.rename(self._stage, self.folder / PENDING_NAME)  # the commit point
        self._written = ([self.folder / rel for rel in journal["replace"]]
                         + [self.folder / MANIFEST_NAME])
        _fsync(self.folder)
        _finish(self.folder)
        return self._written

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        try:
            self._pool.shutdown(wait=True, cancel_futures=True)
            if self._written is None:  # not committed: nothing of it may stay
                shutil.rmtree(self._stage, ignore_errors=True)
        finally:
            self._lock.__exit__(exc_type, exc, tb)
        return False


def write_datasets(folder: Path, frames: Mapping[str, pd.DataFrame], *,
                   years: Mapping[str, Iterable[int]] | None = None) -> list[Path]:
    """Write datasets as year partitions (Parquet) and one CSV each, atomically.

    Each frame is the dataset's whole content after the write (all years) and is conformed to
    its schema; its CSV is rewritten. ``years[name]`` lists the partitions to rewrite (a year
    with no rows gets an empty file); the other partitions stay as they are, byte for byte and
    with their mtime. For a dataset not in ``years`` every partition is rewritten. Either way a
    partition whose year is no longer in the frame is removed.

    The write holds the folder's lock, finishes or removes what an earlier killed write left,
    then stages every file and commits them together (see the module docstring): an
    interruption leaves the previous state whole, or the new one once committed. It is a
    :class:`Write` with every dataset added at once.

    Returns
    -------
    The paths written (the manifest last).

    Raises
    ------
    FolderBusy
        When another process holds the folder's lock.
    """
    with Write(folder) as write:
        for name, frame in frames.items():
            write.add(name, frame, years=(years or {}).get(name))
        return write.commit()
