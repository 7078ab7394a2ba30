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
from talentstats.analysis.declarations import Indicators, build_assessment, build_indicators
from talentstats.errors import ConfigError
from talentstats.profile.reference import CENSUS, TOTALS, Reference, build_reference
from talentstats.profile.targets import Targets, check_targets, target_step
from talentstats.profile.text import normalize_label

if TYPE_CHECKING:
    from talentstats.profile.forms import Form
    from talentstats.validation.rulebook import Rule

__all__ = [
    "ENV_VAR",
    "City",
    "ConfigError",
    "Profile",
    "city",
    "city_code",
    "load_profile",
    "load_yaml",
    "profile_file",
    "reset",
    "select",
    "selection",
]

ENV_VAR = "TALENTSTATS_CONFIG"  # read through talentstats.paths.config_dir
UNIT_COLUMNS = ("code", "name", "type", "aliases")
DEFAULT_TITLE = "{city}{year}年人才资源统计公报"
DEFAULT_OFFICE = "市人才办"
DEFAULT_UNIT_TERM = "县（市、区）"


@dataclass(frozen=True)
class City:
    """The city of a profile (``city.yaml``)."""

    code: str  # the city's own row of units.csv; the city rows of the datasets carry it
    name: str  # 东莞市
    short_name: str  # 东莞: in the name of the city's own programme, TR5 item 510 (人才东莞战略专项)
    issuer: str  # 制定机关 of the forms; author of the bulletin, annex and feedback
    office: str  # who fills in the city's own form (TR5), as file names say it: 市人才办
    bulletin_title: str  # "{city}{year}年人才资源统计公报"
    targets: Targets  # plan targets as steps in time (talentstats.profile.targets)
    unit_term: str = DEFAULT_UNIT_TERM  # what the reporting units are called: 镇街（园区）

    def bulletin_name(self, year: int) -> str:
        """The bulletin's title and file stem, e.g. 东莞市2016年人才资源统计公报."""
        return self.bulletin_title.format(city=self.name, year=year)


@dataclass(frozen=True, eq=False)  # hashed by identity: derived caches are keyed by a Profile
class Profile:
    """A loaded, checked profile: where it is, its city and units, and the declarations built
    for it (forms, rules, indicators, assessment weights, reference data)."""

    folder: str
    city: City
    units: tuple[UnitRow, ...]  # the rows of units.csv, in its order
    forms: Mapping[str, Form]  # forms.yaml, built for this city: code -> Form
    rules: Mapping[str, Rule]  # rules.yaml: id -> Rule
    indicators: Indicators  # the declared indicators (indicators.yaml)
    assessment: Mapping[str, Any]  # the assessment's dimensions and weights (assessment.yaml)
    reference: Reference  # resident population (reference/)


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

    forms = build_forms(_read_yaml(_child(_packaged(), "forms.yaml")), city_.short_name)
    assessment = _child(root, "assessment.yaml")
    assessment = assessment if assessment.is_file() else _child(_packaged(), "assessment.yaml")
    census = _child(root, CENSUS)
    return Profile(
        str(root), city_, units, forms,
        build_rules(_read_yaml(_child(_packaged(), "rules.yaml")), forms),
        build_indicators(_read_yaml(_child(_packaged(), "indicators.yaml")), forms),
        build_assessment(_read_yaml(assessment), assessment, city_.targets),
        build_reference(_read_yaml(_child(root, TOTALS)), census.read_text("utf-8") if census.is_file() else None,
                        city_.code, str(root)),
    )


def _read_yaml(file: Traversable) -> Any:
    """A declaration file parsed, or None when it does not exist."""
    if not file.is_file():
        return None
    try:
        return load_yaml(file.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {file} 不是有效的 YAML（UTF-8）：{exc} / {file} is not valid UTF-8 YAML") from exc


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
    raw = _read_yaml(file)
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
    if target_step(targets, "I08", None) is None or any(s.value <= 0 for s in targets["I08"]):
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
        unit_term=_text(raw, "unit_term", file, DEFAULT_UNIT_TERM),
    )


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
    _check_aliases(rows, file)
    return tuple(rows)


def _check_aliases(rows: list[UnitRow], file: object) -> None:
    """A name or alias that names two units (after normalising: 東城 is 东城) is an error: the
    ingest would attribute one unit's files to the other."""
    owner: dict[str, UnitRow] = {}
    for row in rows:
        for name in {normalize_label(n) for n in (row.name, *row.aliases.split("|")) if n.strip()}:
            other = owner.setdefault(name, row)
            if other.code != row.code:
                raise ConfigError(
                    f"单位名录 {file} 中名称或别名“{name}”同时指向 {other.code} {other.name} 和 "
                    f"{row.code} {row.name} / {file}: the name or alias {name!r} names two units, "
                    f"{other.code} {other.name} and {row.code} {row.name}"
                )
