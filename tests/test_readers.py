"""Tests of talentstats.reading.readers: sniffing, pre-flight, reading. Files built in tmp_path.

Running the reader in crash-isolated children is tested in test_executor.py.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import hostile
import openpyxl
import pytest

from talentstats.reading import readers
from talentstats.reading.readers import UnreadableFile, preflight, read_workbook, sniff

FOREIGN = Path(__file__).parent / "fixtures" / "foreign-workbooks"  # copied from shared/spec


@pytest.fixture
def form_xlsx(tmp_path: Path) -> Path:
    """A small TR1-like sheet written by openpyxl: merges, a hidden row, a formula, a date."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表1"
    ws["A1"] = "人才资源情况"
    ws.merge_cells("A1:D1")
    ws.merge_cells("B3:C3")
    ws["A4"], ws["B4"], ws["C4"] = "党政人才", "110", 12
    ws["A5"], ws["B5"], ws["C5"] = "企业经营管理人才", "120", 30.5
    ws["C6"] = "=SUM(C4:C5)"  # openpyxl writes no cached value
    ws["A7"] = "报出日期"
    ws["B7"] = openpyxl.utils.datetime.from_excel(42755)  # 2017-01-20
    ws.row_dimensions[5].hidden = True
    hidden = wb.create_sheet("备用")
    hidden.sheet_state = "hidden"
    hidden["B2"] = True
    path = tmp_path / "石龙镇2016.xlsx"
    wb.save(path)
    return path


# --- sniff ------------------------------------------------------------------------------------


def test_sniff_kinds(tmp_path: Path, form_xlsx: Path) -> None:
    xls = hostile.xls_file(tmp_path / "real.xls", [["a", 1]])
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_bytes(xls.read_bytes())
    text = tmp_path / "text.xlsx"
    text.write_text("单位,人数\n石龙镇,12\n", encoding="utf-8")
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(form_xlsx.read_bytes()[:2000])
    xlsm = hostile.raw_xlsx(tmp_path / "m.xlsx", {"表1": hostile.sheet_xml("")}, macro=True)
    docx = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    ods = tmp_path / "t.ods"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    word97 = hostile.cfb(tmp_path / "word.xls", {"WordDocument": b"x"})

    assert sniff(form_xlsx) == "xlsx"
    assert sniff(xls) == "xls"
    assert sniff(renamed) == "xls"
    assert sniff(text) == "unknown"
    assert sniff(empty) == "empty"
    assert sniff(truncated) == "corrupt"
    assert sniff(xlsm) == "xlsm"
    assert sniff(docx) == "unknown"
    assert sniff(ods) == "ods"
    assert sniff(hostile.encrypted_ooxml(tmp_path / "enc.xlsx")) == "encrypted"
    assert sniff(word97) == "unknown"


def test_sniff_real_xls_files() -> None:
    assert {sniff(p) for p in FOREIGN.glob("*.xls")} == {"xls"}
    assert sniff(FOREIGN / "xiaoqi737_R&D经费（万元）原.xlsx") == "xlsx"


# --- pre-flight -------------------------------------------------------------------------------


def test_preflight_passes_ordinary_files(form_xlsx: Path) -> None:
    assert preflight(form_xlsx) is None
    assert all(preflight(p) is None for p in FOREIGN.iterdir() if p.suffix in (".xls", ".xlsx"))


def test_preflight_refuses_zip_bomb(tmp_path: Path) -> None:
    bomb = hostile.zip_bomb(tmp_path / "bomb.xlsx", inflated_mb=210)
    assert bomb.stat().st_size < 500_000  # a few hundred KB ...
    with zipfile.ZipFile(bomb) as z:  # ... declaring over 200 MB
        assert sum(i.file_size for i in z.infolist()) > 200 * 2**20
    reason = preflight(bomb)
    assert reason is not None and "压缩炸弹" in reason


def test_preflight_refuses_high_ratio_member(tmp_path: Path) -> None:
    # under the total limit, but one member inflates ~1000:1
    bomb = hostile.zip_bomb(tmp_path / "ratio.xlsx", inflated_mb=20)
    reason = preflight(bomb)
    assert reason is not None and "压缩比异常" in reason and "xl/sharedStrings.xml" in reason


