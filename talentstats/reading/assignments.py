"""The statistician's decisions on whose a file is: ``--assign FILE=UNIT`` and the
assignments file.

A file whose sheets name another unit than its file name is held by the ingest (X04): it counts
for nobody until someone who knows decides. The decision is input, kept beside the raw files as
a small CSV (``file,unit,note``; ``file`` relative to the CSV's folder), or given on the
command line. Either way it names a file on disk and a unit by code or by any of its names.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from talentstats.errors import ParameterError
from talentstats.profile.units import identify_unit, unit_name

__all__ = ["ASSIGNMENTS_FILE", "match_assignments", "parse_assign", "read_assignments"]

#: The assignments file that ``build`` reads beside the year folders when it exists.
ASSIGNMENTS_FILE = "assignments.csv"


def unit_of(text: str) -> str:
    """A unit code from a code or a name; ParameterError when it names no unit or several."""
    text = text.strip()
    try:
        unit_name(text)  # a unit code of the registry (the city's included)
        return text
    except KeyError:
        pass
    code = identify_unit(text)
    if code is None:
        raise ParameterError(f"无法识别单位“{text}” / “{text}” names no reporting unit")
    return code


def parse_assign(specs: Iterable[str], base: Path | None = None) -> dict[Path, str]:
    """``FILE=UNIT`` specs as {absolute file: unit code}; FILE relative to ``base`` (the
    working folder by default)."""
    out: dict[Path, str] = {}
    for spec in specs:
        file, sep, unit = spec.rpartition("=")
        if not sep or not file.strip() or not unit.strip():
            raise ParameterError(f"--assign 的格式应为 文件=单位：{spec} / --assign takes FILE=UNIT")
        out[_absolute(Path(file.strip()), base)] = unit_of(unit)
    return out


def read_assignments(path: Path) -> dict[Path, str]:
    """The assignments file (CSV with columns ``file`` and ``unit``, optionally ``note``) as
    {absolute file: unit code}; files are relative to the CSV's folder."""
    path = Path(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"无法读取归属指定文件 {path}：{exc} / cannot read {path}") from exc
    rows = list(csv.DictReader(text.splitlines()))
    if rows and not {"file", "unit"} <= set(rows[0]):
        raise ParameterError(f"{path} 应有 file 和 unit 两列 / {path} needs the columns file and unit")
    return {_absolute(Path(r["file"].strip()), path.parent): unit_of(r["unit"])
            for r in rows if (r.get("file") or "").strip()}


def match_assignments(assigned: Mapping[Path, str],
                      files: Iterable[tuple[Path, str]]) -> tuple[dict[str, str], set[Path]]:
    """({source file: unit code} for the discovered ``files`` (path, source file) that are
    assigned, the assigned paths that are none of them)."""
    matched: dict[str, str] = {}
    seen: set[Path] = set()
    for p, rel in files:
        key = _absolute(p)
        if key in assigned:
            matched[rel] = assigned[key]
            seen.add(key)
    return matched, set(assigned) - seen


def _absolute(p: Path, base: Path | None = None) -> Path:
    return Path(p if p.is_absolute() else (base or Path.cwd()) / p).resolve()
