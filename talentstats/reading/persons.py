"""The persons of a roster (TR4) below its header row, as the rules and the pseudonymiser
take them."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from talentstats.model import SheetGrid
from talentstats.reading.clean import parse_report_date
from talentstats.reading.grid import is_blank, text_of
from talentstats.reading.layout import index_row
from talentstats.reading.vocabulary import Vocabulary, is_footer_row

_BIRTH_YM = re.compile(r"((?:19|20)\d{2})[年\-./](\d{1,2})(?:月|[\-./]\d{1,2}日?|月\d{1,2}日)?")
_BIRTH_DIGITS = re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})?")


def _birth_text(v: object) -> object:
    """出生年月 as 'YYYY-MM' where it can be read, else the raw text (the rules flag it)."""
    if (  # already 'YYYY-MM' (what the regex below would give back unchanged)
        isinstance(v, str)
        and len(v) == 7
        and v[4] == "-"
        and v[:2] in ("19", "20")
        and v.isascii()
        and v[:4].isdigit()
        and "01" <= v[5:] <= "12"
        and v[5:].isdigit()
    ):
        return v
    if isinstance(v, (datetime, date)):
        return f"{v.year:04d}-{v.month:02d}"
    if isinstance(v, float) and not v.is_integer() and 1900 < v < 2100:
        # 1980.05 is May; 1980.1 is how Excel keeps a typed 1980.10, so October
        y, dec = repr(v).split(".")
        m = int(dec) * 10 if len(dec) == 1 else int(dec) if len(dec) == 2 else 0
        return f"{y}-{m:02d}" if 1 <= m <= 12 else text_of(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        n = float(v)
        if 190001 <= n <= 210012 and n.is_integer():
            y, m = divmod(int(n), 100)
            return f"{y:04d}-{m:02d}" if 1 <= m <= 12 else text_of(v)
        if 19000101 <= n <= 21001231 and n.is_integer():
            y, m = int(n) // 10000, int(n) // 100 % 100
            return f"{y:04d}-{m:02d}" if 1 <= m <= 12 else text_of(v)
        d = parse_report_date(n)
        return f"{d.year:04d}-{d.month:02d}" if d else text_of(v)
    s = unicodedata.normalize("NFKC", str(v)).strip().replace(" ", "")
    m2 = _BIRTH_YM.fullmatch(s)
    if m2 and 1 <= int(m2.group(2)) <= 12:
        return f"{m2.group(1)}-{int(m2.group(2)):02d}"
    m3 = _BIRTH_DIGITS.fullmatch(s)
    if m3 and 1 <= int(m3.group(2)) <= 12:
        return f"{m3.group(1)}-{m3.group(2)}"
    return s


def _roster_value(key: str, v: object) -> object:
    if isinstance(v, str) and key != "birth":
        return v.strip() or None
    if is_blank(v):
        return None
    if key == "birth":
        return _birth_text(v)
    if key == "id_number":
        if isinstance(v, str):
            return v.strip()
        return text_of(v)  # a number: 15-digit IDs survive, 18-digit ones come out unreadable
    return text_of(v)


def read_roster(sheet: SheetGrid, header: tuple[int, dict[int, str]],
                 lex: Vocabulary) -> tuple[list[dict[str, object]], list[int]]:
    """The persons below the header, and the hidden rows that hold one (never read)."""
    hr, cols = header
    hidden: list[int] = []
    fields = sorted(cols.items())
    seq_col = next((c for c, k in fields if k == "seq"), None)
    # per field: (column, key, is 出生年月, counts as content: the 序号 alone makes no person)
    plan = [(c, key, key == "birth", key != "seq") for c, key in fields]
    out: list[dict[str, object]] = []
    cells = sheet.cells
    for r in range(hr + 1, len(cells)):
        row = cells[r]
        n = len(row)
        if not n or row.count("") == n:
            continue  # an empty row: no person, and neither the footer nor the index row
        seq = row[seq_col] if seq_col is not None and seq_col < n else None
        # a person's row is numbered; only an unnumbered row can be the footer
        if not isinstance(seq, float | int) and is_footer_row(cells, r, lex):
            break
        if r <= hr + 2 and index_row(row, set(), len(cols) + 2) is not None:
            continue
        if r in sheet.hidden_rows:
            hidden.append(r)
            continue
        rec: dict[str, object] = {}
        content = False
        for c, key, birth, counts in plan:
            v = row[c] if c < n else ""
            if isinstance(v, str):
                v = (_birth_text(v) if v.strip() else None) if birth else (v.strip() or None)
            elif isinstance(v, float) and not birth and v.is_integer() and -1e15 < v < 1e15:
                v = str(int(v))  # what _roster_value gives (through text_of)
            elif v is None:
                pass
            else:
                v = _roster_value(key, v)
            rec[key] = v
            if counts and v is not None:
                content = True
        if content:
            rec["row"] = r + 1
            out.append(rec)
    return out, hidden