def test_preflight_refuses_declared_dimension(tmp_path: Path) -> None:
    killer = hostile.calamine_killer(tmp_path / "killer.xlsx")
    assert killer.stat().st_size < 5_000
    reason = preflight(killer)
    assert reason is not None and "A1:XFD1048576" in reason and "表1" in reason


def test_preflight_refuses_lying_dimension(tmp_path: Path) -> None:
    # declares A1 only, yet holds a value at XFD1048576: the actual extent is what counts
    liar = hostile.calamine_killer(tmp_path / "liar.xlsx", dimension="A1")
    reason = preflight(liar)
    assert reason is not None and "XFD1048576" in reason
    with pytest.raises(UnreadableFile):
        read_workbook(liar, "liar.xlsx")


def test_preflight_refuses_cells_without_r_attributes(tmp_path: Path) -> None:
    # positions follow from the previous row/cell when r is absent; 3000 rows x 2000 cells
    row = "<row>" + "<c><v>1</v></c>" * 2000 + "</row>"
    wide = hostile.raw_xlsx(
        tmp_path / "wide.xlsx", {"表1": hostile.sheet_xml("<row/>" * 2999 + row)}
    )
    reason = preflight(wide)
    assert reason is not None and "6,000,000" in reason and "BXX3000" in reason


def test_preflight_refuses_xml_bomb(tmp_path: Path) -> None:
    reason = preflight(hostile.xml_bomb(tmp_path / "lol.xlsx"))
    assert reason is not None and "xl/worksheets/sheet1.xml" in reason and "XML 炸弹" in reason


def test_preflight_reasons_for_unreadable_kinds(tmp_path: Path, form_xlsx: Path) -> None:
    empty = tmp_path / "e.xlsx"
    empty.write_bytes(b"")
    html = tmp_path / "export.xls"
    html.write_text(
        "<html><body><table><tr><td>1</td></tr></table></body></html>", encoding="utf-8"
    )
    truncated = tmp_path / "t.xlsx"
    truncated.write_bytes(form_xlsx.read_bytes()[:-100])
    assert "为空" in preflight(empty)
    assert "网页" in preflight(html)
    assert "已损坏" in preflight(truncated)
    assert "密码" in preflight(hostile.encrypted_ooxml(tmp_path / "enc.xlsx"))


# --- read_workbook ----------------------------------------------------------------------------


def test_read_workbook_values_merges_hidden(form_xlsx: Path) -> None:
    grid = read_workbook(form_xlsx, "2016/石龙镇2016.xlsx")
    assert grid.source_file == "2016/石龙镇2016.xlsx"
    assert grid.format == "xlsx"
    assert grid.modified == form_xlsx.stat().st_mtime
    assert [s.name for s in grid.sheets] == ["表1", "备用"]
    form, spare = grid.sheets
    assert form.cells[0][0] == "人才资源情况"
    assert form.cells[3] == ["党政人才", "110", 12.0]  # the grid ends at the last value (C)
    assert form.cells[4][2] == 30.5
    assert form.cells[6][:2] == ["报出日期", "2017-01-20"]
    assert sorted(form.merged) == [(0, 0, 0, 3), (2, 1, 2, 2)]
    assert form.hidden_rows == frozenset({4})
    assert form.visible and not spare.visible
    assert spare.cells == [["", ""], ["", True]]  # kept from A1: B2 stays at [1][1]
    # the formula has no cached value: calamine gives "" and the text comes from openpyxl
    assert form.formulas == {(5, 2): "=SUM(C4:C5)"}


