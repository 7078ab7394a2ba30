"""The command line: ``talentstats COMMAND``. A thin shell over the package.

Every command prints Chinese-facing results and English usage; errors the user can fix are
printed as one line, without a traceback. Exit status (docs/data-contract.md): 0 all accepted, 1 a form
rejected or a file unreadable, 2 a usage error.
"""

from __future__ import annotations

import logging
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from talentstats import paths
from talentstats.errors import (
    DataNotFound,
    FolderBusy,
    ParameterError,
    TalentstatsError,
    UnsafeQuery,
)
from talentstats.profile.text import printable, safe_text

app = typer.Typer(
    help="talentstats: a city's talent statistics, from towns' workbooks to the annual bulletin.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

# FolderBusy: another run holds the processed folder's lock; nothing was changed (exit 2)
USAGE_ERRORS = (ParameterError, DataNotFound, UnsafeQuery, FolderBusy)
STATUS_LABELS = {"accepted": "已接收", "rejected": "已退回", "superseded": "被替代",
                 "unreadable": "无法读取"}

YearOpt = Annotated[int, typer.Option("--year", "-y", help="Report year (reference date 31 Dec).")]
ProcessedOpt = Annotated[
    Path | None, typer.Option("--processed", "--out", help="Processed data folder [data/processed].")
]
ReportsOpt = Annotated[Path | None, typer.Option("--reports", help="Reports folder [reports].")]


@contextmanager
def progress_bar(total: int, label: str):
    """A progress bar over files; yields a callback taking the finished item's name."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn("{task.fields[item]}"), console=console,
        transient=False, disable=not console.is_terminal and total < 1,
    ) as bar:
        task = bar.add_task(label, total=total, item="")

        def advance(item: str) -> None:
            bar.update(task, advance=1, item=safe_text(item[-40:]))

        yield advance


def _fail(exc: TalentstatsError) -> None:
    console.print(f"[red]错误 / error:[/red] {safe_text(exc)}")
    raise typer.Exit(2 if isinstance(exc, USAGE_ERRORS) else 1)


@app.callback()
def _profile(
    config: Annotated[Path | None, typer.Option(
        "--config", help="Deployment profile folder: city.yaml, units.csv, ... "
                         "[$TALENTSTATS_CONFIG, else the packaged Dongguan profile].")] = None,
) -> None:
    """Select and check the deployment profile before any command (docs/deployment.md)."""
    import os

    from talentstats.profile import config as profile

    if config is not None:  # through the environment, so worker processes and kernels see it
        os.environ[profile.ENV_VAR] = str(config.expanduser().resolve())
    try:
        profile.load_profile()
    except TalentstatsError as exc:
        _fail(exc)


@app.command()
def sample(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Target folder [data/raw/sample].")] = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 20131,
) -> None:
    """Generate Dongguan's sample collection (packaged profile only): 35 units x 2012-2016, with planted deviations."""
    from talentstats.workbooks.sample import generate_sample

    target = out_dir or paths.sample_dir()
    try:
        result = generate_sample(target, seed=seed)
    except TalentstatsError as exc:  # another city's profile: the collection is Dongguan's
        _fail(exc)
    out.print(f"样例报表已生成：{len(result.files)} 个文件 → {safe_text(target)}"
              f"（目录清单：{safe_text(target / 'catalogue.csv')}）")


@app.command()
def template(
    year: YearOpt,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit code (a code of the profile's units.csv); all units if omitted.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Target folder [reports/templates].")] = None,
) -> None:
    """Write blank template workbooks for towns to fill in."""
    from talentstats.pipeline import check_year
    from talentstats.profile.units import unit as get_unit
    from talentstats.workbooks.template import write_template, write_templates

    try:
        check_year(year)
        if unit:
            get_unit(unit)
    except KeyError:
        _fail(ParameterError(f"未知单位代码 / unknown unit code: {unit}"))
    except TalentstatsError as exc:
        _fail(exc)
    out_dir = out_dir or paths.templates_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_template(out_dir, year, unit)] if unit else write_templates(out_dir, year)
    for path in written:
        out.print(f"模板：{safe_text(path)}")


def print_collection(submissions, findings, year: int) -> None:
    """The units x forms table the statistician works from during collection week."""
    from talentstats.publication.feedback import collection_table

    headers = {"unit_name": "单位", "TR1": "表1", "TR2": "表2", "TR3": "表3", "TR4": "表4",
               "TR5": "表5", "errors": "错误", "warnings": "提示"}
    table = collection_table(submissions, findings, year)[list(headers)]
    t = Table(title=f"{year}年报表收集情况", show_lines=False)
    for col in table.columns:
        t.add_column(headers[col], no_wrap=True)
    colours = {"已接收": "green", "已退回": "red", "无法读取": "red", "未报送": "yellow",
               "被替代": "dim"}
    for row in table.itertuples(index=False):
        cells = []
        for v in row:
            s = safe_text("" if v is None else v)
            colour = colours.get(s)
            cells.append(f"[{colour}]{s}[/{colour}]" if colour else s)
        t.add_row(*cells)
    out.print(t)


def print_findings(findings, limit: int = 60) -> None:
    """Errors first, then warnings: unit, form, rule and the message a clerk can act on."""
    from talentstats.profile.units import unit_name

    if findings.empty:
        return
    order = findings.assign(_s=findings["severity"].map({"error": 0, "warning": 1}))
    order = order.sort_values(["_s", "unit_code", "form", "rule"], kind="stable")
    t = Table(title="审核发现", show_lines=False)
    for col in ("性质", "单位", "规则", "说明"):
        t.add_column(col, overflow="fold")
    for f in order.head(limit).itertuples():
        unit = unit_name(f.unit_code) if f.unit_code else "—"
        sev = "[red]强制性[/red]" if f.severity == "error" else "[yellow]核实性[/yellow]"
        t.add_row(sev, safe_text(unit), safe_text(f.rule), safe_text(f.message))
    out.print(t)
    if len(findings) > limit:
        out.print(f"（共 {len(findings)} 条，仅显示前 {limit} 条；全部见 findings 数据集和收集情况汇总）")


AssignOpt = Annotated[
    list[str] | None,
    typer.Option("--assign", metavar="FILE=UNIT",
                 help="Whose a held file is (its sheets name another unit than its name): the "
                      "file and a unit code or name; repeatable."),
]
AssignmentsOpt = Annotated[
    Path | None,
    typer.Option("--assignments", metavar="CSV",
                 help="A CSV of such decisions: columns file (relative to the CSV's folder), "
                      "unit, note."),
]


def _assignments(specs: list[str] | None, csv_file: Path | None) -> dict[Path, str]:
    from talentstats.reading.assignments import parse_assign, read_assignments

    return {**(read_assignments(csv_file) if csv_file else {}), **parse_assign(specs or [])}


JobsOpt = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="Local worker processes [every core].")
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", metavar="ADDRESS",
                 help="Read the files on a Dask cluster (e.g. tcp://host:8786) instead of local "
                      "processes; its workers must see RAW_DIR at the same path."),
]


