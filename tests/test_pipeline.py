"""The ingest batch end to end: a filled template round-trips, and bad files don't stop it."""

from __future__ import annotations

from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_PROFILE
from hostile import GOOD_TR1, GOOD_TR2, GOOD_TR3
from test_catalog import processed_files

from talentstats.errors import ParameterError
from talentstats.pipeline import check_file, ingest_year
from talentstats.profile.config import load_profile
from talentstats.reading.executor import ExecutorError
from talentstats.store import catalog
from talentstats.workbooks.template import write_template

PROFILE = load_profile(TEST_PROFILE)

# A consistent small town, worked out by hand (kept in hostile.py, which builds the same
# workbook for the hostile corpus): every sum rule of rules.yaml holds.
# TR1 row 100 = 110+120+130+140+150+160 = 40+250+420+260+20+10 = 1000 in every column;
# columns: 1 = 3+..+7 = 8+..+11 on every row.
_TR1_ROWS, _TR2, _TR3 = GOOD_TR1, GOOD_TR2, GOOD_TR3
# ID numbers with GB 11643 check digits worked out: weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2
# over the first 17 digits, sum mod 11 -> "10X98765432": ...001 -> 5 -> '7'; ...002 -> 9 -> '3'.
# The 17th digit is odd for a man (1) and even for a woman (2).
_ROSTER = [
    {"seq": 1, "name": "陈国平", "sex": "男", "id_number": "441900197503120017",
     "birth": "1975-03", "education": "博士研究生", "title": "正高级工程师",
     "category": "专业技术人才", "employer": "东莞某电子有限公司", "industry": "C",
     "recognised_year": 2012, "note": ""},
    {"seq": 2, "name": "李秀英", "sex": "女", "id_number": "441900198208150023",
     "birth": "1982-08", "education": "硕士研究生", "title": "高级经济师",
     "category": "企业经营管理人才", "employer": "东莞某实业集团", "industry": "F",
     "recognised_year": 2013, "note": ""},
]


def _values() -> dict:
    tr1 = {(item, col): v for item, row in _TR1_ROWS.items() for col, v in enumerate(row, 1)}
    tr2 = {(item, col): v for item, row in _TR2.items() for col, v in enumerate(row, 1)}
    tr3 = {(item, 1): v for item, v in _TR3.items()}
    return {"TR1": tr1, "TR2": tr2, "TR3": tr3}


def test_fixture_is_consistent():
    rows = _TR1_ROWS
    for col in range(11):
        assert rows[100][col] == sum(rows[i][col] for i in (110, 120, 130, 140, 150, 160))
    for item, r in rows.items():
        assert r[0] == sum(r[2:7]) == sum(r[7:11]), item


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("TALENTSTATS_KEY_FILE", str(tmp_path / "secret" / "key"))
    return raw, tmp_path / "processed", tmp_path / "reports"


def test_filled_template_round_trips_exactly(dirs):
    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102",
                   values=_values(), roster=_ROSTER)
    result = ingest_year(raw, 2013, processed, reports_dir=reports, processes=1)

    assert result.exit_status == 0, result.findings[["rule", "message"]].to_string()
    subs = result.submissions.set_index("form")["status"].to_dict()
    assert subs == {"TR1": "accepted", "TR2": "accepted", "TR3": "accepted", "TR4": "accepted"}
    obs = catalog.read_dataset(processed, "observations")
    got = {(f, i, c): v for f, i, c, v in zip(obs["form"], obs["item"], obs["column"], obs["value"],
                                              strict=True)}
    want = {(f, i, c): float(v) for f, vals in _values().items() for (i, c), v in vals.items()}
    assert got == want
    assert set(obs["unit_code"]) == {"441900102"} and set(obs["year"]) == {2013}
    assert obs["source"].str.match(r"^石龙镇2013年人才统计报表\.xlsx!表\d![A-Z]+\d+$").all()

    roster = catalog.read_dataset(processed, "roster")
    assert len(roster) == 2
    assert sorted(roster["birth_year"].tolist()) == [1975, 1982]
    text = pd.concat([catalog.read_dataset(processed, n).astype("string") for n in catalog.DATASETS])
    flat = " ".join(text.fillna("").to_numpy().ravel().tolist())
    for personal in ("陈国平", "李秀英", "441900197503120017", "441900198208150023"):
        assert personal not in flat

    ind = catalog.read_dataset(processed, "indicators")
    i01 = ind[(ind["indicator"] == "I01") & (ind["unit_code"] == "441900102")]["value"].item()
    assert i01 == 1000.0
    assert (reports / "2013" / "feedback" / "石龙镇.xlsx").exists()


