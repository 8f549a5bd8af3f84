"""Rule-based rewordings of a gold answer (same content, other words and formats) and near
misses (other content in the same words), for the agreement validation set.

A rewording keeps the gold answer and changes what is around it or how it is written:
sentence templates, some of which restate the question as chatty models do, the case, number
and date formats ("1,000" / "1000", "3" / "three", "May 18, 2018" / "18 May 2018"), a leading
article. A near miss is the same template around another answer: a year or number moved a
little, or a gold answer of another question of the same kind (a year, a number, a name).
"""

from __future__ import annotations

import random
import re

from scoring.agreement.metrics import normalize_answer

# (template, restates the question). {a}: the answer; {q}: the question.
TEMPLATES: tuple[tuple[str, bool], ...] = (
    ("{a}", False),
    ("{a}.", False),
    ("It is {a}.", False),
    ("{a}, I believe.", False),
    ("The answer is {a}.", False),
    ("I'm fairly sure it's {a}.", False),
    ('The answer to "{q}" is {a}.', True),
    ("{a} is the answer to the question {q}.", True),
    ("Good question! When people ask {q}, the answer is {a}, as far as I know.", True),
    ("Short answer: {a}. Longer answer: the question {q} is usually answered with {a}.", True),
)

_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                 "fourteen fifteen sixteen seventeen eighteen nineteen twenty").split()
_MONTHS = ("january february march april may june july august september october november "
           "december").split()
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_INTEGER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b")
_MONTH_DAY_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r") (\d{1,2}),? (\d{4})\b", re.IGNORECASE)


def tidy(answer: str) -> str:
    """NQ answers are tokenised ("May 18 , 2018", "Lincoln 's"): join the pieces back.

    Example:
        >>> tidy("May 18 , 2018")
        'May 18, 2018'
    """
    answer = re.sub(r" ([,.;:!?%)])", r"\1", answer.strip()).replace(" n 't", "n't")
    answer = re.sub(r"\( ", "(", answer)
    return re.sub(r" (['’]s)\b", r"\1", answer)


def answer_kind(answer: str) -> str:
    """year, number or text: near misses are drawn from the same kind.

    Example:
        >>> [answer_kind(a) for a in ("1969", "about 300", "Paris")]
        ['year', 'number', 'text']
    """
    if _YEAR.search(answer):
        return "year"
    return "number" if _INTEGER.search(answer) else "text"


def format_variants(answer: str) -> list[str]:
    """The answer written other ways with the same content; the first is the tidied answer.

    Example:
        >>> format_variants("May 18 , 2018")
        ['May 18, 2018', 'may 18, 2018', '18 May 2018']
        >>> format_variants("3")
        ['3', 'three']
    """
    base = tidy(answer)
    variants = [base]
    if base.lower() != base:
        variants.append(base.lower())
    date = _MONTH_DAY_YEAR.search(base)
    if date:
        variants.append(_MONTH_DAY_YEAR.sub(lambda m: f"{m[2]} {m[1]} {m[3]}", base))
    if re.search(r"\b\d{1,3}(,\d{3})+\b", base):
        variants.append(re.sub(r"(?<=\d),(?=\d{3})", "", base))
    elif re.fullmatch(r"\d{4,}", base) and not _YEAR.fullmatch(base):
        variants.append(f"{int(base):,}")
    if re.fullmatch(r"\d+", base) and int(base) <= 20:
        variants.append(_NUMBER_WORDS[int(base)])
    if re.match(r"(?i)the ", base):
        variants.append(base[4:])
    return list(dict.fromkeys(variants))


def reword(answer: str, question: str, rng: random.Random, *, restating: bool | None = None) -> str:
    """The answer in a random template (restating the question or not, if asked), in one of
    its formats.

    Example:
        >>> reword("Paris", "capital of france", random.Random(0), restating=False) != ""
        True
    """
    templates = [t for t, r in TEMPLATES if restating is None or r == restating]
    template = rng.choice(templates)
    return template.format(a=rng.choice(format_variants(answer)), q=tidy(question))


def _moved_number(answer: str, rng: random.Random) -> str | None:
    match = _YEAR.search(answer) or _INTEGER.search(answer)
    if not match:
        return None
    value = int(match[0].replace(",", ""))
    if _YEAR.fullmatch(match[0]):
        moved = value + rng.choice((-1, 1)) * rng.randint(1, 12)
    else:
        moved = value + rng.choice((-1, 1)) * max(1, rng.randint(1, max(1, value // 2)))
        moved = moved if moved >= 0 else value + 1
    return answer[: match.start()] + str(moved) + answer[match.end():]


def near_miss(answer: str, gold: list[str], others_same_kind: list[str], rng: random.Random) -> str | None:
    """Another answer of the same kind that contains no gold answer: a year or number moved a
    little, else a gold answer of another question; None when there is none.

    Example:
        >>> near_miss("1969", ["1969"], [], random.Random(1)) != "1969"
        True
    """
    candidates = []
    moved = _moved_number(tidy(answer), rng)
    if moved:
        candidates.append(moved)
    candidates += [tidy(o) for o in rng.sample(others_same_kind, min(5, len(others_same_kind)))]
    for candidate in candidates:
        if normalize_answer(candidate) and not contains_any(candidate, gold):
            return candidate
    return None


def contains(text: str | None, gold: str) -> bool:
    """Whether the normalised gold answer occurs, as whole tokens, in the normalised text (the
    Natural Questions open-domain answer match).

    Example:
        >>> contains("It was William Shakespeare.", "Shakespeare"), contains("Shakespeares", "Shakespeare")
        (True, False)
    """
    needle = normalize_answer(tidy(gold))
    return bool(needle) and f" {needle} " in f" {normalize_answer(text)} "


def contains_any(text: str | None, gold: list[str]) -> bool:
    return any(contains(text, g) for g in gold)
