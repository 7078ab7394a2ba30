"""Large synthetic collections for the benchmarks: a made-up registry and one workbook per unit.

A national collection has tens of thousands of units; the sample has 35. This module makes a
deployment profile (docs/deployment.md) for a made-up city with ``n`` units, and one workbook
for each, by taking the sample's .xlsx workbooks of one year in turn and writing the synthetic
unit's name where the town's name was (in the 填报单位 cell and in the file name). The
workbooks keep everything else, planted deviations included, so the mix of clean and faulty
files is the sample's. Patching the zip members is about a hundred times faster than building
workbooks with openpyxl, which is what makes 10,000 workbooks cheap to generate.
"""

from __future__ import annotations

import csv
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
    from talentstats.units import reporting_units

    names = sorted((u.name for u in reporting_units()), key=len, reverse=True)
    found = []
    for path in sorted(sample_year.glob("*.xlsx")):
        name = next((n for n in names if path.name.startswith(n)), None)
        if name is None or not zipfile.is_zipfile(path):
            continue
        with zipfile.ZipFile(path) as z:
            if any(name.encode() in z.read(m) for m in z.namelist()
                   if m.startswith("xl/worksheets/")):
                found.append((path, name))
    return found


_ID18 = re.compile(rb"(?<![0-9])([0-9]{17})([0-9Xx])(?![0-9])")


def _new_region(k: int):
    """Rewrite an ID number's region (its first 6 digits) to one of unit k's own.

    Copies of one roster in many units would otherwise be the same people, reported by every
    unit: the cross-unit duplicate rule would then dominate the run, as it never does in a
    real collection. The check character is recomputed when it was right, and kept wrong when
    the sample planted a wrong one.
    """
    from talentstats.roster import _check_char

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
    old_b, new_b = old.encode(), new.encode()
    ids = _new_region(k)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED,
                                                      compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = _ID18.sub(ids, data.replace(old_b, new_b))
            zout.writestr(info, data)


def make_collection(sample_year: Path, out: Path, n: int, year: int) -> Collection:
    """A profile of ``n`` synthetic units under ``out/profile`` and their workbooks under ``out/raw``."""
    sources = _sources(sample_year)
    if not sources:
        raise ValueError(f"no town workbooks to copy under {sample_year}")
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
    files = []
    for k in range(1, n + 1):
        src, old = sources[(k - 1) % len(sources)]
        new = unit_name(k)
        dst = raw / src.name.replace(old, new, 1)
        _patch(src, old, new, k, dst)
        files.append(dst)
    return Collection(profile, raw, files)
