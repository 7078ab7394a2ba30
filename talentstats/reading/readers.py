"""Reading submitted workbooks safely: sniff, pre-flight, read, and isolate the parser.

The first stage of the ingest. A town's file is untrusted: it may be renamed, corrupt,
encrypted, empty, or hostile (a zip bomb, an XML bomb, or a tiny xlsx with one cell at
``XFD1048576`` that makes calamine allocate 512 GiB and abort the process, calamine #693).
So a file goes through three gates:

1. ``sniff``: the real format from the bytes (zip members, OLE2 directory), never the extension;
2. ``preflight``: cheap checks before any parser sees the file (size, zip member count,
   declared and per-member inflated size, compression ratio, declared and actual sheet extent,
   DTD/ENTITY declarations);
3. ``read_workbook``, called in a worker of ``talentstats.reading.executor.IsolatedExecutor``: a pool
   of long-lived child processes, each with an address-space limit, and a timeout per file. A
   child that dies or hangs costs its file only.

Cell values (``SheetGrid.cells``) are what python-calamine gives: ``str``, ``float``, ``int``,
``bool``, ``""`` for an empty cell. Dates are turned into ISO strings, because the grid holds
plain scalars only: a date is ``"2017-01-20"``, a datetime ``"2017-01-20 08:30:00"`` (or
``"2017-01-20"`` at midnight), a time ``"08:30:00"``, a duration its ``str()``. Rows and
columns are 0-based from A1 (empty leading rows and columns are kept), so ``model.cell_ref``
gives the address a town sees.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

from talentstats.errors import TalentstatsError
from talentstats.model import SheetGrid, WorkbookGrid, cell_ref

__all__ = [
    "MAX_CELLS",
    "MAX_FILE_BYTES",
    "MAX_MEMBER_RATIO",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ZIP_MEMBERS",
    "UnreadableFile",
    "preflight",
    "read_workbook",
    "sniff",
]

# --- Limits -----------------------------------------------------------------------------------
# A town's workbook holds four small forms (about 30 x 15 cells each) and a roster of some
# hundreds of persons: 20-200 KB. The limits leave a wide margin above that and stay far below
# what would hurt a worker with a 1.5 GB address space.

#: Largest file accepted (bytes). The biggest plausible submission (a roster of thousands of
#: persons with formatting) is a few MB; a 30 MB file is not a town's statistical return.
MAX_FILE_BYTES = 30 * 1024 * 1024
#: Most members in an xlsx package. A workbook has ~10-30 parts (sheets, styles, rels, theme,
#: a few images); thousands of members only inflate the central directory.
MAX_ZIP_MEMBERS = 1_000
#: Sum of the members' declared inflated sizes. Sheet XML is ~10x its compressed size, so 150
#: MB is ~5x what the largest accepted file can honestly hold; a zip bomb declares far more.
MAX_UNCOMPRESSED_BYTES = 150 * 1024 * 1024
#: Largest inflated/compressed ratio of one member, checked on members above
#: ``RATIO_MIN_BYTES`` (tiny parts compress arbitrarily well). Real sheet XML reaches 10-50:1;
#: a long run of one character deflates at ~1000:1, the classic bomb.
MAX_MEMBER_RATIO = 150
RATIO_MIN_BYTES = 1024 * 1024
#: Largest sheet area (rows x columns from A1, declared or actual). calamine allocates 32
#: bytes per cell of the area before it gives anything back, and ``to_python`` builds a Python
#: list of the same size: 5 M cells is ~160 MB + ~40 MB, well inside the worker's limit, and
#: 10,000 x the largest real form. A cell at XFD1048576 is 17 G cells (512 GiB). The actual
#: areas of all sheets together are held to the same limit (many sheets, or sheets sharing one
#: part, each under it).
MAX_CELLS = 5_000_000
#: How much of each XML part is read to find a DTD: the prolog comes before the root element.
PROLOG_BYTES = 64 * 1024

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# Reasons, in the words a town's statistician reads in the feedback.
_RE_SEND = "，请用 Excel 或 WPS 打开确认后另存为 .xlsx 重新报送"


class UnreadableFile(TalentstatsError):
    """A submission that cannot be read; ``reason`` is the Chinese text for the finding (X01)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- Sniffing ---------------------------------------------------------------------------------


