"""The towns' assessment (人才工作目标责任考核, 实施方案第19条): the score I14 and its rank.

The score is configuration, not code: ``data/assessment.yaml`` names the four dimensions of §19,
their weights, the indicators behind each, how each is normalised to 0-100 and how a missing
indicator is treated. The plan targets (``targets:``), which ``talentstats.analysis.indicators`` turns
into completion rates (完成率), are the city's: they come from the deployment profile's
``city.yaml`` (``talentstats.profile.config``) and are added to the loaded configuration. A deployment
profile may hold its own ``assessment.yaml``; the packaged one applies otherwise.

Scoring, in short (the YAML's comments are the full statement):

* each indicator is normalised per year over the units that have a value: ``minmax`` (worst 0,
  best 100) or ``target`` (attainment of a target, capped at 100; without a ``target:`` of its
  own, the indicator's plan target of that year);
* a dimension score is the weighted mean of its indicators' normalised scores; a missing
  indicator is left out and its weight shared among the others (``missing_indicator:
  reweight``), or scores 0 (``zero``);
* I14 is the weighted mean of the four dimension scores; a unit lacking a whole dimension (a
  form not accepted) gets no I14 and no rank; rank 1 is the best, ties share a rank.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from talentstats.errors import ConfigError, ParameterError
from talentstats.profile.config import (
    Profile,
    check_targets,
    city,
    city_code,
    load_profile,
    load_yaml,
    number_text,
    profile_file,
    target_value,
)

__all__ = ["assess", "check_config", "dimension_table", "load_assessment_config"]

KEY = ["year", "unit_code"]
_METHODS = ("minmax", "target")
_MISSING = ("reweight", "zero")
_RANK_DECIMALS = 6  # scores equal to 6 decimals share a rank (floating-point noise is not merit)



def _default_config() -> Any:
    """The profile's configuration (or the packaged one), parsed once per profile."""
    return _profile_config(load_profile())


@cache
def _profile_config(profile: Profile) -> Any:
    file = profile_file("assessment.yaml", fallback=True)
    if file is None:  # an installation without its package data
        file = resources.files("talentstats").joinpath("data/assessment.yaml")
    try:
        cfg = load_yaml(file.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"配置文件 {file} 不是有效的 YAML：{exc} / {file} is not valid YAML") from exc
    if isinstance(cfg, Mapping) and "targets" in cfg:
        raise ConfigError(
            f"配置文件 {file} 不应含 targets：目标值写在 city.yaml 的 targets 中 / "
            f"{file}: `targets:` belong in city.yaml, not in assessment.yaml"
        )
    return cfg


