"""The fast pseudonymisation path gives exactly what the general one gives.

``roster.pseudonymise`` goes through ``_pseudonymise_row_fast`` (text fields read through small
caches); ``_pseudonymise_row`` is the general, uncached reading. Both are run here on every
roster row of the sample collection as the parser reads them, and on hand-made awkward values.
"""

from __future__ import annotations

import operator
import random
from datetime import date, datetime

import pytest

from talentstats.reading import parse, readers, roster

KEY = bytes(range(32))


def _sample_rosters(sample_run):
    out = []
    for year_dir in sorted(p for p in sample_run.sample.iterdir() if p.is_dir()):
        for f in sorted(p for p in year_dir.rglob("*") if p.is_file()):
            try:
                grid = readers.read_workbook(f, f.name)
            except readers.UnreadableFile:
                continue
            for fr in parse.locate_forms(grid).forms:
                if fr.roster:
                    out.append((fr.roster, fr.year or 0, fr.unit_code or ""))
    return out


def test_fast_path_equals_general_path_on_sample_rosters(sample_run):
    rosters = _sample_rosters(sample_run)
    assert sum(len(r) for r, _, _ in rosters) > 1000
    for rows, year, unit in rosters:
        fast = roster.pseudonymise(rows, KEY, year=year, unit_code=unit)
        general = [roster._pseudonymise_row(r, KEY, year, unit) for r in rows]
        assert fast == general
        for a, b in zip(fast, general, strict=True):  # same types too (1 == 1.0 == True)
            assert [type(v) for v in a.values()] == [type(v) for v in b.values()]


AWKWARD = [
    {},
    {"id_number": None, "name": None, "birth": None, "sex": None},
    {"id_number": " 11010519491231002x ", "sex": " 男 ", "birth": "1949年12月"},
    {"id_number": "11010519491231002x", "sex": "M", "birth": "1949-12", "recognised_year": "2015年"},
    {"id_number": "１１０１０５１９４９１２３１００２Ｘ", "sex": "女性", "birth": 1949.12},
    {"id_number": "'110105491231002", "name": "张三", "birth": "1949.1"},
    {"id_number": 110105491231002.0, "name": "李 四", "birth": 194912, "recognised_year": 2015.0},
    {"id_number": "abc", "name": "王五", "birth": "1949-13", "sex": "2", "seq": 3.0},
    {"id_number": "", "name": "赵六", "birth": datetime(1949, 12, 3), "sex": "female"},
    {"id_number": "110105194902300010", "birth": date(1949, 2, 1), "sex": "男", "note": "  "},
    {"id_number": "11010519491231002X\n", "birth": "  1978 - 5 ", "category": " 专技人才 ",
     "industry": "C 制造业", "employer": 12.0, "education": float("nan"), "title": True},
    {"name": "", "birth": "", "sex": "", "recognised_year": "", "category": "", "industry": ""},
]


@pytest.mark.parametrize("row", AWKWARD)
def test_fast_path_equals_general_path_on_awkward_values(row):
    raw = {**row, "row": 7}
    fast = roster.pseudonymise([raw], KEY, year=2016, unit_code="441900101")
    assert fast == [roster._pseudonymise_row(raw, KEY, 2016, "441900101")]


def test_check_character_equals_the_weighted_sum():
    rng = random.Random(11643)
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(17))
        total = sum(map(operator.mul, map(int, digits), roster._WEIGHTS))
        assert roster._check_char(digits) == roster._CHECK_CHARS[total % 11]
