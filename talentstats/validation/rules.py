"""Validation rules (审核规则): the profile's rules (``rules.yaml``) evaluated vectorised.

Every rule is one declaration in ``rules.yaml`` (``talentstats.validation.rulebook``); this module knows how to evaluate each *check
type* (sum, le, positive, domain, cross_count, history_change, history_equal, history_absent,
roster_flag, roster_duplicate_unit, roster_duplicate_across) over all units and forms at once:
observations are laid out as a full grid per form (unit x item x column), pivoted wide, both
sides computed with pandas, violations filtered, and only then are messages formatted. Adding a
rule of an existing check type is one declaration.

Conventions written down here:

- A blank cell in an item row that is present counts as 0 (Chinese statistical forms leave
  zeros blank or write ``-``). A comparison that involves an item row missing altogether is
  skipped: the parser already reports the missing row (F08).
- J01 compares TR1 240 with the number of rows of the unit's roster, for units that sent a
  roster; a person listed twice is P04's business.
- The 历年 rules compare with last year's *accepted* observations. When last year is absent (no
  frame, or no row of year Y-1) one H00 warning stands for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from talentstats.model import FINDING_COLUMNS
from talentstats.store import catalog
from talentstats.validation.rulebook import Rule

if TYPE_CHECKING:
    from talentstats.profile.config import Profile
    from talentstats.profile.forms import Form

__all__ = ["CHECKS", "format_message_number", "rules_table", "validate"]

_EPS = 1e-6


def rules_table(profile: Profile) -> pd.DataFrame:
    """The rules for the codebook: id, kind, severity, forms, description."""
    rows = [
        {
            "id": r.id,
            "kind": r.kind,
            "severity": r.severity,
            "forms": ",".join(r.forms),
            "description": r.description,
        }
        for r in profile.rules.values()
    ]
    return pd.DataFrame(rows).astype("string")


# ---------------------------------------------------------------------------------------------
# Formatting


def format_message_number(value: float) -> str:
    """A number in a finding's message: thousands separators, at most 2 decimals, 空 for none.

    >>> format_message_number(1234.5)
    '1,234.5'
    >>> format_message_number(-3.0)
    '-3'
    """
    if value is None or value != value:
        return "空"
    text = f"{round(float(value), 2):,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _messages(template: str, frame: pd.DataFrame, numbers: Iterable[str] = ()) -> list[str]:
    """Fill the template once per violation (violations are few; the checks are vectorised)."""
    shown = frame.assign(**{c: frame[c].map(format_message_number) for c in numbers if c in frame})
    return [template.format(**rec) for rec in shown.to_dict("records")]


# ---------------------------------------------------------------------------------------------
# Evaluation context


class _Context:
    """What the checks read: the candidates as full grids per form, the roster, last year, and
    the profile's forms and units."""

    def __init__(self, candidates, roster, previous, year, roster_units, profile: Profile):
        self.profile = profile
        self.candidates = candidates
        self.roster = roster
        self.previous = previous
        self.year = year
        self.roster_units = roster_units
        self._grids: dict[str, pd.DataFrame] = {}
        self._shared: dict[tuple, object] = {}  # wide pivots, cell selections, roster rows

    def shared(self, key: tuple, make: Callable[[], object]):
        """A value built once per validation and shared by the rules that read it."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    def grid(self, code: str) -> pd.DataFrame:
        """unit_code, item, column, value, at for every declared item and column of a form.

        A cell left blank in a present item row is 0; every cell of an absent row is NaN.
        ``at`` is the position of the cell's number among the candidates (-1: none), whose
        ``sheet!cell`` reference ``ref`` gives.
        """
        if code not in self._grids:
            self._grids[code] = _grid(self.candidates, self.profile.forms[code])
        return self._grids[code]

    def ref(self, at: pd.Series) -> pd.Series:
        """``sheet!cell`` of the candidates at positions ``at``; NA at -1 (no number there).

        Made only for the rows a finding names: the grids of a national batch have millions
        of cells, few of them in a finding.
        """
        pos = at.to_numpy(dtype="int64")
        out = pd.Series(pd.NA, index=at.index, dtype="string")
        have = pos >= 0
        if have.any():
            c = self.candidates
            text = (c["sheet"].iloc[pos[have]].astype("string").to_numpy() + "!"
                    + c["cell"].iloc[pos[have]].astype("string").to_numpy())
            out[have] = text
        return out

    def with_cells(self, v: pd.DataFrame) -> pd.DataFrame:
        """``v`` with its grid positions ``at`` replaced by the references ``cells``."""
        return v.assign(cells=self.ref(v["at"])).drop(columns="at")

    def table(self, code: str) -> str:
        """A form as messages name it: 表1 for TR1."""
        return f"表{self.profile.forms[code].number}"

    def tolerance(self, r: Rule, codes: Iterable[int]) -> float:
        return r.tolerance_for(self.profile.forms[r.form], codes)


def _grid(candidates: pd.DataFrame, f: Form) -> pd.DataFrame:
    """The full grid of form ``code`` (see ``_Context.grid``), laid out with numpy: units in
    the order they first appear, then items and columns in their declared order; the first
    number given for a cell counts."""
    keep = ((candidates["form"] == f.code)
            & candidates["item"].isin(f.item_codes)
            & candidates["column"].isin(f.column_codes)).to_numpy(dtype=bool)
    if not keep.any():
        return pd.DataFrame(
            {"unit_code": pd.Series(dtype="string"), "item": pd.Series(dtype="int64"),
             "column": pd.Series(dtype="int64"), "value": pd.Series(dtype="float64"),
             "at": pd.Series(dtype="int64")}
        )
    obs = candidates.loc[keep, ["unit_code", "item", "column", "value"]]
    positions = np.flatnonzero(keep)
    unit_of, units = pd.factorize(obs["unit_code"], use_na_sentinel=False)
    items = np.asarray(f.item_codes, dtype="int64")
    columns = np.asarray(f.column_codes, dtype="int64")
    item_of = pd.Index(items).get_indexer(obs["item"].astype("int64"))
    column_of = pd.Index(columns).get_indexer(obs["column"].astype("int64"))
    n_units, n_items, n_columns = len(units), len(items), len(columns)
    row = unit_of.astype("int64") * n_items + item_of  # (unit, item)
    cell = row * n_columns + column_of  # (unit, item, column)
    cell, first = np.unique(cell, return_index=True)  # the first number given for a cell
    size = n_units * n_items * n_columns
    value = np.full(size, np.nan)
    value[cell] = pd.to_numeric(obs["value"]).to_numpy(dtype="float64")[first]
    at = np.full(size, -1, dtype="int64")
    at[cell] = positions[first]
    present = np.zeros(n_units * n_items, dtype=bool)  # item rows the unit filled at all
    present[row] = True
    value = np.where(np.repeat(present, n_columns), np.nan_to_num(value, nan=0.0), np.nan)
    return pd.DataFrame({
        "unit_code": units.take(np.repeat(np.arange(n_units), n_items * n_columns)),
        "item": np.tile(np.repeat(items, n_columns), n_units),
        "column": np.tile(columns, n_units * n_items),
        "value": value,
        "at": at,
    })


def _join_cells(refs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """';'-joined non-missing refs per key, in the frame's order."""
    return refs.dropna(subset=["ref"]).groupby(keys, sort=False)["ref"].agg(";".join)


