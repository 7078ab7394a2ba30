"""Interrupted and concurrent runs (issue 9).

An ingest is killed with SIGKILL (its whole process group: the CLI and its worker children) at
random points spread over a run's duration. After each kill the datasets read, through
``read_dataset`` and the SQL sandbox, are all the previous outputs or all the complete new
ones, never a mix. Each CSV is a whole file of either state, and all are of the datasets'
state unless the kill came after the commit point (``.commit`` left: the files in place are
moved in one by one until the next writer recovers); the other years' partitions are
untouched. The next run then completes, byte for byte as a clean run. A second concurrent
run is refused (exit 2) and changes nothing: no file of the processed folder, no run log, no
report.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from test_catalog import processed_files

from talentstats.store import catalog, lock
from talentstats.store.query import run_query

SEED = 20261127
KILLS = 8
YEAR = 2013
STAGES = ("read", "assemble", "validate", "merge", "indicators", "write")


def _cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "talentstats", *map(str, args)]


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its own process group, workers included


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in folder.rglob("*.parquet") if ".commit" not in p.parts}


def _tree(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under the folders, hidden ones included, with its size and mtime."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for folder in folders
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _phase(log_dir: Path, pid: int) -> str:
    """The stage a killed run was in, from its own run log (no log, or a log killed before its
    first whole line: still starting)."""
    logs = list(log_dir.glob(f"*-{pid}.jsonl"))
    lines = logs[0].read_text("utf-8").split("\n")[:-1] if logs else []  # a torn last line is cut
    events = [json.loads(line) for line in lines if line]
    if not events:
        return "start-up"
    if events[-1]["event"] == "end":
        return "finished"
    done = [e["stage"] for e in events if e["event"] == "stage"]
    return STAGES[STAGES.index(done[-1]) + 1] if done else "read"


@pytest.fixture(scope="module")
def runs(sample_run, tmp_path_factory):
    """A previous complete run (the sample, 2012-2016), and the same plus a new 2013 ingest."""
    root = tmp_path_factory.mktemp("interrupt")
    raw = root / "raw2013"
    raw.mkdir()
    # the new 2013 collection: six units' files withdrawn, so the outputs differ
    for f in sorted((sample_run.sample / str(YEAR)).iterdir())[6:]:
        shutil.copy2(f, raw / f.name)
    key = sample_run.sample.parent / "key" / "pseudonym.key"
    previous = root / "previous"
    shutil.copytree(sample_run.processed, previous, ignore=shutil.ignore_patterns(".*"))
    new = root / "new"
    shutil.copytree(previous, new)
    args = ["ingest", raw, "--year", str(YEAR), "--reports", root / "reports", "--key-file", key,
            "--no-feedback", "--jobs", "2"]
    launched = time.time()
    proc = subprocess.Popen(_cli(*args, "--out", new), cwd=root, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    stderr = proc.communicate(timeout=120)[1]
    duration = time.time() - launched
    assert proc.returncode in (0, 1), stderr
    # when, after launch, this run computed indicators and wrote (from its own run log)
    log = next((root / "reports" / "logs").glob(f"*-{proc.pid}.jsonl"))
    stages = {e["stage"]: e for e in map(json.loads, log.read_text("utf-8").splitlines())
              if e["event"] == "stage"}

    def offset(event: dict, start: bool) -> float:
        end = datetime.fromisoformat(event["time"]).timestamp() - launched
        return end - event["seconds"] if start else end

    writing = (offset(stages["indicators"], True), offset(stages["write"], False))
    return root, previous, new, args, duration, writing


def _expected(folder: Path) -> dict[str, tuple[pd.DataFrame, bytes]]:
    return {n: (catalog.read_dataset(folder, n), catalog.csv_path(folder, n).read_bytes())
            for n in catalog.DATASETS}


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_old_or_new_outputs(runs):
    root, previous, new, args, duration, writing = runs
    old_data, new_data = _expected(previous), _expected(new)
    assert any(not old_data[n][0].equals(new_data[n][0]) for n in catalog.DATASETS)
    other_years = {k: v for k, v in _mtimes(previous).items() if f"year={YEAR}" not in k
                   and not k.startswith("indicators/")}
    out = root / "killed"
    shutil.copytree(previous, out)
    log_dir = root / "reports" / "logs"

    rng = random.Random(SEED)
    # one delay in each of KILLS - 2 equal slices of a run's duration (start-up, read,
    # validate...), and two while the measured run computed indicators and wrote, a short
    # window at the end that equal slices would rarely hit
    n = KILLS - 2
    delays = [rng.uniform(duration * i / n, duration * (i + 1) / n) for i in range(n)]
    delays += [rng.uniform(*writing) for _ in range(2)]
    phases = []
    for delay in delays:
        proc = _start(_cli(*args, "--out", out), cwd=root)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            pass
        _kill_group(proc)
        phase = _phase(log_dir, proc.pid)
        phases.append(phase + (" (mid-commit)" if (out / ".commit").exists() else ""))

        # each dataset matches "old", "new" or both (when it is the same in both); one state
        # must fit them all, or old observations would sit with new indicators
        pending = (out / catalog.PENDING_NAME).exists()
        states, csv_states = {"old", "new"}, {"old", "new"}
        for name in catalog.DATASETS:
            frame = catalog.read_dataset(out, name)
            csv = catalog.csv_path(out, name).read_bytes()
            pd.read_csv(catalog.csv_path(out, name), encoding="utf-8-sig", dtype=str)
            matched = {label for label, data in (("old", old_data), ("new", new_data))
                       if frame.equals(data[name][0])}
            assert matched, f"{name}: neither the previous nor the new outputs after a kill in {phase}"
            csv_matched = {label for label, data in (("old", old_data), ("new", new_data))
                           if csv == data[name][1]}
            assert csv_matched, f"{name}.csv neither the previous nor the new one ({phase})"
            states &= matched
            csv_states &= csv_matched
        assert states, f"datasets of both states read after a kill in {phase}"
        # the CSVs in place: whole files, and of one state too unless the kill came after the
        # commit point (then they are moved in one by one until the next writer recovers)
        assert pending or states & csv_states, f"CSVs of another state ({phase})"
        n = run_query("SELECT count(*) AS n FROM observations", out)["n"].item()
        assert n == len(catalog.read_dataset(out, "observations"))
        assert {k: v for k, v in _mtimes(out).items() if k in other_years} == other_years
        if states == {"new"} and not pending:
            shutil.rmtree(out)  # start the next kill from the previous outputs again
            shutil.copytree(previous, out)

    # the next run completes, and gives exactly what a clean run gave
    done = subprocess.run(_cli(*args, "--out", out), cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert processed_files(out) == processed_files(new)
    assert not (out / ".commit").exists() and not list(out.glob(".staging-*"))
    summary = ", ".join(f"{p} {phases.count(p)}" for p in dict.fromkeys(phases))
    print(f"\nsurvived {len(phases)} SIGKILLs over a {duration:.1f} s run ({summary})")


@pytest.mark.parametrize("command", ["ingest", "indicators", "codebook", "build"])
def test_a_second_concurrent_run_is_refused_and_changes_nothing(runs, tmp_path, command):
    root, previous, _, args, *_ = runs
    out = tmp_path / "processed"
    shutil.copytree(previous, out)
    (tmp_path / "raw" / str(YEAR)).mkdir(parents=True)
    shutil.copy2(next((root / "raw2013").iterdir()), tmp_path / "raw" / str(YEAR))
    before, mtimes = processed_files(out), _mtimes(out)
    argv = {
        "ingest": [*args, "--out", out],
        "indicators": ["indicators", "--out", out, "--reports", tmp_path / "reports"],
        "codebook": ["codebook", "--processed", out],
        "build": ["build", tmp_path / "raw", "--processed", out, "--reports",
                  tmp_path / "reports"],
    }[command]
    logs = root / "reports" / "logs"  # where the ingest of ``args`` logs
    with lock.hold(out):  # another run holds the folder
        files, old_logs = _tree(tmp_path, root), sorted(logs.iterdir())  # with out/.lock's note
        result = subprocess.run(_cli(*argv), cwd=tmp_path, capture_output=True,
                                text=True, timeout=120)
        changed = _tree(tmp_path, root)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert str(out) in message.replace(" ", "")
    assert "正被使用" in message and "nothing was changed" in message
    assert processed_files(out) == before and _mtimes(out) == mtimes
    # the run did not start: no run log (the ingest's under root/reports, the others' under
    # tmp_path/reports or the working folder), no report, no codebook, the holder's lock note
    # untouched: no file created, changed or removed, here or in the module's shared folder
    assert sorted(logs.iterdir()) == old_logs
    assert not (tmp_path / "reports").exists()
    assert changed == files
