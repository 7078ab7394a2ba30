"""The codebook (代码手册): what every dataset, column, code, indicator and rule means.

Built from the declarations, never typed twice: datasets and columns from
:mod:`talentstats.store.catalog` (with the meanings below), items and columns of the forms from
:mod:`talentstats.profile.forms`, indicators from :func:`talentstats.analysis.indicators.indicator_dictionary`,
rules from :func:`talentstats.validation.rules.rules_table`, and coverage from the ``submissions`` dataset.
Written as ``codebook.md`` and ``codebook.xlsx`` next to the processed data.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from talentstats.errors import DataNotFound
from talentstats.profile import forms
from talentstats.profile.config import city, city_code
from talentstats.profile.units import reporting_units, unit_name
from talentstats.store import catalog
from talentstats.store.query import duckdb_type

__all__ = [
    "COLUMN_LABELS",
    "build_codebook",
    "column_label",
    "coverage_table",
    "variables_table",
    "write_codebook",
]

class _Labels(dict):
    """A dataset's column labels; ``{city}`` in one reads as the profile's city code."""

    def __getitem__(self, column: str) -> tuple[str, str]:
        zh, en = super().__getitem__(column)
        if "{city}" in zh + en:
            code = city_code()
            return zh.replace("{city}", code), en.replace("{city}", code)
        return zh, en

    def get(self, column, default=None):
        return self[column] if column in self else default

    def values(self):
        return [self[c] for c in self]

    def items(self):
        return [(c, self[c]) for c in self]


# The meaning of every column of the processed datasets, (Chinese, English). A test checks this covers the
# catalog exactly, so a new column cannot ship without a meaning.
COLUMN_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "observations": {
        "year": ("报告年份", "report year"),
        "unit_code": (
            "填报单位代码（9位统计用区划代码）",
            "reporting unit code (9-digit division code)",
        ),
        "form": ("报表代码（TR1、TR2、TR3、TR5）", "form code (TR1, TR2, TR3, TR5)"),
        "item": ("项目代码（见项目代码表）", "item (row) code, see the item table"),
        "column": ("栏目代码（见栏目代码表）", "column code, see the column table"),
        "value": (
            "数值（人、万元、次等，货币已折算为万元）",
            "value (persons, 10,000 yuan, times; money converted to 万元)",
        ),
        "source": ("来源：文件名!工作表!单元格", "source cell: file name!sheet!cell"),
    },
    "findings": {
        "year": ("报告年份", "report year"),
        "unit_code": (
            "填报单位代码（无法识别时为空）",
            "reporting unit code (empty if not identified)",
        ),
        "form": ("报表代码", "form code"),
        "rule": ("审核规则编号（见审核规则表）", "rule id, see the rules table"),
        "kind": (
            "规则类别：格式、表内、表间、历年",
            "rule kind: format, within form, between forms, year on year",
        ),
        "severity": (
            "严重程度：error 强制性，warning 核实性",
            "severity: error (form rejected) or warning",
        ),
        "message": ("审核结果说明", "finding, in Chinese"),
        "cells": (
            "涉及单元格（工作表!单元格，以;分隔）",
            "cells involved (sheet!cell, ';'-separated)",
        ),
        "source_file": (
            "来源文件（相对于原始数据目录）",
            "source file, relative to the raw folder",
        ),
    },
    "submissions": {
        "year": ("报告年份", "report year"),
        "unit_code": ("填报单位代码", "reporting unit code"),
        "form": ("报表代码", "form code"),
        "source_file": (
            "来源文件（相对于原始数据目录）",
            "source file, relative to the raw folder",
        ),
        "sha256": ("文件SHA-256校验值", "SHA-256 of the file"),
        "status": (
            "状态：accepted 采用，rejected 退回，superseded 被替代，unreadable 无法读取",
            "status: accepted, rejected, superseded, unreadable",
        ),
    },
    "roster": {
        "year": ("报告年份", "report year"),
        "unit_code": ("填报单位代码", "reporting unit code"),
        "person": (
            "人员假名（密钥化哈希，不含姓名和身份证号）",
            "keyed pseudonym of the person (no name, no ID number)",
        ),
        "sex": ("性别", "sex"),
        "birth_year": ("出生年份", "year of birth"),
        "education": ("最高学历", "highest education"),
        "title": ("职称或技能等级", "professional title or skill grade"),
        "category": ("人才类别", "talent category"),
        "category_item": (
            "人才类别对应的TR1项目代码（110-160）",
            "TR1 item code of the category (110-160)",
        ),
        "employer": ("工作单位", "employer"),
        "industry": ("所属行业（GB/T 4754门类）", "industry (GB/T 4754 section)"),
        "recognised_year": ("认定年份", "year recognised"),
        "note": ("备注", "note"),
        "source": ("来源：文件名!工作表!行", "source: file name!sheet!row"),
    },
    "indicators": _Labels({
        "year": ("年份", "year"),
        "unit_code": ("单位代码（{city}为全市）", "unit code ({city} = the city)"),
        "indicator": ("指标代码（见指标表）", "indicator id, see the indicator table"),
        "value": ("指标值（百分比为3.2而非0.032）", "value (a percentage is 3.2, not 0.032)"),
    }),
}


def column_label(dataset: str, column: str, *, limit: int | None = None) -> str:
    """'中文（English）' for one column; cut to ``limit`` characters (Stata allows 80)."""
    zh, en = COLUMN_LABELS[dataset][column]
    text = f"{zh}（{en}）"
    if limit is not None and len(text) > limit:
        text = zh if len(zh) <= limit else zh[: limit - 1] + "…"
    return text


# --------------------------------------------------------------------------- tables (pure)


def datasets_table() -> pd.DataFrame:
    """One row per processed dataset."""
    return pd.DataFrame(
        {
            "dataset": list(catalog.DATASETS),
            "description": [d.description for d in catalog.DATASETS.values()],
            "columns": [len(d.columns) for d in catalog.DATASETS.values()],
            "sort_by": [", ".join(d.sort_by) for d in catalog.DATASETS.values()],
        }
    )


def variables_table() -> pd.DataFrame:
    """One row per column of every dataset: type (pandas and SQL) and meaning."""
    rows = [
        {
            "dataset": name,
            "column": col,
            "dtype": dtype,
            "sql_type": duckdb_type(dtype),
            "nullable": dtype in ("string", "Int64", "float64"),
            "label_zh": COLUMN_LABELS[name][col][0],
            "label_en": COLUMN_LABELS[name][col][1],
        }
        for name, ds in catalog.DATASETS.items()
        for col, dtype in ds.columns.items()
    ]
    return pd.DataFrame(rows)


def items_table() -> pd.DataFrame:
    """Every item (row) code of TR1-TR3 and TR5, with its name and unit."""
    rows = [
        {
            "form": f.code,
            "table_no": f.table_no,
            "item": it.code,
            "name": it.name,
            "label": it.label.strip("\u3000 "),
            "unit": f.item_unit(it.code) or "",
            "value_type": f.item_value_type(it.code),
        }
        for f in forms.forms().values()
        for it in f.items
    ]
    return pd.DataFrame(rows)


def form_columns_table() -> pd.DataFrame:
    """Every column code of TR1-TR3 and TR5, and the fields of the roster TR4."""
    rows = [
        {"form": f.code, "column": c.code, "name": c.name, "group": c.group or ""}
        for f in forms.forms().values()
        for c in f.columns
    ]
    return pd.DataFrame(rows)


def roster_fields_table() -> pd.DataFrame:
    """The TR4 fields as towns fill them in, and what the roster dataset keeps of each."""
    kept = set(catalog.DATASETS["roster"].columns)
    rows = []
    for fld in forms.form("TR4").fields:
        if fld.personal:
            fate = "不进入处理后数据（以假名 person 代替）/ never in processed data (pseudonym `person`)"
        elif fld.key == "birth":
            fate = "仅保留出生年份 birth_year / year of birth only"
        elif fld.key in kept:
            fate = f"{fld.key}"
        else:
            fate = "不保留 / not kept"
        rows.append(
            {"field": fld.key, "name": fld.name, "personal": fld.personal, "in_roster": fate}
        )
    return pd.DataFrame(rows)


_ACCEPTED = "accepted"


def coverage_table(submissions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage from ``submissions``: accepted forms per unit and year, and counts per form.

    Returns
    -------
    by_unit
        Rows: every reporting unit and the city (unit_code, 单位); columns: the years; cells:
        the accepted forms (``TR1、TR2``), or ``—`` when none.
    by_form
        Rows: years; columns: TR1..TR5; cells: number of units with the form accepted (the
        ``coverage.TRn`` indicators).
    """
    acc = submissions.loc[submissions["status"] == _ACCEPTED, ["year", "unit_code", "form"]]
    acc = acc.drop_duplicates()
    years = sorted(int(y) for y in submissions["year"].unique())
    form_codes = list(forms.forms())
    order = {c: i for i, c in enumerate(form_codes)}
    codes = [u.code for u in reporting_units()] + [city_code()]
    cells = (
        acc.assign(_o=acc["form"].map(order))
        .sort_values(["unit_code", "year", "_o"])
        .groupby(["unit_code", "year"])["form"]
        .agg("、".join)
        .unstack("year")
        .reindex(index=codes, columns=years)
        .fillna("—")
    )
    cells.index = pd.MultiIndex.from_arrays(
        [codes, [unit_name(c) for c in codes]], names=["unit_code", "单位"]
    )
    cells.columns = [int(y) for y in cells.columns]
    by_form = (
        acc.groupby(["year", "form"])["unit_code"]
        .nunique()
        .unstack("form")
        .reindex(index=years, columns=form_codes)
        .fillna(0)
        .astype("int64")
    )
    by_form.index.name = "year"
    by_form.columns.name = None
    return cells, by_form


