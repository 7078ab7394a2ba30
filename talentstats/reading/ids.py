"""Citizen ID numbers (GB 11643-1999): their check character, shape and birth date.

- An ID number has 18 characters: 17 digits and a check character (0-9 or X). A 15-digit
  first-generation number is not valid (the form asks for 18 characters), but it is widened to
  18 digits for the pseudonym, so that the same person matches across years.
- ``ID_TEXT`` finds ID-shaped text inside free text, however it is written.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

__all__ = [
    "CHECK_CHARACTERS",
    "ID_TEXT",
    "cell_text",
    "check_character",
    "check_id_number",
    "id_birth",
    "is_id_shaped",
    "normalize_id_number",
    "widened_id",
]

CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum of the 17 digits mod 11
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_WS = re.compile(r"\s+")

#: Text shaped like a citizen ID number, in every way it is written: 18 characters (the last
#: may be X) or a first-generation 15 digits, with or without spaces or hyphens between the
#: digits (``4401 0319 7704 1722 13``, ``440902-19790324-8652``), not glued to other letters
#: or digits. A town may type one into a free-text column (备注: 「配偶身份证号…」) or into 序号.
ID_TEXT = re.compile(
    r"(?<![0-9A-Za-z])\d(?:[ \-\u3000]?\d){14}(?:(?:[ \-\u3000]?\d){2}[ \-\u3000]?[\dXx])?"
    r"(?![0-9A-Za-z])"
)


def cell_text(value: object) -> str:
    """A typed value as compact text: NFKC, no whitespace; a whole float without '.0'; NaN and
    None are ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    s = value if isinstance(value, str) else str(value)
    if not s.isascii():  # NFKC leaves ASCII as it is
        s = unicodedata.normalize("NFKC", s)
    return s if s.isalnum() else _WS.sub("", s)  # an alphanumeric string has no whitespace


def normalize_id_number(value: object) -> str:
    """An ID number as typed, reduced to its characters: NFKC, no spaces, no leading quote, upper.

    >>> normalize_id_number(" 11010519491231002x ")
    '11010519491231002X'
    """
    return cell_text(value).lstrip("'").upper()


def check_character(first17: str) -> str:
    """The GB 11643 check character of an ID number's first 17 digits.

    >>> check_character("11010519491231002")
    'X'
    """
    if len(first17) != 17:
        raise ValueError("an ID number's check character is computed from 17 digits")
    # The weights 7, 9, 10, 5, ... are 2**(17-i) mod 11, and 13 = 2 (mod 11), so the weighted
    # sum is 2 x the digits read in base 13, mod 11.
    return CHECK_CHARACTERS[2 * int(first17, 13) % 11]


def is_id_shaped(n: str) -> bool:
    """Whether a normalised ``n`` has the shape of an 18-character ID number (any check)."""
    return _ID18.match(n) is not None


def check_id_number(s: object) -> bool:
    """Whether ``s`` is an 18-character ID number with a valid GB 11643 check character.

    >>> check_id_number("11010519491231002X")
    True
    >>> check_id_number("110105194912310021")
    False
    """
    n = normalize_id_number(s)
    return is_id_shaped(n) and check_character(n[:17]) == n[17]


def id_birth(n: str) -> tuple[int, int] | None:
    """(year, month) of an 18-character ID number's birth date, if it is a real date."""
    try:
        y, m, d = int(n[6:10]), int(n[10:12]), int(n[12:14])
        if not (y >= 1 and 1 <= m <= 12 and 1 <= d <= 28):  # else a day every month has
            date(y, m, d)
    except ValueError:
        return None
    return y, m


def widened_id(n: str) -> str | None:
    """A normalised ID number as 18 characters (a 15-digit one widened), or None when it has
    neither shape."""
    if _ID18.match(n):
        return n
    if _ID15.match(n):
        first17 = n[:6] + "19" + n[6:]
        return first17 + check_character(first17)
    return None
