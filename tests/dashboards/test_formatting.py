"""dashboards.formatting: how numbers read on the dashboard."""

from __future__ import annotations

import pytest

from dashboards.formatting import MISSING, amount, dollars, interval, percent


@pytest.mark.parametrize(
    ("value", "text"),
    [(123456.7, "123,457"), (100.0, "100"), (42.125, "42.12"), (0.0123456, "0.0123"), (0.0, "0")],
)
def test_amount(value, text):
    assert amount(value) == text


def test_percent_dollars_and_missing():
    assert percent(0.98765) == "98.8%"
    assert dollars(1234567.0) == "$1,234,567"
    assert dollars(-0.5) == "-$0.5"
    assert percent(None) == amount(None) == dollars(None) == MISSING


def test_interval():
    assert interval(-10.0, 250.0, dollars) == "[-$10.00 – $250]"
    assert interval(None, 0.2, percent) is None
