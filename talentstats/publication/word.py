"""The reports as Word documents (.docx): the draft that officials edit and sign off (审签).

:func:`report_document` turns a :class:`~talentstats.publication.document.Report` (the blocks the
notebook shows as HTML) into a python-docx ``Document``: title and issuing body, the numbered
sections and their sentences, the tables as Word tables (unit line, note, “—” and “*” cells as
in the HTML), the charts as 300 dpi images, the 附注. :func:`write_docx` saves it.

Typography follows Chinese official documents (GB/T 9704): A4, title in 方正小标宋简体 二号
(22 pt), headings in 黑体 三号 (16 pt), body in 仿宋_GB2312 三号 with a two-character indent
and 28 pt lines, page numbers “— 1 —”. Digits and Latin letters are in Times New Roman. Every run
names its East Asian font (``w:rFonts w:eastAsia``): without it Word draws Chinese in the
Latin font. The text's East Asian language is zh-CN (python-docx's template says en-US).

Fallbacks: each named font is declared in the font table with the rest of its chain as
``w:altName`` (方正小标宋简体 → 华文中宋, Noto Serif CJK SC; 仿宋_GB2312 → 仿宋, Noto Serif CJK SC;
黑体 → Noto Sans CJK SC) and the GB2312 character set, for Word to locate a missing font.
LibreOffice ignores both (its DOCX import skips ``altName``) and falls back through fontconfig,
to Noto CJK on Debian.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pandas as pd
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from talentstats.publication import tables as T
from talentstats.publication.charts import figure_png
from talentstats.publication.document import Chart, Report, Table

__all__ = ["BODY", "HEADING", "TITLE", "Face", "column_widths", "markdown_paragraphs", "report_document", "write_docx"]

LATIN = "Times New Roman"
LANGUAGE = "zh-CN"
#: Print resolution of the charts.
CHART_DPI = 300
TYPE_WIDTH = Mm(156)  # the type area of A4 with GB/T 9704 margins: 210 - 28 - 26 mm
CHART_WIDTH = Cm(15)


@dataclass(frozen=True)
class Face:
    """A font role: East Asian fonts in order of preference, size in points, bold."""

    east_asian: tuple[str, ...]
    size: float
    bold: bool = False
    family: str = "roman"  # the font table's w:family: roman (宋/仿宋) or modern (黑体)


SONG_DISPLAY = ("方正小标宋简体", "华文中宋", "Noto Serif CJK SC")
HEI = ("黑体", "Noto Sans CJK SC")
FANGSONG = ("仿宋_GB2312", "仿宋", "Noto Serif CJK SC")
SONG = ("宋体", "Noto Serif CJK SC")

TITLE = Face(SONG_DISPLAY, 22)  # 二号
HEADING = Face(HEI, 16, family="modern")  # 三号
BODY = Face(FANGSONG, 16)  # 三号
TABLE_TITLE = Face(HEI, 12, family="modern")  # 小四
TABLE_HEAD = Face(HEI, 10.5, family="modern")  # 五号
TABLE_BODY = Face(FANGSONG, 10.5)
SMALL = Face(FANGSONG, 10.5)  # unit line, table note
NOTES = Face(FANGSONG, 14)  # 四号: the 附注 that follow the sections
FOOTER = Face(SONG, 14)  # 四号
FACES = (TITLE, HEADING, BODY, TABLE_TITLE, TABLE_HEAD, TABLE_BODY, SMALL, NOTES, FOOTER)
NOTES_HEADING = "附注"

INDENT = Pt(32)  # two characters of 三号
LINE = Pt(28)


# --------------------------------------------------------------------------- Markdown


_HEADING = re.compile(r"(#{1,6})\s+(.*)")


def markdown_paragraphs(markdown: str) -> list[tuple[str, str]]:
    """The Markdown the report's text blocks use, as (kind, text) paragraphs.

    Kinds: ``title`` (``# ``), ``heading`` (``## ``), ``item`` (``- `` lines, one paragraph
    each, e.g. 附注's indicator definitions) and ``text``. A numbered note (``1. ``) keeps its
    number as text, so an official edits it like any sentence.
    """
    out: list[tuple[str, str]] = []
    for block in re.split(r"\n[ \t]*\n", markdown.strip()):
        # split on \n only: \x0b or \x1c are no line breaks in Markdown (str.splitlines says they are)
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        while lines and (head := _HEADING.match(lines[0])):
            out.append(("title" if len(head[1]) == 1 else "heading", head[2].strip()))
            lines.pop(0)
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            out.extend(("item", line[2:].strip()) for line in lines)
        else:
            out.append(("text", " ".join(lines)))
    return out


# --------------------------------------------------------------------------- runs and styles


def _fonts(rpr, east_asian: str) -> None:
    """Set every script's font of a w:rPr explicitly (no theme fonts)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


#: What XML 1.0 cannot hold (python-docx raises on it): a \x0b pasted from Word into a
#: profile's unit name must not stop the report.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _run(paragraph: Paragraph, text: str, face: Face):
    run = paragraph.add_run(_NOT_XML.sub("", text))
    run.font.size = Pt(face.size)
    run.font.bold = face.bold
    _fonts(run._element.get_or_add_rPr(), face.east_asian[0])
    return run


def _paragraph(doc: DocumentObject, *, align=None, first_line=None, left=None, before=0,
               after=0, line=None, keep_with_next=False) -> Paragraph:
    p = doc.add_paragraph()
    f = p.paragraph_format
    f.alignment = align
    f.first_line_indent = first_line
    f.left_indent = left
    f.space_before, f.space_after = Pt(before), Pt(after)
    if line is not None:
        f.line_spacing_rule, f.line_spacing = WD_LINE_SPACING.EXACTLY, line
    f.keep_with_next = keep_with_next
    return p


def _set_defaults(doc: DocumentObject) -> None:
    """Normal style and document defaults: explicit fonts (not the theme's), zh-CN, 仿宋."""
    styles = doc.styles.element
    for rpr in styles.iter(qn("w:rPr")):
        if rpr.find(qn("w:rFonts")) is not None:
            _fonts(rpr, BODY.east_asian[0])
    for lang in styles.iter(qn("w:lang")):
        lang.set(qn("w:eastAsia"), LANGUAGE)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY.size)
    _fonts(normal.element.get_or_add_rPr(), BODY.east_asian[0])


