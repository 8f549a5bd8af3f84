"""The optional judge: a configured model asked, in both answer orders, whether two answers to
the same question say the same thing. It runs through the replay engine, so its prompt and
output tokens, device-seconds and batches are counted like any replay.

A verdict is the first word of the judge's reply: yes (1), no (0), anything else unparsed
(0.5). The judge's score for a pair is the mean of its two verdicts, so an order-dependent
judge scores 0.5; the judge says agree when the score is above 0.5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scoring.agreement import normalize_answer
from scoring.config import ModelSpec
from scoring.replay.engine import ReplayRequest, ReplayRun, replay

ORDERS = ("small_first", "large_first")
Generate = Callable[[list[ReplayRequest]], ReplayRun]
JUDGE_PROMPT = (
    'Do these two answers to the question "{question}" say the same thing?\n'
    "Answer 1: {first}\nAnswer 2: {second}\nReply with yes or no."
)


@dataclass
class JudgeRun:
    score: list[float]  # per pair: mean of the two verdicts, in [0, 1]
    verdicts: dict[str, list[float]]  # per order, per pair: 1, 0 or 0.5 (unparsed)
    replay: ReplayRun  # outputs, tokens, seconds and batches, request ids "<pair id>|<order>"


def _clip(answer: str, max_chars: int) -> str:
    # The judge's context is finite: a very long answer is cut, visibly.
    answer = " ".join((answer or "").split())
    return answer if len(answer) <= max_chars else answer[:max_chars] + " [...]"


def judge_prompt(question: str, first: str, second: str, *, max_answer_chars: int = 1000) -> str:
    """The question put to the judge.

    Example:
        >>> print(judge_prompt("capital of france", "Paris", "It is Paris."))
        Do these two answers to the question "capital of france" say the same thing?
        Answer 1: Paris
        Answer 2: It is Paris.
        Reply with yes or no.
    """
    return JUDGE_PROMPT.format(question=" ".join(question.split()),
                               first=_clip(first, max_answer_chars) or "(no answer)",
                               second=_clip(second, max_answer_chars) or "(no answer)")


def parse_verdict(output: str | None) -> float:
    """1.0 for yes, 0.0 for no, 0.5 for anything else.

    Example:
        >>> [parse_verdict(x) for x in ("Yes, they do.", "no", "Maybe", None)]
        [1.0, 0.0, 0.5, 0.5]
    """
    words = normalize_answer(output).split()
    if not words:
        return 0.5
    return {"yes": 1.0, "no": 0.0}.get(words[0], 0.5)


def judge_generator(spec: ModelSpec, cache_dir: str) -> Generate:
    """The judge's replay function for its backend; a local model loads on first use, once."""
    if spec.backend == "openai":
        from scoring.replay.openai_backend import replay_openai

        return lambda requests: replay_openai(spec, requests)
    if spec.backend != "transformers":
        raise ValueError(f"the judge must generate: backend {spec.backend!r} cannot")

    def generate(requests: list[ReplayRequest]) -> ReplayRun:
        from scoring.replay.weights import load_causal_lm

        model, tokenizer = load_causal_lm(spec.weights, spec.dtype, spec.device, cache_dir)
        return replay(spec, requests, model=model, tokenizer=tokenizer)

    return generate


def run_judge(pair_ids: list[str], questions: list[str], small: list[str], large: list[str], *,
              generate: Generate, max_answer_chars: int = 1000) -> JudgeRun:
    """Ask the judge about every pair in both orders, in one replay run.

    Example:
        >>> run = run_judge(["r1"], ["q"], ["Paris"], ["Paris"], generate=judge_generator(spec, "/tmp"))  # doctest: +SKIP
        >>> run.score  # doctest: +SKIP
        [1.0]
    """
    requests = []
    for pid, question, s, l in zip(pair_ids, questions, small, large, strict=True):
        requests.append(ReplayRequest(f"{pid}|small_first", judge_prompt(question, s, l, max_answer_chars=max_answer_chars)))
        requests.append(ReplayRequest(f"{pid}|large_first", judge_prompt(question, l, s, max_answer_chars=max_answer_chars)))
    run = generate(requests)
    by_id = {r.request_id: r for r in run.results}
    verdicts = {order: [parse_verdict(by_id[f"{pid}|{order}"].output) if f"{pid}|{order}" in by_id else 0.5
                        for pid in pair_ids] for order in ORDERS}
    score = [(x + y) / 2 for x, y in zip(verdicts["small_first"], verdicts["large_first"])]
    return JudgeRun(score=score, verdicts=verdicts, replay=run)
