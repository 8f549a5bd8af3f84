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


def column_label(name: str) -> str:
    """A stored column's name as a table header: words, not snake case.

    Example:
        >>> column_label("dollars_saved_per_year_lo"), column_label("share_small")
        ('Dollars saved per year (95% low)', 'Share small')
    """
    ends = {"_lo": " (95% low)", "_hi": " (95% high)"}
    end = next((label for suffix, label in ends.items() if name.endswith(suffix)), "")
    body = name[: -3] if end else name
    words = body.replace("_", " ")
    return words[:1].upper() + words[1:] + end


def table_columns(frame) -> dict:
    """``st.dataframe``'s column_config for stored columns: readable headers, shares as
    percentages, dollars as dollars, thresholds to two decimals (the data, and so its download,
    keeps every digit)."""
    import streamlit as st  # here, so the formatting doctests need no Streamlit

    config = {}
    for name in frame.columns:
        label = column_label(name)
        if name.startswith(("share_", "agreement_", "unchanged", "kept_small", "quality")) and "p_value" not in name:
            config[name] = st.column_config.NumberColumn(label, format="percent")
        elif name.startswith("dollars_saved"):
            config[name] = st.column_config.NumberColumn(label, format="dollar")
        elif name == "threshold":
            config[name] = st.column_config.NumberColumn(label, format="%.2f")
        elif frame.schema[name].is_float():
            config[name] = st.column_config.NumberColumn(label, format="%.4g")
        else:
            config[name] = st.column_config.Column(label)
    return config
