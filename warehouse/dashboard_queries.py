"""The queries the dashboard runs, each one ``warehouse/sql/*.sql`` file over the snapshot, named
as its file (``health_runs`` runs ``health_runs.sql``).

Every function opens the published snapshot read-only, runs its file with bound parameters
(user input is never formatted into SQL), and closes the connection before returning, so the
pipeline can replace the snapshot between two queries.
"""

from __future__ import annotations

from contextlib import closing
from functools import cache
from importlib.resources import files
from pathlib import Path

import polars as pl

from warehouse.db import migration_versions, open_snapshot, read_frame, snapshot_path
from warehouse.keys import PIPELINE


@cache
def _sql(name: str) -> str:
    return files("warehouse").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def _query(data_dir: str | Path, name: str, params: list | None = None) -> pl.DataFrame:
    # One connection per query: a reader held open would keep the old snapshot file alive.
    with closing(open_snapshot(data_dir)) as con:
        return read_frame(con, _sql(name), params)


def snapshot_version(data_dir: str | Path) -> tuple[int, int] | None:
    """An id that changes on every publish (mtime and inode), or None without a snapshot.

    Example:
        >>> snapshot_version("/nonexistent") is None
        True
    """
    try:
        stat = snapshot_path(data_dir).stat()
    except FileNotFoundError:
        return None
    # Publishing renames a fresh copy onto the path, so the inode changes even within one tick.
    return stat.st_mtime_ns, stat.st_ino


WINDOW = "all"  # segment_by and segment of the whole window


def datasets(data_dir: str | Path) -> pl.DataFrame:
    """Datasets with a projection, one column ``dataset``: the pipeline's first, then imports.

    Example:
        >>> datasets("./data")["dataset"].to_list()  # doctest: +SKIP
        ['pipeline', 'routerbench']
    """
    return _query(data_dir, "datasets")


def dataset_evidence(data_dir: str | Path) -> pl.DataFrame:
    """Each dataset with a projection, most evidence first (the dashboard's default): ``dataset``,
    ``n_sample``, ``days`` (0: imported), ``sampled_per_day``, ``certified`` (a router but the
    oracle has a recommended threshold), ``small_model``, ``large_model`` and ``toy`` (the
    pipeline's pair is the bundled tiny models).

    Example:
        >>> dataset_evidence("./data")["dataset"].to_list()  # doctest: +SKIP
        ['mt_bench_mixtral_gpt4', 'pipeline']
    """
    return _query(data_dir, "dataset_evidence")


def pricing_basis(data_dir: str | Path, dataset: str = PIPELINE) -> pl.DataFrame:
    """One row: the ``device`` a dataset's costs were measured on, ``dollars_per_gpu_hour`` and
    ``utilisation`` used, ``large_hosted`` (priced per token) and ``price_note``.

    Example:
        >>> pricing_basis("./data")["device"].item()  # doctest: +SKIP
        'cpu'
    """
    return _query(data_dir, "pricing_basis", [dataset])


def cost_models(data_dir: str | Path) -> pl.DataFrame:
    """Every cost model: ``model``, ``role``, ``device``, ``source``, seconds per request, prompt
    token and output token, ``r2``, ``n_batches``, ``fitted_at``, ``model_key``.

    Example:
        >>> cost_models("./data").select("model", "device", "seconds_per_output_token")  # doctest: +SKIP
    """
    return _query(data_dir, "cost_models")


def replay_latency(data_dir: str | Path) -> pl.DataFrame:
    """Per model and device: requests, batches, mean batch size, p50 and p95 seconds a request
    waited (its batch's wall time) and output tokens per second, from the replays.

    Example:
        >>> replay_latency("./data")["p95_seconds"].to_list()  # doctest: +SKIP
        [2.31, 4.05]
    """
    return _query(data_dir, "replay_latency")


def gpu_prices(data_dir: str | Path) -> pl.DataFrame:
    """The price table: ``gpu_type``, ``dollars_per_hour``, ``as_of``, ``source``, ``measured``.

    Example:
        >>> gpu_prices("./data")["gpu_type"].to_list()  # doctest: +SKIP
        ['cpu', 'H100', 'H200']
    """
    return _query(data_dir, "gpu_prices")


def routers(data_dir: str | Path, dataset: str = PIPELINE) -> pl.DataFrame:
    """Routers with a projection of ``dataset``, one column ``router``, sorted by name.

    Raises ``NoSnapshotError`` when nothing has been published.

    Example:
        >>> routers("./data")["router"].to_list()  # doctest: +SKIP
        ['length', 'random', 'small_confidence']
    """
    return _query(data_dir, "routers", [dataset])


