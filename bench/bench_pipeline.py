"""The main job, end to end, by stage: what `make demo` does after installation.

Generates the sample collection (35 units, 2012-2016), then runs what `talentstats build` runs,
in this process, timing each stage:

- ingest: reading and parsing the workbooks in workers; resolving resubmissions and writing
  the datasets; the feedback workbooks;
- validation: the rules (``rules.validate``);
- indicators: refreshing the indicators of all years;
- bulletin and assessment: executing the notebook (of which the kernel start), HTML, PDF;
- codebook and annex.

Also prints the share of the two reports' time taken by starting the notebook kernel and by
printing the PDF. Targets: the main job under 60 s on this 2-core machine (issue 8), and at
most half of the 23.2 s measured before issue 16 (whose feedback workbooks took 8.2 s).

Usage: python bench/bench_pipeline.py [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import Stopwatch, machine, peak_memory, write_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes [every core]")
    args = ap.parse_args()

    import nbclient.client

    from talentstats import pipeline
    from talentstats.publication import render
    from talentstats.store.codebook import write_codebook
    from talentstats.validation import rules
    from talentstats.workbooks.sample import generate_sample

    watch = Stopwatch()
    watch.wrap(rules, "validate", "validation")
    watch.wrap(pipeline, "refresh_indicators", "indicators")
    watch.wrap(pipeline, "write_reports", "feedback workbooks")
    watch.wrap(pipeline, "_read_all", "reading")
    watch.wrap(render, "_execute", "notebook execution")
    # papermill's client calls the sync wrappers, which nbclient binds at class creation
    watch.wrap(nbclient.client.NotebookClient, "start_new_kernel", "kernel start")
    watch.wrap(nbclient.client.NotebookClient, "start_new_kernel_client", "kernel start")
    watch.wrap(render, "to_html", "HTML")
    watch.wrap(render, "to_pdf", "PDF")

    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, jobs={args.jobs}")
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        raw, processed, reports = Path(tmp) / "raw", Path(tmp) / "processed", Path(tmp) / "reports"
        start = time.perf_counter()
        generate_sample(raw)
        generated = time.perf_counter() - start
        years = sorted(int(p.name) for p in raw.iterdir() if p.is_dir())

        job_start = time.perf_counter()
        with peak_memory() as peak:
            # one pool for every year, as `talentstats build` does (cli.workers)
            with watch.stage("ingest (all stages)"), pipeline.local_pool(args.jobs) as pool:
                for year in years:
                    pipeline.ingest_year(raw / str(year), year, processed, reports_dir=reports,
                                         executor=pool, key_path=Path(tmp) / "key")
            with watch.stage("codebook"):
                write_codebook(processed)
            with watch.stage("bulletin (all steps)"):
                render.render_bulletin(years[-1], processed, reports)
            with watch.stage("assessment (all steps)"):
                render.render_assessment(years[-1], processed, reports)
        total = time.perf_counter() - job_start

    s = watch.seconds
    reports_time = s["bulletin (all steps)"] + s["assessment (all steps)"]
    stages = {
        "reading and parsing (workers)": s["reading"],
        "resolving and writing the datasets": s["ingest (all stages)"] - s["reading"]
        - s["validation"] - s["indicators"] - s["feedback workbooks"],
        "feedback workbooks and collection summaries": s["feedback workbooks"],
        "validation": s["validation"],
        "indicators": s["indicators"],
        "codebook": s["codebook"],
        "notebook execution (of which kernel start below)": s["notebook execution"],
        "kernel start": s["kernel start"],
        "HTML": s["HTML"],
        "PDF": s["PDF"],
        "annex and the rest of the reports": reports_time - s["notebook execution"] - s["HTML"]
        - s["PDF"],
    }
    print(f"sample generation (before the job): {generated:.1f} s")
    for name, sec in stages.items():
        print(f"  {name:<50} {sec:6.2f} s")
    print(f"main job: {total:.1f} s (target < 60 s; issue 16: <= 11.6 s) | peak memory "
          f"{peak.mb:.0f} MB | load average {os.getloadavg()[0]:.1f}")
    print(f"of the two reports' {reports_time:.1f} s: kernel start "
          f"{100 * s['kernel start'] / reports_time:.0f}%, PDF {100 * s['PDF'] / reports_time:.0f}%")
    write_results("pipeline", {
        "jobs": args.jobs,
        "years": years,
        "sample_generation_s": round(generated, 2),
        "main_job_s": round(total, 2),
        "peak_memory_mb": round(peak.mb),
        "stages_s": {k: round(v, 2) for k, v in stages.items()},
        "reports_s": round(reports_time, 2),
        "kernel_start_share": round(s["kernel start"] / reports_time, 3),
        "pdf_share": round(s["PDF"] / reports_time, 3),
        "load_average_after": round(os.getloadavg()[0], 2),
    })


if __name__ == "__main__":
    main()