def test_formula_with_cached_value_is_not_reported(tmp_path: Path) -> None:
    body = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c>'
        '<c r="C1"><f>A1+B1</f><v>3</v></c>'  # cached: 3
        '<c r="D1"><f>A1*B1</f></c>'  # no cached value
        '<c r="E1" t="str"><f>IF(A1&gt;5,"x","")</f><v></v></c>'  # cached empty string
        '<c r="F1"><f t="shared" ref="F1:F2" si="0">A1*10</f><v/></c></row>'  # empty v: uncached
        '<row r="2"><c r="F2"><f t="shared" si="0"/></c></row>'
    )
    path = hostile.raw_xlsx(tmp_path / "f.xlsx", {"表2": hostile.sheet_xml(body, "A1:F2")})
    sheet = read_workbook(path, "f.xlsx").sheets[0]
    assert sheet.cells[0][:3] == [1.0, 2.0, 3.0]
    assert sheet.formulas == {(0, 3): "=A1*B1", (0, 5): "=A1*10", (1, 5): "=A2*10"}


def test_no_openpyxl_for_files_without_uncached_formulas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import talentstats.reading.readers as readers

    def refuse(data: bytes) -> None:
        raise AssertionError("openpyxl loaded")

    monkeypatch.setattr(readers, "_load_openpyxl", refuse)
    body = '<row r="1" hidden="1"><c r="A1"><f>1+1</f><v>2</v></c></row><row r="3" hidden="true"><c r="B3" t="inlineStr"><is><t>人</t></is></c></row>'
    sheet = read_workbook(
        hostile.raw_xlsx(tmp_path / "c.xlsx", {"表3": hostile.sheet_xml(body)}), "c"
    ).sheets[0]
    assert sheet.cells == [[2.0, ""], ["", ""], ["", "人"]]
    assert sheet.hidden_rows == frozenset({0, 2})
    assert sheet.formulas == {}


def test_read_xlsm_and_renamed_xls(tmp_path: Path) -> None:
    xlsm = hostile.raw_xlsx(
        tmp_path / "m.xlsm",
        {"表1": hostile.sheet_xml('<row r="2"><c r="B2"><v>7</v></c></row>')},
        macro=True,
    )
    grid = read_workbook(xlsm, "m.xlsm")
    assert grid.format == "xlsm" and grid.sheets[0].cells == [["", ""], ["", 7.0]]
    xls = hostile.xls_file(
        tmp_path / "t.xls", [["填报单位：石龙镇", None], ["党政人才", 12]], sheet="人才资源"
    )
    renamed = tmp_path / "t.xlsx"
    renamed.write_bytes(xls.read_bytes())
    grid = read_workbook(renamed, "t.xlsx")
    assert grid.format == "xls"
    assert grid.sheets[0].name == "人才资源"
    assert grid.sheets[0].cells == [["填报单位：石龙镇", ""], ["党政人才", 12.0]]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FOREIGN.iterdir() if p.suffix in (".xls", ".xlsx"))
)
def test_foreign_workbooks_read(name: str) -> None:
    grid = read_workbook(FOREIGN / name, name)
    assert grid.sheets and all(s.cells for s in grid.sheets)
    assert all(len(row) == len(s.cells[0]) for s in grid.sheets for row in s.cells)


def test_foreign_workbook_details() -> None:
    grid = read_workbook(FOREIGN / "TCheck_check.xls", "TCheck_check.xls")
    assert [s.name for s in grid.sheets] == ["通信能力月报表", "区域情况统计表（三）"]
    assert (0, 0, 0, 2) in grid.sheets[0].merged
    assert len(grid.sheets[0].cells) == 88


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda p: p.write_bytes(b""), "为空"),
        (lambda p: p.write_text("not a spreadsheet", encoding="utf-8"), "不是 Excel 工作簿"),
        (hostile.encrypted_ooxml, "密码"),
        (hostile.xml_bomb, "XML 炸弹"),
        (hostile.calamine_killer, "XFD1048576"),
    ],
)
def test_read_workbook_raises_unreadable(tmp_path: Path, build, fragment: str) -> None:
    path = tmp_path / "bad.xlsx"
    build(path)
    with pytest.raises(UnreadableFile) as err:
        read_workbook(path, "bad.xlsx")
    assert fragment in err.value.reason


