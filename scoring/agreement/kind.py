"""The kind of a pair of answers, which decides how its label is made (scoring.agreement.rule).

- ``short``: both answers are short (at most ``short_kind_tokens`` normalised tokens) and the
  request is not an open-ended one: the short factual rule (token F1 / content containment).
- ``core``: the request asks for something checkable (a number, a year, yes or no, an option,
  an entity; ``scoring.agreement.core.asked_core``), or both answers give an explicit final
  answer: the label is agreement on that core, taken from both answers.
- ``open``: everything else: advice, writing, explanation, code (a request that asks to write,
  explain, suggest ..., or an answer with a code block). "The same" means nothing there, so no
  lexical threshold labels it: a pairwise judge decides quality parity, or it stays unscored.

Example:
    >>> pair_kind("What year did the Berlin Wall fall?", "1989", "It fell in 1989.", short_kind_tokens=40)
    'short'
    >>> pair_kind("Write a haiku about rain.", "Soft rain on the roof", "Grey clouds weep", short_kind_tokens=40)
    'open'
"""

from __future__ import annotations

import re

from scoring.agreement.metrics import answer_tokens
from scoring.agreement.core import CHOICE, FINAL, NUMBER, YEAR, asked_core, conclusion, final_answer, numbers

SHORT, CORE, OPEN = "short", "core", "open"
KINDS = (SHORT, CORE, OPEN)

# Requests for writing: open-ended whatever the answers' length (a haiku is short).
_WRITING_REQUEST = re.compile(
    r"^\W*(?:please\s+)?(?:write|compose|draft|create|generate|rewrite|rephrase|paraphrase|"
    r"pretend|craft|brainstorm|act as|role-?play)\b", re.IGNORECASE)
# Requests for advice, explanation or code: open-ended when the answers are long (a short
# factual query such as "who cracked the enigma code" matches the words, not the intent).
_OPEN_REQUEST = re.compile(
    r"^\W*(?:please\s+)?(?:write|compose|draft|create|generate|rewrite|rephrase|paraphrase|edit|"
    r"summari[sz]e|translate|explain|describe|discuss|elaborate|suggest|recommend|brainstorm|design|"
    r"develop|implement|outline|pretend|act as|role-?play|craft|give me|provide|tell me about|"
    r"help me|make|plan|propose|compare|list|share|can you (?:write|explain|help|give|suggest|provide|"
    r"tell|create|describe|recommend))\b"
    r"|\b(?:how (?:do|can|should|would) (?:i|you|we|one)|how to|why (?:do|does|is|are|did|should)|"
    r"what do you think|what are (?:some|the (?:best|main|benefits|advantages|pros))|tips|advice|"
    r"python|javascript|c\+\+|sql|function|program|code|script|regex|algorithm)\b",
    re.IGNORECASE)
_CODE = re.compile(r"```|^\s{4}\S.*[;{}()]\s*$", re.MULTILINE)


def is_open_request(question: str | None, *, short: bool = False) -> bool:
    """Whether a request asks for writing, advice, explanation or code (``short``: for short
    answers, only a request to write something counts).

    Example:
        >>> is_open_request("Explain how vaccines work."), is_open_request("who wrote hamlet")
        (True, False)
        >>> is_open_request("what is the function of the liver", short=True)
        False
    """
    if not question:
        return False
    if _WRITING_REQUEST.search(question):
        return True
    return not short and bool(_OPEN_REQUEST.search(question))


def pair_kind(question: str | None, small: str, large: str, *, short_kind_tokens: int,
              longest_tokens: int | None = None) -> str:
    """``short``, ``core`` or ``open`` for one pair (module docstring); ``longest_tokens``: the
    longer answer's normalised token count when already known."""
    if _CODE.search(small) or _CODE.search(large):
        return OPEN
    if longest_tokens is None:
        longest_tokens = max(answer_tokens(small), answer_tokens(large))
    short = longest_tokens <= short_kind_tokens
    asked = asked_core(question)
    # "Explain why ...?" asks for an explanation even when it reads as a yes / no question.
    if is_open_request(question, short=short) and (short or asked not in (NUMBER, YEAR, CHOICE)):
        return OPEN
    if short:
        return SHORT
    return CORE if pair_core_type(question, small, large, asked=asked) is not None else OPEN


_INTERROGATIVE = re.compile(r"\?\s*$|^\W*(?:what|which|who|where|when|how)\b", re.IGNORECASE)
_CONCLUDED_NUMBER = re.compile(r"\b(?:so|therefore|thus|hence|in total|the answer|answer is)\b.*\d", re.IGNORECASE)


def pair_core_type(question: str | None, small: str, large: str, *, asked: str | None = None) -> str | None:
    """The core type to compare for a long pair, or None when it has no checkable core: what the
    request asks for; else an explicit final answer in both; else, for a follow-up question
    that names no kind ("What about |x + 10| < 5?"), a number both answers conclude with.

    Example:
        >>> pair_core_type("How many brothers does David have?", "", "")
        'number'
        >>> pair_core_type("What about 12 apples?", "So, 7 are left.", "Therefore 7 remain.")
        'number'
        >>> pair_core_type("Tell me a joke.", "Ha.", "Ho.") is None
        True
    """
    asked = asked or asked_core(question)
    if asked is not None:
        return asked
    if final_answer(small) is not None and final_answer(large) is not None:
        return FINAL
    if (question and _INTERROGATIVE.search(question.strip()) and not is_open_request(question)
            and all(_CONCLUDED_NUMBER.search(conclusion(t)) and numbers(conclusion(t)) for t in (small, large))):
        return NUMBER
    return None

