"""Outputs cannot be turned against their readers: text from a submission stays text.

A collection is planted with formula-like and HTML-like text where a town controls it: roster
cells (备注, 工作单位, 职称, 学历, 行业, 姓名), a value cell typed as ``=1+1`` (quoted back in a
finding), a 填报单位 line with ``<script>``, a sheet named ``=SUM(1)``, file names starting with
``=`` and ``@``, and real formulas in a unit's own workbook (HYPERLINK, DDE). Then every output
is read back: the processed CSV files and a query result (no field starts with = + - @ tab or
CR unless it is a number), the exports (csv, xlsx, dta, parquet), the feedback workbooks, the
collection summary, the annex and the codebook (no formula except the unit's own harmless
ones in its feedback copy, no hyperlink, no macro, no external link), and the bulletin's and
the assessment's HTML fragments (nothing planted is printed, and what is printed is escaped).
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import hostile
import openpyxl
import pandas as pd
import pytest

from talentstats.pipeline import ingest_year
from talentstats.profile.config import load_profile
from talentstats.publication import feedback
from talentstats.store import catalog, export

YEAR = 2013
FORMULA = '=HYPERLINK("http://evil.example/x","点击")'
DDE = "=cmd|' /C calc'!A0"
PLANTED_ROSTER = {
    "note": FORMULA,
    "employer": "+SUM(1,2)东莞某公司",
    "title": "@SUM(1)",
    "education": "-2+3",
    "industry": "\t=1+1",
    "name": "<script>alert(1)</script>",
}
SCRIPT_UNIT = "填报单位：茶山镇<script>alert(1)</script>"
RISKY = ("=", "+", "-", "@", "\t", "\r")


def _plant(path: Path, unit_code: str, *, roster: list[dict], text_value: bool) -> Path:
    """A good workbook, then edited as a hostile town would."""
    from talentstats.workbooks.template import build_workbook_layouts

    hostile.good_workbook(path, unit_code, roster=roster)
    wb = openpyxl.load_workbook(path)
    tr1 = next(lay for lay in build_workbook_layouts(YEAR, unit_code, values=hostile.good_values(),
                                                     roster=roster) if lay.form == "TR1")
    ws = wb[tr1.name]
    ws["P60"] = FORMULA  # real formulas in the unit's own file
    ws["P61"] = DDE
    if text_value:
        r, c = tr1.cell(150, 2)
        cell = ws.cell(row=r + 1, column=c + 1, value="=1+1")
        cell.data_type = "s"  # typed as text: F01 quotes it back
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("填报单位"):
                    cell.value = SCRIPT_UNIT
    else:
        wb[wb.sheetnames[2]].title = "=SUM(1)"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("planted")
    raw = root / "raw"
    _plant(raw / "=1+1石龙镇2013年报表.xlsx", "441900102",
           roster=hostile.good_roster(1, **PLANTED_ROSTER), text_value=False)
    _plant(raw / "@SUM(1)茶山镇2013年报表.xlsx", "441900103", roster=hostile.good_roster(2),
           text_value=True)
    (raw / "=2+3无单位.xlsx").write_bytes(b"not a workbook")  # unattributable: the summary
    result = ingest_year(raw, YEAR, root / "processed", reports_dir=root / "reports",
                         key_path=root / "key", processes=2)
    exports = root / "exports"
    for fmt in export.FORMATS:
        export.export(root / "processed", exports / fmt, fmt)
    from talentstats.store.codebook import write_codebook

    write_codebook(root / "processed")
    from talentstats.publication.annex import write_annex
    from talentstats.publication.render import load_bulletin_data

    write_annex(load_bulletin_data(root / "processed", YEAR, load_profile()), root / "annex.xlsx")
    from talentstats.store.query import run_query, write_result

    write_result(run_query("SELECT * FROM roster", root / "processed"), root / "query.csv")
    write_result(run_query("SELECT * FROM findings", root / "processed"), root / "query2.csv")
    return {"root": root, "raw": raw, "processed": root / "processed",
            "reports": root / "reports", "exports": exports, "result": result}


def test_the_planted_text_reached_the_datasets(planted):
    """The test means something only if the planted text got through (it did, as data)."""
    roster = catalog.read_dataset(planted["processed"], "roster")
    assert FORMULA in set(roster["note"]) and "@SUM(1)" in set(roster["title"])
    findings = catalog.read_dataset(planted["processed"], "findings")
    assert findings["message"].str.contains("“=1+1”", regex=False).any()
    assert (findings["source_file"] == "=2+3无单位.xlsx").any()
    sources = catalog.read_dataset(planted["processed"], "observations")["source"]
    assert sources.str.contains("!=SUM(1)!", regex=False).any()  # a sheet name
    assert sources.str.startswith("=1+1").any() and sources.str.startswith("@SUM(1)").any()


def _csv_fields(path: Path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            yield from row


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_csv_field_starts_like_a_formula(planted):
    files = [*planted["processed"].rglob("*.csv"), *(planted["exports"] / "csv").glob("*.csv"),
             planted["root"] / "query.csv", planted["root"] / "query2.csv"]
    assert len(files) >= 10
    neutralised = 0
    for path in files:
        for field in _csv_fields(path):
            assert not field.startswith(RISKY) or _number(field), (path.name, field)
            neutralised += field.startswith("'") and field[1:].startswith(RISKY)
    assert neutralised >= 5  # the planted text is there, behind a quote


def _formulas(path: Path) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): str(c.value) for ws in wb.worksheets
            for row in ws.iter_rows() for c in row if c.data_type == "f"}


def _check_workbook(path: Path, allowed: dict[tuple[str, str], str]) -> int:
    """No formula but ``allowed`` ones, no hyperlink, no macro, no external link; returns how
    many planted strings the workbook holds (as text)."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert not [n for n in names if "vbaProject" in n or "externalLink" in n], path.name
        assert b"macroEnabled" not in z.read("[Content_Types].xml"), path.name
    wb = openpyxl.load_workbook(path)
    planted_text = 0
    for ws in wb.worksheets:
        assert not ws._hyperlinks, (path.name, ws.title)
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert allowed.get((ws.title, cell.coordinate)) == cell.value, (
                        path.name, ws.title, cell.coordinate, cell.value)
                    assert not feedback._OUTWARD.search(str(cell.value)), cell.value
                elif isinstance(cell.value, str) and cell.value.startswith(RISKY[:4]):
                    assert cell.data_type == "s"
                    planted_text += 1
    return planted_text