def _declare_fonts(doc: DocumentObject) -> None:
    """Add each named East Asian font to the font table with its fallbacks and the GB2312
    character set. ``w:altName`` is a comma-separated list of names "which can be used to
    locate the font" (ECMA-376 17.8.3.1)."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    table = parse_xml(part.blob)
    declared = {f.get(qn("w:name")) for f in table.findall(qn("w:font"))}
    for face in FACES:
        name = face.east_asian[0]
        if name in declared:
            continue
        declared.add(name)
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (("w:altName", ",".join(face.east_asian[1:])), ("w:charset", "86"),
                           ("w:family", face.family), ("w:pitch", "variable")):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        table.append(font)
    # python-docx loads the font table as a plain part: its XML is replaced as bytes
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page(doc: DocumentObject) -> None:
    """A4 with GB/T 9704 margins, and page numbers “— 1 —” centred in the footer."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", FOOTER)
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                              ("end", None)):
        r = _run(footer, "", FOOTER)._r
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r.append(char)
        elif instruction == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = instruction
            r.append(instr)
        else:
            r.append(_text_element(instruction))
    _run(footer, " —", FOOTER)


def _text_element(text: str):
    t = OxmlElement("w:t")
    t.text = text
    return t


# --------------------------------------------------------------------------- blocks


def _text(doc: DocumentObject, markdown: str, face: Face) -> Face:
    """Write a text block in ``face``; return the face of what follows (附注 is smaller)."""
    for kind, text in markdown_paragraphs(markdown):
        if kind == "heading":
            p = _paragraph(doc, first_line=INDENT, line=LINE, before=6, keep_with_next=True)
            _run(p, text, HEADING)
            face = NOTES if text == NOTES_HEADING else BODY
        elif kind == "title":
            p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
            _run(p, text, TITLE)
        else:
            indent = Pt(2 * face.size)
            p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY, line=Pt(face.size * 1.75),
                           **({"left": indent} if kind == "item" else {"first_line": indent}))
            _run(p, text, face)
    return face


