"""The ingest of one year's submissions: per-file work (in a worker) and the pure batch steps.

``process_file`` runs in a worker process: read, parse, pseudonymise. It returns a
``FileOutcome`` that holds no personal data. The batch steps (``resolve``, ``assemble``) are
pure: plain records in, DataFrames out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from talentstats.model import Finding, FormRead, PackedRows, PackedValues
from talentstats.profile.units import identify_unit
from talentstats.reading.digest import sha256_file

if TYPE_CHECKING:
    import pandas as pd

    from talentstats.profile.config import Profile
    from talentstats.profile.forms import Form

# pandas and the catalog are imported inside the batch steps, never at module level: the worker
# processes import this module for ``process_file``, and a worker that does not import pandas
# starts in a fraction of the time (the ingest benchmark's startup was mostly pandas' import).

__all__ = ["FileOutcome", "Batch", "assemble", "process_file", "process_files", "file_failure",
           "warm"]


@dataclass
class FileOutcome:
    """What one file gave: its forms (roster already pseudonymised) and file-level findings."""

    source_file: str
    sha256: str
    modified: float
    forms: list[FormRead] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unit_conflict: tuple[str, str] | None = None  # (the sheets' unit, the file name's unit)
    conflict_cells: str = ""

    @property
    def readable(self) -> bool:
        return bool(self.forms)


def file_failure(source_file: str, sha256: str, modified: float, reason: str,
                 profile: Profile) -> FileOutcome:
    """The outcome of a file that could not be read at all (X01)."""
    x01 = profile.rules["X01"].finding(
        case="file_advised" if "报送" in reason else "file", file=source_file,
        reason=reason.rstrip("。"), unit_code=identify_unit(Path(source_file).name) or "",
    )
    return FileOutcome(source_file, sha256, modified, findings=[x01])


def _worker_profile(folder: str | None) -> Profile:
    """The profile a job names (``config.selection()``: a folder, "" for the packaged one; None:
    the worker's own selection), loaded once per process and folder (``load_profile`` caches)."""
    from talentstats.profile import config  # imported here: the worker's own import cost

    if folder is not None:
        config.select(folder)  # units.identify_unit still reads the selected profile
    return config.load_profile(folder)


def process_file(path: str, source_file: str, key: bytes, profile: str | None = None) -> FileOutcome:
    """Read, parse and pseudonymise one file. Runs in a worker process.

    ``profile`` is the folder of the deployment profile the batch runs under
    (``config.selection()``): a worker, local or on a Dask cluster, does not share the parent's
    environment, so the job carries it. None leaves the worker's own selection.

    Raises nothing for bad input: a file that cannot be read gives an X01 outcome.
    """
    from talentstats.reading import parse, pseudonym, readers

    prof = _worker_profile(profile)

    p = Path(path)
    st = p.stat()
    modified = st.st_mtime
    data = None
    if st.st_size <= readers.MAX_FILE_BYTES:  # read once: digest, pre-flight and parser
        data = p.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
    else:  # refused by the pre-flight; hashed without holding it in memory
        digest = sha256_file(p)
    try:
        grid = readers.read_workbook(p, source_file, data=data)
    except readers.UnreadableFile as exc:
        return file_failure(source_file, digest, modified, str(exc), prof)
    grid.modified = modified
    result = parse.locate_forms(grid, prof)
    forms = []
    for fr in result.forms:
        fr.values = PackedValues(list(fr.values))
        if fr.roster is not None:
            fr.roster = PackedRows.pack(pseudonym.pseudonymise(
                fr.roster, key, year=fr.year, unit_code=fr.unit_code or "", profile=prof
            ))
        forms.append(fr)
    return FileOutcome(source_file, digest, modified, forms, list(result.findings),
                       result.unit_conflict, result.conflict_cells)


def warm(profile: str | None = None) -> None:
    """Load what every ``process_file`` needs: the profile, its registry's names, the forms.

    A worker calls it when it starts (``IsolatedExecutor(warmup=...)``), so that its first
    file does not pay for it, and, with ``prestart``, while the parent is still preparing.
    """
    from talentstats.profile import units

    _worker_profile(profile)
    units.identify_unit("")  # builds the index of names and aliases


def process_files(jobs: list[tuple[str, str]], key: bytes,
                  profile: str | None = None) -> list[FileOutcome | Exception]:
    """``process_file`` on each ``(path, source_file)`` of ``jobs``: one task for a few files.

    A task costs a round trip between the parent and a worker (or a Dask scheduler); carrying
    a few files in each roughly halves the parent's share of the read. Each file's error is
    its own: the list holds, per file, its outcome or the exception it raised (the caller
    decides, as for a task of one file). ``MemoryError`` is not caught: the task fails as a
    whole, and the caller runs its files one by one, so that the culprit is found.
    """
    out: list[FileOutcome | Exception] = []
    for path, source_file in jobs:
        try:
            out.append(process_file(path, source_file, key, profile))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - handed back with the file it belongs to
            out.append(exc)
    return out


@dataclass
class Batch:
    """A year's submissions after resolution, before validation."""

    submissions: pd.DataFrame  # catalog schema; status of candidates still 'candidate'
    candidates: pd.DataFrame  # observations of the winning forms, with sheet/cell/source_file
    roster: pd.DataFrame  # pseudonymised rows of the winning TR4s
    findings: pd.DataFrame  # file and parse findings


# Columns a roster frame has beyond the catalog's: the rules read them, even with no row.
_ROSTER_EXTRA = ["seq", "row", "sheet", "source_file", "id_valid", "birth_ok", "sex_ok"]


def _finding_rows(
    findings: list[Finding], *, year: int, source_file: str, unit_code: str = "", form: str = ""
) -> list[dict]:
    return [
        {
            "year": year,
            "unit_code": f.unit_code or unit_code,
            "form": f.form or form,
            "rule": f.rule,
            "kind": f.kind,
            "severity": f.severity,
            "message": f.message,
            "cells": f.cells,
            "source_file": source_file,
        }
        for f in findings
    ]


def _attribution_findings(fr: FormRead, year: int, unit_code: str | None, profile: Profile,
                          f: Form) -> list[Finding]:
    """X03/X05/X06: a form that cannot count for this year's collection of this unit
    (``f``: the form's declaration)."""
    rules = profile.rules
    out = []
    table = f"表{f.number}"
    if unit_code is None:
        out.append(rules["X03"].finding(
            sheet=fr.sheet, table=table,
            form=fr.form,
        ))
        return out
    if fr.year is not None and fr.year != year:
        out.append(rules["X05"].finding(
            sheet=fr.sheet, table=table, form_year=fr.year, year=year,
            form=fr.form, unit_code=unit_code,
        ))
    reporter = f.reporter
    if (reporter == "city") != (unit_code == profile.city.code):
        out.append(rules["X06"].finding(
            case="city_form" if reporter == "city" else "unit_form", sheet=fr.sheet, table=table,
            form=fr.form, unit_code=unit_code,
        ))
    return out


def _unit_label(code: str, names: Mapping[str, str]) -> str:
    return f"{names[code]} {code}" if code in names else code


def _attribute(oc: FileOutcome, assigned: str | None,
               profile: Profile) -> tuple[str | None, list[Finding]]:
    """Whose a file is: (the unit it is held under, or None when it counts; X04).

    A file whose sheets name another unit than its file name is held: it counts for nobody and
    supersedes nothing, on its own evidence, until the statistician assigns it to a unit
    (``assigned``: ``--assign FILE=UNIT`` or the assignments file), which then holds for every
    form of the file."""
    base = Path(oc.source_file).name
    x04 = profile.rules["X04"]
    names = {u.code: u.name for u in profile.units}
    if assigned:
        for fr in oc.forms:
            fr.unit_code = assigned
            fr.findings = [replace(x, unit_code=assigned) for x in fr.findings]
        if oc.unit_conflict is None:
            return None, []
        sheet_unit, file_unit = oc.unit_conflict
        return None, [x04.finding(
            case="assigned", sheet_unit=_unit_label(sheet_unit, names), file=base,
            file_unit=_unit_label(file_unit, names), assigned=_unit_label(assigned, names),
            unit_code=assigned, cells=oc.conflict_cells, severity=x04.params["assigned_severity"],
        )]
    if oc.unit_conflict is None:
        return None, []
    sheet_unit, file_unit = oc.unit_conflict
    return file_unit, [x04.finding(
        case="held", sheet_unit=_unit_label(sheet_unit, names), file=base,
        file_unit=_unit_label(file_unit, names),
        unit_code=file_unit, cells=oc.conflict_cells,
    )]


def _newest_key(report_date: date | None, modified: float, source_file: str) -> tuple:
    return (report_date or date.min, modified, source_file)


def assemble(outcomes: list[FileOutcome], year: int, profile: Profile,
             assignments: Mapping[str, str] | None = None) -> Batch:
    """Resolve resubmissions and gather a year's candidates.

    Per (unit, form) the newest file wins: a form with values over one without, then the latest
    报出日期, then the latest file time, then the file name. The others become ``superseded``.
    Unreadable files, files held because their sheets name another unit than their file name
    (X04; ``assignments``, source file -> unit code, settles that), and forms that cannot be
    attributed (X03), belong to another year (X05) or to another kind of unit (X06) are
    recorded and left out.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from talentstats.store import catalog

    sub_rows: list[dict] = []
    finding_rows: list[dict] = []
    contenders: dict[tuple[str, str], list[tuple[tuple, FileOutcome, FormRead]]] = {}
    declared = profile.forms

    for oc in outcomes:
        file_unit = identify_unit(Path(oc.source_file).name) or ""
        held, x04 = _attribute(oc, (assignments or {}).get(oc.source_file), profile)
        finding_rows += _finding_rows(oc.findings + x04, year=year, source_file=oc.source_file,
                                      unit_code=file_unit)
        if held is not None:
            for fr in oc.forms:
                finding_rows += _finding_rows(fr.findings, year=year, source_file=oc.source_file,
                                              unit_code=held, form=fr.form)
                sub_rows.append(dict(year=year, unit_code=held, form=fr.form,
                                     source_file=oc.source_file, sha256=oc.sha256,
                                     status="rejected"))
            continue
        if not oc.readable:
            sub_rows.append(
                dict(year=year, unit_code=file_unit, form="", source_file=oc.source_file,
                     sha256=oc.sha256, status="unreadable")
            )
            continue
        for fr in oc.forms:
            problems = _attribution_findings(fr, year, fr.unit_code, profile, declared[fr.form])
            unit_code = fr.unit_code or ""
            finding_rows += _finding_rows(fr.findings + problems, year=year,
                                          source_file=oc.source_file, unit_code=unit_code,
                                          form=fr.form)
            if problems:
                status = "unreadable" if fr.unit_code is None else "rejected"
                sub_rows.append(dict(year=year, unit_code=unit_code, form=fr.form,
                                     source_file=oc.source_file, sha256=oc.sha256, status=status))
                continue
            key = (bool(fr.values or fr.roster),
                   *_newest_key(fr.report_date, oc.modified, oc.source_file))
            contenders.setdefault((unit_code, fr.form), []).append((key, oc, fr))

    # The candidates are built column by column: a national batch has millions of numbers, and
    # the per-form columns (unit, form, sheet, file) are repeated from one value per form.
    blocks: list[tuple[str, str, str, str]] = []  # unit, form, sheet, file of each winning form
    lengths: list[int] = []
    items: list = []  # arrays, one per form
    columns: list = []
    values: list = []
    cell_blobs: list[str] = []  # each form's cell references, joined (PackedValues.cells)
    roster_parts: list[tuple] = []  # (rows, the form's own fields, source prefix) per TR4
    for (unit_code, form_code), entries in sorted(contenders.items()):
        entries.sort(key=lambda e: e[0], reverse=True)
        for rank, (_, oc, fr) in enumerate(entries):
            sub_rows.append(dict(year=year, unit_code=unit_code, form=form_code,
                                 source_file=oc.source_file, sha256=oc.sha256,
                                 status="candidate" if rank == 0 else "superseded"))
            if rank:
                continue
            prefix = f"{oc.source_file}!{fr.sheet}!"
            if fr.values:
                packed = fr.values if isinstance(fr.values, PackedValues) else PackedValues(fr.values)
                items.append(packed.items)
                columns.append(packed.columns)
                values.append(packed.values)
                cell_blobs.append(packed.cells)
                blocks.append((unit_code, form_code, fr.sheet, oc.source_file))
                lengths.append(len(packed))
            if fr.roster:
                roster_parts.append((fr.roster, {"year": year, "unit_code": unit_code,
                                                 "sheet": fr.sheet,
                                                 "source_file": oc.source_file}, prefix))

    # The string columns are made in Arrow, without a Python string per number: the cell
    # references are split out of each form's joined string, and the source is joined from
    # file, sheet and cell.
    row_block = pa.array(np.repeat(np.arange(len(blocks)), np.asarray(lengths, dtype=np.int64)))

    def per_form(k: int) -> pa.Array:
        return pa.array([b[k] for b in blocks], pa.large_string()).take(row_block)

    def text(arrow: pa.Array) -> pd.api.extensions.ExtensionArray:
        return pd.array(arrow, dtype="string")

    cells = pc.list_flatten(pc.split_pattern(pa.array(cell_blobs, pa.large_string()),
                                             PackedValues._SEP))
    sheets, files = per_form(2), per_form(3)

    def joined(arrays: list, dtype: str) -> np.ndarray:
        # one buffer, one array: a numpy array per form cost more than the copy
        return np.frombuffer(b"".join(arrays), dtype=dtype)

    candidates = pd.DataFrame({
        "year": np.full(len(cells), year, dtype="int64"),
        "unit_code": text(per_form(0)),
        "form": text(per_form(1)),
        "item": joined(items, "int64"),
        "column": joined(columns, "int64"),
        "value": joined(values, "float64"),
        "source": text(pc.binary_join_element_wise(files, sheets, cells,
                                                   pa.scalar("!", pa.large_string()))),
        "sheet": text(sheets),
        "cell": text(cells),
        "source_file": text(files),
    })
    submissions = pd.DataFrame(sub_rows, columns=list(catalog.DATASETS["submissions"].columns))
    findings = pd.DataFrame(finding_rows, columns=list(catalog.DATASETS["findings"].columns))
    roster_columns = [*catalog.DATASETS["roster"].columns, *_ROSTER_EXTRA]
    return Batch(
        submissions=submissions.astype({"year": "int64"}),
        candidates=candidates,
        roster=_roster_frame(roster_parts) if roster_parts else pd.DataFrame(columns=roster_columns),
        findings=findings.astype({"year": "int64"}),
    )


def _roster_frame(parts: list[tuple]) -> pd.DataFrame:
    """The winning rosters as one frame: each row's fields, then the form's own (year, unit,
    sheet, file, overriding the row's) and its source (``file!sheet!row``).

    Column by column when every form packed the same fields (a national batch has hundreds of
    thousands of persons); row by row otherwise, with the same result.
    """
    import pandas as pd

    keys = {p[0].keys if isinstance(p[0], PackedRows) else None for p in parts}
    if len(keys) != 1 or None in keys:
        return pd.DataFrame([{**r, **own, "source": f"{prefix}{r.get('row', '')}"}
                             for rows, own, prefix in parts for r in rows])
    (fields,) = keys
    names = [*fields, *(k for k in parts[0][1] if k not in fields), "source"]
    columns: dict[str, list] = {name: [] for name in names}
    row_at = fields.index("row") if "row" in fields else None
    for rows, own, prefix in parts:
        n = len(rows)
        by_field = list(zip(*rows.rows, strict=True))
        for i, name in enumerate(fields):
            columns[name] += [own[name]] * n if name in own else by_field[i]
        for k, v in own.items():
            if k not in fields:
                columns[k] += [v] * n
        rows_no = by_field[row_at] if row_at is not None else [""] * n
        columns["source"] += [f"{prefix}{r}" for r in rows_no]
    return pd.DataFrame(columns)


def _only(rows: pd.DataFrame, wanted: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows whose keys are among ``wanted``'s (one row there per form, so an inner join).

    A filter rather than a merge: a national batch's candidates are millions of rows, and a
    merge copies them all even when every form was accepted, as most are.
    """
    import pandas as pd

    if not len(rows):
        return rows
    have = pd.MultiIndex.from_frame(rows[keys])
    keep = have.isin(pd.MultiIndex.from_frame(wanted[keys]))
    return rows if keep.all() else rows.loc[keep]


def settle(batch: Batch, rule_findings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply severity: a candidate form with an error is rejected, the rest accepted.

    Returns
    -------
    (observations, roster, submissions, findings) for the year, in catalog order.
    """
    import pandas as pd

    from talentstats.store import catalog

    findings = pd.concat([f for f in (batch.findings, rule_findings) if len(f)] or [batch.findings],
                         ignore_index=True)
    errors = findings[(findings["severity"] == "error") & (findings["form"] != "")]
    rejected = set(zip(errors["unit_code"], errors["form"], errors["source_file"], strict=True))
    subs = batch.submissions.copy()
    is_candidate = subs["status"] == "candidate"
    hit = [
        (u, f, s) in rejected
        for u, f, s in zip(subs["unit_code"], subs["form"], subs["source_file"], strict=True)
    ]
    subs["status"] = subs["status"].mask(is_candidate & pd.Series(hit, index=subs.index), "rejected")
    subs["status"] = subs["status"].mask(subs["status"] == "candidate", "accepted")

    accepted = subs.loc[subs["status"] == "accepted", ["unit_code", "form", "source_file"]]
    observations = _only(batch.candidates, accepted, ["unit_code", "form", "source_file"])
    roster_df = batch.roster
    if len(roster_df):
        roster_df = _only(roster_df, accepted[accepted["form"] == "TR4"],
                          ["unit_code", "source_file"])
    else:
        roster_df = catalog.empty("roster")
    return (
        catalog.conform("observations", observations),
        catalog.conform("roster", roster_df),
        catalog.conform("submissions", subs),
        catalog.conform("findings", findings),
    )