def _ole2_directory(
    f: io.BufferedIOBase, size: int
) -> tuple[dict[str, tuple[int, int, int]], list[int], Callable[[int], bytes], bytes]:
    """The OLE2 (compound file) directory: entry name -> (type, start sector, size), with the
    FAT, a sector reader and the header (for ``_ole2_stream``).

    A minimal reader of the compound file header, FAT and directory chain; every chain walk is
    bounded by the number of sectors, so a looping or truncated file ends with ``ValueError``.
    """
    f.seek(0)
    header = f.read(512)
    if len(header) < 512 or header[:8] != _OLE2_MAGIC:
        raise ValueError("not an OLE2 file")
    sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise ValueError("bad sector size")
    ssize = 1 << sector_shift
    n_sectors = max(0, (size - ssize) // ssize + 1)
    first_dir = struct.unpack_from("<I", header, 0x30)[0]
    first_difat, n_difat = struct.unpack_from("<II", header, 0x44)
    difat = list(struct.unpack_from("<109I", header, 0x4C))

    def read_sector(n: int) -> bytes:
        if n >= n_sectors:
            raise ValueError("sector out of range")
        f.seek((n + 1) * ssize)
        data = f.read(ssize)
        if len(data) < ssize:
            raise ValueError("truncated sector")
        return data

    per = ssize // 4
    sector, seen = first_difat, 0
    while sector < 0xFFFFFFFA and seen < min(n_difat, n_sectors):
        words = struct.unpack(f"<{per}I", read_sector(sector))
        difat.extend(words[:-1])
        sector, seen = words[-1], seen + 1
    fat: list[int] = []
    for s in difat:
        if s >= 0xFFFFFFFA:
            continue
        fat.extend(struct.unpack(f"<{per}I", read_sector(s)))

    entries: dict[str, tuple[int, int, int]] = {}
    sector, steps = first_dir, 0
    while sector < 0xFFFFFFFA:
        steps += 1
        if steps > n_sectors or sector >= len(fat):
            raise ValueError("directory chain broken")
        data = read_sector(sector)
        for off in range(0, ssize, 128):
            entry = data[off : off + 128]
            name_len = struct.unpack_from("<H", entry, 64)[0]
            kind = entry[66]
            if kind == 0 or not 2 <= name_len <= 64:
                continue
            name = entry[: name_len - 2].decode("utf-16-le", errors="replace")
            start, low = struct.unpack_from("<II", entry, 116)
            entries.setdefault(name, (kind, start, low))
        sector = fat[sector]
    return entries, fat, read_sector, header


def _ole2_stream(f: io.BufferedIOBase, size: int, names: Sequence[str]) -> bytes | None:
    """The content of the first stream called one of ``names``, or None if there is none.

    Streams under the header's cutoff (4096 bytes) live in the mini stream (64-byte sectors
    inside the root entry's chain, listed by the mini FAT). Chains are bounded as in
    ``_ole2_directory``; a broken one raises ``ValueError``.
    """
    entries, fat, read_sector, header = _ole2_directory(f, size)
    name = next((n for n in names if n in entries and entries[n][0] == 2), None)
    if name is None:
        return None
    _, start, length = entries[name]

    def chain(first: int, table: list[int]) -> list[int]:
        out, sector = [], first
        while sector < 0xFFFFFFFA:
            if len(out) >= len(table) or sector >= len(table):
                raise ValueError("stream chain broken")
            out.append(sector)
            sector = table[sector]
        return out

    if length >= struct.unpack_from("<I", header, 0x38)[0]:
        return b"".join(read_sector(n) for n in chain(start, fat))[:length]
    per = len(read_sector(0)) // 4 if fat else 0
    minifat: list[int] = []
    for n in chain(struct.unpack_from("<I", header, 0x3C)[0], fat):
        minifat.extend(struct.unpack(f"<{per}I", read_sector(n)))
    root = next((e for e in entries.values() if e[0] == 5), None)
    if root is None:
        raise ValueError("no root entry")
    container = b"".join(read_sector(n) for n in chain(root[1], fat))
    return b"".join(container[m * 64 : m * 64 + 64] for m in chain(start, minifat))[:length]


# BIFF records that hold one cell (row, column first): FORMULA, LABELSST, NUMBER, RK, BLANK,
# BOOLERR, LABEL, RSTRING, and the BIFF2-4 forms; and the two that span columns (row, first
# column, ..., last column in their last two bytes): MULRK, MULBLANK.
_BIFF_CELL = frozenset({0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6, 0x0406,
                        0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0206})
_BIFF_SPAN = frozenset({0x00BD, 0x00BE})


def _xls_extents(stream: bytes) -> list[tuple[int, int]]:
    """Per substream of a BIFF Workbook stream: (declared area, actual area) from A1.

    The declared area is the DIMENSIONS record's (calamine allocates it before reading a
    cell: a 5 KB .xls declaring 2^31 rows aborts it, as calamine #693 does for xlsx); the
    actual area spans the cell records. The BIFF fields allow 65,536 x 65,536 cells or more,
    so the format does not bound them.
    """
    out: list[tuple[int, int]] = []
    declared = rows = cols = 0
    pos, end = 0, len(stream)
    while pos + 4 <= end:
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        body = pos + 4
        if body + rlen > end:
            break
        if rtype == 0x0809 or rtype in (0x0009, 0x0209, 0x0409):  # BOF: a new substream
            declared = rows = cols = 0
        elif rtype == 0x000A:  # EOF
            out.append((declared, rows * cols))
            declared = rows = cols = 0
        elif rtype == 0x0200:  # DIMENSIONS: BIFF8 32-bit rows, BIFF5/7 16-bit
            if rlen >= 14:
                first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", stream, body)
            elif rlen >= 8:
                first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", stream, body)
            else:
                first_row = last_row = first_col = last_col = 0
            if first_row > last_row or first_col > last_col:  # calamine's size wraps around
                declared = max(declared, 1 << 48)
            else:
                declared = max(declared, last_row * last_col)
        elif rtype in _BIFF_CELL and rlen >= 4:
            r, c = struct.unpack_from("<HH", stream, body)
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        elif rtype in _BIFF_SPAN and rlen >= 6:
            r = struct.unpack_from("<H", stream, body)[0]
            c = struct.unpack_from("<H", stream, body + rlen - 2)[0]
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        pos = body + rlen
    if declared or rows:
        out.append((declared, rows * cols))
    return out


def _check_xls(path: Path, data: bytes | None) -> str | None:
    """The declared and actual extent of every sheet of an .xls (``_xls_extents``)."""
    raw = path.read_bytes() if data is None else data
    try:
        stream = _ole2_stream(io.BytesIO(raw), len(raw), ("Workbook", "Book", "WORKBOOK", "BOOK"))
    except (ValueError, struct.error):
        return _KIND_REASONS["corrupt"]
    total = 0
    for i, (declared, actual) in enumerate(_xls_extents(stream or b"")):
        if declared > MAX_CELLS:
            return (f"第{i}个工作表声明的数据范围过大或异常（约 {declared:,} 个单元格，上限 {MAX_CELLS:,}），"
                    "疑似恶意构造的文件")
        if actual > MAX_CELLS:
            return (f"第{i}个工作表有单元格位于很远的位置，数据范围约 {actual:,} 个单元格"
                    f"（上限 {MAX_CELLS:,}），疑似恶意构造的文件")
        total += actual
        if total > MAX_CELLS:
            return (f"各工作表数据范围合计约 {total:,} 个单元格（上限 {MAX_CELLS:,}），"
                    "疑似恶意构造的文件")
    return None


def sniff(path: str | os.PathLike[str]) -> str:
    """The real format of a file, from its content, never its extension.

    Returns
    -------
    str
        ``xlsx``, ``xlsm`` (macro-enabled package), ``xls`` (OLE2 with a Workbook/Book stream),
        ``encrypted`` (OLE2 holding an EncryptedPackage: a password-protected xlsx), ``ods``,
        ``xlsb``, ``empty`` (0 bytes), ``corrupt`` (a zip or OLE2 container that cannot be
        opened, e.g. truncated), ``unknown`` (anything else: text, HTML, PDF, a Word file).
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return "empty"
    with path.open("rb") as f:
        head = f.read(8)
        if head.startswith(_ZIP_MAGICS):
            return _sniff_zip(f)
        if head == _OLE2_MAGIC:
            try:
                names = set(_ole2_directory(f, size)[0])
            except (ValueError, struct.error, OSError):
                return "corrupt"
            if "EncryptedPackage" in names:
                return "encrypted"
            if names & {"Workbook", "Book", "WORKBOOK", "BOOK"}:
                return "xls"
            return "unknown"
    return "unknown"


def _head(path: Path, n: int = 8) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


# What a damaged zip package raises, from zipfile and zlib.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
)


def _sniff_zip(f: io.BufferedIOBase) -> str:
    try:
        with zipfile.ZipFile(f) as z:
            return _zip_kind(z)
    except _ZIP_ERRORS:
        return "corrupt"


def _zip_kind(z: _Package | zipfile.ZipFile) -> str:
    """The kind of an opened zip package (see ``sniff``)."""
    try:
        names = z.NameToInfo
        if "xl/workbook.xml" in names:
            if "xl/vbaProject.bin" in names:
                return "xlsm"
            types = (
                _read_head(z, "[Content_Types].xml", PROLOG_BYTES)
                if "[Content_Types].xml" in names
                else b""
            )
            return "xlsm" if b"macroEnabled.main+xml" in types else "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        if "mimetype" in names and _read_head(z, "mimetype", 100).startswith(
            b"application/vnd.oasis.opendocument.spreadsheet"
        ):
            return "ods"
        return "unknown"
    except _ZIP_ERRORS:
        return "corrupt"


def _read_head(z: _Package | zipfile.ZipFile, member: str, n: int) -> bytes:
    fast = _fast_member(z, member, n)
    if fast is not None:
        return fast
    with z.open(member) as m:
        return m.read(n)


def _read_member(z: _Package | zipfile.ZipFile, member: str) -> bytes:
    """A whole member, as ``z.read`` gives it (same checks: size and CRC-32)."""
    fast = _fast_member(z, member, None)
    return fast if fast is not None else z.read(member)


class _Member:
    """One member as the central directory describes it: the ``zipfile.ZipInfo`` fields used
    here, under the same names, then the name's bytes and the fields a local header repeats."""

    __slots__ = (
        "filename", "orig_filename", "flag_bits", "compress_type", "CRC", "compress_size",
        "file_size", "header_offset", "create_version", "create_system", "internal_attr",
        "external_attr", "raw_name", "version", "time", "date",
    )
    extra = comment = b""  # a plain package has neither (``_central_directory``)


class _Package:
    """A plain zip package held in memory, its central directory parsed once
    (``_central_directory``). It answers as the ``zipfile.ZipFile`` of the same bytes would:
    ``NameToInfo``, ``infolist``, and ``open`` and ``read``, which that ZipFile serves."""

    def __init__(self, data: bytes, members: list[_Member]):
        self._ts_data = data
        self._ts_full: dict[str, bytes] = {}  # members inflated whole once, by name
        self._ts_exact: set[str] = set()  # those whose data ends at their size
        self.NameToInfo = {m.filename: m for m in members}
        self._members = members
        self._zip: zipfile.ZipFile | None = None

    def infolist(self) -> list[_Member]:
        return self._members

    def _zipfile(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = zipfile.ZipFile(io.BytesIO(self._ts_data))
        return self._zip

    def open(self, member: str) -> Any:
        return self._zipfile().open(member)

    def read(self, member: str) -> bytes:
        return self._zipfile().read(member)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IBBHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_MAX_EXTRACT_VERSION = 63  # zipfile's: it refuses members that need a later version


def _central_directory(data: bytes) -> list[_Member] | None:
    """The members of a plain package, as ``zipfile.ZipFile`` lists them; None for anything
    else, which zipfile then parses (and refuses) itself.

    Plain: the end record is the last 22 bytes (no archive comment, no Zip64 records), the
    central directory ends right where it starts (nothing prepended to the package), holds the
    number of entries the end record gives on disk 0, and its entries have no extra fields or
    comments, names that decode, distinct names, and versions zipfile accepts. zipfile reads
    such a directory without error, to the same fields.
    """
    end = len(data) - _END_RECORD.size
    if end < 20:
        return None
    sig, disk, cd_disk, n_disk, n_all, cd_size, cd_off, comment_len = _END_RECORD.unpack_from(
        data, end
    )
    if (
        sig != 0x06054B50
        or disk
        or cd_disk
        or n_disk != n_all
        or comment_len
        or cd_off + cd_size != end
        or data[end - 20 : end - 16] == b"PK\x06\x07"  # a Zip64 locator: zipfile's affair
    ):
        return None
    members: list[_Member] = []
    pos = cd_off
    for _ in range(n_all):
        if pos + 46 > end:
            return None
        (sig, create_version, create_system, version, flags, method, time_, date_, crc, csize,
         size, name_len, extra_len, comment_len, _disk, internal, external,
         offset) = _CENTRAL_HEADER.unpack_from(data, pos)
        if (
            sig != 0x02014B50
            or extra_len
            or comment_len
            or version & 0xFF > _MAX_EXTRACT_VERSION
            or pos + 46 + name_len > end
        ):
            return None
        raw_name = data[pos + 46 : pos + 46 + name_len]
        try:
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        m = _Member()
        m.raw_name, m.orig_filename = raw_name, name
        m.filename = name.split("\0", 1)[0]  # as zipfile.ZipInfo cuts it
        m.flag_bits, m.compress_type, m.CRC = flags, method, crc
        m.compress_size, m.file_size, m.header_offset = csize, size, offset
        m.create_version, m.create_system = create_version, create_system
        m.internal_attr, m.external_attr = internal, external
        m.version, m.time, m.date = version, time_, date_
        members.append(m)
        pos += 46 + name_len
    if pos != end or len({m.filename for m in members}) != len(members):
        return None
    return members


def _open_zip(data: bytes) -> _Package | zipfile.ZipFile:
    """A package held in memory; its members are then read without zipfile's per-member cost.
    A plain package's directory is parsed here (``_Package``), any other by zipfile."""
    members = _central_directory(data)
    if members is not None:
        return _Package(data, members)
    z = zipfile.ZipFile(io.BytesIO(data))
    z._ts_data = data
    z._ts_full = {}  # members inflated whole once, by name
    z._ts_exact = set()  # those whose data ends at their size
    return z


#: Members up to this size are kept once inflated whole (for the prolog check, then the sheet
#: scan, then calamine's copy of the package, ``_parser_copy``).
_FULL_READ_BYTES = 1 << 20


def _fast_member(z: _Package | zipfile.ZipFile, member: str, n: int | None) -> bytes | None:
    """The first ``n`` bytes of a member (all of it when None), inflated straight from the
    package bytes of ``_open_zip``; None to let zipfile read it (and raise as it does).

    Only the plain case is taken: stored or deflated, not encrypted, the local header where the
    central directory says, with the same name; the output must have the declared size (and,
    for a whole member, the declared CRC-32). Anything else goes through zipfile unchanged.
    A member read whole is kept (up to ``_FULL_READ_BYTES``), and marked exact when its
    compressed data ends where its declared size does (``_parser_copy`` may then store it).
    """
    data = getattr(z, "_ts_data", None)
    if data is None:
        return None
    full = z._ts_full
    whole = full.get(member)
    if whole is not None:
        return whole if n is None else whole[:n]
    info = z.NameToInfo.get(member)
    if info is None:
        return None
    if (
        n is not None
        and n < info.file_size <= _FULL_READ_BYTES
        and member.startswith("xl/worksheets/")
    ):
        whole = _fast_member(z, member, None)  # the prolog check, then the scan, read it
        if whole is not None:
            return whole[:n]
    if info.flag_bits & 0x61 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    off = info.header_offset
    header = data[off : off + 30]
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    name = data[off + 30 : off + 30 + name_len]
    raw_name = getattr(info, "raw_name", None)  # a _Member's: both decodings are one-to-one
    if raw_name is not None:
        if name != raw_name:
            return None
    else:
        try:
            if name.decode("utf-8" if info.flag_bits & 0x800 else "cp437") != info.orig_filename:
                return None
        except UnicodeDecodeError:
            return None
    start = off + 30 + name_len + extra_len
    comp = data[start : start + info.compress_size]
    if len(comp) != info.compress_size:
        return None
    want = info.file_size if n is None else min(n, info.file_size)
    exact = False
    if want == 0:
        out = b""
    elif info.compress_type == zipfile.ZIP_STORED:
        out = comp[:want]
        exact = len(comp) == want
    else:
        inflater = zlib.decompressobj(-15)
        try:
            out = inflater.decompress(comp, want)
        except zlib.error:
            return None
        if len(out) == info.file_size:  # does the stream end here? (ask for one byte more)
            try:
                more = inflater.decompress(inflater.unconsumed_tail, 1)
            except zlib.error:
                more = b"?"
            exact = not more and inflater.eof and not inflater.unused_data
    if len(out) != want:
        return None
    if want == info.file_size:
        if zlib.crc32(out) != info.CRC:
            return None
        if info.file_size <= _FULL_READ_BYTES:
            full[member] = out
            if exact:
                z._ts_exact.add(member)
    return out


#: calamine gets the file as it came when the parts to store would exceed this.
_PARSER_COPY_BYTES = 16 << 20


def _parser_copy(z: _Package | zipfile.ZipFile) -> bytes | None:
    """The package for calamine, with the members the pre-flight inflated whole stored
    uncompressed (calamine then does not inflate them again); None to give it the file as it
    came.

    Only a plain package (``_Package``) is rebuilt, and only if each local header repeats its
    central directory entry byte for byte (no extra field) and no member is encrypted or has a
    data descriptor: a package that any zip reader sees as zipfile does. A member is stored
    only when its compressed data inflates to exactly its declared size and CRC-32
    (``_fast_member``); every other member is copied as it is (header, name and compressed
    bytes). So calamine reads from every member the bytes it would read from the file, and
    fails on the same members.
    """
    if not isinstance(z, _Package):
        return None
    data, full, exact = z._ts_data, z._ts_full, z._ts_exact
    if not exact or sum(len(full[m]) for m in exact) > _PARSER_COPY_BYTES:
        return None
    pieces: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for m in z.infolist():
        if m.flag_bits & ~0x806 or m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return None  # only UTF-8 names and deflate options
        off, name = m.header_offset, m.raw_name
        start = off + 30 + len(name)
        local = _LOCAL_HEADER.pack(
            0x04034B50, m.version, m.flag_bits, m.compress_type, m.time, m.date, m.CRC,
            m.compress_size, m.file_size, len(name), 0,
        )
        if data[off : off + 30] != local or data[off + 30 : start] != name:
            return None
        flags, method, csize = m.flag_bits, m.compress_type, m.compress_size
        if m.filename in exact:
            body = full[m.filename]
            flags, method, csize = flags & 0x800, zipfile.ZIP_STORED, len(body)
            pieces += (
                _LOCAL_HEADER.pack(
                    0x04034B50, m.version, flags, method, m.time, m.date, m.CRC, csize,
                    m.file_size, len(name), 0,
                ),
                name,
                body,
            )
        else:
            body = data[start : start + csize]
            if len(body) != csize:
                return None
            pieces += (local, name, body)
        directory += (
            _CENTRAL_HEADER.pack(
                0x02014B50, m.create_version, m.create_system, m.version, flags, method, m.time,
                m.date, m.CRC, csize, m.file_size, len(name), 0, 0, 0, m.internal_attr,
                m.external_attr, offset,
            ),
            name,
        )
        offset += 30 + len(name) + csize
    n = len(directory) // 2
    cd = b"".join(directory)
    pieces += (cd, _END_RECORD.pack(0x06054B50, 0, 0, n, n, len(cd), offset, 0))
    return b"".join(pieces)


# --- Pre-flight -------------------------------------------------------------------------------

_KIND_REASONS = {
    "empty": "文件为空（0 字节），请重新报送",
    "corrupt": "文件已损坏（压缩包或复合文档结构不完整，可能未完整上传或复制）" + _RE_SEND,
    "encrypted": "文件设置了打开密码（已加密），无法读取，请取消密码后重新报送",
    "ods": "不支持 OpenDocument 表格（.ods）格式" + _RE_SEND,
    "xlsb": "不支持 Excel 二进制工作簿（.xlsb）格式" + _RE_SEND,
}

# A namespace prefix of a tag: ``<x:c>`` occurs in files written by some .NET libraries.
_P = rb"(?:[A-Za-z_][\w.-]*:)?"
_ATTR_R_ROW = re.compile(rb"\br=\"(\d+)\"")
_ATTR_R_CELL = re.compile(rb"\br=\"([A-Za-z]{1,3})(\d+)\"")
_ATTR_T = re.compile(rb"\bt=\"(\w+)\"")
_HIDDEN = re.compile(rb"\bhidden=\"(?:1|true)\"")
_HAS_CONTENT = re.compile(rb"<" + _P + rb"(?:v|is|f)[\s/>]")
_HAS_F = re.compile(rb"<" + _P + rb"f[\s/>]")
_HAS_V = re.compile(rb"<" + _P + rb"v[\s/>]")
_V_TEXT = re.compile(rb"<" + _P + rb"v>[^<]")
_DIMENSION = re.compile(rb"<" + _P + rb"dimension\s+ref=\"([^\"]*)\"")
_REF = re.compile(r"^([A-Za-z]{1,3})?(\d+)?$")
_CLOSE_TAG = re.compile(rb"</" + _P + rb"(?:c|row)>")
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# The fast path of _scan_sheet: no prefixes, every <row> and <c> has r="...".
_SLOW_CHUNK = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row|f|v)\b|<(?:c|row)(?:>|/>|\s(?![^>]*\br=\"))")
# Which path a chunk takes, by a few scans that each start on a literal (C-level skipping):
# ``_TAGS`` finds a <c> tag that does not start with ``r="`` and a letter, or a <row> tag that
# does not start with ``r="`` and a digit (no attributes, whitespace other than one space,
# another attribute first, a malformed reference), where positions follow the previous element
# or calamine refuses the reference, and, for the fast path, formula tags and hidden rows;
# ``_MAYBE_PREFIXED`` then ``_SLOW_CHUNK``: a prefixed cell, row, formula or value tag;
# ``_ODD_R``, an ``r`` attribute spelled otherwise than ``r="A1"`` within ZZ999 or Z9999 (or a
# row number of up to 7 digits): quotes or spaces, a large or malformed reference, or an ``r``
# that is not the first attribute of its tag, such as a second one (calamine takes a row's
# first ``r`` and a cell's last). Any of them sends the chunk cell by cell (``_scan_slow``).
# Otherwise every cell has its own plain reference, and the extent is the largest row and
# column among the cells with content (``_FAST_CELL``). ``_SMALL_R`` is ``_ODD_R`` for
# references within Z999 only: a chunk it finds nothing in (every chunk of the usual forms)
# spans at most ``_SMALL_ROWS`` x ``_SMALL_COLS``, which stands for its extent until the sheets
# together come near ``MAX_CELLS`` (``_inspect`` then asks for the real one).
_TAGS = re.compile(
    rb"<(?:c(?:[\t\r\n/>]| (?!r=\"[A-Za-z]))|row(?:[\t\r\n/>]| (?!r=\"\d)|[^>]*\bhidden=)|f[ />])"
)
_NOT_FIRST_R = rb"r(?<=[\s\"']r)(?:(?<![cw]\sr)\s*=|\s*=(?!\""
_ODD_R = re.compile(_NOT_FIRST_R + rb"(?:[A-Za-z]\d{1,4}|[A-Za-z]{2}\d{1,3}|\d{1,7})\"))")
_SMALL_R = re.compile(_NOT_FIRST_R + rb"(?:[A-Za-z]\d{1,3}|\d{1,7})\"))")
_SMALL_ROWS, _SMALL_COLS = 999, 26
_MAYBE_PREFIXED = re.compile(rb":(?:c|row|f|v)\b")
# A cell of a fast chunk that counts for the extent: its reference, if it has a body holding a
# value, inline string or formula (``_HAS_CONTENT``, the slow path's test).
_FAST_CELL = re.compile(
    rb"<c r=\"([A-Za-z]+)(\d+)\"[^>]*(?<!/)>(?=(?:(?!</c>).)*?<" + _P + rb"(?:v|is|f)[\s/>])", re.S
)
_FAST_R_CELL = re.compile(rb"r=\"([A-Za-z]+)(\d+)\"")  # at the start of a fast chunk's <c>
# Whether a chunk's markup is plain enough for the fast path (``_plain_markup``): its quotes,
# angle brackets and nothing else.
_NOT_MARKUP = bytes(range(256)).translate(None, b"<>\"'")
# The slow path reads tags as calamine's XML reader (quick-xml) does: a start tag ends at the
# first ``>`` outside quotes, single or double (an attribute value may hold ``>``); an end tag
# at its first ``>``; comments, CDATA sections and processing instructions at their own ends.
# One match of ``_SLOW_TOKEN`` skips (in C) everything up to the next <row> start tag or <c>
# element, and gives that: the row's attributes (2), or the cell's attributes (3) and its body
# (4; None if it is self-closing, or has no end tag, which calamine refuses).
_Q = rb"\"[^\"]*+\"|'[^']*+'"
_IN_TAG = rb"(?:[^>\"']++|" + _Q + rb")*+"
_NAME_END = rb"(?=[ \t\r\n/>])"
_MISC = rb"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<\?.*?(?:\?>|\Z)|<![^>]*+>"
_CELL_END = rb"</" + _P + rb"c[ \t\r\n]*>"
_CELL_BODY = (
    rb"(?:[^<]++|</(?!" + _P + rb"c[ \t\r\n]*>)[^>]*+>|<(?![/!?])" + _IN_TAG + rb">|" + _MISC + rb")*+"
)
_SLOW_TOKEN = re.compile(
    rb"(?:[^<]++|</[^>]*+>|<(?![/!?]|" + _P + rb"(?:row|c)" + _NAME_END + rb")" + _IN_TAG + rb">|"
    + _MISC + rb")*+"
    rb"(?:<" + _P + rb"(?:(row)" + _NAME_END + rb"(" + _IN_TAG + rb")>|c" + _NAME_END
    + rb"(" + _IN_TAG + rb")(?:(?<=/)>|>(" + _CELL_BODY + rb")(?:" + _CELL_END + rb"|\Z)|>)))?",
    re.S,
)
# The attributes of a tag in order, as quick-xml splits them: a quoted value is never read for
# an attribute inside it. calamine takes the first ``r`` of a <row> (``get_attribute``) and the
# last of a <c> (it reads all of a cell's attributes).
# A match with an empty first group is a quoted value skipped whole.
_ATTR_R = re.compile(rb"(?<![^ \t\r\n\"'])r\s*(=)\s*(?:\"([^\"]*)\"|'([^']*)')|" + _Q)
_CELL_REF = re.compile(rb"([A-Za-z]+)(\d+)")
_ROW_NUM = re.compile(rb"[A-Za-z]*(\d+)")  # calamine reads a row's "A5" as 5
_FAST_HIDDEN = re.compile(rb"<row\s([^>]*\bhidden=\"(?:1|true)\"[^>]*)>")
_FAST_FORMULA = re.compile(rb"<c\s([^>]*)(?<!/)>((?:(?!</c>).)*?<f[\s/>].*?)</c>", re.S)
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.S)
_COL_TAG = re.compile(rb"<col\s([^>]*)>")
_COL_MIN = re.compile(rb"\bmin=\"(\d{1,5})\"")
_COL_MAX = re.compile(rb"\bmax=\"(\d{1,5})\"")


@dataclass
class _SheetScan:
    """What one pass over a sheet's XML finds: actual extent, hidden rows, uncached formulas."""

    rows: int = 0  # 1 + the last row holding a cell with content
    cols: int = 0
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)  # 0-based inclusive ranges
    uncached: set[tuple[int, int]] = field(default_factory=set)
    declared: tuple[str, int] | None = None  # <dimension ref> and its area from A1
    bounded: bool = False  # rows and cols may be bounds (``_SMALL_R``), not the real extent


