"""The imperative shell: the ingest batch and the main job, wiring pure stages to files.

Reads, calls the core, writes, reports. Logging of shapes happens here, not in the core.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from talentstats import catalog, ingest, paths
from talentstats.errors import ParameterError

__all__ = ["IngestResult", "discover", "ingest_year", "refresh_indicators"]

log = logging.getLogger(__name__)

# Files that are never submissions: office lock files and hidden files.
_IGNORED_PREFIXES = ("~$", ".")

YEAR_RANGE = range(2000, 2101)


@dataclass
class IngestResult:
    year: int
    submissions: pd.DataFrame
    findings: pd.DataFrame
    written: list[Path]
    feedback: list[Path]
    summary: Path | None

    @property
    def exit_status(self) -> int:
        """0 when every form was accepted (warnings allowed), else 1 (spec §7)."""
        bad = self.submissions["status"].isin(["rejected", "unreadable"]).any()
        return 1 if bad else 0


def check_year(year: int) -> int:
    if year not in YEAR_RANGE:
        raise ParameterError(f"年份 {year} 不在有效范围（{YEAR_RANGE.start}-{YEAR_RANGE.stop - 1}）内 / year out of range")
    return year


def discover(raw_dir: Path) -> list[tuple[Path, str]]:
    """Every file under ``raw_dir`` (recursively), with its path relative to it, sorted."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ParameterError(f"报表目录不存在：{raw_dir} / RAW_DIR {raw_dir} is not a folder")
    found = []
    for p in sorted(raw_dir.rglob("*")):
        rel = p.relative_to(raw_dir)
        if any(part.startswith(_IGNORED_PREFIXES) for part in rel.parts) or not p.is_file():
            continue
        found.append((p, rel.as_posix()))
    return found


def _read_all(files: list[tuple[Path, str]], key: bytes, processes: int,
              progress: Callable[[str], None] | None) -> list[ingest.FileOutcome]:
    from talentstats import readers

    outcomes: list[ingest.FileOutcome | None] = [None] * len(files)
    tasks = [(str(p), rel, key) for p, rel in files]
    for index, result in readers.read_isolated(tasks, ingest.process_file, processes=processes,
                                               ordered=False):
        path, rel = files[index]
        if isinstance(result, ingest.FileOutcome):
            outcomes[index] = result
        else:  # the worker died or timed out on this file: result is the reason
            outcomes[index] = ingest.file_failure(rel, ingest.sha256_of(path),
                                                  path.stat().st_mtime, str(result))
        if progress:
            progress(rel)
    return [o for o in outcomes if o is not None]


def _previous_year(out_dir: Path, year: int) -> pd.DataFrame | None:
    prev = catalog.read_dataset(out_dir, "observations", missing_ok=True)
    prev = prev[prev["year"] == year - 1]
    return prev if len(prev) else None


def _validate(batch: ingest.Batch, previous: pd.DataFrame | None, year: int):
    """Run the rules on a batch's winners and settle accepted/rejected."""
    from talentstats import rules

    subs = batch.submissions
    roster_units = subs.loc[(subs["status"] == "candidate") & (subs["form"] == "TR4"), "unit_code"]
    rule_findings = rules.validate(batch.candidates, batch.roster, previous, year=year,
                                   roster_units=sorted(set(roster_units)))
    return ingest.settle(batch, rule_findings)


