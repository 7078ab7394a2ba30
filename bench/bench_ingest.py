"""Ingest benchmark: full ingest against python-calamine alone, on the same files, same run.

Prints, for the 35-unit year and for a collection of at least 1,000 workbooks:
- workbooks per second of the full ingest (read, parse, pseudonymise, validate, write);
- the ratio of full ingest time to the time python-calamine alone takes to parse the same
  files (target: 2.0 or less);
- the share validation adds to ingest time (target: 25% or less), by running the ingest once
  more with validation switched off.

Usage: python bench/bench_ingest.py [--copies 29] [--year 2016] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from talentstats import pipeline, rules
from talentstats.sample import generate_sample


def calamine_alone(files: list[Path]) -> float:
    """Seconds python-calamine takes to parse every sheet of every file, in one process."""
    start = time.perf_counter()
    for f in files:
        try:
            wb = CalamineWorkbook.from_path(str(f))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python()
        except Exception:  # noqa: BLE001 - the corrupt sample files; the ingest reports them too
            pass
    return time.perf_counter() - start


def full_ingest(folder: Path, year: int, jobs: int, validate: bool = True) -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    original = rules.validate
    if not validate:
        rules.validate = lambda candidates, *a, **k: pd.DataFrame(
            columns=["year", "unit_code", "form", "rule", "kind", "severity", "message", "cells",
                     "source_file"]).astype({"year": "int64"})
    try:
        start = time.perf_counter()
        pipeline.ingest_year(folder, year, out, processes=jobs, feedback=False,
                             key_path=out.parent / f"{out.name}.key")
        return time.perf_counter() - start
    finally:
        rules.validate = original
        shutil.rmtree(out, ignore_errors=True)


def replicate(src: Path, dst: Path, copies: int) -> list[Path]:
    dst.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in src.rglob("*") if p.is_file())
    for k in range(copies):
        for f in files:
            shutil.copy2(f, dst / f"{k:03d}_{f.name}")
    return sorted(dst.iterdir())


def report(label: str, files: list[Path], year: int, jobs: int, with_validation_share: bool) -> None:
    base = min(calamine_alone(files) for _ in range(2))
    full = min(full_ingest(files[0].parent, year, jobs) for _ in range(2))
    line = (f"{label}: {len(files)} workbooks | calamine alone {base:.2f} s | full ingest "
            f"{full:.2f} s = {len(files) / full:.0f} workbooks/s | ratio {full / base:.2f}")
    if with_validation_share:
        no_val = min(full_ingest(files[0].parent, year, jobs, validate=False) for _ in range(2))
        line += f" | validation adds {100 * (full - no_val) / no_val:.0f}%"
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=29, help="copies of the year's files (29 x 36 > 1,000)")
    ap.add_argument("--year", type=int, default=2016)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, jobs={args.jobs}")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        sample = Path(tmp) / "sample"
        generate_sample(sample, years=[args.year - 1, args.year])
        year_dir = sample / str(args.year)
        report("35 units", sorted(p for p in year_dir.rglob("*") if p.is_file()), args.year,
               args.jobs, with_validation_share=False)
        big = replicate(year_dir, Path(tmp) / "big", args.copies)
        report("large collection", big, args.year, args.jobs, with_validation_share=True)


if __name__ == "__main__":
    main()