def _cell(cell, text: str, face: Face, align) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
    _run(p, text, face)


def _text_width(text: str) -> int:
    """Width in half-em units: 2 for a Chinese character or full-width sign, 1 otherwise."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_widths(frame: pd.DataFrame, total: int = TYPE_WIDTH) -> list[int]:
    """Column widths (EMU) that share ``total`` by content: the longest cell, or half the
    header (a header may wrap onto two lines), capped so that a column of long text takes the
    room left and does not squeeze the figures."""
    natural = []
    for j, name in enumerate(frame.columns):
        longest = max((_text_width(T.cell_text(v)) for v in frame.iloc[:, j]), default=0)
        natural.append(min(max(longest, -(-_text_width(str(name)) // 2), 4), 40) + 2)
    return [total * n // sum(natural) for n in natural]


def _repeat_header(row) -> None:
    """The header row repeats on each page a long table runs over."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _table(doc: DocumentObject, table: Table) -> None:
    p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=3, keep_with_next=True)
    _run(p, table.title, TABLE_TITLE)
    if table.unit:
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.RIGHT, after=3, keep_with_next=True)
        _run(p, f"单位：{table.unit}", SMALL)
    frame = table.frame
    numeric = T.numeric_columns(frame)
    grid = doc.add_table(rows=len(frame) + 1, cols=frame.shape[1])
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, column_widths(frame), strict=True):
        column.width = width  # the grid, which LibreOffice reads ...
        for cell in column.cells:
            cell.width = width  # ... and each cell's, which Word reads
    for j, name in enumerate(frame.columns):
        _cell(grid.cell(0, j), str(name), TABLE_HEAD, WD_ALIGN_PARAGRAPH.CENTER)
    _repeat_header(grid.rows[0])
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        grid.rows[i]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row stays on one page
        for j, value in enumerate(row):
            align = WD_ALIGN_PARAGRAPH.RIGHT if numeric[j] else WD_ALIGN_PARAGRAPH.LEFT
            _cell(grid.cell(i, j), T.cell_text(value), TABLE_BODY, align)
    if table.note:
        p = _paragraph(doc, before=3)
        _run(p, table.note, SMALL)
    _paragraph(doc, after=6)  # air between a table and the next paragraph


def _chart(doc: DocumentObject, chart: Chart) -> None:
    p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6)
    p.paragraph_format.line_spacing = 1.0  # not the template's 1.15: that would add 15% to the image's height
    run = _run(p, "", BODY)
    run.add_picture(BytesIO(figure_png(chart.figure, dpi=CHART_DPI)), width=CHART_WIDTH)
    for prop in run._r.iter(qn("wp:docPr")):
        prop.set("descr", chart.title)  # the alternative text, as the HTML's alt


def report_document(report: Report) -> DocumentObject:
    """The report as a Word document (python-docx), from the same blocks as its HTML."""
    doc = Document()
    _set_defaults(doc)
    _declare_fonts(doc)
    _page(doc)
    doc.core_properties.title = _NOT_XML.sub("", report.title)
    doc.core_properties.language = LANGUAGE
    doc.core_properties.author = _NOT_XML.sub("", report.subtitle[0]) if report.subtitle else ""
    p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=12, line=Pt(36))
    _run(p, report.title, TITLE)
    for line in report.subtitle:
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, line=LINE)
        _run(p, line, BODY)
    _paragraph(doc, line=LINE)
    face = BODY
    for blocks in report.sections.values():
        for block in blocks:
            if isinstance(block, Table):
                _table(doc, block)
            elif isinstance(block, Chart):
                _chart(doc, block)
            else:
                face = _text(doc, block, face)
    return doc


def write_docx(report: Report, path: str | Path) -> Path:
    """Write the report's Word document to ``path`` (through a temporary file: never half-written)."""
    path = Path(path)
    doc = report_document(report)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".docx", dir=path.parent)
    os.close(fd)
    try:
        doc.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
