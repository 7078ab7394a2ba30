"""Benchmark: python-calamine alone vs ``readers.read_workbook`` on generated small workbooks.

Each workbook holds four sheets shaped like our forms (title, header block, ~20 item rows x
13 columns, a footer), written with XlsxWriter, so formulas carry no real cached values only
where asked (none here). Prints files/s of each and the ratio, then the same through
an ``IsolatedExecutor`` of 2 worker processes.

    .venv/bin/python bench/bench_read.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

from talentstats.reading.executor import IsolatedExecutor
from talentstats.reading.readers import read_workbook


def make_workbooks(folder: Path, n: int) -> list[Path]:
    """Write ``n`` workbooks of four form-like sheets; returns their paths."""
    import xlsxwriter

    paths = []
    for i in range(n):
        path = folder / f"unit{i:04d}.xlsx"
        wb = xlsxwriter.Workbook(str(path))
        for s, title in enumerate(
            ["人才资源情况", "人才专项资金情况", "党管人才工作机制落实情况", "高层次人才名册"]
        ):
            ws = wb.add_worksheet(f"表{s + 1}")
            ws.merge_range(0, 0, 0, 12, title)
            ws.write_row(
                1, 0, ["表号：", f"东人统{s + 1}表", "填报单位：", "石龙镇", "2016年", "单位：人"]
            )
            ws.write_row(
                3, 0, ["指标名称", "代码", "合计", "女性"] + [f"列{c}" for c in range(3, 12)]
            )
            for r in range(20):
                ws.write(4 + r, 0, f"项目{r}")
                ws.write(4 + r, 1, str(100 + 10 * r))
                ws.write_row(4 + r, 2, [float((i + r * c) % 97) for c in range(11)])
            ws.write_row(
                26, 0, ["单位负责人：", "张三", "填表人：", "李四", "报出日期：", "2017-01-20"]
            )
        wb.close()
        paths.append(path)
    return paths


def calamine_only(paths: list[Path]) -> int:
    cells = 0
    for p in paths:
        with CalamineWorkbook.from_path(str(p)) as wb:
            for name in wb.sheet_names:
                sheet = wb.get_sheet_by_name(name)
                cells += sum(len(r) for r in sheet.to_python(skip_empty_area=False))
                _ = sheet.merged_cell_ranges  # read like read_workbook does
    return cells


def with_readers(paths: list[Path]) -> int:
    return sum(len(r) for p in paths for s in read_workbook(p, p.name).sheets for r in s.cells)


def timed(label: str, fn, paths: list[Path]) -> float:
    start = time.perf_counter()
    cells = fn(paths)
    rate = len(paths) / (time.perf_counter() - start)
    print(f"{label:<28} {rate:10.0f} files/s   ({cells:,} cells)")
    return rate


def isolated(paths: list[Path]) -> int:
    with IsolatedExecutor(2) as pool:
        grids = pool.map(read_workbook, [str(p) for p in paths], [p.name for p in paths])
        return sum(len(r) for g in grids for s in g.sheets for r in s.cells)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_workbooks(Path(tmp), n)
        print(
            f"{n} workbooks, 4 sheets each, {sum(p.stat().st_size for p in paths) / n / 1024:.1f} KB average"
        )
        base = timed("python-calamine alone", calamine_only, paths)
        ours = timed("readers.read_workbook", with_readers, paths)
        iso = timed("IsolatedExecutor (2 processes)", isolated, paths)
        print(
            f"ratio read_workbook / calamine: {base / ours:.2f}x slower; isolated: {base / iso:.2f}x slower"
        )


if __name__ == "__main__":
    main()