def load_assessment_config(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check the assessment configuration.

    Parameters
    ----------
    path
        A YAML file shaped like ``talentstats/data/assessment.yaml``; the profile's (or the
        packaged) default when None. Its ``targets:``, if any, replace the profile's.

    Returns
    -------
    A plain dict (``targets``, ``missing_indicator``, ``dimensions``); a fresh copy each call, so
    a caller may edit it. ``targets`` are the profile's (city.yaml) unless the file has its own.

    Raises
    ------
    ParameterError
        When the file is missing or malformed (a weight that is not a positive number, an
        unknown method, a ``target`` method without a target, ...).
    """
    if path is None:
        return check_config(_default_config())  # a checked deep copy, as for a file
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ParameterError(f"cannot read assessment config {path}: {exc}") from exc
    try:
        cfg = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ParameterError(
            f"assessment config {path or '(default)'} is not valid YAML: {exc}"
        ) from exc
    return check_config(cfg)


def check_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A checked deep copy of an assessment config (see ``load_assessment_config``).

    A config without ``targets`` gets the deployment profile's (city.yaml).
    """
    if not isinstance(config, Mapping):
        raise ParameterError("assessment config must be a mapping")
    cfg = copy.deepcopy(dict(config))
    if "targets" in cfg:
        cfg["targets"] = check_targets(cfg["targets"], "assessment config")
    else:
        cfg["targets"] = copy.deepcopy(dict(_profile_targets()))
    cfg.setdefault("missing_indicator", "reweight")
    if cfg["missing_indicator"] not in _MISSING:
        raise ParameterError(
            f"missing_indicator must be one of {_MISSING}, not {cfg['missing_indicator']!r}"
        )
    dims = cfg.get("dimensions")
    if not isinstance(dims, Mapping) or not dims:
        raise ParameterError("assessment config needs a non-empty `dimensions:` mapping")
    for d, spec in dims.items():
        _check_weight(spec.get("weight"), f"dimensions.{d}.weight")
        entries = spec.get("indicators") or []
        if not entries:
            raise ParameterError(f"dimensions.{d} has no indicators")
        for i, ent in enumerate(entries):
            where = f"dimensions.{d}.indicators[{i}]"
            if not isinstance(ent, Mapping) or not ent.get("id"):
                raise ParameterError(f"{where} needs an `id`")
            ent.setdefault("weight", 1)
            ent.setdefault("method", "minmax")
            ent.setdefault("direction", "higher")
            _check_weight(ent["weight"], f"{where}.weight")
            if ent["method"] not in _METHODS:
                raise ParameterError(
                    f"{where}.method must be one of {_METHODS}, not {ent['method']!r}"
                )
            if ent["method"] == "target":
                _check_weight(_entry_target(ent, cfg["targets"]), f"{where}.target")
            if ent["direction"] not in ("higher", "lower"):
                raise ParameterError(f"{where}.direction must be higher or lower")
    return cfg


def _profile_targets() -> Mapping[str, Any]:
    return city().targets


def _entry_target(ent: Mapping[str, Any], targets: Mapping[str, Any]) -> float | None:
    """A ``target`` entry's full mark: its own ``target``, else the indicator's plan target."""
    if ent.get("target") is not None:
        return ent["target"]
    return target_value(targets, ent["id"], None)


def _float_or_nan(value: object) -> float:
    return float(value) if value is not None else np.nan  # type: ignore[arg-type]


def _label(ent: Mapping[str, Any], targets: Mapping[str, Any]) -> str:
    """The entry's label, ``{target}`` replaced by its full mark (3 in 达{target}%满分)."""
    label = str(ent.get("label", ent["id"]))
    target = _entry_target(ent, targets) if ent["method"] == "target" else None
    return label.replace("{target}", number_text(target)) if target is not None else label


