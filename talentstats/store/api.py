"""The researchers' Python API: the processed datasets (docs/data-contract.md), typed, filtered and labelled.

Everything here reads the processed folder only. The roster there is already pseudonymised
(``person`` is a keyed hex pseudonym; names and ID numbers never reach processed data), and as
a second line of defence every frame leaving this module is scanned for anything shaped like an
ID number (:func:`redact_personal`), which is blanked out with a warning.

>>> import talentstats.store.api as ts                                       # doctest: +SKIP
>>> obs = ts.load("observations", years=[2015, 2016], units=["石龙镇"])  # doctest: +SKIP
>>> ts.tr1_table(2016).loc["441900102"]                                 # doctest: +SKIP
>>> ts.indicator_panel(["I01", "I08"], labels="zh")                      # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from talentstats import paths
from talentstats.errors import ParameterError
from talentstats.profile import forms
from talentstats.profile.units import city_code, identify_unit, unit_name
from talentstats.profile.units import units as units_table
from talentstats.reading.ids import ID_TEXT
from talentstats.store import catalog

__all__ = [
    "PersonalDataWarning",
    "guard_personal",
    "indicator_name",
    "indicator_panel",
    "indicator_wide",
    "load",
    "redact_personal",
    "select_rows",
    "tr1_table",
    "tr1_wide",
    "unit_codes",
    "with_unit_names",
]

# A citizen ID in any of its written forms (ids.ID_TEXT), not glued to other letters or
# digits (so a hex pseudonym or a sha256 that happens to hold 18 digits does not match).
_ID_NUMBER = ID_TEXT
_REDACTED = "［已删除］"


class PersonalDataWarning(UserWarning):
    """Text shaped like a citizen ID number was found in a dataset and blanked out."""


# --------------------------------------------------------------------------- pure helpers


def redact_personal(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Blank out anything shaped like an 18-character citizen ID number in text columns.

    Processed data never holds ID numbers by design; this is the second line of defence
    against, say, an ID number a town typed into a free-text 备注.

    Returns
    -------
    The frame (a new one when something was replaced) and the number of cells changed.

    >>> df = pd.DataFrame({"note": pd.array(["身份证44190019800101001X", "无"], dtype="string")})
    >>> out, n = redact_personal(df)
    >>> n, out.loc[0, "note"]
    (1, '身份证［已删除］')
    """
    out = frame
    changed = 0
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
            continue
        text = s.astype("string")
        hit = text.str.contains(_ID_NUMBER, na=False)
        if hit.any():
            if out is frame:
                out = frame.copy()
            out[col] = text.str.replace(_ID_NUMBER, _REDACTED, regex=True).astype(s.dtype)
            changed += int(hit.sum())
    return out, changed