def refresh_indicators(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Indicators for every year in the given (merged) datasets."""
    from talentstats.indicators import compute_indicators
    from talentstats.reference import resident_population

    return compute_indicators(
        datasets["observations"], datasets["submissions"], datasets["roster"],
        resident_population(),
    )


def ingest_year(raw_dir: Path, year: int, out_dir: Path | None = None, *,
                reports_dir: Path | None = None, key_path: Path | None = None,
                processes: int = 2, feedback: bool = True,
                progress: Callable[[str], None] | None = None) -> IngestResult:
    """Ingest every file under ``raw_dir`` as year ``year`` into ``out_dir`` (spec §7).

    Only year ``year`` is replaced in the datasets; indicators are refreshed for all years.
    All datasets are written together, atomically.
    """
    from talentstats import roster

    check_year(year)
    out_dir = Path(out_dir or paths.processed_dir())
    reports_dir = Path(reports_dir or paths.reports_dir())
    files = discover(raw_dir)
    if not files:
        # An empty or mistyped folder must not replace a year with nothing.
        raise ParameterError(
            f"{raw_dir} 中没有任何文件，未做任何更改 / no files under {raw_dir}; nothing was changed"
        )
    log.info("ingest %s: %d files under %s", year, len(files), raw_dir)
    key = roster.load_or_create_key(Path(key_path or paths.key_file()))

    outcomes = _read_all(files, key, processes, progress)
    batch = ingest.assemble(outcomes, year)
    log.info("ingest %s: %d candidate numbers, %d roster rows", year, len(batch.candidates),
             len(batch.roster))
    observations, roster_df, submissions, findings = _validate(batch, _previous_year(out_dir, year), year)

    new = {"observations": observations, "findings": findings, "submissions": submissions,
           "roster": roster_df}
    merged = {
        name: catalog.replace_years(catalog.read_dataset(out_dir, name, missing_ok=True), frame,
                                    [year])
        for name, frame in new.items()
    }
    merged["indicators"] = refresh_indicators(merged)
    written = catalog.write_datasets(out_dir, merged)

    feedback_paths: list[Path] = []
    summary = None
    if feedback:
        feedback_paths, summary = write_reports(raw_dir, reports_dir, year, submissions, findings)
    return IngestResult(year, submissions, findings, written, feedback_paths, summary)


def write_reports(raw_dir: Path, reports_dir: Path, year: int, submissions: pd.DataFrame,
                  findings: pd.DataFrame) -> tuple[list[Path], Path]:
    """Feedback workbooks per unit (reports/Y/feedback/) and the collection summary."""
    from talentstats import feedback
    from talentstats.units import unit_name

    folder = Path(reports_dir) / str(year)
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    written = []
    for unit_code, subs in submissions[submissions["unit_code"] != ""].groupby("unit_code"):
        files = sorted(set(subs["source_file"]))
        per_file = {
            Path(raw_dir) / f: findings[findings["source_file"] == f] for f in files
        }
        name = unit_name(unit_code)
        out = folder / "feedback" / f"{name}.xlsx"
        written.append(feedback.write_feedback(per_file, None, out, unit_name=name, year=year))
    summary = feedback.write_collection_summary(submissions, findings,
                                                folder / f"{year}年报表收集情况.xlsx", year=year)
    return written, summary


def check_file(file: Path, year: int | None = None, processed: Path | None = None) -> pd.DataFrame:
    """Run every rule on one workbook, as a town clerk would before sending. Writes nothing.

    The year defaults to the one written in the workbook. Last year's figures are read from the
    processed folder when it holds them (otherwise the 历年 rules say they were not checked).
    Pseudonyms use a throw-away key: nothing is stored.
    """
    import os

    file = Path(file)
    if not file.is_file():
        raise ParameterError(f"文件不存在：{file} / no such file")
    outcomes = _read_all([(file, file.name)], os.urandom(32), 1, None)
    if not outcomes[0].forms:
        # unreadable, or none of our forms: the file's own findings say so, whatever the year
        batch = ingest.assemble(outcomes, year or date.today().year - 1)
        return ingest.settle(batch, batch.findings.iloc[0:0])[3]
    if year is None:
        years = {fr.year for fr in outcomes[0].forms if fr.year is not None}
        if len(years) != 1:
            raise ParameterError(
                f"无法从工作簿确定报告年份（找到：{sorted(years) or '无'}），请用 --year 指定 / "
                "cannot tell the report year from the workbook: pass --year"
            )
        year = years.pop()
    check_year(year)
    batch = ingest.assemble(outcomes, year)
    previous = _previous_year(Path(processed or paths.processed_dir()), year)
    return _validate(batch, previous, year)[3]
