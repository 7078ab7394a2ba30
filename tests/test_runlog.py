"""Run logs: a statistician can tell afterwards exactly what produced the data and a report."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from test_pipeline import _ROSTER, _values

from talentstats.pipeline import ingest_year, recompute_indicators
from talentstats.store import catalog, runlog
from talentstats.workbooks.template import write_template


def _events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def _one_log(folder: Path, command: str) -> Path:
    logs = sorted(folder.glob(f"*-{command}-*.jsonl"))
    assert len(logs) == 1, logs
    return logs[0]


@pytest.fixture
def ingested(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    key = tmp_path / "secret" / "key"
    monkeypatch.setenv("TALENTSTATS_KEY_FILE", str(key))
    monkeypatch.setenv("TALENTSTATS_API_TOKEN", "do-not-log-me")
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values(),
                   roster=_ROSTER)
    bad = _values()
    bad["TR1"][(100, 1)] = 1009  # a broken sum: TR1 of 茶山 rejected
    write_template(raw / "茶山镇2013年人才统计报表.xlsx", 2013, "441900103", values=bad)
    (raw / "说明.txt").write_text("not a workbook", encoding="utf-8")
    logs = tmp_path / "reports" / "logs"
    result = ingest_year(raw, 2013, tmp_path / "processed", reports_dir=tmp_path / "reports",
                         processes=1, feedback=False, log_dir=logs)
    return tmp_path, raw, key, result, _events(_one_log(logs, "ingest-2013"))


def test_ingest_log_lists_inputs_with_their_sha256(ingested):
    _, raw, _, _, events = ingested
    assert [e["event"] for e in events][:2] == ["start", "key"]
    inputs = next(e for e in events if e["event"] == "inputs")["files"]
    expected = {p.name: (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
                for p in raw.iterdir()}
    assert {f["file"]: (f["bytes"], f["sha256"]) for f in inputs} == expected


def test_ingest_log_counts_equal_the_datasets(ingested):
    tmp_path, _, _, result, events = ingested
    processed = tmp_path / "processed"
    stages = {e["stage"]: e for e in events if e["event"] == "stage"}
    assert list(stages) == ["read", "assemble", "validate", "merge", "indicators", "write"]
    assert stages["read"]["files"] == 3 and stages["read"]["unreadable"] == 1
    subs = catalog.read_dataset(processed, "submissions")
    assert stages["validate"]["status"] == subs["status"].value_counts().to_dict()
    findings = catalog.read_dataset(processed, "findings")
    assert stages["validate"]["severity"] == findings["severity"].value_counts().to_dict()
    assert stages["validate"]["rules"] == findings["rule"].value_counts().to_dict()
    for name, counts in stages["write"]["datasets"].items():
        assert counts["rows"] == len(catalog.read_dataset(processed, name)), name
    assert all(e["seconds"] >= 0 for e in stages.values())
    end = events[-1]
    assert end["event"] == "end" and end["status"] == result.exit_status == 1
    assert end["manifest"] == catalog.manifest_digest(processed)


def test_ingest_log_says_what_configuration_ran(ingested):
    tmp_path, raw, key, _, events = ingested
    start = events[0]
    assert start["command"] == "ingest"
    assert start["parameters"]["raw_dir"] == str(raw.absolute())
    assert start["parameters"]["year"] == 2013
    versions = start["versions"]
    assert versions["talentstats"] and versions["pandas"] == pd.__version__
    assert versions["python-calamine"] and versions["pyarrow"]
    assert "rules.yaml" in start["config"]["declarations"]
    assert start["environment"]["TALENTSTATS_KEY_FILE"] == str(key)
    assert start["environment"]["TALENTSTATS_API_TOKEN"] == "<hidden>"
    key_event = events[1]
    assert key_event["file"] == str(key.absolute())
    assert key_event["fingerprint"] == runlog.key_fingerprint(key.read_bytes())


def test_ingest_log_holds_no_personal_data_nor_the_key(ingested):
    tmp_path, _, key, _, _ = ingested
    text = _one_log(tmp_path / "reports" / "logs", "ingest-2013").read_text("utf-8")
    for person in _ROSTER:
        assert person["name"] not in text and person["id_number"] not in text
    secret = key.read_bytes()
    assert secret.hex() not in text and "do-not-log-me" not in text


def test_a_failed_run_logs_its_error(tmp_path, monkeypatch):
    from talentstats import pipeline

    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("TALENTSTATS_KEY_FILE", str(tmp_path / "key"))
    write_template(raw / "石龙镇2013年人才统计报表.xlsx", 2013, "441900102", values=_values())

    def broken(datasets):
        raise RuntimeError("indicator bug")

    monkeypatch.setattr(pipeline, "refresh_indicators", broken)
    with pytest.raises(RuntimeError):
        ingest_year(raw, 2013, tmp_path / "processed", processes=1, feedback=False,
                    log_dir=tmp_path / "logs")
    events = _events(_one_log(tmp_path / "logs", "ingest"))
    assert events[-2] == {**events[-2], "event": "stage", "stage": "indicators", "failed": True}
    assert events[-1]["status"] == "error" and events[-1]["error"] == "RuntimeError"
    assert not catalog.has_dataset(tmp_path / "processed", "observations")


def test_indicators_command_logs_its_write(ingested):
    tmp_path, *_ = ingested
    processed = tmp_path / "processed"
    ind = recompute_indicators(processed, log_dir=tmp_path / "logs")
    events = _events(_one_log(tmp_path / "logs", "indicators"))
    write = next(e for e in events if e.get("stage") == "write")
    assert write["datasets"]["indicators"]["rows"] == len(ind)
    assert events[-1]["manifest"] == catalog.manifest_digest(processed)


def test_report_log_names_the_data_and_the_outputs(ingested, monkeypatch):
    """``bulletin``: which processed data (manifest hash and files) made which files."""
    from talentstats import cli
    from talentstats.publication import render

    tmp_path, *_ = ingested
    processed, reports = tmp_path / "processed", tmp_path / "reports"

    def fake_render(year, processed_dir, reports_dir, progress=None, profile=None):
        out = Path(reports_dir) / str(year) / "公报.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"{year} from {catalog.manifest_digest(processed_dir)}", encoding="utf-8")
        return {"html": out}

    monkeypatch.setattr(render, "render_bulletin", fake_render)
    written = cli._render("bulletin", 2013, processed, reports)
    events = _events(_one_log(reports / "logs", "bulletin-2013"))
    data = next(e for e in events if e["event"] == "data")
    assert data["manifest"] == catalog.manifest_digest(processed)
    assert data["files"] == catalog.read_manifest(processed)["files"]
    end = events[-1]
    assert end["status"] == 0 and end["manifest"] == data["manifest"]
    assert end["outputs"] == [{"file": str(written[0]), "bytes": written[0].stat().st_size,
                               "sha256": hashlib.sha256(written[0].read_bytes()).hexdigest()}]
