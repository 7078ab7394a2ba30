"""Hostile workbooks through the real ingest (``hostile.hostile_corpus``, generated at test time).

Every hostile file ends as an ``unreadable`` submission with one Chinese finding (X01) that names
the file and says why, and the good files in the same folder, odd names and formats included,
are accepted. Then each file is run alone through the isolated worker, measuring its time and
the child's peak memory: the figures are printed (``pytest -s``) so they can be quoted.
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import hostile
import openpyxl
import pytest

from talentstats.pipeline import ingest_year
from talentstats.publication import feedback
from talentstats.reading import ingest
from talentstats.store import catalog

# Bounds a hostile file must stay within, alone in a worker (the sandbox's own limits are 60 s
# and 1,536 MB: these are what the pre-flight achieves before any parser runs).
MAX_SECONDS = 5.0
MAX_PEAK_MB = 400


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[hostile.Case]]:
    folder = tmp_path_factory.mktemp("hostile") / "raw"
    return folder, hostile.hostile_corpus(folder)


def test_hostile_files_are_unreadable_and_good_files_accepted(corpus, tmp_path):
    folder, cases = corpus
    start = time.monotonic()
    result = ingest_year(folder, 2013, tmp_path / "processed", reports_dir=tmp_path / "reports",
                         key_path=tmp_path / "key", processes=2)
    elapsed = time.monotonic() - start
    subs, findings = result.submissions, result.findings
    assert sorted(set(subs["source_file"])) == sorted(c.name for c in cases)
    for case in cases:
        mine = subs[subs["source_file"] == case.name]
        x01 = findings[(findings["source_file"] == case.name) & (findings["rule"] == "X01")]
        if case.status == "accepted":
            assert mine["status"].tolist() == ["accepted"] * 4, (case.name, mine)
            assert x01.empty
            continue
        assert mine["status"].tolist() == ["unreadable"], case.name
        assert len(x01) == 1, (case.name, findings[findings["source_file"] == case.name])
        message = x01["message"].item()
        assert f"文件“{case.name}”无法读取" in message, message
        assert case.fragment in message, (case.name, message)
        # the pre-flight said why: not a dead worker, a timeout or an unhandled exception
        for generic in ("解析进程异常退出", "解析超时", "内存不足", "解析时出错"):
            assert generic not in message, (case.name, message)
    assert result.exit_status == 1

    # the good units' numbers are in, whatever the file was called or how it was packaged
    obs = catalog.read_dataset(tmp_path / "processed", "observations")
    accepted = [c for c in cases if c.status == "accepted"]
    assert obs.groupby("unit_code")["source"].nunique().size == len(accepted)
    assert (obs.loc[(obs["form"] == "TR1") & (obs["item"] == 100) & (obs["column"] == 1), "value"]
            == 1000.0).all()

    # feedback: one workbook per good unit, none carrying the macro, beside the marker file
    fb = tmp_path / "reports" / "2013" / "feedback"
    assert (fb / feedback.PERSONAL_DATA_NOTE).read_text("utf-8").startswith("本文件夹")
    books = sorted(p for p in fb.iterdir() if p.suffix == ".xlsx")
    assert len(books) >= len(accepted)
    for book in books:
        with zipfile.ZipFile(book) as z:
            assert not [n for n in z.namelist() if "vba" in n.lower()], book.name
            assert b"macroEnabled" not in z.read("[Content_Types].xml")
    # both units are clean: a receipt, listing the file as received, copies nothing
    for unit, suffix in (("寮步镇", ".xlsm"), ("常平镇", ".xls")):  # an .xlsx named .xls
        receipt = openpyxl.load_workbook(fb / f"{unit}.xlsx")
        assert receipt.sheetnames == [feedback.FEEDBACK_SHEET]
        listed = [[c.value for c in row] for row in receipt[feedback.FEEDBACK_SHEET].iter_rows()]
        assert any(str(r[2]).endswith(suffix) and r[3] == "已接收" for r in listed), unit
    print(f"\nhostile corpus: {len(cases)} files ({len(cases) - len(accepted)} hostile, "
          f"{len(accepted)} good with odd names or formats) ingested in {elapsed:.1f} s")


def test_each_hostile_file_alone_in_bounded_time_and_memory(corpus):
    """Each file alone in a fresh worker: the time it takes and the child's peak RSS."""
    from talentstats.reading.executor import IsolatedExecutor

    folder, cases = corpus
    key = os.urandom(32)
    rows = []
    for case in cases:
        with IsolatedExecutor(1, timeout=60) as pool:
            start = time.perf_counter()
            outcome, peak_kib, work = pool.submit(
                hostile.measured_process_file, str(folder / case.name), case.name, key).result()
            wall = time.perf_counter() - start
        assert isinstance(outcome, ingest.FileOutcome), (case.name, outcome)
        assert outcome.readable == (case.status == "accepted"), case.name
        rows.append((case, work, wall, peak_kib / 1024))
    good = [r for r in rows if r[0].status == "accepted"]
    bad = [r for r in rows if r[0].status != "accepted"]
    width = max(len(c.what) for c, *_ in rows)
    print(f"\n{'file':<{width}}  {'status':<10} {'work s':>7} {'wall s':>7} {'peak MB':>8}")
    for case, work, wall, peak in rows:
        print(f"{case.what:<{width}}  {case.status:<10} {work:7.3f} {wall:7.3f} {peak:8.0f}")
    worst_time = max(bad, key=lambda r: r[1])
    worst_mem = max(bad, key=lambda r: r[3])
    print(f"hostile files: {len(bad)}; worst time {worst_time[1]:.3f} s ({worst_time[0].what}); "
          f"worst peak RSS {worst_mem[3]:.0f} MB ({worst_mem[0].what}); a good workbook: "
          f"{max(r[1] for r in good):.3f} s, {max(r[3] for r in good):.0f} MB")
    assert worst_time[1] < MAX_SECONDS
    assert worst_mem[3] < MAX_PEAK_MB