# ---------------------------------------------------------------------------------------------
# Checks: each returns unit_code, message, cells (and optionally source_file)

_EMPTY = ["unit_code", "message", "cells"]


def _check_compare(r: Rule, ctx: _Context) -> pd.DataFrame:
    """sum: sum(lhs) = sum(rhs); le: sum(lhs) <= sum(rhs); ``each``: every lhs code alone."""
    term, key = ("item", "column") if r.over == "item" else ("column", "item")
    keys = r.columns if r.over == "item" else r.items

    def make():
        g = ctx.grid(r.form)
        g = g.loc[g[key].isin(keys)]
        wide = None if g.empty else g.pivot(index=["unit_code", key], columns=term, values="value")
        return g, wide

    g, wide = ctx.shared(("compare", r.form, r.over, keys), make)
    if wide is None:
        return pd.DataFrame(columns=_EMPTY)
    rhs = wide[list(r.rhs)].sum(axis=1, skipna=False)
    groups = [(c,) for c in r.lhs] if r.each else [r.lhs]
    parts = []
    for gid, group in enumerate(groups):  # one pass per declared group, vectorised within
        item_codes = group + r.rhs if r.over == "item" else r.items
        tol = ctx.tolerance(r, item_codes) + _EPS
        lhs = wide[list(group)].sum(axis=1, skipna=False)
        diff = lhs - rhs
        bad = (diff.abs() > tol) if r.check == "sum" else (diff > tol)
        bad = bad & lhs.notna() & rhs.notna()
        parts.append(
            pd.DataFrame({"lhs": lhs[bad], "rhs": rhs[bad], "diff": diff[bad].abs()})
            .reset_index()
            .assign(gid=gid, code=group[0])
        )
    v = pd.concat(parts, ignore_index=True)
    if v.empty:
        return pd.DataFrame(columns=_EMPTY)
    terms = pd.DataFrame(
        [(gid, c, i) for gid, group in enumerate(groups) for i, c in enumerate(group + r.rhs)],
        columns=["gid", term, "order"],
    )
    refs = (
        v[["unit_code", key, "gid"]]
        .merge(terms, on="gid")
        .merge(g[["unit_code", key, term, "at"]], how="left", on=["unit_code", key, term])
        .sort_values(["unit_code", key, "gid", "order"], kind="stable")
    )
    refs = refs.assign(ref=ctx.ref(refs["at"]))
    cells = _join_cells(refs, ["unit_code", key, "gid"]).rename("cells").reset_index()
    v = v.merge(cells, how="left", on=["unit_code", key, "gid"])
    v = v.assign(**{term: v["code"]})
    return _finish(r, ctx, v, numbers=("lhs", "rhs", "diff"))


