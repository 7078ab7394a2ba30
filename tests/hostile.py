"""Builders of benign and hostile workbooks for the readers' tests, and workers for isolation.

Everything is built from scratch into a given folder: minimal OOXML packages written with
zipfile (so a test controls every byte of a sheet part), OLE2 compound files written by hand,
and .xls files written by xlwt. The workers are module-level so child processes can import
them.
"""

from __future__ import annotations

import os
import signal
import struct
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
    "{sheets}</Types>"
)
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def sheet_xml(body: str, dimension: str | None = None, after: str = "", prolog: str = "") -> str:
    """A worksheet part around ``body`` (the content of ``<sheetData>``)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{dim}<sheetData>{body}</sheetData>{after}</worksheet>'
    )


def raw_xlsx(
    path: Path,
    sheets: dict[str, str],
    *,
    macro: bool = False,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A minimal xlsx package: ``sheets`` maps sheet names to whole worksheet parts."""
    names = list(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{SHEET_CT}"/>'
        for i in range(len(names))
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        + "".join(
            f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names)
        )
        + "</sheets></workbook>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i + 1}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(names))
        )
        + "</Relationships>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            CONTENT_TYPES.format(main=XLSM_MAIN if macro else XLSX_MAIN, sheets=overrides),
        )
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        for i, n in enumerate(names):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", sheets[n])
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def calamine_killer(path: Path, dimension: str | None = "A1:XFD1048576") -> Path:
    """The 4.8 KB file of calamine #693: one value at A1 and one at XFD1048576."""
    body = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return raw_xlsx(path, {"表1": sheet_xml(body, dimension)})


