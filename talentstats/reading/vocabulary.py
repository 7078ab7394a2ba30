"""What the parser looks up, built once per profile from its forms: the spellings of items,
columns and roster fields, the titles, footers and 表号, and the rules its findings come from."""

from __future__ import annotations

import os.path
import re
from functools import cache
from typing import TYPE_CHECKING

from talentstats.model import Cell
from talentstats.profile.forms import Form
from talentstats.profile.text import normalize_label
from talentstats.reading.grid import PAREN_TAIL, label_key, norm_text, text_code

if TYPE_CHECKING:
    from talentstats.profile.config import Profile
    from talentstats.validation.rulebook import Rule


LABEL_SCAN_COLS = 10  # item names and codes are looked for in the first columns only
_EXTRA_FOOTERS = ("审核人", "制表人", "填报人", "负责人", "单位负责人", "报出日期", "填报日期")


def _index(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """key -> target, dropping keys that point at two different targets."""
    out: dict[str, object] = {}
    clash: set[str] = set()
    for k, t in pairs:
        if not k:
            continue
        if k in out and out[k] != t:
            clash.add(k)
        out.setdefault(k, t)
    for k in clash:
        del out[k]
    return out


def _with_bare(keys: tuple[str, ...]) -> list[str]:
    out = list(keys)
    out += [PAREN_TAIL.sub("", k) for k in keys]
    return out


def _item_lookup(f: Form) -> dict[str, int]:
    exact = _index([(k, it.code) for it in f.items for k in it.spellings()])
    bare = _index([(k, it.code) for it in f.items for k in _with_bare(it.spellings())])
    return {**bare, **exact}


def _column_lookup(f: Form) -> dict[str, int]:
    pairs: list[tuple[str, object]] = []
    for col in f.columns:
        for sp in _with_bare(col.spellings()):
            pairs.append((sp, col.code))
            if col.group:
                g = normalize_label(col.group)
                pairs += [(g + sp, col.code), (sp + g, col.code)]
    return _index(pairs)


def _field_lookup(f: Form) -> dict[str, str]:
    return _index([(k, fl.key) for fl in f.fields for k in _with_bare(fl.spellings())])


def _table_no_pattern(forms: dict[str, Form]) -> re.Pattern[str]:
    """表号 as forms.yaml declares them (东人统1表 ... 东人统5表): the shared prefix, then the
    number in Arabic or Chinese digits, 号 tolerated (东人统1号表)."""
    prefix = os.path.commonprefix([f.table_no for f in forms.values()]).rstrip("0123456789")
    return re.compile(re.escape(prefix) + "([1-9一二三四五六七八九])号?表")


class Vocabulary:
    """What the parser looks up, built once per profile from its forms: the spellings of items,
    columns and roster fields, titles, footers, 表号; and the rules its findings come from."""

    def __init__(self, profile: Profile):
        forms = profile.forms
        self.profile = profile
        self.forms = forms
        self.rules: dict[str, Rule] = dict(profile.rules)
        self.tables = {code: f for code, f in forms.items() if not f.is_roster}
        self.items = {code: _item_lookup(f) for code, f in self.tables.items()}
        self.columns = {code: _column_lookup(f) for code, f in self.tables.items()}
        self.fields = _field_lookup(forms["TR4"])
        # (normalised title, form code), longest first
        self.titles = sorted(((normalize_label(f.title), c) for c, f in forms.items()),
                             key=lambda p: -len(p[0]))
        footers = {normalize_label(x) for f in forms.values() for x in (*f.footer, *_EXTRA_FOOTERS)}
        self.footers = tuple(sorted(k for k in footers if k))
        self.table_no = _table_no_pattern(forms)
        nos = [f.table_no for f in sorted(forms.values(), key=lambda f: f.number)]
        self.table_no_range = f"{nos[0]}至{nos[-1]}"
        code_forms: dict[int, list[str]] = {}  # item code -> the table forms that declare it
        for code, f in self.tables.items():
            for it in f.item_codes:
                code_forms.setdefault(it, []).append(code)
        self.code_forms = {k: tuple(v) for k, v in code_forms.items()}
        # cell text -> (form, item by name, item by code) per form it names; filled as met
        self.text_hits: dict[str, tuple[tuple[str, int | None, int | None], ...]] = {}

    def is_footer(self, v: str) -> bool:
        k = norm_text(v)
        return bool(k) and k.startswith(self.footers)

    def text_hit(self, v: str) -> tuple[tuple[str, int | None, int | None], ...]:
        key = label_key(v)
        n = text_code(v)
        by_code = self.code_forms.get(n, ()) if n is not None else ()
        out = []
        for code, lookup in self.items.items():
            it = lookup.get(key)
            m = n if code in by_code else None
            if it is not None or m is not None:
                out.append((code, it, m))
        return tuple(out)


@cache
def vocabulary_of(profile: Profile) -> Vocabulary:
    return Vocabulary(profile)


def is_footer_row(cells: list[list[Cell]], r: int, lex: Vocabulary) -> bool:
    row = cells[r] if r < len(cells) else []
    return any(isinstance(v, str) and v and lex.is_footer(v) for v in row[:LABEL_SCAN_COLS])