def _finish(r: Rule, ctx: _Context, v: pd.DataFrame, numbers: Iterable[str]) -> pd.DataFrame:
    """Add the names and the message to a frame of violations with item and column codes."""
    if v.empty:  # validate skips an empty result
        return pd.DataFrame(columns=_EMPTY)
    f = ctx.profile.forms[r.form]
    items = {it.code: it.name for it in f.items}
    columns = {c.code: c.short_name for c in f.columns}
    v = v.assign(
        table=ctx.table(r.form),
        item_name=v["item"].map(items),
        column_name=v["column"].map(columns),
        cells=v["cells"].fillna("") if "cells" in v else "",
    )
    return v.assign(message=_messages(r.message, v, numbers))


def _cells_of(r: Rule, ctx: _Context) -> pd.DataFrame:
    def make():
        g = ctx.grid(r.form)
        return g.loc[g["item"].isin(r.items) & g["column"].isin(r.columns) & g["value"].notna()]

    return ctx.shared(("cells", r.form, r.items, r.columns), make)


def _check_positive(r: Rule, ctx: _Context) -> pd.DataFrame:
    """value > 0."""
    g = _cells_of(r, ctx)
    v = ctx.with_cells(g.loc[g["value"] <= 0])
    return _finish(r, ctx, v, numbers=("value",))


def _check_domain(r: Rule, ctx: _Context) -> pd.DataFrame:
    """value in the declared ``values``."""
    g = _cells_of(r, ctx)
    v = g.loc[~g["value"].isin([float(x) for x in r.params["values"]])]
    return _finish(r, ctx, ctx.with_cells(v), numbers=("value",))


def _check_cross_count(r: Rule, ctx: _Context) -> pd.DataFrame:
    """The item's value = rows of the unit's roster (units that sent one)."""
    g = _cells_of(r, ctx)
    units = pd.Index(ctx.roster_units, dtype="string")
    rows = ctx.roster["unit_code"].astype("string").value_counts()
    counts = pd.DataFrame({"unit_code": units, "count": rows.reindex(units, fill_value=0).to_numpy()})
    v = g.assign(unit_code=g["unit_code"].astype("string")).merge(counts, on="unit_code")
    v = v.loc[(v["value"] - v["count"]).abs() > _EPS]
    v = ctx.with_cells(v.assign(diff=(v["value"] - v["count"]).abs()))
    return _finish(r, ctx, v, numbers=("value", "count", "diff"))


def _last_year(ctx: _Context) -> pd.DataFrame | None:
    p = ctx.previous
    if p is None:
        return None
    if "year" in p.columns:
        p = p.loc[p["year"] == ctx.year - 1]
    return p if len(p) else None


def _previous_values(r: Rule, ctx: _Context, column: int) -> pd.DataFrame:
    p = _last_year(ctx)
    if p is None:
        return pd.DataFrame({"unit_code": pd.Series(dtype="string"),
                             "item": pd.Series(dtype="int64"),
                             "previous": pd.Series(dtype="float64")})
    p = p.loc[(p["form"] == r.form) & (p["column"] == column) & p["item"].isin(r.items)]
    return (
        p.assign(item=p["item"].astype("int64"), previous=p["value"].astype("float64"),
                 unit_code=p["unit_code"].astype("string"))
        .drop_duplicates(["unit_code", "item"])
        .loc[:, ["unit_code", "item", "previous"]]
    )


