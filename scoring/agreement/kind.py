"""The kind of a pair of answers, which decides how its label is made (scoring.agreement.rule).

- ``core``: the request has one right answer and both answers state theirs: it asks for a
  number, an option or yes or no (``scoring.agreement.core.asked_core``) and a final answer can
  be taken from both answers (``scoring.agreement.final``), or both answers mark an explicit
  final answer (``\\boxed{}``, ``####``), whatever the answers' length; or, for long answers, it
  asks for a year or an entity. The label is agreement on that final answer or core.
- ``short``: both answers are short (at most ``short_kind_tokens`` normalised tokens), the
  request is not a request to write something, and no final answer is compared: the short
  factual rule (token F1 / content containment).
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

from scoring.agreement.core import CHOICE, FINAL, NUMBER, YEAR, YES_NO, asked_core, conclusion, numbers
from scoring.agreement.final import final_of, marked
from scoring.agreement.metrics import answer_tokens

SHORT, CORE, OPEN = "short", "core", "open"
_STRONG_MARKERS = ("boxed", "hashes")
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
# A code block, or an indented line that reads as code (not an indented LaTeX or prose line).
_CODE = re.compile(r"```|^[ \t]{4,}(?![\\\s])[^\n]*[;{}()][ \t]*$", re.MULTILINE)


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
    asked = asked_core(question)
    # Code in an answer makes the pair open, unless the request only asks for a number (a
    # worked solution may check its sum in Python).
    checkable = asked == NUMBER and not is_open_request(question)
    if not checkable and (_CODE.search(small) or _CODE.search(large)):
        return OPEN
    if longest_tokens is None:
        longest_tokens = max(answer_tokens(small), answer_tokens(large))
    short = longest_tokens <= short_kind_tokens
    # "Explain why ...?" asks for an explanation even when it reads as a yes / no question.
    if is_open_request(question, short=short) and (short or asked not in (NUMBER, YEAR, CHOICE)):
        return OPEN
    if short:
        # A request with one right answer is compared on it whatever the answers' length; the
        # short rule keeps the pairs whose final answer cannot be taken from both.
        core_type = (asked if asked in (NUMBER, CHOICE, YES_NO)
                     else FINAL if _both_marked(small, large, _STRONG_MARKERS) else None)
        if core_type and final_of(small, question, core_type) and final_of(large, question, core_type):
            return CORE
        return SHORT
    return CORE if pair_core_type(question, small, large, asked=asked) is not None else OPEN


def _both_marked(small: str, large: str, strong: tuple[str, ...] | None = None) -> bool:
    """Whether both answers mark an explicit final answer (``strong``: only of these kinds)."""
    found = [marked(t) for t in (small, large)]
    return all(f is not None and (strong is None or f[0] in strong) for f in found)


_INTERROGATIVE = re.compile(r"\?\s*$|^\W*(?:what|which|who|where|when|how)\b", re.IGNORECASE)
_CONCLUDED_NUMBER = re.compile(r"\b(?:so|therefore|thus|hence|in total|the answer|answer is)\b.*\d", re.IGNORECASE)


def pair_core_type(question: str | None, small: str, large: str, *, asked: str | None = None) -> str | None:
    """The core type to compare for a pair, or None when it has no checkable core: an explicit
    final answer in both where the request asks for a year, an entity or nothing we know;
    else what the request asks for; else, for a follow-up question that names no kind ("What
    about |x + 10| < 5?"), a number both answers conclude with.

    Example:
        >>> pair_core_type("How many brothers does David have?", "", "")
        'number'
        >>> pair_core_type("What about 12 apples?", "So, 7 are left.", "Therefore 7 remain.")
        'number'
        >>> pair_core_type("Tell me a joke.", "Ha.", "Ho.") is None
        True
    """
    asked = asked or asked_core(question)
    if asked in (NUMBER, CHOICE, YES_NO):
        return asked
    if _both_marked(small, large, None if asked is None else _STRONG_MARKERS):
        return FINAL
    if asked is not None:
        return asked
    if (question and _INTERROGATIVE.search(question.strip()) and not is_open_request(question)
            and all(_CONCLUDED_NUMBER.search(conclusion(t)) and numbers(conclusion(t)) for t in (small, large))):
        return NUMBER
    return None