def test_no_workbook_holds_a_live_formula_from_a_submission(planted):
    reports = planted["reports"] / str(YEAR)
    plain = [*(planted["exports"] / "xlsx").glob("*.xlsx"), planted["processed"] / "codebook.xlsx",
             planted["root"] / "annex.xlsx", reports / f"{YEAR}年报表收集情况.xlsx"]
    assert sum(_check_workbook(p, {}) for p in plain) >= 3
    books = sorted((reports / "feedback").glob("*.xlsx"))
    assert len(books) == 2
    sources = {p: _formulas(p) for p in planted["raw"].glob("*.xlsx") if p.stat().st_size > 100}
    copies = 0
    for book in books:
        unit = book.stem
        source = next(p for p in sources if unit[:2] in p.name)
        wb = openpyxl.load_workbook(book)
        if wb.sheetnames == [feedback.FEEDBACK_SHEET]:  # a receipt: no finding, nothing copied
            assert _check_workbook(book, {}) >= 1, book.name  # the file name, as text
            continue
        copies += 1
        own = {k: v for k, v in sources[source].items() if not feedback._OUTWARD.search(v)}
        assert _check_workbook(book, own) >= 2, book.name  # the planted text, as text
        sheet = next(ws for ws in wb.worksheets if ws["P60"].value is not None)
        # the unit's HYPERLINK and DDE formulas are shown as text, not run
        assert (sheet["P60"].value, sheet["P60"].data_type) == (FORMULA, "s")
        assert (sheet["P61"].value, sheet["P61"].data_type) == (DDE, "s")
    assert copies >= 1
    summary = openpyxl.load_workbook(reports / f"{YEAR}年报表收集情况.xlsx")["未识别单位的文件"]
    assert summary["A2"].value == "=2+3无单位.xlsx" and summary["A2"].data_type == "s"


def _defined_names(path: Path) -> dict[str, str]:
    """Every defined name in the workbook's XML (``name`` or ``name@sheet index``) -> value."""
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return {d.get("name") + (f"@{d.get('localSheetId')}" if d.get("localSheetId") else ""):
            d.text or "" for d in root.iter(f"{ns}definedName")}


