"""Shared fixtures. ``sample_run`` builds the sample collection and ingests every year once per
test session; xdist workers share it through a lock file, so it is built once per run."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

SAMPLE_YEARS = range(2012, 2017)
# A frozen copy of Dongguan's profile: a policy change in talentstats/data/city.yaml breaks no
# test that is not about Dongguan's packaged profile itself.
TEST_PROFILE = Path(__file__).parent / "fixtures" / "profile-test"
FEEDBACK_YEAR = 2013  # the year whose feedback workbooks are written (it has planted errors)


@dataclass(frozen=True)
class SampleRun:
    sample: Path  # data/raw/sample-like folder: <year>/..., catalogue.csv, truth.csv
    processed: Path
    reports: Path
    exit_status: dict[int, int]

    def catalogue(self) -> pd.DataFrame:
        return pd.read_csv(self.sample / "catalogue.csv", dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")

    def truth(self) -> pd.DataFrame:
        return pd.read_csv(self.sample / "truth.csv", dtype={"unit_code": str},
                           encoding="utf-8-sig")


def _build(root: Path) -> dict[int, int]:
    from talentstats.pipeline import ingest_year
    from talentstats.reading.assignments import ASSIGNMENTS_FILE, read_assignments
    from talentstats.workbooks.sample import generate_sample

    generate_sample(root / "sample")
    assigned = read_assignments(root / "sample" / ASSIGNMENTS_FILE)  # as `talentstats build` does
    status = {}
    for year in SAMPLE_YEARS:
        folder = (root / "sample" / str(year)).resolve()
        result = ingest_year(root / "sample" / str(year), year, root / "processed",
                             reports_dir=root / "reports", key_path=root / "key" / "pseudonym.key",
                             feedback=year == FEEDBACK_YEAR,
                             assignments={p: u for p, u in assigned.items() if p.is_relative_to(folder)})
        status[year] = result.exit_status
    (root / "status").write_text(json.dumps(status), encoding="utf-8")
    return status


@pytest.fixture(scope="session")
def profile():
    """The frozen test profile, loaded once: what the core's functions are handed."""
    from talentstats.profile.config import load_profile

    return load_profile(TEST_PROFILE)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> SampleRun:
    # Under xdist each worker's base temp is <run>/popen-gwN: their parent is this run's own
    # folder, shared by the workers. Without xdist the base temp is the run's folder itself.
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "sample-run"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "status"
        if done.exists():
            status = {int(k): v for k, v in json.loads(done.read_text("utf-8")).items()}
        else:
            old = os.environ.get("TALENTSTATS_KEY_FILE")
            os.environ["TALENTSTATS_KEY_FILE"] = str(shared / "key" / "pseudonym.key")
            try:
                status = _build(shared)
            finally:
                if old is None:
                    os.environ.pop("TALENTSTATS_KEY_FILE", None)
                else:
                    os.environ["TALENTSTATS_KEY_FILE"] = old
    return SampleRun(shared / "sample", shared / "processed", shared / "reports", status)