@dataclass
class _Inspection:
    kind: str
    reason: str | None = None
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> worksheet member
    scans: dict[str, _SheetScan] = field(default_factory=dict)  # sheet name -> scan
    parser_data: bytes | None = None  # what calamine reads, if not the file (_parser_copy)


def _col_index(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _scan_sheet(
    z: _Package | zipfile.ZipFile, member: str, chunk: int = 1 << 20, *, exact: bool = False
) -> _SheetScan:
    """Stream a worksheet part once, tracking positions the way a reader would.

    Cells and rows without an ``r`` attribute follow the previous one, as in calamine. Only
    cells with a body (a value, inline string or formula) count for the extent: style-only
    cells are skipped by calamine too. Chunks where every row and cell starts with a plain
    ``r`` attribute and no namespace prefix is used (what Excel, WPS and the usual libraries
    write) take a fast path of C-level regex scans; the others are walked cell by cell.
    ``exact``: the real extent of every chunk, never the bound of a small one (``_SMALL_R``).
    """
    scan = _SheetScan()
    state = [-1, -1]  # the row of the last <row>, the column of the last cell (_scan_slow)
    info = z.NameToInfo.get(member)
    if info is not None and info.file_size <= _FULL_READ_BYTES and info.file_size < chunk:
        data = _fast_member(z, member, None)
        if data is not None:  # the whole part in one piece, as the loop below would read it
            scan.declared = _declared_area(data)
            if scan.declared and scan.declared[1] > MAX_CELLS:
                return scan
            scan.hidden_cols = _hidden_cols(data)
            _scan_part(data, None, scan, exact)  # no later chunk needs where it ends
            return scan
    buf = b""
    rest: list[bytes] = []  # the rest of the part, once a cut is no longer safe
    at_start = True  # the next part scanned starts the worksheet part (its XML declaration)
    first = True
    with z.open(member) as m:
        while True:
            data = m.read(chunk)
            if first:
                scan.declared = _declared_area(data)
                first = False
                if scan.declared and scan.declared[1] > MAX_CELLS:
                    return scan  # refused on the declaration; no need to read on
                scan.hidden_cols = _hidden_cols(data)
            if rest:
                rest.append(data)
                if len(data) == chunk:
                    continue
                part = b"".join(rest)
                plain = _plain_markup(part, _decl_at(part) if at_start else -1)
            else:
                buf += data
                if len(data) == chunk:
                    cut = _last_close(buf)
                    if cut == 0:
                        continue
                    part = buf[:cut]
                    plain = _plain_markup(part, _decl_at(part) if at_start else -1)
                    if not plain:  # the cut may be inside a quoted value or a comment
                        rest, buf = [buf], b""
                        continue
                    buf = buf[cut:]
                else:
                    part, buf = buf, b""
                    plain = _plain_markup(part, _decl_at(part) if at_start else -1)
            _scan_part(part, state, scan, exact, plain)
            at_start = False
            if len(data) < chunk:
                break
    return scan


def _scan_part(
    part: bytes,
    state: list[int] | None,
    scan: _SheetScan,
    exact: bool = False,
    plain: bool | None = None,
) -> None:
    """Scan one chunk: cell by cell when it holds anything odd (see ``_TAGS`` and
    ``_plain_markup``), else fast. ``state`` is the row and column the previous chunk ended
    at, updated for the next one; None for a whole part. ``exact``: as for ``_scan_sheet``.
    ``plain``: ``_plain_markup(part)`` if the caller knows it."""
    odd = formula = hidden = False
    for m in _TAGS.finditer(part):
        tag = m.group()
        if tag.startswith(b"<f"):
            formula = True
        elif tag.endswith(b"hidden="):
            hidden = True
        else:
            odd = True
            break
    if odd or (_MAYBE_PREFIXED.search(part) and _SLOW_CHUNK.search(part)):
        _scan_slow(part, state or [-1, -1], scan)
        return
    small = not _SMALL_R.search(part)  # every reference plain, single and within Z999
    if small and not exact:
        # The bound needs no tag read to its end: every ``r`` of the chunk, quoted or not, is
        # small and the first of a <c> or <row> (and a <c> without one is odd), so no cell is
        # beyond it whatever a quoted ``>`` hides. The position the chunk ends at is read from
        # tags, but a chunk with a next one is plain (``_scan_sheet`` cuts only those).
        scan.rows, scan.cols = max(scan.rows, _SMALL_ROWS), max(scan.cols, _SMALL_COLS)
        scan.bounded = True
    elif (not small and _ODD_R.search(part)) or not (
        _plain_markup(part, _decl_at(part)) if plain is None else plain
    ):
        _scan_slow(part, state or [-1, -1], scan)
        return
    else:  # the extent is read from the cells' tags: no quoted ``>`` may fool ``[^>]*``
        _fast_extent(part, scan)
    _scan_fast(part, state, scan, formula=formula, hidden=hidden)


def _fast_extent(part: bytes, scan: _SheetScan) -> None:
    """The extent of a fast chunk: the largest row and column among its cells with content."""
    found = _FAST_CELL.findall(part)
    if found:
        letters, digits = zip(*found, strict=True)
        scan.rows = max(scan.rows, max(map(int, set(digits))))
        scan.cols = max(scan.cols, max(map(_col_index, set(letters))) + 1)


def _cached(attrs: bytes, body: bytes) -> bool:
    """Whether a formula cell carries a cached value (t="str" with an empty <v> is "")."""
    if _V_TEXT.search(body):
        return True
    t = _ATTR_T.search(attrs)
    return bool(t and t.group(1) == b"str" and _HAS_V.search(body))


def _first_r(attrs: bytes) -> bytes | None:
    """The value of the first ``r`` attribute of a tag (any spacing and quoting), or None."""
    for eq, dq, sq in _ATTR_R.findall(attrs):
        if eq:
            return dq or sq
    return None


def _last_r(attrs: bytes) -> bytes | None:
    """The value of the last ``r`` attribute of a tag (any spacing and quoting), or None."""
    for eq, dq, sq in reversed(_ATTR_R.findall(attrs)):
        if eq:
            return dq or sq
    return None


def _decl_at(part: bytes) -> int:
    """Where a part's XML declaration may start: after a byte order mark, if any."""
    return 3 if part.startswith(b"\xef\xbb\xbf") else 0


def _plain_markup(part: bytes, start: int = -1) -> bool:
    """Whether every ``<`` of a chunk opens a tag that the first ``>`` after it closes, with
    its quotes in pairs: no ``>`` or ``<`` inside a quoted value, a comment or a text, so the
    fast path's ``[^>]*`` finds the end of every tag, and every ``</c>`` is one.

    The chunk reduced to its quotes and angle brackets, with each ``""`` and then each ``''``
    taken out, must be ``<>`` repeated: a quoted value holding ``>`` leaves a quote (its
    opening one cannot pair with the quote before it, the run of quotes from the tag's ``<``
    being odd) or two ``<`` or ``>`` in a row. A few C-level passes over the chunk. Nor may
    it hold a comment, CDATA section, DOCTYPE or processing instruction (which end otherwise
    than at a ``>``), but for the XML declaration at ``start`` (-1: none allowed)."""
    if b"<!" in part or part.find(b"<?", start + 1) >= 0:
        return False
    s = part.translate(None, _NOT_MARKUP).replace(b'""', b"").replace(b"''", b"")
    return s.count(b"<>") * 2 == len(s)


def _scan_slow(part: bytes, state: list[int], scan: _SheetScan) -> None:
    """Walk a chunk cell by cell. ``state`` is where the previous chunk ended: the row of the
    last ``<row>`` and the column of the last cell, both 0-based.

    Cells are placed as calamine places them: a cell by its own reference, else at the next
    column of the last cell, in the row of its ``<row>`` (not the row of an earlier cell's own
    reference); a ``<row>`` without ``r`` follows the previous ``<row>``.
    """
    row, col = state
    for tok in _SLOW_TOKEN.finditer(part):
        if tok.group(1):  # <row ...>
            attrs = tok.group(2)
            v = _first_r(attrs)
            r = _ROW_NUM.fullmatch(v) if v is not None else None
            row = int(r.group(1)) - 1 if r else row + 1
            col = -1
            if _HIDDEN.search(attrs):
                scan.hidden_rows.add(row)
            continue
        attrs, body = tok.group(3), tok.group(4)
        if attrs is None:  # the end of the chunk
            continue
        v = _last_r(attrs)
        r = _CELL_REF.fullmatch(v) if v is not None else None
        if r:
            col, at = _col_index(r.group(1)), int(r.group(2)) - 1
        else:
            col, at = col + 1, row
        if not body or not _HAS_CONTENT.search(body):
            continue
        scan.rows = max(scan.rows, at + 1)
        scan.cols = max(scan.cols, col + 1)
        if _HAS_F.search(body) and not _cached(attrs, body):
            scan.uncached.add((at, col))
    state[:] = [row, col]


def _scan_fast(
    part: bytes,
    state: list[int] | None,
    scan: _SheetScan,
    *,
    formula: bool = True,
    hidden: bool = True,
) -> None:
    """A chunk where every <c> and <row> starts with its one plain ``r`` (``_scan_part``,
    which has counted its extent): hidden rows, uncached formulas, and the position the chunk
    ends at (``state``; None for a whole part)."""
    if hidden:
        for attrs in _FAST_HIDDEN.findall(part):
            scan.hidden_rows.add(int(_ATTR_R_ROW.match(attrs).group(1)) - 1)
    if formula:  # <f>, <f .../>: not <formula1> of validations
        for cell in _FAST_FORMULA.finditer(part):
            attrs, body = cell.group(1), cell.group(2)
            if not _cached(attrs, body):
                r = _FAST_R_CELL.match(attrs)
                scan.uncached.add((int(r.group(2)) - 1, _col_index(r.group(1))))
    if state is None:
        return
    last_row = part.rfind(b"<row ")
    r = _ATTR_R_ROW.match(part, last_row + 5) if last_row >= 0 else None
    if r is None and last_row >= 0:
        r = _ATTR_R_ROW.search(part[last_row : part.find(b">", last_row)])
    if r:
        state[:] = [int(r.group(1)) - 1, -1]
    last_cell = part.rfind(b"<c ")
    if last_cell > last_row:
        r = _ATTR_R_CELL.search(part[last_cell : part.find(b">", last_cell)])
        if r:  # its column; the row stays its <row>'s (see _scan_slow)
            state[1] = _col_index(r.group(1))


def _last_close(buf: bytes) -> int:
    """End of the last ``</c>`` or ``</row>`` in ``buf`` (0 if none): a safe place to cut."""
    for start in (max(0, len(buf) - 65536), 0):
        last = 0
        for mt in _CLOSE_TAG.finditer(buf, start):
            last = mt.end()
        if last or start == 0:
            return last
    return 0


def _declared_area(head: bytes) -> tuple[str, int] | None:
    """The ``<dimension ref>`` near the start of a worksheet part (within its first
    ``PROLOG_BYTES``): (ref, area from A1)."""
    m = _DIMENSION.search(head, 0, PROLOG_BYTES)
    if not m:
        return None
    ref = m.group(1).decode("ascii", errors="replace")
    end = _REF.match(ref.split(":")[-1].replace("$", ""))
    if not end:
        return None
    letters, digits = end.groups()
    cols = _col_index(letters) + 1 if letters else 16384
    rows = int(digits) if digits else 1048576
    return ref, rows * cols


def _hidden_cols(head: bytes) -> list[tuple[int, int]]:
    """The hidden column ranges that ``<cols>`` declares before the sheet's data (0-based,
    inclusive)."""
    end = head.find(b"<sheetData")
    out = []
    for attrs in _COL_TAG.findall(head, 0, end if end >= 0 else len(head)):
        if not _HIDDEN.search(attrs):
            continue
        lo, hi = _COL_MIN.search(attrs), _COL_MAX.search(attrs)
        if lo and hi:
            out.append((int(lo.group(1)) - 1, int(hi.group(1)) - 1))
    return out


def _workbook_sheets(z: _Package | zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part, from xl/workbook.xml and its relationships."""
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = _read_member(z, rels_name) if rels_name in z.NameToInfo else None
    # Towns fill in the same template: these two parts repeat byte for byte across files.
    return dict(_sheets_of(_read_member(z, "xl/workbook.xml"), rels))


@lru_cache(maxsize=256)
def _sheets_of(workbook_xml: bytes, rels_xml: bytes | None) -> tuple[tuple[str, str], ...]:
    """``_workbook_sheets`` on the two parts' bytes (a pure function of them, so cached)."""
    from defusedxml import ElementTree as SafeET  # DTDs are refused before this runs

    wb = SafeET.fromstring(workbook_xml)
    targets: dict[str, str] = {}
    if rels_xml is not None:
        for rel in SafeET.fromstring(rels_xml):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            part = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            targets[rel.get("Id", "")] = part
    sheets: dict[str, str] = {}
    for el in wb.iter():
        if not el.tag.endswith("}sheet") and el.tag != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
        part = targets.get(rid or "")
        if part and part.startswith("xl/worksheets/"):
            sheets[el.get("name", "")] = part
    return tuple(sheets.items())


def _inspect(path: Path, data: bytes | None = None, *, for_parser: bool = False) -> _Inspection:
    """Sniff and check a file; ``data`` is its content when the caller has read it already.
    ``for_parser``: also give calamine's copy of an accepted package (``_parser_copy``)."""
    size = path.stat().st_size if data is None else len(data)
    if size == 0:
        return _Inspection("empty", _KIND_REASONS["empty"])
    if size > MAX_FILE_BYTES:
        return _Inspection(
            "unknown",
            f"文件过大（{size / 2**20:.1f} MB，上限 {MAX_FILE_BYTES // 2**20} MB），不像一份报表",
        )
    head = _head(path) if data is None else data[:8]
    try:
        if head.startswith(_ZIP_MAGICS):
            zf = _open_zip(path.read_bytes() if data is None else data)
        else:
            zf = None
    except Exception:  # noqa: BLE001 - a broken container is reported by its kind below
        zf = None
    kind = _zip_kind(zf) if zf is not None else sniff(path)
    if kind in _KIND_REASONS:
        if zf is not None:
            zf.close()
        return _Inspection(kind, _KIND_REASONS[kind])
    if kind == "unknown":
        return _Inspection(kind, _unknown_reason(path))
    if kind == "xls":  # the BIFF fields do not bound a sheet: check its records
        return _Inspection(kind, _check_xls(path, data))
    if zf is None:  # not reached: every non-zip kind is handled above
        return _Inspection(kind, _unknown_reason(path))
    try:
        with zf as z:
            insp = _Inspection(kind)
            insp.reason = _check_zip(z) or _check_prologs(z)
            if insp.reason:
                return insp
            insp.sheets = _workbook_sheets(z)
            seen: dict[str, str] = {}  # worksheet part -> the sheet that uses it
            total = 0  # cells of the sheets scanned so far
            exact = False  # whether the small chunks' bounds (_SMALL_R) no longer do
            for name, member in insp.sheets.items():
                if member not in z.NameToInfo:
                    continue
                if member in seen:  # Excel and WPS give every sheet its own part
                    insp.reason = (
                        f"工作表“{name}”与“{seen[member]}”指向同一数据部件（{member}），"
                        "疑似恶意构造的文件"
                    )
                    return insp
                seen[member] = name
                s = _scan_sheet(z, member, exact=exact)
                declared = s.declared
                if declared and declared[1] > MAX_CELLS:
                    insp.reason = (
                        f"工作表“{name}”声明的数据范围过大（{declared[0]}，约 {declared[1]:,} 个单元格，"
                        f"上限 {MAX_CELLS:,}），疑似恶意构造的文件"
                    )
                    return insp
                if s.rows * s.cols > MAX_CELLS:
                    insp.reason = (
                        f"工作表“{name}”有单元格位于 {cell_ref(s.rows - 1, s.cols - 1)} 一带，"
                        f"数据范围约 {s.rows * s.cols:,} 个单元格（上限 {MAX_CELLS:,}），疑似恶意构造的文件"
                    )
                    return insp
                total += s.rows * s.cols
                insp.scans[name] = s
                if total > MAX_CELLS and not exact:  # count the real extents from now on
                    exact = True
                    for n, sc in list(insp.scans.items()):
                        if sc.bounded:
                            insp.scans[n] = _scan_sheet(z, insp.sheets[n], exact=True)
                    total = sum(sc.rows * sc.cols for sc in insp.scans.values())
                if total > MAX_CELLS:  # many sheets, each under the limit
                    insp.reason = (
                        f"各工作表数据范围合计约 {total:,} 个单元格（上限 {MAX_CELLS:,}），"
                        "疑似恶意构造的文件"
                    )
                    return insp
            if for_parser:
                insp.parser_data = _parser_copy(z)
            return insp
    except UnreadableFile as e:
        return _Inspection(kind, e.reason)
    except Exception as e:  # noqa: BLE001 - any failure of a hostile container is a finding
        return _Inspection(kind, f"文件已损坏，无法读取（{type(e).__name__}）" + _RE_SEND)


def _check_zip(z: _Package | zipfile.ZipFile) -> str | None:
    infos = z.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        return (
            f"压缩包内文件数过多（{len(infos):,} 个，上限 {MAX_ZIP_MEMBERS:,}），疑似恶意构造的文件"
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        return (
            f"解压后体积过大（{total / 2**20:,.0f} MB，上限 {MAX_UNCOMPRESSED_BYTES // 2**20} MB），"
            "疑似压缩炸弹"
        )
    for i in infos:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_MEMBER_RATIO * max(
            i.compress_size, 1
        ):
            ratio = i.file_size / max(i.compress_size, 1)
            return f"压缩比异常（{i.filename} 达 {ratio:,.0f}:1，上限 {MAX_MEMBER_RATIO}:1），疑似压缩炸弹"
    return None


def _check_prologs(z: _Package | zipfile.ZipFile) -> str | None:
    """Refuse any XML part that declares a DTD or entities (billion laughs, external entities).

    A DOCTYPE can only stand in the prolog, before the root element, so the first
    ``PROLOG_BYTES`` of each part are enough; a part whose root element does not start within
    them (a padded prolog) is refused too. A part is XML by its name (.xml, .rels, .vml) or by
    its first byte (a sheet part can be named anything in the relationships).
    """
    for info in z.infolist():
        if info.file_size == 0:
            continue
        head = _read_head(z, info.filename, 1024)
        if not info.filename.endswith((".xml", ".rels", ".vml")) and not head.lstrip(
            b"\xef\xbb\xbf \t\r\n"
        ).startswith(b"<"):
            continue  # a binary part (image, vbaProject.bin); XML under any name is checked
        if not _ROOT_START.search(_COMMENT.sub(b"", head)):
            head = _read_head(z, info.filename, PROLOG_BYTES)
        upper = head.upper()
        if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
            return f"{info.filename} 含有 DTD/实体声明，疑似 XML 炸弹，已拒绝读取"
        if len(head) >= PROLOG_BYTES and not _ROOT_START.search(_COMMENT.sub(b"", head)):
            return f"{info.filename} 的 XML 开头异常，已拒绝读取"
    return None


def _unknown_reason(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype html", b"<?xml", b"<table", b"mime-version")):
        return "不是 Excel 工作簿：文件内容是网页或 XML（可能由系统导出后改了扩展名）" + _RE_SEND
    if head.startswith(b"%pdf"):
        return "不是 Excel 工作簿：文件是 PDF" + _RE_SEND
    if head.startswith(_OLE2_MAGIC):
        return "不是 Excel 工作簿：文件是其他 Office 文档（如 Word）" + _RE_SEND
    if head.startswith(_ZIP_MAGICS):
        return "不是 Excel 工作簿：文件是压缩包或其他 Office 文档" + _RE_SEND
    return "不是 Excel 工作簿（无法识别的文件格式）" + _RE_SEND


def preflight(path: str | os.PathLike[str]) -> str | None:
    """Check a file before any parser sees it.

    Sniffs the format, then for a zip package: member count, declared inflated size, per-member
    compression ratio, DTD/ENTITY declarations in the XML parts, each sheet's declared
    ``<dimension>`` (from the start of the part), and each sheet's actual extent (one streamed
    pass over its XML, because a dimension can lie: a file declaring ``A1`` with a cell at
    ``XFD1048576`` still kills calamine). For an .xls: each sheet's DIMENSIONS record and the
    extent of its cell records (one pass over the BIFF records: the fields allow far more than
    65,536 x 256 cells, and calamine allocates what DIMENSIONS declares).

    Returns
    -------
    str or None
        None when the file may be parsed, else the reason in Chinese.
    """
    return _inspect(Path(path)).reason


# --- Reading ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A calamine value as a plain scalar (dates become ISO strings, see the module doc)."""
    if isinstance(value, (str, float, int, bool)):
        return value
    if isinstance(value, datetime):
        if value.time() == dtime(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value)


_PLAIN_TYPES = frozenset({str, float, int, bool})


def _is_plain_row(row: list[Any]) -> bool:
    return set(map(type, row)) <= _PLAIN_TYPES


def read_workbook(
    path: str | os.PathLike[str], source_file: str, *, data: bytes | None = None
) -> WorkbookGrid:
    """Read every worksheet of a submission into plain values.

    Call it in an ``IsolatedExecutor`` worker: the checks make a crash unlikely, not impossible.

    Parameters
    ----------
    path
        The file on disk.
    source_file
        Its name relative to the raw folder, kept on the grid.
    data
        The file's content, when the caller has read it already (it is then read only once).

    Returns
    -------
    WorkbookGrid
        One ``SheetGrid`` per worksheet (chart and macro sheets are skipped), with merged
        ranges, visibility, hidden rows and columns and the formulas of cells that have no
        cached value (xlsx/xlsm, read with openpyxl only for files that have such cells).

    Raises
    ------
    UnreadableFile
        Empty, corrupt, encrypted, not a spreadsheet, refused by the pre-flight, or the parser
        failed.
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    path = Path(path)
    insp = _inspect(path, data, for_parser=True)
    if insp.reason:
        raise UnreadableFile(insp.reason)
    if data is None:
        data = path.read_bytes()
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(insp.parser_data or data))
    except BaseException as e:  # calamine raises its own error types and ValueError/OSError
        if not _parser_failure(e):
            raise
        raise UnreadableFile(_calamine_reason(e)) from e

    sheets: list[SheetGrid] = []
    openpyxl_wb = None
    xls_hidden: dict[str, tuple[frozenset[int], frozenset[int]]] | None = None
    with wb:
        for meta in wb.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = wb.get_sheet_by_name(meta.name)
                end = sheet.end
                if end is not None and (end[0] + 1) * (end[1] + 1) > MAX_CELLS:
                    raise UnreadableFile(
                        f"工作表“{meta.name}”数据范围过大（约 {(end[0] + 1) * (end[1] + 1):,} 个单元格，"
                        f"上限 {MAX_CELLS:,}）"
                    )
                rows = sheet.to_python(skip_empty_area=False) if end is not None else []
                merged = [
                    (r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
                ]
            except UnreadableFile:
                raise
            except BaseException as e:
                if not _parser_failure(e):
                    raise
                raise UnreadableFile(_calamine_reason(e, meta.name)) from e
            if _PLAIN_TYPES.issuperset(map(type, chain.from_iterable(rows))):
                cells = rows  # all plain (the usual case): one pass over the values in C
            else:
                cells = [row if _is_plain_row(row) else [_plain(v) for v in row] for row in rows]
            scan = insp.scans.get(meta.name)
            width = max(map(len, cells), default=0)
            if insp.kind == "xls":
                if xls_hidden is None:
                    xls_hidden = _xls_hidden(data)
                hidden_rows, hidden_cols = xls_hidden.get(meta.name, (frozenset(), frozenset()))
            else:
                hidden_rows = frozenset(scan.hidden_rows) if scan else frozenset()
                hidden_cols = frozenset(
                    c for lo, hi in (scan.hidden_cols if scan else ()) for c in range(lo, min(hi, width - 1) + 1)
                )
            formulas: dict[tuple[int, int], str] = {}
            if scan and scan.uncached:
                if openpyxl_wb is None:
                    openpyxl_wb = _load_openpyxl(data)
                formulas = _formulas(openpyxl_wb, meta.name, scan.uncached)
            sheets.append(
                SheetGrid(
                    name=meta.name,
                    cells=cells,
                    merged=merged,
                    visible=meta.visible == SheetVisibleEnum.Visible,
                    hidden_rows=hidden_rows,
                    hidden_cols=hidden_cols,
                    formulas=formulas,
                )
            )
    return WorkbookGrid(
        source_file=source_file, format=insp.kind, sheets=sheets, modified=path.stat().st_mtime
    )


def _xls_hidden(data: bytes) -> dict[str, tuple[frozenset[int], frozenset[int]]]:
    """Per sheet of an .xls, its hidden rows and columns (0-based), which calamine does not
    report: xlrd reads them with ``formatting_info``. A file xlrd cannot open gives none (calamine
    has read it; the pre-flight has bounded it)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  logfile=io.StringIO())
    except Exception:  # noqa: BLE001 - an .xls calamine reads but xlrd does not: no hidden info
        return {}
    out = {}
    try:
        for name in book.sheet_names():
            sh = book.sheet_by_name(name)
            rows = frozenset(r for r, info in sh.rowinfo_map.items() if info.hidden)
            cols = frozenset(c for c, info in sh.colinfo_map.items() if info.hidden)
            out[name] = (rows, cols)
    except Exception:  # noqa: BLE001 - as above, for one odd sheet record
        pass
    finally:
        book.release_resources()
    return out


def _parser_failure(e: BaseException) -> bool:
    """Whether ``e`` is the parser failing on the file: an exception, or a Rust panic inside
    python-calamine (pyo3's ``PanicException`` derives from ``BaseException``; a mutated .xls
    raised one, which used to kill the worker)."""
    return isinstance(e, Exception) or type(e).__name__ == "PanicException"


def _calamine_reason(e: BaseException, sheet: str | None = None) -> str:
    name = type(e).__name__
    if name == "PasswordError":
        return _KIND_REASONS["encrypted"]
    where = f"工作表“{sheet}”" if sheet else "文件"
    detail = str(e).splitlines()[0][:120] if str(e) else name
    return f"{where}已损坏或格式不正确，无法解析（{detail}）" + _RE_SEND


def _load_openpyxl(data: bytes) -> Any:
    """openpyxl in normal mode (defusedxml guards it), for formula text only."""
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except Exception as e:
        raise UnreadableFile(
            f"文件含未计算的公式，但读取公式时出错（{type(e).__name__}）" + _RE_SEND
        ) from e


def _formulas(wb: Any, sheet: str, cells: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    if sheet not in wb.sheetnames:
        return {}
    ws = wb[sheet]
    out: dict[tuple[int, int], str] = {}
    for r, c in sorted(cells):
        value = ws.cell(row=r + 1, column=c + 1).value
        text = getattr(value, "text", value)  # ArrayFormula keeps its text in .text
        if isinstance(text, str) and text:
            out[(r, c)] = text if text.startswith("=") else "=" + text
    return out
