"""assets.summary: the lines `planb demo` prints for a recommended threshold and for none."""

import polars as pl

from assets.summary import recommendation_lines

ROW = {
    "router": "small_confidence", "auc": 0.71, "auc_lo": 0.65, "auc_hi": 0.77, "apgr": 0.62, "apgr_lo": 0.58,
    "apgr_hi": 0.66, "cpt50": 0.31, "cpt50_lo": 0.27, "cpt50_hi": 0.36, "cpt80": 0.58, "cpt95": 0.86,
    "recommended_threshold": 0.42, "share_small": 0.38, "agreement_small": 0.979, "agreement_small_lo": 0.961,
    "agreement_small_hi": 0.992, "unchanged_share": 0.992, "unchanged_lo": 0.985, "unchanged_hi": 0.997,
    "gpu_hours_saved_per_day": 12.3456, "gpu_hours_saved_lo": 10.9876, "gpu_hours_saved_hi": 13.6543,
    "dollars_saved_per_year": 1234.56, "dollars_saved_per_year_lo": 1098.76, "dollars_saved_per_year_hi": 1365.43,
    "note": None, "best_agreement_lo": 0.99,
}


def test_a_recommended_threshold_with_its_intervals():
    lines = recommendation_lines(pl.DataFrame([ROW]), target=0.95)
    assert lines[1] == ("small_confidence  0.710 [0.650, 0.770]       0.620 [0.580, 0.660]       "
                        "31.0% [27.0%, 36.0%]          58.0%     86.0%")
    assert lines[2] == "\nRecommended threshold: the largest savings whose agreement lower bound stays >= 95%"
    assert lines[4] == ("small_confidence      0.420         38.0%  97.9% [96.1%, 99.2%]     99.2% [98.5%, 99.7%]     "
                        "12.3456 [10.9876, 13.6543]         1,234.56 [1,098.76, 1,365.43]")


def test_none_says_why_and_missing_intervals_say_so():
    row = {**ROW, "recommended_threshold": None, "note": "agreement's lower 95% bound reaches 95% at no threshold",
           "best_agreement_lo": 0.9, "auc_lo": None, "auc_hi": None, "cpt80": None}
    lines = recommendation_lines(pl.DataFrame([row]), target=0.95)
    assert "0.710 [no interval: too few sampled]" in lines[1] and lines[1].rstrip().endswith("n/a     86.0%")
    assert lines[4] == ("small_confidence       none  agreement's lower 95% bound reaches 95% at no threshold "
                        "(best agreement lower bound: 90.0%)")