def _check_weight(value: object, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ParameterError(f"{where} must be a positive number, not {value!r}")


def dimension_table(config: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The configured dimensions and indicators as a table, for reports and the codebook.

    Returns
    -------
    One row per (dimension, indicator): dimension, dimension_name, dimension_weight, indicator,
    per, scale, weight, method, target, direction, label.
    """
    cfg = load_assessment_config() if config is None else check_config(config)
    rows = [
        {
            "dimension": d,
            "dimension_name": spec.get("name", d),
            "dimension_weight": float(spec["weight"]),
            "indicator": ent["id"],
            "per": ent.get("per"),
            "scale": float(ent.get("scale", 1)),
            "weight": float(ent["weight"]),
            "method": ent["method"],
            "target": _float_or_nan(_entry_target(ent, cfg["targets"])) if ent["method"] == "target" else np.nan,
            "direction": ent["direction"],
            "label": _label(ent, cfg["targets"]),
        }
        for d, spec in cfg["dimensions"].items()
        for ent in spec["indicators"]
    ]
    return pd.DataFrame(rows).astype(
        {
            c: "string"
            for c in (
                "dimension",
                "dimension_name",
                "indicator",
                "per",
                "method",
                "direction",
                "label",
            )
        }
    )


def assess(indicators: pd.DataFrame, config: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Score the units: I14, I14.D1..D4 (0-100) and I14.rank, per year.

    Parameters
    ----------
    indicators
        Long frame (year, unit_code, indicator, value), as ``compute_indicators`` returns;
        city rows (the profile's city code) are ignored.
    config
        An assessment config (``load_assessment_config``); the packaged default when None.

    Returns
    -------
    Long frame (year, unit_code, indicator, value). A dimension score is given wherever the unit
    has at least one of its indicators; I14 and I14.rank only where every dimension has one.
    """
    cfg = load_assessment_config() if config is None else check_config(config)
    units = indicators[indicators["unit_code"] != city_code()]
    wide = units.pivot_table(index=KEY, columns="indicator", values="value", aggfunc="first")
    if wide.empty:
        return _empty()
    wide.columns = wide.columns.astype(str)

    dims: dict[str, pd.Series] = {
        f"I14.{d}": _dimension_score(wide, spec, cfg["missing_indicator"], cfg["targets"])
        for d, spec in cfg["dimensions"].items()
    }
    scores = pd.DataFrame(dims)
    weights = pd.Series({f"I14.{d}": float(s["weight"]) for d, s in cfg["dimensions"].items()})
    complete = scores.notna().all(axis=1)
    total = scores.mul(weights, axis=1).sum(axis=1) / weights.sum()
    scores["I14"] = total.where(complete)
    scores["I14.rank"] = (
        scores["I14"]
        .round(_RANK_DECIMALS)
        .groupby(level="year")
        .rank(ascending=False, method="min")
    )
    out = (
        scores.rename_axis(columns="indicator")
        .stack(future_stack=True)
        .rename("value")
        .reset_index()
        .dropna(subset=["value"])
    )
    return out.astype(
        {"year": "int64", "unit_code": "string", "indicator": "string", "value": "float64"}
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": pd.Series(dtype="int64"),
            "unit_code": pd.Series(dtype="string"),
            "indicator": pd.Series(dtype="string"),
            "value": pd.Series(dtype="float64"),
        }
    )


def _dimension_score(wide: pd.DataFrame, spec: Mapping[str, Any], missing: str,
                     targets: Mapping[str, Any]) -> pd.Series:
    """Weighted mean of the dimension's normalised indicators, per (year, unit)."""
    normalised = pd.DataFrame(
        {i: _normalise(_raw_values(wide, ent), ent, targets) for i, ent in enumerate(spec["indicators"])}
    )
    weights = pd.Series({i: float(ent["weight"]) for i, ent in enumerate(spec["indicators"])})
    present = normalised.notna()
    any_present = present.any(axis=1)
    if missing == "zero":
        normalised = normalised.fillna(0.0)
        used = pd.DataFrame(True, index=normalised.index, columns=normalised.columns)
    else:
        used = present
    w = used.mul(weights, axis=1)
    score = normalised.fillna(0.0).mul(w).sum(axis=1) / w.sum(axis=1)
    return score.where(any_present)


def _raw_values(wide: pd.DataFrame, ent: Mapping[str, Any]) -> pd.Series:
    """The indicator's values, or the derived ratio ``id / per × scale``."""
    nan = pd.Series(np.nan, index=wide.index)
    x = wide[ent["id"]] if ent["id"] in wide.columns else nan
    per = ent.get("per")
    if per:
        den = wide[per] if per in wide.columns else nan
        x = (x / den.where(den != 0)) * float(ent.get("scale", 1))
    return x.astype("float64")


def _normalise(x: pd.Series, ent: Mapping[str, Any], targets: Mapping[str, Any]) -> pd.Series:
    """Map raw values to 0-100 per year, by the entry's method."""
    if ent["method"] == "target":
        if ent.get("target") is not None:
            target: float | pd.Series = float(ent["target"])
        else:  # the plan target of each row's year (a year without one: no score)
            years = x.index.get_level_values("year")
            target = pd.Series([target_value(targets, ent["id"], int(y)) for y in years],
                               index=x.index, dtype="float64")
        return (x / target).clip(lower=0.0, upper=1.0) * 100.0
    by_year = x.groupby(level="year")
    lo, hi = by_year.transform("min"), by_year.transform("max")
    span = hi - lo
    gap = (hi - x) if ent["direction"] == "lower" else (x - lo)
    scaled = gap / span * 100.0
    # All units equal (or a single unit): nobody lags, everyone scores 100.
    return scaled.where(span > 0, 100.0).where(x.notna())