def check_workers(jobs: int | None, scheduler: str | None) -> None:
    """Refuse --jobs with --scheduler before anything is touched."""
    if jobs is not None and scheduler:
        raise ParameterError("--jobs 与 --scheduler 不能同时使用：集群的工作进程数由集群决定 / "
                             "--jobs and --scheduler exclude each other: the cluster sets its workers")


@contextmanager
def workers(jobs: int | None, scheduler: str | None):
    """The executor of the per-file work: a Dask cluster's, or a local isolated pool (which
    starts at once, while the command finds the files and takes the lock)."""
    from talentstats.pipeline import local_pool
    from talentstats.reading.executor import dask_executor

    check_workers(jobs, scheduler)
    with dask_executor(scheduler) if scheduler else local_pool(jobs) as executor:
        yield executor


@app.command("ingest")
def ingest_cmd(
    raw_dir: Annotated[Path, typer.Argument(help="Folder of submissions (read recursively).")],
    year: YearOpt,
    out_dir: ProcessedOpt = None,
    reports_dir: ReportsOpt = None,
    key_file: Annotated[Path | None, typer.Option(help="Pseudonym key [~/.config/talentstats/pseudonym.key].")] = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    feedback: Annotated[bool, typer.Option(help="Write feedback workbooks and the summary.")] = True,
    assign: AssignOpt = None,
    assignments: AssignmentsOpt = None,
) -> None:
    """Read, check and store one year's submissions.

    Holds the processed folder's lock (a second run is refused, exit 2) and writes a run log
    into reports/logs/. A file whose sheets name another unit than its file name is held
    (X04) until --assign or an assignments file says whose it is.
    """
    from talentstats.pipeline import check_folders, check_year, discover, ingest_year
    from talentstats.store import lock

    try:
        check_year(year)
        check_workers(jobs, scheduler)
        assigned = _assignments(assign, assignments)
        check_folders(raw_dir, out_dir or paths.processed_dir(),
                      reports_dir or paths.reports_dir(), key_file or paths.key_file())
        files = discover(raw_dir)
        with lock.hold(out_dir or paths.processed_dir(), create=bool(files)), \
                workers(jobs, scheduler) as executor, \
                progress_bar(len(files), f"{year}年 读取报表") as advance:
            result = ingest_year(raw_dir, year, out_dir, reports_dir=reports_dir,
                                 key_path=key_file, feedback=feedback, progress=advance,
                                 executor=executor, log_dir=paths.logs_dir(reports_dir),
                                 assignments=assigned)
    except TalentstatsError as exc:
        _fail(exc)
    from talentstats.publication.feedback import current_findings

    counted = current_findings(result.findings, result.submissions)  # not superseded files'
    print_collection(result.submissions, result.findings, year)
    print_findings(counted)
    n_err = int((counted["severity"] == "error").sum())
    n_warn = int((counted["severity"] == "warning").sum())
    n_old = len(result.findings) - len(counted)
    out.print(f"{year}年：{len(result.submissions)} 份报表，错误 {n_err} 条，提示 {n_warn} 条"
              + (f"（另有 {n_old} 条属于已被替代的文件，只记入 findings 数据集）" if n_old else "")
              + f"。数据 → {safe_text(out_dir or paths.processed_dir())}")
    if result.summary:
        out.print(f"收集情况汇总：{safe_text(result.summary)}；反馈表 {len(result.feedback)} 份")
    raise typer.Exit(result.exit_status)


