"""The bulletin rendered on the sample collection quotes the indicators, in HTML and in the PDF.

The expected figures are formatted here from the indicators dataset with plain Decimal rounding
(四舍五入), independently of the package's own narrative functions.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

import pytest

from talentstats.profile.config import load_profile
from talentstats.profile.units import CITY
from talentstats.publication.render import render_bulletin
from talentstats.store import catalog

pytestmark = pytest.mark.slow

YEAR = 2016


def _r(x: float, places: int) -> str:
    return str(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    # Noto CJK's text layer uses Kangxi radicals for some ideographs (人 -> ⼈): NFKC folds them
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text)).replace("⻓", "长")


def test_bulletin_on_the_sample_quotes_the_indicators(sample_run, tmp_path):
    paths = render_bulletin(YEAR, sample_run.processed, tmp_path / "reports", profile=load_profile())
    ind = catalog.read_dataset(sample_run.processed, "indicators")
    city = ind[(ind["year"] == YEAR) & (ind["unit_code"] == CITY)].set_index("indicator")["value"]

    growth = city["I02"]
    quoted = [
        f"年末全市人才资源总量{_r(city['I01'] / 10_000, 2)}万人，"
        f"比上年{'增长' if growth > 0 else '下降'}{_r(abs(growth), 1)}%",
        f"全年市财政人才投入{_r(city['I12.amount'] / 10_000, 2)}亿元",
        f"为年度目标（10.00亿元）的{_r(city['I12'], 1)}%",
        f"{int(city['I09'])}个人才专项资金预算安排额达到财政总收入3%的要求",
        f"资金缺口合计{_r(city['I10'], 2)}万元",
    ]
    html = paths["html"].read_text("utf-8")
    pdf = _pdf_text(paths["pdf"])
    for sentence in quoted:
        assert sentence in html, sentence
        assert unicodedata.normalize("NFKC", sentence) in pdf, sentence
    # the coverage note names the units whose forms were rejected or unreadable this year
    subs = catalog.read_dataset(sample_run.processed, "submissions")
    bad = subs[(subs["year"] == YEAR) & subs["status"].isin(["rejected", "unreadable"])]
    assert len(bad)
    from talentstats.profile.units import unit_name

    for code in set(bad["unit_code"]) - {""}:
        assert unit_name(code) in html.split("附注")[-1]