def _check_history_change(r: Rule, ctx: _Context) -> pd.DataFrame:
    """|this year / last year - 1| > threshold %; last year 0 and this year not 0 also flags."""
    cur = _cells_of(r, ctx)
    v = cur.merge(_previous_values(r, ctx, r.columns[0]), on=["unit_code", "item"])
    prev, val = v["previous"], v["value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (val / prev - 1.0) * 100.0
    limit = float(r.params["threshold"])
    bad = np.where(prev == 0, val != 0, rate.abs() > limit + _EPS)
    v = v.assign(rate=rate).loc[bad]
    change = np.where(
        v["previous"] == 0,
        "上年为0",
        np.where(v["rate"] >= 0, "增长", "下降")
        + v["rate"].abs().round(1).map(lambda x: f"{x:.1f}").to_numpy(dtype=object)
        + "%",
    )
    v = ctx.with_cells(v.assign(change=change))
    return _finish(r, ctx, v, numbers=("value", "previous"))


def _check_history_equal(r: Rule, ctx: _Context) -> pd.DataFrame:
    """This year's ``columns`` = last year's ``previous_column``, within the tolerance."""
    cur = _cells_of(r, ctx)
    v = cur.merge(_previous_values(r, ctx, int(r.params["previous_column"])), on=["unit_code", "item"])
    diff = (v["value"] - v["previous"]).abs()
    v = v.assign(diff=diff).loc[diff > ctx.tolerance(r, r.items) + _EPS]
    return _finish(r, ctx, ctx.with_cells(v), numbers=("value", "previous", "diff"))


def _check_history_absent(r: Rule, ctx: _Context) -> pd.DataFrame:
    """One finding, for no unit, when last year's observations are absent."""
    if _last_year(ctx) is not None:
        return pd.DataFrame(columns=_EMPTY)
    message = r.message.format(prev_year=ctx.year - 1)
    return pd.DataFrame({"unit_code": [""], "message": [message], "cells": [""], "form": [""],
                         "source_file": [""]})


def _roster_rows(ctx: _Context) -> pd.DataFrame:
    return ctx.shared(("roster",), lambda: _make_roster_rows(ctx))


def _make_roster_rows(ctx: _Context) -> pd.DataFrame:
    ro = ctx.roster
    if ro is None or ro.empty:
        return pd.DataFrame(columns=["unit_code", "person", "row", "seq", "ref", "source_file"])
    seq = ro["seq"] if "seq" in ro.columns else pd.Series(pd.NA, index=ro.index)
    row = ro["row"].astype("Int64").astype("string")
    return ro.assign(
        row_text=row.fillna("?"),
        seq_text=seq.astype("string").fillna("—"),
        ref=ro["sheet"].astype("string") + "!" + row + ":" + row,
        source_file=ro["source_file"].astype("string") if "source_file" in ro else "",
    )


def _check_roster_flag(r: Rule, ctx: _Context) -> pd.DataFrame:
    """The roster's flag column is False (None = not checkable, no finding)."""
    ro = _roster_rows(ctx)
    if ro.empty:
        return pd.DataFrame(columns=_EMPTY)
    flag = ro[r.params["flag"]].astype("boolean")
    v = ro.loc[flag.eq(False).fillna(False)]
    if v.empty:
        return pd.DataFrame(columns=_EMPTY)
    v = v.assign(table=ctx.table(r.form), row=v["row_text"], seq=v["seq_text"], cells=v["ref"])
    return v.assign(message=_messages(r.message, v))


def _group_rows(ro: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    ordered = ro.sort_values([*keys, "row"], kind="stable")
    return ordered.groupby(keys, sort=True).agg(
        rows=("row_text", "、".join),
        seqs=("seq_text", "、".join),
        cells=("ref", ";".join),
        source_file=("source_file", "first"),
    ).reset_index()


def _check_roster_duplicate_unit(r: Rule, ctx: _Context) -> pd.DataFrame:
    """The same pseudonym twice or more in one unit's roster: one finding per person."""
    ro = _roster_rows(ctx)
    ro = ro.loc[ro["person"].notna()] if len(ro) else ro
    dup = ro.loc[ro.duplicated(["unit_code", "person"], keep=False)] if len(ro) else ro
    if dup.empty:
        return pd.DataFrame(columns=_EMPTY)
    v = _group_rows(dup, ["unit_code", "person"]).assign(table=ctx.table(r.form))
    return v.assign(message=_messages(r.message, v))


def _check_roster_duplicate_across(r: Rule, ctx: _Context) -> pd.DataFrame:
    """A pseudonym in two or more units' rosters: a finding for each unit, naming the others."""
    ro = _roster_rows(ctx)
    ro = ro.loc[ro["person"].notna()] if len(ro) else ro
    if ro.empty:
        return pd.DataFrame(columns=_EMPTY)
    spread = ro.groupby("person")["unit_code"].transform("nunique")
    ro = ro.loc[spread > 1]
    if ro.empty:
        return pd.DataFrame(columns=_EMPTY)
    v = _group_rows(ro, ["unit_code", "person"])
    pairs = v[["unit_code", "person"]].merge(
        v[["unit_code", "person"]].rename(columns={"unit_code": "other"}), on="person"
    )
    pairs = pairs.loc[pairs["unit_code"] != pairs["other"]].sort_values("other")
    names = {u.code: u.name for u in ctx.profile.units}
    pairs = pairs.assign(other=pairs["other"].map(lambda code: names.get(code, str(code))))
    others = pairs.groupby(["unit_code", "person"])["other"].agg("、".join).rename("others")
    v = v.merge(others.reset_index(), on=["unit_code", "person"]).assign(table=ctx.table(r.form))
    return v.assign(message=_messages(r.message, v))


CHECKS: dict[str, Callable[[Rule, _Context], pd.DataFrame]] = {
    "sum": _check_compare,
    "le": _check_compare,
    "positive": _check_positive,
    "domain": _check_domain,
    "cross_count": _check_cross_count,
    "history_change": _check_history_change,
    "history_equal": _check_history_equal,
    "history_absent": _check_history_absent,
    "roster_flag": _check_roster_flag,
    "roster_duplicate_unit": _check_roster_duplicate_unit,
    "roster_duplicate_across": _check_roster_duplicate_across,
}


# ---------------------------------------------------------------------------------------------
# validate

_CANDIDATE_COLUMNS = ["year", "unit_code", "form", "item", "column", "value", "sheet", "cell",
                      "source_file"]


def _empty_candidates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in _CANDIDATE_COLUMNS})


