"""The final answer of an answer to a request with one right answer (a number, an option, yes or
no), found as a person grading it would, and two final answers compared as values.

Where the final answer is (``find_final``), in this order:

1. An explicit marker: the last ``\\boxed{..}`` (with the other boxes of its sentence); a GSM8K
   ``#### ..`` line; a last line that is nothing but a value (``\\[ 254 \\]``); "Final answer:
   ..", "the (final / correct / most likely) answer is ..", a line starting "Answer: .." (the
   line after it when it ends there); a bolded last line (``**18 sheep**``). A marker's text is
   read as the request's kind of answer; a weak one (not a box or ``####``) that holds none of
   that kind, or names several options, leaves the conclusion to say.
2. Else the conclusion, by the kind of answer asked:
   - a number: in the concluding sentence (the last with a concluding word, else the last
     sentence) and the lines after it, the right-hand side of its last equation ("9 * $2 = $18
     every day" is 18), else a number followed by the question's unit ("How many sheep ..?":
     "260 sheep"), else the number a verb states ("she makes $18", "the total is 12"), else its
     only number, else its last one; a number the request itself gives only when the
     conclusion holds no other ("7 - 5 = 2"), and the sentences before it only when it holds
     none at all;
   - an option: in the last sentence that picks one ("the correct answer is (C)", "this leaves
     us with (D)"), else the last concluding sentence that names one, else the last sentence,
     else the first, by its letter ("(C)", "option C") or its text;
   - yes or no: the first sentence's lead ("No, ..."), else the conclusion's.

``Final.how`` says which (``boxed``, ``hashes``, ``last_line``, ``answer_is``, ``bold``,
``equation``, ``unit``, ``stated``, ``only``, ``last``, ``option``, ``lead``): ``decided_by`` is
``final:<how>`` (both answers' ways, joined by "+", when they differ). An answer whose final
statement names two different values ("\\boxed{(A)} or \\boxed{(B)}", "either (A) Europe or (C)
..") is *hedged*, and one that says no option can be chosen ("we cannot determine ..") names
*none*: neither reached a single answer, and they agree with nothing (``final:hedged``,
``final:none``).

Values (``finals_agree``): numbers as exact fractions after currency, thousands separators,
trailing zeros, LaTeX fractions (``\\frac{3}{4}``), mixed numbers, percentages (25% is 25 and
0.25; where the question asks for a percentage a bare 25 is 25% too), scale words, ranges ("3
to 6%") and units are read; integers must be equal, a written decimal or fraction may differ by
the rule's relative number tolerance (0.3056 against 11/36); options by letter, an option's
text counting as its letter (two letters of the same text are one option); yes / no by the
word; any other final answer by its normalised text.

Numbers and LaTeX are read with the standard library's ``fractions`` and a few rewrites of
LaTeX to plain text. No LaTeX-to-SymPy parser (such as Math-Verify) is used: grade-school and
option answers need no algebra, and an algebraic final answer is compared as normalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from scoring.agreement.core import CHOICE, FINAL, NUMBER, YES_NO, question_sentence, sentences
from scoring.agreement.metrics import normalize_answer

# Bump when finding or comparing final answers changes: part of every scoring_version.
FINAL_VERSION = "2"
# The kinds of core a final answer decides (a request for a year or an entity keeps its core).
FINAL_TYPES = (NUMBER, CHOICE, YES_NO, FINAL)
TEXT = "text"  # a final answer that is neither a number, an option nor yes / no
MARKERS = ("boxed", "hashes", "last_line", "answer_is", "bold")  # the explicit ones, strongest first

_WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_WORD_NUMBERS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                  "ninety": 90, "hundred": 100, "half": Fraction(1, 2), "dozen": 12}
# A number as written: sign (written against it: "4 - 297" subtracts, "-293" is negative),
# currency, thousands separators, decimals, a mixed number's or a plain fraction's part, a
# percent sign, a scale word; or a number word.
_NUMBER = re.compile(
    r"(?<![\w.^/])(?P<sign>[-−–](?=[$€£]?\d))?(?:\$|US\$|USD\s?|€|£)?\s?(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
    r"(?P<dec>\.\d+)?(?:(?:\s+|-)(?P<num>\d+)\s*/\s*(?P<mden>\d+)(?!\d|\.\d))?(?:\s*/\s*(?P<den>\d+(?:\.\d+)?)(?!\d|\.\d))?"
    r"(?P<pct>\s*(?:%|percent\b))?(?P<scale>\s+(?:thousand|million|billion|trillion)\b)?"
    r"|\b(?P<word>" + "|".join(_WORD_NUMBERS) + r")\b", re.IGNORECASE)
_LATEX = (  # (pattern, replacement) applied in order: LaTeX to plain text
    (re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}"), r"\1/\2"),
    (re.compile(r"\\[dt]?frac\s*(\d)\s*(\d)"), r"\1/\2"),
    (re.compile(r"\\(?:text|textbf|mathrm|mathbf|operatorname|emph)\s*\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\(?:times|cdot|ast)\b"), " * "),
    (re.compile(r"\\div\b"), " / "),
    (re.compile(r"\\(?:approx|simeq|sim)\b"), " ≈ "),
    (re.compile(r"\\(?:left|right|displaystyle|quad|qquad)\b|\\[,;:!> ]|\\[()\[\]]|\{,\}"), " "),
    (re.compile(r"\\([$%&])"), r"\1"),
    (re.compile(r"\^\s*\{?\\circ\}?|\\circ\b|\\degree\b"), "°"),
    (re.compile(r"<<[^<>]*>>"), ""),  # GSM8K's calculator annotations: 9*2=<<9*2=18>>18
)
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_HASHES = re.compile(r"^\s*#{4}\s*(?P<v>\S.*)$", re.MULTILINE)
_ANSWER_IS = re.compile(
    r"\b(?:final answer|the (?:[a-z]+ ){0,2}answer(?: choice)?(?: to (?:this|the) (?:question|problem))?)\s*"
    r"(?:is|would be|will be|=|:)(?!\s+not\b)\s*:?\s*(?P<v>[^\n]+)"
    r"|^\W*(?:final\s+)?answer\s*:\s*(?P<w>[^\n]+)", re.IGNORECASE | re.MULTILINE)
_ALNUM = re.compile(r"[^\W_]")
_BOLD = re.compile(r"\*\*(?P<v>[^*\n]+)\*\*|__(?P<w>[^_\n]+)__")
_SENTENCE_END = re.compile(r"(?<=[^\d\s][.!?])\s|(?<=\d[.!?])\s+(?=[A-Z])|;\s")
_CONCLUDING = re.compile(
    r"\b(?:so|therefore|thus|hence|in total|in conclusion|in summary|to summarize|the answer|final answer|"
    r"answer is|overall|as a result|consequently|altogether|the result|in all|all together)\b"
    r"|^\W*answer\s*:", re.IGNORECASE)
_EQUALS = re.compile(r"=|≈|\bequals\b|\bis equal to\b|\bequal to\b")
_STATED = re.compile(
    r"\b(?:is|are|was|were|be|has|have|had|gets?|got|makes?|made|earns?|earned|costs?|pays?|paid|spends?|spent|"
    r"needs?|needed|sells?|sold|takes?|took|left with|total(?:s|led| of)?|of|to|gives?|owes?|weighs?|reads?|"
    r"saves?|saved|at|remains?|receives?|received|scored?|ran|runs|walks?|walked|drives?|drove|travels?|"
    r"traveled|travelled|collects?|collected|bought|buys?|uses?|used|eats?|ate|holds?|contains?|comes to|"
    r"amounts? to|adds up to|answer|making|earning|getting|spending|paying|leaving|totall?ing|giving|saving|"
    r"which is|that is|that's|for a total of)\s*:?\s*$", re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow many\s+(?:more\s+|fewer\s+|less\s+|additional\s+|extra\s+|total\s+|in total\s+)?"
                       r"(?P<unit>(?:[a-z][\w'-]*\s+){0,3}?[a-z][\w'-]*?)(?:\s+(?:of|does|do|did|will|would|"
                       r"can|could|are|is|were|was|has|have|had|should|must|in|on|at|for|per|that|than|"
                       r"there)\b|[?,.]|$)", re.IGNORECASE)
_MONEY = re.compile(r"\bhow much (?:money|did|does|do|will|would|is|was|are|were|more|less|in dollars|"
                    r"does it cost|did it cost)\b|\b(?:in|many) dollars\b|\$", re.IGNORECASE)
_MEASURE_UNITS = {  # "how far / long / old" and the units that answer them
    "far": ("mile", "km", "kilometer", "kilometre", "meter", "metre", "feet", "foot", "yard", "inch"),
    "long": ("minute", "hour", "day", "week", "month", "year", "second", "meter", "metre", "feet", "foot",
             "inch", "cm", "centimeter", "mile"),
    "old": ("year",),
}
_PERCENT_ASKED = re.compile(r"\bpercent(?:age)?\b|%", re.IGNORECASE)
_OPTION_LINE = re.compile(r"(?:^|\n|\s)\(([A-Ea-e])\)\s*([^\n()]+?)(?=\s*(?:\([A-Ea-e]\)|\n|$))")
_OPTION_LIST = re.compile(r"\b([a-z]+(?:, [a-z]+)+),? or ([a-z]+)\b", re.IGNORECASE)
_LOWER_OPTIONS = re.compile(r"(?:^|\s)\(?([a-e])\)\s")
_LETTER = re.compile(r"\(([A-Ea-e])\)|(?<![\w'])([A-Ea-e])\)"
                     r"|\b(?:option|choice|answer)\s*:?\s*\(?([A-Ea-e])\b(?!['’]\w)"
                     r"|^\W*([A-Ea-e])\W*$|^\W*([A-E])(?:[.:]|\s*[-–])")
_PICKS = re.compile(
    r"\b(?:answer|choice|option)\b[^.;:!?]*?\b(?:is|would be|will be|:)|\b(?:the (?:best|most \w+|least \w+|correct|"
    r"right|appropriate|suitable|likely|logical|fitting|sensible|reasonable)|most likely)\b"
    r"[^.;!?]*?\b(?:is|would be|are)\b"
    r"|\bleaves (?:us )?with\b|\b(?:we|I|let's|let us) (?:can |will |would )?(?:choose|pick|select|go with|conclude)\b",
    re.IGNORECASE)
# A statement that no option or number is the answer: "we cannot determine ..", "there is no correct choice".
_NO_ANSWER = re.compile(
    r"\b(?:cannot|can ?not|can't|unable to|impossible to)\s+(?:\w+\s+){0,2}?(?:be\s+)?"
    r"(?:determined?|tell|say|know|choose)\b"
    r"|\bnot (?:clear|possible to (?:determine|tell))\b|\bno (?:one |single )?(?:correct|right|definitive) "
    r"(?:answer|choice|option)\b"
    r"|\b(?:answer|choice|option) (?:depends|would depend|will depend|may vary|varies|can vary)\b"
    r"|\bwould depend on\b|\bnone of (?:the|them|these)\b", re.IGNORECASE)
_YES_NO_LEAD = re.compile(r"^\W*(?:(?:the )?(?:short |final )?answer(?: is)?\W*)?"
                          r"(yes|no|correct|incorrect|true|false)\b",
                          re.IGNORECASE)
_JOINED = re.compile(r"\b(?:or|either)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """A number as written: its exact value, whether it carried a percent sign, and whether it is
    written exactly (an integer, or a decimal read as such) or may be a rounding (decimals)."""

    value: Fraction
    percent: bool = False
    rounded: bool = False

    def values(self, percent_asked: bool) -> tuple[Fraction, ...]:
        """The values it may stand for: 25% is 25 and 0.25; where a percentage is asked a bare
        25 is 25% too."""
        if self.percent or percent_asked:
            return self.value, self.value / 100
        return (self.value,)


@dataclass(frozen=True)
class Final:
    """One answer's final answer: ``type`` (number, choice, yes_no or text), ``values`` (Numbers,
    option letters or texts, yes / no; more than one distinct value: hedged, unless a number
    answer in several parts) and ``how`` it was found."""

    type: str
    values: tuple
    how: str
    hedged: bool = False


NO_ANSWER = Final(TEXT, (), "none", hedged=True)  # the answer says no option or number is the answer


def plain(text: str) -> str:
    """LaTeX and GSM8K annotations as plain text: fractions as a/b, ``\\text{}`` unwrapped,
    ``\\$`` and ``\\%`` as $ and %, spacing commands and math delimiters dropped.

    Example:
        >>> plain("\\\\( \\\\frac{3}{4} \\\\) of \\\\$57.00 is 9*2=<<9*2=18>>18 \\\\%")
        '  3/4   of $57.00 is 9*2=18 %'
    """
    if "\\" not in text and "<<" not in text:
        return text
    for pattern, repl in _LATEX:
        text = pattern.sub(repl, text)
    return text


_LONE_VALUE = re.compile(r"^\W*(?:\(?[A-Ea-e]\)?|[-−]?\$?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?\s*%?)\W*$")


def _last_line(text: str) -> str | None:
    """The answer's last line when it is nothing but an option letter or a number ("\\(C\\)",
    "\\[ 254 \\]" after "The final answer is:")."""
    tail = text[-200:].rstrip()
    lines = [line for line in tail.splitlines() if _ALNUM.search(plain(line))]
    if not lines:
        return None
    line = plain(lines[-1]).strip()
    return line if _LONE_VALUE.match(line) else None


def boxed(text: str) -> list[tuple[int, str]]:
    """(start, content) of every ``\\boxed{..}``, nested braces kept whole.

    Example:
        >>> boxed("So \\\\boxed{\\\\frac{1}{4}}.")
        [(3, '\\\\frac{1}{4}')]
    """
    out = []
    for match in _BOXED.finditer(text):
        depth, i = 1, match.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            out.append((match.start(), text[match.end():i - 1]))
    return out


def _line_of(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, len(text) if end < 0 else end


def marked(text: str) -> tuple[str, list[str]] | None:
    """(how, [marked text, ...]) of the answer's explicit final answer, or None: the last boxed
    (with the other boxed of its sentence: several mean a hedge), else the last ``####`` line,
    else the last "the answer is .." / "Final answer: ..", else a bolded last line.

    Example:
        >>> marked("So 9 * 2 = 18.\\n#### 18")
        ('hashes', ['18'])
        >>> marked("It is \\\\boxed{(A)} or \\\\boxed{(B)}.")
        ('boxed', ['(A)', '(B)'])
    """
    if not text:
        return None
    if "box" in text:
        spans = boxed(text)
        if spans:
            last_at, _ = spans[-1]
            start, end = _line_of(text, last_at)
            # boxed values of the same sentence as the last one (a line may hold several sentences)
            tail = text[start:end]
            cut = max((m.end() for m in _SENTENCE_END.finditer(tail, 0, last_at - start)), default=0)
            same = [c for at, c in spans if start + cut <= at < end]
            return "boxed", same
    if "####" in text:
        found = _HASHES.findall(text)
        if found:
            return "hashes", [found[-1].strip()]
    last = _last_line(text)
    if last is not None:
        return "last_line", [last]
    found = None
    for match in _ANSWER_IS.finditer(text):
        found = match
    if found is not None:
        value = found.group("v") or found.group("w")
        if not _ALNUM.search(plain(value)):  # "The final answer is:\n\n\\[\n5\n\\]": the lines after it
            after = [line for line in text[found.end():].splitlines() if _ALNUM.search(plain(line))]
            value = after[0] if after else ""
        if value.strip(" *:.$"):
            return "answer_is", [value.strip()]
    if "**" in text or "__" in text:
        lines = [line for line in text.rstrip().splitlines() if line.strip()]
        if lines:
            spans = [m.group("v") or m.group("w") for m in _BOLD.finditer(lines[-1])]
            if spans:
                return "bold", [spans[-1]]
    return None


def _number(match: re.Match) -> Number:
    word = match.group("word")
    if word:
        return Number(Fraction(_WORD_NUMBERS[word.lower()]))
    value = Fraction(match.group("int").replace(",", "") + (match.group("dec") or ""))
    rounded = bool(match.group("dec")) and len(match.group("dec").rstrip("0")) > 1
    if match.group("num"):
        den = int(match.group("mden"))
        value += Fraction(int(match.group("num")), den) if den else 0
    if match.group("den"):
        den = Fraction(match.group("den"))
        value = value / den if den else value
        rounded = rounded or value.denominator != 1
    if match.group("sign") and match.start("int") - match.start("sign") <= 2:
        value = -value
    if match.group("scale"):
        value *= _SCALES[match.group("scale").strip().lower()]
    return Number(value, percent=bool(match.group("pct")), rounded=rounded)


_SCALES = {"thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_RANGE_GAP = re.compile(r"\s*(?:%|percent)?\s*(?:to|–|—)\s*$", re.IGNORECASE)


def _with_range(text: str, found: list[tuple[int, int, Number]], k: int) -> tuple[Number, ...]:
    """The k-th number of ``text``, with the other end of its range when it has one ("3 to 6%":
    both, the percent sign read on both)."""
    start, end, number = found[k]
    pair = None
    if k + 1 < len(found) and _RANGE_GAP.fullmatch(text[end:found[k + 1][0]]):
        pair = [number, found[k + 1][2]]
    elif k > 0 and _RANGE_GAP.fullmatch(text[found[k - 1][1]:start]):
        pair = [found[k - 1][2], number]
    if pair is None:
        return (number,)
    if pair[0].percent != pair[1].percent:
        pair = [Number(n.value, True, n.rounded) for n in pair]
    return tuple(pair)


def numbers_in(text: str) -> list[tuple[int, int, Number]]:
    """(start, end, Number) of every number in plain text, in order.

    Example:
        >>> [(n.value, n.percent) for _, _, n in numbers_in("$1,300.00, 2 1/2 cups, 25%, twelve")]
        [(Fraction(1300, 1), False), (Fraction(5, 2), False), (Fraction(25, 1), True), (Fraction(12, 1), False)]
    """
    return [(m.start(), m.end(), _number(m)) for m in _NUMBER.finditer(text)]


@lru_cache(maxsize=4096)
def _question_facts(question: str) -> tuple[frozenset[Fraction], tuple[str, ...], bool, dict[str, str]]:
    """What the answers are read against: the request's own numbers, the units it asks in,
    whether it asks for a percentage, and its options (letter -> text, normalised)."""
    given = frozenset(n.value for _, _, n in numbers_in(plain(question)))
    asking = question_sentence(question)
    units: list[str] = []
    for match in _HOW_MANY.finditer(asking):
        units.append(_stem(match.group("unit").split()[-1]))
    if _MONEY.search(asking):
        units += ["$", "dollar"]
    for word, measure in _MEASURE_UNITS.items():
        if re.search(rf"\bhow {word}\b", asking, re.IGNORECASE):
            units += measure
    return given, tuple(units), bool(_PERCENT_ASKED.search(asking)), options(question)


def _stem(word: str) -> str:
    word = word.lower().strip("'’-")
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def options(question: str) -> dict[str, str]:
    """The request's options, letter (lower case) -> normalised text ("(A) bank"), or word ->
    word for "true, false or uncertain".

    Example:
        >>> options("Where?\\n(A) bank\\n(B) library")
        {'a': 'bank', 'b': 'library'}
    """
    found = {m.group(1).lower(): normalize_answer(m.group(2)) for m in _OPTION_LINE.finditer(question)}
    if len(found) >= 2:
        return found
    listed = _OPTION_LIST.search(question)
    if listed:
        words = [w.lower() for w in re.findall(r"[a-z]+", listed.group(0), re.IGNORECASE) if w.lower() != "or"]
        return {w: w for w in words}
    letters = _LOWER_OPTIONS.findall(question)
    return {x: "" for x in letters} if len(letters) >= 2 else {}


# --- reading a number -----------------------------------------------------------------------

def _after_last_equals(text: str) -> str:
    parts = _EQUALS.split(text)
    return parts[-1] if len(parts) > 1 else text


def _number_from_marked(text: str, given: frozenset[Fraction]) -> tuple[Number, ...] | None:
    """The number(s) a marked final answer states: the right-hand side of its last equation;
    of several numbers, the only one the request does not give (a unit such as "8 hours per 2
    days" holds two), else the first, with its range ("3 to 6%")."""
    rhs = _after_last_equals(plain(text))
    found = numbers_in(rhs)
    if not found:
        return None
    fresh = [k for k, f in enumerate(found) if f[2].value not in given]
    return _with_range(rhs, found, fresh[0] if len(fresh) == 1 else 0)


def _conclusion_span(parts: list[str]) -> list[str]:
    """The concluding sentence and, when it holds no number, the lines after it."""
    concluding = [i for i, s in enumerate(parts) if _CONCLUDING.search(s)]
    at = concluding[-1] if concluding else len(parts) - 1
    return parts[at:]


def _number_from_sentence(sentence: str, facts, *, given_too: bool) -> tuple[str, tuple[Number, ...]] | None:
    """The number a sentence states as its result (module docstring), of the numbers the request
    does not give (``given_too``: of all when it gives every one)."""
    given, units, _, _ = facts
    found = numbers_in(sentence)
    fresh = [k for k, f in enumerate(found) if f[2].value not in given]
    if not fresh and given_too:
        fresh = list(range(len(found)))
    if not fresh:
        return None
    # 1. the right-hand side of the sentence's last equation
    equals = list(_EQUALS.finditer(sentence))
    if equals:
        after = [k for k in fresh if found[k][0] >= equals[-1].end()]
        if after:
            return "equation", _with_range(sentence, found, after[0])
    # 2. a number followed by the unit the question asks in
    if units:
        for k in reversed(fresh):
            start, end, _ = found[k]
            before = sentence[max(0, start - 4):start]
            words = re.findall(r"[a-z][\w'-]*", sentence[end:end + 40].lower())
            if ("$" in units and ("$" in sentence[start:end] or "$" in before)) or any(
                    _stem(w).startswith(u) or (u.startswith(_stem(w)) and len(w) > 2) for u in units
                    if u != "$" for w in words[:3]):
                return "unit", _with_range(sentence, found, k)
    # 3. the number a verb states ("she makes $18", "the total is 12")
    for k in reversed(fresh):
        if _STATED.search(sentence[max(0, found[k][0] - 30):found[k][0]]):
            return "stated", _with_range(sentence, found, k)
    if len(fresh) == 1:
        return "only", _with_range(sentence, found, fresh[0])
    return "last", _with_range(sentence, found, fresh[-1])


def _number_final(text: str, facts) -> Final | None:
    parts = sentences_plain(text)
    if not parts:
        return None
    span = _conclusion_span(parts)
    # The conclusion on (a number the request gives only when it holds no other: "7 - 5 = 2"
    # can be the result), then the sentences before it, nearest first.
    for sentences_ in (span, parts[: len(parts) - len(span)][::-1]):
        for given_too in (False, True):
            for sentence in sentences_:
                hit = _number_from_sentence(sentence, facts, given_too=given_too)
                if hit:
                    return Final(NUMBER, hit[1], hit[0])
    return None


def sentences_plain(text: str) -> list[str]:
    """The answer's sentences as plain text (LaTeX read, a sentence ending at . ! ? or ;)."""
    out = []
    for part in sentences(plain(text)):
        out += [s for s in _SENTENCE_END.split(part) if s and s.strip(" *#-\t")]
    return out


# --- reading an option or yes / no ----------------------------------------------------------

def _option_letters(text: str, opts: dict[str, str]) -> list[str]:
    """The options ``text`` names, in order: by letter ("(C)", "C)", "option C", a lone "C"),
    else by their text (the longest that occurs as whole words); two letters whose options read
    the same ("(A) bent", "(B) bent") are one option, named by the first."""
    text = plain(text)
    same = {}
    for letter, option in opts.items():
        same[letter] = next((k for k, o in opts.items() if option and o == option), letter)
    letters = [next(g for g in m.groups() if g).lower() for m in _LETTER.finditer(text)]
    letters = [same[x] for x in letters if x in opts]
    if letters:
        return letters
    norm = f" {normalize_answer(text)} "
    hits = []
    for letter, option in opts.items():
        if option and f" {option} " in norm:
            hits.append((norm.index(f" {option} "), same[letter], option))
    # an option whose text is inside another's ("store" in "computer store") is not named
    hits = [h for h in hits if not any(h[2] != o[2] and f" {h[2]} " in f" {o[2]} " for o in hits)]
    return list(dict.fromkeys(letter for _, letter, _ in sorted(hits)))


def _choice_from(text: str, opts: dict[str, str]) -> tuple[str, ...] | None:
    """The option(s) a sentence picks: those after its last "the answer is" / "the best .. is"
    when it has one, else all it names; several joined by "or" are a hedge, several otherwise
    the last one."""
    picks = list(_PICKS.finditer(text))
    named = _option_letters(text[picks[-1].end():], opts) if picks else []
    if not named:
        named = _option_letters(text, opts)
    if not named:
        return None
    distinct = tuple(dict.fromkeys(named))
    if len(distinct) > 1 and not (picks or _JOINED.search(text)):
        return (named[-1],)
    return distinct


def _choice_final(text: str, opts: dict[str, str]) -> Final | None:
    """The option the answer picks: in the last sentence that picks one ("the correct answer
    is (C)", "this leaves us with (D)"), else the last concluding sentence that names one, else
    its last sentence, else its first (a short answer leads with it); none (a hedge of nothing)
    when a later sentence says no option can be chosen. Questions it asks back are no answer."""
    parts = [s for s in sentences_plain(text) if not s.rstrip(" *").endswith("?")]
    if not parts:
        return None
    picking = [i for i, s in enumerate(parts) if _PICKS.search(s)]
    concluding = [i for i, s in enumerate(parts) if _CONCLUDING.search(s)]
    for group in (picking[::-1], concluding[::-1], [len(parts) - 1, 0]):
        for i in group:
            found = _choice_from(parts[i], opts)
            if found:
                if any(_NO_ANSWER.search(s) for s in parts[i + 1:]):
                    return NO_ANSWER
                return Final(CHOICE, found, "option", hedged=len(found) > 1)
    return NO_ANSWER if any(_NO_ANSWER.search(s) for s in parts[-2:]) else None


def _yes_no(text: str) -> str | None:
    hit = _YES_NO_LEAD.match(text)
    if not hit:
        return None
    return "yes" if hit.group(1).lower() in ("yes", "correct", "true") else "no"


def _yes_no_final(text: str) -> Final | None:
    parts = sentences_plain(text)
    concluding = [s for s in parts if _CONCLUDING.search(s)]
    for part in parts[:1] + concluding[-1:]:
        word = _yes_no(part)
        if word:
            return Final(YES_NO, (word,), "lead")
    return None


# --- the final answer -----------------------------------------------------------------------

def _read_marked(how: str, texts: list[str], core_type: str, facts) -> Final:
    """A marked final answer read as the asked kind: an option, yes / no, a number, else text."""
    given, _, _, opts = facts
    if opts and core_type in (CHOICE, FINAL):
        letters = tuple(dict.fromkeys(x for t in texts for x in _option_letters(t, opts)))
        if letters:
            return Final(CHOICE, letters, how, hedged=len(letters) > 1)
    if core_type in (YES_NO, FINAL):
        words = tuple(dict.fromkeys(w for w in map(_yes_no, (plain(t) for t in texts)) if w))
        if words:
            return Final(YES_NO, words, how, hedged=len(words) > 1)
    read = [_number_from_marked(t, given) for t in texts]
    if all(read):
        distinct = tuple(dict.fromkeys(read))
        if len(distinct) == 1:
            return Final(NUMBER, distinct[0], how)
        return Final(NUMBER, tuple(n for r in distinct for n in r), how, hedged=True)
    text = tuple(dict.fromkeys(normalize_answer(plain(t)) for t in texts))
    return Final(TEXT, text, how, hedged=len(text) > 1)


def find_final(text: str | None, question: str | None, core_type: str) -> Final | None:
    """The final answer of ``text`` to ``question`` (which asks for ``core_type``: number,
    choice, yes_no, or final: none named, an explicit marker only), or None when it states none.

    Example:
        >>> find_final("So she makes 9 * $2 = $18 every day.", "How much does she make?", "number").values
        (Number(value=Fraction(18, 1), percent=False, rounded=False),)
        >>> options = "Where?\\n(A) town\\n(B) farm\\n(C) city"
        >>> find_final("Thus, the answer is \\\\boxed{(C) \\\\text{city}}.", options, "choice").values
        ('c',)
    """
    text, question = text or "", question or ""
    facts = _question_facts(question)
    found = marked(text)
    final = None if found is None else _read_marked(found[0], found[1], core_type, facts)
    if final is not None and found[0] in _STRONG or (final is not None and final.type != TEXT and not final.hedged):
        return final
    # A weak marker ("the answer is", a bold or lone last line) that holds no answer of the kind
    # asked ("**Note:** prices vary"), or a hedge it names: the conclusion may still state one
    # ("(A) or (B). Since we must choose one, (A).").
    later = _conclusion_final(text, core_type, facts)
    if final is None or (later is not None and not later.hedged):
        return later
    return final


def _conclusion_final(text: str, core_type: str, facts) -> Final | None:
    """The final answer the conclusion states, by the kind asked (no marker)."""
    if core_type == NUMBER:
        return _number_final(text, facts)
    if core_type == CHOICE and facts[3]:
        return _choice_final(text, facts[3])
    if core_type == YES_NO:
        return _yes_no_final(text)
    return None


_STRONG = ("boxed", "hashes")  # markers whose text is the final answer whatever it reads as


# The kind and the label read the same answers: ``score_pairs`` reads each once, and clears
# this when it is done (the cache holds no answer beyond the call that read it).
final_of = lru_cache(maxsize=None)(find_final)


def _numbers_agree(a: Number, b: Number, *, tolerance: float, percent_asked: bool) -> bool:
    for x in a.values(percent_asked):
        for y in b.values(percent_asked):
            if x == y:
                return True
            if (a.rounded or b.rounded) and abs(x - y) <= Fraction(tolerance) * max(abs(x), abs(y)):
                return True
    return False


def finals_agree(a: Final, b: Final, question: str | None, *, tolerance: float) -> bool:
    """Whether two final answers are the same value (a hedged one agrees with nothing).

    Example:
        >>> q = "How much does it cost?"
        >>> a, b = find_final("#### 57", q, "number"), find_final("It costs $57.00.", q, "number")
        >>> finals_agree(a, b, q, tolerance=0.005)
        True
    """
    if a.hedged or b.hedged:
        return False
    if a.type != b.type:
        return False
    if a.type == NUMBER:
        if len(a.values) != len(b.values):
            return False
        percent = _question_facts(question or "")[2]
        return all(_numbers_agree(x, y, tolerance=tolerance, percent_asked=percent)
                   for x, y in zip(a.values, b.values))
    return a.values == b.values


def decided_by(a: Final, b: Final) -> str:
    """``final:<how>``, both ways joined by "+" when they differ (``final:boxed+equation``), and
    ``final:hedged`` when either answer hedges.

    Example:
        >>> decided_by(Final("number", (), "boxed"), Final("number", (), "equation"))
        'final:boxed+equation'
    """
    if a.hedged or b.hedged:
        return "final:none" if "none" in (a.how, b.how) else "final:hedged"
    ways = sorted({a.how, b.how}, key=lambda w: (MARKERS.index(w) if w in MARKERS else len(MARKERS), w))
    return "final:" + "+".join(ways)
