"""dashboards.figures: pure builders, checked on the figure they return."""

from __future__ import annotations

import polars as pl
import pytest

from dashboards.figures import savings_vs_agreement


@pytest.fixture
def curve(projection_rows) -> pl.DataFrame:
    rows = [row for row in projection_rows() if row["router"] == "length"]
    return pl.DataFrame(rows[::-1])  # out of order on purpose


def test_band_line_and_marker(curve):
    figure = savings_vs_agreement(curve, current_threshold=0.3)
    band, line, marker = figure.data
    routed = curve.filter(pl.col("agreement_small").is_not_null()).sort("threshold")
    assert len(routed) == 10  # threshold 1.0 routes nothing small: no agreement, no point
    assert list(line.x) == routed["gpu_hours_saved_per_day"].to_list()
    assert list(line.y) == routed["agreement_small"].to_list()
    assert list(band.y) == (
        routed["agreement_small_hi"].to_list() + routed["agreement_small_lo"].to_list()[::-1]
    )
    row = routed.filter(pl.col("threshold") == 0.3).row(0, named=True)
    assert marker.name == "Threshold 0.30"
    assert list(marker.x) == [row["gpu_hours_saved_per_day"]]
    assert list(marker.y) == [row["agreement_small"]]
    assert marker.error_y.array[0] == pytest.approx(row["agreement_small_hi"] - row["agreement_small"])
    assert figure.layout.xaxis.title.text == "GPU-hours saved per day"


def test_no_marker_where_nothing_is_routed_small(curve):
    assert len(savings_vs_agreement(curve, current_threshold=1.0).data) == 2


def test_empty_curve_still_builds(curve):
    figure = savings_vs_agreement(curve.clear(), current_threshold=0.5)
    assert [len(trace.x) for trace in figure.data] == [0, 0]


def test_segment_labels_from_the_logs_are_text_not_markup():
    from dashboards.figures import segment_bars

    frame = pl.DataFrame({"segment": ['<a href="http://x">web</a>', "chat & search"], "share_small": [0.4, 0.5],
                          "share_small_lo": [0.3, 0.4], "share_small_hi": [0.5, 0.6]})
    labels = list(segment_bars(frame, "share_small", "share_small_lo", "share_small_hi", title="x").data[0].y)
    assert labels == ['&lt;a href="http://x"&gt;web&lt;/a&gt;', "chat &amp; search"]
