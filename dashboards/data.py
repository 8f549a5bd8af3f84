"""Every read the dashboard makes: one function per query of ``warehouse.dashboard_queries``,
named as that query and as its ``warehouse/sql/<name>.sql`` file, cached per snapshot and, where
the result has dollar columns, repriced under the view's cost assumptions.

Each function takes the page's ``View`` and the query's own parameters. Of the view, a read uses
only its data folder, snapshot version and dataset, and only those (with the parameters) key its
``st.cache_data`` cache: the version (mtime and inode) changes when the pipeline publishes a new
snapshot, so the dashboard reads it afresh on its next rerun without a restart, while moving the
threshold or editing a price reads nothing again. Dollars are repriced after the cache, so a
price edit costs no query.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec

import polars as pl
import streamlit as st

from dashboards.repricing import reprice
from dashboards.view import Version, View
from scoring.config_file import DATA_DIR_ENV, DEFAULT_DATA_DIR
from warehouse import dashboard_queries as queries
from warehouse.dashboard_queries import WINDOW

P = ParamSpec("P")
Read = Callable[Concatenate[View, P], pl.DataFrame]


def data_dir() -> Path:
    """The data folder: ``$PLANB_DATA_DIR``, else ``./data``, read on every rerun."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def snapshot_version(directory: Path) -> Version | None:
    """The current snapshot's version, or None when nothing has been published."""
    return queries.snapshot_version(directory)


def _snapshot(view: View) -> tuple[str, Version | None, str]:
    """What a read depends on of the view: its part of the cache key."""
    return view.directory, view.version, view.dataset


def _cached(read: Read[P]) -> Read[P]:
    """``read`` cached per snapshot and parameters. It must use no field of the view but
    ``directory`` and ``dataset``: the others (router, threshold, costs) are not in the key."""
    return st.cache_data(read, show_spinner=False, max_entries=1024, hash_funcs={View: _snapshot})


def _repriced(read: Read[P]) -> Read[P]:
    """``read`` cached, its dollar columns recomputed under ``view.costs`` after the cache."""
    cached = _cached(read)

    @functools.wraps(read)
    def priced(view: View, /, *args: P.args, **kwargs: P.kwargs) -> pl.DataFrame:
        return reprice(cached(view, *args, **kwargs), view.costs)

    return priced


@_cached
def datasets(view: View) -> pl.DataFrame:
    """Datasets with a projection (``dataset``): the pipeline's first, then imports."""
    return queries.datasets(view.directory)


@_cached
def dataset_evidence(view: View) -> pl.DataFrame:
    """Each dataset with what its answer rests on, most evidence first (the default dataset)."""
    return queries.dataset_evidence(view.directory)


@_cached
def pricing_basis(view: View) -> pl.DataFrame:
    """One row: the device the view's dataset was costed on, its price, utilisation, price note."""
    return queries.pricing_basis(view.directory, view.dataset)


@_cached
def cost_models(view: View) -> pl.DataFrame:
    """Every cost model, per model and device, with its backtest."""
    return queries.cost_models(view.directory)


@_cached
def replay_latency(view: View) -> pl.DataFrame:
    """Per model and device: p50 / p95 seconds a replayed request waited, and throughput."""
    return queries.replay_latency(view.directory)


@_cached
def gpu_prices(view: View) -> pl.DataFrame:
    """The price table, the measured GPU type first."""
    return queries.gpu_prices(view.directory)


@_cached
def routers(view: View) -> pl.DataFrame:
    """Routers with a projection of the view's dataset (``router``), by name."""
    return queries.routers(view.directory, view.dataset)


@_repriced
def projection(view: View, router: str, *, segment_by: str = WINDOW, segment: str = WINDOW) -> pl.DataFrame:
    """Every projected threshold of ``router`` in one segment (default: the whole window)."""
    return queries.projection(view.directory, router, dataset=view.dataset, segment_by=segment_by, segment=segment)


@_repriced
def projection_curves(view: View) -> pl.DataFrame:
    """Every router's whole-window projection, by router and threshold, with ``frontier``."""
    return queries.projection_curves(view.directory, view.dataset)


