"""The parity predictor's measurement (scoring/validation/parity.py): its measures against the
libraries' own, PPI++'s and Wilson's 95% intervals covering at 95% in simulation, and the
report section replaced in place; the longform verdicts turned into parity as documented."""

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from scoring.validation.parity import (
    ALPACA_TIE,
    LONGFORM_DIR,
    SECTION_BEGIN,
    SECTION_END,
    auc,
    calibration_slope,
    ece,
    longform_pairs,
    ppi_mean,
    wilson,
    write_section,
)


def test_auc_and_wilson_agree_with_the_libraries():
    rng = np.random.default_rng(1)
    y = rng.uniform(size=300) < 0.3
    p = np.round(rng.uniform(size=300) + 0.3 * y, 2)  # ties included
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    ci = binomtest(37, 100).proportion_ci(method="wilson")
    assert wilson(37, 100) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_calibration_measures_see_a_miscalibrated_predictor():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.95, 20_000)
    y = rng.uniform(size=p.size) < p
    assert ece(y, p) < 0.02 and calibration_slope(y, p) == pytest.approx(1.0, abs=0.08)
    sharp = 1 / (1 + np.exp(-3 * np.log(p / (1 - p))))  # three times too confident
    assert calibration_slope(y, sharp) == pytest.approx(1 / 3, abs=0.05) and ece(y, sharp) > 0.05


@pytest.mark.parametrize("signal", [0.0, 0.8])
def test_ppi_interval_covers_at_95_percent_and_a_useful_predictor_narrows_it(signal):
    rng = np.random.default_rng(3)
    covered, widths, alone = 0, [], []
    truth = np.mean(1 / (1 + np.exp(-(0.5 + 2 * signal * rng.normal(size=1_000_000)))))
    for _ in range(400):
        x = rng.normal(size=900)
        y = (rng.uniform(size=900) < 1 / (1 + np.exp(-(0.5 + 2 * signal * x)))).astype(float)
        f = 1 / (1 + np.exp(-(0.5 + 2 * signal * x + rng.normal(scale=0.3, size=900))))
        _, low, high = ppi_mean(y[:100], f[:100], f[100:])
        covered += low <= truth <= high
        widths.append(high - low)
        w = wilson(int(y[:100].sum()), 100)
        alone.append(w[1] - w[0])
    assert 0.92 <= covered / 400 <= 0.98
    if signal:
        assert np.mean(widths) < 0.9 * np.mean(alone)
    else:  # a useless predictor costs little: the tuning weight goes to ~0
        assert np.mean(widths) < 1.06 * np.mean(alone)


def test_the_section_is_replaced_in_place_and_kept_once(tmp_path):
    report = tmp_path / "REPORT.md"
    report.write_text("# Report\n\ntext\n", encoding="utf-8")
    write_section(report, f"{SECTION_BEGIN}\nfirst\n{SECTION_END}\n")
    write_section(report, f"{SECTION_BEGIN}\nsecond\n{SECTION_END}\n")
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Report\n\ntext\n") and text.count(SECTION_BEGIN) == 1
    assert "second" in text and "first" not in text


@pytest.mark.skipif(not (LONGFORM_DIR / "mt_bench_pairs.jsonl").exists(), reason="../shared/data/longform not here")
def test_every_longform_pair_gets_parity_as_documented():
    import polars as pl

    pairs = longform_pairs()
    assert pairs.height == 160 + 5 * 805 and pairs["parity"].null_count() == 0
    assert pairs["model_pair"].n_unique() == 6
    mt = pl.read_ndjson(LONGFORM_DIR / "mt_bench_pairs.jsonl")
    assert pairs.filter(pl.col("model_pair").str.starts_with("mt_bench"))["parity"].to_list() == (
        mt["small_grade"] >= mt["large_grade"]).to_list()
    alpaca = pl.read_ndjson(LONGFORM_DIR / "alpaca_eval_pairs.jsonl")
    expected = alpaca["small_preference_vs_reference"] >= alpaca["large_preference_vs_reference"] - ALPACA_TIE
    assert pairs.filter(pl.col("model_pair").str.starts_with("alpaca_eval"))["parity"].to_list() == expected.to_list()
