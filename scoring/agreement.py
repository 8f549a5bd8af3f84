"""How closely the small model's answer agrees with the large model's, per pair.

Metrics: SQuAD-normalised exact match, SQuAD token F1, containment (the share of the large
answer's tokens found in the small one: a chatty "The capital is Paris." contains "Paris") and
the cosine of sentence embeddings (all-MiniLM-L6-v2 by default). The agree label: exact match,
or token F1 at or above ``f1_threshold``, or full containment, or cosine at or above
``cosine_threshold``.

Defined edge cases: two empty answers agree (exact = F1 = cosine = 1); one empty answer
disagrees (0, 0, 0). Nothing returns NaN.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

SCORING_VERSION = "1"  # bump when a metric or the rule changes: old rows are then re-scored
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces.

    Example:
        >>> normalize_answer("The  Eiffel Tower!")
        'eiffel tower'
    """
    text = _ARTICLES.sub(" ", (text or "").lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def exact_match(a: str, b: str) -> float:
    """1.0 when both answers normalise to the same text.

    Example:
        >>> exact_match("Paris.", "paris")
        1.0
    """
    return float(normalize_answer(a) == normalize_answer(b))


def token_f1(a: str, b: str) -> float:
    """SQuAD token F1 between two answers.

    Example:
        >>> round(token_f1("William Shakespeare", "Shakespeare"), 3)
        0.667
    """
    ta, tb = normalize_answer(a).split(), normalize_answer(b).split()
    if not ta or not tb:
        return float(ta == tb)
    common = sum((Counter(ta) & Counter(tb)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(ta), common / len(tb)
    return 2 * precision * recall / (precision + recall)


def containment(small: str, large: str) -> float:
    """Share of the large answer's normalised tokens that the small answer contains.

    Example:
        >>> containment("The capital of France is Paris.", "Paris")
        1.0
    """
    ts, tl = normalize_answer(small).split(), normalize_answer(large).split()
    if not tl:
        return float(not ts)
    return sum((Counter(ts) & Counter(tl)).values()) / len(tl)


@lru_cache(maxsize=2)
def load_embedder(model_path: str, device: str = "cpu"):
    """The sentence-embedding model, loaded once per process."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path, device=device)


def embedding_cosine(a: list[str], b: list[str], *, embedder) -> np.ndarray:
    """Cosine of the sentence embeddings of each pair, batched.

    Example:
        >>> embedding_cosine(["Paris"], ["Paris"], embedder=model)  # doctest: +SKIP
        array([1.])
    """
    if not a:
        return np.zeros(0)
    vectors = embedder.encode(list(a) + list(b), batch_size=64, normalize_embeddings=True,
                              convert_to_numpy=True)
    cosine = np.sum(vectors[: len(a)] * vectors[len(a):], axis=1).astype(float)
    empty_a = np.array([not normalize_answer(x) for x in a])
    empty_b = np.array([not normalize_answer(x) for x in b])
    cosine[empty_a != empty_b] = 0.0
    cosine[empty_a & empty_b] = 1.0
    return np.clip(np.nan_to_num(cosine), -1.0, 1.0)


@dataclass(frozen=True)
class AgreementRule:
    f1_threshold: float = 0.5
    cosine_threshold: float = 0.8

    def agree(self, exact: float, f1: float, contained: float, cosine: float) -> bool:
        """Example:
        >>> AgreementRule().agree(0.0, 0.6, 0.5, 0.1)
        True
        """
        return (
            exact == 1.0
            or f1 >= self.f1_threshold
            or contained == 1.0
            or cosine >= self.cosine_threshold
        )


def score_pairs(small: list[str], large: list[str], *, embedder, rule: AgreementRule) -> dict[str, list]:
    """All metrics and the agree label for aligned lists of small and large answers."""
    small = [s or "" for s in small]
    large = [s or "" for s in large]
    exact = [exact_match(a, b) for a, b in zip(small, large)]
    f1 = [token_f1(a, b) for a, b in zip(small, large)]
    contained = [containment(a, b) for a, b in zip(small, large)]
    cosine = embedding_cosine(small, large, embedder=embedder).tolist()
    agree = [rule.agree(*m) for m in zip(exact, f1, contained, cosine)]
    return {"exact": exact, "token_f1": f1, "containment": contained, "cosine": cosine, "agree": agree}


def embedder_path(setting: str) -> str:
    """Resolve the ``agreement.embedding_model`` setting to a local folder."""
    from scoring.replay.weights import resolve_weights

    return str(Path(resolve_weights(setting)))
