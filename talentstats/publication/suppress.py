"""Small-cell suppression for tables built from the roster (TR4, persons).

Method (documented here and in the bulletin's 附注):

* **Primary**: a cell counting 1 or 2 persons (``0 < n < threshold``, threshold 3) is not
  published; totals too, since a row total of 1 discloses as much as a cell. Zeros are
  published: an empty cell reveals nobody.
* **Secondary** (complementary): the table is published with its row and column totals, so each
  additive line (a row with its total, a column with its total, the total row and the total
  column with the grand total) that holds a suppressed cell must hold at least two, otherwise
  the hidden value is the total minus the others. Repeatedly, for each line with exactly one
  suppressed cell, one more cell of that line is suppressed, chosen as: an inner cell before a
  total; a cell whose crossing line already has a suppression (so one complement serves two
  lines); a non-zero cell before a zero; the smallest value; then the first in table order
  (deterministic). This is the usual "at least two per line" heuristic, not an optimal
  (linear-programming) protection.

Suppressed cells are shown as :data:`SUPPRESSED`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SUPPRESSED", "TOTAL", "add_totals", "format_suppressed", "suppression_mask"]

SUPPRESSED = "…"
TOTAL = "合计"


def add_totals(table: pd.DataFrame, label: str = TOTAL) -> pd.DataFrame:
    """The table with a total row and a total column (labelled 合计) appended."""
    out = table.copy()
    out[label] = out.sum(axis=1)
    total_row = out.sum(axis=0).to_frame().T
    total_row.index = pd.Index([label], name=out.index.name)
    return pd.concat([out, total_row])


def suppression_mask(table: pd.DataFrame, threshold: int = 3) -> pd.DataFrame:
    """Which cells of a count table (inner cells only, totals not included) to suppress.

    Parameters
    ----------
    table
        Counts, rows x columns, without totals.
    threshold
        Cells with ``0 < n < threshold`` are primary suppressions.

    Returns
    -------
    Boolean frame shaped like ``add_totals(table)``: True where the cell (inner or total) is
    not published.
    """
    values = table.to_numpy(dtype=float)
    nr, nc = values.shape
    full = np.zeros((nr + 1, nc + 1))
    full[:nr, :nc] = values
    full[:nr, nc] = values.sum(axis=1)
    full[nr, :nc] = values.sum(axis=0)
    full[nr, nc] = values.sum()
    mask = np.zeros_like(full, dtype=bool)
    mask[:] = (full > 0) & (full < threshold)

    # Every additive line: rows (incl. the total row) and columns (incl. the total column).
    lines = [[(r, c) for c in range(nc + 1)] for r in range(nr + 1)]
    lines += [[(r, c) for r in range(nr + 1)] for c in range(nc + 1)]

    def crossing_has_suppression(r: int, c: int, along_row: bool) -> bool:
        return bool(mask[:, c].sum() if along_row else mask[r, :].sum())

    changed = True
    while changed:
        changed = False
        for k, line in enumerate(lines):
            hidden = [rc for rc in line if mask[rc]]
            if len(hidden) != 1:
                continue
            along_row = k <= nr
            candidates = [rc for rc in line if not mask[rc]]
            if not candidates:
                continue

            def rank(rc: tuple[int, int], along_row: bool = along_row) -> tuple:
                r, c = rc
                is_total = r == nr or c == nc
                return (
                    is_total,
                    not crossing_has_suppression(r, c, along_row),
                    full[rc] == 0,
                    full[rc],
                    r,
                    c,
                )

            mask[min(candidates, key=rank)] = True
            changed = True
    index = [*table.index, TOTAL]
    columns = [*table.columns, TOTAL]
    return pd.DataFrame(mask, index=pd.Index(index, name=table.index.name), columns=columns)


def format_suppressed(table: pd.DataFrame, threshold: int = 3) -> pd.DataFrame:
    """The table with totals, as strings, suppressed cells replaced by :data:`SUPPRESSED`."""
    full = add_totals(table)
    mask = suppression_mask(table, threshold)
    shown = full.astype("int64").astype("string")
    return shown.mask(mask.to_numpy(), SUPPRESSED)
