"""The command line on bad input: one clear line, the right exit status, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "talentstats", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize(
    "args",
    [
        ("ingest", "{tmp}/no-such-folder", "--year", "2013"),
        ("ingest", "{tmp}", "--year", "1850"),
        ("codebook", "--processed", "{tmp}/no-such-folder"),
        ("bulletin", "--year", "2013", "--processed", "{tmp}/no-such-folder"),
        ("template", "--year", "2017", "--unit", "999"),
        ("template", "--year", "2017", "--unit", "441900102", "--out", "{tmp}/a-file"),
        ("query", "SELECT * FROM read_csv('/etc/passwd')", "--processed", "{tmp}/p"),
        ("export", "--format", "sav"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_bad_input_is_a_usage_error_without_traceback(tmp_path, args):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    result = run(*(a.format(tmp=tmp_path) for a in args), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "错误" in result.stderr or "Error" in result.stderr
    assert not (tmp_path / "no-such-folder").exists()


def test_help_lists_every_command():
    out = run("--help").stdout
    for cmd in ("sample", "template", "ingest", "check", "indicators", "bulletin", "assessment",
                "query", "export", "codebook", "build"):
        assert cmd in out


def test_query_writes_csv_with_out(tmp_path):
    import pandas as pd

    from talentstats.store import catalog

    obs = pd.DataFrame({"year": [2013, 2013], "unit_code": ["441900102", "441900103"],
                        "form": ["TR1", "TR1"], "item": [100, 100], "column": [1, 1],
                        "value": [52310.0, 1.0], "source": ["a.xlsx!表1!C8", "b.xlsx!表1!C8"]})
    catalog.write_datasets(tmp_path / "p", {"observations": obs})
    result = run("query", "SELECT unit_code, value FROM observations WHERE value > 100",
                 "--processed", str(tmp_path / "p"), "--out", str(tmp_path / "r.csv"))
    assert result.returncode == 0, result.stderr
    back = pd.read_csv(tmp_path / "r.csv", dtype={"unit_code": str}, encoding="utf-8-sig")
    assert back.to_dict("list") == {"unit_code": ["441900102"], "value": [52310.0]}


@pytest.mark.parametrize("address", ["localhost", "tcp://127.0.0.1:9"],
                         ids=["malformed", "nobody-there"])
def test_ingest_with_a_bad_scheduler_is_a_usage_error(tmp_path, address):
    import os

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "石龙镇2013.xlsx").write_bytes(b"x")
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s",
           "TALENTSTATS_KEY_FILE": str(tmp_path / "key")}
    result = subprocess.run(
        [sys.executable, "-m", "talentstats", "ingest", str(raw), "--year", "2013",
         "--scheduler", address, "--out", str(tmp_path / "p"), "--reports", str(tmp_path / "r")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "无法连接 Dask 调度器" in result.stderr and address in result.stderr
    assert not (tmp_path / "r").exists() and not (tmp_path / "key").exists()


def test_jobs_and_scheduler_together_are_a_usage_error(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "石龙镇2013.xlsx").write_bytes(b"x")
    result = run("ingest", str(raw), "--year", "2013", "--jobs", "2",
                 "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "p"),
                 "--reports", str(tmp_path / "r"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "--jobs 与 --scheduler 不能同时使用" in result.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("where", ["raw", "out", "reports"])
def test_a_key_inside_a_folder_the_run_uses_is_refused(tmp_path, where):
    """A key in --out could be read back through `query`; one in RAW_DIR would be ingested."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "石龙镇2013.xlsx").write_bytes(b"x")
    key = tmp_path / where / "pseudonym.key"
    result = run("ingest", str(raw), "--year", "2013", "--out", str(tmp_path / "out"),
                 "--reports", str(tmp_path / "reports"), "--key-file", str(key))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "假名密钥" in result.stderr and "must not lie inside" in result.stderr
    assert not key.exists() and not (tmp_path / "out").exists()
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("option", ["--out", "--reports"])
def test_outputs_inside_raw_dir_are_refused(tmp_path, option):
    """The next run would take the project's own feedback workbooks, datasets and logs for
    submissions."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "石龙镇2013.xlsx").write_bytes(b"x")
    folders = {"--out": str(tmp_path / "out"), "--reports": str(tmp_path / "reports"),
               option: str(raw / "outputs")}
    result = run("ingest", str(raw), "--year", "2013", *[x for kv in folders.items() for x in kv],
                 "--key-file", str(tmp_path / "key"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{option} {raw / 'outputs'} lies inside RAW_DIR" in result.stderr.replace("\n", "")
    assert sorted(p.name for p in raw.iterdir()) == ["石龙镇2013.xlsx"]
    assert not (tmp_path / "key").exists()


def test_query_output_is_bounded_and_says_so(tmp_path):
    """A huge result is cut before it is converted, a long cell is clipped when printed, and
    both are said; neither takes long."""
    import time

    import pandas as pd

    from talentstats.store import catalog

    obs = pd.DataFrame({"year": [2013], "unit_code": ["441900102"], "form": ["TR1"],
                        "item": [100], "column": [1], "value": [1.0], "source": ["a.xlsx!表1!C8"]})
    catalog.write_datasets(tmp_path / "p", {"observations": obs})
    start = time.monotonic()
    big = run("query", "SELECT range FROM range(300000000)", "--processed", str(tmp_path / "p"))
    wide = run("query", "SELECT repeat('x ', 2000000) AS s FROM range(4)",
               "--processed", str(tmp_path / "p"))
    assert time.monotonic() - start < 60
    assert big.returncode == 0 and wide.returncode == 0, big.stderr + wide.stderr
    assert "cut at 1,000,000 rows" in big.stderr
    assert "（共 1000000 行，仅显示前 200 行；用 --out 导出全部）" in big.stdout
    assert "（超过 200 个字符的单元格已截断显示；用 --out 导出全文）" in wide.stdout
    assert "x " * 100 not in wide.stdout and len(wide.stdout) < 20_000


def test_an_output_path_that_is_not_utf8_is_a_usage_error(tmp_path):
    """pyarrow cannot write under a name that is not UTF-8: whichever command meets one says
    so (exit 2) instead of a UnicodeEncodeError traceback."""
    import os

    import pandas as pd

    from talentstats.store import catalog

    obs = pd.DataFrame({"year": [2013], "unit_code": ["441900102"], "form": ["TR1"],
                        "item": [100], "column": [1], "value": [1.0], "source": ["a.xlsx!表1!C8"]})
    catalog.write_datasets(tmp_path / "p", {"observations": obs})
    gbk = os.fsdecode(os.path.join(os.fsencode(tmp_path), "导出".encode("gbk")))
    for args in (("export", "-f", "parquet", "--to", gbk),
                 ("query", "SELECT 1 AS a", "--out", f"{gbk}/r.parquet")):
        result = run(*args, "--processed", str(tmp_path / "p"))
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "路径名不是UTF-8编码，请重命名" in "".join(result.stderr.split())


# --------------------------------------------------------------------------- export folders


@pytest.fixture
def workdir(tmp_path):
    """A researcher's working folder: the fixture's processed data in data/processed."""
    from test_api import build_processed

    build_processed(tmp_path / "data" / "processed")
    return tmp_path


def test_export_out_is_the_target_folder(workdir):
    import pandas as pd

    result = run("export", "--format", "dta", "--out", "exports", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (workdir / "exports").iterdir()) == [
        "findings.dta", "indicators.dta", "observations.dta", "roster.dta", "submissions.dta"]
    back = pd.read_stata(workdir / "exports" / "indicators.dta")
    assert list(back.columns) == ["year", "unit_code", "unit_name", "indicator", "value"]
    # 2016 I01: 东城街道 1100, 石龙镇 600, the city 1700 (tests/test_api.py)
    i01 = back.loc[(back["year"] == 2016) & (back["indicator"] == "I01")]
    assert sorted(zip(i01["unit_name"], i01["value"], strict=True)) == [
        ("东城街道", 1100.0), ("东莞市", 1700.0), ("石龙镇", 600.0)]
    # --to says the same; --processed names the source; a folder of earlier exports is fine
    for _ in range(2):
        result = run("export", "-f", "parquet", "--processed", "data/processed", "--to", "pq",
                     cwd=workdir)
        assert result.returncode == 0, result.stderr
    assert (workdir / "pq" / "data_dictionary.csv").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ("--out", "data/processed"),  # the old meaning of --out: the source
        ("--out", "data/processed", "--to", "exports"),  # the old spelling, source and target
        ("--processed", "data/processed", "--out", "data/processed/sub"),
        ("--processed", "exports", "--out", "data/processed"),  # source and target swapped
    ],
    ids=["out-is-processed", "out-and-to", "inside-processed", "swapped"],
)
def test_export_refuses_the_processed_folder_as_target(workdir, args):
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    result = run("export", "--format", "csv", *args, cwd=workdir)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "--processed" in result.stderr
    assert sorted(p.relative_to(workdir) for p in workdir.rglob("*")) == before


def test_query_to_writes_the_file_and_refuses_the_processed_folder(workdir):
    import pandas as pd

    sql = "SELECT unit_code, value FROM indicators WHERE indicator = 'I08' ORDER BY unit_code"
    for _ in range(2):  # the second run replaces the file
        result = run("query", sql, "--to", "i08.csv", cwd=workdir)
        assert result.returncode == 0, result.stderr
    back = pd.read_csv(workdir / "i08.csv", dtype={"unit_code": str}, encoding="utf-8-sig")
    assert back.to_dict("list") == {"unit_code": ["441900003", "441900102"], "value": [2.0, 4.0]}
    processed = workdir / "data" / "processed"
    before = {p: p.read_bytes() for p in processed.rglob("*") if p.is_file()}
    result = run("query", sql, "--out", "data/processed/observations.csv", cwd=workdir)
    assert result.returncode == 2, result.stderr
    assert "--processed" in result.stderr
    assert {p: p.read_bytes() for p in processed.rglob("*") if p.is_file()} == before


# --------------------------------------------------------------------------- check --json


@pytest.fixture
def workbooks(tmp_path):
    """Real workbooks from the template writer: 石龙镇 2013 consistent, the same with TR1 row 100
    column 1 raised from 1000 to 1009, and a text file."""
    from test_pipeline import _ROSTER, _values

    from talentstats.workbooks.template import write_template

    good = write_template(tmp_path / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102",
                          values=_values(), roster=_ROSTER)
    values = _values()
    values["TR1"][(100, 1)] = 1009
    bad = write_template(tmp_path / "石龙镇2013_改.xlsx", 2013, "441900102", values=values,
                         roster=_ROSTER)
    text = tmp_path / "说明.txt"
    text.write_text("不是报表", encoding="utf-8")
    return good, bad, text


# No 2012 data in the (empty) processed folder: the year-on-year rules were not run.
H00 = {"rule": "H00", "kind": "历年", "severity": "warning", "form": "",
       "message": "2012年数据不在已处理数据中，历年审核(H01、H02)未执行", "cells": ""}


def check_json(path, tmp_path):
    import json

    result = run("check", str(path), "--json", "--processed", str(tmp_path / "none"),
                 cwd=tmp_path)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def test_check_json_of_a_workbook_that_passes(workbooks, tmp_path):
    good, _, _ = workbooks
    status, report = check_json(good, tmp_path)
    assert status == 0
    assert report == {
        "file": str(good), "unit_code": "441900102", "unit_name": "石龙镇", "year": 2013,
        "verdict": "accepted",
        "forms": [{"form": f"TR{i}", "status": "accepted"} for i in (1, 2, 3, 4)],
        "findings": [H00],
    }


def test_check_json_of_a_workbook_that_would_be_rejected(workbooks, tmp_path):
    _, bad, _ = workbooks
    status, report = check_json(bad, tmp_path)
    assert status == 1
    assert (report["unit_code"], report["year"], report["verdict"]) == ("441900102", 2013,
                                                                          "rejected")
    assert report["forms"] == [{"form": "TR1", "status": "rejected"}] + [
        {"form": f"TR{i}", "status": "accepted"} for i in (2, 3, 4)]
    # 1009 against 1000 in each of the three sums of row 100 (categories, education, age);
    # C8 is row 100 column 1, rows 110-160 sit on lines 9-11, 15, 19 and 20
    assert report["findings"] == [H00] + [
        {"rule": rule, "kind": "表内", "severity": "error", "form": "TR1",
         "message": f"表1 第100行“人才资源总量”合计(列1)=1,009，{what}之和=1,000，相差9",
         "cells": cells}
        for rule, what, cells in (
            ("N01", "六支队伍", "表1!C8;表1!C9;表1!C10;表1!C11;表1!C15;表1!C19;表1!C20"),
            ("N05", "学历分组(列3-7)", "表1!C8;表1!E8;表1!F8;表1!G8;表1!H8;表1!I8"),
            ("N06", "年龄分组(列8-11)", "表1!C8;表1!J8;表1!K8;表1!L8;表1!M8"),
        )
    ]


def test_check_json_of_a_file_that_is_no_workbook(workbooks, tmp_path):
    _, _, text = workbooks
    status, report = check_json(text, tmp_path)
    assert status == 1
    assert {k: v for k, v in report.items() if k != "findings"} == {
        "file": str(text), "unit_code": None, "unit_name": None, "year": None,
        "verdict": "unreadable", "forms": []}
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("X01", "error")]
    assert "说明.txt" in report["findings"][0]["message"]


def test_print_json_survives_a_file_name_that_is_not_utf8(capfdbinary):
    import json

    from talentstats.cli import print_json

    name = b"\xca\xaf\xc1\xfa.xlsx".decode("utf-8", "surrogateescape")  # 石龙 in GBK
    print_json({"file": name, "unit_name": "石龙镇"})
    out = capfdbinary.readouterr().out
    assert json.loads(out) == {"file": name, "unit_name": "石龙镇"}  # \udcca... escapes
    print_json({"unit_name": "石龙镇"})
    assert capfdbinary.readouterr().out.decode("utf-8") == '{\n  "unit_name": "石龙镇"\n}\n'
