"""What a request asks for, and the checkable core of an answer to a request for a year or an
entity (the year, or the leading statement), taken from the answer where answers put it. A
request for a number, an option or yes / no, or any answer with an explicit final answer, is
compared on its final answer instead (``scoring.agreement.final``).

What a request asks for decides what the core is (``asked_core``): "how many", "what is the
area", "calculate" ask for a number; "what year" / "when" for a year; "is / does / can ..."
questions for yes or no; "true, false or uncertain" or "(a) ... (b) ..." for an option; "who /
which / where / what is" for an entity.

Where an answer states its core: worked solutions end with it ("So, the total is $12,000."),
short answers lead with it ("Yes, ..."). The *conclusion* of an answer is its last sentence
with a concluding word (so, therefore, thus, in total, the answer, ...), else its last sentence;
numbers come from the conclusion, yes / no and options from the first sentence, then the
conclusion. Numbers the request itself contains ("|x + 5| < 10") are not answers and are left
out, unless nothing else is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

# Bump when extraction or comparison changes: part of every scoring_version.
CORE_VERSION = "2"
# The kinds of core; "core:<type>" is what decided a core pair's label.
NUMBER, YEAR, YES_NO, CHOICE, ENTITY, FINAL = "number", "year", "yes_no", "choice", "entity", "final"
CORE_TYPES = (NUMBER, YEAR, YES_NO, CHOICE, ENTITY, FINAL)

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_ORDINAL_WORDS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth".split())}
_NUMBER_RE = re.compile(
    r"(?<![\w.])(?P<sign>[-−])?\$?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?:\s*/\s*(?P<den>\d+)(?!\d|\.\d))?(?P<pct>\s*%)?"
    r"|\b(?P<word>" + "|".join((*_NUMBER_WORDS, *_ORDINAL_WORDS)) + r")\b",
    re.IGNORECASE)
_YEAR_RE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*\\$])|\n+")
_CONCLUDING_RE = re.compile(
    r"\b(so|therefore|thus|hence|in total|in conclusion|in summary|the answer|final answer|answer is|"
    r"overall|as a result|consequently|altogether|the result)\b|^\W*answer\s*:", re.IGNORECASE)
_ASKS = (  # (core type, pattern on the request's question sentence); the first that matches wins
    (CHOICE, re.compile(r"\btrue, false,? or uncertain\b|\b[a-z]+(?:, [a-z]+)+,? or [a-z]+\?"
                        r"|\bwhich (?:one|option|word|of the following)\b"
                        r"|(?:^|\s)\(?[a-e]\)\s.*(?:^|\s)\(?[b-e]\)\s", re.IGNORECASE | re.DOTALL)),
    (YEAR, re.compile(r"\b(?:what|which) year\b|\bin what year\b|\bwhen (?:was|were|did|does|is|will|do)\b",
                      re.IGNORECASE)),
    (NUMBER, re.compile(
        r"\bhow (?:many|much|long|far|old|tall|big|fast|often)\b|\bcalculate\b|\bcompute\b|\bevaluate\b"
        r"|\bsolve\b|\bfind (?:the |x|y|z\b)|\bwhat(?:'s| is| was| are| would be| will be)? "
        r"(?:the |his |her |their |its |your |our |my )?(?:total |"
        r"exact |approximate |expected |final )?(?:value|area|volume|sum|product|probability|percentage|"
        r"number|amount|cost|price|remainder|result|speed|distance|average|mean|median|ratio|perimeter|"
        r"length|revenue|profit|answer)\b|\bexpress\b|\bhow much\b|\bwhat is \d|\d\s*[-+*/x×]\s*\d+\s*\?",
        re.IGNORECASE)),
    # "Can you list ...?" and "Could you check ...?" are requests, not yes / no questions.
    (YES_NO, re.compile(r"^\W*(?!(?:can|could|would|will) you\b|are there any\b|is there any\b)"
                        r"(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|"
                        r"may|might|must|am)\b(?!.*\bor\b)", re.IGNORECASE)),
    # "Who is Larry Page?" asks for a description, not an entity.
    (ENTITY, re.compile(r"^\W*(?i:(?:so|and|then|now)\b,?\s*)?(?!(?i:who (?:is|was|are|were)) [A-Z][\w.]*(?: [A-Z][\w.]*)*\W*$)"
                        r"(?i:who|whom|whose|where|which|what(?:'s| is| was| were| are)? (?:the )?"
                        r"(?:name|capital|largest|smallest|first|last|relationship|word|direction|"
                        r"position|color|colour|country|city))\b")),
)

_WORD_PROBLEM_ASKS = re.compile(r"^\W*(?:if\b[^?]*,\s*)?(?:what|how|find|calculate|determine|compute)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Core:
    """A core taken from one answer: its type and its value(s).

    ``values``: for numbers, each number as the set of values it may stand for (19% is 19 and
    0.19); for yes / no and options, one lower-case word; for an entity, its words.
    """

    type: str
    values: tuple


def sentences(text: str) -> list[str]:
    """The answer's sentences (and list items, one a line), without empty ones.

    Example:
        >>> sentences("It is 4. So, the total is $12,000.")
        ['It is 4.', 'So, the total is $12,000.']
    """
    return [s.strip() for s in _SENTENCE_RE.split(text or "") if s and s.strip(" *#-\t")]


def question_sentence(question: str | None) -> str:
    """The part of a request that asks: its last sentence ending in "?", else its first sentence.

    Example:
        >>> question_sentence("A is the father of B. What is the relationship between A and C?")
        'What is the relationship between A and C?'
    """
    parts = sentences(question or "")
    asking = [s for s in parts if s.rstrip().endswith("?")]
    return (asking[-1] if asking else parts[0] if parts else "").strip()


def asked_core(question: str | None) -> str | None:
    """The kind of core a request asks for, or None when it asks for none we can check.

    Example:
        >>> asked_core("When rolling two dice, what is the probability that you roll at least 3?")
        'number'
        >>> asked_core("Does the passage say where the White House is?")
        'yes_no'
        >>> asked_core("Write a poem about the sea.") is None
        True
        >>> asked_core("Ann has 3 pens and buys 4 more. What does she have now?")
        'number'
    """
    if not question:
        return None
    asking = question_sentence(question)
    for core_type, pattern in _ASKS:
        target = question if core_type in (CHOICE, NUMBER) else asking
        if pattern.search(target):
            return core_type
    # A word problem: a story that gives two numbers or more, then asks what / how / find.
    if _WORD_PROBLEM_ASKS.search(asking) and len(numbers(question.replace(asking, ""))) >= 2:
        return NUMBER
    return None


def _number_values(match: re.Match) -> frozenset[float]:
    word = match.group("word")
    if word:
        word = word.lower()
        return frozenset({float(_NUMBER_WORDS.get(word, _ORDINAL_WORDS.get(word, 0)))})
    value = Fraction(match.group("int").replace(",", "") + (match.group("dec") or ""))
    if match.group("den"):
        den = int(match.group("den"))
        value = value / den if den else value
    if match.group("sign"):
        value = -value
    out = {float(value)}
    if match.group("pct"):
        out.add(float(value / 100))
    return frozenset(out)


def numbers(text: str) -> list[frozenset[float]]:
    """Every number in ``text`` in order, each as the values it may stand for.

    Example:
        >>> [sorted(v) for v in numbers("Area = 35/36, or 19% of $1,200; three")]
        [[0.9722222222222222], [0.19, 19.0], [1200.0], [3.0]]
    """
    return [_number_values(m) for m in _NUMBER_RE.finditer(text or "")]


def conclusion(text: str) -> str:
    """The sentence of an answer that states its result: the last one with a concluding word,
    else the last one.

    Example:
        >>> conclusion("First, 8000 / 2 = 4000. So, the total is $12,000. Hope this helps!")
        'So, the total is $12,000.'
    """
    parts = sentences(text)
    if not parts:
        return ""
    concluding = [s for s in parts if _CONCLUDING_RE.search(s)]
    return concluding[-1] if concluding else parts[-1]


def answer_numbers(text: str, question: str) -> list[frozenset[float]]:
    """The numbers of ``text`` that the request does not contain (all of them if none is left).

    Example:
        >>> answer_numbers("You are second; they are third.", "You overtook the second person.")
        [frozenset({3.0})]
    """
    asked = numbers(question)
    found = numbers(text)
    return [v for v in found if not any(_close(v, q, 1e-9) for q in asked)] or found


def _close(a: frozenset[float], b: frozenset[float], tolerance: float) -> bool:
    return any(abs(x - y) <= tolerance * max(abs(x), abs(y), 1e-12) for x in a for y in b)


def _number_core(text: str, question: str) -> Core | None:
    for part in (conclusion(text), text):
        kept = answer_numbers(part, question)
        if kept:
            return Core(NUMBER, tuple(kept))
    return None


def _year_core(text: str) -> Core | None:
    for part in (sentences(text)[:1] + [conclusion(text)]):
        years = _YEAR_RE.findall(part)
        if years:
            return Core(YEAR, tuple(sorted(set(years))))
    return None


def extract_core(text: str | None, question: str | None, core_type: str) -> Core | None:
    """The core of type ``core_type`` (year or entity) that ``text`` states, or None when it
    states none (numbers, options and yes / no: ``scoring.agreement.final``).

    Example:
        >>> extract_core("It fell in 1989, in November.", "When did the Berlin Wall fall?", "year")
        Core(type='year', values=('1989',))
    """
    text, question = text or "", question or ""
    if core_type == YEAR:
        return _year_core(text) or _number_core(text, question)
    if core_type == ENTITY:
        parts = sentences(text)
        return Core(ENTITY, (parts[0], conclusion(text))) if parts else None
    return None


def cores_agree(a: Core, b: Core, *, tolerance: float = 0.005) -> bool | None:
    """Whether two cores state the same result; None when they are of types that cannot be
    compared here (an entity is compared on its words by ``scoring.agreement.pairs``).

    Numbers (a year question answered without a year): each answer's result (the first number
    of its conclusion that the request does not contain) is among the other's numbers, within
    a relative ``tolerance``.

    Example:
        >>> n = lambda *v: Core("number", tuple(frozenset({float(x)}) for x in v))
        >>> cores_agree(n(12000, 8000), n(12000.0)), cores_agree(n(76), n(100))
        (True, False)
    """
    if a.type != b.type:
        return None
    if a.type == NUMBER:
        return (any(_close(a.values[0], v, tolerance) for v in b.values)
                and any(_close(b.values[0], v, tolerance) for v in a.values))
    if a.type == ENTITY:
        return None
    return a.values == b.values
