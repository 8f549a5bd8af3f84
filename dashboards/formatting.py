"""How the dashboard writes numbers: shares as percentages, amounts with enough digits to be
read at any scale (a CPU demo saves thousandths of a GPU-hour, a fleet saves thousands)."""

from __future__ import annotations

from collections.abc import Callable

MISSING = "—"


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal.

    Example:
        >>> percent(0.4567)
        '45.7%'
    """
    return MISSING if value is None else f"{value:.1%}"


def amount(value: float | None) -> str:
    """A plain number: thousands separators when large, three significant digits when small.

    Example:
        >>> amount(12345.6), amount(12.345), amount(0.001234)
        ('12,346', '12.35', '0.00123')
    """
    if value is None:
        return MISSING
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def dollars(value: float | None) -> str:
    """An amount of US dollars, the sign before the dollar sign.

    Example:
        >>> dollars(-1234.4)
        '-$1,234'
    """
    if value is None:
        return MISSING
    return ("-" if value < 0 else "") + "$" + amount(abs(value))


def interval(lo: float | None, hi: float | None, fmt: Callable[[float | None], str]) -> str | None:
    """A 95% interval as ``[lo – hi]``, or None when either end is missing.

    Example:
        >>> interval(0.1, 0.25, percent)
        '[10.0% – 25.0%]'
    """
    if lo is None or hi is None:
        return None
    return f"[{fmt(lo)} – {fmt(hi)}]"


def read_back(text: str) -> tuple[float, float]:
    """The number a figure formatted here shows, and half a unit of its last digit (what the
    rounding may hide): the inverse the tests use to hold shown figures against SQL.

    Example:
        >>> read_back("-$1,234"), read_back("45.7%")
        ((-1234.0, 0.5), (0.457, 0.0005))
    """
    body = text.replace("$", "").replace(",", "").replace("−", "-").strip()
    is_percent = body.endswith("%")
    body = body.rstrip("%")
    decimals = len(body.split(".")[1]) if "." in body else 0
    value, half = float(body), 0.5 * 10.0**-decimals
    return (value / 100, half / 100) if is_percent else (value, half)