def test_truncated_xlsx_is_unreadable(tmp_path: Path, form_xlsx: Path) -> None:
    data = form_xlsx.read_bytes()
    for cut in (100, len(data) // 2, len(data) - 30):
        path = tmp_path / f"cut{cut}.xlsx"
        path.write_bytes(data[:cut])
        with pytest.raises(UnreadableFile, match="已损坏"):
            read_workbook(path, path.name)


def test_corrupt_sheet_part_is_unreadable(tmp_path: Path) -> None:
    path = hostile.raw_xlsx(
        tmp_path / "x.xlsx",
        {"表1": '<worksheet xmlns="x"><sheetData><row r="1"><c r="A1"><v>1</v>'},
    )
    with pytest.raises(UnreadableFile):
        read_workbook(path, "x.xlsx")


_HEAD = '<row r="1"><c r="A1"><v>1</v></c></row>'


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("tab before r", _HEAD + '<row r="1048576"><c\tr="XFD1048576"><v>1</v></c></row>'),
        ("newline before r", _HEAD + '<row r="1048576"><c\nr="XFD1048576"><v>1</v></c></row>'),
        ("single quotes", _HEAD + "<row r=\"1048576\"><c r='XFD1048576'><v>1</v></c></row>"),
        ("spaces around =", _HEAD + '<row r="1048576"><c r = "XFD1048576"><v>1</v></c></row>'),
        ("duplicate r, far one last (calamine keeps the last)", _HEAD + '<row r="2"><c r="A2" r="XFD1048576"><v>1</v></c></row>'),
    ],
)
def test_preflight_refuses_crafted_far_cells(tmp_path, case, body):
    """Spellings of a far cell that a naive regex misses; each one aborts calamine's process."""
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body, "A1")})
    reason = preflight(path)
    assert reason is not None and "上限" in reason, case


# --- the package as held in memory (internal helpers) ----------------------------------------

_INFO_FIELDS = ("filename", "orig_filename", "flag_bits", "compress_type", "CRC",
                "compress_size", "file_size", "header_offset")


def _fields(infos) -> list[tuple]:
    return [tuple(getattr(i, f) for f in _INFO_FIELDS) for i in infos]


def test_central_directory_of_a_plain_package_is_zipfiles(form_xlsx: Path) -> None:
    members = readers._central_directory(form_xlsx.read_bytes())
    assert members is not None
    with zipfile.ZipFile(form_xlsx) as z:
        assert _fields(members) == _fields(z.infolist())


def test_other_packages_are_left_to_zipfile(tmp_path: Path, form_xlsx: Path) -> None:
    data = form_xlsx.read_bytes()
    commented = tmp_path / "comment.xlsx"
    commented.write_bytes(data)
    with zipfile.ZipFile(commented, "a") as z:
        z.comment = b"x"
    extra = tmp_path / "extra.xlsx"
    with zipfile.ZipFile(form_xlsx) as src, zipfile.ZipFile(extra, "w") as dst:
        for info in src.infolist():
            info.extra = b"\x55\x54\x05\x00\x01\x00\x00\x00\x00"  # an extended timestamp
            dst.writestr(info, src.read(info))
    for other in (commented.read_bytes(), extra.read_bytes(), b"MZ" * 50 + data):
        assert readers._central_directory(other) is None
        z = readers._open_zip(other)
        assert isinstance(z, zipfile.ZipFile)
        with zipfile.ZipFile(io.BytesIO(other)) as ref:
            assert _fields(z.infolist()) == _fields(ref.infolist())
    assert preflight(commented) is None and preflight(extra) is None
    assert readers._inspect(extra, for_parser=True).parser_data is None  # calamine reads the file


def test_parser_copy_stores_inflated_members_and_reads_the_same(form_xlsx: Path) -> None:
    from python_calamine import CalamineWorkbook

    copy = readers._inspect(form_xlsx, for_parser=True).parser_data
    assert copy is not None
    with zipfile.ZipFile(form_xlsx) as old, zipfile.ZipFile(io.BytesIO(copy)) as new:
        assert new.namelist() == old.namelist()
        assert all(new.read(name) == old.read(name) for name in old.namelist())
        assert new.getinfo("xl/worksheets/sheet1.xml").compress_type == zipfile.ZIP_STORED

    def values(data: bytes) -> list:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as wb:
            return [(name, wb.get_sheet_by_name(name).to_python()) for name in wb.sheet_names]

    assert values(copy) == values(form_xlsx.read_bytes())


