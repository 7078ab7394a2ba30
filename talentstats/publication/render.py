"""Render the bulletin and the assessment report: papermill, HTML, PDF (chromium), Word, Excel annex.

The notebooks under ``notebooks/`` (found through the package: ``talentstats/notebooks``) are
executed with papermill; the executed notebook is converted to a self-contained HTML with the
``talentstats`` nbconvert template (no code, no prompts, images embedded, nothing loaded from
the network), then printed to PDF with Debian's headless chromium. The Word draft (.docx, for
审签) is written from the same blocks (``document``) by ``word``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

import talentstats
from talentstats.errors import DataNotFound, ParameterError, TalentstatsError
from talentstats.paths import utf8_path
from talentstats.publication.tables import BulletinData
from talentstats.store.catalog import dataset_dir, has_dataset, read_dataset

if TYPE_CHECKING:
    from talentstats.profile.config import Profile

__all__ = [
    "ASSESSMENT_NAME",
    "ANNEX_NAME",
    "RenderError",
    "load_bulletin_data",
    "notebook_path",
    "render_assessment",
    "render_bulletin",
    "to_html",
    "to_pdf",
]

ANNEX_NAME = "附表.xlsx"
ASSESSMENT_NAME = "人才工作考核报告"
REQUIRED = ("indicators", "observations", "submissions")
Progress = Callable[[str], None] | None


class RenderError(TalentstatsError):
    """A notebook failed to execute, or the PDF could not be printed."""


def notebook_path(name: str) -> Path:
    """A notebook shipped with the package (``talentstats/notebooks/<name>``).

    Falls back to the repository's ``notebooks/`` beside the package when the symlink is absent.
    """
    candidates = [
        Path(str(resources.files("talentstats").joinpath("notebooks", name))),
        Path(talentstats.__file__).resolve().parent.parent / "notebooks" / name,
    ]
    for c in candidates:
        if c.is_file():
            return c
    raise DataNotFound(f"找不到报告模板 {name} / notebook {name} not found in: {', '.join(map(str, candidates))}")


def templates_dir() -> Path:
    """The folder of the nbconvert templates shipped with the package."""
    return Path(str(resources.files("talentstats").joinpath("templates")))


def load_bulletin_data(processed_dir: str | Path, year: int, profile: Profile) -> BulletinData:
    """Read the processed datasets into a :class:`BulletinData` with the profile and the
    indicator dictionary (its texts quoting the targets of ``year``)."""
    from talentstats.analysis.indicators import indicator_dictionary
    from talentstats.profile.reference import population_basis

    folder = Path(processed_dir)
    return BulletinData(
        year=year,
        indicators=read_dataset(folder, "indicators"),
        observations=read_dataset(folder, "observations"),
        submissions=read_dataset(folder, "submissions"),
        roster=read_dataset(folder, "roster", missing_ok=True),
        profile=profile,
        dictionary=indicator_dictionary(profile, year),
        population_basis=population_basis(profile, year),
    )


def _profile_parameter(profile: Profile, out: Path) -> str:
    """The notebook's ``profile_dir``: "" for the packaged profile, else the folder relative to
    ``out`` (the parameters are published with the notebook)."""
    packaged = Path(str(resources.files("talentstats").joinpath("data"))).resolve()
    folder = Path(profile.folder).resolve()
    return "" if folder == packaged else _from(out, folder)


def validate_parameters(year: object, processed_dir: str | Path) -> int:
    """Check the year and the processed folder before any kernel starts; return the year.

    Raises
    ------
    ParameterError
        When the year is not an integer in a plausible range.
    DataNotFound
        When a dataset is missing or the year has no indicators.
    """
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ParameterError(f"年份无效：{year!r}（应为四位整数，如 2015） / invalid year {year!r}: expected e.g. 2015")
    folder = utf8_path(processed_dir)
    if not folder.is_dir():
        raise DataNotFound(f"处理后数据目录不存在：{folder} / processed folder {folder} does not exist; run `talentstats ingest` first")
    for name in REQUIRED:
        if not has_dataset(folder, name):
            raise DataNotFound(
                f"缺少数据集 {name}：{dataset_dir(folder, name)} / dataset {name} missing in {folder}; run `talentstats ingest` first"
            )
    years = sorted(int(y) for y in read_dataset(folder, "indicators")["year"].unique())
    if year not in years:
        known = "、".join(map(str, years)) or "无"
        raise DataNotFound(
            f"{year}年没有指标数据（已有年份：{known}） / no indicators for {year} in {folder} (years present: {known or 'none'})"
        )
    return year


def _execute(notebook: Path, out_ipynb: Path, parameters: dict, cwd: Path, progress: Progress) -> None:
    import papermill as pm

    for key, value in parameters.items():  # papermill escapes only str; pass plain types only
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ParameterError(f"参数 {key} 类型无效 / parameter {key} must be str or int, got {type(value).__name__}")
    if progress:
        progress(f"执行 {notebook.name} …")
    try:
        pm.execute_notebook(
            _literal(notebook),
            _literal(out_ipynb),
            parameters=parameters,
            kernel_name="python3",
            start_timeout=180,
            cwd=str(cwd),
            progress_bar=False,
            log_output=False,
            report_mode=True,
        )
    except pm.PapermillExecutionError as exc:
        raise RenderError(
            f"报告执行失败（{notebook.name}，单元格 {exc.exec_count}）：{exc.ename}: {exc.evalue} / notebook failed; "
            f"see the executed notebook {out_ipynb}"
        ) from exc
    _name_files_only(out_ipynb, notebook.name)


def _literal(path: Path) -> str:
    """A path papermill takes as it is: it formats input and output paths with the
    parameters (``str.format``), so a ``{`` in a folder name raised and ``{year}`` moved the
    output. Doubled braces format to themselves."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _name_files_only(ipynb: Path, source: str) -> None:
    """papermill records the input and output notebooks' absolute paths in the executed
    notebook, which is published: keep their names only."""
    nb = nbformat.read(str(ipynb), as_version=4)
    record = nb.metadata.get("papermill", {})
    record["input_path"], record["output_path"] = source, ipynb.name
    nbformat.write(nb, str(ipynb))


def to_html(ipynb: Path, html_path: Path, title: str) -> Path:
    """Convert an executed notebook to self-contained HTML: no code, no prompts, no network."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(ipynb), as_version=4)
    nb.metadata["title"] = title
    # Cells tagged "remove" (the template's own note) and stderr (warnings, logs) do not belong
    # in a publication.
    nb.cells = [c for c in nb.cells if "remove" not in c.get("metadata", {}).get("tags", [])]
    # papermill gives its injected-parameters cell a random id; number the cells instead, so
    # the same inputs give the same HTML
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = HTMLExporter(
        template_name="talentstats",
        extra_template_basedirs=[str(templates_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="zh",
    )
    body, _ = exporter.from_notebook_node(nb)
    body = _strip_remote(body)
    html_path.write_text(body, encoding="utf-8")
    return html_path


#: What a text parameter printed into the report's HTML may not hold (the notebook escapes it
#: too: belt and braces).
_UNSAFE_TEXT = re.compile(r"[<>&\"'\\\x00-\x1f\x7f]")

_REMOTE_TAG = re.compile(r"<(script|link)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//[^>]*>(\s*</script>)?", re.I)


def _strip_remote(html_text: str) -> str:
    """Remove any <script>/<link> that would load from the network (belt and braces)."""
    return _REMOTE_TAG.sub("", html_text)


def chromium_path() -> str:
    """The chromium binary ($TALENTSTATS_CHROMIUM, or chromium / chromium-browser on PATH)."""
    for c in (os.environ.get("TALENTSTATS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if c and (found := shutil.which(c)):
            return found
    raise RenderError("找不到 chromium，无法生成PDF / chromium not found: install Debian's chromium or set TALENTSTATS_CHROMIUM")


def to_pdf(html_path: Path, pdf_path: Path, timeout: int = 180) -> Path:
    """Print an HTML file to an A4 PDF with headless chromium (fresh profile, no network extras)."""
    with tempfile.TemporaryDirectory(prefix="talentstats-chromium-") as profile:
        tmp_pdf = Path(profile) / "out.pdf"
        cmd = [
            chromium_path(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp_pdf}",
            html_path.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RenderError(f"生成PDF超时 / chromium timed out after {timeout}s printing {html_path}") from exc
        if not tmp_pdf.is_file() or tmp_pdf.stat().st_size == 0:
            raise RenderError(f"生成PDF失败 / chromium did not write the PDF (exit {proc.returncode}): {proc.stderr[-800:]}")
        shutil.move(str(tmp_pdf), pdf_path)
    return pdf_path


def _from(out: Path, path: Path) -> str:
    """``path`` relative to ``out``, the folder the notebook runs in: the parameters are
    published with the executed notebook, and the machine's absolute paths do not belong there."""
    return os.path.relpath(path, out)


def _out_dir(reports_dir: str | Path, year: int) -> Path:
    out = utf8_path(reports_dir) / str(year)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _render_notebook(notebook: str, out: Path, stem: str, title: str, params: dict,
                     progress: Progress, pdf: bool) -> dict[str, Path]:
    """Execute a report notebook into ``out``, then convert it to HTML and (unless not) PDF."""
    paths = {"ipynb": out / f"{stem}.ipynb", "html": out / f"{stem}.html"}
    _execute(notebook_path(notebook), paths["ipynb"], params, out, progress)
    if progress:
        progress("生成HTML …")
    to_html(paths["ipynb"], paths["html"], title)
    if pdf:
        if progress:
            progress("生成PDF …")
        paths["pdf"] = to_pdf(paths["html"], out / f"{stem}.pdf")
    return paths


def render_bulletin(
    year: int,
    processed_dir: str | Path,
    reports_dir: str | Path,
    *,
    progress: Progress = None,
    top_n: int = 10,
    suppression_threshold: int = 3,
    issue_date: str = "",
    pdf: bool = True,
    profile: Profile,
) -> dict[str, Path]:
    """Render the bulletin 《东莞市YYYY年人才资源统计公报》 (``City.bulletin_name``) of ``profile``
    into ``reports_dir/YYYY/``.

    Writes the executed notebook, the HTML, the PDF (unless ``pdf`` is False), the Word draft
    and 附表.xlsx.

    Returns
    -------
    Paths by kind: ipynb, html, pdf, docx, annex.

    Raises
    ------
    ParameterError, DataNotFound
        Before any kernel starts, when the year or the processed folder is not usable.
    RenderError
        When the notebook fails or chromium cannot print.
    """
    validate_parameters(year, processed_dir)
    if not isinstance(top_n, int) or top_n < 1 or not isinstance(suppression_threshold, int) or suppression_threshold < 1:
        raise ParameterError("top_n 与 suppression_threshold 应为正整数 / top_n and suppression_threshold must be positive integers")
    if not isinstance(issue_date, str) or _UNSAFE_TEXT.search(issue_date) or len(issue_date) > 40:
        raise ParameterError(
            f"发布日期只能是日期文字（如“2016年4月”），不能含 < > & 引号、反斜杠或控制字符：{issue_date!r} / "
            "issue_date must be plain date text such as 2016年4月"
        )
    processed = Path(processed_dir).resolve()
    out = _out_dir(reports_dir, year).resolve()
    stem = profile.city.bulletin_name(year)
    params = {
        "year": int(year),
        "processed_dir": _from(out, processed),
        "profile_dir": _profile_parameter(profile, out),
        "output_dir": ".",
        "top_n": int(top_n),
        "suppression_threshold": int(suppression_threshold),
        "issue_date": str(issue_date),
    }
    paths = _render_notebook("bulletin.ipynb", out, stem, stem, params, progress, pdf)
    from talentstats.publication.annex import write_annex
    from talentstats.publication.document import bulletin_report
    from talentstats.publication.word import write_docx

    data = load_bulletin_data(processed, year, profile)
    if progress:
        progress("生成Word文稿 …")
    report = bulletin_report(data, top_n=top_n, threshold=suppression_threshold, issue_date=issue_date)
    paths["docx"] = write_docx(report, out / f"{stem}.docx")
    if progress:
        progress("生成附表 …")
    paths["annex"] = write_annex(data, out / ANNEX_NAME)
    return paths


def render_assessment(
    year: int,
    processed_dir: str | Path,
    reports_dir: str | Path,
    *,
    progress: Progress = None,
    pdf: bool = True,
    profile: Profile,
) -> dict[str, Path]:
    """Render the internal assessment report (人才工作考核报告) into ``reports_dir/YYYY/``.

    Returns paths by kind: ipynb, html, pdf, docx. Raises as :func:`render_bulletin`.
    """
    validate_parameters(year, processed_dir)
    processed = Path(processed_dir).resolve()
    out = _out_dir(reports_dir, year).resolve()
    params = {"year": int(year), "processed_dir": _from(out, processed),
              "profile_dir": _profile_parameter(profile, out), "output_dir": "."}
    paths = _render_notebook("assessment.ipynb", out, ASSESSMENT_NAME,
                             f"{year}年{ASSESSMENT_NAME}", params, progress, pdf)
    from talentstats.publication.document import assessment_report
    from talentstats.publication.word import write_docx

    if progress:
        progress("生成Word文稿 …")
    report = assessment_report(load_bulletin_data(processed, year, profile))
    paths["docx"] = write_docx(report, out / f"{ASSESSMENT_NAME}.docx")
    return paths
