"""Tests of talentstats.reading.executor: the crash-isolated local pool. Files built in tmp_path.

The Dask path is tested end to end in test_pipeline_dask.py.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import CancelledError
from pathlib import Path

import hostile
import openpyxl
import pytest

from talentstats.reading.executor import IsolatedExecutor, WorkerFailure
from talentstats.reading.readers import UnreadableFile, read_workbook

FOREIGN = Path(__file__).parent / "fixtures" / "foreign-workbooks"  # copied from shared/spec


def _jobs(folder: Path, names: list[str]) -> list[tuple[str, str, str]]:
    jobs = []
    for n in names:
        (folder / n).write_text(f"内容{n}", encoding="utf-8")
        jobs.append((str(folder / n), f"raw/{n}", "t"))
    return jobs


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_submit_gives_results_and_shutdown_stops_every_child(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, [f"f{i}" for i in range(300)])
    with IsolatedExecutor(2) as pool:
        futures = [pool.submit(hostile.echo_worker, *job) for job in jobs]
        assert [f.result() for f in futures] == [(f"raw/f{i}", "t", f"内容f{i}") for i in range(300)]
        assert list(pool.map(pow, [2, 3], [5, 2])) == [32, 9]
        pids = {pool.submit(os.getpid).result() for _ in range(20)}
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids  # reused children, not this process
    assert not any(_alive(pid) for pid in pids)
    with pytest.raises(RuntimeError, match="shutdown"):
        pool.submit(os.getpid)
    IsolatedExecutor(1).shutdown()  # never used: nothing to stop


def test_prestart_starts_and_warms_every_child_before_any_task(tmp_path: Path) -> None:
    with IsolatedExecutor(2, warmup=(hostile.warm_child, (str(tmp_path),))) as pool:
        pool.prestart()
        deadline = time.monotonic() + 30
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        warm_pids = {int(p.name) for p in tmp_path.iterdir()}
        assert len(warm_pids) == 2  # both children, and no task was submitted
        answers = {pool.submit(hostile.warmed).result() for _ in range(20)}
    assert {pid for pid, _ in answers} <= warm_pids
    assert {left for _, left in answers} == {str(tmp_path)}  # each task ran after its warm-up


def test_a_failing_warm_up_is_ignored(tmp_path: Path) -> None:
    with IsolatedExecutor(1, warmup=(hostile.warm_child, (str(tmp_path), True))) as pool:
        pool.prestart()
        assert pool.submit(hostile.warmed).result()[1] is None
        assert list(pool.map(pow, [2], [5])) == [32]


def test_a_crash_or_a_hang_costs_that_task_only(tmp_path: Path) -> None:
    names = ["a1", "abort", "a2", "sleep", "a3", "raise", "kill", "a4", "once", "a5"]
    jobs = _jobs(tmp_path, names)
    start = time.monotonic()
    with IsolatedExecutor(2, timeout=3, memory_mb=1024) as pool:
        futures = dict(zip(names, (pool.submit(hostile.echo_worker, *job) for job in jobs),
                           strict=True))
        for n in ("a1", "a2", "a3", "a4", "a5"):
            assert futures[n].result() == (f"raw/{n}", "t", f"内容{n}")
        # a child that dies is replaced and its task retried once: "once" dies on the first try
        assert futures["once"].result() == ("raw/once", "t", "内容once")
        for n, words in (("abort", "SIGABRT"), ("kill", "SIGKILL"), ("sleep", "超时")):
            exc = futures[n].exception()
            assert isinstance(exc, WorkerFailure) and words in exc.reason, (n, exc)
            assert str(exc) == exc.reason
        exc = futures["raise"].exception()  # the task's own exception comes back as it was
        assert isinstance(exc, ValueError) and str(exc) == "boom"
        assert any("echo_worker" in note for note in exc.__notes__)  # with the child's traceback
    assert time.monotonic() - start < 20


def test_memory_limit_and_real_calamine_abort(tmp_path: Path) -> None:
    ok = hostile.raw_xlsx(
        tmp_path / "ok.xlsx", {"表1": hostile.sheet_xml('<row r="1"><c r="A1"><v>5</v></c></row>')}
    )
    killer = hostile.calamine_killer(tmp_path / "killer.xlsx")
    with IsolatedExecutor(1, timeout=30) as pool:
        futures = [pool.submit(hostile.raw_calamine_worker, str(p), p.name)
                   for p in (ok, killer, ok)]
        assert futures[0].result() == 1 and futures[2].result() == 1
        exc = futures[1].exception()
        assert isinstance(exc, WorkerFailure) and "解析进程异常退出" in exc.reason

    (tmp_path / "hog").write_text("x")
    (tmp_path / "fine").write_text("y")
    with IsolatedExecutor(1, memory_mb=1024) as pool:
        hog = pool.submit(hostile.echo_worker, str(tmp_path / "hog"), "hog", "")
        fine = pool.submit(hostile.echo_worker, str(tmp_path / "fine"), "fine", "")
        assert isinstance(hog.exception(), WorkerFailure) and "内存不足" in str(hog.exception())
        assert fine.result() == ("fine", "", "y")


def test_read_workbook_in_the_pool(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"], wb.active["A3"] = 1, 2, "=SUM(A1:A2)"
    wb.save(tmp_path / "a.xlsx")
    bomb = hostile.xml_bomb(tmp_path / "lol.xlsx")
    with IsolatedExecutor(2) as pool:
        good = pool.submit(read_workbook, str(tmp_path / "a.xlsx"), "a.xlsx")
        bad = pool.submit(read_workbook, str(bomb), "lol.xlsx")
        xls = pool.submit(read_workbook, str(FOREIGN / "TCheck_check.xls"), "t.xls")
        assert good.result().sheets[0].formulas == {(2, 0): "=SUM(A1:A2)"}
        assert isinstance(bad.exception(), UnreadableFile) and "XML 炸弹" in bad.exception().reason
        assert xls.result().format == "xls"


def test_shutdown_with_cancel_stops_a_busy_child_at_once(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, ["sleep", "a1", "a2"])
    pool = IsolatedExecutor(1, timeout=60, prefetch=1)
    futures = [pool.submit(hostile.echo_worker, *job) for job in jobs]
    pid = pool.submit(os.getpid)
    time.sleep(1)  # "sleep" is running; the others wait
    start = time.monotonic()
    pool.shutdown(wait=True, cancel_futures=True)
    assert time.monotonic() - start < 10
    assert all(f.done() for f in [*futures, pid])
    with pytest.raises(CancelledError):
        futures[0].result()
    assert futures[2].cancelled()


def test_a_task_that_cannot_be_pickled_fails_at_submit() -> None:
    with IsolatedExecutor(1) as pool, pytest.raises(Exception, match="pickle|lambda"):
        pool.submit(lambda: 1)


def test_a_failed_dispatcher_fails_every_task_rather_than_hang(monkeypatch) -> None:
    from concurrent.futures import BrokenExecutor

    def broken(self, slots, pending):
        raise RuntimeError("dispatcher bug")

    monkeypatch.setattr(IsolatedExecutor, "_dispatch", broken)
    with IsolatedExecutor(1) as pool:
        future = pool.submit(os.getpid)
        assert isinstance(future.exception(timeout=10), BrokenExecutor)
        assert "dispatcher bug" in str(future.exception())
        with pytest.raises(BrokenExecutor):
            pool.submit(os.getpid)