def zip_bomb(path: Path, inflated_mb: int = 210) -> Path:
    """A valid-looking xlsx whose sheet part inflates to ``inflated_mb`` MB of one character."""
    raw_xlsx(path, {"表1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    chunk = b"a" * (1 << 20)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as m:
            for _ in range(inflated_mb):
                m.write(chunk)
    return path


def xml_bomb(path: Path) -> Path:
    """Billion laughs in a worksheet part."""
    lol = (
        '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return raw_xlsx(path, {"表1": sheet_xml(body, "A1", prolog=lol)})


def cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding ``streams`` at the root.

    Each stream is padded to 4096 bytes so it lives in regular sectors (no mini stream).
    Layout: sector 0 = FAT, sector 1 = directory, then the streams.
    """
    ssize = 512
    entries = [("Root Entry", 5, 0xFFFFFFFE, 0)]
    data_sectors: list[bytes] = []
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # FAT sector, directory (one sector: up to 4 entries)
    for name, content in streams.items():
        content = content.ljust(max(4096, len(content)), b"\0")
        n = -(-len(content) // ssize)
        start = len(fat)
        fat.extend(range(start + 1, start + n))
        fat.append(0xFFFFFFFE)
        data_sectors.append(content.ljust(n * ssize, b"\0"))
        entries.append((name, 2, start, len(content)))
    assert len(entries) <= 4 and len(fat) <= 128
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)  # directory at sector 1
    struct.pack_into("<I", header, 0x38, 4096)
    struct.pack_into("<IIII", header, 0x3C, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    difat = [0] + [0xFFFFFFFF] * 108
    struct.pack_into("<109I", header, 0x4C, *difat)
    fat_sector = struct.pack("<128I", *(fat + [0xFFFFFFFF] * (128 - len(fat))))
    directory = bytearray()
    for i, (name, kind, start, size) in enumerate(entries):
        e = bytearray(128)
        raw = name.encode("utf-16-le") + b"\0\0"
        e[: len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into(
            "<III",
            e,
            68,
            0xFFFFFFFF,
            0xFFFFFFFF,
            1 if kind == 5 and len(entries) > 1 else 0xFFFFFFFF,
        )
        if kind == 2:  # chain the streams as right siblings
            struct.pack_into("<I", e, 72, i + 1 if i + 1 < len(entries) else 0xFFFFFFFF)
        struct.pack_into("<II", e, 116, start, size)
        directory += e
    directory = directory.ljust(ssize, b"\0")
    path.write_bytes(bytes(header) + fat_sector + bytes(directory) + b"".join(data_sectors))
    return path


def encrypted_ooxml(path: Path) -> Path:
    """What Excel writes for a password-protected xlsx: OLE2 with EncryptionInfo + EncryptedPackage."""
    return cfb(
        path,
        {
            "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00",
            "EncryptedPackage": os.urandom(5000),
        },
    )


def xls_file(path: Path, rows: list[list[object]], sheet: str = "表1") -> Path:
    """A real BIFF8 .xls written by xlwt."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)
    wb.save(str(path))
    return path


# --- workers for IsolatedExecutor ------------------------------------------------------------


_warmed: str | None = None  # what warm_child left in this (child) process


def warm_child(folder: str, fail: bool = False) -> None:
    """An ``IsolatedExecutor`` warm-up: leaves a file named by the child's pid in ``folder``
    and remembers ``folder`` (``warmed`` tells); with ``fail``, raises instead."""
    global _warmed
    if fail:
        raise RuntimeError("warm-up failed")
    Path(folder, str(os.getpid())).write_text("warm", encoding="utf-8")
    _warmed = folder


def warmed() -> tuple[int, str | None]:
    """This child's pid and what its warm-up left."""
    return os.getpid(), _warmed


def echo_worker(path: str, source_file: str, tag: str) -> tuple[str, str, str]:
    """Return the file's text, unless its name says to misbehave (abort, kill, once, sleep,
    raise, hog)."""
    name = Path(path).name
    if name.startswith("abort"):
        os.abort()
    if name.startswith("kill"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.startswith("once") and not Path(path + ".died").exists():  # dies on the first try
        Path(path + ".died").touch()
        os.abort()
    if name.startswith("sleep"):
        time.sleep(60)
    if name.startswith("raise"):
        raise ValueError("boom")
    if name.startswith("hog"):
        b"x" * (4 << 30)  # 4 GB: over the child's address-space limit
    return source_file, tag, Path(path).read_text(encoding="utf-8")


def raw_calamine_worker(path: str, source_file: str) -> int:
    """Read with python-calamine directly, no pre-flight: the killer file aborts the child."""
    from python_calamine import CalamineWorkbook

    with open(path, "rb") as f:
        wb = CalamineWorkbook.from_filelike(f)
        return len(wb.get_sheet_by_index(0).to_python())


# --- A good workbook, and the corpus of hostile ones (test_security_hostile.py) -----------------

# A consistent small town (the figures of test_pipeline.py): every sum rule of rules.yaml holds.
# TR1: item -> (total, female, 5 education columns, 4 age columns).
GOOD_TR1 = {
    100: (1000, 430, 12, 88, 400, 300, 200, 380, 328, 209, 83),
    110: (40, 14, 0, 6, 24, 8, 2, 10, 16, 10, 4),
    120: (250, 100, 2, 20, 120, 70, 38, 90, 90, 50, 20),
    130: (420, 200, 10, 60, 220, 100, 30, 170, 130, 90, 30),
    131: (60, 20, 8, 20, 30, 2, 0, 5, 20, 25, 10),
    132: (150, 70, 2, 30, 90, 28, 0, 60, 50, 30, 10),
    133: (170, 90, 0, 10, 90, 60, 10, 90, 50, 25, 5),
    140: (260, 100, 0, 2, 30, 110, 118, 100, 80, 55, 25),
    141: (20, 5, 0, 0, 5, 10, 5, 2, 8, 7, 3),
    142: (60, 20, 0, 1, 10, 25, 24, 20, 20, 15, 5),
    143: (180, 75, 0, 1, 15, 75, 89, 78, 52, 33, 17),
    150: (20, 8, 0, 0, 2, 6, 12, 4, 8, 4, 4),
    160: (10, 8, 0, 0, 4, 6, 0, 6, 4, 0, 0),
    210: (5, 1, 2, 2, 1, 0, 0, 1, 2, 1, 1),
    220: (30, 12, 0, 4, 16, 8, 2, 10, 10, 6, 4),
    230: (8, 4, 0, 1, 4, 2, 1, 2, 3, 2, 1),
    240: (2, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0),
}
GOOD_TR2 = {300: (512345.5, 498000.0), 310: (15400.0, 14800.0), 320: (13000.25, 12500.0),
            321: (4000.0, 3900.0), 322: (3000.0, 2800.0), 323: (2000.25, 2000.0),
            324: (1500.0, 1400.0), 325: (2000.0, 2000.0), 326: (500.0, 400.0)}
GOOD_TR3 = {401: 1, 402: 1, 403: 3, 404: 2, 405: 4, 406: 2, 407: 1, 408: 5, 409: 12}


def good_values() -> dict[str, dict[tuple[int, int], object]]:
    """TR1-TR3 values of the consistent town, keyed (item, column)."""
    tr1 = {(i, c): v for i, row in GOOD_TR1.items() for c, v in enumerate(row, 1)}
    tr2 = {(i, c): v for i, row in GOOD_TR2.items() for c, v in enumerate(row, 1)}
    return {"TR1": tr1, "TR2": tr2, "TR3": {(i, 1): v for i, v in GOOD_TR3.items()}}


def good_roster(k: int = 0, **override: object) -> list[dict[str, object]]:
    """Two valid persons (TR1 240 = 2); ``k`` (0-99) makes their ID numbers distinct.

    ``override`` replaces fields of the first person (e.g. ``note='=HYPERLINK(...)'``).
    """
    from talentstats.reading.ids import check_character

    def pid(first14: str, seq: str) -> str:
        first17 = first14 + f"{k:02d}" + seq
        return first17 + check_character(first17)

    people = [
        {"seq": 1, "name": "陈国平", "sex": "男", "id_number": pid("44190019750312", "1"),
         "birth": "1975-03", "education": "博士研究生", "title": "正高级工程师",
         "category": "专业技术人才", "employer": "东莞某电子有限公司", "industry": "C",
         "recognised_year": 2012, "note": ""},
        {"seq": 2, "name": "李秀英", "sex": "女", "id_number": pid("44190019820815", "2"),
         "birth": "1982-08", "education": "硕士研究生", "title": "高级经济师",
         "category": "企业经营管理人才", "employer": "东莞某实业集团", "industry": "F",
         "recognised_year": 2013, "note": ""},
    ]
    people[0].update(override)
    return people


def good_workbook(path: Path, unit_code: str = "441900102", *, year: int = 2013, k: int = 0,
                  engine: str = "openpyxl", macro: bool = False,
                  roster: list[dict[str, object]] | None = None) -> Path:
    """A unit's filled official workbook that ingests with every form accepted.

    ``engine`` is openpyxl or xlsxwriter (.xlsx bytes) or xlwt (.xls bytes), whatever the
    suffix of ``path``; ``macro`` makes a macro-enabled package with a ``vbaProject.bin``.
    """
    import io

    from talentstats.workbooks.template import build_workbook_layouts, render_workbook

    layouts = build_workbook_layouts(year, unit_code, values=good_values(),
                                     roster=roster if roster is not None else good_roster(k))
    data = render_workbook(layouts, engine=engine, macro_enabled=macro)
    if macro:  # what Excel adds to a workbook with a VBA module (never run by the ingest)
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/vbaProject.bin", _cfb_bytes({"VBA": b"Attribute VB_Name = \"x\"\r\n"
                                                        b"Sub Auto_Open()\r\nShell \"calc\"\r\nEnd Sub"}))
        data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _cfb_bytes(streams: dict[str, bytes]) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return cfb(Path(tmp) / "x.bin", streams).read_bytes()


def _rewrite_zip(path: Path, change: Callable[[str, bytes], tuple[str, bytes] | None]) -> Path:
    """Rewrite every member through ``change(name, data)`` (None drops the member)."""
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            out = change(name, data)
            if out is not None:
                z.writestr(*out)
    return path


def _entities(kind: str) -> tuple[str, str]:
    """A DTD and the text that uses it: billion laughs, quadratic blow-up, external entity."""
    if kind == "laughs":
        dtd = '<!DOCTYPE x [<!ENTITY lol "lol">' + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)) + "]>"
        return dtd, "&lol9;"
    if kind == "quadratic":  # one 50 KB entity used 50,000 times: 2.5 GB, no nesting
        return f'<!DOCTYPE x [<!ENTITY a "{"a" * 50_000}">]>', "&a;" * 50_000
    if kind == "external":  # XXE
        return '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"
    raise ValueError(kind)


