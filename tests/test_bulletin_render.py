"""End to end: papermill runs the notebooks on a processed folder; HTML and PDF quote the indicators.

The processed folder is built here from hand-made frames (tests/bulletin_fixture.py) with
catalog.write_datasets, so the test does not depend on the ingest.
"""

import json
import re
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import bulletin_fixture as bf
import pytest

from talentstats.errors import DataNotFound, ParameterError
from talentstats.profile.config import load_profile
from talentstats.publication.render import (
    notebook_path,
    render_assessment,
    render_bulletin,
)
from talentstats.store.catalog import write_datasets

pytestmark = pytest.mark.slow

_RADICALS = str.maketrans(
    {"⻓": "长", "⻅": "见", "⻔": "门", "⻢": "马", "⻉": "贝", "⻋": "车", "⻛": "风", "⻜": "飞",
     "⻚": "页", "⻘": "青", "⻰": "龙", "⻄": "西", "⻩": "黄", "⻝": "食", "⻮": "齐", "⻥": "鱼"}
)


def test_notebooks_expose_their_parameters():
    for name, expected in (
        ("bulletin.ipynb", {"year", "processed_dir", "profile_dir", "output_dir", "top_n", "suppression_threshold",
                            "issue_date"}),
        ("assessment.ipynb", {"year", "processed_dir", "profile_dir", "output_dir"}),
    ):
        nb = json.loads(notebook_path(name).read_text("utf-8"))
        tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1
        names = set(re.findall(r"^(\w+) =", "".join(tagged[0]["source"]), re.M))
        assert names == expected


def test_unknown_year_fails_before_kernel(tmp_path):
    write_datasets(tmp_path / "processed", bf.frames())
    with pytest.raises(DataNotFound):
        render_bulletin(2011, tmp_path / "processed", tmp_path / "reports", profile=load_profile())
    assert not (tmp_path / "reports" / "2011" / f"{load_profile().city.bulletin_name(2011)}.ipynb").exists()


def test_render_bulletin_and_assessment(tmp_path):
    from pypdf import PdfReader

    processed = tmp_path / "processed"
    write_datasets(processed, bf.frames())
    paths = render_bulletin(2015, processed, tmp_path / "reports", profile=load_profile())
    out = tmp_path / "reports" / "2015"
    stem = "东莞市2015年人才资源统计公报"
    assert paths == {
        "ipynb": out / f"{stem}.ipynb",
        "html": out / f"{stem}.html",
        "pdf": out / f"{stem}.pdf",
        "docx": out / f"{stem}.docx",
        "annex": out / "附表.xlsx",
    }
    html = paths["html"].read_text("utf-8")
    pdf_text = "".join(p.extract_text() for p in PdfReader(paths["pdf"]).pages)
    # Noto CJK maps some ideographs to Kangxi radicals in the PDF's text layer (人 -> ⼈): NFKC
    # folds them back (and full-width punctuation to ASCII, hence NFKC on both sides).
    # The CJK Radicals Supplement forms (⻓ for 长) are not folded by NFKC: map those we print.
    pdf_text = unicodedata.normalize("NFKC", re.sub(r"\s+", "", pdf_text)).translate(_RADICALS)
    # figures equal the indicators of the fixture: I01 100000, I02 11.1%, I04.130 40.0 (+0.8),
    # I12 102.5, I12.cum 77.1, I09 1 of 3, I10 1000 万元
    for quoted in (
        "年末全市人才资源总量10.00万人，比上年增长11.1%。",
        "占人才资源总量的40.0%，比上年提高0.8个百分点",
        "为年度目标（10.00亿元）的102.5%",
        "为五年目标（50.00亿元）的77.1%",
        "资金缺口合计1000.00万元",
        "莞城街道报表未通过审核",
    ):
        assert quoted in html
        assert unicodedata.normalize("NFKC", quoted) in pdf_text
    assert "<pre" not in html.split("</style>")[-1]  # no code, no tracebacks
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', html)) == 5  # trend, structure, units, investment, fund ratio
    assert 'alt="图1  2014-2015年全市人才资源总量及增长速度"' in html
    assert not re.search(r"<(script|link)\b[^>]*(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)

    report = render_assessment(2015, processed, tmp_path / "reports", profile=load_profile())
    assert report["pdf"] == out / "人才工作考核报告.pdf"
    text = report["html"].read_text("utf-8")
    assert "东城街道" in text and "上升1位" in text and "每季度最后一个月召开一次情况通报会，全年4次" in text
    # the Word drafts say what the HTML says: the same paragraphs, headings and table cells
    for kind in (paths, report):
        html_texts, docx_texts = _html_texts(kind["html"]), _docx_texts(kind["docx"])
        assert html_texts == docx_texts
    assert docx_texts["每季度最后一个月召开一次情况通报会，全年4次"] == 1  # a table cell


def test_paths_are_literal_and_nothing_published_carries_an_absolute_path(tmp_path):
    """papermill formats paths with the parameters: a folder called ``{year}`` or ``{`` is
    taken as it is. The executed notebooks and the HTML hold no absolute path of the machine:
    the parameters are relative to the report's folder, papermill's record names files only."""
    import sys

    processed = tmp_path / "data {" / "processed"
    write_datasets(processed, bf.frames())
    reports = tmp_path / "reports {year}}"
    written = [*render_bulletin(2015, processed, reports, pdf=False, profile=load_profile()).values(),
               *render_assessment(2015, processed, reports, pdf=False, profile=load_profile()).values()]
    out = reports / "2015"
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".ipynb", ".html")) == sorted(
        p.name for p in written if p.suffix in (".ipynb", ".html"))
    assert not (tmp_path / "reports 2015}").exists()
    machine = {str(tmp_path), str(Path.home()), sys.prefix, str(Path(__file__).parents[1])}
    for path in written:
        if path.suffix in (".ipynb", ".html"):
            text = path.read_text("utf-8")
            assert not [m for m in machine if m in text], (path.name, machine)
    nb = json.loads(out.joinpath(f"{load_profile().city.bulletin_name(2015)}.ipynb").read_text("utf-8"))
    assert nb["metadata"]["papermill"]["parameters"]["processed_dir"] == "../../data {/processed"
    assert nb["metadata"]["papermill"]["input_path"] == "bulletin.ipynb"


