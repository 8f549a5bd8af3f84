"""scoring.judge: prompt, verdicts, and a real run of the bundled small model as the judge."""

import os

import pytest

from scoring.agreement_rule import current_scoring_version, judge_spec
from scoring.config import load_config
from scoring.judge import judge_generator, judge_prompt, parse_verdict, run_judge


@pytest.mark.parametrize(
    ("output", "expected"),
    [("Yes", 1.0), ("yes, they agree", 1.0), ("  YES.", 1.0), ("No", 0.0), ("no.", 0.0),
     ("Not really", 0.5), ("", 0.5), (None, 0.5), ("The answers", 0.5), ("«Yes»", 1.0)],
)
def test_parse_verdict(output, expected):
    assert parse_verdict(output) == expected


def test_prompt_puts_both_answers_and_marks_cut_and_empty_ones():
    prompt = judge_prompt("who wrote hamlet", "x" * 30, "", max_answer_chars=10)
    assert "Answer 1: xxxxxxxxxx [...]\n" in prompt
    assert "Answer 2: (no answer)\n" in prompt
    assert prompt.startswith('Do these two answers to the question "who wrote hamlet"')


def test_judge_spec_and_scoring_version_follow_the_config(tmp_path):
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
                    ["William Shakespeare", "Paris"], ["Shakespeare", "London"],
                    generate=judge_generator(spec, str(cfg.model_cache_dir)))
    ids = sorted(r.request_id for r in run.replay.results)
    assert ids == ["p1|large_first", "p1|small_first", "p2|large_first", "p2|small_first"]
    assert all(r.error is None for r in run.replay.results)
    # counted like a replay: prompt and output tokens, device-seconds, batches
    assert all(r.prompt_tokens > 20 and 1 <= r.output_tokens <= spec.max_new_tokens for r in run.replay.results)
    assert sum(r.seconds for r in run.replay.results) == pytest.approx(sum(b.seconds for b in run.replay.batches))
    assert sum(b.batch_size for b in run.replay.batches) == 4
    # the score is the mean of the two orders' parsed verdicts, whatever the tiny model says
    for i, pid in enumerate(["p1", "p2"]):
        outputs = {r.request_id.split("|")[1]: r.output for r in run.replay.results if r.request_id.startswith(pid)}
        assert run.verdicts["small_first"][i] == parse_verdict(outputs["small_first"])
        assert run.score[i] == (run.verdicts["small_first"][i] + run.verdicts["large_first"][i]) / 2
