"""The forms TR1-TR5 as values, built from their one declaration in ``data/forms.yaml``.

Everything that needs to know what a form holds (the ingest, the rules, the templates, the
codebook, the bulletin) reads ``profile.forms``, which ``build_forms`` makes when the profile is
loaded (``talentstats.profile.config``). Nothing else spells out item or column codes.

The forms are shared by every deployment profile; ``{short_name}`` in an item's name, label or
variants is filled in with the city's short name (city.yaml): TR5 item 510 is 人才东莞战略专项
in Dongguan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from talentstats.profile.text import normalize_label

__all__ = [
    "Column",
    "Field",
    "Form",
    "Item",
    "build_forms",
    "form",
    "forms",
    "issuer",
]


@dataclass(frozen=True)
class Column:
    code: int
    name: str
    group: str | None = None
    variants: tuple[str, ...] = ()

    @property
    def short_name(self) -> str:
        """The name without a leading 其中： (e.g. 女性)."""
        return self.name.removeprefix("其中：")

    def spellings(self) -> tuple[str, ...]:
        """Every normalised spelling this column may carry in a header."""
        return _spellings(self.name, self.short_name, *self.variants)


@dataclass(frozen=True)
class Item:
    code: int
    name: str
    label: str
    unit: str | None = None
    value_type: str | None = None
    variants: tuple[str, ...] = ()
    category: bool = False  # a talent category (人才队伍) of TR1

    def spellings(self) -> tuple[str, ...]:
        """Every normalised spelling this item may carry in the 项目 column."""
        return _spellings(self.name, self.label, *self.variants)


@dataclass(frozen=True)
class Field:
    """A column of the roster (TR4)."""

    key: str
    name: str
    personal: bool = False
    variants: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        return _spellings(self.name, *self.variants)


@dataclass(frozen=True)
class Form:
    code: str
    table_no: str
    title: str
    unit: str | None
    value_type: str
    reporter: str
    index_cols: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    items: tuple[Item, ...] = ()
    fields: tuple[Field, ...] = field(default=())
    footer: tuple[str, ...] = ()  # the lines printed under every form (单位负责人：... 报出日期：)

    @property
    def number(self) -> int:
        """The form's number as Chinese forms print it (表1 for TR1)."""
        return int(self.code.removeprefix("TR"))

    @property
    def is_roster(self) -> bool:
        return self.value_type == "roster"

    def item(self, code: int) -> Item:
        for it in self.items:
            if it.code == code:
                return it
        raise KeyError(f"{self.code} has no item {code}")

    def column(self, code: int) -> Column:
        for col in self.columns:
            if col.code == code:
                return col
        raise KeyError(f"{self.code} has no column {code}")

    @property
    def categories(self) -> tuple[Item, ...]:
        """The talent categories (人才队伍): the items declared ``category: true``, in order."""
        return tuple(it for it in self.items if it.category)

    @property
    def item_codes(self) -> tuple[int, ...]:
        return tuple(it.code for it in self.items)

    @property
    def column_codes(self) -> tuple[int, ...]:
        return tuple(col.code for col in self.columns)

    def item_value_type(self, code: int) -> str:
        """count, money or flag for one item (TR3 declares it per item)."""
        return self.item(code).value_type or self.value_type

    def item_unit(self, code: int) -> str | None:
        return self.item(code).unit or self.unit


def _spellings(*names: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for n in names:
        key = normalize_label(n)
        if key:
            seen[key] = None
    return tuple(seen)


def _city_text(text: str, short_name: str) -> str:
    return text.replace("{short_name}", short_name)


def _build(code: str, spec: Mapping[str, Any], short_name: str, footer: tuple[str, ...]) -> Form:
    return Form(
        code=code,
        table_no=spec["table_no"],
        title=spec["title"],
        unit=spec.get("unit"),
        value_type=spec["value_type"],
        reporter=spec["reporter"],
        index_cols=tuple(spec.get("index_cols", ())),
        columns=tuple(
            Column(c["code"], c["name"], c.get("group"), tuple(c.get("variants", ())))
            for c in spec.get("columns", ())
        ),
        items=tuple(
            Item(
                i["code"],
                _city_text(i["name"], short_name),
                _city_text(i.get("label", i["name"]), short_name),
                i.get("unit"),
                i.get("value_type"),
                tuple(_city_text(v, short_name) for v in i.get("variants", ())),
                bool(i.get("category", False)),
            )
            for i in spec.get("items", ())
        ),
        fields=tuple(
            Field(f["key"], f["name"], bool(f.get("personal", False)), tuple(f.get("variants", ())))
            for f in spec.get("fields", ())
        ),
        footer=footer,
    )


def build_forms(declaration: Mapping[str, Any], short_name: str) -> dict[str, Form]:
    """Every form of a parsed ``forms.yaml``, keyed by code (TR1..TR5), in declaration order;
    ``{short_name}`` is the city's short name (东莞)."""
    footer = tuple(declaration["footer"])
    return {code: _build(code, spec, short_name, footer)
            for code, spec in declaration["forms"].items()}


# The selected profile's forms, for callers that are not handed a profile yet (the store and
# publication stages); the reading and validation stages read ``profile.forms``.


def forms() -> dict[str, Form]:
    """All forms of the selected profile, keyed by code (TR1..TR5), in declaration order."""
    from talentstats.profile.config import load_profile

    return load_profile().forms


def form(code: str) -> Form:
    """One form of the selected profile by code; raises KeyError naming the known codes."""
    known = forms()
    try:
        return known[code]
    except KeyError:
        raise KeyError(f"unknown form {code!r}; known: {', '.join(known)}") from None


def issuer() -> str:
    """The office that issues the forms and the bulletin: the profile's city.yaml ``issuer``."""
    from talentstats.profile.config import load_profile

    return load_profile().city.issuer