# --------------------------------------------------------------------------- markdown


def _md_cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, *, index: bool = False) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    data = frame.reset_index() if index else frame
    head = "| " + " | ".join(_md_cell(c) for c in data.columns) + " |"
    rule = "|" + "|".join("---" for _ in data.columns) + "|"
    body = [
        "| " + " | ".join(_md_cell(v) for v in row) + " |" for row in data.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def _default_indicator_dictionary() -> pd.DataFrame:
    from talentstats.analysis.indicators import indicator_dictionary
    from talentstats.profile.config import load_profile

    return indicator_dictionary(load_profile())  # profile: passed in by the shell


def _default_rules_table() -> pd.DataFrame:
    from talentstats.profile.config import load_profile
    from talentstats.validation.rules import rules_table

    return rules_table(load_profile())  # profile: passed in by the shell


# Columns the codebook needs from each declaration; any further columns are kept as given.
INDICATOR_COLUMNS = ["indicator", "name", "unit", "definition", "formula", "sources", "threshold"]
RULE_COLUMNS = ["id", "kind", "severity", "forms", "description"]
# What the Markdown shows of the indicator dictionary (the workbook has every column).
_INDICATOR_MD = [
    "indicator",
    "name",
    "unit",
    "scope",
    "definition",
    "formula",
    "sources",
    "threshold",
]


def _as_text_table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The declared table with ``columns`` first (``id`` accepted for ``indicator``), as text."""
    if "indicator" in columns and "indicator" not in frame.columns:
        frame = frame.rename(columns={"id": "indicator"})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"declaration lacks columns {missing}")
    order = columns + [c for c in frame.columns if c not in columns]
    out = frame.loc[:, order].copy()
    for c in order:
        out[c] = out[c].map(lambda v: "、".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return out.reset_index(drop=True)


def build_codebook(
    processed_dir: str | Path,
    *,
    indicator_dictionary: pd.DataFrame | None = None,
    rules_table: pd.DataFrame | None = None,
) -> tuple[str, dict[str, pd.DataFrame]]:
    """The codebook as Markdown and as one frame per workbook sheet.

    Parameters
    ----------
    processed_dir
        The processed folder (its ``submissions`` gives the coverage; absent means none yet).
    indicator_dictionary, rules_table
        Default: :func:`talentstats.analysis.indicators.indicator_dictionary` and
        :func:`talentstats.validation.rules.rules_table`.

    Returns
    -------
    markdown
        ``codebook.md``.
    sheets
        Sheet name -> frame, in workbook order.
    """
    indicators = _as_text_table(
        indicator_dictionary
        if indicator_dictionary is not None
        else _default_indicator_dictionary(),
        INDICATOR_COLUMNS,
    )
    rules = _as_text_table(
        rules_table if rules_table is not None else _default_rules_table(), RULE_COLUMNS
    )
    submissions = catalog.read_dataset(Path(processed_dir), "submissions", missing_ok=True)
    by_unit, by_form = coverage_table(submissions)

    sheets = {
        "数据集": datasets_table(),
        "变量": variables_table(),
        "项目代码": items_table(),
        "栏目代码": form_columns_table(),
        "名册字段": roster_fields_table(),
        "指标": indicators,
        "审核规则": rules,
        "覆盖情况_单位": by_unit.reset_index(),
        "覆盖情况_报表": by_form.reset_index(),
    }
    return _markdown(sheets, by_unit, by_form), sheets


def _markdown(
    sheets: Mapping[str, pd.DataFrame], by_unit: pd.DataFrame, by_form: pd.DataFrame
) -> str:
    variables = sheets["变量"]
    parts = [
        f"# {city().name}人才资源统计 代码手册 / Codebook",
        "",
        f"Forms declared by {forms.issuer()}. Processed datasets (docs/data-contract.md) are stored as Parquet "
        "partitioned by year (`<name>/year=YYYY/part-0.parquet`, the source of truth; `year` "
        "is the folder name) and as one CSV each (UTF-8 with BOM). Money is in 万元 (10,000 yuan). "
        "Percentages are written 3.2, not 0.032. A missing value means not submitted or "
        f"rejected, never 0. {city_code()} is the city. Names and ID numbers never reach these datasets.",
        "",
        "## 数据集 / Datasets",
        "",
        markdown_table(sheets["数据集"]),
    ]
    for name, ds in catalog.DATASETS.items():
        cols = variables.loc[variables["dataset"] == name].drop(columns="dataset")
        parts += ["", f"### `{name}`", "", ds.description, "", markdown_table(cols)]
    parts += ["", "## 项目代码 / Item codes (forms TR1-TR3, TR5)", ""]
    items = sheets["项目代码"]
    for code, f in forms.forms().items():
        if f.is_roster:
            continue
        block = items.loc[items["form"] == code, ["item", "name", "unit", "value_type"]]
        cols = sheets["栏目代码"].loc[lambda d, c=code: d["form"] == c, ["column", "name", "group"]]
        parts += [
            f"### {code} {f.title}（{f.table_no}，单位：{f.unit or '见各项目'}）",
            "",
            markdown_table(block),
            "",
            "Columns / 栏目:",
            "",
            markdown_table(cols),
            "",
        ]
    tr4 = forms.form("TR4")
    parts += [
        f"### TR4 {tr4.title}（{tr4.table_no}） → dataset `roster`",
        "",
        markdown_table(sheets["名册字段"]),
        "",
        "## 指标 / Indicators",
        "",
        "Every id of the `indicators` dataset, including derived ids such as `I04.110` and "
        "`coverage.TR1`. The workbook sheet 指标 has every column of the dictionary.",
        "",
        markdown_table(
            sheets["指标"].loc[:, [c for c in _INDICATOR_MD if c in sheets["指标"].columns]]
        ),
        "",
        "## 审核规则 / Validation rules",
        "",
        markdown_table(sheets["审核规则"]),
        "",
        "## 覆盖情况 / Coverage",
        "",
        "Units with the form accepted, per year (`coverage.TRn`):",
        "",
        markdown_table(by_form, index=True) if len(by_form) else "(no submissions yet)",
        "",
        "Accepted forms per unit and year (— = none):",
        "",
        markdown_table(by_unit, index=True),
        "",
    ]
    return "\n".join(parts)


def write_codebook(
    processed_dir: str | Path,
    *,
    indicator_dictionary: pd.DataFrame | None = None,
    rules_table: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``codebook.md`` and ``codebook.xlsx`` into the processed folder (atomically).

    Returns
    -------
    The two paths written.
    """
    folder = Path(processed_dir)
    if not folder.is_dir():
        raise DataNotFound(
            f"处理后数据目录不存在：{folder} / processed folder {folder} does not exist; "
            "run `talentstats ingest` first"
        )
    markdown, sheets = build_codebook(
        folder, indicator_dictionary=indicator_dictionary, rules_table=rules_table
    )
    targets = [folder / "codebook.md", folder / "codebook.xlsx"]
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=folder) as tmp:
        md = Path(tmp) / "codebook.md"
        md.write_text(markdown, encoding="utf-8")
        xlsx = Path(tmp) / "codebook.xlsx"
        write_workbook(xlsx, sheets)
        os.replace(md, targets[0])
        os.replace(xlsx, targets[1])
    return targets


def write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame]) -> None:
    """Write frames as sheets with XlsxWriter; text stays text (no formulas, URLs or numbers)."""
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            writer.sheets[name[:31]].freeze_panes(1, 0)
