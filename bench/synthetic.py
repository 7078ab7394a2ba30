"""Large synthetic collections for the benchmarks: a made-up registry and one workbook per unit.

A national collection has tens of thousands of units; the sample has 35. This module makes a
deployment profile (docs/deployment.md) for a made-up city with ``n`` units, and one workbook
for each, by taking the sample's .xlsx workbooks of one year in turn and writing the synthetic
unit's name where the town's name was (in the 填报单位 cell and in the file name). The
workbooks keep everything else, planted deviations included, so the mix of clean and faulty
files is the sample's. Patching the zip members is about a hundred times faster than building
workbooks with openpyxl, which is what makes 10,000 workbooks cheap to generate.

``make_resubmission_year`` makes a collection that looks like a real year instead: units that
sent their workbook again and again (2 to 10 versions, with later 报出日期 and file times),
rosters (every sample workbook has its TR4), legacy .xls files, TR1 totals as formulas
without cached values, and a few forms rejected for a broken total.
"""

from __future__ import annotations

import csv
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

CITY_CODE = "990000"
CITY_NAME = "合成市"

_CITY_YAML = f"""\
# A made-up city for the benchmarks (bench/synthetic.py).
code: "{CITY_CODE}"
name: {CITY_NAME}
issuer: {CITY_NAME}人才工作领导小组办公室
office: 市人才办
targets:
  I08: {{value: 3}}
"""


@dataclass(frozen=True)
class Collection:
    profile: Path  # the deployment profile: set TALENTSTATS_CONFIG to it
    raw: Path  # the workbooks, one per unit
    files: list[Path]


def unit_name(k: int) -> str:
    """The k-th synthetic unit: fixed width, so that no name contains another."""
    return f"合成{k:06d}镇"


def _sources(sample_year: Path) -> list[tuple[Path, str]]:
    """The sample's town workbooks (.xlsx) of one year whose sheets carry the town's name."""
    from talentstats.profile.units import reporting_units

    names = sorted((u.name for u in reporting_units()), key=len, reverse=True)
    found = []
    for path in sorted(sample_year.glob("*.xlsx")):
        name = next((n for n in names if path.name.startswith(n)), None)
        if name is None or not zipfile.is_zipfile(path):
            continue
        with zipfile.ZipFile(path) as z:
            if any(form in z.read(m) for m in z.namelist() if m.startswith("xl/worksheets/")
                   for form in _spellings(name)):
                found.append((path, name))
    return found


def _spellings(text: str) -> tuple[bytes, bytes]:
    """``text`` as a sheet's XML may hold it: UTF-8, or numeric character references (as
    openpyxl writes inline strings)."""
    return text.encode(), "".join(c if c.isascii() else f"&#{ord(c)};" for c in text).encode()


_ID18 = re.compile(rb"(?<![0-9])([0-9]{17})([0-9Xx])(?![0-9])")


def _new_region(k: int):
    """Rewrite an ID number's region (its first 6 digits) to one of unit k's own.

    Copies of one roster in many units would otherwise be the same people, reported by every
    unit: the cross-unit duplicate rule would then dominate the run, as it never does in a
    real collection. The check character is recomputed when it was right, and kept wrong when
    the sample planted a wrong one.
    """
    from talentstats.reading.ids import check_character as _check_char

    region = f"{k % 1_000_000:06d}".encode()

    def sub(m: re.Match[bytes]) -> bytes:
        first17, check = m.group(1), m.group(2).upper()
        valid = _check_char(first17.decode()).encode() == check
        new17 = region + first17[6:]
        new_check = _check_char(new17.decode()).encode()
        if not valid:
            new_check = b"0" if new_check != b"0" else b"1"
        return new17 + new_check

    return sub


def _patch(src: Path, old: str, new: str, k: int, dst: Path) -> None:
    """Copy a workbook, writing ``new`` for ``old`` in its sheets and unit k's ID numbers."""
    ids = _new_region(k)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED,
                                                      compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                for old_b, new_b in zip(_spellings(old), _spellings(new), strict=True):
                    data = data.replace(old_b, new_b)
                data = _ID18.sub(ids, data)
            zout.writestr(info, data)


