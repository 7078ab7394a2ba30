"""What a careless or a hostile town's files must not do to a run (issue 15): a file name that
is not UTF-8, cell text that looks like Rich markup or holds escape sequences, a file that
cannot be read, and folders that would turn a run against itself.

Names that are not UTF-8 are made with bytes paths (``os.fsencode``), as a Windows zip unpacked
on Linux leaves them: GBK bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import hostile

from talentstats.pipeline import check_file, ingest_year
from talentstats.profile.text import decode_name, safe_text
from talentstats.store import catalog, runlog

SHILONG_GBK = "石龙镇2013年报表.xlsx".encode("gbk")  # b'\xca\xaf\xc1\xfa...'
BAD_BYTES = b"\xff\xfe2013.xlsx"  # not UTF-8, not GBK either
MARKUP = "[/x] [green]绿[/green] [link=http://evil]点我[/link]"
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"


def _rename(path: Path, name: bytes) -> Path:
    target = os.path.join(os.fsencode(path.parent), name)
    os.rename(os.fsencode(path), target)
    return Path(os.fsdecode(target))


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "talentstats", *args], capture_output=True,
                          timeout=300, env={**os.environ, "COLUMNS": "1000", **(env or {})})


def _text(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr).decode("utf-8", "replace")


# --------------------------------------------------------------------------- names


def test_decode_name():
    assert decode_name(os.fsdecode(SHILONG_GBK)) == "石龙镇2013年报表.xlsx"
    assert decode_name(os.fsdecode(BAD_BYTES)) == "\ufffd\ufffd2013.xlsx"
    assert decode_name("东莞.xlsx") == "东莞.xlsx"


def test_run_log_takes_a_name_that_is_not_utf8(tmp_path):
    log = runlog.RunLog(tmp_path / "run.jsonl")
    log.event("inputs", files=[{"file": os.fsdecode(SHILONG_GBK)}, os.fsdecode(BAD_BYTES)])
    log.close()
    record = json.loads((tmp_path / "run.jsonl").read_text("utf-8"))
    assert record["files"] == [{"file": "石龙镇2013年报表.xlsx"}, "\ufffd\ufffd2013.xlsx"]


def test_a_name_that_is_not_utf8_is_read_and_the_batch_goes_on(tmp_path):
    raw = tmp_path / "raw"
    _rename(hostile.good_workbook(raw / "a.xlsx", "441900102"), SHILONG_GBK)
    _rename(hostile.good_workbook(raw / "b.xlsx", "441900103", k=1), BAD_BYTES)
    hostile.good_workbook(raw / "东城街道2013.xlsx", "441900003", k=2)
    result = ingest_year(raw, 2013, tmp_path / "p", reports_dir=tmp_path / "r",
                         key_path=tmp_path / "key", processes=1,
                         log_dir=tmp_path / "r" / "logs")
    subs = result.submissions
    assert result.exit_status == 0
    assert set(subs["source_file"]) == {"\ufffd\ufffd2013.xlsx", "东城街道2013.xlsx",
                                        "石龙镇2013年报表.xlsx"}
    assert (subs["status"] == "accepted").sum() == 12
    stored = catalog.read_dataset(tmp_path / "p", "submissions")
    assert "石龙镇2013年报表.xlsx" in set(stored["source_file"])
    (log,) = (tmp_path / "r" / "logs").glob("*.jsonl")
    events = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert events[-1]["event"] == "end" and events[-1]["status"] == 0
    inputs = next(e for e in events if e["event"] == "inputs")
    assert {f["file"] for f in inputs["files"]} == set(subs["source_file"])
    # the feedback workbooks copy the files under their real (byte) names
    feedback = sorted(p.name for p in (tmp_path / "r" / "2013" / "feedback").glob("*.xlsx"))
    assert feedback == ["东城街道.xlsx", "石龙镇.xlsx", "茶山镇.xlsx"]


def test_check_a_file_whose_name_is_not_utf8(tmp_path):
    path = _rename(hostile.good_workbook(tmp_path / "a.xlsx", "441900102"), SHILONG_GBK)
    findings = check_file(path, processed=tmp_path / "none")
    assert findings["rule"].tolist() == ["H00"]  # last year's figures not there: a warning
    result = run_cli("check", os.fsdecode(os.fsencode(path)))
    assert result.returncode == 0, _text(result)
    assert "石龙镇2013年报表.xlsx 审核结果" in _text(result)


# --------------------------------------------------------------------------- printing


def test_submitted_text_is_printed_as_text(tmp_path):
    """A 序号 holding markup and escape sequences (an invalid ID makes P01 quote it), and a
    file name holding an escape sequence: printed literally by ingest, check and query."""
    raw = tmp_path / "raw"
    book = hostile.good_workbook(
        raw / "石龙镇2013.xlsx", "441900102", engine="xlsxwriter",  # writes \x1b as _x001B_
        roster=hostile.good_roster(0, seq=MARKUP + ESCAPES, id_number="441900197503120112"))
    (raw / f"{ESCAPES}茶山镇[red].xlsx").write_bytes(b"PK\x03\x04 truncated")
    env = {"TALENTSTATS_KEY_FILE": str(tmp_path / "key")}
    runs = [
        run_cli("ingest", str(raw), "-y", "2013", "--out", str(tmp_path / "p"),
                "--reports", str(tmp_path / "r"), env=env),
        run_cli("check", str(book)),
        run_cli("query", "SELECT message FROM findings ORDER BY rule",
                "--processed", str(tmp_path / "p")),
    ]
    assert [r.returncode for r in runs] == [1, 1, 0], [_text(r) for r in runs]
    for result in runs:
        text = _text(result)
        assert "Traceback" not in text and "MarkupError" not in text, text
        assert "\x1b" not in text and "\x07" not in text, text
        # each printed as typed (a wide terminal: no table folds it)
        flat = "".join(text.split())
        assert "".join(f"(序号{MARKUP}]0;pwned[2J)".split()) in flat, text
    assert "茶山镇[red].xlsx”无法读取" in "".join(_text(runs[0]).split())


def test_safe_text_strips_controls_and_escapes_markup():
    assert safe_text(f"{MARKUP}{ESCAPES}\r\u202e") == (
        "\\[/x] \\[green]绿\\[/green] \\[link=http://evil]点我\\[/link]]0;pwned[2J")


# --------------------------------------------------------------------------- unreadable


def test_an_unreadable_file_is_x01_and_the_batch_goes_on(tmp_path):
    """A link to a file whose every read fails (EIO), as a failing disk or a mount gives."""
    raw = tmp_path / "raw"
    hostile.good_workbook(raw / "石龙镇2013.xlsx", "441900102")
    os.symlink("/proc/self/mem", raw / "茶山镇2013.xlsx")
    result = ingest_year(raw, 2013, tmp_path / "p", reports_dir=tmp_path / "r",
                         key_path=tmp_path / "key", processes=1)
    subs = result.submissions.set_index(["source_file", "form"])["status"]
    assert subs.loc["茶山镇2013.xlsx", ""] == "unreadable"
    assert (subs.loc["石龙镇2013.xlsx"] == "accepted").all()
    x01 = result.findings[result.findings["rule"] == "X01"]
    assert x01["message"].tolist() == [
        "文件“茶山镇2013.xlsx”无法读取：文件无法打开或读取（Input/output error）。"
        "请用 Excel 或 WPS 打开确认后另存为 .xlsx 重新报送。"]
    assert result.exit_status == 1


def test_discovered_names_are_unique_printable_text(tmp_path):
    from talentstats.pipeline import discover

    hostile.good_workbook(tmp_path / "东城街道2013年报表.xlsx", "441900003")
    _rename(hostile.good_workbook(tmp_path / "a.xlsx", "441900003"),
            "东城街道2013年报表.xlsx".encode("gbk"))
    (tmp_path / "\x1b[2J坏\r.xlsx").write_bytes(b"x")
    assert [name for _, name in discover(tmp_path)] == [
        "[2J坏.xlsx", "东城街道2013年报表.xlsx", "东城街道2013年报表.xlsx (2)"]


def test_a_folder_named_in_gbk_on_the_command_line(tmp_path):
    """The folder of a Windows zip unpacked on Linux, passed to `ingest`: the lock note and
    the run log record the command line, which then is not UTF-8."""
    raw = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), "2013年报表".encode("gbk"))))
    hostile.good_workbook(raw / "石龙镇2013.xlsx", "441900102")
    result = run_cli("ingest", str(raw), "-y", "2013", "--out", str(tmp_path / "p"),
                     "--reports", str(tmp_path / "r"),
                     env={"TALENTSTATS_KEY_FILE": str(tmp_path / "key")})
    assert result.returncode == 0, _text(result)
    assert "Traceback" not in _text(result)
    (log,) = (tmp_path / "r" / "logs").glob("*.jsonl")
    start = json.loads(log.read_text("utf-8").splitlines()[0])
    assert start["argv"][2].endswith("/2013年报表")


def test_an_output_folder_whose_name_is_not_utf8_is_refused(tmp_path):
    """Parquet cannot be written under such a name: refused before anything is touched."""
    raw = tmp_path / "raw"
    hostile.good_workbook(raw / "石龙镇2013.xlsx", "441900102")
    out = os.fsdecode(os.path.join(os.fsencode(tmp_path), "处理后".encode("gbk")))
    result = run_cli("ingest", str(raw), "-y", "2013", "--out", out,
                     "--reports", str(tmp_path / "r"),
                     env={"TALENTSTATS_KEY_FILE": str(tmp_path / "key")})
    assert result.returncode == 2, _text(result)
    assert "Traceback" not in _text(result) and "the path's name is not UTF-8" in _text(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]
