"""The deployment profile: which city talentstats serves, declared as data in one folder.

A profile is a folder holding:

==================  ========  ===============================================================
file                needed    what
==================  ========  ===============================================================
``city.yaml``       yes       the city (code, name), the issuing body, the bulletin's title,
                              the plan targets (the fund-ratio line, the city's investment)
``units.csv``       yes       the reporting units and the city: ``code,name,type,aliases``
``reference/``      no        resident population (``census2020.csv``,
                              ``city_population.yaml``); without it the density I03 is missing
``assessment.yaml`` no        the towns' assessment weights; the packaged ones when absent
==================  ========  ===============================================================

The packaged profile, Dongguan's, is ``talentstats/data`` and is the default. Another is
selected with ``TALENTSTATS_CONFIG=/path/to/folder`` or ``talentstats --config FOLDER``. The
forms (``forms.yaml``), the rules (``rules.yaml``) and the indicator dictionary
(``indicators.yaml``) are shared by every profile. docs/deployment.md shows an example.

Loads are validated (an error names the file and the field, in Chinese and English) and cached
per selected folder, so a changed ``TALENTSTATS_CONFIG`` applies at the next call; ``reset``
forgets every load, for a profile edited in place. Modules that bound
``from talentstats.profile.units import CITY`` at import time keep the city of that moment: new code
calls :func:`city_code`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from talentstats import paths
from talentstats.errors import ConfigError

if TYPE_CHECKING:
    from talentstats.profile.forms import Form
    from talentstats.validation.rulebook import Rule

__all__ = [
    "ENV_VAR",
    "City",
    "ConfigError",
    "Profile",
    "check_targets",
    "city",
    "city_code",
    "fund_ratio_line",
    "load_profile",
    "load_yaml",
    "number_text",
    "profile_file",
    "reset",
    "select",
    "selection",
    "target_spec",
    "target_value",
]

ENV_VAR = "TALENTSTATS_CONFIG"  # read through talentstats.paths.config_dir
UNIT_COLUMNS = ("code", "name", "type", "aliases")
DEFAULT_TITLE = "{city}{year}年人才资源统计公报"
DEFAULT_OFFICE = "市人才办"
_TARGET_KEYS = ("value", "from", "to")


@dataclass(frozen=True)
class City:
    """The city of a profile (``city.yaml``)."""

    code: str  # the city's own row of units.csv; the city rows of the datasets carry it
    name: str  # 东莞市
    short_name: str  # 东莞: in the name of the city's own programme, TR5 item 510 (人才东莞战略专项)
    issuer: str  # 制定机关 of the forms; author of the bulletin, annex and feedback
    office: str  # who fills in the city's own form (TR5), as file names say it: 市人才办
    bulletin_title: str  # "{city}{year}年人才资源统计公报"
    targets: Mapping[str, Any]  # plan targets, see ``target_value``

    def bulletin_name(self, year: int) -> str:
        """The bulletin's title and file stem, e.g. 东莞市2016年人才资源统计公报."""
        return self.bulletin_title.format(city=self.name, year=year)


@dataclass(frozen=True, eq=False)  # hashed by identity: derived caches are keyed by a Profile
class Profile:
    """A loaded, checked profile: where it is, its city and its units table."""

    folder: str
    city: City
    units: tuple[UnitRow, ...]  # the rows of units.csv, in its order
    forms: Mapping[str, Form]  # forms.yaml, built for this city: code -> Form
    rules: Mapping[str, Rule]  # rules.yaml: id -> Rule


# libyaml's loader when PyYAML has it: the declarations load in every worker process, and the
# pure-Python loader took 30-100 ms per file there.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load``, with libyaml when available: the one way declarations are parsed."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


# --------------------------------------------------------------------------- where


def _packaged() -> Traversable:
    return resources.files("talentstats").joinpath("data")


