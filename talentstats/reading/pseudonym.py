"""A roster row (TR4) as it may be stored: a keyed pseudonym instead of a name and ID number.

``pseudonymise`` turns raw roster rows into rows without personal data: a keyed pseudonym
(HMAC-SHA256 with a secret key kept outside the repository and the processed folder; the shell
reads it, ``talentstats.keyfile``), sex, birth year and the descriptive columns, plus the check
flags the validation rules need (``id_valid``, ``birth_ok``, ``sex_ok``), computed from the ID
number while it is still in clear. Names and ID numbers never leave this module.

- The pseudonym is of the ID number when it has the shape of one (even with a wrong check
  character: P01 reports that; a 15-digit one widened to 18), else of name + birth
  year-month; with neither, it is missing.
- The free-text fields hold no ID-shaped text and not the person's own name (``scrub_text``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from talentstats.errors import ParameterError
from talentstats.reading.ids import (
    ID_TEXT,
    cell_text,
    check_character,
    id_birth,
    is_id_shaped,
    normalize_id_number,
    widened_id,
)
from talentstats.reading.roster import (
    birth_year_month,
    category_item,
    industry_section,
    recognised_year,
    sex_of,
    text_or_none,
)

if TYPE_CHECKING:
    from talentstats.profile.config import Profile
    from talentstats.profile.forms import Item

__all__ = ["PERSON_CHARS", "pseudonymise", "scrub_text"]

PERSON_CHARS = 16  # hex characters of the HMAC kept as the pseudonym
_MIN_KEY_BYTES = 16
_ID_TEXT_LEN = 15  # what ID_TEXT matches is at least 15 characters long: a shorter text holds none
_REDACTED = "［已删除］"


def _keyed(key: bytes) -> Callable[[str], str]:
    """``text -> the first PERSON_CHARS hex characters of HMAC-SHA256(key, text)``: the key is
    hashed into an HMAC object once, and each text hashed on a copy of it."""
    base = hmac.new(key, digestmod="sha256")
    nbytes = PERSON_CHARS // 2

    def person(text: str) -> str:
        h = base.copy()
        h.update(text.encode("utf-8"))
        return h.digest()[:nbytes].hex()

    return person


def _own_name(value: object) -> str:
    """A person's name as it is matched in their free text: NFKC, without any whitespace
    (``何　娟雪`` is ``何娟雪``); '' when shorter than 2 characters."""
    name = cell_text(value) if isinstance(value, str) else ""
    return name if len(name) >= 2 else ""


def _without_name(value: str, name: str) -> str:
    """``value`` with ``name`` replaced, also where it is written with spaces inside."""
    if name in value:
        return value.replace(name, _REDACTED)
    if name[0] in value and name[-1] in value:
        return re.sub(r"\s*".join(map(re.escape, name)), _REDACTED, value)
    return value


def scrub_text(value: str | None, name: str) -> str | None:
    """A free-text field without ID-shaped text (``ids.ID_TEXT``) or the person's own ``name``
    (``_own_name``: matched with or without spaces inside), so that neither reaches the
    processed roster or a message (other persons' names typed there cannot be told from
    ordinary text: docs/security.md)."""
    if value is None:
        return None
    if len(value) >= _ID_TEXT_LEN:
        value = ID_TEXT.sub(_REDACTED, value)
    return _without_name(value, name) if name else value


def _person(n: str, raw: Mapping[str, object], birth_year: int | None, months: tuple[int, ...],
            person_of: Callable[[str], str]) -> str | None:
    """The pseudonym: of the ID number (widened to 18), else of name and birth year-month."""
    shaped = widened_id(n)
    if shaped is not None:
        return person_of(shaped)
    name = cell_text(raw.get("name"))
    ym = f"{birth_year}-{'/'.join(map(str, months))}" if birth_year else ""
    return person_of(f"{name}|{ym}") if name else None


def _pseudonymise_row(raw: Mapping[str, object], person_of: Callable[[str], str], year: int,
                      unit_code: str, categories: Iterable[Item]) -> dict:
    n = normalize_id_number(raw.get("id_number"))
    birth_year, months = birth_year_month(raw.get("birth"))
    sex = sex_of(raw.get("sex"))
    is18 = is_id_shaped(n)

    id_valid = is18 and check_character(n[:17]) == n[17]
    birth = id_birth(n) if is18 else None
    birth_ok = None if birth is None or birth_year is None or not months else (
        birth[0] == birth_year and birth[1] in months)
    sex_ok = (int(n[16]) % 2 == 1) == (sex == "男") if is18 and sex in ("男", "女") else None
    person = _person(n, raw, birth_year, months, person_of)
    if birth_year is None and birth is not None:
        birth_year = birth[0]

    own = _own_name(raw.get("name"))

    def free(key: str) -> str | None:
        return scrub_text(text_or_none(raw.get(key)), own)

    category = text_or_none(raw.get("category"))
    industry = text_or_none(raw.get("industry"))
    return {
        "year": year,
        "unit_code": unit_code,
        "person": person,
        "seq": free("seq"),
        "sex": sex,
        "birth_year": birth_year,
        "education": free("education"),
        "title": free("title"),
        "category": scrub_text(category, own),
        "category_item": category_item(category, categories),
        "employer": free("employer"),
        "industry": scrub_text(industry_section(industry) or industry, own),
        "recognised_year": recognised_year(raw.get("recognised_year")),
        "note": free("note"),
        "row": raw.get("row"),
        "id_valid": id_valid,
        "birth_ok": birth_ok,
        "sex_ok": sex_ok,
    }


def pseudonymise(rows: Iterable[Mapping[str, object]], key: bytes, *, year: int, unit_code: str,
                 profile: Profile) -> list[dict]:
    """Roster rows without names or ID numbers, with a keyed pseudonym and check flags.

    Parameters
    ----------
    rows
        Raw roster dicts as the parser produces them: the TR4 field keys of forms.yaml
        (``seq``, ``name``, ``sex``, ``id_number``, ``birth``, ...) plus ``row`` (sheet row).
    key
        The secret key (``talentstats.keyfile.load_or_create_key``).
    year, unit_code
        Copied onto every row.
    profile
        The deployment profile: its TR1 talent categories classify the 人才类别.

    Returns
    -------
    One dict per row with ``year, unit_code, person, seq, sex, birth_year, education, title,
    category, category_item, employer, industry, recognised_year, note, row, id_valid, birth_ok,
    sex_ok``. ``person`` is the first 16 hex characters of HMAC-SHA256(key, ID number), or of
    name and birth year-month when the ID number is unusable. ``birth_ok`` and ``sex_ok`` are
    None when they cannot be checked (no usable ID number, or the field is blank).
    """
    if len(key) < _MIN_KEY_BYTES:
        raise ParameterError("the pseudonym key is too short; use keyfile.load_or_create_key()")
    person_of = _keyed(key)
    categories = profile.forms["TR1"].categories
    return [_pseudonymise_row(r, person_of, year, unit_code, categories) for r in rows]