@_repriced
def projection_at(view: View, router: str, threshold: float, *, segment_by: str = WINDOW,
                  segment: str = WINDOW) -> pl.DataFrame:
    """The one projection row of ``router`` at the projected threshold nearest ``threshold``
    (empty when the router is gone from a newer snapshot)."""
    return queries.projection_at(view.directory, router, threshold, dataset=view.dataset, segment_by=segment_by,
                                 segment=segment)


@_repriced
def segments_at(view: View, router: str, threshold: float, segment_by: str) -> pl.DataFrame:
    """One projection row per segment of ``segment_by``, each at the threshold nearest ``threshold``."""
    return queries.segments_at(view.directory, router, threshold, segment_by, dataset=view.dataset)


@_repriced
def recommendations(view: View) -> pl.DataFrame:
    """One row per router: AUC, APGR, CPT and the recommended threshold with its projection."""
    return queries.recommendations(view.directory, view.dataset)


@_cached
def scoring_versions(view: View) -> pl.DataFrame:
    """Agreement rules with scores in the snapshot, latest first, with their pair counts."""
    return queries.scoring_versions(view.directory)


@_cached
def example_segments(view: View) -> pl.DataFrame:
    """The ``segment_by`` and ``segment`` values of the scored pairs."""
    return queries.example_segments(view.directory)


@_cached
def examples(view: View, scoring_version: str, *, agree: bool | None = None, surface: str | None = None,
             mode: str | None = None, language: str | None = None, metric: str = "token_f1",
             metric_range: tuple[float, float] = (-1.0, 1.0), limit: int = 20, router: str | None = None) -> pl.DataFrame:
    """Scored pairs with both answers and ``router``'s score, filtered (None: any), lowest ``metric`` first."""
    return queries.examples(view.directory, scoring_version, agree=agree, surface=surface, mode=mode,
                            language=language, metric=metric, metric_range=metric_range, limit=limit, router=router)


@_cached
def imported_segments(view: View) -> pl.DataFrame:
    """The view's imported set: its stored pairs' segment values, and their count (segment_by 'pairs')."""
    return queries.imported_segments(view.directory, view.dataset)


@_cached
def imported_examples(view: View, router: str, *, label: bool | None = None, surface: str | None = None,
                      mode: str | None = None, language: str | None = None, limit: int = 20) -> pl.DataFrame:
    """The view's imported pairs with both answers, quality and ``router``'s score, largest loss first."""
    return queries.imported_examples(view.directory, view.dataset, router, label=label, surface=surface, mode=mode,
                                     language=language, limit=limit)


@_cached
def missing_migrations(view: View) -> pl.DataFrame:
    """The migrations (``version``) the snapshot was published without."""
    return queries.missing_migrations(view.directory)


@_cached
def snapshot_info(view: View) -> pl.DataFrame:
    """The latest publish: ``published_at``, ``days``, ``chat_log_rows``."""
    return queries.snapshot_info(view.directory)


@_cached
def health_days(view: View) -> pl.DataFrame:
    """Per day held, what each stage of the pipeline holds for it."""
    return queries.health_days(view.directory)


@_cached
def health_rejected_reasons(view: View) -> pl.DataFrame:
    """Rejected log rows per reason, most first, with an example."""
    return queries.health_rejected_reasons(view.directory)


@_cached
def health_rejected_days(view: View) -> pl.DataFrame:
    """Rejected log rows per day (NULL: no readable timestamp) and reason."""
    return queries.health_rejected_days(view.directory)


@_cached
def health_runs(view: View, limit: int) -> pl.DataFrame:
    """The latest ``limit`` Dagster runs as of the publish, newest first."""
    return queries.health_runs(view.directory, limit)


@_cached
def health_checks(view: View) -> pl.DataFrame:
    """The latest result of each asset check and partition as of the publish, failures first."""
    return queries.health_checks(view.directory)


@_cached
def health_quarantined(view: View) -> pl.DataFrame:
    """Landing files quarantined whole, newest first."""
    return queries.health_quarantined(view.directory)


@_cached
def review_pairs(view: View) -> pl.DataFrame:
    """The pairs drawn for review, in queue order, with the request and both answers."""
    return queries.review_pairs(view.directory)


@_cached
def review_agreement(view: View) -> pl.DataFrame:
    """The reviewers' agreement (kappa with its interval) and progress as of the latest run."""
    return queries.review_agreement(view.directory)
