"""The Word drafts (.docx) of the bulletin and the assessment report, from tests/bulletin_fixture.py.

No notebook kernel here: the report's blocks are built in-process (talentstats.publication.document)
and written with talentstats.publication.word. The comparison with the notebook's HTML is in
test_bulletin_render.py, which runs the kernel anyway.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
import zipfile

import bulletin_fixture as bf
import pytest
from docx import Document
from lxml import etree

from talentstats.profile.config import load_profile
from talentstats.publication import tables as T
from talentstats.publication.document import Table, assessment_report, bulletin_report
from talentstats.publication.render import load_bulletin_data
from talentstats.publication.word import markdown_paragraphs, write_docx
from talentstats.store.catalog import write_datasets

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
STEM = "东莞市2015年人才资源统计公报"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    processed = tmp_path_factory.mktemp("processed")
    write_datasets(processed, bf.frames())
    return load_bulletin_data(processed, 2015, load_profile())  # the packaged profile, as the notebooks


@pytest.fixture(scope="module")
def drafts(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    bulletin = bulletin_report(data, issue_date="2016年4月")
    assessment = assessment_report(data)
    return {
        "bulletin": (bulletin, write_docx(bulletin, out / f"{STEM}.docx")),
        "assessment": (assessment, write_docx(assessment, out / "人才工作考核报告.docx")),
    }


def test_markdown_paragraphs_keep_headings_notes_and_items():
    md = "## 附注\n\n1. 统计范围：全市。\n\n2. 主要指标解释：\n\n    - 甲（人）：定义。\n    - 乙：定义。\n"
    assert markdown_paragraphs(md) == [
        ("heading", "附注"),
        ("text", "1. 统计范围：全市。"),
        ("text", "2. 主要指标解释："),
        ("item", "甲（人）：定义。"),
        ("item", "乙：定义。"),
    ]
    # a heading straight above its text, a title, and a # that starts no heading
    assert markdown_paragraphs("# 公报\n## 一、总量\n#1号文件规定。\n第二行。") == [
        ("title", "公报"), ("heading", "一、总量"), ("text", "#1号文件规定。 第二行。")]


def test_bulletin_draft_holds_title_sentences_and_tables(drafts):
    report, path = drafts["bulletin"]
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs if p.text]
    assert paragraphs[:3] == [STEM, "东莞市人才工作领导小组办公室", "2016年4月"]
    # numbered sections, in order, then 附注
    headings = [t for t in paragraphs if re.fullmatch(r"[一二三四五六]、\S+|附注", t)]
    assert headings == ["一、人才资源总量", "二、人才队伍结构", "三、人才素质结构", "四、区域分布",
                        "五、人才投入", "六、党管人才工作机制", "附注"]
    # sentences worked out by hand from the fixture (see bulletin_fixture's docstring)
    text = "\n".join(paragraphs)
    for quoted in (
        "年末全市人才资源总量10.00万人，比上年增长11.1%。",
        "占人才资源总量的40.0%，比上年提高0.8个百分点",
        "为年度目标（10.00亿元）的102.5%",
        "为五年目标（50.00亿元）的77.1%",
        "资金缺口合计1000.00万元",
        "莞城街道报表未通过审核",
    ):
        assert quoted in text
    assert any(p.startswith("1. 统计范围：全市35个镇街（园区）") for p in paragraphs)
    # the tables: title, unit line, then a Word table whose cells are those of the HTML
    tables = [b for blocks in report.sections.values() for b in blocks if isinstance(b, Table)]
    assert [t.title for t in tables] == [
        "表1  2015年全市人才队伍结构", "表2  2015年全市人才学历、年龄和性别构成",
        "表3  2015年高层次人才类别和学历构成", "表4  2015年人才资源总量居前十位的镇街（园区）",
        "表5  2015年各镇街（园区）人才专项资金情况",
    ]
    assert len(doc.tables) == 5
    for block, grid in zip(tables, doc.tables, strict=True):
        cells = [[c.text for c in row.cells] for row in grid.rows]
        assert cells[0] == [str(c) for c in block.frame.columns]
        assert cells[1:] == [[T.cell_text(v) for v in r] for r in block.frame.itertuples(index=False)]
        assert f"单位：{block.unit}" in paragraphs
    structure = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert ["专业技术人才", "40000", "40.0", "+0.8"] in structure  # TR1 130: 20000+12000+8000
    fund = {row.cells[0].text: [c.text for c in row.cells] for row in doc.tables[4].rows}
    # 南城街道: 2500 / 100000 = 2.50%, below 3%, gap 3000 - 2500 = 500, spent 2400 / 2500 = 96.0%
    assert fund["南城街道"] == ["南城街道", "100000.00", "2500.00", "2.50", "否", "500.00", "96.0"]
    roster = [c.text for row in doc.tables[2].rows for c in row.cells]
    assert T.SUPPRESSED in roster  # 6 persons: small cells are suppressed as in the HTML
    assert "注：依据高层次人才名册汇总；“…”表示不予公布（见附注）。" in paragraphs
    # five charts, each with its title as alternative text
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    assert len(re.findall(r"<pic:pic\b", xml)) == 5
    assert 'descr="图1  2014-2015年全市人才资源总量及增长速度"' in xml


def test_charts_are_at_print_resolution(drafts):
    _, path = drafts["bulletin"]
    from PIL import Image

    with zipfile.ZipFile(path) as z:
        images = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(images) == 5
        for name in images:
            with Image.open(z.open(name)) as im:
                assert im.size[0] == 7 * 300  # 7-inch figures at 300 dpi


def _runs_without_east_asian_font(path) -> list[str]:
    missing = []
    with zipfile.ZipFile(path) as z:
        parts = [n for n in z.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
        assert "word/document.xml" in parts and any("footer" in p for p in parts)
        for name in parts:
            root = etree.fromstring(z.read(name))
            for run in root.iter(f"{W}r"):
                fonts = run.find(f"{W}rPr/{W}rFonts")
                if fonts is None or not fonts.get(f"{W}eastAsia"):
                    missing.append(f"{name}: {''.join(run.itertext())!r}")
    return missing


def test_every_run_names_its_east_asian_font(drafts):
    for _, path in drafts.values():
        assert _runs_without_east_asian_font(path) == []
        doc = Document(str(path))
        fonts = {r._element.rPr.rFonts.get(f"{W}eastAsia") for p in doc.paragraphs for r in p.runs}
        assert fonts <= {"方正小标宋简体", "黑体", "仿宋_GB2312"}
        assert "仿宋_GB2312" in fonts and "黑体" in fonts
        with zipfile.ZipFile(path) as z:
            styles = z.read("word/styles.xml").decode("utf-8")
            table = etree.fromstring(z.read("word/fontTable.xml"))
        # the text is Chinese, not python-docx's en-US, and no style falls back to theme fonts
        assert 'w:eastAsia="en-US"' not in styles and 'w:eastAsia="zh-CN"' in styles
        assert "eastAsiaTheme" not in styles
        alt = {f.get(f"{W}name"): f.find(f"{W}altName").get(f"{W}val")
               for f in table.iter(f"{W}font") if f.find(f"{W}altName") is not None}
        assert alt["仿宋_GB2312"] == "仿宋,Noto Serif CJK SC"
        assert alt["方正小标宋简体"] == "华文中宋,Noto Serif CJK SC" and alt["黑体"] == "Noto Sans CJK SC"


def test_assessment_draft_holds_ranking_and_method(drafts):
    report, path = drafts["assessment"]
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs if p.text]
    assert paragraphs[0] == "2015年镇街（园区）人才工作目标责任考核报告"
    assert paragraphs[1] == "东莞市人才工作领导小组办公室　内部资料　注意保存"
    for heading in ("一、综合得分与排名", "二、人才专项资金未达到3%要求的单位", "三、工作机制未达标情况",
                    "四、未纳入考核的单位", "说明"):
        assert heading in paragraphs
    ranking = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert ranking[0][:3] == ["位次", "镇街（园区）", "综合得分"]
    assert "东城街道" in [r[1] for r in ranking] and any("上升1位" in r for r in ranking)
    mechanisms = [[c.text for c in row.cells] for row in doc.tables[-1].rows]
    # 万江街道 meets 4 of the 8 minima (402, 404, 407, 408 missed), 南城街道 7 (405 = 3 < 4)
    assert [r[:2] for r in mechanisms[1:]] == [["万江街道", "4/8"], ["南城街道", "7/8"]]


# Noto CJK maps some ideographs to Kangxi radicals in a PDF's text layer (人 -> ⼈): NFKC folds
# them back; the CJK Radicals Supplement forms (⻓ for 长) are mapped here.
_RADICALS = str.maketrans({"⻓": "长", "⻅": "见", "⻔": "门", "⻢": "马", "⻉": "贝", "⻋": "车", "⻛": "风",
                           "⻜": "飞", "⻚": "页", "⻘": "青", "⻰": "龙", "⻄": "西", "⻩": "黄", "⻝": "食",
                           "⻮": "齐", "⻥": "鱼"})


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text)).translate(_RADICALS)


def test_drafts_open_in_libreoffice_with_every_glyph(drafts, tmp_path):
    paths = [p for _, p in drafts.values()]
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, paths)],
        check=True, capture_output=True, timeout=180,
    )
    for path in paths:
        pdf = tmp_path / f"{path.stem}.pdf"
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
        assert "□" not in text and "\ufffd" not in text
        # every character of the draft came out as text in the PDF (a glyph missing from every
        # font would be dropped or drawn as a box)
        doc = Document(str(path))
        words = [p.text for p in doc.paragraphs if p.text] + [
            c.text for t in doc.tables for row in t.rows for c in row.cells]
        assert set(_plain("".join(words))) <= set(_plain(text))
        assert _plain("年末全市人才资源总量10.00万人") in _plain(text) or path.stem != STEM
        # the fonts embedded: Chinese in a CJK font (Noto CJK here), all embedded
        fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
        rows = [line.split() for line in fonts.splitlines()[2:]]
        assert any("CJK" in r[0] for r in rows)
        assert all(r[-5] == "yes" for r in rows)  # emb


def test_column_widths_follow_the_content():
    import pandas as pd

    from talentstats.publication.word import column_widths

    frame = pd.DataFrame({"镇街（园区）": ["石碣镇"], "达标项数": ["6/8"], "未达到的要求": ["每" * 50]})
    # natural widths in half-ems, +2 padding: 镇街 max(6, 12/2) = 6 -> 8; 达标项数 max(3, 8/2) = 4
    # -> 6; the long text 100, capped at 40 -> 42; shared out of 1000 by 8:6:42 (of 56)
    assert column_widths(frame, total=1000) == [142, 107, 750]


def test_long_tables_repeat_their_header_and_keep_rows_whole(drafts):
    _, path = drafts["bulletin"]
    root = etree.fromstring(zipfile.ZipFile(path).read("word/document.xml"))
    for table in root.iter(f"{W}tbl"):
        rows = table.findall(f"{W}tr")
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows[1:])


def test_characters_xml_cannot_hold_are_dropped(tmp_path):
    import pandas as pd

    from talentstats.publication.document import Report

    frame = pd.DataFrame({"镇街（园区）": ["石\x0b龙镇"], "人数（人）": ["3"]})
    report = Report("标\x00题", ("办公室\x1f",), {"s": ("## 一、总量\n\n石\x0b龙镇3人。", Table(frame, "表1", "人"))})
    doc = Document(str(write_docx(report, tmp_path / "x.docx")))
    assert [p.text for p in doc.paragraphs if p.text][:4] == ["标题", "办公室", "一、总量", "石龙镇3人。"]
    assert doc.tables[0].cell(1, 0).text == "石龙镇"
    assert [f.name for f in tmp_path.iterdir()] == ["x.docx"]  # no temporary file left
