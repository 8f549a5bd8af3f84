"""How closely the small model's answer agrees with the large model's: the lexical metrics.

Every metric works on SQuAD-normalised tokens (lower case, no punctuation, no English articles,
single spaces), with punctuation taken to be every Unicode punctuation character as in MLQA's
multilingual extension of the SQuAD script, plus invisible format characters (zero-width
spaces), so an answer of only white space or punctuation in any script normalises to nothing.

- exact: 1.0 when both normalise to the same text.
- token F1: SQuAD's bag-of-tokens F1.
- containment: share of the large answer's tokens found in the small one.
- ROUGE-L: F-measure of the longest common token subsequence (ROUGE-1.5.5's ROUGE-L, as in
  Google's ``rouge-score``), the LCS computed by RapidFuzz's bit-parallel C++ so a 100 KB
  answer costs milliseconds rather than a quadratic Python table.
- content containment: the share of the shorter answer's content tokens found in the longer
  one, where content tokens leave out the question's own words and English stop words
  (scikit-learn's list, less numbers and negations), so "The answer to <question> is Paris."
  and "It is Paris." agree, and "The answer is 1969." and "The answer is 1971." do not.

Defined edge cases, for every metric: two answers that normalise to nothing agree (1.0); one
empty answer and one non-empty disagree (0.0). Nothing returns NaN. The embedding cosine is in
``scoring.agreement.embedding``, the agree label in ``scoring.agreement.rule``, the judge in
``scoring.agreement.judge``; ``score_pairs`` runs them all, batched.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

import regex
from rapidfuzz.distance import LCSseq
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Bump when a metric's definition changes: it is part of every scoring_version.
METRICS_VERSION = "2"
# Numbers, ordinals and negations are often the whole answer: they stay content.
_KEPT_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty forty fifty "
    "sixty hundred thousand first second third last no not nor never none nothing nobody "
    "nowhere cannot".split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) - _KEPT_WORDS

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ASCII_PUNCTUATION = str.maketrans("", "", string.punctuation)


# Every Unicode punctuation and format character, in the regex module's C matcher: 3x faster
# than a per-character unicodedata test on long answers with curly quotes or dashes.
_UNICODE_REMOVED = regex.compile(r"[\p{P}\p{Cf}]+")


def normalize_answer(text: str | None) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces.

    Example:
        >>> normalize_answer("The  Eiffel Tower!")
        'eiffel tower'
        >>> normalize_answer("¿Qué? «Sí».")
        'qué sí'
    """
    text = (text or "").lower().translate(_ASCII_PUNCTUATION)
    if not text.isascii():  # the Unicode table only where it can matter
        text = _UNICODE_REMOVED.sub("", text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(a: str | None, b: str | None) -> float:
    """1.0 when both answers normalise to the same text.

    Example:
        >>> exact_match("Paris.", "paris")
        1.0
    """
    return float(normalize_answer(a) == normalize_answer(b))


def _f1(ta: Sequence[str], tb: Sequence[str]) -> float:
    if not ta or not tb:
        return float(len(ta) == len(tb))
    common = sum((Counter(ta) & Counter(tb)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(ta), common / len(tb)
    return 2 * precision * recall / (precision + recall)


def token_f1(a: str | None, b: str | None) -> float:
    """SQuAD token F1 between two answers.

    Example:
        >>> round(token_f1("William Shakespeare", "Shakespeare"), 3)
        0.667
    """
    return _f1(normalize_answer(a).split(), normalize_answer(b).split())


def _containment(ts: Sequence[str], tl: Sequence[str]) -> float:
    if not tl:
        return float(not ts)
    return sum((Counter(ts) & Counter(tl)).values()) / len(tl)


def containment(small: str | None, large: str | None) -> float:
    """Share of the large answer's normalised tokens that the small answer contains.

    Example:
        >>> containment("The capital of France is Paris.", "Paris")
        1.0
    """
    return _containment(normalize_answer(small).split(), normalize_answer(large).split())


def _rouge_l(ta: Sequence[str], tb: Sequence[str]) -> float:
    if not ta or not tb:
        return float(len(ta) == len(tb))
    # F of P = lcs/|a| and R = lcs/|b| is 2 lcs / (|a| + |b|).
    return 2 * LCSseq.similarity(ta, tb) / (len(ta) + len(tb))


def rouge_l(a: str | None, b: str | None) -> float:
    """ROUGE-L F-measure on normalised tokens: longest common subsequence, order-aware.

    Example:
        >>> rouge_l("the cat sat on the mat", "the cat was on the mat")  # LCS cat on mat: 2*3/8
        0.75
    """
    return _rouge_l(normalize_answer(a).split(), normalize_answer(b).split())


def _content_containment(ta: Sequence[str], tb: Sequence[str]) -> float:
    shorter, longer = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if not shorter:  # both add nothing to the question: 1; only one: 0
        return float(not longer)
    return sum((Counter(shorter) & Counter(longer)).values()) / len(shorter)


def content_tokens(text: str | None, question: str | None = None) -> list[str]:
    """Normalised tokens less English stop words and the question's own words.

    Example:
        >>> content_tokens("The capital of France is Paris, I think.", "capital of france")
        ['paris', 'think']
    """
    drop = STOP_WORDS | set(normalize_answer(question).split())
    return [t for t in normalize_answer(text).split() if t not in drop]


def content_containment(a: str | None, b: str | None, question: str | None = None) -> float:
    """Share of the shorter answer's content tokens that the longer answer contains.

    Example:
        >>> content_containment("It is Paris.", "The answer to capital of France is Paris.", "capital of france")
        1.0
        >>> content_containment("The answer is 1969.", "The answer is 1971.")
        0.5
    """
    return _content_containment(content_tokens(a, question), content_tokens(b, question))


LEXICAL_METRICS = ("exact", "token_f1", "containment", "rouge_l", "content_containment")


def lexical_metrics(small: Sequence[str | None], large: Sequence[str | None],
                    questions: Sequence[str | None] | None = None) -> dict[str, list[float]]:
    """Exact, token F1, containment, ROUGE-L and content containment of aligned answer lists
    (``questions``: the question of each pair, whose words are not content), each text
    normalised once however many pairs and metrics use it.

    Example:
        >>> lexical_metrics(["Paris", ""], ["paris.", "London"])["token_f1"]
        [1.0, 0.0]
    """
    questions = [None] * len(small) if questions is None else questions
    tokens: dict[str | None, list[str]] = {}
    for text in (*small, *large, *questions):
        if text not in tokens:
            tokens[text] = normalize_answer(text).split()
    dropped: dict[str | None, frozenset[str]] = {}
    out: dict[str, list[float]] = {name: [] for name in LEXICAL_METRICS}
    for a, b, question in zip(small, large, questions, strict=True):
        ta, tb = tokens[a], tokens[b]
        if ta == tb:  # identical (or both empty): every metric is 1 by definition
            for name in LEXICAL_METRICS:
                out[name].append(1.0)
            continue
        out["exact"].append(0.0)
        out["token_f1"].append(_f1(ta, tb))
        out["containment"].append(_containment(ta, tb))
        out["rouge_l"].append(_rouge_l(ta, tb))
        if not ta or not tb:
            out["content_containment"].append(0.0)
            continue
        if question not in dropped:
            dropped[question] = STOP_WORDS | frozenset(tokens[question])
        drop = dropped[question]
        out["content_containment"].append(
            _content_containment([t for t in ta if t not in drop], [t for t in tb if t not in drop]))
    return out


def answer_tokens(text: str | None) -> int:
    """Number of normalised tokens: what decides whether a pair is short.

    Example:
        >>> answer_tokens("It is the Eiffel Tower.")
        4
    """
    return len(normalize_answer(text).split())