FINDING_FIELDS = ["rule", "kind", "severity", "form", "message", "cells"]


def check_json(file: Path, result) -> dict:
    """The self-check of one workbook as data, for office systems (``check --json``)."""
    from talentstats.profile.units import unit_name

    findings = result.findings[FINDING_FIELDS].astype(object)
    subs = result.submissions
    forms = subs.loc[subs["form"] != "", ["form", "status"]].astype(object)  # not a file's row
    code = result.unit_code
    try:
        name = unit_name(code) if code else None
    except KeyError:
        name = None
    return {
        "file": str(file),
        "unit_code": code,
        "unit_name": name,
        "year": result.year,
        "verdict": result.verdict,
        "forms": forms.where(forms.notna(), None).to_dict("records"),
        "findings": findings.where(findings.notna(), None).to_dict("records"),
    }


def print_json(payload: dict) -> None:
    """JSON on stdout in UTF-8 (RFC 8259) whatever the locale; a file name that is not valid
    UTF-8 (surrogate escapes) comes out \\u-escaped instead of failing."""
    import json

    try:
        data = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(payload, indent=2).encode("ascii")
    sys.stdout.flush()
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.flush()


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="One workbook to check before sending.")],
    year: Annotated[int | None, typer.Option("--year", "-y", help="Report year (default: as written in the workbook).")] = None,
    processed: Annotated[Path | None, typer.Option("--processed", help="Processed folder for last year's figures.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON: file, unit_code, unit_name, year, verdict, forms, findings.")] = False,
) -> None:
    """Self-check for towns: run every rule on one workbook; writes nothing. Exit 1 if it would be rejected."""
    from talentstats.pipeline import check_workbook

    try:
        result = check_workbook(file, year, processed)
    except TalentstatsError as exc:
        _fail(exc)
    findings = result.findings
    status = 1 if (findings["severity"] == "error").any() else 0
    if as_json:
        print_json(check_json(file, result))
        raise typer.Exit(status)
    if findings.empty:
        out.print(f"[green]审核通过[/green]：{safe_text(file.name)} 未发现问题。")
        raise typer.Exit(0)
    t = Table(title=f"{safe_text(file.name)} 审核结果")
    for col in ("性质", "规则", "表", "说明", "单元格"):
        t.add_column(col, overflow="fold")
    for f in findings.itertuples():
        table = f"表{f.form.removeprefix('TR')}" if f.form else ""
        t.add_row("强制性" if f.severity == "error" else "核实性", safe_text(f.rule), table,
                  safe_text(f.message), safe_text(f.cells))
    out.print(t)
    raise typer.Exit(status)