def _profile(out: Path, n: int) -> tuple[Path, Path]:
    """The made-up city's profile of ``n`` units under ``out/profile``, and ``out/raw``."""
    profile, raw = out / "profile", out / "raw"
    profile.mkdir(parents=True, exist_ok=True)
    raw.mkdir(parents=True, exist_ok=True)
    (profile / "city.yaml").write_text(_CITY_YAML, encoding="utf-8")
    with open(profile / "units.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "type", "aliases"])
        for k in range(1, n + 1):
            w.writerow([f"99{k:07d}", unit_name(k), "镇", ""])
        w.writerow([CITY_CODE, CITY_NAME, "市", "市人才办|市本级"])
    return profile, raw


def make_collection(sample_year: Path, out: Path, n: int, year: int) -> Collection:
    """A profile of ``n`` synthetic units under ``out/profile`` and their workbooks under ``out/raw``."""
    sources = _sources(sample_year)
    if not sources:
        raise ValueError(f"no town workbooks to copy under {sample_year}")
    profile, raw = _profile(out, n)
    files = []
    for k in range(1, n + 1):
        src, old = sources[(k - 1) % len(sources)]
        new = unit_name(k)
        dst = raw / src.name.replace(old, new, 1)
        _patch(src, old, new, k, dst)
        files.append(dst)
    return Collection(profile, raw, files)


#: How many times unit k sent its workbook: ``VERSIONS[k % 10]`` (2.7 files a unit on average).
VERSIONS = (1, 2, 1, 3, 1, 10, 1, 2, 5, 1)
_DATE = re.compile(rb"(20\d\d(?:\xe5\xb9\xb4|&#24180;)1(?:\xe6\x9c\x88|&#26376;))(\d+)")


def _dated(path: Path, day: int, stamp: float) -> None:
    """Write 1月``day``日 as the 报出日期 of every sheet of ``path``, and ``stamp`` as its file
    time: a later version of a unit's file."""
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED,
                                                       compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = _DATE.sub(lambda m: m.group(1) + str(day).encode(), data)
            zout.writestr(info, data)
    os.replace(tmp, path)
    os.utime(path, (stamp, stamp))


def _tr1(wb):
    """TR1's sheet and the rows of its items (the code in column B, as text -> row)."""
    for ws in wb.worksheets:
        rows = {int(c.value): c.row for c in ws["B"] if str(c.value or "").isdigit()}
        if {100, 110, 160} <= set(rows):
            return ws, rows
    raise ValueError("no TR1 sheet")


def _edit(path: Path, *, uncached: bool, broken: bool) -> None:
    """With openpyxl (which writes no cached values): TR1's total row as formulas, and/or its
    total of column 1 off by 7 (N01: the form is rejected)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(path)
    ws, rows = _tr1(wb)
    if uncached:
        for c in range(3, 14):
            col = get_column_letter(c)
            ws.cell(rows[100], c).value = "=" + "+".join(f"{col}{rows[i]}" for i in
                                                         (110, 120, 130, 140, 150, 160))
    if broken:
        ws.cell(rows[100], 3).value = f"=C{rows[110]}+7" if uncached else (
            (ws.cell(rows[100], 3).value or 0) + 7)
    wb.save(path)


def _to_xls(src: Path, dst: Path) -> None:
    """The workbook as a legacy .xls (values and merged ranges, through calamine and xlwt)."""
    import xlwt
    from python_calamine import CalamineWorkbook

    book = xlwt.Workbook(encoding="utf-8")
    wb = CalamineWorkbook.from_path(str(src))
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        out = book.add_sheet(name)
        merged = sheet.merged_cell_ranges or []
        inside = {(r, c) for (r0, c0), (r1, c1) in merged for r in range(r0, r1 + 1)
                  for c in range(c0, c1 + 1) if (r, c) != (r0, c0)}
        for (r0, c0), (r1, c1) in merged:
            if (r0, c0) != (r1, c1):
                out.merge(r0, r1, c0, c1)
        for r, row in enumerate(sheet.to_python(skip_empty_area=False)):
            for c, v in enumerate(row):
                if v != "" and (r, c) not in inside:
                    out.write(r, c, v)
    book.save(str(dst))
    src.unlink()


def make_resubmission_year(sample_year: Path, out: Path, n: int, year: int) -> Collection:
    """A year as towns send it: ``n`` units of a made-up registry, unit k sending
    ``VERSIONS[k % 10]`` versions of its workbook (报出日期 1月(5+v)日, file times a day
    apart; the last wins), every 10th unit's last version as .xls, every 7th unit's TR1 total
    row as formulas without cached values, and every 25th unit's last version with a broken
    TR1 total (rejected)."""
    sources = _sources(sample_year)
    if not sources:
        raise ValueError(f"no town workbooks to copy under {sample_year}")
    profile, raw = _profile(out, n)
    files = []
    base = 1_484_000_000  # January 2017
    for k in range(1, n + 1):
        src, old = sources[(k - 1) % len(sources)]
        new = unit_name(k)
        versions = VERSIONS[k % len(VERSIONS)]
        for v in range(1, versions + 1):
            last = v == versions
            dst = raw / src.name.replace(old, new, 1).replace(".xlsx", f"_第{v}次.xlsx")
            _patch(src, old, new, k, dst)
            uncached, broken = k % 7 == 0, last and k % 25 == 0
            if uncached or broken:
                _edit(dst, uncached=uncached, broken=broken)
            _dated(dst, 5 + v, base + 86_400 * v)
            if last and k % 10 == 0:
                xls = dst.with_suffix(".xls")
                _to_xls(dst, xls)
                os.utime(xls, (base + 86_400 * v,) * 2)
                dst = xls
            files.append(dst)
    return Collection(profile, raw, files)