def _selected() -> str:
    """The raw $TALENTSTATS_CONFIG: the key of every cache (cheap: read on every call)."""
    return os.environ.get(ENV_VAR, "")


@cache
def _root(selected: str) -> Traversable:
    folder = Path(selected.strip()).expanduser() if selected.strip() else None
    if folder is None:
        return _packaged()
    if not folder.is_dir():
        raise ConfigError(
            f"配置目录不存在：{folder}（由 {ENV_VAR} 或 --config 指定） / "
            f"profile folder {folder} (from {ENV_VAR} or --config) does not exist"
        )
    return folder.resolve()


def _child(root: Traversable, name: str) -> Traversable:
    for part in name.split("/"):
        root = root.joinpath(part)
    return root


def profile_file(name: str, *, fallback: bool = False) -> Traversable | None:
    """A file of the selected profile (``"reference/census2020.csv"``), or None when absent.

    With ``fallback`` a file the profile lacks is taken from the packaged profile.
    """
    f = _child(_root(_selected()), name)
    if f.is_file():
        return f
    if fallback:
        d = _child(_packaged(), name)
        if d.is_file():
            return d
    return None


# --------------------------------------------------------------------------- load


def load_profile(folder: str | os.PathLike[str] | None = None) -> Profile:
    """The profile in ``folder`` (by default the selected one), loaded and checked once.

    Raises
    ------
    ConfigError
        When the folder, ``city.yaml`` or ``units.csv`` is missing, or a field is wrong; the
        message names the file and the field.
    """
    return _load(_selected() if folder is None else os.fspath(folder))


@cache
def _load(selected: str) -> Profile:
    root = _root(selected)
    city_ = _read_city(_child(root, "city.yaml"))
    units = _read_units(_child(root, "units.csv"))
    if city_.code not in {u.code for u in units}:
        where = _child(root, "units.csv")
        raise ConfigError(
            f"{where} 中没有 city.yaml 的城市代码 {city_.code}：全市本身须占一行 / "
            f"{where} has no row for the city code {city_.code} of city.yaml"
        )
    from talentstats.profile.forms import build_forms
    from talentstats.validation.rulebook import build_rules

    forms = build_forms(load_yaml(_packaged().joinpath("forms.yaml").read_text("utf-8")), city_.short_name)
    rules = build_rules(load_yaml(_packaged().joinpath("rules.yaml").read_text("utf-8")), forms)
    return Profile(str(root), city_, units, forms, rules)


def selection() -> str:
    """The selected profile as a string for a job: the absolute folder, or "" for the packaged
    one. ``select`` in another process selects the same profile."""
    folder = paths.config_dir()
    return str(folder.resolve()) if folder is not None else ""


def select(folder: str) -> None:
    """Select a profile in this process (a worker running a job of ``selection()``)."""
    if folder:
        os.environ[ENV_VAR] = folder
    else:
        os.environ.pop(ENV_VAR, None)


def reset() -> None:
    """Forget every loaded profile (after editing a profile's files in place)."""
    _root.cache_clear()
    _load.cache_clear()


def city() -> City:
    """The city of the selected profile."""
    return load_profile().city


def city_code() -> str:
    """The city's own unit code (441900 for Dongguan): the city rows of every dataset."""
    return load_profile().city.code


def fund_ratio_line(year: int | None = None) -> float:
    """The fund-ratio line in % (3 for Dongguan): ``targets.I08`` of city.yaml.

    For a year without a value of its own (a year-specific target), the first value.
    """
    targets = city().targets
    value = target_value(targets, "I08", year) if year is not None else None
    return value if value is not None else target_value(targets, "I08", None)  # type: ignore[return-value]


# --------------------------------------------------------------------------- city.yaml


def _field_error(where: object, field: str, zh: str, en: str, value: object) -> ConfigError:
    return ConfigError(
        f"配置文件 {where} 的字段 {field} {zh}（现为 {value!r}） / "
        f"{where}: field {field} {en} (got {value!r})"
    )