def test_bad_files_are_reported_and_the_batch_goes_on(dirs):
    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    (raw / "茶山镇2013.xlsx").write_bytes(b"PK\x03\x04 truncated")
    (raw / "说明.txt").write_text("不是报表", encoding="utf-8")
    result = ingest_year(raw, 2013, processed, reports_dir=reports, processes=1)

    assert result.exit_status == 1
    bad = result.submissions[result.submissions["status"] == "unreadable"]
    assert set(bad["source_file"]) == {"说明.txt", "茶山镇2013.xlsx"}
    x01 = result.findings[result.findings["rule"] == "X01"]
    assert set(x01["source_file"]) == {"说明.txt", "茶山镇2013.xlsx"}
    assert x01.set_index("source_file").loc["茶山镇2013.xlsx", "unit_code"] == "441900103"
    assert (result.submissions["status"] == "accepted").sum() == 4


def test_second_run_gives_identical_datasets(dirs):
    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    ingest_year(raw, 2013, processed, reports_dir=reports, processes=1, feedback=False)
    first = processed_files(processed)
    ingest_year(raw, 2013, processed, reports_dir=reports, processes=1, feedback=False)
    assert processed_files(processed) == first


def test_check_file_reports_a_broken_sum_without_writing(dirs, tmp_path):
    raw, processed, _ = dirs
    vals = _values()
    vals["TR1"][(100, 1)] = 1009  # row 100 no longer the sum of the six categories (1000)
    path = write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=vals,
                          roster=_ROSTER)
    findings = check_file(path, None, processed)
    n01 = findings[findings["rule"] == "N01"]
    assert len(n01) == 1
    assert "1,009" in n01["message"].item() and "1,000" in n01["message"].item()
    assert not processed.exists()


FOREIGN = Path(__file__).parent / "fixtures" / "foreign-workbooks"


def test_foreign_workbooks_each_get_one_clear_finding(dirs, tmp_path):
    raw, processed, reports = dirs
    for f in FOREIGN.glob("*.xls*"):
        (raw / f.name).write_bytes(f.read_bytes())
    result = ingest_year(raw, 2013, processed, reports_dir=reports, processes=2)

    assert result.exit_status == 1
    names = sorted(p.name for p in FOREIGN.glob("*.xls*"))
    subs = result.submissions
    assert sorted(subs["source_file"]) == names
    assert set(subs["status"]) == {"unreadable"}
    per_file = result.findings.groupby("source_file")["rule"].apply(list).to_dict()
    # one X02 per file; the year-level H00 (no 2012 in the processed folder) names no file
    assert per_file == {"": ["H00"], **{n: ["X02"] for n in names}}
    x02 = result.findings[result.findings["rule"] == "X02"]
    for msg, f in zip(x02["message"], x02["source_file"], strict=True):
        assert f in msg and "没有识别出任何报表" in msg


def test_check_file_on_a_foreign_workbook_says_no_form_was_found():
    findings = check_file(FOREIGN / "TCheck_check.xls")
    assert findings["rule"].tolist() == ["X02"]
    assert "TCheck_check.xls" in findings["message"].item()


def test_an_empty_folder_changes_nothing(dirs):
    from talentstats.errors import ParameterError

    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    ingest_year(raw, 2013, processed, reports_dir=reports, processes=1, feedback=False)
    before = processed_files(processed)
    empty = raw.parent / "empty"
    empty.mkdir()
    with pytest.raises(ParameterError, match="没有任何文件"):
        ingest_year(empty, 2013, processed, reports_dir=reports, processes=1)
    assert processed_files(processed) == before


