"""How configured numbers are written in texts: shared by the indicator dictionary, the
assessment's labels and the bulletin (which imports them from here, not the other way round)."""

from __future__ import annotations

__all__ = ["chinese_numeral", "number_text"]

_DIGITS = "零一二三四五六七八九"


def number_text(value: float) -> str:
    """A configured number as text: 3.0 -> '3', 2.5 -> '2.5', 100000 -> '100000'."""
    v = float(value)
    return str(int(v)) if v.is_integer() else f"{v:.12g}"


def chinese_numeral(n: int) -> str:
    """Chinese numeral for 0-99, as used in headings and 前十位: 3 -> '三', 12 -> '十二'."""
    if not 0 <= n < 100:
        raise ValueError(f"chinese_numeral supports 0-99, got {n}")
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _DIGITS[tens]
    return f"{head}十{_DIGITS[ones] if ones else ''}"