def projection(data_dir: str | Path, router: str, *, dataset: str = PIPELINE, segment_by: str = WINDOW,
               segment: str = WINDOW) -> pl.DataFrame:
    """All ``routing_projection`` rows of one router and segment, by threshold (empty for an
    unknown one). The default is the pipeline's whole window.

    Example:
        >>> projection("./data", "length").select("threshold", "share_small")  # doctest: +SKIP
        >>> projection("./data", "length", segment_by="surface", segment="chat")  # doctest: +SKIP
    """
    return _query(data_dir, "projection", [router, dataset, segment_by, segment])


def projection_curves(data_dir: str | Path, dataset: str = PIPELINE) -> pl.DataFrame:
    """Every router's whole-window ``routing_projection`` rows, by router and threshold, with
    ``frontier``: on the Pareto frontier of GPU-hours saved against agreement among requests
    routed small, over all routers but the oracle.

    Example:
        >>> projection_curves("./data").filter("frontier").select("router", "threshold")  # doctest: +SKIP
    """
    return _query(data_dir, "projection_curves", [dataset])


def projection_at(data_dir: str | Path, router: str, threshold: float, *, dataset: str = PIPELINE,
                  segment_by: str = WINDOW, segment: str = WINDOW) -> pl.DataFrame:
    """The one ``routing_projection`` row of ``router`` whose threshold is nearest ``threshold``.

    Ties go to the lower threshold; an unknown router gives an empty frame.

    Example:
        >>> projection_at("./data", "length", 0.5)["threshold"].item()  # doctest: +SKIP
        0.5
    """
    return _query(data_dir, "projection_at", [router, float(threshold), dataset, segment_by, segment])


def segments_at(data_dir: str | Path, router: str, threshold: float, segment_by: str, *,
                dataset: str = PIPELINE) -> pl.DataFrame:
    """One ``routing_projection`` row per segment of ``segment_by`` (day, surface, mode, language,
    query_length): each at the projected threshold nearest ``threshold``, by segment.

    Example:
        >>> segments_at("./data", "length", 0.5, "day")["segment"].to_list()  # doctest: +SKIP
        ['2026-11-01', '2026-11-02']
    """
    return _query(data_dir, "segments_at", [router, float(threshold), dataset, segment_by])


def recommendations(data_dir: str | Path, dataset: str = PIPELINE) -> pl.DataFrame:
    """One row per router of ``dataset`` (whole window): AUC, APGR, CPT(50/80/95%) with 95%
    intervals, the recommended threshold with its projection (NULL when none qualifies; ``note``
    says why) and ``best_agreement_lo``, the highest agreement lower bound any threshold reaches.

    Example:
        >>> recommendations("./data").select("router", "recommended_threshold")  # doctest: +SKIP
    """
    return _query(data_dir, "recommendations", [dataset])


EXAMPLE_METRICS = ("token_f1", "rouge_l", "content_containment", "cosine", "judge")


def scoring_versions(data_dir: str | Path) -> pl.DataFrame:
    """Agreement rules with scores in the snapshot, latest first: ``scoring_version``, ``rule``,
    ``first_scored_at``, ``pairs``, ``labelled`` (agree true or false) and ``unscored`` (agree
    NULL: open-ended answers with no judge).

    Example:
        >>> scoring_versions("./data")["scoring_version"].to_list()  # doctest: +SKIP
    """
    return _query(data_dir, "scoring_versions")


def judge_cost(data_dir: str | Path) -> pl.DataFrame:
    """The judge's cost under the latest agreement rule, per judge: ``calls``, ``pairs``,
    ``prompt_tokens``, ``output_tokens``, ``device_seconds``, ``device`` (no rows: no judge).

    Example:
        >>> judge_cost("./data")["device_seconds"].sum()  # doctest: +SKIP
        12.5
    """
    return _query(data_dir, "judge_cost")


def example_segments(data_dir: str | Path) -> pl.DataFrame:
    """``segment_by`` (surface, mode, language) and ``segment`` values of the scored pairs."""
    return _query(data_dir, "example_segments")


def examples(data_dir: str | Path, scoring_version: str, *, agree: bool | None = None, surface: str | None = None,
             mode: str | None = None, language: str | None = None, metric: str = "token_f1",
             metric_range: tuple[float, float] = (-1.0, 1.0), limit: int = 20, router: str | None = None) -> pl.DataFrame:
    """Scored pairs with the query, both answers and ``router``'s ``score``, filtered (None: any)
    and ordered by ``metric`` (lowest first, so the clearest disagreements lead), at most ``limit``.

    Example:
        >>> examples("./data", "v2", agree=False, metric="cosine", limit=5)  # doctest: +SKIP
    """
    if metric not in EXAMPLE_METRICS:
        raise ValueError(f"metric {metric!r} is not one of {', '.join(EXAMPLE_METRICS)}")
    low, high = metric_range
    return _query(data_dir, "examples", [scoring_version, agree, surface, mode, language, metric,
                                         float(low), float(high), int(limit), router])


