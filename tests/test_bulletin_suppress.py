"""Small-cell suppression: primary (1-2 persons) and secondary (totals cannot reveal them)."""

import pandas as pd

from talentstats.publication.suppress import SUPPRESSED, format_suppressed, suppression_mask


def _lines_ok(mask: pd.DataFrame) -> bool:
    """Every row and column holds 0 or at least 2 suppressed cells."""
    m = mask.to_numpy()
    return all(s != 1 for s in m.sum(axis=1)) and all(s != 1 for s in m.sum(axis=0))


def test_single_small_cell_gets_complements():
    table = pd.DataFrame({"x": [10, 5], "y": [2, 8], "z": [7, 9]}, index=["a", "b"])
    mask = suppression_mask(table)
    # primary: a/y = 2. Row a needs a second: a/z (7) is smaller than a/x (10).
    # Column y needs a second: b/y (8), the only inner cell. Column z now holds one (a/z):
    # its only inner candidate is b/z (9). Row b then holds b/y and b/z: every line has 0 or 2.
    expected = pd.DataFrame(
        [[False, True, True, False], [False, True, True, False], [False, False, False, False]],
        index=["a", "b", "合计"],
        columns=["x", "y", "z", "合计"],
    )
    assert mask.to_numpy().tolist() == expected.to_numpy().tolist()
    assert _lines_ok(mask)
    shown = format_suppressed(table)
    assert shown.loc["a", "y"] == SUPPRESSED and shown.loc["a", "x"] == "10"
    assert shown.loc["合计", "合计"] == "41"


def test_zeros_and_large_cells_are_published():
    table = pd.DataFrame({"x": [0, 5], "y": [3, 8]}, index=["a", "b"])
    assert not suppression_mask(table).to_numpy().any()


def test_small_total_is_suppressed_with_a_complement():
    # Row a holds a single person: the cell and the row total are both primary.
    table = pd.DataFrame({"x": [1, 5], "y": [0, 8]}, index=["a", "b"])
    mask = suppression_mask(table)
    assert mask.loc["a", "x"] and mask.loc["a", "合计"]
    assert _lines_ok(mask)
    # column x: a/x hidden -> b/x (5) hidden too; total column: a/合计 hidden -> b/合计 hidden
    assert mask.loc["b", "x"] and mask.loc["b", "合计"]
    assert not mask.loc["b", "y"] and not mask.loc["合计", "合计"]