def _retitle(path: Path, unit_text: str) -> Path:
    """Replace every 填报单位 line of a written template with ``unit_text``."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("填报单位"):
                    cell.value = f"填报单位：{unit_text}"
    wb.save(path)
    return path


def test_attribution_findings_x03_x05_x06(dirs):
    raw, processed, reports = dirs
    # X03: neither the 填报单位 line nor the file name names a unit
    _retitle(write_template(raw / "2013年报表.xlsx", 2013, "441900102", values=_values(),
                            roster=_ROSTER), "")
    # X05: a 2014 workbook in the 2013 collection
    write_template(raw / "茶山镇2014年人才统计报表.xlsx", 2014, "441900103", values=_values(),
                   roster=_ROSTER)
    # X06: a town sends the city's own form (TR5)
    _retitle(write_template(raw / "石排镇2013年东人统5表.xlsx", 2013, "441900",
                            values={"TR5": {(500, 1): 1000.0, (510, 1): 400.0}}), "石排镇")
    result = ingest_year(raw, 2013, processed, reports_dir=reports, processes=1, feedback=False)

    f = result.findings
    by_rule = {r: sorted(set(f.loc[f["rule"] == r, "source_file"])) for r in ("X03", "X05", "X06")}
    assert by_rule == {"X03": ["2013年报表.xlsx"], "X05": ["茶山镇2014年人才统计报表.xlsx"],
                       "X06": ["石排镇2013年东人统5表.xlsx"]}
    x05 = f[f["rule"] == "X05"]
    assert set(x05["unit_code"]) == {"441900103"} and len(x05) == 4  # one per form
    assert "2014年" in x05["message"].iloc[0] and "2013年" in x05["message"].iloc[0]
    s = result.submissions.set_index("source_file")["status"]
    assert set(s["2013年报表.xlsx"]) == {"unreadable"}
    assert set(s["茶山镇2014年人才统计报表.xlsx"]) == {"rejected"}
    assert s["石排镇2013年东人统5表.xlsx"] == "rejected"
    assert catalog.read_dataset(processed, "observations").empty
    assert result.exit_status == 1


class _InlineExecutor(Executor):
    """Runs each task (``ingest.process_files``) in this process at submit, except a task that
    holds a file named in ``fail``: its future fails as a whole with the given exception (what
    a Dask worker's death or a broken pool gives). ``tasks`` records the files of each task."""

    def __init__(self, fail: dict[str, BaseException], max_workers: int = 1):
        self.fail = fail
        self.max_workers = max_workers
        self.tasks: list[list[str]] = []

    @property
    def submitted(self) -> int:
        return len(self.tasks)

    def submit(self, fn, /, *args, **kwargs):
        names = [Path(path).name for path, _ in args[0]]
        self.tasks.append(names)
        future: Future = Future()
        exc = next((self.fail[n] for n in names if n in self.fail), None)
        if isinstance(exc, CancelledError):
            future.cancel()
        elif exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_a_failed_task_costs_its_file_only(dirs):
    from distributed import KilledWorker

    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    write_template(raw / "茶山镇2013年人才统计报表.xlsx", 2013, "441900103", values=_values(),
                   roster=_ROSTER)
    (raw / "石排镇2013年人才统计报表.xlsx").write_bytes(b"x")
    executor = _InlineExecutor({
        "茶山镇2013年人才统计报表.xlsx": KilledWorker("process_file-1", "tcp://w:1", 3),
        "石排镇2013年人才统计报表.xlsx": RuntimeError("boom"),
    })
    result = ingest_year(raw, 2013, processed, reports_dir=reports, feedback=False,
                         executor=executor)

    assert executor.submitted == 3
    s = result.submissions.groupby("source_file")["status"].agg(lambda v: sorted(set(v)))
    assert s.to_dict() == {"石龙镇2013年人才统计报表.xlsx": ["accepted"],
                           "石排镇2013年人才统计报表.xlsx": ["unreadable"],
                           "茶山镇2013年人才统计报表.xlsx": ["unreadable"]}
    x01 = result.findings[result.findings["rule"] == "X01"].set_index("source_file")["message"]
    assert "工作进程多次异常退出（KilledWorker）" in x01["茶山镇2013年人才统计报表.xlsx"]
    assert "解析时出错（RuntimeError: boom）" in x01["石排镇2013年人才统计报表.xlsx"]


def test_a_failed_task_of_several_files_is_run_again_file_by_file(dirs, monkeypatch):
    # 8 files, one worker: tasks of two files (four tasks per worker while the batch allows).
    # The task holding the file whose worker dies fails as a whole; its two files run again one
    # per task, and only the culprit is lost.
    from distributed import KilledWorker

    from talentstats import pipeline

    monkeypatch.setattr(pipeline, "FILES_PER_TASK", 4)
    raw, processed, reports = dirs
    names = [f"f{i}.txt" for i in range(8)]
    for name in names:
        (raw / name).write_text("不是报表", encoding="utf-8")
    executor = _InlineExecutor({"f5.txt": KilledWorker("process_files-1", "tcp://w:1", 3)})
    outcomes = pipeline._read_all([(raw / n, n) for n in names], b"k" * 32, executor, None)

    assert executor.tasks == [["f0.txt", "f1.txt"], ["f2.txt", "f3.txt"], ["f4.txt", "f5.txt"],
                              ["f6.txt", "f7.txt"], ["f4.txt"], ["f5.txt"]]
    assert [o.source_file for o in outcomes] == names
    x01 = {o.source_file: o.findings[0].message for o in outcomes}
    assert "KilledWorker" in x01["f5.txt"]
    assert all("KilledWorker" not in m for n, m in x01.items() if n != "f5.txt")


@pytest.mark.parametrize(
    ("exc", "error", "words"),
    [
        (CancelledError(), ExecutorError, "工作进程丢失"),
        (BrokenExecutor("gone"), ExecutorError, "工作进程丢失"),
        (FileNotFoundError(2, "No such file"), ParameterError, "共享文件夹"),
    ],
    ids=["cancelled", "broken", "not-found"],
)
def test_losing_the_workers_stops_the_batch_and_writes_nothing(dirs, exc, error, words):
    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    (raw / "茶山镇2013.xlsx").write_bytes(b"x")
    with pytest.raises(error, match=words):
        ingest_year(raw, 2013, processed, reports_dir=reports,
                    executor=_InlineExecutor({"茶山镇2013.xlsx": exc}))
    written = [p for p in processed.rglob("*") if not p.name.startswith(".")]  # the lock is
    assert written == [] and not reports.exists()


def test_the_window_bounds_the_files_in_flight(dirs, monkeypatch):
    """With any executor, at most IN_FLIGHT_PER_WORKER x workers files are submitted and not
    yet collected; outcomes keep the order of the files."""
    from talentstats import pipeline

    raw, _, _ = dirs
    files = []
    for i in range(6):  # even: the fake executor below finishes its tasks two at a time
        (raw / f"f{i}.txt").write_text("不是报表", encoding="utf-8")
        files.append((raw / f"f{i}.txt", f"f{i}.txt"))
    peak = 0

    class Deferred(Executor):
        max_workers = 1

        def __init__(self):
            self.waiting: list[tuple[Future, tuple]] = []

        def submit(self, fn, /, *args):
            nonlocal peak
            future: Future = Future()
            self.waiting.append((future, args))
            peak = max(peak, len(self.waiting))
            if len(self.waiting) == 2:  # finish two at a time, the last submitted first
                for f, a in reversed(self.waiting):
                    f.set_result(fn(*a))
                self.waiting.clear()
            return future

    monkeypatch.setattr(pipeline, "IN_FLIGHT_PER_WORKER", 2)
    outcomes = pipeline._read_all(files, b"k" * 32, Deferred(), None)
    assert peak == 2
    assert [o.source_file for o in outcomes] == [f"f{i}.txt" for i in range(6)]


def test_a_feedback_workbook_that_cannot_be_written_leaves_no_stale_one(dirs, caplog):
    # A feedback job that outruns its time limit: the unit's workbook of an earlier run (with
    # outdated findings) must go, and the collection summary is still written.
    from talentstats.pipeline import write_reports
    from talentstats.reading.executor import IsolatedExecutor

    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    result = ingest_year(raw, 2013, processed, reports_dir=reports, processes=1)
    stale = reports / "2013" / "feedback" / "石龙镇.xlsx"
    assert stale.is_file()  # the first run wrote it
    half = stale.with_name(".茶山镇.xlsx.tmp")  # a copy half-written when a run was killed
    half.write_bytes(b"roster rows")

    with IsolatedExecutor(1, timeout=0.001) as pool:
        written, summary = write_reports(raw, reports, 2013, result.submissions,
                                         result.findings, executor=pool)
    assert written == []
    assert not stale.exists()
    assert not half.exists()  # it held personal data, and no later run would replace it
    assert summary.is_file()
    assert "石龙镇" in caplog.text


def test_a_summary_that_cannot_be_written_leaves_no_stale_one(dirs, caplog, monkeypatch):
    # The datasets and feedback workbooks are written by then: a summary that fails (openpyxl
    # refusing a character, a full disk) is logged and the run ends as usual.
    from talentstats.pipeline import write_reports
    from talentstats.publication import feedback

    raw, processed, reports = dirs
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    result = ingest_year(raw, 2013, processed, reports_dir=reports, processes=1)
    assert result.summary.is_file()  # the first run wrote it

    def refuse(*args, **kwargs):
        raise ValueError("\x0b cannot be used in worksheets")

    monkeypatch.setattr(feedback, "write_collection_summary", refuse)
    written, summary = write_reports(raw, reports, 2013, result.submissions, result.findings,
                                     processes=1)
    assert [p.name for p in written] == ["石龙镇.xlsx"] and summary is None
    assert not result.summary.exists()
    assert "collection summary not written" in caplog.text


def test_packed_outcomes_assemble_as_the_plain_ones(dirs):
    # A worker packs a form's numbers and its roster (PackedValues, PackedRows); assemble must
    # give the same frames from packed, plain and mixed outcomes, after a pickle round trip.
    import os
    import pickle

    from talentstats.model import PackedRows, PackedValues
    from talentstats.reading import ingest

    raw, _, _ = dirs
    path = raw / "石龙镇2013年人才统计报表.xlsx"
    write_template(path, 2013, "441900102", values=_values(), roster=_ROSTER)
    packed = pickle.loads(pickle.dumps(ingest.process_file(str(path), path.name, os.urandom(32))))
    kinds = {type(fr.values) for fr in packed.forms} | {type(fr.roster) for fr in packed.forms}
    assert PackedValues in kinds and PackedRows in kinds

    plain = pickle.loads(pickle.dumps(packed))
    for fr in plain.forms:
        fr.values = list(fr.values)
        fr.roster = list(fr.roster) if fr.roster is not None else None
    a, b = ingest.assemble([packed], 2013, PROFILE), ingest.assemble([plain], 2013, PROFILE)
    for name in ("candidates", "roster", "submissions", "findings"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))

    # the worked-out figures come through: TR1 row 100 column 1, and the two persons
    tr1 = a.candidates[(a.candidates["form"] == "TR1") & (a.candidates["item"] == 100)]
    assert tr1.loc[tr1["column"] == 1, "value"].item() == 1000.0
    assert sorted(a.roster["birth_year"]) == [1975, 1982]
    assert a.roster["source"].str.startswith(f"{path.name}!").all()
    assert len(a.candidates) == len(_values()["TR1"]) + len(_values()["TR2"]) + len(_values()["TR3"])
