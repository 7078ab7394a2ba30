"""Ingest benchmark: the command users run (feedback workbooks on), and ``--no-feedback``, each
against python-calamine alone on the same files, in the same run.

For each collection it prints and records, for both lines:
- the seconds of the ingest, and its ratio to the time python-calamine alone takes to parse the
  same files in one process (a guard: it must not grow, see the README);
- the seconds of each stage of the fastest run (read, assemble, validate, merge, indicators,
  write, and reports: the feedback workbooks and the collection summary), from its run log;
and what the feedback workbooks add to the ingest (target: 20% or less), the peak memory of
the default command (the parent and its workers together; target under 2 GB at 10,000), and,
for a synthetic collection of 500 to 5,000, the share validation adds.

Collections (``--sizes``, comma-separated):
- ``35``: one year of the sample collection (Dongguan's registry);
- ``r200``: a year as towns send it (bench/synthetic.py ``make_resubmission_year``): 200 units
  of a made-up registry, 540 workbooks, units sending 1 to 10 versions, rosters, .xls files,
  formulas without cached values, a few rejected forms;
- ``1000``, ``10000``: one workbook per unit of a made-up registry of that many units
  (``make_collection``), so no file is a resubmission of another.

Each collection runs in a fresh Python process, so that its peak memory and its deployment
profile are its own. Times are the best of ``--runs`` runs, the default and ``--no-feedback``
runs taken in turns; the peak memory comes from one more run, not timed (sampling the process tree costs CPU). The machine's load average is
recorded before and after: on a shared machine compare the lines of one run, not runs.
Figures go to bench/results/ingest.json.

Usage: python bench/bench_ingest.py [--sizes 35,r200,1000,10000] [--jobs N] [--runs 3]
       [--large-runs 1] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import machine, peak_memory, write_results

YEAR = 2016


def calamine_alone(files: list[Path]) -> float:
    """Seconds python-calamine takes to parse every sheet of every file, in one process."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    for f in files:
        try:
            wb = CalamineWorkbook.from_path(str(f))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python()
        except Exception:  # noqa: BLE001 - the corrupt sample files; the ingest reports them too
            pass
    return time.perf_counter() - start


def full_ingest(folder: Path, jobs: int, validate: bool = True, memory: bool = False,
                feedback: bool = True) -> tuple[float, float | None, dict[str, float]]:
    """Seconds of one ingest of ``folder`` into a fresh output folder (with its feedback
    workbooks, as ``talentstats ingest`` does, unless ``feedback`` is off); with ``memory`` its
    peak memory (MB); and the seconds of each stage, from the run log.

    The memory sampler walks the process tree every 20 ms (about 1.5 ms each time here), which
    takes CPU from the ingest on a two-core machine: a run that samples is not timed.
    """
    import pandas as pd

    from talentstats import pipeline
    from talentstats.validation import rules

    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    original = rules.validate
    if not validate:
        rules.validate = lambda candidates, *a, **k: pd.DataFrame(
            columns=["year", "unit_code", "form", "rule", "kind", "severity", "message", "cells",
                     "source_file"]).astype({"year": "int64"})
    try:
        with peak_memory() if memory else contextlib.nullcontext() as peak:
            start = time.perf_counter()
            pipeline.ingest_year(folder, YEAR, out / "processed", processes=jobs,
                                 feedback=feedback, reports_dir=out / "reports",
                                 key_path=out.parent / f"{out.name}.key", log_dir=out / "logs")
            seconds = time.perf_counter() - start
        stages = {e["stage"]: e["seconds"] for log in (out / "logs").glob("*.jsonl")
                  for e in map(json.loads, log.read_text("utf-8").splitlines())
                  if e["event"] == "stage"}
        return seconds, peak.mb if memory else None, stages
    finally:
        rules.validate = original
        shutil.rmtree(out, ignore_errors=True)
        out.parent.joinpath(f"{out.name}.key").unlink(missing_ok=True)


def _best_pair(runs: int, folder: Path, jobs: int) -> tuple[tuple, tuple]:
    """The fastest default run and the fastest ``--no-feedback`` run, taken in turns (on a
    shared machine the load drifts: alternating gives both lines the same drift)."""
    default, bare = [], []
    for _ in range(runs):
        default.append(full_ingest(folder, jobs))
        bare.append(full_ingest(folder, jobs, feedback=False))
    return min(default, key=lambda run: run[0]), min(bare, key=lambda run: run[0])