def test_parser_copy_keeps_a_member_whose_data_runs_past_its_size(tmp_path: Path) -> None:
    """A sheet whose headers declare (and checksum) only its first bytes is read to that size,
    as zipfile reads it, but is not stored: calamine gets its compressed bytes as they are."""
    member = "xl/worksheets/sheet1.xml"
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(
        "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 200)))})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        xml = z.read(member)
        info = z.getinfo(member)
    short = len(xml) - 100
    crc = zlib.crc32(xml[:short])
    struct.pack_into("<II", data, info.header_offset + 18, info.compress_size, short)
    struct.pack_into("<I", data, info.header_offset + 14, crc)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # the central directory entry of the member
        if bytes(data[pos + 46 : pos + 46 + len(member)]) == member.encode():
            struct.pack_into("<I", data, pos + 16, crc)
            struct.pack_into("<I", data, pos + 24, short)
        pos = data.find(b"PK\x01\x02", pos + 4)
    z = readers._open_zip(bytes(data))
    assert isinstance(z, readers._Package)
    assert readers._fast_member(z, member, None) == xml[:short]
    assert member not in z._ts_exact
    assert readers._fast_member(z, "xl/workbook.xml", None)
    assert "xl/workbook.xml" in z._ts_exact
    with zipfile.ZipFile(io.BytesIO(readers._parser_copy(z))) as copy:
        kept = copy.getinfo(member)
        assert (kept.compress_type, kept.file_size, kept.CRC) == (zipfile.ZIP_DEFLATED, short, crc)
        assert copy.getinfo("xl/workbook.xml").compress_type == zipfile.ZIP_STORED


# --- the real-extent scan: fast path, duplicate and malformed references ----------------------


def _cells(*refs: str) -> str:
    """Sheet data with a value in each cell, every row and cell with its own plain ``r``."""
    rows: dict[int, list[str]] = {}
    for ref in refs:
        rows.setdefault(int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), []).append(ref)
    return "".join(
        f'<row r="{r}">' + "".join(f'<c r="{ref}"><v>1</v></c>' for ref in cells) + "</row>"
        for r, cells in sorted(rows.items())
    )


def test_fast_path_counts_the_real_extent(tmp_path: Path) -> None:
    """Plain references within ZZ999 or Z9999 still span 702 x 9,999 cells together, and the
    sheets' areas add up (calamine allocated ~224 MB for the first before ``sheet.end``)."""
    far = hostile.raw_xlsx(tmp_path / "far.xlsx", {"表1": hostile.sheet_xml(_cells("ZZ1", "A9999"))})
    reason = preflight(far)
    assert reason is not None and "ZZ9999" in reason and "7,019,298" in reason
    eight = {f"表{i}": hostile.sheet_xml(_cells("ZZ999")) for i in range(8)}
    reason = preflight(hostile.raw_xlsx(tmp_path / "eight.xlsx", eight))
    assert reason is not None and "合计" in reason and "5,610,384" in reason
    seven = {f"表{i}": hostile.sheet_xml(_cells("ZZ999")) for i in range(7)}  # 4,908,906 cells
    assert preflight(hostile.raw_xlsx(tmp_path / "seven.xlsx", seven)) is None
    # small sheets stand for their bound until the sum nears the limit, then for their extent
    small = {f"表{i}": hostile.sheet_xml(_cells("A1", "B2")) for i in range(200)}
    path = hostile.raw_xlsx(tmp_path / "small.xlsx", small)
    assert preflight(path) is None
    assert {(s.rows, s.cols) for s in readers._inspect(path).scans.values()} == {(2, 2)}
    wide = {f"表{i}": hostile.sheet_xml(_cells("Z999")) for i in range(193)}  # 5,012,982 cells
    reason = preflight(hostile.raw_xlsx(tmp_path / "wide.xlsx", wide))
    assert reason is not None and "5,012,982" in reason


