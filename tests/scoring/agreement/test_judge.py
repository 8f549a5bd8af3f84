"""scoring.agreement.judge: the pairwise prompt, verdict parsing, both orders and position bias, recorded
cuts, and a real run of the bundled small model as the judge with its cost counted."""

import os

import pytest

from scoring.agreement.judge import (
    clip_answer,
    judge_generator,
    judge_prompt,
    parity,
    parse_preference,
    position_flips,
    run_judge,
    small_preference,
)
from scoring.agreement.rule import current_scoring_version, judge_spec
from scoring.config import load_config
from scoring.replay.engine import ReplayBatch, ReplayResult, ReplayRun


@pytest.mark.parametrize(
    ("output", "expected"),
    [("[[A]]", "first"), ("[[B]]", "second"), ("[[C]]", "tie"), (" [[ b ]]", "second"), ("A", "first"),
     ("B.", "second"), ("Tie", "tie"), ("Assistant A is better", "first"),
     ("A is vague; B is right. [[B]]", "second"),  # the last bracketed verdict counts
     ("Both are good", None), ("Answer", None), ("", None), (None, None), ("«B»", "second")],
)
def test_parse_preference(output, expected):
    assert parse_preference(output) == expected


def test_positions_become_models_and_parity():
    assert [small_preference(p, "small_first") for p in ("first", "second", "tie", None)] == ["small", "large", "tie", None]
    assert [small_preference(p, "large_first") for p in ("first", "second", "tie", None)] == ["large", "small", "tie", None]
    assert [parity(p) for p in ("small", "tie", "large", None)] == [1.0, 1.0, 0.0, 0.5]


def test_prompt_holds_the_request_and_both_answers_and_says_what_was_cut():
    prompt = judge_prompt("who wrote hamlet", "x" * 30, "", max_answer_chars=10)
    assert "[User Request]\nwho wrote hamlet\n" in prompt
    assert "[The Start of Assistant A's Answer]\nxxxxxxxxxx [... 20 characters cut]\n" in prompt
    assert "[The Start of Assistant B's Answer]\n(no answer)\n" in prompt
    assert prompt.endswith('"[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.')
    assert clip_answer("a  b", 10) == ("a b", 0)


def _scripted(reply):
    """A deterministic judge for the order logic: ``reply(prompt)`` is its whole output."""
    def generate(requests):
        results = [ReplayResult(r.request_id, reply(r.query), 10, 2, 0.5, None, None, None, "b1") for r in requests]
        return ReplayRun(results, [ReplayBatch("b1", len(requests), 10, 2, 10, 2, 0.5 * len(requests))])
    return generate


def test_a_judge_that_always_prefers_position_a_flips_on_every_pair_and_is_no_parity():
    run = run_judge(["p1", "p2"], ["q1", "q2"], ["s1", "s2"], ["l1", "l2"], generate=_scripted(lambda _: "[[A]]"))
    assert run.preferences == {"small_first": ["small", "small"], "large_first": ["large", "large"]}
    assert run.score == [0.5, 0.5]  # not > 0.5: an order-dependent judge does not grant parity
    assert position_flips(run.preferences) == (2, 2)


def test_a_consistent_judge_scores_by_the_answers_not_their_positions():
    # prefers whichever answer says "good", wherever it stands; a tie when both do
    def reply(prompt):
        a = prompt.split("Assistant A's Answer]\n")[1].split("\n")[0]
        b = prompt.split("Assistant B's Answer]\n")[1].split("\n")[0]
        return "[[C]]" if ("good" in a) == ("good" in b) else ("[[A]]" if "good" in a else "[[B]]")
    run = run_judge(["small_better", "large_better", "tie"], ["q"] * 3, ["good", "bad", "good"],
                    ["bad", "good", "good too"], generate=_scripted(reply), max_answer_chars=4)
    assert run.score == [1.0, 0.0, 1.0]
    assert position_flips(run.preferences) == (0, 3)
    assert run.chars_cut == [0, 0, 4]  # "good too" cut to 4 characters, recorded per pair


def test_judge_spec_and_scoring_version_follow_the_config():
    plain = load_config(None)
    assert judge_spec(plain) is None
    judged = load_config(None, agreement={"judge": {"enabled": True, "model": "small", "max_new_tokens": 2}})
    spec = judge_spec(judged)
    assert spec.name == plain.models["small"].name and spec.max_new_tokens == 2
    assert spec.model_key != plain.models["small"].model_key  # its own cost rows
    assert current_scoring_version(judged) != current_scoring_version(plain)


def test_bundled_small_model_judges_in_both_orders_and_its_cost_is_counted():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cfg = load_config(None, agreement={"judge": {"enabled": True, "model": "small"}})
    spec = judge_spec(cfg)
    run = run_judge(["p1", "p2"], ["who wrote hamlet", "what is the capital of france"],
                    ["William Shakespeare", "Paris" * 100], ["Shakespeare", "London"],
                    generate=judge_generator(spec, str(cfg.model_cache_dir)), max_answer_chars=200)
    ids = sorted(r.request_id for r in run.replay.results)
    assert ids == ["p1|large_first", "p1|small_first", "p2|large_first", "p2|small_first"]
    assert all(r.error is None for r in run.replay.results)
    # counted like a replay: prompt and output tokens, device-seconds, batches
    assert all(r.prompt_tokens > 100 and 1 <= r.output_tokens <= spec.max_new_tokens for r in run.replay.results)
    assert sum(r.seconds for r in run.replay.results) == pytest.approx(sum(b.seconds for b in run.replay.batches))
    assert sum(b.batch_size for b in run.replay.batches) == 4
    assert run.chars_cut == [0, 300] and run.prompt_truncated == [False, False]
    # the score is the mean of the two orders' parity verdicts, whatever the tiny model says
    for i, pid in enumerate(["p1", "p2"]):
        outputs = {r.request_id.split("|")[1]: r.output for r in run.replay.results if r.request_id.startswith(pid)}
        for order in ("small_first", "large_first"):
            assert run.preferences[order][i] == small_preference(parse_preference(outputs[order]), order)
        assert run.score[i] == (parity(run.preferences["small_first"][i]) + parity(run.preferences["large_first"][i])) / 2
