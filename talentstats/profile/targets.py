"""Plan targets (city.yaml ``targets:``) as steps in time, and the one answer to "the target of
indicator X in year Y".

A target is null (none), a number (every year), one step ``{value: 3, from: 2012, to: 2016}``
(``from``/``to`` optional, inclusive), or a list of steps, each with its ``from``::

    I08: [{from: 2013, value: 3}, {from: 2017, value: 4}]

A step without ``to`` lasts until the next step starts (the last one: open). Steps must start in
increasing years and not overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from talentstats.errors import ConfigError

__all__ = ["Step", "Targets", "check_targets", "fund_ratio_line", "target_step", "target_value"]


@dataclass(frozen=True)
class Step:
    """One target value and the years it applies to (None: open on that side)."""

    value: float
    start: int | None = None  # `from`
    end: int | None = None  # `to`, inclusive

    def covers(self, year: int) -> bool:
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)


Targets = Mapping[str, tuple[Step, ...]]  # indicator id -> its steps (empty: no target)

_STEP_KEYS = {"value", "from", "to"}


def _error(where: object, field: str, value: object) -> ConfigError:
    return ConfigError(
        f"配置文件 {where} 的字段 {field} 应为数字、null、{{value: 数字, from: 年份, to: 年份}} "
        f"或这样的分段列表（每段须有 from，年份递增且不重叠）（现为 {value!r}） / "
        f"{where}: field {field} must be a number, null, {{value: number, from: year, to: year}} or "
        f"a list of such steps, each with `from`, in increasing years without overlap (got {value!r})"
    )


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _year(v: object) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return int(v) if isinstance(v, str) and v.isdigit() else None


def _step(raw: object, where: object, field: str) -> Step:
    if _is_number(raw):
        return Step(float(raw))
    if not isinstance(raw, Mapping) or set(raw) - _STEP_KEYS or not _is_number(raw.get("value")):
        raise _error(where, field, raw)
    ends = {}
    for key in ("from", "to"):
        if key in raw:
            ends[key] = _year(raw[key])
            if ends[key] is None:
                raise _error(where, f"{field}.{key}", raw[key])
    start, end = ends.get("from"), ends.get("to")
    if start is not None and end is not None and end < start:
        raise _error(where, field, raw)
    return Step(float(raw["value"]), start, end)


def check_targets(targets: object, where: object = "targets") -> dict[str, tuple[Step, ...]]:
    """The ``targets:`` mapping of city.yaml as steps per indicator id.

    Raises
    ------
    ConfigError
        Naming ``where`` and the field (``targets.I08[1].from``) when a target is malformed.
    """
    if targets is None:
        return {}
    if not isinstance(targets, Mapping):
        raise _error(where, "targets", targets)
    out: dict[str, tuple[Step, ...]] = {}
    for ind, spec in targets.items():
        field = f"targets.{ind}"
        if spec is None:
            out[str(ind)] = ()
            continue
        if not isinstance(spec, list):
            out[str(ind)] = (_step(spec, where, field),)
            continue
        if not spec:
            raise _error(where, field, spec)
        steps = [_step(s, where, f"{field}[{i}]") for i, s in enumerate(spec)]
        for i, s in enumerate(steps):
            if s.start is None:
                raise _error(where, f"{field}[{i}].from", spec[i])
            if i and (s.start <= steps[i - 1].start or
                      steps[i - 1].end is not None and s.start <= steps[i - 1].end):
                raise _error(where, f"{field}[{i}].from", spec[i])
        # a step without `to` ends where the next one starts
        out[str(ind)] = tuple(
            Step(s.value, s.start, s.end if s.end is not None or i + 1 == len(steps)
                 else steps[i + 1].start - 1)
            for i, s in enumerate(steps)
        )
    return out


def target_step(targets: Targets, ind: str, year: int | None) -> Step | None:
    """The step of an indicator's target that covers ``year`` (None: no target that year).

    With ``year=None``, the first step: whether a target is configured at all.
    """
    steps = targets.get(ind, ())
    if year is None:
        return steps[0] if steps else None
    return next((s for s in steps if s.covers(year)), None)


def target_value(targets: Targets, ind: str, year: int | None) -> float | None:
    """The target of indicator ``ind`` in ``year`` (None: none that year); see :func:`target_step`."""
    step = target_step(targets, ind, year)
    return None if step is None else step.value


def fund_ratio_line(targets: Targets, year: int) -> float:
    """The fund-ratio line in % of ``year`` (targets.I08; 3 for Dongguan).

    Raises
    ------
    ConfigError
        When no step of targets.I08 covers ``year``.
    """
    line = target_value(targets, "I08", year)
    if line is None:
        raise ConfigError(
            f"city.yaml 的 targets.I08 没有 {year} 年的人才专项资金比例要求 / "
            f"city.yaml: targets.I08 has no fund-ratio line for {year}"
        )
    return line