@app.command()
def indicators(out_dir: ProcessedOpt = None, reports: ReportsOpt = None) -> None:
    """Recompute the indicators dataset alone, for every year in the processed folder."""
    from talentstats.pipeline import recompute_indicators

    folder = out_dir or paths.processed_dir()
    try:
        ind = recompute_indicators(folder, log_dir=paths.logs_dir(reports))
    except TalentstatsError as exc:
        _fail(exc)
    out.print(f"指标已更新：{len(ind)} 行，年份 {sorted(set(ind['year']))} → {safe_text(folder)}")


def _render(kind: str, year: int, processed: Path | None, reports: Path | None) -> list[Path]:
    """Render a report, showing each step (kernel start, HTML, PDF, annex) as it begins.

    Holds the processed folder's lock shared (no ingest rewrites it meanwhile) and logs which
    processed data (the manifest's hash and files) produced which files (their sha256).
    """
    from talentstats.profile.config import load_profile
    from talentstats.publication import render
    from talentstats.store import catalog, lock, runlog

    fn = render.render_bulletin if kind == "bulletin" else render.render_assessment
    title = "统计公报" if kind == "bulletin" else "考核报告"
    processed = processed or paths.processed_dir()
    reports = reports or paths.reports_dir()
    parameters = {"year": year, "processed_dir": str(Path(processed).absolute()),
                  "reports_dir": str(Path(reports).absolute())}
    with lock.hold(processed, shared=True, create=False), \
            runlog.open_run(kind, paths.logs_dir(reports), tag=str(year),
                            parameters=parameters) as run:
        manifest = catalog.read_manifest(processed)
        run.event("data", manifest=catalog.manifest_digest(processed),
                  files=manifest["files"] if manifest else None)
        with console.status(f"{year}年{title}：检查参数 …") as status:

            def step(message: str) -> None:
                status.update(f"{year}年{title}：{message}")
                console.log(safe_text(message))

            with run.stage("render"):
                written = fn(year, processed, reports, progress=step,
                             profile=load_profile())  # profile: passed in by the shell
        run.end(0, manifest=catalog.manifest_digest(processed),
                outputs=[runlog.file_digest(p) for p in written.values()])
    return list(written.values())


def _report_command(kind: str, label: str, year: int, processed: Path | None,
                    reports: Path | None) -> None:
    try:
        written = _render(kind, year, processed, reports)
    except TalentstatsError as exc:
        _fail(exc)
    for p in written:
        out.print(f"{label}：{safe_text(p)}")


@app.command()
def bulletin(year: YearOpt, processed: ProcessedOpt = None, reports: ReportsOpt = None) -> None:
    """Render the bulletin (title from city.yaml `bulletin_title`): notebook, HTML, PDF, Word draft and the Excel annex."""
    _report_command("bulletin", "公报", year, processed, reports)


@app.command()
def assessment(year: YearOpt, processed: ProcessedOpt = None, reports: ReportsOpt = None) -> None:
    """Render the towns' assessment report (internal): ranking, dimensions, non-compliance; HTML, PDF, Word."""
    _report_command("assessment", "考核报告", year, processed, reports)


#: What `query` prints of a result: rows, and characters of a cell (``_clip``).
QUERY_ROWS_SHOWN = 200
QUERY_CELL_CHARS = 200

SourceOpt = Annotated[
    Path | None, typer.Option("--processed", help="Processed data folder to read [data/processed].")
]


