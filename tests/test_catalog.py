import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from talentstats.errors import DataNotFound, FolderBusy
from talentstats.store import catalog


def processed_files(folder: Path) -> dict[str, bytes]:
    """Every file of a processed folder (relative path -> bytes), without the hidden ones
    (the lock file's note names the last holder)."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in
                                       p.relative_to(folder).parts)}


def _obs(year, value, source="石龙镇2013.xlsx!表1!E9"):
    return pd.DataFrame({"year": [year], "unit_code": ["441900102"], "form": ["TR1"],
                         "item": [100], "column": [1], "value": [value], "source": [source]})


def test_write_then_read_gives_typed_frames(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 52310.0)})
    back = catalog.read_dataset(tmp_path, "observations")
    assert back.dtypes.to_dict() == {"year": "int64", "unit_code": "string", "form": "string",
                                     "item": "int64", "column": "int64", "value": "float64",
                                     "source": "string"}
    assert back["value"].tolist() == [52310.0]
    assert (tmp_path / "observations.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not list(tmp_path.glob(".staging-*")) and not (tmp_path / ".commit").exists()


def test_replace_years_keeps_other_years():
    old = pd.concat([_obs(2012, 1.0), _obs(2013, 2.0)])
    merged = catalog.replace_years(old, _obs(2013, 3.0), [2013])
    assert sorted(zip(merged["year"], merged["value"], strict=True)) == [(2012, 1.0), (2013, 3.0)]


def test_second_write_of_same_data_is_byte_identical(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.5)})
    first = processed_files(tmp_path)
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.5)})
    assert processed_files(tmp_path) == first
    assert set(first) == {"_manifest.json", "observations.csv",
                          "observations/year=2013/part-0.parquet"}


def test_csv_neutralises_formula_like_strings(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.0, source="=HYPERLINK(1)")})
    text = (tmp_path / "observations.csv").read_text("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    assert catalog.read_dataset(tmp_path, "observations")["source"].tolist() == ["=HYPERLINK(1)"]


def test_interrupted_write_leaves_previous_files(tmp_path, monkeypatch):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.0)})
    before = processed_files(tmp_path)

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "write_csv", boom)  # after the Parquet, before any rename
    with pytest.raises(KeyboardInterrupt):
        catalog.write_datasets(tmp_path, {"observations": _obs(2013, 9.0)})
    assert processed_files(tmp_path) == before
    assert not list(tmp_path.glob(".staging-*"))


def test_write_left_without_commit_leaves_previous_files(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.0)})
    before = processed_files(tmp_path)
    with pytest.raises(RuntimeError, match="indicator bug"), catalog.Write(tmp_path) as write:
        write.add("observations", _obs(2013, 9.0), years=[2013])  # staged on a thread
        raise RuntimeError("indicator bug")  # the caller's own work fails before the commit
    assert processed_files(tmp_path) == before
    assert not list(tmp_path.glob(".staging-*")) and not (tmp_path / ".commit").exists()


def test_write_stages_datasets_added_at_different_times(tmp_path):
    with catalog.Write(tmp_path) as write:
        write.add("observations", _obs(2013, 2.0), years=[2013])
        with pytest.raises(ValueError, match="already added"):
            write.add("observations", _obs(2013, 3.0))
        write.add("findings", catalog.empty("findings"))
        written = write.commit()
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "observations/year=2013/part-0.parquet", "observations.csv", "findings.csv",
        "_manifest.json"]
    assert catalog.read_dataset(tmp_path, "observations")["value"].tolist() == [2.0]
    manifest = json.loads((tmp_path / "_manifest.json").read_text("utf-8"))
    assert manifest["datasets"]["findings"] == {"csv": "findings.csv", "rows": 0, "years": []}
    assert manifest["datasets"]["observations"]["rows"] == 1


def test_missing_dataset_says_what_to_run(tmp_path):
    with pytest.raises(DataNotFound, match="talentstats ingest"):
        catalog.read_dataset(tmp_path, "indicators")
    assert catalog.read_dataset(tmp_path, "indicators", missing_ok=True).empty


# --------------------------------------------------------------------------- partitions


def _years_obs(values: dict[int, float]) -> pd.DataFrame:
    return pd.concat([_obs(y, v) for y, v in values.items()], ignore_index=True)


def _ind(values: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"year": list(values), "unit_code": ["441900"] * len(values),
                         "indicator": ["I01"] * len(values), "value": list(values.values())})


def test_layout_is_hive_partitioned_by_year(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _years_obs({2012: 1.0, 2013: 2.0})})
    assert sorted(p.relative_to(tmp_path).as_posix()
                  for p in (tmp_path / "observations").rglob("*.parquet")) == [
        "observations/year=2012/part-0.parquet", "observations/year=2013/part-0.parquet"]
    # Hive style: the partition column is the folder, not a column of the file
    schema = pq.read_schema(catalog.partition_path(tmp_path, "observations", 2012))
    assert "year" not in schema.names
    assert schema.names == [c for c in catalog.DATASETS["observations"].columns if c != "year"]
    # the CSV stays one file with every year
    csv = pd.read_csv(tmp_path / "observations.csv", encoding="utf-8-sig")
    assert csv["year"].tolist() == [2012, 2013]


def test_manifest_lists_every_file_with_its_sha256(tmp_path):
    written = catalog.write_datasets(tmp_path, {"observations": _years_obs({2012: 1.0, 2013: 2.0}),
                                                "indicators": _ind({2013: 5.0})})
    assert written[-1] == tmp_path / catalog.MANIFEST_NAME
    manifest = json.loads((tmp_path / catalog.MANIFEST_NAME).read_text("utf-8"))
    on_disk = {k: v for k, v in processed_files(tmp_path).items() if k != catalog.MANIFEST_NAME}
    assert set(manifest["files"]) == set(on_disk)
    for rel, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256(on_disk[rel]).hexdigest()
        assert entry["bytes"] == len(on_disk[rel])
    assert manifest["datasets"]["observations"] == {"csv": "observations.csv", "rows": 2,
                                                    "years": [2012, 2013]}
    assert catalog.manifest_digest(tmp_path) == hashlib.sha256(
        (tmp_path / catalog.MANIFEST_NAME).read_bytes()).hexdigest()


def test_rewriting_one_year_leaves_the_other_partitions_untouched(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _years_obs({2012: 1.0, 2013: 2.0, 2014: 3.0}),
                                      "indicators": _ind({2012: 1.0, 2013: 2.0, 2014: 3.0})})
    parts = {y: catalog.partition_path(tmp_path, "observations", y) for y in (2012, 2013, 2014)}
    ind = {y: catalog.partition_path(tmp_path, "indicators", y) for y in (2012, 2013, 2014)}
    before = {y: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for y, p in parts.items()}
    ind_inodes = {y: p.stat().st_ino for y, p in ind.items()}
    time.sleep(0.02)

    catalog.write_datasets(
        tmp_path,
        {"observations": _years_obs({2012: 1.0, 2013: 9.0, 2014: 3.0}),
         "indicators": _ind({2012: 1.0, 2013: 7.0, 2014: 3.0})},
        years={"observations": [2013]},
    )
    for y in (2012, 2014):  # same file: same bytes, same mtime, same inode
        p = parts[y]
        assert (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) == before[y]
    assert parts[2013].read_bytes() != before[2013][0]
    # indicators were given without years: every partition is rewritten
    assert all(ind[y].stat().st_ino != ind_inodes[y] for y in ind)
    back = catalog.read_dataset(tmp_path, "observations")
    assert back["value"].tolist() == [1.0, 9.0, 3.0]
    assert catalog.read_dataset(tmp_path, "observations", years=[2013])["value"].tolist() == [9.0]


def test_a_year_gone_from_the_frame_loses_its_partition(tmp_path):
    catalog.write_datasets(tmp_path, {"indicators": _ind({2012: 1.0, 2013: 2.0})})
    catalog.write_datasets(tmp_path, {"indicators": _ind({2013: 2.0})})
    assert not (tmp_path / "indicators" / "year=2012").exists()
    assert catalog.read_dataset(tmp_path, "indicators")["year"].tolist() == [2013]
    manifest = catalog.read_manifest(tmp_path)
    assert not [f for f in manifest["files"] if "year=2012" in f]
    assert manifest["datasets"]["indicators"]["years"] == [2013]


def test_a_written_year_without_rows_is_an_empty_partition(tmp_path):
    catalog.write_datasets(tmp_path, {"observations": _obs(2012, 1.0)})
    catalog.write_datasets(tmp_path, {"observations": _obs(2012, 1.0)},
                           years={"observations": [2013]})
    assert pq.read_metadata(catalog.partition_path(tmp_path, "observations", 2013)).num_rows == 0
    assert catalog.read_dataset(tmp_path, "observations")["year"].tolist() == [2012]
    # a dataset written with no rows at all still exists (empty), unlike one never written
    catalog.write_datasets(tmp_path, {"roster": catalog.empty("roster")})
    assert catalog.read_dataset(tmp_path, "roster").empty
    assert catalog.has_dataset(tmp_path, "roster") and not catalog.has_dataset(tmp_path, "findings")


def test_duckdb_reads_the_partitions_directly(tmp_path):
    import duckdb

    catalog.write_datasets(tmp_path, {"observations": _years_obs({2012: 1.0, 2013: 2.0}),
                                      "indicators": _ind({2012: 3.0, 2013: 4.0})})
    for name in ("observations", "indicators"):
        pattern = str(tmp_path / name / "*" / "*.parquet")
        con = duckdb.connect()
        types = {row[0]: row[1] for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{pattern}', hive_partitioning=true)"
        ).fetchall()}
        assert types["year"] == "BIGINT"
        df = con.execute(f"SELECT * FROM read_parquet('{pattern}', hive_partitioning=true)").df()
        pd.testing.assert_frame_equal(catalog.conform(name, df), catalog.read_dataset(tmp_path, name))


def test_arrow_dataset_reads_the_partitions_directly(tmp_path):
    import pyarrow.dataset as ds

    catalog.write_datasets(tmp_path, {"observations": _years_obs({2012: 1.0, 2013: 2.0})})
    table = ds.dataset(tmp_path / "observations", format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("year").to_pylist()) == [2012, 2013]


def test_read_types_round_trip(tmp_path):
    roster = pd.DataFrame({
        "year": [2013, 2014], "unit_code": ["441900102", "441900003"], "person": ["a1", "b2"],
        "sex": ["男", None], "birth_year": [1975, None], "education": ["博士", "硕士"],
        "title": [None, "高级"], "category": ["专业技术人才"] * 2, "category_item": [131, None],
        "employer": ["x", "y"], "industry": ["C", "F"], "recognised_year": [2012, None],
        "note": [None, None], "source": ["a!b!1", "c!d!2"],
    })
    catalog.write_datasets(tmp_path, {"roster": roster})
    back = catalog.read_dataset(tmp_path, "roster")
    assert back.dtypes.astype(str).to_dict() == dict(catalog.DATASETS["roster"].columns)
    pd.testing.assert_frame_equal(back, catalog.conform("roster", roster))


def test_a_flat_file_of_an_earlier_release_is_read_then_replaced(tmp_path):
    catalog.conform("observations", _years_obs({2012: 1.0, 2013: 2.0})).to_parquet(
        tmp_path / "observations.parquet", index=False)
    assert catalog.read_dataset(tmp_path, "observations")["value"].tolist() == [1.0, 2.0]
    merged = catalog.replace_years(catalog.read_dataset(tmp_path, "observations"),
                                   _obs(2014, 3.0), [2014])
    catalog.write_datasets(tmp_path, {"observations": merged}, years={"observations": [2014]})
    assert not (tmp_path / "observations.parquet").exists()
    assert catalog.read_dataset(tmp_path, "observations")["value"].tolist() == [1.0, 2.0, 3.0]
    assert catalog.partition_path(tmp_path, "observations", 2012).is_file()


# --------------------------------------------------------------------------- interruptions


def _kill_after(monkeypatch, n: int) -> None:
    """Make the n-th os.replace into place raise, as a kill would stop the commit there."""
    real = os.replace
    calls = {"n": 0}

    def replace(src, dst):
        calls["n"] += 1
        if calls["n"] > n:
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(catalog.os, "replace", replace)


@pytest.mark.parametrize("moved", [0, 1, 3, 5])
def test_a_write_killed_after_its_commit_point_is_rolled_forward(tmp_path, monkeypatch, moved):
    old = {"observations": _years_obs({2012: 1.0, 2013: 2.0}),
           "indicators": _ind({2012: 1.0, 2013: 2.0})}
    new = {"observations": _years_obs({2012: 1.0, 2013: 5.0}),
           "indicators": _ind({2012: 8.0, 2013: 9.0})}
    catalog.write_datasets(tmp_path, old)
    _kill_after(monkeypatch, moved)
    with pytest.raises(KeyboardInterrupt):
        catalog.write_datasets(tmp_path, new, years={"observations": [2013]})
    monkeypatch.undo()
    assert (tmp_path / ".commit").is_dir()
    # readers already see the complete new state, whatever was moved
    for name, frame in new.items():
        pd.testing.assert_frame_equal(catalog.read_dataset(tmp_path, name),
                                      catalog.conform(name, frame))
    # the next writer finishes the move; then the files in place are the new ones
    assert catalog.recover(tmp_path)["finished"]
    assert not (tmp_path / ".commit").exists()
    clean = tmp_path.parent / "clean"
    catalog.write_datasets(clean, old)
    catalog.write_datasets(clean, new, years={"observations": [2013]})
    assert processed_files(tmp_path) == processed_files(clean)


def test_a_write_killed_before_its_commit_point_leaves_the_old_state(tmp_path, monkeypatch):
    old = {"observations": _years_obs({2012: 1.0, 2013: 2.0}),
           "indicators": _ind({2012: 1.0, 2013: 2.0})}
    new = {"observations": _years_obs({2012: 1.0, 2013: 5.0}),
           "indicators": _ind({2012: 8.0, 2013: 9.0})}
    out = tmp_path / "out"
    catalog.write_datasets(out, old)
    before, digest = processed_files(out), catalog.manifest_digest(out)
    real_rename = os.rename

    def rename(src, dst):
        if Path(dst).name == catalog.PENDING_NAME:  # the commit point: killed right there
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(catalog.os, "rename", rename)
    # a SIGKILL runs no clean-up: the writer's own removal of its staging folder is skipped,
    # so the folder stays as a kill leaves it
    monkeypatch.setattr(catalog.shutil, "rmtree", lambda *a, **k: None)
    with pytest.raises(KeyboardInterrupt):
        catalog.write_datasets(out, new, years={"observations": [2013]})
    monkeypatch.undo()
    staged = list(out.glob(f"{catalog.STAGING_PREFIX}*"))
    assert len(staged) == 1 and not (out / catalog.PENDING_NAME).exists()
    assert {p.relative_to(staged[0]).as_posix() for p in staged[0].rglob("*.*")} >= {
        catalog.MANIFEST_NAME, catalog.JOURNAL_NAME, "observations/year=2013/part-0.parquet",
        "indicators/year=2012/part-0.parquet", "observations.csv", "indicators.csv",
    }  # the whole write was staged: it was stopped at the commit point, not before
    # the previous files are whole, and readers see the previous state
    assert processed_files(out) == before and catalog.manifest_digest(out) == digest
    for name, frame in old.items():
        pd.testing.assert_frame_equal(catalog.read_dataset(out, name),
                                      catalog.conform(name, frame))
    # the next write removes the staging folder and succeeds, as on a clean folder
    catalog.write_datasets(out, new, years={"observations": [2013]})
    assert not list(out.glob(f"{catalog.STAGING_PREFIX}*"))
    assert not (out / catalog.PENDING_NAME).exists()
    clean = tmp_path / "clean"
    catalog.write_datasets(clean, old)
    catalog.write_datasets(clean, new, years={"observations": [2013]})
    assert processed_files(out) == processed_files(clean)


def test_a_second_writer_is_refused_while_the_lock_is_held(tmp_path):
    from talentstats.store import lock

    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 1.0)})
    before = processed_files(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from talentstats.store import lock\n"
         f"with lock.hold({str(tmp_path)!r}):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusy, match="正被使用") as info:
            catalog.write_datasets(tmp_path, {"observations": _obs(2013, 9.0)})
        assert str(tmp_path) in str(info.value) and f"pid {holder.pid}" in str(info.value)
        assert processed_files(tmp_path) == before
    finally:
        holder.kill()  # SIGKILL: the kernel drops its flock with it
        holder.wait()
    assert not lock.holds(tmp_path)
    catalog.write_datasets(tmp_path, {"observations": _obs(2013, 9.0)})
    assert catalog.read_dataset(tmp_path, "observations")["value"].tolist() == [9.0]