@pytest.mark.parametrize("chunk", [1 << 20, 40])
def test_fast_and_slow_paths_agree_on_the_extent(tmp_path: Path, chunk: int) -> None:
    body = (
        '<row r="1"><c r="A1" s="1"/><c r="B1" t="s"><v>0</v></c><c r="ZZ1" s="2"></c></row>'
        '<row r="40"><c r="C40"><f>1+1</f></c><c r="D40" s="1"/></row>'
        '<row r="99" hidden="1"><c r="F7"><is><t>x</t></is></c></row>'
    )
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body)})
    with zipfile.ZipFile(path) as z:
        fast = readers._scan_sheet(z, "xl/worksheets/sheet1.xml", chunk, exact=True)
    slow = readers._SheetScan()
    readers._scan_slow(hostile.sheet_xml(body).encode(), [-1, -1], slow)
    assert (fast.rows, fast.cols, fast.hidden_rows, fast.uncached) == (40, 6, {98}, {(39, 2)})
    assert (slow.rows, slow.cols, slow.hidden_rows, slow.uncached) == (40, 6, {98}, {(39, 2)})


@pytest.mark.parametrize(
    ("body", "extent", "hidden"),
    [
        # a cell's last r is where calamine puts it
        ('<row r="1"><c r="A1" r="C5"><v>1</v></c></row>', (5, 3), set()),
        ('<row r="1"><c r="A1" s="1"  r="C5"><v>1</v></c></row>', (5, 3), set()),
        # a row's first r is where calamine puts its cells without r (and the row it hides)
        ('<row r="2" r="3" hidden="1"><c><v>1</v></c></row>', (2, 1), {1}),
        ('<row r="3000" r="1"><c><v>1</v></c></row><row r="1"><c r="ZZ1"><v>1</v></c></row>',
         (3000, 702), set()),
    ],
)
def test_duplicate_r_is_read_as_calamine_reads_it(tmp_path: Path, body, extent, hidden) -> None:
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body)})
    assert readers._ODD_R.search(body.encode()) or readers._TAGS.search(body.encode())
    scan = readers._inspect(path).scans["表1"]
    assert ((scan.rows, scan.cols), scan.hidden_rows) == (extent, hidden)
    from python_calamine import CalamineWorkbook

    end = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表1").end
    assert (end[0] + 1, end[1] + 1) == extent


def _assert_scan_covers_calamine(path: Path, chunk: int, case: str) -> tuple[int, int]:
    """The extent the sheet scan counts, exact or bounded and in chunks of ``chunk`` bytes, is
    at least calamine's on each axis; returns calamine's (rows, columns)."""
    from python_calamine import CalamineWorkbook

    end = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表1").end
    rows, cols = end[0] + 1, end[1] + 1
    with zipfile.ZipFile(path) as z:
        for exact in (False, True):
            scan = readers._scan_sheet(z, "xl/worksheets/sheet1.xml", chunk, exact=exact)
            assert scan.rows >= rows and scan.cols >= cols, (case, exact)
    return rows, cols


# A cell without ``r`` sits in its <row>'s row, at the next column of the cell before it,
# whatever row that cell's own reference named; a <row> without ``r`` follows the one before.
_NO_R = [
    ("after a far column", '<row r="3000"><c r="A1"><v>1</v></c><c r="CU1"><v>1</v></c>'
                           '<c><v>1</v></c></row>'),
    ("in the next row", '<row r="3000"><c r="A1"><v>1</v></c><c r="B1"><v>1</v></c></row>'
                        '<row><c><v>1</v></c></row>'),
]


@pytest.mark.parametrize(("case", "body"), _NO_R)
@pytest.mark.parametrize("chunk", [1 << 20, 40])
def test_cells_without_r_are_placed_as_calamine_places_them(tmp_path: Path, case, body,
                                                            chunk) -> None:
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body)})
    rows, _ = _assert_scan_covers_calamine(path, chunk, case)
    assert rows >= 3000, case  # calamine places the last cell in row 3,000 or 3,001


