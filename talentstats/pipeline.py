"""The imperative shell: the ingest batch and the main job, wiring pure stages to files.

Reads, calls the core, writes, reports. Logging of shapes happens here, not in the core.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from talentstats import paths
from talentstats.errors import ParameterError
from talentstats.profile import config
from talentstats.profile.text import printable
from talentstats.reading import ingest
from talentstats.reading.assignments import match_assignments
from talentstats.reading.digest import sha256_file
from talentstats.store import catalog, lock, runlog

if TYPE_CHECKING:
    from talentstats.reading.executor import IsolatedExecutor

__all__ = ["IngestResult", "check_folders", "discover", "ingest_year", "recompute_indicators",
           "refresh_indicators"]

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
        """0 when every form was accepted (warnings allowed), else 1 (docs/data-contract.md)."""
        bad = self.submissions["status"].isin(["rejected", "unreadable"]).any()
        return 1 if bad else 0


def check_year(year: int) -> int:
    if year not in YEAR_RANGE:
        raise ParameterError(f"年份 {year} 不在有效范围（{YEAR_RANGE.start}-{YEAR_RANGE.stop - 1}）内 / year out of range")
    return year


def check_folders(raw_dir: Path, out_dir: Path, reports_dir: Path, key_file: Path) -> None:
    """Refuse folders that would turn a run against itself, before anything is touched.

    The processed and the reports folder must have UTF-8 names (``paths.utf8_path``) and must
    not lie inside RAW_DIR: the next run would read the feedback workbooks, datasets and logs
    back as submissions. The pseudonym key must lie
    outside all three (``keyfile.check_key_location``).

    Raises
    ------
    ParameterError
        Naming the folder and the option to change.
    """
    from talentstats import keyfile

    for option, folder in (("--out", out_dir), ("--reports", reports_dir)):
        paths.utf8_path(folder)
        if paths.inside(folder, raw_dir):
            raise ParameterError(
                f"输出目录 {folder} 位于报表目录 {raw_dir} 之内，下次运行会把输出当作报表读入，"
                f"请改用其外的目录 / {option} {folder} lies inside RAW_DIR {raw_dir}: its files "
                "would be read back as submissions; choose a folder outside it"
            )
    keyfile.check_key_location(key_file, (raw_dir, out_dir, reports_dir))


def discover(raw_dir: Path) -> list[tuple[Path, str]]:
    """Every file under ``raw_dir`` (recursively), with its name relative to it, sorted.

    The name is what the file is known by in findings, datasets, workbooks and logs, so it is
    text that can be stored and printed (``text.printable``): a name that is not UTF-8 on disk
    is decoded (GBK, else U+FFFD for bad bytes), and control characters are dropped. Should
    that make it another file's name, `` (2)``, `` (3)``... is added.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ParameterError(f"报表目录不存在：{raw_dir} / RAW_DIR {raw_dir} is not a folder")
    found = []
    names: set[str] = set()
    for p in sorted(raw_dir.rglob("*")):
        rel = p.relative_to(raw_dir)
        if any(part.startswith(_IGNORED_PREFIXES) for part in rel.parts) or not p.is_file():
            continue
        name = base = printable(rel.as_posix())
        n = 1
        while name in names:
            n += 1
            name = f"{base} ({n})"
        names.add(name)
        found.append((p, name))
    return found


#: Files kept in flight per worker: enough to keep every worker (and an isolated child's
#: prefetch) fed, few enough that neither inputs nor results pile up.
IN_FLIGHT_PER_WORKER = 16

#: Files per task, at most: a task is one round trip to a worker, and the parent's dispatcher
#: wakes once per task (a task per file took about 0.4 ms of the parent's CPU per file, on a
#: machine whose two cores the workers keep busy). Small batches get smaller tasks, so that
#: every worker has some.
FILES_PER_TASK = 4


def _workers(executor: Executor) -> int:
    workers = getattr(executor, "max_workers", None) or getattr(executor, "_max_workers", None)
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    if not workers and client is not None:
        workers = sum(client.nthreads().values())
    return max(1, workers or 1)


def _window(executor: Executor) -> int:
    """How many files to have submitted and not yet collected."""
    return IN_FLIGHT_PER_WORKER * _workers(executor)


