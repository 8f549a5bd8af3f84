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
    band, line, bare, marker = figure.data
    assert len(bare.x) == 0  # every point has its interval
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
    assert len(savings_vs_agreement(curve, current_threshold=1.0).data) == 3


def test_empty_curve_still_builds(curve):
    figure = savings_vs_agreement(curve.clear(), current_threshold=0.5)
    assert [len(trace.x) for trace in figure.data] == [0, 0, 0]


def test_segment_labels_from_the_logs_are_text_not_markup():
    from dashboards.figures import segment_bars

    frame = pl.DataFrame({"segment": ['<a href="http://x">web</a>', "chat & search"], "share_small": [0.4, 0.5],
                          "share_small_lo": [0.3, 0.4], "share_small_hi": [0.5, 0.6]})
    labels = list(segment_bars(frame, "share_small", "share_small_lo", "share_small_hi", title="x").data[0].y)
    assert labels == ['&lt;a href="http://x"&gt;web&lt;/a&gt;', "chat &amp; search"]


def test_dollars_when_gpu_hours_are_unknown_and_points_without_interval_are_hollow(curve):
    """An imported set priced per token has no GPU-hours: the curve is drawn on dollars (issue 24);
    a point without an interval is drawn hollow with its reason, not dropped."""
    imported = curve.with_columns(pl.lit(None, pl.Float64).alias(c) for c in
                                  ("gpu_hours_saved_per_day", "gpu_hours_saved_lo", "gpu_hours_saved_hi"))
    imported = imported.with_columns(
        pl.when(pl.col("threshold") == 0.9).then(None).otherwise(pl.col("agreement_small_lo")).alias("agreement_small_lo"),
        pl.lit(3).alias("n_routed_small"))
    figure = savings_vs_agreement(imported, current_threshold=0.9)
    band, line, bare, marker = figure.data
    assert figure.layout.xaxis.title.text == "Dollars saved per day"
    assert len(line.x) == 10  # every point with an agreement, on dollars
    assert list(bare.x) == imported.filter(pl.col("threshold") == 0.9)["dollars_saved_per_day"].to_list()
    assert bare.marker.symbol == "circle-open"
    assert "no interval: 3 of 400 sampled requests routed small" in bare.customdata[0][1]
    assert marker.error_y.visible is False and marker.marker.symbol == "diamond-open"


def test_segment_bars_keep_a_segment_without_interval():
    from dashboards.figures import segment_bars

    frame = pl.DataFrame({"segment": ["1-4", "5-8"], "share_small": [0.4, 0.5], "share_small_lo": [0.3, None],
                          "share_small_hi": [0.5, None], "n_routed_small": [40, 2], "n_sample": [80, 4]})
    bars = segment_bars(frame, "share_small", "share_small_lo", "share_small_hi", title="x").data[0]
    assert list(bars.y) == ["1-4", "5-8"]
    assert list(bars.marker.color) == ["rgb(31, 119, 180)", "rgba(0,0,0,0)"]  # hollow
    assert "no interval: 2 of 4" in bars.customdata[1]