def validate(
    candidates: pd.DataFrame,
    roster: pd.DataFrame | None,
    previous: pd.DataFrame | None,
    *,
    year: int,
    profile: Profile,
    roster_units: Iterable[str] | None = None,
    only: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Evaluate every rule of the profile (``rules.yaml``) on one year's winning forms.

    Parameters
    ----------
    candidates
        Observations of the winning forms of ``year``: year, unit_code, form, item, column,
        value, source, sheet, cell, source_file.
    roster
        Pseudonymised TR4 rows (``pseudonym.pseudonymise``) with unit_code, person, seq, row, sheet,
        source_file and the flags id_valid, birth_ok, sex_ok; None or empty when none came.
    previous
        Last year's accepted observations (the ``observations`` dataset), or None when year-1 is not in the
        processed folder (then one H00 warning replaces the 历年 rules).
    year
        The ingest year.
    profile
        The deployment profile: its rules, forms and units.
    roster_units
        Units that sent a roster (J01 counts 0 persons for an empty one); by default the units
        found in ``roster``.
    only
        Rule ids to evaluate (default: all).

    Returns
    -------
    Findings with the columns of the ``findings`` dataset, sorted as the catalog sorts them.
    """
    if candidates is None or candidates.empty:
        candidates = _empty_candidates()
    if roster is None:
        roster = pd.DataFrame(columns=["unit_code", "person", "row", "sheet", "source_file"])
    roster_units = (
        sorted(set(roster["unit_code"].dropna().astype(str))) if roster_units is None
        else sorted({str(u) for u in roster_units})
    )
    ctx = _Context(candidates, roster, previous, year, roster_units, profile)
    files = (
        candidates.drop_duplicates(["unit_code", "form"])
        .loc[:, ["unit_code", "form", "source_file"]]
        .astype("string")
    )
    wanted = set(only) if only is not None else None
    parts = []
    for r in profile.rules.values():
        if not r.evaluated or (wanted is not None and r.id not in wanted):
            continue
        found = CHECKS[r.check](r, ctx)
        if found.empty:
            continue
        found = found.assign(
            year=year,
            rule=r.id,
            kind=r.kind,
            severity=r.severity,
            form=found["form"] if "form" in found else r.form,
            unit_code=found["unit_code"].astype("string"),
        )
        if "source_file" not in found:
            found = found.merge(files, how="left", on=["unit_code", "form"])
        parts.append(found.loc[:, FINDING_COLUMNS])
    if not parts:
        return catalog.empty("findings")
    out = pd.concat(parts, ignore_index=True)
    out = out.assign(source_file=out["source_file"].fillna(""), cells=out["cells"].fillna(""))
    return catalog.conform("findings", out)
