"""The declarations of the analysis stage, built into values for the profile: the indicators
(``indicators.yaml``) and the assessment's weights (``assessment.yaml``).

Pure builders over parsed YAML (``talentstats.profile.config`` reads the files). No pandas here:
the ingest workers load the profile.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from talentstats.errors import ConfigError
from talentstats.profile.targets import Targets, target_value

if TYPE_CHECKING:
    from talentstats.profile.forms import Form

__all__ = ["Cell", "Indicator", "Indicators", "Minimum", "build_assessment", "build_indicators"]

_CELL = re.compile(r"^(TR\d+) (\d+|<item>)/(\d+)$")


@dataclass(frozen=True)
class Cell:
    """A number of a form: ``TR1 100/1`` = form TR1, item 100, column 1."""

    form: str
    item: int
    column: int

    def __str__(self) -> str:
        return f"{self.form} {self.item}/{self.column}"


Operand = Cell | str  # a cell, or another indicator's id


@dataclass(frozen=True)
class Indicator:
    """One declared indicator: its dictionary texts and, for a plain one, how it is computed.

    ``value`` (a sum of cells; the city's value is the sum over units) or ``numerator`` ÷
    ``denominator`` × ``scale`` (the city's value from summed numerators and denominators; of two
    indicators, from their city values). Neither: computed by code (``talentstats.analysis.indicators``).
    """

    id: str
    texts: Mapping[str, Any]  # name, unit, scope, definition, formula, sources, ... (indicators.yaml)
    parent: str | None = None  # I04 for I04.110
    value: tuple[Cell, ...] = ()
    numerator: tuple[Operand, ...] = ()
    denominator: Operand | None = None
    scale: float = 1.0
    quoted: bool = False  # the bulletin quotes it (and its 附注 defines it)


@dataclass(frozen=True)
class Minimum:
    """A TR3 minimum that I13 counts: ``item`` >= ``min`` (or >= the value of ``item_min``)."""

    item: int
    min: float | None
    item_min: int | None
    requirement: str
    clause: str


@dataclass(frozen=True)
class Indicators:
    """indicators.yaml, built: the general note, the indicators (I04 expanded per talent category
    of forms.yaml) in declaration order, and the TR3 minima."""

    general_note: str
    entries: Mapping[str, Indicator]
    minima: tuple[Minimum, ...]


def _operand(raw: object, where: str, item: int | None = None) -> Operand:
    text = str(raw).strip()
    m = _CELL.match(text)
    if m is None:
        if re.fullmatch(r"[A-Za-z][\w.]*", text) and "<item>" not in text:
            return text
        raise ConfigError(f"indicators.yaml 的 {where} 应为“TR1 100/1”形式的单元格或指标代码（现为 {raw!r}） / "
                          f"indicators.yaml: {where} must be a cell such as `TR1 100/1` or an indicator id (got {raw!r})")
    code = m.group(2)
    if code == "<item>":
        if item is None:
            raise ConfigError(f"indicators.yaml 的 {where} 中 <item> 仅用于 per_category / "
                              f"indicators.yaml: {where}: <item> is for per_category entries only")
        return Cell(m.group(1), item, int(m.group(3)))
    return Cell(m.group(1), int(code), int(m.group(3)))


def _operands(raw: object, where: str, item: int | None = None) -> tuple[Operand, ...]:
    return tuple(_operand(r, where, item) for r in (raw if isinstance(raw, list) else [raw]))


def _written(ops: tuple[Operand, ...]) -> str:
    return " + ".join(map(str, ops)) if len(ops) == 1 else f"({' + '.join(map(str, ops))})"


def _indicator(ind: str, spec: Mapping[str, Any], item: int | None = None, parent: str | None = None,
               item_name: str | None = None) -> Indicator:
    where = f"indicators.{parent or ind}"
    texts = dict(spec)
    value = _operands(spec["value"], f"{where}.value", item) if "value" in spec else ()
    num = _operands(spec["numerator"], f"{where}.numerator", item) if "numerator" in spec else ()
    den = _operand(spec["denominator"], f"{where}.denominator", item) if "denominator" in spec else None
    if bool(num) != (den is not None) or (value and num) or any(not isinstance(v, Cell) for v in value):
        raise ConfigError(f"indicators.yaml 的 {where} 须同时给出 numerator 和 denominator，或仅给出 value（单元格） / "
                          f"indicators.yaml: {where} needs numerator and denominator together, or value (cells)")
    scale = spec.get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        raise ConfigError(f"indicators.yaml 的 {where}.scale 应为数字（现为 {scale!r}） / "
                          f"indicators.yaml: {where}.scale must be a number (got {scale!r})")
    if item_name is not None:
        texts.update(name=f"{item_name}占比", definition=f"{item_name}人数占人才资源总量的比重。")
    plain = value or num
    if plain and "formula" not in spec:  # the formula and the sources of a plain indicator are its declaration
        scaled = f" × {scale:g}" if scale != 1 else ""
        texts["formula"] = _written(value) if value else f"{_written(num)} ÷ {den}{scaled}"
        texts["sources"] = [str(c) for c in (*value, *num, den) if isinstance(c, Cell)]
    elif item is not None:
        texts["formula"] = str(spec["formula"]).replace("<item>", str(item))
    for key in ("name", "unit", "scope", "definition", "formula"):
        if not texts.get(key):
            raise ConfigError(f"indicators.yaml 的 {where} 缺少 {key} / indicators.yaml: {where} lacks `{key}`")
    return Indicator(ind, texts, parent, value, num, den, float(scale), bool(spec.get("quoted", False)))


def build_indicators(raw: Mapping[str, Any], forms: Mapping[str, Form]) -> Indicators:
    """The indicator declaration from parsed indicators.yaml; ``per_category`` entries expand into
    one indicator per talent category of the form they read (forms.yaml ``category: true``).

    Raises
    ------
    ConfigError
        Naming the indicator and the field that is malformed.
    """
    entries: dict[str, Indicator] = {}
    for ind, spec in raw["indicators"].items():
        if not spec.get("per_category"):
            entries[ind] = _indicator(ind, spec)
            continue
        form = _operands(spec.get("numerator", "TR1 100/1"), f"indicators.{ind}.numerator", 0)[0]
        form_code = form.form if isinstance(form, Cell) else "TR1"
        for item in forms[form_code].categories:
            entries[f"{ind}.{item.code}"] = _indicator(f"{ind}.{item.code}", spec, item.code, ind, item.name)
    minima = tuple(
        Minimum(int(m["item"]), float(m["min"]) if "min" in m else None,
                int(m["item_min"]) if "item_min" in m else None, m["requirement"], m["clause"])
        for m in raw["mechanism_minima"]
    )
    return Indicators(" ".join(str(raw["general_note"]).split()), entries, minima)


# --------------------------------------------------------------------------- assessment.yaml

_METHODS = ("minmax", "target")
_MISSING = ("reweight", "zero")


def _weight(value: object, where: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"配置文件 {where} 的字段 {field} 应为正数（现为 {value!r}） / "
                          f"{where}: {field} must be a positive number, not {value!r}")


def entry_target(ent: Mapping[str, Any], targets: Targets) -> float | None:
    """A ``target`` entry's full mark: its own ``target``, else the indicator's plan target."""
    if ent.get("target") is not None:
        return float(ent["target"])
    return target_value(targets, ent["id"], None)


def build_assessment(raw: object, where: object, targets: Targets) -> dict[str, Any]:
    """A checked copy of an assessment configuration (``missing_indicator``, ``dimensions``),
    defaults filled in; ``targets`` (city.yaml) give the full marks of ``target`` entries.

    Raises
    ------
    ConfigError
        Naming ``where`` and the field: a weight that is not a positive number, an unknown
        method, a ``target`` method without a target, ``targets:`` here (they are city.yaml's).
    """
    def bad(field: str, zh: str, en: str) -> ConfigError:
        return ConfigError(f"配置文件 {where} 的字段 {field} {zh} / {where}: {field} {en}")

    if not isinstance(raw, Mapping):
        raise bad("(root)", "应为映射", "must be a mapping")
    if "targets" in raw:
        raise bad("targets", "不应在此：目标值写在 city.yaml 的 targets 中", "belongs in city.yaml, not here")
    cfg = copy.deepcopy(dict(raw))
    cfg.setdefault("missing_indicator", "reweight")
    if cfg["missing_indicator"] not in _MISSING:
        raise bad("missing_indicator", f"应为 {_MISSING} 之一", f"must be one of {_MISSING}")
    dims = cfg.get("dimensions")
    if not isinstance(dims, Mapping) or not dims:
        raise bad("dimensions", "缺失或为空", "is missing or empty")
    for d, spec in dims.items():
        _weight(spec.get("weight"), where, f"dimensions.{d}.weight")
        entries = spec.get("indicators") or []
        if not entries:
            raise bad(f"dimensions.{d}.indicators", "为空", "is empty")
        for i, ent in enumerate(entries):
            field = f"dimensions.{d}.indicators[{i}]"
            if not isinstance(ent, Mapping) or not ent.get("id"):
                raise bad(f"{field}.id", "缺失", "is missing")
            ent.setdefault("weight", 1)
            ent.setdefault("method", "minmax")
            ent.setdefault("direction", "higher")
            _weight(ent["weight"], where, f"{field}.weight")
            if ent["method"] not in _METHODS:
                raise bad(f"{field}.method", f"应为 {_METHODS} 之一", f"must be one of {_METHODS}")
            if ent["method"] == "target":
                _weight(entry_target(ent, targets), where, f"{field}.target")
            if ent["direction"] not in ("higher", "lower"):
                raise bad(f"{field}.direction", "应为 higher 或 lower", "must be higher or lower")
    return cfg