def one_size(spec: str, jobs: int, runs: int, work: Path) -> dict:
    """Measure one collection; runs inside its own process (see ``main``)."""
    from talentstats.workbooks.sample import generate_sample

    sample = work / "sample"
    generate_sample(sample, years=[YEAR])
    size = int(spec.lstrip("r"))
    if spec.startswith("r"):
        from synthetic import make_resubmission_year

        collection = make_resubmission_year(sample / str(YEAR), work / "synthetic", size, YEAR)
        os.environ["TALENTSTATS_CONFIG"] = str(collection.profile)
        folder, files = collection.raw, collection.files
        registry = f"synthetic year as sent, {size} units, resubmissions"
    elif size <= 36:
        folder = sample / str(YEAR)
        files = sorted(p for p in folder.rglob("*") if p.is_file())[:size]
        registry = "Dongguan (the sample collection)"
        if len(files) < len(list(folder.iterdir())):
            folder = work / "subset"
            folder.mkdir()
            for f in files:
                shutil.copy2(f, folder / f.name)
            files = sorted(folder.iterdir())
    else:
        from synthetic import make_collection

        collection = make_collection(sample / str(YEAR), work / "synthetic", size, YEAR)
        os.environ["TALENTSTATS_CONFIG"] = str(collection.profile)
        folder, files = collection.raw, collection.files
        registry = f"synthetic, {size} units"

    load_before = os.getloadavg()[0]
    base = min(calamine_alone(files) for _ in range(runs))
    (full, _, stages), (bare, _, bare_stages) = _best_pair(runs, folder, jobs)
    _, peak_mb, _ = full_ingest(folder, jobs, memory=True)
    record = {
        "collection": spec,
        "workbooks": len(files),
        "registry": registry,
        "calamine_alone_s": round(base, 3),
        "default_s": round(full, 3),
        "default_ratio": round(full / base, 2),
        "no_feedback_s": round(bare, 3),
        "no_feedback_ratio": round(bare / base, 2),
        "feedback_adds": round((full - bare) / bare, 3),
        "workbooks_per_s": round(len(files) / full, 1),
        "peak_memory_mb": round(peak_mb),
        "stages_s": stages,  # of the fastest default run: read (with the pool's start), ...
        "no_feedback_stages_s": bare_stages,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if 500 <= size <= 5000 and not spec.startswith("r"):
        no_val = min(full_ingest(folder, jobs, validate=False, feedback=False)[0]
                     for _ in range(runs))
        record["validation_share"] = round((bare - no_val) / no_val, 3)
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="35,r200,1000,10000",
                    help="collections, comma-separated: N workbooks, or rN units resubmitting")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes [every core]")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement; the best counts")
    ap.add_argument("--large-runs", type=int, default=1,
                    help="runs per measurement for 5,000 workbooks or more [1]")
    ap.add_argument("--keep", action="store_true",
                    help="keep the other collections' figures already in ingest.json")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one collection
    args = ap.parse_args()

    if args.one is not None:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            print(json.dumps(one_size(args.one, args.jobs, args.runs, Path(tmp))))
        return

    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
          f"jobs={args.jobs}", flush=True)
    results = []
    for size in args.sizes.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--one", size, "--jobs", str(args.jobs),
             "--runs", str(args.large_runs if int(size.lstrip("r")) >= 5000 else args.runs)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            sys.exit(f"size {size} failed:\n{proc.stderr[-3000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(r)
        line = (f"{r['workbooks']:>6} workbooks ({r['registry']}): calamine alone "
                f"{r['calamine_alone_s']:.2f} s\n"
                f"  default ingest {r['default_s']:.2f} s (ratio {r['default_ratio']:.2f}) | "
                f"--no-feedback {r['no_feedback_s']:.2f} s (ratio {r['no_feedback_ratio']:.2f}) | "
                f"feedback adds {100 * r['feedback_adds']:.0f}% | "
                f"peak memory {r['peak_memory_mb']} MB | load {r['load_average']}")
        line += "\n  stages: " + ", ".join(f"{k} {v:.2f}" for k, v in r["stages_s"].items())
        if "validation_share" in r:
            line += f" | validation adds {100 * r['validation_share']:.0f}%"
        print(line, flush=True)
    if args.keep:  # the collections measured in an earlier run (the large one is run alone)
        from common import RESULTS

        done = {r["collection"] for r in results}
        earlier = json.loads((RESULTS / "ingest.json").read_text("utf-8")).get("sizes", [])
        results = [r for r in earlier if r.get("collection") not in done] + results
        results.sort(key=lambda r: r["workbooks"])
    write_results("ingest", {"jobs": args.jobs, "runs": args.runs, "large_runs": args.large_runs,
                             "sizes": results})


if __name__ == "__main__":
    main()
