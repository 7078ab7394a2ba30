"""The rules of ``data/rules.yaml`` as values: ``Rule`` and ``build_rules``.

``build_rules`` is pure (the parsed YAML and the forms in, the rules out); the profile holds
its result (``profile.rules``). A rule's kind, severity and message are declared once, there:
the parser and the ingest make their findings with ``Rule.finding``, which fills the declared
message in; ``validate`` (``talentstats.validation.rules``) evaluates the others. No pandas
here: the ingest workers load the profile.

In a rule's ``description`` and ``message``, ``{category_count}`` is the number of TR1's talent
categories in Chinese numerals (六) and ``{category_codes}`` their first and last codes
(110-160); ``lhs: categories`` or ``rhs: categories`` names those items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from talentstats.model import Finding
from talentstats.profile.forms import Form
from talentstats.profile.text import chinese_count

__all__ = ["CHECK_TYPES", "Rule", "build_rules"]

# The check types that ``validate`` evaluates; ``parse`` rules are raised by the reader.
CHECK_TYPES = frozenset({
    "sum", "le", "positive", "domain", "cross_count", "history_change", "history_equal",
    "history_absent", "roster_flag", "roster_duplicate_unit", "roster_duplicate_across",
})
_SEVERITIES = ("error", "warning")
_MONEY_TOLERANCE = 0.5
_RESERVED = frozenset({"id", "kind", "severity", "check", "form", "forms", "description",
                       "message", "over", "lhs", "rhs", "each", "items", "columns", "tolerance"})


@dataclass(frozen=True)
class Rule:
    """One validation rule as declared in ``rules.yaml``."""

    id: str
    kind: str
    severity: str
    check: str
    forms: tuple[str, ...]
    description: str
    message: str = ""  # the message template ('' where the rule declares several, ``cases``)
    cases: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    over: str = "item"
    lhs: tuple[int, ...] = ()
    rhs: tuple[int, ...] = ()
    each: bool = False
    items: tuple[int, ...] = ()
    columns: tuple[int, ...] = ()
    tolerance: float | None = None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def form(self) -> str:
        """The form the findings are filed under ('' for file-level rules)."""
        return self.forms[0] if self.forms else ""

    @property
    def evaluated(self) -> bool:
        """Whether ``validate`` evaluates it (parse rules are raised by the parser)."""
        return self.check != "parse"

    def tolerance_for(self, f: Form, codes: Iterable[int]) -> float:
        """The declared tolerance, else 0.5 when any item of ``f`` involved is money, else 0."""
        if self.tolerance is not None:
            return float(self.tolerance)
        types = {f.item_value_type(c) for c in codes} if f.items else {f.value_type}
        return _MONEY_TOLERANCE if "money" in types else 0.0

    def finding(self, *, case: str = "", form: str = "", unit_code: str = "", cells: str = "",
                severity: str | None = None, **fields: object) -> Finding:
        """A finding of this rule: its declared kind and severity, and its declared message
        with ``fields`` filled in.

        Parameters
        ----------
        case
            Which of the rule's declared wordings (``message: {case: template}``), for a rule
            that declares several; '' for the one ``message``.
        severity
            One the rule declares for a case of its own (X04's ``assigned_severity``).
        fields
            The message's named placeholders.
        """
        template = self.cases[case] if case else self.message
        return Finding(self.id, self.kind, severity or self.severity, template.format(**fields),
                       form=form, unit_code=unit_code, cells=cells)


def _codes(value: object, all_codes: tuple[int, ...], categories: tuple[int, ...]) -> tuple[int, ...]:
    if value is None:
        return ()
    if value == "all":
        return all_codes
    if value == "categories":
        return categories
    return tuple(int(v) for v in value)


def _check_codes(rid: str, f: Form, what: str, codes: Iterable[int], known: tuple[int, ...]) -> None:
    for code in codes:
        if code not in known:
            raise ValueError(f"rules.yaml: rule {rid}: {f.code} has no {what} {code}")


def _build(spec: Mapping[str, Any], forms: Mapping[str, Form], category_text: Mapping[str, str]) -> Rule:
    declared = tuple(spec.get("forms") or ())
    if "form" in spec:
        declared = (spec["form"], *(f for f in declared if f != spec["form"]))
    rid = spec["id"]
    check = spec["check"]
    if check not in CHECK_TYPES and check != "parse":
        raise ValueError(f"rules.yaml: rule {rid} has unknown check {check!r}")
    for sev in (spec["severity"], spec.get("assigned_severity", "error")):
        if sev not in _SEVERITIES:
            raise ValueError(f"rules.yaml: rule {rid} has severity {sev!r}")
    items: tuple[int, ...] = ()
    columns: tuple[int, ...] = ()
    lhs: tuple[int, ...] = ()
    rhs: tuple[int, ...] = ()
    over = spec.get("over", "item")
    if declared and check not in ("parse", "history_absent") and not forms[declared[0]].is_roster:
        f = forms[declared[0]]
        categories = tuple(it.code for it in f.categories)
        items = _codes(spec.get("items"), f.item_codes, categories)
        columns = _codes(spec.get("columns"), f.column_codes, categories)
        known = f.item_codes if over == "item" else f.column_codes
        lhs = _codes(spec.get("lhs"), known, categories)
        rhs = _codes(spec.get("rhs"), known, categories)
        _check_codes(rid, f, "item", items, f.item_codes)
        _check_codes(rid, f, "column", columns, f.column_codes)
        _check_codes(rid, f, over, (*lhs, *rhs), known)

    def text(template: str) -> str:
        for placeholder, value in category_text.items():
            template = template.replace(placeholder, value)
        return template

    message = spec.get("message", "")
    if check == "parse" and not message:
        raise ValueError(f"rules.yaml: rule {rid} is raised by the reader and declares no message")
    cases = {case: text(t) for case, t in message.items()} if isinstance(message, dict) else {}
    return Rule(
        id=rid,
        kind=spec["kind"],
        severity=spec["severity"],
        check=check,
        forms=declared,
        description=text(spec["description"]),
        message="" if cases else text(message),
        cases=cases,
        over=over,
        lhs=lhs,
        rhs=rhs,
        each=bool(spec.get("each", False)),
        items=items,
        columns=columns,
        tolerance=spec.get("tolerance"),
        params={k: v for k, v in spec.items() if k not in _RESERVED},
    )


def build_rules(declaration: Mapping[str, Any], forms: Mapping[str, Form]) -> dict[str, Rule]:
    """Every rule of a parsed ``rules.yaml``, keyed by id, in declaration order.

    Raises
    ------
    ValueError
        When a rule names an unknown check, severity, form, item or column, or two rules share
        an id.
    """
    categories = forms["TR1"].categories
    category_text = {
        "{category_count}": chinese_count(len(categories)),
        "{category_codes}": f"{categories[0].code}-{categories[-1].code}" if categories else "",
    }
    built = [_build(spec, forms, category_text) for spec in declaration["rules"]]
    ids = [r.id for r in built]
    if len(set(ids)) != len(ids):
        raise ValueError("rules.yaml: duplicate rule ids")
    return {r.id: r for r in built}