def imported_segments(data_dir: str | Path, dataset: str) -> pl.DataFrame:
    """``segment_by`` (surface, mode, language) and ``segment`` values of an imported set's stored
    pairs, and their count (``segment_by`` 'pairs')."""
    return _query(data_dir, "imported_segments", [dataset])


def imported_examples(data_dir: str | Path, dataset: str, router: str, *, label: bool | None = None,
                      surface: str | None = None, mode: str | None = None, language: str | None = None,
                      limit: int = 20) -> pl.DataFrame:
    """An imported set's stored pairs with both answers, their quality and ``router``'s ``score``,
    filtered (None: any), the largest quality loss first, at most ``limit``.

    Example:
        >>> imported_examples("./data", "mt_bench_mixtral_gpt4", "length", label=False, limit=5)  # doctest: +SKIP
    """
    return _query(data_dir, "imported_examples", [dataset, router, label, surface, mode, language, int(limit)])


def missing_migrations(data_dir: str | Path) -> pl.DataFrame:
    """The migrations (column ``version``) this code has that the snapshot was published
    without, when an older Plan B published it: the dashboard's queries may need their tables.

    Example:
        >>> missing_migrations("./data")["version"].to_list()  # doctest: +SKIP
        []
    """
    return _query(data_dir, "missing_migrations", [sorted(migration_versions())])


def snapshot_info(data_dir: str | Path) -> pl.DataFrame:
    """The latest ``snapshot_log`` row: ``published_at``, ``days``, ``chat_log_rows``.

    Example:
        >>> snapshot_info("./data")["days"].item()  # doctest: +SKIP
        3
    """
    return _query(data_dir, "snapshot_info")


def health_days(data_dir: str | Path) -> pl.DataFrame:
    """Data health per day, from the first day held to the last (gaps as zeros): ``logged_rows``,
    ``rejected_rows`` (those with a readable day), ``sampled``, ``replayed_small``,
    ``replayed_large``, ``replay_errors``, ``scored`` (requests with an agreement row).

    Example:
        >>> health_days("./data").select("day", "logged_rows", "rejected_rows")  # doctest: +SKIP
    """
    return _query(data_dir, "health_days")


def health_rejected_reasons(data_dir: str | Path) -> pl.DataFrame:
    """Rejected log rows per ``reason``, most first: ``rows``, ``days``, ``rows_without_day``,
    one ``example_detail`` and ``example_source`` (file:line).

    Example:
        >>> health_rejected_reasons("./data").select("reason", "rows")  # doctest: +SKIP
    """
    return _query(data_dir, "health_rejected_reasons")


def health_rejected_days(data_dir: str | Path) -> pl.DataFrame:
    """Rejected log rows per ``day`` (NULL: no readable timestamp) and ``reason``: ``rows``.

    Example:
        >>> health_rejected_days("./data").filter(pl.col("day").is_null())  # doctest: +SKIP
    """
    return _query(data_dir, "health_rejected_days")


def health_runs(data_dir: str | Path, limit: int = 50) -> pl.DataFrame:
    """The latest Dagster runs as of the publish, newest first, with ``duration_s``.

    Example:
        >>> health_runs("./data", 10).select("job_name", "status", "partition")  # doctest: +SKIP
    """
    return _query(data_dir, "health_runs", [int(limit)])


def health_checks(data_dir: str | Path) -> pl.DataFrame:
    """The latest result of each asset check and partition as of the publish, failures first.

    Example:
        >>> health_checks("./data").filter(~pl.col("passed"))  # doctest: +SKIP
    """
    return _query(data_dir, "health_checks")


def health_quarantined(data_dir: str | Path) -> pl.DataFrame:
    """Landing files quarantined whole, newest first: ``path``, ``reason``, ``detail``, ``format``,
    ``size``, ``sha256_prefix``, ``quarantined_at``; empty for a snapshot from before migration 012.

    Example:
        >>> health_quarantined("./data").select("path", "reason")  # doctest: +SKIP
    """
    with closing(open_snapshot(data_dir)) as con:
        if not con.execute("SELECT count(*) FROM schema_migrations WHERE version = 12").fetchall()[0][0]:
            return pl.DataFrame(schema={"path": pl.String, "reason": pl.String, "detail": pl.String})
        return read_frame(con, _sql("health_quarantined"))


def review_pairs(data_dir: str | Path) -> pl.DataFrame:
    """The review sample in queue order with each pair's request, context and both answers."""
    return _query(data_dir, "review_pairs")


def review_agreement(data_dir: str | Path) -> pl.DataFrame:
    """At most one row: the reviewers' kappa with its interval and the review's progress, as of the
    latest pipeline run."""
    return _query(data_dir, "review_agreement")
