"""The roster of high-level talents (TR4): ID number checks and keyed pseudonyms.

A raw roster row holds a name and a citizen ID number (personal data). ``pseudonymise`` turns it
into a row that may be stored: a keyed pseudonym (HMAC-SHA256 with a secret key kept outside the
repository and the processed folder), sex, birth year and the descriptive columns, plus the check
flags the validation rules need (``id_valid``, ``birth_ok``, ``sex_ok``), computed from the ID
number while it is still in clear. Names and ID numbers never leave this module.

Assumptions written down here:

- ID numbers follow GB 11643-1999: 18 characters, 17 digits and a check character (0-9 or X).
  A 15-digit first-generation number is not valid (the form asks for 18 characters), but it is
  widened to 18 digits for the pseudonym, so the same person matches across years.
- The pseudonym is of the ID number when it has the shape of one (even with a wrong check
  digit: P01 reports that), else of name + birth year-month; with neither, it is missing.
- 出生年月 typed as the number ``1978.1`` is ambiguous (Excel drops the 0 of ``1978.10``), so
  both January and October agree with the ID number.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

from talentstats.errors import ParameterError
from talentstats.profile.forms import form
from talentstats.profile.text import normalize_label

__all__ = [
    "ID_TEXT",
    "INDUSTRY_SECTIONS",
    "birth_year_month",
    "category_item",
    "check_id_number",
    "check_key_location",
    "industry_section",
    "load_or_create_key",
    "normalize_id_number",
    "pseudonymise",
]

KEY_BYTES = 32
PERSON_CHARS = 16

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")

# GB/T 4754-2017 (and 2011) 国民经济行业分类, the 20 门类: letter -> name.
INDUSTRY_SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
# Short names towns type instead of the full 门类 name (matched after the full names).
_INDUSTRY_SHORT = {
    "农业": "A", "林业": "A", "渔业": "A", "畜牧业": "A", "采矿": "B", "制造": "C", "电力": "D",
    "燃气": "D", "建筑": "E", "批发": "F", "零售": "F", "交通运输": "G", "物流": "G", "邮政": "G",
    "住宿": "H", "餐饮": "H", "信息传输": "I", "软件": "I", "信息技术": "I", "互联网": "I",
    "金融": "J", "银行": "J", "保险": "J", "房地产": "K", "租赁": "L", "商务服务": "L",
    "科学研究": "M", "科研": "M", "技术服务": "M", "水利": "N", "环境": "N", "公共设施": "N",
    "居民服务": "O", "修理": "O", "教育": "P", "卫生": "Q", "医疗": "Q", "医院": "Q", "社会工作": "Q",
    "文化": "R", "体育": "R", "娱乐": "R", "公共管理": "S", "社会保障": "S", "社会组织": "S",
    "国际组织": "T", "IT": "I",
}


# ---------------------------------------------------------------------------------------------
# The key


def check_key_location(path: str | os.PathLike, folders: Iterable[str | os.PathLike] = ()) -> None:
    """Refuse a key file inside a folder the run uses, or inside a git repository.

    ``folders`` are the folders a run reads or writes (RAW_DIR, the processed and the reports
    folder); the default raw and processed folders are always among them.

    Raises
    ------
    ParameterError
        When the key lies inside one of them, or inside a git repository.
    """
    from talentstats.paths import inside, processed_dir, raw_dir

    path = Path(path)
    for folder in (*folders, processed_dir(), raw_dir()):
        if inside(path, folder):
            raise ParameterError(
                f"假名密钥 {path} 不能放在本次运行读写的目录 {folder} 之内 / the pseudonym key "
                f"{path} must not lie inside {folder}, a folder the run reads or writes; "
                "set TALENTSTATS_KEY_FILE or --key-file to a path outside it"
            )
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            raise ParameterError(
                f"the pseudonym key {path} must not lie inside the repository {parent}; "
                "set TALENTSTATS_KEY_FILE to a path outside it"
            )


def load_or_create_key(path: str | os.PathLike) -> bytes:
    """The secret key of the pseudonyms, created on first use.

    The key is 32 random bytes in a file of mode 0600 (its folder is created with mode 0700).
    Keep it safe and keep it the same from year to year: pseudonyms only match across years
    under the same key.

    Parameters
    ----------
    path
        Where the key lives, normally ``talentstats.paths.key_file()``.

    Raises
    ------
    ParameterError
        When the path lies inside a git repository or the raw or processed data folder, or the
        file exists but does not hold a key of 32 bytes. A key file that group or others can
        read is used, with a warning.
    """
    path = Path(path)
    check_key_location(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            import logging

            logging.getLogger(__name__).warning(
                "假名密钥 %s 可被其他用户读取（权限 %o），请执行 chmod 600 / the pseudonym key %s "
                "can be read by group or others (mode %o): chmod 600 it", path, mode, path, mode)
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ParameterError(
                f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte pseudonym key; "
                "restore the right key file (do not delete it: pseudonyms would change)"
            ) from None
        return key
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    os.chmod(path, 0o600)  # in case the umask narrowed nothing but the mode was widened
    return key


# ---------------------------------------------------------------------------------------------
# ID numbers


_WS = re.compile(r"\s+")
_YEAR4 = re.compile(r"(?:19|20)\d{2}")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    s = value if value.__class__ is str else str(value)
    if not s.isascii():  # NFKC leaves ASCII as it is
        s = unicodedata.normalize("NFKC", s)
    return s if s.isalnum() else _WS.sub("", s)  # an alphanumeric string has no whitespace


def normalize_id_number(value: object) -> str:
    """An ID number as typed, reduced to its characters: NFKC, no spaces, no leading quote, upper.

    >>> normalize_id_number(" 11010519491231002x ")
    '11010519491231002X'
    """
    return _text(value).lstrip("'").upper()


def _check_char(first17: str) -> str:
    if len(first17) != len(_WEIGHTS):
        raise ValueError("an ID number's check character is computed from 17 digits")
    # The weights are 2**(17-i) mod 11 and 13 = 2 (mod 11), so the weighted sum is 2 x the
    # digits read in base 13, mod 11: sum(map(operator.mul, map(int, first17), _WEIGHTS)).
    return _CHECK_CHARS[2 * int(first17, 13) % 11]


def check_id_number(s: object) -> bool:
    """Whether ``s`` is an 18-character ID number with a valid GB 11643 check character.

    >>> check_id_number("11010519491231002X")
    True
    >>> check_id_number("110105194912310021")
    False
    """
    n = normalize_id_number(s)
    return bool(_ID18.match(n)) and _check_char(n[:17]) == n[17]


def _id_birth(n: str) -> tuple[int, int] | None:
    """(year, month) from an 18-character ID number, if it is a real date."""
    try:
        y, m, d = int(n[6:10]), int(n[10:12]), int(n[12:14])
        if not (y >= 1 and 1 <= m <= 12 and 1 <= d <= 28):  # else a day every month has
            date(y, m, d)
    except ValueError:
        return None
    return y, m


def _pseudonym_id(n: str) -> str | None:
    """The form of an ID number that the pseudonym is taken of (18 characters), or None."""
    if _ID18.match(n):
        return n
    if _ID15.match(n):
        first17 = n[:6] + "19" + n[6:]
        return first17 + _check_char(first17)
    return None


# ---------------------------------------------------------------------------------------------
# Other fields

_YM = re.compile(r"((?:19|20)\d{2})\s*(?:[年.\-/．]\s*(\d{1,2})|(\d{2}))?")


def birth_year_month(value: object) -> tuple[int | None, tuple[int, ...]]:
    """Year and the possible months of a 出生年月 as typed.

    Returns ``(year, months)``; ``months`` is empty when no month is given, and ``(1, 10)`` for
    a number like ``1978.1``. Accepts dates, Excel serial numbers, ``1978.05``, ``1978-5``,
    ``1978年5月``, ``197805``, ``19780512``.

    >>> birth_year_month("1978年5月")
    (1978, (5,))
    >>> birth_year_month(1978.1)
    (1978, (1, 10))
    """
    if isinstance(value, datetime | date):
        return value.year, (value.month,)
    if isinstance(value, bool) or value is None:
        return None, ()
    if isinstance(value, int | float):
        if value != value:
            return None, ()
        if 1900 <= value < 2100:
            year = int(value)
            digits = repr(float(value)).partition(".")[2].rstrip("0")
            if not digits:
                return year, ()
            month = int(digits[:2]) if len(digits) >= 2 else int(digits)
            if digits == "1":  # 1978.1 may be 1978.10 with its 0 dropped
                return year, (1, 10)
            return year, (month,) if 1 <= month <= 12 else ()
        if 190001 <= value <= 210012 and float(value).is_integer():  # 197805
            year, month = divmod(int(value), 100)
            return year, (month,) if 1 <= month <= 12 else ()
        if 19000101 <= value <= 21001231 and float(value).is_integer():  # 19780512
            year, month = int(value) // 10000, int(value) // 100 % 100
            return year, (month,) if 1 <= month <= 12 else ()
        if 1 <= value < 80000:  # Excel serial date
            d = datetime(1899, 12, 30) + timedelta(days=float(value))
            return d.year, (d.month,)
        return None, ()
    m = _YM.search(_text(value))
    if not m:
        return None, ()
    year = int(m.group(1))
    month_text = m.group(2) or m.group(3)
    if not month_text:
        return year, ()
    month = int(month_text)
    return year, (month,) if 1 <= month <= 12 else ()


def _sex(value: object) -> str | None:
    s = _text(value).upper()
    if s in {"男", "男性", "M", "MALE", "1"}:
        return "男"
    if s in {"女", "女性", "F", "FEMALE", "2"}:
        return "女"
    return s or None


@cache
def _category_index() -> tuple[tuple[str, int], ...]:
    tr1 = form("TR1")
    return tuple(
        (spelling, it.code)
        for it in tr1.items
        if 110 <= it.code <= 160 and it.code % 10 == 0
        for spelling in it.spellings()
    )


def category_item(category: object) -> int | None:
    """The TR1 item (110..160) a 人才类别 names, through the TR1 item spellings, or None.

    >>> category_item("专技人才")
    130
    >>> category_item("（四）高技能人才")
    140
    """
    if category.__class__ is str:
        return _category_of_text(category)  # type: ignore[arg-type]
    return _category_of_key(normalize_label(category))


@lru_cache(maxsize=4096)
def _category_of_text(category: str) -> int | None:
    """category_item of a typed text; cached, as rosters repeat the same few categories."""
    return _category_of_key(normalize_label(category))


@lru_cache(maxsize=1024)
def _category_of_key(key: str) -> int | None:
    if not key:
        return None
    index = _category_index()
    exact = {code for spelling, code in index if spelling == key}
    if len(exact) == 1:
        return exact.pop()
    near = {code for spelling, code in index if spelling in key or (len(key) >= 2 and key in spelling)}
    return near.pop() if len(near) == 1 else None


def industry_section(value: object) -> str | None:
    """The GB/T 4754 门类 letter an industry names (``C``, ``C 制造业``, ``制造业``), else None.

    >>> industry_section("C-制造业")
    'C'
    >>> industry_section("软件和信息技术服务业")
    'I'
    """
    if value.__class__ is str:
        return _industry_of_text(value)  # type: ignore[arg-type]
    return _industry_of_key(normalize_label(value).upper())


@lru_cache(maxsize=4096)
def _industry_of_text(value: str) -> str | None:
    """industry_section of a typed text; cached, as rosters repeat the same few industries."""
    return _industry_of_key(normalize_label(value).upper())


@cache
def _section_names() -> dict[str, str]:
    return {normalize_label(v): k for k, v in INDUSTRY_SECTIONS.items()}


@lru_cache(maxsize=4096)
def _industry_of_key(s: str) -> str | None:
    """industry_section on a normalised key; cached, as rosters repeat the same few industries."""
    if not s:
        return None
    if s[0] in INDUSTRY_SECTIONS and (len(s) == 1 or not s[1].isalnum() or not s[1].isascii()):
        return s[0]
    within = {letter for name, letter in _section_names().items() if s in name and len(s) >= 2}
    if len(within) == 1:
        return within.pop()
    hits = [(len(word), letter) for word, letter in _INDUSTRY_SHORT.items() if word in s]
    best = {letter for n, letter in hits if n == max(hits)[0]} if hits else set()
    return best.pop() if len(best) == 1 else None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if value == value and float(value).is_integer() else None
    m = _YEAR4.search(_text(value))
    return int(m.group(0)) if m else None


def _str_or_none(value: object) -> str | None:
    if value.__class__ is str:
        return value.strip() or None  # type: ignore[union-attr]
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


def _hmac(key: bytes, text: str) -> str:
    return hmac.digest(key, text.encode("utf-8"), "sha256").hex()[:PERSON_CHARS]


def _keyed(key: bytes):
    """``text -> _hmac(key, text)`` for one roster: the key is hashed into an HMAC object once,
    and each text hashed on a copy of it (cheaper than ``hmac.digest`` per text)."""
    base = hmac.new(key, digestmod="sha256")
    nbytes = PERSON_CHARS // 2

    def person(text: str) -> str:
        h = base.copy()
        h.update(text.encode("utf-8"))
        return h.digest()[:nbytes].hex()

    return person


# ---------------------------------------------------------------------------------------------
# Pseudonymise


def _pseudonymise_row(raw: Mapping[str, object], key: bytes, year: int, unit_code: str) -> dict:
    n = normalize_id_number(raw.get("id_number"))
    birth_year, months = birth_year_month(raw.get("birth"))
    sex = _sex(raw.get("sex"))
    is18 = _ID18.match(n) is not None

    shaped = n if is18 else _pseudonym_id(n)
    if shaped is not None:
        person = _hmac(key, shaped)
    else:
        name = _text(raw.get("name"))
        ym = f"{birth_year}-{'/'.join(map(str, months))}" if birth_year else ""
        person = _hmac(key, f"{name}|{ym}") if name else None

    # check_id_number(n); for an 18-character n, normalising it again changes nothing
    id_valid = _check_char(n[:17]) == n[17] if is18 else check_id_number(n)
    id_birth = _id_birth(n) if is18 else None
    if id_birth is None or birth_year is None or not months:
        birth_ok = None
    else:
        birth_ok = id_birth[0] == birth_year and id_birth[1] in months
    if is18 and sex in {"男", "女"}:
        sex_ok = (int(n[16]) % 2 == 1) == (sex == "男")
    else:
        sex_ok = None
    if birth_year is None and id_birth is not None:
        birth_year = id_birth[0]

    category = _str_or_none(raw.get("category"))
    industry = _str_or_none(raw.get("industry"))
    own = _own_name(raw.get("name"))
    return {
        "year": year,
        "unit_code": unit_code,
        "person": person,
        "seq": _scrub_text(_str_or_none(raw.get("seq")), own),
        "sex": sex,
        "birth_year": birth_year,
        "education": _scrub_text(_str_or_none(raw.get("education")), own),
        "title": _scrub_text(_str_or_none(raw.get("title")), own),
        "category": _scrub_text(category, own),
        "category_item": category_item(category),
        "employer": _scrub_text(_str_or_none(raw.get("employer")), own),
        "industry": _scrub_text(industry_section(industry) or industry, own),
        "recognised_year": _int_or_none(raw.get("recognised_year")),
        "note": _scrub_text(_str_or_none(raw.get("note")), own),
        "row": raw.get("row"),
        "id_valid": id_valid,
        "birth_ok": birth_ok,
        "sex_ok": sex_ok,
    }


# The fast path. A parsed roster row holds stripped texts (or None) and its row number, and the
# same few texts recur (sex, 出生年月, 认定年份), so each text field is read through a cache
# and anything that is not text goes the general way above. Its output is that of
# ``_pseudonymise_row`` with the free-text fields scrubbed (``_scrub_text``);
# tests/test_perf_roster.py compares the two on the sample rosters.


@lru_cache(maxsize=4096)
def _birth_of_text(value: str) -> tuple[int | None, tuple[int, ...]]:
    return birth_year_month(value)


@lru_cache(maxsize=256)
def _sex_of_text(value: str) -> str | None:
    return _sex(value)


@lru_cache(maxsize=1024)
def _int_of_text(value: str) -> int | None:
    return _int_or_none(value)


def _strip_or_none(value: object) -> str | None:
    if value.__class__ is str:
        return value.strip() or None  # type: ignore[union-attr]
    return None if value is None else _str_or_none(value)


def _pseudonymise_row_fast(
    raw: Mapping[str, object], person_of: Callable[[str], str], year: int, unit_code: str
) -> dict:
    """``_pseudonymise_row`` with its free-text fields scrubbed; ``person_of`` is ``_keyed(key)``."""
    get = raw.get
    v = get("id_number")
    if v.__class__ is str and v.isascii() and v.isalnum():  # type: ignore[union-attr]
        n = v.upper()  # type: ignore[union-attr]  # what normalize_id_number gives
    else:
        n = normalize_id_number(v)
    v = get("birth")
    birth_year, months = _birth_of_text(v) if v.__class__ is str else birth_year_month(v)  # type: ignore[arg-type]
    v = get("sex")
    sex = _sex_of_text(v) if v.__class__ is str else _sex(v)  # type: ignore[arg-type]
    is18 = _ID18.match(n) is not None

    if is18:
        person = person_of(n)
        id_valid = _check_char(n[:17]) == n[17]
        id_birth = _id_birth(n)
    else:
        shaped = _pseudonym_id(n)
        if shaped is not None:
            person = person_of(shaped)
        else:
            name = _text(get("name"))
            ym = f"{birth_year}-{'/'.join(map(str, months))}" if birth_year else ""
            person = person_of(f"{name}|{ym}") if name else None
        id_valid = check_id_number(n)
        id_birth = None
    if id_birth is None or birth_year is None or not months:
        birth_ok = None
    else:
        birth_ok = id_birth[0] == birth_year and id_birth[1] in months
    if is18 and (sex == "男" or sex == "女"):
        sex_ok = (int(n[16]) % 2 == 1) == (sex == "男")
    else:
        sex_ok = None
    if birth_year is None and id_birth is not None:
        birth_year = id_birth[0]

    v = get("recognised_year")
    if v.__class__ is str:
        recognised = _int_of_text(v)  # type: ignore[arg-type]
    elif v.__class__ is float and v.is_integer():  # type: ignore[union-attr]
        recognised = int(v)  # type: ignore[arg-type]
    else:
        recognised = _int_or_none(v)
    category = _strip_or_none(get("category"))
    industry = _strip_or_none(get("industry"))
    name = _own_name(get("name"))
    return {
        "year": year,
        "unit_code": unit_code,
        "person": person,
        "seq": _free_text(get("seq"), name),
        "sex": sex,
        "birth_year": birth_year,
        "education": _free_text(get("education"), name),
        "title": _free_text(get("title"), name),
        "category": _scrub_text(category, name),
        "category_item": category_item(category),
        "employer": _free_text(get("employer"), name),
        "industry": _scrub_text(industry_section(industry) or industry, name),
        "recognised_year": recognised,
        "note": _free_text(get("note"), name),
        "row": get("row"),
        "id_valid": id_valid,
        "birth_ok": birth_ok,
        "sex_ok": sex_ok,
    }


def pseudonymise(
    rows: Iterable[Mapping[str, object]], key: bytes, *, year: int, unit_code: str
) -> list[dict]:
    """Roster rows without names or ID numbers, with a keyed pseudonym and check flags.

    Parameters
    ----------
    rows
        Raw roster dicts as the parser produces them: the TR4 field keys of forms.yaml
        (``seq``, ``name``, ``sex``, ``id_number``, ``birth``, ...) plus ``row`` (sheet row).
    key
        The secret key (``load_or_create_key``).
    year, unit_code
        Copied onto every row.

    Returns
    -------
    One dict per row with ``year, unit_code, person, seq, sex, birth_year, education, title,
    category, category_item, employer, industry, recognised_year, note, row, id_valid, birth_ok,
    sex_ok``. ``person`` is the first 16 hex characters of HMAC-SHA256(key, ID number), or of
    name and birth year-month when the ID number is unusable. ``birth_ok`` and ``sex_ok`` are
    None when they cannot be checked (no usable ID number, or the field is blank). The
    free-text fields (education ... note) hold no ID-shaped text and not the person's own name
    (``_scrub_text``).
    """
    if len(key) < 16:
        raise ParameterError("the pseudonym key is too short; use load_or_create_key()")
    person_of = _keyed(key)
    return [_pseudonymise_row_fast(r, person_of, year, unit_code) for r in rows]


#: Text shaped like a citizen ID number, in every way it is written: 18 characters (the last
#: may be X) or a first-generation 15 digits, with or without spaces or hyphens between the
#: digits (``4401 0319 7704 1722 13``, ``440902-19790324-8652``), not glued to other letters
#: or digits. Used by ``api.redact_personal`` too. A town may type one into a free-text
#: column (备注: 「配偶身份证号…」) or into 序号.
ID_TEXT = re.compile(
    r"(?<![0-9A-Za-z])\d(?:[ \-\u3000]?\d){14}(?:(?:[ \-\u3000]?\d){2}[ \-\u3000]?[\dXx])?"
    r"(?![0-9A-Za-z])"
)
_ID_TEXT_LEN = 15  # what ID_TEXT matches is at least 15 characters long: a shorter text holds none
_REDACTED = "［已删除］"


def _own_name(value: object) -> str:
    """A person's name as it is matched in their free text: NFKC, without any whitespace
    (``何　娟雪`` is ``何娟雪``); '' when shorter than 2 characters."""
    name = _text(value) if isinstance(value, str) else ""
    return name if len(name) >= 2 else ""


def _without_name(value: str, name: str) -> str:
    """``value`` with ``name`` replaced, also where it is written with spaces inside."""
    if name in value:
        return value.replace(name, _REDACTED)
    if name[0] in value and name[-1] in value:
        return re.sub(r"\s*".join(map(re.escape, name)), _REDACTED, value)
    return value


def _free_text(value: object, name: str) -> str | None:
    """``_scrub_text(_strip_or_none(value), name)`` in one call."""
    if value.__class__ is str:
        value = value.strip()  # type: ignore[union-attr]
        if not value:
            return None
    elif value is None:
        return None
    else:
        value = _str_or_none(value)
        if value is None:
            return None
    if len(value) >= _ID_TEXT_LEN:  # type: ignore[arg-type]
        value = ID_TEXT.sub(_REDACTED, value)  # type: ignore[arg-type]
    if name:
        value = _without_name(value, name)  # type: ignore[arg-type]
    return value  # type: ignore[return-value]


def _scrub_text(value: object, name: str) -> object:
    """A free-text field without ID-shaped text (``ID_TEXT``) or the person's own ``name``
    (``_own_name``: matched with or without spaces inside), so that neither reaches the
    processed roster or a message (other persons' names typed there cannot be told from
    ordinary text: docs/security.md)."""
    if value.__class__ is not str:
        return value
    if len(value) >= _ID_TEXT_LEN:  # type: ignore[arg-type]
        value = ID_TEXT.sub(_REDACTED, value)  # type: ignore[arg-type]
    if name:
        value = _without_name(value, name)  # type: ignore[arg-type]
    return value