# A ``>`` (or ``<``) inside a quoted attribute value does not end a tag for calamine's XML
# reader; every one of these was read short of calamine's extent by a scan that stopped at it.
_QUOTED_GT = [
    ("gt in a cell's attribute", '<row r="1"><c r="A1" x=">" r="ZZ300"><v>1</v></c></row>'),
    ("gt in single quotes", "<row r='1'><c r='A1' x='>' r='ZZ300'><v>1</v></c></row>"),
    ("gt in a row's attribute",
     '<row x=">" r="300"><c><v>1</v></c></row><row r="1"><c r="ZZ1"><v>1</v></c></row>'),
    ("gt and lt in an attribute", '<row r="1"><c r="A1" x="<>" r="ZZ300"><v>1</v></c></row>'),
    ("no space after the value", '<row r="1"><c r="A1" x=">"r="ZZ300"><v>1</v></c></row>'),
    ("self-closing in quotes", '<row r="1"><c r="ZZ300" x="/>"><v>1</v></c></row>'),
    ("end tag in quotes", '<row r="1"><c r="ZZ300" x="</c>"><v>1</v></c></row>'),
    ("gt in a value's attribute",
     '<row r="1"><c r="A1"><v x=">">1</v></c><c r="ZZ300"><v>1</v></c></row>'),
    ("r inside a quoted value", "<row r=\"1\"><c r=\"ZZ300\" x=' r=\"A1\"'><v>1</v></c></row>"),
    ("row r inside a quoted value", "<row x=' r=\"1\"' r=\"300\"><c r=\"ZZ300\"><v>1</v></c></row>"),
    ("end tag in a comment", '<row r="1"><c r="ZZ300"><!-- </c> --><v>1</v></c></row>'),
    ("quote in a comment",
     '<row r="1"><c r="A1"><!-- " --><v>1</v></c><c r="ZZ300"><v>1</v></c><!-- " --></row>'),
    ("end tag in CDATA", '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[</c>]]></t></is>'
     '</c><c r="ZZ300"><v>1</v></c></row>'),
    ("quote in a processing instruction",
     '<row r="1"><c r="A1"><?x " ?><v>1</v></c><c r="ZZ300"><v>1</v></c></row>'),
]


_FAR = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


@pytest.mark.parametrize(("case", "body"), _QUOTED_GT)
@pytest.mark.parametrize("chunk", [1 << 20, 64])
def test_quoted_gt_is_read_as_calamine_reads_it(tmp_path: Path, case, body, chunk) -> None:
    """The extent counted for each spelling is at least calamine's, by the fast path (a chunk
    whose markup is not plain goes cell by cell), the slow one, and in chunks."""
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body)})
    assert not readers._plain_markup(body.encode()) or readers._ODD_R.search(body.encode()), case
    rows, cols = _assert_scan_covers_calamine(path, chunk, case)
    slow = readers._SheetScan()
    readers._scan_slow(hostile.sheet_xml(body).encode(), [-1, -1], slow)
    assert slow.rows >= rows and slow.cols >= cols, case


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("cell", _HEAD + '<row r="2"><c r="A2" x=">" r="XFD1048576"><v>1</v></c></row>'),
        ("cell, single quotes", _HEAD + "<row r='2'><c r='A2' x='>' r='XFD1048576'><v>1</v></c></row>"),
        ("cell, no space", _HEAD + '<row r="2"><c r="A2" x="y"r="XFD1048576"><v>1</v></c></row>'),
        ("cell, r in quotes", _HEAD + "<row r=\"2\"><c r=\"XFD1048576\" x=' r=\"A2\"'><v>1</v></c></row>"),
        ("cell, self-closing in quotes",
         _HEAD + '<row r="2"><c r="XFD1048576" x="/>"><v>1</v></c></row>'),
        ("row", '<row x=">" r="1048576"><c><v>1</v></c></row><row r="1"><c r="XFD1"><v>1</v></c></row>'),
        ("a row's second r",
         '<row r="1048576" r="1"><c><v>1</v></c></row><row r="1"><c r="XFD1"><v>1</v></c></row>'),
        ("a cell without r after XFC1",
         '<row r="1048576"><c r="A1"><v>1</v></c><c r="XFC1"><v>1</v></c><c><v>1</v></c></row>'),
    ],
)
def test_no_spelling_hides_the_killer_cell(tmp_path: Path, case, body) -> None:
    """A cell calamine places at XFD1048576 (and would abort on), however its position is
    spelled: behind a quoted ``>``, a row's second ``r``, or no ``r`` after XFC1. Refused
    before parsing."""
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body, "A1")})
    reason = preflight(path)
    assert reason is not None and "XFD1048576" in reason, case


