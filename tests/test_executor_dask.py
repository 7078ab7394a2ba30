"""The ingest on a Dask cluster (a LocalCluster of two worker processes) gives the same datasets
as the default local pool, on a few real sample workbooks."""

from __future__ import annotations

import shutil
import time

import pandas as pd
import pytest
from distributed import Client, LocalCluster, get_task_stream

from talentstats.pipeline import ingest_year
from talentstats.store import catalog

pytestmark = pytest.mark.slow

# A TR5 of the city, a clean town with a roster, an .xls, a rejected form (F01), a roster that
# disagrees with TR1 (J01), thousands separators and a corrupt file.
FILES = [
    "市人才办2013年东人统5表.xlsx",
    "南城街道2013年人才统计报表.xlsx",
    "石龙镇2013年人才统计报表.xls",
    "东坑镇2013年人才统计报表.xlsx",
    "寮步镇2013年人才统计报表.xlsx",
    "东城街道2013年人才统计报表.xlsx",
    "洪梅镇2013年人才统计报表.xlsx",
]


@pytest.fixture(scope="module")
def dask_client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def test_dask_ingest_gives_the_datasets_of_the_local_pool(sample_run, dask_client, tmp_path):
    raw = tmp_path / "raw" / "2013"
    raw.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(sample_run.sample / "2013" / name, raw / name)
    key = tmp_path / "key" / "pseudonym.key"

    local = ingest_year(raw, 2013, tmp_path / "local", key_path=key, feedback=False)
    start = time.monotonic()
    with get_task_stream(client=dask_client) as stream:
        on_dask = ingest_year(raw, 2013, tmp_path / "dask", key_path=key, feedback=False,
                              executor=dask_client.get_executor())
    print(f"ingest on the LocalCluster: {time.monotonic() - start:.1f} s")
    ran = [t for t in stream.data if str(t["key"]).startswith("process_files-")]
    assert len(ran) == len(FILES)  # every file was read on the cluster's workers (a task each:
    # 7 files are too few for tasks of several)

    assert local.exit_status == on_dask.exit_status == 1  # F01, J01 rejected; one unreadable
    status = {f: set(s) for f, s in on_dask.submissions.groupby("source_file")["status"]}
    assert status["洪梅镇2013年人才统计报表.xlsx"] == {"unreadable"}
    assert status["南城街道2013年人才统计报表.xlsx"] == {"accepted"}
    pd.testing.assert_frame_equal(local.submissions, on_dask.submissions)
    pd.testing.assert_frame_equal(local.findings, on_dask.findings)
    for name in catalog.DATASETS:
        mine = catalog.read_dataset(tmp_path / "dask", name)
        assert len(mine) or name == "roster", name
        pd.testing.assert_frame_equal(catalog.read_dataset(tmp_path / "local", name), mine,
                                      obj=name)
    assert len(catalog.read_dataset(tmp_path / "dask", "roster"))  # pseudonymised on a worker