def check_target(target: Path, processed: Path) -> None:
    """Refuse a target in the processed folder, or in any folder holding a processed manifest
    (as the old ``export --out`` meant the source): an export there would overwrite the
    processed CSV files. A folder of earlier exports is fine."""
    from talentstats.store import catalog

    folder, where = processed.resolve(), target.resolve()
    if where == folder or folder in where.parents or (
            where.is_dir() and catalog.read_manifest(where) is not None):
        raise ParameterError(
            f"--out/--to 是写入的目标，不能是已处理数据目录 {target}；数据来源请用 --processed / "
            f"--out/--to name where files go, not the processed folder {target}: "
            "pass the source as --processed"
        )


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="A SELECT over the datasets (observations, indicators, ...).")],
    processed: SourceOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", "--to", "-o", help="Write the result to this .csv or .parquet file.")] = None,
) -> None:
    """Run read-only SQL (DuckDB) over the processed datasets."""
    from talentstats.store.query import run_query, write_result

    processed = processed or paths.processed_dir()
    try:
        if out_file:
            check_target(out_file, processed)
        df = run_query(sql, processed)
        if out_file:
            write_result(df, out_file)
    except TalentstatsError as exc:
        _fail(exc)
    if "cut" in df.attrs:
        console.print(f"[yellow]注意 / note:[/yellow] {safe_text(df.attrs['cut'])}")
    if out_file:
        out.print(f"{len(df)} 行 → {safe_text(out_file)}")
        return
    t = Table(show_lines=False)
    for col in df.columns:
        t.add_column(safe_text(_clip(col)))
    clipped = False
    for row in df.head(QUERY_ROWS_SHOWN).itertuples(index=False):
        cells = ["" if v is None else str(v) for v in row]
        clipped = clipped or any(len(c) > QUERY_CELL_CHARS for c in cells)
        t.add_row(*(safe_text(_clip(c)) for c in cells))
    out.print(t)
    if len(df) > QUERY_ROWS_SHOWN:
        out.print(f"（共 {len(df)} 行，仅显示前 {QUERY_ROWS_SHOWN} 行；用 --out 导出全部）")
    if clipped:
        out.print(f"（超过 {QUERY_CELL_CHARS} 个字符的单元格已截断显示；用 --out 导出全文）")



def _clip(value: object) -> str:
    """A query cell as printed: at most ``QUERY_CELL_CHARS`` characters, ``…`` when cut."""
    text = str(value)
    return text if len(text) <= QUERY_CELL_CHARS else text[:QUERY_CELL_CHARS - 1] + "…"


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv | parquet | dta | xlsx")] = "csv",
    processed: SourceOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write the files into [reports/export].")] = None,
    to_dir: Annotated[Path | None, typer.Option("--to", help="The same as --out.")] = None,
) -> None:
    """Export the datasets for R, Stata or Excel users, with Chinese variable labels and unit names."""
    from talentstats.store.export import export as do_export

    if fmt not in ("csv", "parquet", "dta", "xlsx"):
        _fail(ParameterError(f"不支持的格式 / unsupported format: {fmt}"))
    processed = processed or paths.processed_dir()
    target = out_dir or to_dir or paths.export_dir()
    try:
        if out_dir and to_dir and out_dir != to_dir:  # `--out SOURCE --to TARGET`, the old spelling
            raise ParameterError(
                "--out 与 --to 都是导出目标目录，只需给一个；数据来源请用 --processed / "
                "--out and --to both name the target folder: pass the source as --processed"
            )
        check_target(target, processed)
        written = do_export(processed, target, fmt)
    except TalentstatsError as exc:
        _fail(exc)
    for p in written:
        out.print(f"导出：{safe_text(p)}")


@app.command()
def codebook(processed: ProcessedOpt = None) -> None:
    """Write codebook.md and codebook.xlsx next to the processed data."""
    from talentstats.store import lock
    from talentstats.store.codebook import write_codebook

    folder = processed or paths.processed_dir()
    try:
        with lock.hold(folder, create=False):
            written = write_codebook(folder)
    except TalentstatsError as exc:
        _fail(exc)
    for p in written:
        out.print(f"代码手册：{safe_text(p)}")


