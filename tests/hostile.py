"""Builders of benign and hostile workbooks for the readers' tests, and workers for isolation.

Everything is built from scratch into a given folder: minimal OOXML packages written with
zipfile (so a test controls every byte of a sheet part), OLE2 compound files written by hand,
and .xls files written by xlwt. The workers are module-level so child processes can import
them.
"""

from __future__ import annotations

import os
import struct
import time
import zipfile
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


# --- workers for read_isolated ------------------------------------------------------------


def echo_worker(path: str, source_file: str, tag: str) -> tuple[str, str, str]:
    """Return the file's text, unless its name says to misbehave (abort, sleep, raise)."""
    name = Path(path).name
    if name.startswith("abort"):
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
