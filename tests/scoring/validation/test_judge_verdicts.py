"""scoring.validation.judge_verdicts: the judge's figures against the strong judge (accuracy,
kappa, position bias, cost per pair), the pairs chosen, the request a second turn is judged on,
and the report's table."""

import json
import math
import os

import pytest

from scoring.config import load_config
from scoring.validation.judge_verdicts import (
    figures,
    judge_figures,
    parity_rows,
    render_report,
    request_text,
)
from scoring.validation.sets import load_set


def _record(small_first, large_first, score, *, tokens=100, seconds=0.5, cut=0):
    return {"small_first_preference": small_first, "large_first_preference": large_first, "score": score,
            "prompt_tokens": tokens, "output_tokens": 4, "seconds": seconds, "chars_cut": cut,
            "prompt_truncated": False}


def test_a_judge_that_always_picks_position_a_flips_everywhere_and_agrees_by_chance():
    rows = [{"pair_id": f"p{i}", "set": "alpaca_eval", "request": f"q{i}", "parity": i % 2 == 0} for i in range(40)]
    records = [_record("small", "large", 0.5) for _ in rows]  # A in both orders: no parity
    f = figures("alpaca_eval", rows, records)
    assert f.position_bias[0] == 1.0 and f.first_position_share == 1.0
    assert f.accuracy[0] == 0.5 and f.kappa[0] == 0.0  # says "not parity" everywhere: chance
    assert f.accuracy[1] < 0.5 < f.accuracy[2]
    assert f.unparsed_share == 0.0 and f.tie_share == 0.0
    assert f.prompt_tokens_per_pair == 100 and f.seconds_per_pair == 0.5


def test_a_consistent_judge_that_matches_the_truth():
    rows = [{"pair_id": f"p{i}", "set": "mt_bench", "request": f"q{i // 2}", "parity": i % 3 != 0} for i in range(30)]
    records = [_record("tie", "tie", 1.0) if r["parity"] else _record("large", "large", 0.0, cut=10) for r in rows]
    f = figures("mt_bench", rows, records)
    assert f.accuracy[0] == 1.0 and f.kappa[0] == pytest.approx(1.0)
    assert f.position_bias[0] == 0.0 and f.first_position_share == 0.5  # "large" is A once, B once
    assert f.tie_share == pytest.approx(20 / 30) and f.chars_cut_pairs == 10


def test_unparsed_replies_are_counted_and_left_out_of_position_bias():
    rows = [{"pair_id": "a", "set": "mt_bench", "request": "a", "parity": True},
            {"pair_id": "b", "set": "alpaca_eval", "request": "b", "parity": False}]
    records = [_record(None, "small", 0.75), _record("small", "small", 1.0)]
    figs = judge_figures(rows, records)
    assert [f.name for f in figs] == ["alpaca_eval", "mt_bench", "all"]
    overall = figs[-1]
    assert overall.unparsed_share == 0.25 and overall.position_bias[0] == 0.0 and overall.accuracy[0] == 0.5
    assert math.isnan(figs[1].kappa[0])  # one pair: kappa undefined, said so, not invented


def test_parity_rows_keeps_labelled_test_pairs_the_same_ones_every_time():
    rows = [{"pair_id": f"{s}:{i}", "set": s, "split": "test" if i % 4 else "fit", "parity": None if i % 5 == 0 else True}
            for s in ("alpaca_eval", "mt_bench") for i in range(40)]
    chosen = parity_rows(rows, per_set=5)
    assert len(chosen) == 10 and all(r["split"] == "test" and r["parity"] is not None for r in chosen)
    assert chosen == parity_rows(list(reversed(rows)), per_set=5)


def test_a_second_turn_is_judged_with_the_users_first_turn():
    text = request_text({"query": "Now make it shorter.", "context": [["Write a poem about rain.", "Rain..."]]})
    assert text == "(earlier in the conversation, the user asked: Write a poem about rain.)\nNow make it shorter."
    assert request_text({"query": "q", "context": []}) == "q"


def test_report_names_the_judge_and_has_a_row_per_set():
    rows = [{"pair_id": f"p{i}", "set": "alpaca_eval", "request": f"q{i}", "parity": i % 2 == 0} for i in range(10)]
    figs = judge_figures(rows, [_record("tie", "small", 1.0) for _ in rows])
    spec = load_config(None).models["small"]
    text = render_report(spec, figs, per_set=5, max_answer_chars=4000)
    assert f"Judge: **{spec.name}**" in text and "at most 5 pairs per set" in text
    assert "| alpaca_eval | 10 | 50.0% | 50.0% [" in text and "| all | 10 |" in text


def test_judge_verdicts_are_kept_and_not_asked_again(tmp_path):
    from scoring.agreement.rule import judge_spec
    from scoring.validation.judge_verdicts import cached_scores, judge_missing

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cfg = load_config(None, agreement={"judge": {"model": "small"}})
    spec = judge_spec(cfg, even_if_disabled=True)
    rows = [r for r in load_set() if r["split"] == "test"][:2]
    path = tmp_path / "verdicts.jsonl"
    ids = [r["pair_id"] for r in rows]
    assert cached_scores(path, spec.model_key, ids) is None
    asked = judge_missing(path, spec, rows, cache_dir=str(cfg.model_cache_dir), max_answer_chars=200)
    assert asked == 2
    kept = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [k["pair_id"] for k in kept] == sorted(ids)
    assert all(k["judge_key"] == spec.model_key and k["output_tokens"] >= 2 and k["seconds"] > 0 for k in kept)
    scores = cached_scores(path, spec.model_key, ids)
    assert scores is not None and set(scores) <= {0.0, 0.25, 0.5, 0.75, 1.0}
    assert judge_missing(path, spec, rows, cache_dir=str(cfg.model_cache_dir), max_answer_chars=200) == 0
    assert cached_scores(path, "another-judge", ids) is None