_YEAR_DIR = re.compile(r"^(\d{4})$")


@app.command()
def build(
    raw_root: Annotated[Path | None, typer.Argument(help="Folder with one sub-folder per year (2012/, 2013/...) [data/raw/sample].")] = None,
    processed: ProcessedOpt = None,
    reports: ReportsOpt = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    assignments: AssignmentsOpt = None,
) -> None:
    """The main job: ingest every year folder, then render the latest year's bulletin and assessment.

    Exits 0 even when towns' forms were rejected (that is a normal outcome of a collection,
    reported in the summaries); exits non-zero when a stage itself fails. The statistician's
    decisions on held files are read from --assignments, by default RAW_ROOT/assignments.csv
    when it exists.
    """
    from talentstats.pipeline import check_folders, discover, ingest_year
    from talentstats.reading.assignments import ASSIGNMENTS_FILE
    from talentstats.store import lock

    raw_root = raw_root or paths.sample_dir()
    years = sorted(int(m.group(1)) for p in Path(raw_root).iterdir()
                   if p.is_dir() and (m := _YEAR_DIR.match(p.name))) if Path(raw_root).is_dir() else []
    if not years:
        _fail(ParameterError(f"{raw_root} 下没有年份目录（如 2013/） / no year folders under {raw_root}"))
    try:
        default = Path(raw_root) / ASSIGNMENTS_FILE
        assigned = _assignments(None, assignments or (default if default.is_file() else None))
        folders = {y: (Path(raw_root) / str(y)).resolve() for y in years}
        outside = sorted(str(p) for p in assigned
                         if not any(p.is_relative_to(f) for f in folders.values()))
        if outside:
            raise ParameterError("指定归属的文件不在任何年份目录中 / assigned files are in no "
                                 "year folder: " + ", ".join(outside))
        check_workers(jobs, scheduler)
        check_folders(raw_root, processed or paths.processed_dir(), reports or paths.reports_dir(),
                      paths.key_file())
        # the lock for the whole job: no other run slips in between the years and the reports
        with lock.hold(processed or paths.processed_dir()):
            with workers(jobs, scheduler) as executor:  # one pool (or client) for every year
                for year in years:
                    folder = Path(raw_root) / str(year)
                    files = discover(folder)
                    mine = {p: u for p, u in assigned.items() if p.is_relative_to(folders[year])}
                    with progress_bar(len(files), f"{year}年 读取报表") as advance:
                        result = ingest_year(folder, year, processed, reports_dir=reports,
                                             progress=advance, executor=executor,
                                             log_dir=paths.logs_dir(reports), assignments=mine)
                    counts = result.submissions["status"].value_counts()
                    out.print(f"{year}年：" + "，".join(
                        f"{STATUS_LABELS[s]} {counts[s]} 份" for s in STATUS_LABELS if s in counts))
            from talentstats.store.codebook import write_codebook

            for p in write_codebook(processed or paths.processed_dir()):
                out.print(f"代码手册：{safe_text(p)}")
            for kind in ("bulletin", "assessment"):
                for p in _render(kind, years[-1], processed, reports):
                    out.print(f"输出：{safe_text(p)}")
    except TalentstatsError as exc:
        _fail(exc)


class _PrintableFormatter(logging.Formatter):
    """Log lines without control characters: a file's name may carry an escape sequence."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def main() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        app()
    except KeyboardInterrupt:
        console.print("已中断 / interrupted: previous outputs are left as they were")
        sys.exit(130)
    except UnicodeEncodeError as exc:  # a path the user named that is not UTF-8, missed above
        if "surrogates not allowed" not in str(exc):
            raise
        console.print("[red]错误 / error:[/red] 路径名不是 UTF-8 编码，请重命名 / a path's name "
                      "is not UTF-8 (a Windows zip unpacked on Linux?): rename it")
        sys.exit(2)
    except OSError as exc:  # a folder or file the user named cannot be read or written
        where = f"：{exc.filename}" if exc.filename else ""
        console.print(f"[red]错误 / error:[/red] {safe_text(exc.strerror or exc)}{safe_text(where)}")
        sys.exit(2)


if __name__ == "__main__":
    main()