def _tasks(n: int, executor: Executor) -> deque[list[int]]:
    """The file positions ``0..n-1`` cut into tasks: at most ``FILES_PER_TASK`` files each,
    and at least four tasks per worker while the batch allows."""
    size = max(1, min(FILES_PER_TASK, n // (4 * _workers(executor))))
    return deque(list(range(i, min(i + size, n))) for i in range(0, n, size))


def _failure_reason(exc: BaseException) -> str:
    """The Chinese reason, for an X01 finding, of a file whose task raised ``exc``."""
    from talentstats.reading.executor import WorkerFailure
    from talentstats.reading.readers import UnreadableFile

    if isinstance(exc, UnreadableFile | WorkerFailure):
        return exc.reason
    name = type(exc).__name__
    if name == "KilledWorker":  # distributed: the task's worker died, again and again
        return ("处理该文件的 Dask 工作进程多次异常退出（KilledWorker），通常是文件让解析库申请了过多"
                "内存或崩溃，文件无法读取")
    if isinstance(exc, MemoryError):
        return "解析时内存不足，文件过大或含异常内容"
    if isinstance(exc, OSError):  # permission denied, an I/O error, a link to a device
        return f"文件无法打开或读取（{exc.strerror or type(exc).__name__}）"
    return f"解析时出错（{name}: {str(exc)[:200]}）"


def _lost_workers(exc: BaseException) -> Exception:
    from talentstats.reading.executor import ExecutorError

    return ExecutorError(
        f"读取报表的工作进程丢失（{type(exc).__name__}: {exc}），未写入任何数据，请重新运行 / "
        f"the workers reading the files were lost ({type(exc).__name__}); nothing was written"
    )


def _outcome(result: ingest.FileOutcome | BaseException, path: Path,
             rel: str) -> ingest.FileOutcome:
    """One file's outcome; a file whose processing raised becomes ``unreadable`` (X01).

    Raises
    ------
    ExecutorError
        The task was cancelled or the executor broke: the workers were lost, not the file.
    ParameterError
        The worker could not find the file (a Dask worker that does not see the folder).
    """
    if not isinstance(result, BaseException):
        return result
    if isinstance(result, CancelledError | BrokenExecutor):
        raise _lost_workers(result) from result
    if isinstance(result, FileNotFoundError):
        raise ParameterError(
            f"工作进程读不到文件 {path}：报表目录在处理期间被改动，或 Dask 工作节点不能以同一路径访问它"
            f"（须为共享文件夹），未写入任何数据 / a worker cannot read {path}: the folder changed "
            "during the run, or the Dask workers do not see it at the same path (use a shared "
            "folder); nothing was written"
        ) from result
    log.warning("file %s failed in its worker: %r", rel, result)
    try:  # the file that failed in its worker may fail here too (an I/O error)
        sha256, modified = sha256_file(path), path.stat().st_mtime
    except OSError:
        sha256, modified = "", 0.0
    return ingest.file_failure(rel, sha256, modified, _failure_reason(result),
                               config.load_profile())  # profile: passed in by the shell


class _Finished:
    """Tasks whose futures are done, handed to the reading thread in batches."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._tasks: list[int] = []
        self._want = 1

    def add(self, task: int) -> None:
        """A future's done-callback (any thread)."""
        with self._cond:
            self._tasks.append(task)
            if len(self._tasks) >= self._want:
                self._cond.notify()

    def take(self, want: int) -> list[int]:
        """Wait until at least ``want`` tasks are in, and take them all."""
        with self._cond:
            self._want = want
            self._cond.wait_for(lambda: len(self._tasks) >= want)
            taken, self._tasks = self._tasks, []
            return taken


def _read_all(files: list[tuple[Path, str]], key: bytes, executor: Executor,
              progress: Callable[[str], None] | None) -> list[ingest.FileOutcome]:
    """Run ``ingest.process_files`` on every file through ``executor``, in file order.

    The files go in tasks of a few (``_tasks``), at most ``_window(executor)`` files in flight
    at once. A task that fails as a whole (its worker died, ran out of time or memory) is run
    again one file per task, so that only the culprit is lost. Outcomes are collected as tasks
    complete (``progress`` is called in that order) and kept by file position, so the result
    is the same whatever the executor and the order of completion.
    """
    outcomes: list[ingest.FileOutcome | None] = [None] * len(files)
    finished = _Finished()
    in_flight: dict[int, tuple[Future, list[int]]] = {}  # task number -> future, positions
    flying = 0  # files in flight
    window = _window(executor)
    todo = _tasks(len(files), executor)
    numbers = itertools.count()
    profile = config.selection()  # the workers' environment may not be ours: say it
    try:
        while True:
            while todo and (not in_flight or flying + len(todo[0]) <= window):
                positions = todo.popleft()
                jobs = [(str(files[i][0]), files[i][1]) for i in positions]
                try:
                    future = executor.submit(ingest.process_files, jobs, key, profile)
                except BrokenExecutor as exc:
                    raise _lost_workers(exc) from exc
                number = next(numbers)
                in_flight[number] = (future, positions)
                flying += len(positions)
                future.add_done_callback(lambda _, number=number: finished.add(number))
            if not in_flight:
                break
            # Refill when half the tasks are done: one wake-up of this thread per batch.
            for number in finished.take(max(1, len(in_flight) // 2)):
                future, positions = in_flight.pop(number)
                flying -= len(positions)
                try:
                    results = future.result()
                except (CancelledError, BrokenExecutor) as exc:
                    raise _lost_workers(exc) from exc
                except Exception as exc:  # noqa: BLE001 - the task failed as a whole
                    if len(positions) > 1:  # find the culprit: one file per task
                        todo.extendleft([i] for i in reversed(positions))
                        continue
                    results = [exc]
                for i, result in zip(positions, results, strict=True):
                    path, rel = files[i]
                    outcomes[i] = _outcome(result, path, rel)
                    if progress:
                        progress(rel)
    except BaseException:
        for future, _ in in_flight.values():
            future.cancel()
        raise
    return [o for o in outcomes if o is not None]


def _previous_year(out_dir: Path, year: int) -> pd.DataFrame | None:
    prev = catalog.read_dataset(out_dir, "observations", missing_ok=True, years=[year - 1])
    return prev if len(prev) else None


def _validate(batch: ingest.Batch, previous: pd.DataFrame | None, year: int):
    """Run the rules on a batch's winners and settle accepted/rejected."""
    from talentstats.validation import rules

    subs = batch.submissions
    roster_units = subs.loc[(subs["status"] == "candidate") & (subs["form"] == "TR4"), "unit_code"]
    rule_findings = rules.validate(batch.candidates, batch.roster, previous, year=year,
                                   profile=config.load_profile(),  # profile: passed in by the shell
                                   roster_units=sorted(set(roster_units)))
    return ingest.settle(batch, rule_findings)


def refresh_indicators(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Indicators for every year in the given (merged) datasets."""
    from talentstats.analysis.indicators import compute_indicators
    from talentstats.profile.config import load_profile
    from talentstats.profile.reference import resident_population

    profile = load_profile()  # profile: passed in by the shell
    return compute_indicators(
        datasets["observations"], datasets["submissions"], datasets["roster"],
        resident_population(profile), profile,
    )


def recompute_indicators(out_dir: Path | None = None, *,
                         log_dir: Path | None = None) -> pd.DataFrame:
    """Recompute the indicators alone, for every year in ``out_dir`` (``talentstats indicators``).

    Holds the folder's lock; with ``log_dir`` writes a run log there.

    Raises
    ------
    DataNotFound
        When nothing has been ingested into ``out_dir``.
    FolderBusy
        Another run holds ``out_dir``; nothing was changed.
    """
    out_dir = Path(out_dir or paths.processed_dir())
    with lock.hold(out_dir, create=False) as held, runlog.open_run(
            "indicators", log_dir, parameters={"out_dir": _abs(out_dir)}) as run:
        if held:
            catalog.recover(out_dir)
        with run.stage("read") as counts:
            data = {n: catalog.read_dataset(out_dir, n)
                    for n in ("observations", "submissions", "roster")}
            counts.update(datasets={n: len(f) for n, f in data.items()})
        with run.stage("indicators") as counts:
            ind = refresh_indicators(data)
            counts.update(rows=len(ind), years=sorted({int(y) for y in ind["year"]}))
        with run.stage("write") as counts:
            written = catalog.write_datasets(out_dir, {"indicators": ind})
            counts.update(datasets={"indicators": {"rows": len(ind)}},
                          files=[p.relative_to(out_dir).as_posix() for p in written])
        run.end(0, manifest=catalog.manifest_digest(out_dir))
    return ind


def ingest_year(raw_dir: Path, year: int, out_dir: Path | None = None, *,
                reports_dir: Path | None = None, key_path: Path | None = None,
                processes: int | None = None, feedback: bool = True,
                progress: Callable[[str], None] | None = None,
                executor: Executor | None = None,
                log_dir: Path | None = None,
                assignments: Mapping[Path, str] | None = None) -> IngestResult:
    """Ingest every file under ``raw_dir`` as year ``year`` into ``out_dir`` (docs/data-contract.md).

    ``assignments`` ({file on disk: unit code}, ``talentstats.reading.assignments``) settles whose a
    file is when its sheets name another unit than its file name; an assigned file that is not
    under ``raw_dir`` is a ParameterError.

    Only year ``year`` is replaced in the datasets; indicators are refreshed for all years.
    All datasets are written together, atomically. The per-file work runs on ``executor``
    (any ``concurrent.futures.Executor``, e.g. a Dask client's ``get_executor()``), by default
    on ``local_pool(processes)``, whose children start while the files are found and locked;
    the same pool then writes the feedback workbooks.

    The run holds the processed folder's lock (:mod:`talentstats.store.lock`) from before it reads
    the previous datasets until it has written; with ``log_dir`` it writes a run log there
    (:mod:`talentstats.store.runlog`; the CLI passes ``reports/logs``).

    Raises
    ------
    FolderBusy
        Another run holds ``out_dir``; nothing was changed.
    """
    check_year(year)
    own = executor is None  # then a local pool, starting while the files are found and locked
    with local_pool(processes, feedback=feedback) if own else nullcontext(executor) as pool:
        return _ingest_year(raw_dir, year, out_dir, reports_dir=reports_dir, key_path=key_path,
                            processes=processes, feedback=feedback, progress=progress,
                            executor=pool, log_dir=log_dir, release=own and not feedback,
                            assignments=assignments or {})


def local_pool(processes: int | None = None, *, feedback: bool = True) -> IsolatedExecutor:
    """The default executor of the per-file work: an ``IsolatedExecutor`` of ``processes``
    children (every core if None), started at once, each loading the profile and the forms
    (``ingest.warm``) before its first file. With ``feedback`` its fork server also imports
    the feedback writer (openpyxl, XlsxWriter), which the same children use after reading:
    each child would otherwise import it before its first workbook (0.3-1 s on this machine,
    the most of a small batch's feedback)."""
    from talentstats.reading.executor import PRELOAD, IsolatedExecutor

    preload = (*PRELOAD, "talentstats.publication.feedback") if feedback else PRELOAD
    pool = IsolatedExecutor(processes, warmup=(ingest.warm, (config.selection(),)),
                            preload=preload)
    pool.prestart()
    return pool


def _ingest_year(raw_dir: Path, year: int, out_dir: Path | None, *,
                 reports_dir: Path | None, key_path: Path | None, processes: int | None,
                 feedback: bool, progress: Callable[[str], None] | None, executor: Executor,
                 log_dir: Path | None, release: bool = False,
                 assignments: Mapping[Path, str] | None = None) -> IngestResult:
    """``ingest_year`` once its executor is there (a local pool starts meanwhile). With
    ``release`` the executor is shut down once the files are read: its children's memory is
    then free for the batch steps."""
    out_dir = Path(out_dir or paths.processed_dir())
    reports_dir = Path(reports_dir or paths.reports_dir())
    key_file = Path(key_path or paths.key_file())
    check_folders(raw_dir, out_dir, reports_dir, key_file)
    files = discover(raw_dir)
    if not files:
        # An empty or mistyped folder must not replace a year with nothing.
        raise ParameterError(
            f"{raw_dir} 中没有任何文件，未做任何更改 / no files under {raw_dir}; nothing was changed"
        )
    assigned, unmatched = match_assignments(assignments or {}, files)
    if unmatched:
        raise ParameterError(
            f"指定归属的文件不在 {raw_dir} 中：{'、'.join(sorted(map(str, unmatched)))} / "
            f"assigned files not under {raw_dir}: {', '.join(sorted(map(str, unmatched)))}"
        )
    log.info("ingest %s: %d files under %s", year, len(files), raw_dir)
    parameters = {"raw_dir": _abs(raw_dir), "year": year, "out_dir": _abs(out_dir),
                  "reports_dir": _abs(reports_dir), "key_file": _abs(key_file),
                  "processes": processes, "executor": type(executor).__name__ if executor else None,
                  "feedback": feedback, "assignments": assigned}
    with lock.hold(out_dir), runlog.open_run("ingest", log_dir, tag=str(year),
                                            parameters=parameters) as run:
        result = _ingest_locked(raw_dir, year, out_dir, reports_dir, key_file, files, run,
                                processes=processes, feedback=feedback, progress=progress,
                                executor=executor, release=release, assigned=assigned)
        run.end(result.exit_status, manifest=catalog.manifest_digest(out_dir))
    return result


def _abs(path: Path | str | None) -> str | None:
    return None if path is None else str(Path(path).absolute())


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(values.value_counts().items())}


def _dataset_counts(frames: dict[str, pd.DataFrame], year: int) -> dict[str, dict[str, int]]:
    return {name: {"rows": len(f), f"rows_{year}": int((f["year"] == year).sum())}
            for name, f in frames.items()}


def _ingest_locked(raw_dir: Path, year: int, out_dir: Path, reports_dir: Path, key_file: Path,
                   files: list[tuple[Path, str]], run: runlog.RunLog, *, processes: int | None,
                   feedback: bool, progress: Callable[[str], None] | None,
                   executor: Executor, release: bool = False,
                   assigned: Mapping[str, str] | None = None) -> IngestResult:
    """The ingest proper, holding the folder's lock, logging each stage's counts."""
    from talentstats import keyfile

    recovered = catalog.recover(out_dir)
    if recovered["finished"] or recovered["removed"]:
        log.warning("%s: an interrupted run was cleaned up: %s", out_dir, recovered)
        run.event("recover", **recovered)
    had_key = key_file.exists()
    key = keyfile.load_or_create_key(key_file)
    run.event("key", file=_abs(key_file), created=not had_key,
              fingerprint=runlog.key_fingerprint(key))

    with run.stage("read") as counts:
        outcomes = _read_all(files, key, executor, progress)
        if release:
            executor.shutdown(wait=True)
        counts.update(files=len(outcomes), readable=sum(o.readable for o in outcomes),
                      unreadable=sum(not o.readable for o in outcomes),
                      forms=sum(len(o.forms) for o in outcomes))
    by_name = {o.source_file: o for o in outcomes}
    run.event("inputs", files=[
        {"file": rel, "bytes": p.stat().st_size, "sha256": by_name[rel].sha256,
         "modified": datetime.fromtimestamp(by_name[rel].modified).astimezone().isoformat()}
        for p, rel in files if rel in by_name
    ])
    with run.stage("assemble") as counts:
        batch = ingest.assemble(outcomes, year, config.load_profile(),  # profile: passed in by the shell
                                assigned)
        # each form's 报出日期, for the feedback workbooks' list of superseded files
        report_dates = {(o.source_file, fr.form): fr.report_date for o in outcomes
                        for fr in o.forms}
        del outcomes, by_name  # the batch holds what is needed: a national batch's outcomes
        # take hundreds of MB, which validation and the writes can use
        counts.update(candidates=len(batch.candidates), roster_rows=len(batch.roster),
                      file_findings=len(batch.findings),
                      submissions=_counts(batch.submissions["status"]))
    log.info("ingest %s: %d candidate numbers, %d roster rows", year, len(batch.candidates),
             len(batch.roster))
    with run.stage("validate") as counts:
        observations, roster_df, submissions, findings = _validate(
            batch, _previous_year(out_dir, year), year)
        counts.update(findings=len(findings), severity=_counts(findings["severity"]),
                      rules=_counts(findings["rule"]), status=_counts(submissions["status"]),
                      observations=len(observations), roster_rows=len(roster_df))

    new = {"observations": observations, "findings": findings, "submissions": submissions,
           "roster": roster_df}
    # Each dataset is staged (sorted, encoded, hashed, synced) on a thread as soon as it is
    # merged, and the indicators are computed meanwhile: see catalog.Write.
    with catalog.Write(out_dir) as write:
        with run.stage("merge") as counts:
            merged = {
                name: catalog.replace_years(catalog.read_dataset(out_dir, name, missing_ok=True),
                                            frame, [year])
                for name, frame in new.items()
            }
            for name, frame in merged.items():
                write.add(name, frame, years=[year])
            counts.update(years=sorted({int(y) for f in merged.values()
                                        for y in f["year"].unique()}))
        with run.stage("indicators") as counts:
            merged["indicators"] = refresh_indicators(merged)
            write.add("indicators", merged["indicators"])
            counts.update(rows=len(merged["indicators"]))
        with run.stage("write") as counts:
            written = write.commit()
            counts.update(datasets=_dataset_counts(merged, year),
                          files=[p.relative_to(out_dir).as_posix() for p in written])

    feedback_paths: list[Path] = []
    summary = None
    if feedback:
        with run.stage("reports") as counts:
            feedback_paths, summary = write_reports(raw_dir, reports_dir, year, submissions,
                                                    findings, executor=executor,
                                                    processes=processes,
                                                    report_dates=report_dates)
            counts.update(feedback=len(feedback_paths), summary=_abs(summary))
    return IngestResult(year, submissions, findings, written, feedback_paths, summary)


def _feedback_job(profile: str, per_file: dict[Path, pd.DataFrame | None], out: Path, name: str,
                  year: int, received: list[dict], superseded: list[dict]) -> Path:
    """One unit's feedback workbook, in a worker (which selects the batch's profile first)."""
    from talentstats.publication import feedback

    config.select(profile)
    return feedback.write_feedback(per_file, None, out, unit_name=name, year=year,
                                   received=received, superseded=superseded)


def _file_time(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def write_reports(raw_dir: Path, reports_dir: Path, year: int, submissions: pd.DataFrame,
                  findings: pd.DataFrame, *, executor: Executor | None = None,
                  processes: int | None = None,
                  report_dates: dict[tuple[str, str], date | None] | None = None,
                  ) -> tuple[list[Path], Path | None]:
    """Feedback workbooks per unit (reports/Y/feedback/) and the collection summary.

    A unit's workbook follows its current submission: it copies and marks only the files
    that count now (not superseded), and lists the superseded ones (with their 报出日期 from
    ``report_dates``, ``(file, form) -> date``, and their file time); a unit with no finding
    on its current files gets a receipt, which copies nothing. Findings of superseded files
    are counted nowhere (``feedback.current_findings``).

    The feedback workbooks hold the units' rosters (personal data): their folder gets a
    ``feedback.PERSONAL_DATA_NOTE`` file saying so, and is never published.

    Each feedback workbook opens the unit's own submission with openpyxl, which took most of
    the main job's time when done one after another. They are written in an
    ``IsolatedExecutor``: ``executor`` when it is one (the ingest's own pool), else a local
    one of ``processes`` workers (every core if None); a Dask cluster's workers may not see
    the reports folder. This also keeps a town's file away from this process. A unit whose
    workbook cannot be written loses its workbook of an earlier run (it would carry outdated
    findings), is logged, and the others go on: the datasets are already written by then. A
    collection summary that cannot be written is logged and removed too (None is returned).
    """
    from talentstats.profile.units import unit_name
    from talentstats.publication import feedback
    from talentstats.reading.executor import IsolatedExecutor

    folder = Path(reports_dir) / str(year)
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    for leftover in (folder / "feedback").glob(".*.tmp"):  # a killed run's half-written copy
        leftover.unlink(missing_ok=True)
    (folder / "feedback" / feedback.PERSONAL_DATA_NOTE).write_text(
        feedback.PERSONAL_DATA_TEXT, encoding="utf-8")
    jobs = []
    where = {name: path for path, name in discover(raw_dir)}  # names may not be the bytes'
    counted = feedback.current_findings(findings, submissions)
    by_file = dict(iter(counted.groupby("source_file"))) if len(counted) else {}
    by_unit: dict[str, list[dict]] = {}
    for rec in submissions[["unit_code", "form", "source_file", "status"]].to_dict("records"):
        if rec["unit_code"]:
            by_unit.setdefault(rec["unit_code"], []).append(rec)
    for unit_code, subs in sorted(by_unit.items()):
        now = [r for r in subs if r["status"] != "superseded"]
        per_file = {where.get(f, Path(raw_dir) / f): by_file.get(f)
                    for f in sorted({r["source_file"] for r in now})}
        gone = {r["source_file"] for r in subs} - {r["source_file"] for r in now}
        superseded = feedback.superseded_table(
            subs, report_dates or {},
            {f: _file_time(where.get(f, Path(raw_dir) / f)) for f in gone})
        name = unit_name(unit_code)
        jobs.append((per_file, folder / "feedback" / f"{name}.xlsx", name, now, superseded))
    own = isinstance(executor, IsolatedExecutor)
    written = []
    with nullcontext(executor) if own else IsolatedExecutor(processes) as pool:
        profile = config.selection()
        futures = [pool.submit(_feedback_job, profile, per_file, out, name, year, received,
                               superseded)
                   for per_file, out, name, received, superseded in jobs]
        # written while the workers write the units' workbooks
        target = folder / f"{year}年报表收集情况.xlsx"
        summary: Path | None
        try:
            summary = feedback.write_collection_summary(submissions, findings, target, year=year)
        except Exception as exc:  # noqa: BLE001 - the datasets are written: say so and go on
            target.unlink(missing_ok=True)  # an earlier run's would be outdated
            log.warning("收集情况汇总未能生成 / collection summary not written (%s): %s",
                        target, exc)
            summary = None
        for (_, out, name, _, _), future in zip(jobs, futures, strict=True):
            try:
                written.append(future.result())
            except Exception as exc:  # noqa: BLE001 - one unit's workbook must not stop the rest
                out.unlink(missing_ok=True)
                log.warning("反馈表未能生成 / feedback workbook not written for %s (%s): %s",
                            name, out, exc)
    return written, summary


@dataclass(frozen=True)
class CheckResult:
    """What the self-check found in one workbook: the forms it holds (catalog ``submissions``
    columns, status accepted/rejected/unreadable), every finding, and the report year."""

    submissions: pd.DataFrame
    findings: pd.DataFrame
    year: int | None  # None: no form was found and no year was given

    @property
    def unit_code(self) -> str | None:
        """The one unit the forms (or, failing them, the file name) belong to; else None."""
        codes = set(self.submissions["unit_code"]) | set(self.findings["unit_code"])
        codes.discard("")
        return codes.pop() if len(codes) == 1 else None

    @property
    def verdict(self) -> str:
        """unreadable (no form read), rejected (any error) or accepted."""
        if self.submissions.empty or (self.submissions["status"] == "unreadable").all():
            return "unreadable"
        return "rejected" if (self.findings["severity"] == "error").any() else "accepted"


def check_file(file: Path, year: int | None = None, processed: Path | None = None, *,
               executor: Executor | None = None) -> pd.DataFrame:
    """The findings of :func:`check_workbook`."""
    return check_workbook(file, year, processed, executor=executor).findings


def check_workbook(file: Path, year: int | None = None, processed: Path | None = None, *,
                   executor: Executor | None = None) -> CheckResult:
    """Run every rule on one workbook, as a town clerk would before sending. Writes nothing.

    The year defaults to the one written in the workbook. Last year's figures are read from the
    processed folder when it holds them (otherwise the 历年 rules say they were not checked).
    Pseudonyms use a throw-away key: nothing is stored.
    """
    import os

    file = Path(file)
    if not file.is_file():
        raise ParameterError(f"文件不存在：{file} / no such file")
    with nullcontext(executor) if executor is not None else local_pool(1) as pool:
        outcomes = _read_all([(file, printable(file.name))], os.urandom(32), pool, None)
    if not outcomes[0].forms:
        # unreadable, or none of our forms: the file's own findings say so, whatever the year
        batch = ingest.assemble(outcomes, year or date.today().year - 1,
                                config.load_profile())  # profile: passed in by the shell
        _, _, subs, findings = ingest.settle(batch, batch.findings.iloc[0:0])
        return CheckResult(subs, findings, year)
    if year is None:
        years = {fr.year for fr in outcomes[0].forms if fr.year is not None}
        if len(years) != 1:
            raise ParameterError(
                f"无法从工作簿确定报告年份（找到：{sorted(years) or '无'}），请用 --year 指定 / "
                "cannot tell the report year from the workbook: pass --year"
            )
        year = years.pop()
    check_year(year)
    batch = ingest.assemble(outcomes, year, config.load_profile())  # profile: passed in by the shell
    previous = _previous_year(Path(processed or paths.processed_dir()), year)
    _, _, subs, findings = _validate(batch, previous, year)
    return CheckResult(subs, findings, year)
