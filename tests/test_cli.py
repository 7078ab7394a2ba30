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

    from talentstats import catalog

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

    from talentstats import catalog

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

    from talentstats import catalog

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