def test_feedback_lists_a_file_it_cannot_copy(tmp_path, monkeypatch):
    """A file the sandbox read but openpyxl refuses, and a file too big to copy within the
    limits of the worker that writes the feedback workbook, are listed on the 审核结果 sheet
    instead of being copied; the rest of the workbook is written."""
    import pandas as pd

    refused = hostile.dtd_in_odd_part(tmp_path / "石龙镇2013.xlsx")  # defusedxml refuses it
    ok = hostile.good_workbook(tmp_path / "石龙镇补充.xlsx")
    found = pd.DataFrame([dict(year=2013, unit_code="441900102", form="TR1", rule="N01",
                               kind="表内", severity="error", message="合计不符", cells="表1!C8",
                               source_file="石龙镇2013.xlsx")])

    def results(out: Path) -> tuple[list[str], str]:
        wb = openpyxl.load_workbook(out)
        sheet = wb[feedback.FEEDBACK_SHEET]
        assert sheet["C6"].value == "N01"  # the findings are listed all the same
        return wb.sheetnames, sheet["A4"].value or ""

    names, note = results(feedback.write_feedback(
        {refused: found, ok: found.iloc[0:0]}, None, tmp_path / "a.xlsx", unit_name="石龙镇",
        year=2013))
    assert "文件“石龙镇2013.xlsx”无法复制到反馈表（ValueError）" in note
    assert names[0] == feedback.FEEDBACK_SHEET and "表1" in names  # the other file is copied

    monkeypatch.setattr(feedback, "MAX_COPY_XML_BYTES", 1000)
    names, note = results(feedback.write_feedback(
        {ok: found.iloc[0:0]}, found, tmp_path / "b.xlsx", unit_name="石龙镇", year=2013))
    assert names == [feedback.FEEDBACK_SHEET]
    assert "文件“石龙镇补充.xlsx”工作表数据较多" in note and "未附原表" in note


def test_a_batch_of_every_hostile_file_beside_good_ones_through_the_cli(tmp_path):
    """Issue 15's "done when": the corpus, plus names that are not UTF-8, markup and escape
    sequences in cells and names, and a file that cannot be read, through `talentstats ingest`:
    exit 1 (files were refused), no traceback and no control character on the terminal, and
    every good file accepted."""
    import subprocess
    import sys

    raw = tmp_path / "raw"
    cases = hostile.hostile_corpus(raw)
    good = [c.name for c in cases if c.status == "accepted"]
    markup = "[/x] [green]绿[/green] \x1b]0;pwned\x07\x1b[2J"

    def renamed(path: Path, name: bytes) -> str:
        os.rename(os.fsencode(path), os.path.join(os.fsencode(raw), name))
        return os.fsdecode(name)

    hostile.good_workbook(raw / "a.xlsx", "441900003", k=20)
    hostile.good_workbook(raw / "b.xlsx", "441900004", k=21)
    renamed(raw / "a.xlsx", "东城街道2013年报表.xlsx".encode("gbk"))
    renamed(raw / "b.xlsx", b"\xff\xfe2013.xlsx")
    hostile.good_workbook(raw / "万江街道2013.xlsx", "441900005", k=22, engine="xlsxwriter",
                          roster=hostile.good_roster(22, note=markup))
    hostile.good_workbook(raw / "莞城街道2013.xlsx", "441900006", k=23, engine="xlsxwriter",
                          roster=hostile.good_roster(23, seq=markup,
                                                     id_number="441900197503120112"))
    (raw / "\x1b[2J[red]篡改.xlsx").write_bytes(b"PK\x03\x04 truncated")
    os.symlink("/proc/self/mem", raw / "读不出.xlsx")
    good += ["东城街道2013年报表.xlsx", "\ufffd\ufffd2013.xlsx", "万江街道2013.xlsx"]

    result = subprocess.run(
        [sys.executable, "-m", "talentstats", "ingest", str(raw), "-y", "2013",
         "--out", str(tmp_path / "processed"), "--reports", str(tmp_path / "reports")],
        capture_output=True, timeout=600,
        env={**os.environ, "COLUMNS": "1000", "TALENTSTATS_KEY_FILE": str(tmp_path / "key")})
    text = (result.stdout + result.stderr).decode("utf-8")
    assert result.returncode == 1, text
    assert "Traceback" not in text and "Error:" not in text, text
    assert not [c for c in text if c < " " and c not in "\n"], text
    assert "[/x][green]绿[/green]]0;pwned[2J" in "".join(text.split())
    subs = catalog.read_dataset(tmp_path / "processed", "submissions")
    for name in good:
        assert subs.loc[subs["source_file"] == name, "status"].tolist() == ["accepted"] * 4, name
    unreadable = set(subs.loc[subs["status"] == "unreadable", "source_file"])
    assert {"[2J[red]篡改.xlsx", "读不出.xlsx"} <= unreadable  # stored without the ESC
