"""The processed folder's lock: one writer, shared readers, never stuck on a dead holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from talentstats.errors import FolderBusy
from talentstats.store import lock


def _holder(folder, *, shared=False, fork_child=False) -> subprocess.Popen:
    """Another process holding the lock; with ``fork_child`` it forks a sleeper first."""
    code = textwrap.dedent(f"""
        import os, sys, time
        from talentstats.store import lock
        with lock.hold({str(folder)!r}, shared={shared}):
            if {fork_child}:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
            print("held", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_nested_holds_in_one_process(tmp_path):
    with lock.hold(tmp_path) as held:
        assert held and lock.holds(tmp_path)
        with lock.hold(tmp_path), lock.hold(tmp_path, shared=True):
            assert lock.holds(tmp_path)
        assert lock.holds(tmp_path)
    assert not lock.holds(tmp_path)


def test_writers_exclude_each_other_and_readers(tmp_path):
    proc = _holder(tmp_path)
    try:
        with pytest.raises(FolderBusy, match=f"pid {proc.pid}"):
            with lock.hold(tmp_path):
                pass
        with pytest.raises(FolderBusy, match="正在写入"):
            with lock.hold(tmp_path, shared=True):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_readers_share(tmp_path):
    proc = _holder(tmp_path, shared=True)
    try:
        with lock.hold(tmp_path, shared=True) as held:
            assert held
        with pytest.raises(FolderBusy):
            with lock.hold(tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_leaves_no_lock_even_with_a_live_child(tmp_path):
    proc = _holder(tmp_path, fork_child=True)
    os.kill(proc.pid, signal.SIGKILL)  # the holder only: its forked child lives on
    proc.wait()
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                with lock.hold(tmp_path) as held:
                    assert held
                break
            except FolderBusy:
                assert time.monotonic() < deadline, "the forked child kept the lock"
                time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)


def test_a_missing_folder_is_not_created_without_create(tmp_path):
    with lock.hold(tmp_path / "missing", create=False) as held:
        assert not held
    assert not (tmp_path / "missing").exists()
    with lock.hold(tmp_path / "new") as held:
        assert held
    assert (tmp_path / "new" / lock.LOCK_NAME).is_file()