@pytest.mark.parametrize("chunk", [256, 1000, 4096])
@pytest.mark.parametrize(
    ("opening", "closing"),
    [('<row r="60"><c r="A60" x="', '" r="XFD1048576"><v>1</v></c></row>'),  # a quoted value
     ("<!-- a >", '<x a=" -->' + _FAR + '">'),  # a comment
     ("<?x a >", '<x a=" ?>' + _FAR + '">')],  # a processing instruction
)
def test_chunks_are_not_cut_inside_a_quoted_value(tmp_path: Path, chunk, opening, closing) -> None:
    """A ``</c>`` inside a quoted value, a comment or a processing instruction is no place to
    cut a long part (the next chunk would start inside it): the scan reads the rest whole."""
    def filler(rows: range) -> str:
        return "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in rows)

    body = filler(range(1, 60)) + opening + "</c>" * 300 + closing + filler(range(2000, 2060))
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body)})
    with zipfile.ZipFile(path) as z:
        scan = readers._scan_sheet(z, "xl/worksheets/sheet1.xml", chunk)
    assert (scan.rows, scan.cols) == (1_048_576, 16_384)


def test_plain_markup() -> None:
    """The fast path's test of a chunk's markup: quoted ``>`` and ``<``, markup inside comments
    and odd quotes send it cell by cell; quotes in pairs (formulas) do not."""
    assert readers._plain_markup(b'<c r="A1" s="2"><f>IF(A1="","x",\'S 1\'!B2)</f><v>1</v></c>')
    assert readers._plain_markup(b'\xef\xbb\xbf<?xml version="1.0"?><c r="A1"/>', 3)
    for odd in (b'<c r="A1" x=">">', b"<c r='A1' x='>'>", b'<c x="<>">', b'<c x="a" y=">">',
                b'<c x="\'" y=">\'">', b"<!-- </c> -->", b'<c r="A1"', b'<t>5"</t>',
                b"<!-- a -->", b'<c r="A1"/><?x ?>'):
        assert not readers._plain_markup(odd), odd
@pytest.mark.parametrize(
    "body",
    [
        '<row r="1"><c r="12"><f>1+1</f></c></row>',  # digits only, uncached formula
        '<row r="1"><c r="B1"><v>1</v></c><c r="12"><v>2</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c><c r="12"/></row>',
    ],
)
def test_malformed_reference_is_a_clear_finding(tmp_path: Path, body: str) -> None:
    """calamine refuses a cell reference without a column (or a row number with letters); the
    pre-flight walks such a chunk cell by cell and lets calamine say so."""
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body)})
    assert preflight(path) is None
    with pytest.raises(UnreadableFile) as e:
        read_workbook(path, "t.xlsx")
    assert "工作表“表1”已损坏或格式不正确" in e.value.reason
    assert "Error）" not in e.value.reason  # not a catch-all naming an exception class


def test_row_number_with_letters_is_read_as_calamine_reads_it(tmp_path: Path) -> None:
    """calamine reads a row's ``r="A5"`` as row 5: so does the pre-flight (the fast path used
    to raise AttributeError on such a hidden row)."""
    body = '<row r="A5" hidden="1"><c><v>1</v></c></row>'
    path = hostile.raw_xlsx(tmp_path / "t.xlsx", {"表1": hostile.sheet_xml(body)})
    scan = readers._inspect(path).scans["表1"]
    assert (scan.rows, scan.cols, scan.hidden_rows) == (5, 1, {4})
    grid = read_workbook(path, "t.xlsx").sheets[0]
    assert grid.cells[4] == [1.0] and grid.hidden_rows == {4}
    far = '<row r="A3000"><c><v>1</v></c></row><row r="1"><c r="ZZ1"><v>1</v></c></row>'
    path = hostile.raw_xlsx(tmp_path / "far.xlsx", {"表1": hostile.sheet_xml(far)})
    scan = readers._inspect(path).scans["表1"]
    assert (scan.rows, scan.cols) == (3000, 702)
