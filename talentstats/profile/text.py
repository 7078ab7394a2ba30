"""Normalising the Chinese text that towns type: labels, unit names, headers."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["chinese_count", "decode_name", "normalize_label", "printable", "safe_text", "to_simplified"]

# Traditional characters seen in unit names and form labels, mapped to simplified. Kept small
# and explicit: only characters that occur in our unit names, aliases and form vocabulary.
_TRAD = str.maketrans(
    {
        "東": "东", "萬": "万", "龍": "龙", "瀝": "沥", "橫": "横", "頭": "头", "橋": "桥", "謝": "谢",
        "崗": "岗", "黃": "黄", "廈": "厦", "鳳": "凤", "嶺": "岭", "長": "长", "門": "门", "區": "区",
        "鎮": "镇", "陽": "阳", "園": "园", "態": "态", "歷": "历", "開": "开", "發": "发", "會": "会",
        "員": "员", "單": "单", "報": "报", "導": "导", "組": "组", "辦": "办", "處": "处", "業": "业",
        "專": "专", "資": "资", "級": "级", "總": "总", "數": "数", "計": "计", "產": "产", "湧": "涌",
        "廠": "厂", "灣": "湾", "親": "亲", "們": "们", "經": "经", "營": "营", "農": "农", "實": "实",
        "術": "术", "職": "职", "稱": "称", "歲": "岁", "學": "学", "碩": "硕", "層": "层", "藝": "艺",
        "領": "领", "軍": "军", "創": "创", "財": "财", "費": "费", "預": "预", "際": "际", "獎": "奖",
        "勵": "励", "臺": "台", "務": "务", "護": "护", "險": "险", "陳": "陈", "劉": "刘", "張": "张",
        "楊": "杨", "趙": "赵", "黨": "党", "華": "华", "鄉": "乡", "鎭": "镇",
    }
)

_NUMBERING = re.compile(
    r"^\s*(?:"
    r"[（(][一二三四五六七八九十\d]+[)）]"  # （一） (1)
    r"|[一二三四五六七八九十]+[、.．]"  # 一、
    r"|\d+(?:\.\d+)*[、.．)）](?!\d)"  # 1.  1、 1.2.
    r")\s*"
)
# Footnote marks that towns attach to a label (党政人才*, 专业技术人才①, 高技能人才², …（注1）): not
# part of the name. Removed before NFKC, which would turn ① and ² into digits.
_FOOTNOTE_MARKS = re.compile(
    r"[（(\[【〔]\s*注\s*[\d\u2460-\u2473]*\s*[)）\]】〕]"  # （注） （注1） [注] 【注②】
    r"|[\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]"  # ① ⑴ ⒈ ❶ ㉑
    r"|[\u00b9\u00b2\u00b3\u2070-\u209f]"  # ¹ ² ³ ⁴ ₁
    r"|[*＊※†‡#＃△▲☆★]"
)
_PREFIXES = ("其中：", "其中:", "其中", "补充资料：", "补充资料:", "补充资料", "注：")
_SPACE = re.compile(r"\s+")


_CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_count(n: int) -> str:
    """A count of 0-99 in Chinese numerals, as in 六支人才队伍: 6 -> '六', 12 -> '十二'."""
    if not 0 <= n < 100:
        raise ValueError(f"chinese_count supports 0-99, got {n}")
    tens, ones = divmod(n, 10)
    if not tens:
        return _CHINESE_DIGITS[ones]
    return f"{'' if tens == 1 else _CHINESE_DIGITS[tens]}十{_CHINESE_DIGITS[ones] if ones else ''}"


def to_simplified(text: str) -> str:
    """Map the traditional characters we know of to simplified ones."""
    return text.translate(_TRAD)


def normalize_label(text: object) -> str:
    """Reduce an item, column or unit label to a key for matching.

    NFKC (full-width digits, colons and spaces become ASCII), traditional to simplified, no
    whitespace, no footnote marks (``*``, ``①``, ``²``, ``（注）``), no leading numbering such as
    ``1.`` or ``（一）``, no ``其中：`` or ``补充资料：`` prefix, no trailing colon. ``None``
    becomes ``""``.

    >>> normalize_label("　其中：高级职称 ")
    '高级职称'
    >>> normalize_label("（一）党政人才")
    '党政人才'
    >>> normalize_label("专业技术人才①（注）")
    '专业技术人才'
    """
    if text is None:
        return ""
    s = _FOOTNOTE_MARKS.sub("", str(text))
    s = unicodedata.normalize("NFKC", s)
    s = to_simplified(s)
    s = _SPACE.sub("", s)
    for _ in range(3):
        before = s
        s = _NUMBERING.sub("", s)
        for p in _PREFIXES:
            s = s.removeprefix(unicodedata.normalize("NFKC", p))
        if s == before:
            break
    return s.rstrip(":：")


def decode_name(name: str | bytes) -> str:
    """A file name as text that can be printed, logged and stored as UTF-8.

    A name that is not UTF-8 on disk (a Windows zip unpacked on Linux leaves GBK bytes) reaches
    Python as surrogate escapes (``os.fsdecode``), which no UTF-8 file or terminal accepts. Its
    bytes are decoded as GBK when they are valid GBK, else as UTF-8 with U+FFFD for each bad
    byte. A name that is already proper text is returned as it is.

    >>> decode_name(b"\\xb6\\xab\\xdd\\xb8.xlsx")
    '东莞.xlsx'
    >>> decode_name("\\udcff1.xlsx")
    '\\ufffd1.xlsx'
    """
    if isinstance(name, str):
        try:
            name.encode("utf-8")
            return name
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "surrogateescape")
    else:
        raw = bytes(name)
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


# C0 and C1 control characters but tab and newline, and the bidirectional overrides that
# reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """Text that cannot drive a terminal: a name decoded (``decode_name``), control
    characters (ESC, BEL, CR, ...) and bidirectional overrides removed."""
    return _CONTROL.sub("", decode_name("" if text is None else str(text)))


def safe_text(text: object) -> str:
    """Text from a submission, ready to go into a Rich string or table cell: ``printable``,
    then with Rich markup escaped, so ``[/x]`` or ``[link=…]`` is printed as it is.

    >>> safe_text("[green]ok[/green]\\x1b]0;title\\x07")
    '\\\\[green]ok\\\\[/green]]0;title'
    """
    from rich.markup import escape

    return escape(printable(text))