def test_a_folder_whose_name_is_not_utf8_is_refused_before_kernel(tmp_path):
    import os

    gbk = os.fsdecode(os.path.join(os.fsencode(tmp_path), "报表".encode("gbk")))
    write_datasets(tmp_path / "processed", bf.frames())
    write_datasets(tmp_path / "copy" / "processed", bf.frames())
    os.rename(tmp_path / "copy", gbk)  # pyarrow cannot write under such a name
    for processed, reports in ((Path(gbk) / "processed", tmp_path / "reports"),
                               (tmp_path / "processed", Path(gbk) / "reports")):
        with pytest.raises(ParameterError, match="不是 UTF-8"):
            render_bulletin(2015, processed, reports, pdf=False, profile=load_profile())
    assert not (tmp_path / "reports").exists() and not (Path(gbk) / "reports").exists()


class _Blocks(HTMLParser):
    """The text of each block of an HTML body (paragraph, heading, list item, cell, table line)."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "td", "th", "div", "br", "ul", "ol", "table", "tr"}

    def __init__(self):
        super().__init__()
        self.texts, self._buffer, self._skip = [], [], 0

    def _flush(self):
        text = "".join(self._buffer).strip()
        if text:
            self.texts.append(text)
        self._buffer = []

    def handle_starttag(self, tag, attrs):
        # not text: the page's CSS and title, and the heading's ¶ anchor
        self._skip += tag in ("style", "script", "title") or ("class", "anchor-link") in attrs
        if tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script", "title") or (tag == "a" and self._skip > 0)
        if tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self._skip:
            self._buffer.append(data)


def _html_texts(path) -> Counter:
    parser = _Blocks()
    parser.feed(path.read_text("utf-8"))
    parser.close()
    return Counter(re.sub(r"\s+", " ", t) for t in parser.texts)


def _docx_texts(path) -> Counter:
    """Paragraphs (a note's number, which the HTML draws as list numbering, dropped) and cells."""
    from docx import Document

    doc = Document(str(path))
    paragraphs = [re.sub(r"^\d+\. ", "", p.text) for p in doc.paragraphs if p.text.strip()]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    # HTML collapses runs of white space (表1  2015年… reads 表1 2015年…); Word keeps them
    return Counter(re.sub(r"\s+", " ", t.strip()) for t in [*paragraphs, *cells] if t.strip())