def entity_bomb(path: Path, kind: str, part: str) -> Path:
    """An xlsx whose sheet part or sharedStrings part declares entities (``_entities``)."""
    dtd, use = _entities(kind)
    if part == "sheet":
        body = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{use}</t></is></c></row>'
        return raw_xlsx(path, {"表1": sheet_xml(body, "A1", prolog=dtd)})
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{dtd}'
           f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>{use}</t></si></sst>')
    return raw_xlsx(path, {"表1": sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "A1")},
                    extra={"xl/sharedStrings.xml": sst.encode()})


def dtd_in_odd_part(path: Path, unit_code: str = "441900112") -> Path:
    """A good workbook whose form sheet lives in a part not named .xml, with a DTD declaring
    (unused) entities: calamine does not mind, defusedxml (openpyxl) refuses it."""
    good_workbook(path, unit_code)
    dtd = b'<!DOCTYPE worksheet [<!ENTITY a "a"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'

    def change(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/worksheets/sheet2.xml":
            return "xl/worksheets/sheet2.dat", dtd + data
        if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            return name, data.replace(b"worksheets/sheet2.xml", b"worksheets/sheet2.dat")
        return name, data

    return _rewrite_zip(path, change)


def lying_sizes(path: Path, inflated_mb: int = 40) -> Path:
    """A sharedStrings part that inflates to ``inflated_mb`` MB while the zip headers say 2 KB
    (so the size and ratio limits, which read the headers, do not see it)."""
    raw_xlsx(path, {"表1": sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "A1")})
    member = "xl/sharedStrings.xml"
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open(member, "w") as m:
            m.write(f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}"><si><t>'.encode())
            chunk = b"a" * (1 << 20)
            for _ in range(inflated_mb):
                m.write(chunk)
            m.write(b"</t></si></sst>")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, 2048)  # local header: uncompressed size
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # central directory entries
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + n]) == member.encode():
            struct.pack_into("<I", data, pos + 24, 2048)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))
    return path


