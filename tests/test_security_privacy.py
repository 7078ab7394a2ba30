"""No name or ID number of the roster in anything the main job writes, outside the feedback folder.

The main job (``talentstats build``) runs as a user runs it, in a child process, on two years of
the sample collection; then every file it wrote is read as text (Parquet, CSV, Markdown, the
run logs, the executed notebooks, the HTML, the PDFs through ``pdftotext``, the workbooks
through calamine), plus the exports and a query result, and searched for every name and ID
number typed in the raw rosters and for anything shaped like an ID number. The feedback
workbooks are the exception by design (each returns a unit's own roster to it): they sit in
``reports/<year>/feedback/`` with a note saying they hold personal data, and the scan checks
that they do, which also shows the scanner finds what it looks for.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from talentstats.publication import feedback

YEARS = (2015, 2016)
# an ID number standing alone (not inside a sha256 or a pseudonym)
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# base64 (embedded images) holds no text worth searching and is slow to search
BLOB = re.compile(r"(?=[A-Za-z0-9+/=]{0,199}[A-Za-z])[A-Za-z0-9+/=]{200,}")


def _people(raw: Path) -> tuple[set[str], set[str]]:
    """The names and ID numbers typed in the rosters of the raw files themselves."""
    from python_calamine import CalamineWorkbook

    names: set[str] = set()
    ids: set[str] = set()
    for path in sorted(p for year in YEARS for p in (raw / str(year)).glob("*.xls*")):
        try:
            wb = CalamineWorkbook.from_path(str(path))
            sheets = [wb.get_sheet_by_name(s).to_python() for s in wb.sheet_names]
        except Exception:  # noqa: BLE001 - the planted corrupt files
            continue
        for rows in sheets:
            header = next((r for r in rows if "姓名" in [str(c).strip() for c in r]), None)
            if header is None:
                continue
            labels = [str(c).strip() for c in header]
            name_col = labels.index("姓名")
            id_col = next(i for i, x in enumerate(labels) if "身份" in x)
            for r in rows[rows.index(header) + 1:]:
                for col, found in ((name_col, names), (id_col, ids)):
                    if len(r) > col and str(r[col]).strip():
                        found.add(str(r[col]).strip())
    return names, ids


def _text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path).astype("string").fillna("").to_csv()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        return "\n".join(str(v) for s in wb.sheet_names
                         for row in wb.get_sheet_by_name(s).to_python() for v in row)
    if suffix == ".pdf":
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                             check=True).stdout.decode("utf-8")
        return unicodedata.normalize("NFKC", out)  # Noto CJK's text layer: ⼈ -> 人
    if suffix == ".dta":
        return pd.read_stata(path).astype(str).to_csv()
    return path.read_bytes().decode("utf-8", errors="replace")


def _main_job(sample_run, root: Path) -> dict[str, Path]:
    """``talentstats build`` on two years of the sample, then the exports and a query."""
    raw = root / "raw"
    raw.mkdir()
    for year in YEARS:
        (raw / str(year)).symlink_to(sample_run.sample / str(year), target_is_directory=True)
    env = {**os.environ, "TALENTSTATS_KEY_FILE": str(root / "key" / "pseudonym.key")}
    proc = subprocess.run(
        [sys.executable, "-m", "talentstats", "build", str(raw), "--processed",
         str(root / "processed"), "--reports", str(root / "reports"), "--jobs", "2"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    from talentstats.store.export import FORMATS, export
    from talentstats.store.query import run_query, write_result

    for fmt in FORMATS:
        export(root / "processed", root / "exports" / fmt, fmt)
    write_result(run_query("SELECT * FROM roster", root / "processed"), root / "exports" / "q.csv")
    return {"root": root, "raw": raw, "processed": root / "processed", "reports": root / "reports",
            "exports": root / "exports"}


@pytest.mark.slow
def test_nothing_the_main_job_writes_holds_a_name_or_an_id_number(sample_run, tmp_path):
    main_job = _main_job(sample_run, tmp_path)
    names, ids = _people(main_job["raw"])
    assert len(names) > 300 and len(ids) > 300
    name_re = re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True))))
    id_re = re.compile("|".join(map(re.escape, sorted(ids))))
    scanned: dict[str, int] = {}
    leaks = []
    for folder in ("processed", "reports", "exports"):
        for path in sorted(main_job[folder].rglob("*")):
            if not path.is_file() or "feedback" in path.relative_to(main_job[folder]).parts:
                continue
            text = BLOB.sub("", _text(path))
            flat = re.sub(r"\s+", "", text)  # a PDF may break a name across lines
            found = set(name_re.findall(text) + name_re.findall(flat) + id_re.findall(text)
                        + ID_PATTERN.findall(text))
            if found:
                leaks.append((str(path.relative_to(main_job["root"])), sorted(found)[:5]))
            scanned[path.suffix] = scanned.get(path.suffix, 0) + 1
    # everything the job writes was looked at: data, logs, notebooks, HTML, PDF, workbooks
    for suffix in (".parquet", ".csv", ".md", ".jsonl", ".ipynb", ".html", ".pdf", ".xlsx", ".dta"):
        assert scanned.get(suffix), (suffix, scanned)
    assert leaks == []
    print(f"\npersonal data scan: {sum(scanned.values())} files, {len(names)} names, "
          f"{len(ids)} ID numbers, 0 found; by type {dict(sorted(scanned.items()))}")

    # The feedback folder is the exception: marked, and holding the units' own rosters (which
    # also shows that the scan finds names where they are).
    for year in YEARS:
        folder = main_job["reports"] / str(year) / "feedback"
        note = folder / feedback.PERSONAL_DATA_NOTE
        assert "个人信息" in note.read_text("utf-8") and "不得公开" in note.read_text("utf-8")
        books = sorted(folder.glob("*.xlsx"))
        assert len(books) > 30
        # a unit with findings gets its own roster back (that is what the note is for); a
        # clean unit's receipt copies nothing, so holds none
        copies = [b for b in books if len(openpyxl.load_workbook(b, read_only=True).sheetnames) > 1]
        assert copies and all(name_re.search(_text(b)) for b in copies)
        assert not any(name_re.search(_text(b)) for b in set(books) - set(copies))


def test_an_id_number_or_own_name_typed_in_free_text_is_removed_at_ingest(tmp_path):
    """A town may type an ID number or the person's name into 备注 or 工作单位: it is removed in
    the worker, so the processed roster (Parquet and CSV) never holds it."""
    import hostile

    from talentstats.pipeline import ingest_year
    from talentstats.store import catalog

    other = hostile.good_roster(7)[1]["id_number"]
    own = hostile.good_roster(1)[0]
    roster = hostile.good_roster(1, note=f"配偶身份证{other}；本人{own['name']}",
                                 employer=f"身份证号{own['id_number']}")
    hostile.good_workbook(tmp_path / "raw" / "石龙镇2013.xlsx", "441900102", roster=roster)
    result = ingest_year(tmp_path / "raw", 2013, tmp_path / "processed", key_path=tmp_path / "k",
                         reports_dir=tmp_path / "reports", processes=1)
    assert set(result.submissions["status"]) == {"accepted"}
    out = catalog.read_dataset(tmp_path / "processed", "roster")
    assert [n.count("［已删除］") for n in out["note"].dropna()] == [2]
    for path in (tmp_path / "processed").rglob("*.*"):
        text = _text(path)
        for secret in (other, own["id_number"], own["name"]):
            assert secret not in text, (path.name, secret)
