"""assets.cli.summary: the lines `planb demo` prints for a recommended threshold and for none."""

import polars as pl

from assets.cli.summary import recommendation_lines

ROW = {
    "router": "small_confidence", "auc": 0.71, "auc_lo": 0.65, "auc_hi": 0.77, "apgr": 0.62, "apgr_lo": 0.58,
    "apgr_hi": 0.66, "cpt50": 0.31, "cpt50_lo": 0.27, "cpt50_hi": 0.36, "cpt80": 0.58, "cpt95": 0.86,
    "recommended_threshold": 0.42, "share_small": 0.38, "agreement_small": 0.979, "agreement_small_lo": 0.961,
    "agreement_small_hi": 0.992, "unchanged_share": 0.992, "unchanged_lo": 0.985, "unchanged_hi": 0.997,
    "gpu_hours_saved_per_day": 12.3456, "gpu_hours_saved_lo": 10.9876, "gpu_hours_saved_hi": 13.6543,
    "dollars_saved_per_year": 1234.56, "dollars_saved_per_year_lo": 1098.76, "dollars_saved_per_year_hi": 1365.43,
    "note": None, "best_agreement_lo": 0.99, "cpt50_routellm": 0.2876, "cpt80_routellm": 0.5, "cpt95_routellm": None,
    "gate_measure": "agreement", "recommendation_risk": 0.05, "certify_min_routed": 59.0,
    "certifiable_share_small": 0.153, "kept_small": 0.979, "kept_p_value": 0.012,
}


def test_a_recommended_threshold_with_its_intervals():
    lines = recommendation_lines(pl.DataFrame([ROW]), target=0.95)
    assert lines[1] == ("small_confidence  0.710 [0.650, 0.770]       0.620 [0.580, 0.660]       "
                        "31.0% [27.0%, 36.0%]          58.0%     86.0%  28.8%/50.0%/n/a")
    assert lines[3] == ("\nRecommended threshold: the most saving one certified to keep agreement among requests "
                        "routed small >= 95%: this fails in at most 5% of samples (fixed-sequence test from the "
                        "strictest threshold down, learn-then-test); certifying it needs about 59 scored requests "
                        "routed small, all keeping quality (more when some do not)")
    assert lines[5] == ("small_confidence      0.420         38.0%  97.9% [96.1%, 99.2%]     99.2% [98.5%, 99.7%]     "
                        "12.3456 [10.9876, 13.6543]         1,234.56 [1,098.76, 1,365.43]")
    assert lines[6] == ("Smallest share routed small this sample can certify: small_confidence 15% "
                        "(more replayed requests a day lower it).")


def test_none_says_why_and_missing_intervals_say_so():
    note = "not certified at 95% even at the strictest testable threshold 0.910 (15.3% routed small, 59 effective"
    row = {**ROW, "recommended_threshold": None, "note": note, "auc_lo": None, "auc_hi": None, "cpt80": None}
    lines = recommendation_lines(pl.DataFrame([row]), target=0.95)
    assert "0.710 [no interval: too few sampled]" in lines[1] and lines[1].rstrip().endswith("n/a     86.0%  28.8%/50.0%/n/a")
    assert lines[5] == f"small_confidence       none  {note}"


def test_imported_quality_names_its_gate():
    row = {**ROW, "gate_measure": "quality kept (imported correctness)"}
    lines = recommendation_lines(pl.DataFrame([row]), target=0.95)
    assert "keep quality kept (imported correctness) among requests routed small >= 95%" in lines[3]
    assert lines[6].strip() == "quality kept (imported correctness) among routed small: 97.9% (p = 0.012)"