def test_feedback_drops_defined_names_that_reach_outside(tmp_path):
    """The unit's own workbook is the base of its feedback copy, names included: a defined name
    that reaches outside (DDE, a link to another file, HYPERLINK), workbook- or sheet-level, or
    a macro's name, is not in the copy; a plain name of the unit's own sums is kept."""
    from openpyxl.utils import quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName

    src = hostile.good_workbook(tmp_path / "石龙镇2013.xlsx")
    wb = openpyxl.load_workbook(src)
    ws = wb.worksheets[0]
    own = f"{quote_sheetname(ws.title)}!$P$60"
    wb.defined_names["启动"] = DefinedName("启动", attr_text=DDE[1:])
    wb.defined_names["网址"] = DefinedName("网址", attr_text=FORMULA[1:])
    wb.defined_names["Auto_Open"] = DefinedName("Auto_Open", attr_text=own, function=True,
                                                xlm=True)
    ws.defined_names["外部"] = DefinedName("外部", attr_text="[1]Sheet1!$A$1")
    ws.defined_names["外部2"] = DefinedName("外部2", attr_text="'C:\\x\\[b.xlsx]S'!$A$1")
    wb.defined_names["本表数"] = DefinedName("本表数", attr_text=own)
    ws["P60"] = 1
    ws["P61"] = "=本表数+启动+外部"
    wb.save(src)
    planted = _defined_names(src)
    assert {"启动", "网址", "Auto_Open", "外部@0", "外部2@0", "本表数"} <= set(planted)

    found = pd.DataFrame([dict(year=YEAR, unit_code="441900102", form="TR1", rule="N01",
                               kind="表内", severity="error", message="合计不符",
                               cells=f"{ws.title}!P60", source_file=src.name)])
    out = feedback.write_feedback(src, found, tmp_path / "反馈.xlsx", unit_name="石龙镇",
                                  year=YEAR)  # a finding: the file is copied
    names = _defined_names(out)
    assert not [(k, v) for k, v in names.items() if feedback._OUTWARD.search(v)], names
    assert {k.split("@")[0] for k in names} & set(planted) == {"本表数"}, names
    assert names["本表数"] == own  # the unit's plain name stays, with the sum that uses it
    copy = openpyxl.load_workbook(out)[ws.title]
    assert (copy["P61"].value, copy["P61"].data_type) == ("=本表数+启动+外部", "f")


def test_stata_and_parquet_keep_the_text_as_data(planted):
    back = pd.read_stata(planted["exports"] / "dta" / "roster.dta")
    assert FORMULA in set(back["note"])
    back = pd.read_parquet(planted["exports"] / "parquet" / "roster.parquet")
    assert FORMULA in set(back["note"])


def test_bulletin_and_assessment_html_print_nothing_planted(planted):
    """What the notebooks display, built without a kernel: the bulletin's and the assessment's
    sections and tables. No submitted text reaches them, and tables escape what they print."""
    from talentstats.publication import assessment_view as A
    from talentstats.publication import narrative as N
    from talentstats.publication import tables as T
    from talentstats.publication.render import load_bulletin_data

    data = load_bulletin_data(planted["processed"], YEAR, load_profile())
    parts = list(N.build_bulletin(data, top_n=10, threshold=1).values())
    parts += [T.to_html(T.roster_table(data.profile, data.roster, YEAR, 1), "表3", "人"),
              T.to_html(T.top_units_table(data, 10), "表4", "人"),
              A.summary(data), T.to_html(A.ranking_table(data), "表1", "分"),
              A.fund_text(data), A.mechanism_text(data), A.unscored_text(data)]
    text = "\n".join(parts)
    for planted_text in [*PLANTED_ROSTER.values(), "=1+1", "<script", "=SUM(1)", "@SUM(1)"]:
        assert planted_text not in text, planted_text
    html = T.to_html(pd.DataFrame({"单位": ["<script>alert(1)</script>"], "值": ["1"]}),
                     '<img src=x onerror="alert(1)">', "<b>", "<i>")
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_bulletin_refuses_markup_in_its_text_parameter(planted, tmp_path):
    """issue_date is printed into the HTML: markup is refused before any kernel starts."""
    from talentstats.errors import ParameterError
    from talentstats.publication.render import render_bulletin

    for bad in ("<script>alert(1)</script>", '2016"); import os; ("', "a\\nb", "&lt;"):
        with pytest.raises(ParameterError, match="issue_date"):
            render_bulletin(YEAR, planted["processed"], tmp_path, issue_date=bad, pdf=False, profile=load_profile())
    assert not list(tmp_path.rglob("*.ipynb"))