def guard_personal(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """The frame with ID-shaped text blanked out (:func:`redact_personal`), warning if any was."""
    out, n = redact_personal(frame)
    if n:
        warnings.warn(
            f"{where}：{n} 个单元格含疑似身份证号码，已删除 / {n} cell(s) looked like ID numbers "
            "and were blanked; report this to the statistics office",
            PersonalDataWarning,
            stacklevel=3,
        )
    return out


def _as_list(value: object) -> list | None:
    if value is None:
        return None
    if isinstance(value, (str, int)):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def unit_codes(units: str | Iterable[str] | None) -> list[str] | None:
    """Unit codes for codes or names (any alias: 石龙, 石龙镇, 東城街道辦事處, 441900101).

    Raises
    ------
    ParameterError
        For a name that matches no unit, or matches several.

    >>> unit_codes(["石龙镇", "441900003"])
    ['441900102', '441900003']
    """
    wanted = _as_list(units)
    if wanted is None:
        return None
    known = set(units_table()["code"])
    codes = []
    for u in wanted:
        text = str(u).strip()
        code = text if text in known else identify_unit(text)
        if code is None:
            raise ParameterError(f"无法识别的单位 / unknown unit: {u!r}")
        codes.append(code)
    return codes


def _years(years: int | Iterable[int] | None) -> list[int] | None:
    wanted = _as_list(years)
    if wanted is None:
        return None
    try:
        return [int(y) for y in wanted]
    except (TypeError, ValueError):
        raise ParameterError(f"年份应为整数 / years must be integers: {years!r}") from None


def select_rows(
    frame: pd.DataFrame,
    years: int | Iterable[int] | None = None,
    units: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Rows of a dataset frame for some years and units (``None`` keeps all)."""
    keep = pd.Series(True, index=frame.index)
    ys = _years(years)
    if ys is not None:
        keep &= frame["year"].isin(ys)
    us = unit_codes(units)
    if us is not None:
        keep &= frame["unit_code"].isin(us)
    return frame.loc[keep].reset_index(drop=True)


def _unit_label(code: str) -> str:
    try:
        return unit_name(code)
    except KeyError:
        return ""


def with_unit_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ``unit_name`` right after ``unit_code``: the name in the profile's unit
    registry (东莞市 for the city's own code), ``""`` for a code it does not know (such as the
    empty code of a finding on a file whose unit was not identified).

    For researchers' frames and exports only: the processed datasets keep the contract's columns.

    >>> with_unit_names(pd.DataFrame({"unit_code": ["441900102", ""], "value": [1.0, 2.0]}))
       unit_code unit_name  value
    0  441900102       石龙镇    1.0
    1                         2.0
    """
    codes = frame["unit_code"]
    names = {code: _unit_label(code) for code in codes.dropna().unique()}
    out = frame.copy(deep=False)
    out.insert(out.columns.get_loc("unit_code") + 1, "unit_name",
               codes.map(names).astype("string"))
    return out


def tr1_wide(observations: pd.DataFrame, year: int, *, city_total: bool = False) -> pd.DataFrame:
    """TR1 of one year in the form's own layout, from an ``observations`` frame.

    Rows are (unit_code, 单位, 代码, 项目): every unit with an accepted TR1, items in form
    order; columns are the 11 columns by their Chinese names (合计, 女性, 博士研究生, ...).
    With ``city_total`` a 全市合计 block (the city's own unit code, 441900 in Dongguan) sums the
    units shown.
    """
    tr1 = forms.form("TR1")
    obs = observations.loc[(observations["form"] == "TR1") & (observations["year"] == int(year))]
    col_names = {c.code: c.short_name for c in tr1.columns}
    item_names = {i.code: i.name for i in tr1.items}
    wide = obs.pivot_table(
        index=["unit_code", "item"], columns="column", values="value", aggfunc="sum"
    ).reindex(columns=list(col_names))
    if city_total and len(wide):
        total = wide.groupby(level="item").sum(min_count=1)
        total.index = pd.MultiIndex.from_product([[city_code()], total.index], names=wide.index.names)
        wide = pd.concat([wide, total])
    units_present = list(dict.fromkeys(wide.index.get_level_values("unit_code")))
    full = pd.MultiIndex.from_product(
        [units_present, list(item_names)], names=["unit_code", "item"]
    )
    wide = wide.reindex(full)
    index = pd.MultiIndex.from_arrays(
        [
            wide.index.get_level_values("unit_code").astype("string"),
            [_unit_label(c) for c in wide.index.get_level_values("unit_code")],
            wide.index.get_level_values("item").astype("int64"),
            [item_names[i] for i in wide.index.get_level_values("item")],
        ],
        names=["unit_code", "单位", "代码", "项目"],
    )
    out = pd.DataFrame(
        wide.to_numpy(dtype="float64"), index=index, columns=list(col_names.values())
    )
    out.columns.name = "栏目"
    return out


def indicator_name(indicator: str, dictionary: pd.DataFrame | None = None) -> str:
    """The Chinese name of an indicator id, including derived ids.

    ``I04.130`` is named after its TR1 item, ``coverage.TR1`` after its form, and other
    suffixes (``I09.share``, ``I12.cum``, ``I14.D1``, ``I14.rank``) after their base indicator.
    ``dictionary`` is :func:`talentstats.analysis.indicators.indicator_dictionary` (read when omitted).
    """
    names = _dictionary_names(dictionary)
    if indicator in names:
        return names[indicator]
    base, _, suffix = indicator.partition(".")
    if base == "coverage":
        try:
            return f"覆盖单位数：{forms.form(suffix).title}"
        except KeyError:
            return "覆盖单位数"
    stem = names.get(base, base)
    if base == "I04" and suffix.isdigit():
        try:
            return f"{stem}：{forms.form('TR1').item(int(suffix)).name}"
        except KeyError:
            pass
    extra = {"share": "占比", "cum": "累计", "rank": "排名"}.get(suffix, suffix)
    return f"{stem}（{extra}）" if suffix else stem


def _dictionary_names(dictionary: pd.DataFrame | None) -> dict[str, str]:
    if dictionary is None:
        from talentstats.analysis.indicators import indicator_dictionary
        from talentstats.profile.config import load_profile

        dictionary = indicator_dictionary(load_profile())  # profile: passed in by the shell
    key = "indicator" if "indicator" in dictionary.columns else "id"
    return dict(zip(dictionary[key].astype(str), dictionary["name"].astype(str), strict=True))


def indicator_wide(
    indicators: pd.DataFrame,
    ids: Iterable[str] | None = None,
    *,
    labels: str = "id",
    dictionary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A units x years panel from an ``indicators`` frame.

    Rows are (unit_code, 单位, year), one per unit and year that has any of the indicators;
    columns are indicator ids (``labels="id"``) or "id 中文名" (``labels="zh"``), in the order
    asked for (or sorted). A missing value means not submitted or rejected, never 0.
    """
    if labels not in ("id", "zh"):
        raise ParameterError(f"labels 应为 'id' 或 'zh' / labels must be 'id' or 'zh': {labels!r}")
    wanted = _as_list(ids)
    data = indicators if wanted is None else indicators.loc[indicators["indicator"].isin(wanted)]
    order = wanted if wanted is not None else sorted(data["indicator"].unique())
    wide = data.pivot_table(
        index=["unit_code", "year"], columns="indicator", values="value", aggfunc="first"
    ).reindex(columns=order)
    index = pd.MultiIndex.from_arrays(
        [
            wide.index.get_level_values("unit_code").astype("string"),
            [_unit_label(c) for c in wide.index.get_level_values("unit_code")],
            wide.index.get_level_values("year").astype("int64"),
        ],
        names=["unit_code", "单位", "year"],
    )
    columns = list(order)
    if labels == "zh":
        columns = [f"{i} {indicator_name(i, dictionary)}" for i in order]
    out = pd.DataFrame(wide.to_numpy(dtype="float64"), index=index, columns=columns)
    out.columns.name = "indicator"
    return out


# --------------------------------------------------------------------------- I/O edge


def _folder(processed_dir: str | Path | None) -> Path:
    return Path(processed_dir) if processed_dir is not None else paths.processed_dir()


def load(
    name: str,
    years: int | Iterable[int] | None = None,
    units: str | Iterable[str] | None = None,
    *,
    processed_dir: str | Path | None = None,
) -> pd.DataFrame:
    """One processed dataset, typed per :data:`talentstats.store.catalog.DATASETS`, with the unit's
    name (``unit_name``) next to ``unit_code`` (:func:`with_unit_names`).

    Parameters
    ----------
    name
        observations, findings, submissions, roster or indicators.
    years, units
        Keep only these years, and these units (codes or any name, e.g. ``"石龙镇"``).
    processed_dir
        Default: ``$TALENTSTATS_PROCESSED`` or ``data/processed``.

    Raises
    ------
    DataNotFound
        Unknown dataset, or the folder has not been ingested yet.
    ParameterError
        A year that is not an integer, or a unit that cannot be identified.

    Examples
    --------
    >>> obs = load("observations", years=2016, units="石龙")  # doctest: +SKIP
    >>> obs.query("form == 'TR1' and item == 100 and column == 1")["value"]  # doctest: +SKIP
    """
    ys = _years(years)  # validated first; then only those years' partitions are read
    frame = catalog.read_dataset(_folder(processed_dir), name, years=ys)
    return with_unit_names(guard_personal(select_rows(frame, ys, units), name))


def tr1_table(
    year: int,
    units: str | Iterable[str] | None = None,
    *,
    city_total: bool = False,
    processed_dir: str | Path | None = None,
) -> pd.DataFrame:
    """TR1 人才资源情况 of one year, laid out like the form (see :func:`tr1_wide`).

    Examples
    --------
    >>> t = tr1_table(2016, city_total=True)  # doctest: +SKIP
    >>> t.xs(130, level="代码")                  # doctest: +SKIP
    >>> t.loc[("441900", "东莞市", 100), "合计"]  # doctest: +SKIP
    """
    obs = load("observations", years=year, units=units, processed_dir=processed_dir)
    return tr1_wide(obs, year, city_total=city_total)


def indicator_panel(
    indicators: str | Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
    units: str | Iterable[str] | None = None,
    *,
    labels: str = "id",
    processed_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Indicators as a units x years panel (see :func:`indicator_wide`).

    Examples
    --------
    >>> p = indicator_panel(["I01", "I08"], years=range(2012, 2017))  # doctest: +SKIP
    >>> p.xs("441900", level="unit_code")["I01"]                       # doctest: +SKIP
    >>> indicator_panel(["I08"], labels="zh").columns[0]              # doctest: +SKIP
    'I08 人才专项资金占财政总收入比例'
    """
    data = load("indicators", years=years, units=units, processed_dir=processed_dir)
    return indicator_wide(data, _as_list(indicators), labels=labels)