def _text(raw: Mapping[str, Any], key: str, where: object, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _field_error(where, key, "缺失或为空，应为文字", "is missing or empty: expected text", value)
    return value.strip()


def _read_city(file: Traversable) -> City:
    if not file.is_file():
        raise ConfigError(
            f"缺少配置文件 {file}：配置目录须有 city.yaml（见 docs/deployment.md） / "
            f"missing {file}: a profile needs city.yaml (see docs/deployment.md)"
        )
    try:
        raw = load_yaml(file.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {file} 不是有效的 YAML（UTF-8）：{exc} / {file} is not valid UTF-8 YAML") from exc
    if not isinstance(raw, Mapping):
        raise ConfigError(f"配置文件 {file} 应为“字段: 值”的映射 / {file} must be a mapping of fields")
    code = raw.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code.strip().isdigit():
        raise _field_error(file, "code", "应为全市的单位代码（数字，加引号，如 \"441900\"）",
                           "must be the city's unit code, digits in quotes, e.g. \"441900\"", raw.get("code"))
    title = _text(raw, "bulletin_title", file, DEFAULT_TITLE)
    try:
        title.format(city="某市", year=2000)
    except (KeyError, IndexError, ValueError) as exc:
        raise _field_error(file, "bulletin_title", f"只能使用 {{city}} 和 {{year}}（{exc}）",
                           f"may use only {{city}} and {{year}} ({exc})", title) from exc
    if "{year}" not in title:
        raise _field_error(file, "bulletin_title", "须含 {year}", "must contain {year}", title)
    targets = check_targets(raw.get("targets"), file)
    line = target_value(targets, "I08", None)
    if line is None or line <= 0:
        raise _field_error(file, "targets.I08", "缺失：须给出人才专项资金占财政总收入比例的要求（%，如 3）",
                           "is missing: the fund-ratio line in % (e.g. 3) is required", raw.get("targets"))
    name = _text(raw, "name", file)
    return City(
        code=code.strip(),
        name=name,
        short_name=_text(raw, "short_name", file, name.removesuffix("市") or name),
        issuer=_text(raw, "issuer", file),
        office=_text(raw, "office", file, DEFAULT_OFFICE),
        bulletin_title=title,
        targets=targets,
    )


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_year(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) or isinstance(v, str) and v.isdigit()


def check_targets(targets: object, where: object = "targets") -> dict[str, Any]:
    """A checked copy of a ``targets:`` mapping (city.yaml, or an assessment file).

    Each key is an indicator id; each value is null (no target), a number, or
    ``{value: number | {year: number}, from: year, to: year}``.

    Raises
    ------
    ConfigError
        Naming ``where`` and the indicator when a value has another shape.
    """
    if targets is None:
        return {}
    if not isinstance(targets, Mapping):
        raise _field_error(where, "targets", "应为“指标代码: 目标”的映射", "must map indicator ids to targets", targets)
    out: dict[str, Any] = {}
    for ind, spec in targets.items():
        field = f"targets.{ind}"
        bad = _field_error(where, field, "应为数字、null 或 {value: 数字或{年份: 数字}, from: 年份, to: 年份}",
                           "must be a number, null or {value: number or {year: number}, from: year, to: year}", spec)
        if spec is None or _is_number(spec):
            out[str(ind)] = spec
            continue
        if not isinstance(spec, Mapping) or set(spec) - set(_TARGET_KEYS):
            raise bad
        value = spec.get("value")
        if isinstance(value, Mapping):
            if not value or not all(_is_year(y) and _is_number(v) for y, v in value.items()):
                raise bad
        elif value is not None and not _is_number(value):
            raise bad
        if any(k in spec and not _is_year(spec[k]) for k in ("from", "to")):
            raise bad
        out[str(ind)] = dict(spec)
    return out


def target_spec(targets: Mapping[str, Any], ind: str) -> dict[str, Any] | None:
    """An indicator's target as ``{value, from, to}``, or None when it has none."""
    spec = targets.get(ind)
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        spec = {"value": spec}
    return None if spec.get("value") is None else dict(spec)


def target_value(targets: Mapping[str, Any], ind: str, year: int | None) -> float | None:
    """The target of an indicator in a year (None: no target that year).

    A target is a number, or ``{value: number | {year: number}, from: year, to: year}``. With
    ``year=None`` the answer is whether a target is configured at all (its first value).
    """
    spec = target_spec(targets, ind)
    if spec is None:
        return None
    value = spec["value"]
    if year is None:
        return float(next(iter(value.values()))) if isinstance(value, Mapping) else float(value)
    if ("from" in spec and year < int(spec["from"])) or ("to" in spec and year > int(spec["to"])):
        return None
    if isinstance(value, Mapping):
        v = value.get(year, value.get(str(year)))
        return None if v is None else float(v)
    return float(value)


def number_text(value: float) -> str:
    """A configured number as text: 3.0 -> '3', 2.5 -> '2.5', 100000 -> '100000'."""
    v = float(value)
    return str(int(v)) if v.is_integer() else f"{v:.12g}"


# --------------------------------------------------------------------------- units.csv


class UnitRow(NamedTuple):
    """One row of units.csv."""

    code: str
    name: str
    type: str
    aliases: str  # '|'-separated


def _read_units(file: Traversable) -> tuple[UnitRow, ...]:
    """units.csv, checked. Read with the csv module: the ingest workers load the profile, and
    they do not import pandas (see ``talentstats.reading.ingest``)."""
    import csv
    from collections import Counter

    if not file.is_file():
        raise ConfigError(
            f"缺少单位名录 {file}：配置目录须有 units.csv（列 {','.join(UNIT_COLUMNS)}） / "
            f"missing {file}: a profile needs units.csv with columns {','.join(UNIT_COLUMNS)}"
        )
    try:
        lines = list(csv.reader(file.read_text("utf-8-sig").splitlines()))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"单位名录 {file} 无法读取为 UTF-8 CSV：{exc} / {file} is not a readable UTF-8 CSV") from exc
    header = [h.strip() for h in lines[0]] if lines else []
    missing = [c for c in UNIT_COLUMNS if c not in header]
    if missing:
        raise ConfigError(
            f"单位名录 {file} 缺少列：{'、'.join(missing)}（应有 {','.join(UNIT_COLUMNS)}） / "
            f"{file} lacks the columns {', '.join(missing)} (expected {','.join(UNIT_COLUMNS)})"
        )
    at = [header.index(c) for c in UNIT_COLUMNS]
    rows: list[UnitRow] = []
    for line, values in enumerate(lines[1:], start=2):
        if not any(v.strip() for v in values):
            continue  # a blank line
        if len(values) != len(header):
            raise ConfigError(
                f"单位名录 {file} 第{line}行有 {len(values)} 列，表头有 {len(header)} 列 / "
                f"{file} line {line} has {len(values)} fields, the header {len(header)}"
            )
        row = UnitRow(*(values[i] for i in at))
        if not row.code.isdigit():
            raise _field_error(f"{file} 第{line}行 / line {line}", "code", "应为数字组成的单位代码",
                               "must be a unit code of digits", row.code)
        if not row.name.strip():
            raise _field_error(f"{file} 第{line}行 / line {line}", "name", "为空", "is empty", row.name)
        rows.append(row)
    dup = sorted(code for code, n in Counter(r.code for r in rows).items() if n > 1)
    if dup:
        raise ConfigError(f"单位名录 {file} 中单位代码重复：{'、'.join(dup)} / {file}: duplicate codes {', '.join(dup)}")
    if len(rows) < 2:
        raise ConfigError(f"单位名录 {file} 至少应有全市和一个填报单位 / {file} needs the city and at least one unit")
    return tuple(rows)
