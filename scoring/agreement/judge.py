"""The pairwise quality-parity judge: a configured model asked, in both answer orders, which of
two answers to the same request is better, ties allowed (MT-Bench's and Arena-Hard's pairwise
format). It answers "is the small answer at least as good as the large one?", the question
AlpacaEval and RouteLLM ask of open-ended answers, where "the same words" means nothing.

It runs through the replays' backend map (scoring/replay/backends.py: local transformers, or
openai for vLLM, TGI, a hosted API), so its prompt and output tokens, device-seconds and batches
are counted like any replay's.

Per order, the verdict names the better position ([[A]], [[B]]) or a tie ([[C]]); it is
turned into "small at least as good" (small better or tie: 1, large better: 0, unparsed: 0.5).
A pair's score is the mean of its two orders, so a judge that flips with the order scores
0.5, which is not parity (score > 0.5 is): when in doubt, the request goes to the large model.
The share of pairs whose preference flips with the order is the judge's position bias.

Answers longer than ``max_answer_chars`` are cut in the prompt, and every cut is recorded per
pair (``chars_cut``), as is a prompt the engine had to shorten to the model's context
(``prompt_truncated``): nothing is cut silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from scoring.config import ModelSpec
from scoring.replay.backends import GENERATING, Generate, generator
from scoring.replay.engine import ReplayRequest, ReplayResult, ReplayRun

ORDERS = ("small_first", "large_first")

# MT-Bench's pairwise prompt (Zheng et al., 2023), asking for the verdict alone: a small judge
# has a few tokens to answer in, and an explanation first would cost every call dozens more.
JUDGE_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI "
    "assistants to the user request displayed below. Choose the assistant that follows the user's "
    "instructions and answers the request better: consider helpfulness, correctness, relevance, "
    "depth and clarity. Do not let the order of the responses, their length or the assistants' "
    "names influence you. If both are equally good, it is a tie.\n\n"
    "[User Request]\n{question}\n\n"
    "[The Start of Assistant A's Answer]\n{first}\n[The End of Assistant A's Answer]\n\n"
    "[The Start of Assistant B's Answer]\n{second}\n[The End of Assistant B's Answer]\n\n"
    'Output only your final verdict: "[[A]]" if assistant A is better, "[[B]]" if assistant B is '
    'better, and "[[C]]" for a tie.'
)
_BRACKETED = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE)
_LEADING = re.compile(r"^[\W_]*(?:assistant\s+)?(A|B|C|tie)\b", re.IGNORECASE)
_POSITION = {"a": "first", "b": "second", "c": "tie", "tie": "tie"}


@dataclass
class JudgeRun:
    pair_ids: list[str]
    score: list[float]  # per pair: mean of the two orders' parity verdicts, in [0, 1]
    preferences: dict[str, list[str | None]]  # per order, per pair: small, large, tie or None (unparsed)
    chars_cut: list[int]  # per pair: answer characters left out of each of its prompts (both answers)
    prompt_truncated: list[bool]  # per pair: the engine kept only the end of a prompt
    replay: ReplayRun  # outputs, tokens, seconds and batches, request ids "<pair id>|<order>"

    @property
    def verdicts(self) -> dict[str, list[float]]:
        """Per order, per pair: 1 small at least as good, 0 large better, 0.5 unparsed."""
        return {order: [parity(p) for p in prefs] for order, prefs in self.preferences.items()}


def clip_answer(answer: str | None, max_chars: int) -> tuple[str, int]:
    """The answer as put to the judge (whitespace runs made one space, at most ``max_chars``
    characters) and how many characters were left out.

    Example:
        >>> clip_answer("one  two\\nthree", 7)
        ('one two [... 6 characters cut]', 6)
    """
    text = " ".join((answer or "").split())
    if len(text) <= max_chars:
        return text, 0
    cut = len(text) - max_chars
    return f"{text[:max_chars]} [... {cut} characters cut]", cut


def judge_prompt(question: str, first: str, second: str, *, max_answer_chars: int = 4000) -> str:
    """The request put to the judge, answer ``first`` in position A.

    Example:
        >>> prompt = judge_prompt("capital of france", "Paris", "It is Paris.")
        >>> prompt.splitlines()[2:4]
        ['[User Request]', 'capital of france']
        >>> prompt.splitlines()[-1][:33]
        'Output only your final verdict: "'
    """
    return JUDGE_PROMPT.format(question=(question or "").strip(),
                               first=clip_answer(first, max_answer_chars)[0] or "(no answer)",
                               second=clip_answer(second, max_answer_chars)[0] or "(no answer)")


def parse_preference(output: str | None) -> str | None:
    """The position the judge prefers: first, second or tie; None when the reply names none.
    The last bracketed verdict counts (a judge may reason first); else a leading A, B, C or tie.

    Example:
        >>> [parse_preference(x) for x in ("[[A]]", "B", "Assistant B is better", "tie", "[[C]]", "Hmm", None)]
        ['first', 'second', 'second', 'tie', 'tie', None, None]
    """
    if not output:
        return None
    found = _BRACKETED.findall(output) or _LEADING.findall(output.strip())
    return _POSITION[found[-1].lower()] if found else None


def small_preference(position: str | None, order: str) -> str | None:
    """The preferred position in ``order`` as a model: small, large or tie.

    Example:
        >>> small_preference("first", "large_first"), small_preference("tie", "small_first")
        ('large', 'tie')
    """
    if position in (None, "tie"):
        return position
    small_is_first = order == "small_first"
    return "small" if (position == "first") == small_is_first else "large"


def parity(preference: str | None) -> float:
    """Is the small answer at least as good: 1.0 (small better or tie), 0.0 (large better),
    0.5 (no verdict).

    Example:
        >>> [parity(p) for p in ("small", "tie", "large", None)]
        [1.0, 1.0, 0.0, 0.5]
    """
    return {"small": 1.0, "tie": 1.0, "large": 0.0}.get(preference, 0.5)


def position_flips(preferences: dict[str, list[str | None]]) -> tuple[int, int]:
    """(pairs whose preference changes with the order, pairs with a verdict in both orders).

    Example:
        >>> position_flips({"small_first": ["small", "tie", None], "large_first": ["large", "tie", "small"]})
        (1, 2)
    """
    both = [(a, b) for a, b in zip(*(preferences[o] for o in ORDERS), strict=True)
            if a is not None and b is not None]
    return sum(a != b for a, b in both), len(both)


def judge_generator(spec: ModelSpec, cache_dir: str) -> Generate:
    """The judge's replay function (its backend's, as the replays get theirs); a backend that
    writes no answers (logged) cannot judge."""
    if spec.backend not in GENERATING:
        raise ValueError(f"the judge must generate: backend {spec.backend!r} cannot")
    return generator(spec, cache_dir)


def run_judge(pair_ids: Sequence[str], questions: Sequence[str | None], small: Sequence[str | None],
              large: Sequence[str | None], *, generate: Generate, max_answer_chars: int = 4000) -> JudgeRun:
    """Ask the judge about every pair in both orders, in one replay run.

    Example:
        >>> run = run_judge(["r1"], ["q"], ["Paris"], ["Paris"], generate=judge_generator(spec, "/tmp"))  # doctest: +SKIP
        >>> run.score, run.preferences  # doctest: +SKIP
        ([1.0], {'small_first': ['tie'], 'large_first': ['tie']})
    """
    requests, chars_cut = [], []
    for pid, question, mine, theirs in zip(pair_ids, questions, small, large, strict=True):
        chars_cut.append(clip_answer(mine, max_answer_chars)[1] + clip_answer(theirs, max_answer_chars)[1])
        requests.append(ReplayRequest(f"{pid}|small_first",
                                      judge_prompt(question, mine, theirs, max_answer_chars=max_answer_chars)))
        requests.append(ReplayRequest(f"{pid}|large_first",
                                      judge_prompt(question, theirs, mine, max_answer_chars=max_answer_chars)))
    run = generate(requests)
    by_id: dict[str, ReplayResult] = {r.request_id: r for r in run.results}

    def preference(pid: str, order: str) -> str | None:
        result = by_id.get(f"{pid}|{order}")
        return small_preference(parse_preference(result.output), order) if result else None

    preferences = {order: [preference(pid, order) for pid in pair_ids] for order in ORDERS}
    score = [(parity(a) + parity(b)) / 2 for a, b in zip(*(preferences[o] for o in ORDERS), strict=True)]
    truncated = [any(by_id[f"{pid}|{o}"].prompt_truncated for o in ORDERS if f"{pid}|{o}" in by_id)
                 for pid in pair_ids]
    return JudgeRun(pair_ids=list(pair_ids), score=score, preferences=preferences, chars_cut=chars_cut,
                    prompt_truncated=truncated, replay=run)


def judge_cost(run: ReplayRun) -> dict[str, float]:
    """The judge's calls, tokens and device-seconds in a run: the analysis's own cost.

    Example:
        >>> judge_cost(ReplayRun())
        {'judge_calls': 0, 'judge_prompt_tokens': 0, 'judge_output_tokens': 0, 'judge_device_seconds': 0.0}
    """
    return {"judge_calls": len(run.results),
            "judge_prompt_tokens": sum(r.prompt_tokens for r in run.results),
            "judge_output_tokens": sum(r.output_tokens for r in run.results),
            "judge_device_seconds": round(float(sum(r.seconds for r in run.results)), 4)}