def many_sheets(path: Path, n: int) -> Path:
    """``n`` sheets, each its own part (a member of the zip)."""
    body = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', "A1")
    return raw_xlsx(path, {f"S{i}": body for i in range(n)})


def shared_part_sheets(path: Path, n: int, rows: int = 2_000, cols: int = 10) -> Path:
    """``n`` sheets that all point at one worksheet part of ``rows`` x ``cols`` cells: each
    sheet is small, the workbook is ``n`` times that, and the zip has one sheet member."""
    letters = [chr(65 + c) for c in range(cols)]
    body = "".join(f'<row r="{r}">' + "".join(f'<c r="{x}{r}"><v>{r}</v></c>' for x in letters)
                   + "</row>" for r in range(1, rows + 1))
    raw_xlsx(path, {"表1": sheet_xml(body, f"A1:{letters[-1]}{rows}")})
    sheets = "".join(f'<sheet name="S{i}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i in range(n))
    rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{REL_NS}/worksheet" '
                   'Target="worksheets/sheet1.xml"/>' for i in range(n))

    def change(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/workbook.xml":
            return name, (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook '
                          f'xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{sheets}</sheets></workbook>'
                          ).encode()
        if name == "xl/_rels/workbook.xml.rels":
            return name, ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                          'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                          f"{rels}</Relationships>").encode()
        return name, data

    return _rewrite_zip(path, change)


def many_members(path: Path, n: int) -> Path:
    """A valid small xlsx padded with ``n`` empty members (a huge central directory)."""
    raw_xlsx(path, {"表1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', "A1")})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as z:
        for i in range(n):
            z.writestr(f"xl/media/p{i}.bin", b"")
    return path


def xls_far(path: Path, what: str) -> Path:
    """A 5.5 KB .xls that declares (``what='dimensions'``: DIMENSIONS of 2^31 rows x 65,535
    columns) or holds (``what='cell'``: an RK cell at row 65,536, column 65,536) a huge sheet.
    Either makes calamine allocate terabytes and abort, as calamine #693 does for xlsx."""
    xls_file(path, [["a", 1], ["b", 2]])
    data = bytearray(path.read_bytes())
    if what == "dimensions":
        i = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes
        struct.pack_into("<IIHH", data, i + 4, 0, 0x7FFFFFFF, 0, 0xFFFF)
    else:
        i = data.find(b"\x7e\x02\x0a\x00")  # RK, 10 bytes: row, column, xf, value
        struct.pack_into("<HH", data, i + 4, 0xFFFF, 0xFFFF)
    assert i > 0
    path.write_bytes(bytes(data))
    return path


@dataclass(frozen=True)
class Case:
    """One file of the hostile corpus and what the ingest must make of it."""

    name: str  # file name in the raw folder
    status: str  # 'unreadable' or 'accepted'
    fragment: str = ""  # a piece of the finding's message (unreadable files)
    what: str = ""  # the threat, in a few words (printed with the figures)


#: A name of 252 bytes in UTF-8 (the limit of most file systems is 255).
LONG_NAME = "企石镇2013年" + "人才资源统计报表修改稿" * 6 + "人才资源统计报表修改终.xlsx"


def hostile_corpus(folder: Path, seed: int = 20131) -> list[Case]:
    """Build the corpus into ``folder``: hostile files, and legitimate files with odd names or
    formats, each good one for its own unit. Returns what each must give."""
    import random

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, status: str, fragment: str = "", what: str = "") -> Path:
        cases.append(Case(name, status, fragment, what))
        return folder / name

    # legitimate files: each must be accepted
    good_workbook(add("石龙镇2013年人才统计报表.xlsx", "accepted", what="a good workbook"),
                  "441900102", k=1)
    good_workbook(add("茶山镇 2013 年 人才统计报表 (修改版).xlsx", "accepted", what="spaces"),
                  "441900103", k=2)
    good_workbook(add("石排镇２０１３年人才统计报表（修改）.xlsx", "accepted",
                      what="full-width characters"), "441900104", k=3)
    good_workbook(add(LONG_NAME, "accepted", what=f"a {len(LONG_NAME.encode())}-byte name"),
                  "441900105", k=4)
    good_workbook(add("=1+1横沥镇2013年报表.xlsx", "accepted", what="name starts with ="),
                  "441900106", k=5)
    good_workbook(add("-桥头镇2013年报表.xlsx", "accepted", what="name starts with -"),
                  "441900107", k=6)
    good_workbook(add("东坑镇2013年报表.xlsx", "accepted", what=".xls renamed .xlsx"),
                  "441900109", k=7, engine="xlwt")
    good_workbook(add("常平镇2013年报表.xls", "accepted", what=".xlsx renamed .xls"),
                  "441900110", k=8)
    good_workbook(add("寮步镇2013年报表.xlsm", "accepted", what=".xlsm with vbaProject.bin"),
                  "441900111", k=9, macro=True)

    # hostile files: each must end unreadable, with a finding that says why
    zip_bomb(add("zip_bomb.xlsx", "unreadable", "压缩炸弹", "zip bomb, 160 MB declared"), 160)
    zip_bomb(add("ratio_bomb.xlsx", "unreadable", "压缩比异常", "one member at ~1000:1"), 20)
    lying_sizes(add("lying_sizes.xlsx", "unreadable", "已损坏",
                    "40 MB member whose headers say 2 KB"))
    for kind, part, what in [("laughs", "sheet", "billion laughs in sheet XML"),
                             ("laughs", "sst", "billion laughs in sharedStrings"),
                             ("quadratic", "sheet", "quadratic blow-up in sheet XML"),
                             ("quadratic", "sst", "quadratic blow-up in sharedStrings"),
                             ("external", "sst", "external entity (XXE)")]:
        entity_bomb(add(f"xml_{kind}_{part}.xlsx", "unreadable", "XML 炸弹", what), kind, part)
    dtd_in_odd_part(add("樟木头镇2013年报表.xlsx", "unreadable", "XML 炸弹",
                        "DTD in a sheet part not named .xml"))
    raw_xlsx(add("million_rows_declared.xlsx", "unreadable", "A1:Z1048576",
                 "sheet declaring 1,048,576 rows x 26 columns"),
             {"表1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:Z1048576")})
    calamine_killer(add("far_cell.xlsx", "unreadable", "XFD1048576",
                        "one cell at XFD1048576 (calamine #693)"), dimension="A1")
    xls_far(add("xls_declared_dimensions.xls", "unreadable", "声明的数据范围过大",
                ".xls whose DIMENSIONS declare 2^31 rows"), "dimensions")
    xls_far(add("xls_far_cell.xls", "unreadable", "很远的位置",
                ".xls with a cell at row 65,536, column 65,536"), "cell")
    many_sheets(add("thousands_of_sheets.xlsx", "unreadable", "文件数过多", "1,200 sheets"), 1_200)
    shared_part_sheets(add("shared_part_sheets.xlsx", "unreadable", "同一",
                           "3,000 sheets sharing one 20,000-cell part"), 3_000)
    many_members(add("many_members.xlsx", "unreadable", "文件数过多", "50,000 zip members"),
                 50_000)
    encrypted_ooxml(add("encrypted.xlsx", "unreadable", "密码", "password-protected (OLE2)"))
    good = (folder / "石龙镇2013年人才统计报表.xlsx").read_bytes()
    add("truncated.xlsx", "unreadable", "已损坏", "truncated").write_bytes(good[: len(good) // 2])
    add("random_bytes.xlsx", "unreadable", "不是 Excel 工作簿", "random bytes").write_bytes(
        rng.randbytes(20_000))
    add("random_zip.xlsx", "unreadable", "已损坏", "zip magic, then random bytes").write_bytes(
        b"PK\x03\x04" + rng.randbytes(20_000))
    add("random_ole2.xls", "unreadable", "已损坏", "OLE2 magic, then random bytes").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(20_000))
    add("empty.xlsx", "unreadable", "为空", "zero bytes").write_bytes(b"")
    add("网页另存.xls", "unreadable", "网页", "HTML saved as .xls").write_text(
        "<html><body><table><tr><td>1</td></tr></table></body></html>", encoding="utf-8")
    with open(add("huge.xlsx", "unreadable", "文件过大", "a 31 MB file"), "wb") as f:
        f.truncate(31 * 2**20)  # sparse: costs no disk
    return cases


# --- workers measuring themselves -----------------------------------------------------------


def measured_process_file(path: str, source_file: str, key: bytes) -> tuple[object, int, float]:
    """``ingest.process_file`` in a fresh child, with the child's peak RSS (KiB) and the time.

    Returns the outcome (or the exception that escaped, as a value), ``ru_maxrss`` and seconds.
    """
    import resource

    from talentstats.reading import ingest

    start = time.perf_counter()
    try:
        out: object = ingest.process_file(path, source_file, key)
    except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
        out = e
    elapsed = time.perf_counter() - start
    return out, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, elapsed
