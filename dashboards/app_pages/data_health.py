"""Data health page: which days the snapshot holds and how far each got through the pipeline,
the log rows rejected and why, the files quarantined whole, the asset checks' latest results and
the latest Dagster runs.

Runs and checks come from the snapshot's ``pipeline_runs`` and ``asset_check_results``, copied
from the Dagster instance at publish time: the dashboard opens nothing but the snapshot. The
page needs no projection, so it works on a snapshot made before the first routing_projection.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data, health_figures
from dashboards.view import View, current_view, explain_missing, say_what_is_shown

RUNS_SHOWN = 50

# (column of health_days, label) of the per-day table, in pipeline order.
DAY_COLUMNS = [
    ("day", "Day"), ("logged_rows", "Logged rows"), ("rejected_rows", "Rejected rows"),
    ("sampled", "Sampled"), ("replayed_small", "Replayed (small)"), ("replayed_large", "Replayed (large)"),
    ("replay_errors", "Replay errors"), ("scored", "Scored (agreement)"),
]


def headline(days: pl.DataFrame, reasons: pl.DataFrame, checks: pl.DataFrame,
             quarantined: pl.DataFrame | None = None) -> dict[str, int]:
    """The counts the page opens on: days with logged rows, days in the range without, logged
    and rejected rows (rejected ones without a readable day included, and counted apart), files
    quarantined whole, failed checks (ERROR) and check warnings (WARN).

    Example:
        >>> from datetime import date
        >>> days = pl.DataFrame({"day": [date(2026, 11, 1), date(2026, 11, 2)], "logged_rows": [9, 0]})
        >>> reasons = pl.DataFrame({"reason": ["invalid_json"], "rows": [2], "rows_without_day": [2]})
        >>> checks = pl.DataFrame({"passed": [True, False], "severity": ["ERROR", "WARN"]})
        >>> counts = headline(days, reasons, checks)
        >>> counts["days_missing"], counts["rejected_without_day"], counts["check_warnings"]
        (1, 2, 1)
    """
    failed = checks.filter(~pl.col("passed"))
    present = int((days["logged_rows"] > 0).sum())
    return {
        "days_present": present,
        "days_missing": days.height - present,
        "logged_rows": int(days["logged_rows"].sum()),
        "rejected_rows": int(reasons["rows"].sum()),
        "rejected_without_day": int(reasons["rows_without_day"].sum()),
        "quarantined_files": 0 if quarantined is None else quarantined.height,
        "failed_checks": failed.filter(pl.col("severity") == "ERROR").height,
        "check_warnings": failed.filter(pl.col("severity") == "WARN").height,
    }


def check_table(checks: pl.DataFrame) -> pl.DataFrame:
    """The check results as shown: a Result column (failed, warning, passed) first.

    Example:
        >>> frame = pl.DataFrame({"asset": ["agreement"], "check_name": ["metrics_in_range"],
        ...     "partition": ["2026-11-01"], "passed": [False], "severity": ["WARN"], "blocking": [False],
        ...     "description": ["wide"], "run_id": ["r1"], "evaluated_at": [None]})
        >>> check_table(frame)["Result"].item()
        'warning'
    """
    result = (pl.when(pl.col("passed")).then(pl.lit("passed"))
              .when(pl.col("severity") == "WARN").then(pl.lit("warning")).otherwise(pl.lit("failed")))
    return checks.select(
        result.alias("Result"), pl.col("asset").alias("Asset"), pl.col("check_name").alias("Check"),
        pl.col("partition").alias("Partition"), pl.col("blocking").alias("Blocking"),
        pl.col("description").alias("Found"), pl.col("evaluated_at").alias("Evaluated (UTC)"),
        pl.col("run_id").alias("Run"),
    )


def quarantined_table(quarantined: pl.DataFrame) -> pl.DataFrame:
    """The quarantined files as shown: the file's name first, then why.

    Example:
        >>> frame = pl.DataFrame({"path": ["landing/a.jsonl.gz"], "reason": ["corrupt_compression"],
        ...     "detail": ["gzip: invalid header"], "format": ["flat"], "size": [10], "sha256_prefix": ["ab12"],
        ...     "quarantined_at": [None]})
        >>> quarantined_table(frame).columns[:3]
        ['File', 'Reason', 'What failed']
    """
    return quarantined.select(
        pl.col("path").alias("File"), pl.col("reason").alias("Reason"), pl.col("detail").alias("What failed"),
        pl.col("format").alias("Read as"), pl.col("size").alias("Bytes"), pl.col("sha256_prefix").alias("sha256"),
        pl.col("quarantined_at").alias("Quarantined (UTC)"),
    )


def run_table(runs: pl.DataFrame) -> pl.DataFrame:
    """The runs as shown, newest first, with readable column names.

    Example:
        >>> frame = pl.DataFrame({"run_id": ["r1"], "job_name": ["planb_daily"], "status": ["SUCCESS"],
        ...     "partition": ["2026-11-01"], "backfill_id": ["b1"], "launched_by": ["backfill"],
        ...     "created_at": [None], "started_at": [None], "ended_at": [None], "duration_s": [12.5]})
        >>> run_table(frame).columns[:3]
        ['Status', 'Job', 'Partition']
    """
    return runs.select(
        pl.col("status").alias("Status"), pl.col("job_name").alias("Job"), pl.col("partition").alias("Partition"),
        pl.col("started_at").alias("Started (UTC)"), pl.col("duration_s").round(1).alias("Seconds"),
        pl.col("launched_by").alias("Launched by"), pl.col("backfill_id").alias("Backfill"),
        pl.col("run_id").alias("Run"),
    )


def _metrics(counts: dict[str, int]) -> None:
    tiles = [
        ("Days present", f"{counts['days_present']:,}",
         f"{counts['days_missing']} missing in the range" if counts["days_missing"] else None),
        ("Logged rows", f"{counts['logged_rows']:,}", None),
        ("Rejected rows", f"{counts['rejected_rows']:,}",
         f"{counts['rejected_without_day']} without a readable day" if counts["rejected_without_day"] else None),
        ("Quarantined files", f"{counts['quarantined_files']:,}", None),
        ("Failed checks", f"{counts['failed_checks']:,}", None),
        ("Check warnings", f"{counts['check_warnings']:,}", None),
    ]
    for slot, (label, value, note) in zip(st.columns(len(tiles)), tiles, strict=True):
        with slot:
            st.metric(label, value, delta=note, delta_color="off", delta_arrow="off", border=True)


def render(view: View) -> None:
    st.title("Data health")
    if explain_missing(view, needs_projection=False):
        return
    say_what_is_shown(view, "the ingested logs, replays and pipeline runs",
                      "an imported set comes as one table of replayed pairs, with no logs, days or runs of its own.")
    days = data.health_days(view)
    reasons = data.health_rejected_reasons(view)
    checks = data.health_checks(view)
    runs = data.health_runs(view, RUNS_SHOWN)
    quarantined = data.health_quarantined(view)
    _metrics(headline(days, reasons, checks, quarantined))

    st.subheader("Partitions")
    if days.is_empty():
        st.info("The snapshot holds no log rows yet: ingest a day (`planb ingest` or `planb run`) and publish.")
    else:
        missing = days.filter(pl.col("logged_rows") == 0)["day"].to_list()
        st.caption(f"{days['day'].min()} to {days['day'].max()} (UTC days)"
                   + (f" · no logged rows on {', '.join(map(str, missing))}" if missing else ""))
        left, right = st.columns(2)
        with left:
            st.plotly_chart(health_figures.logged_and_rejected(days), key="health_rows")
        with right:
            st.plotly_chart(health_figures.stage_counts(days), key="health_stages")
        # Days as text: a table would show them as midnight timestamps.
        shown = days.with_columns(pl.col("day").cast(pl.String))
        st.dataframe(shown.select([pl.col(c).alias(label) for c, label in DAY_COLUMNS]), hide_index=True,
                     key="health_days")

    st.subheader("Rejected log rows")
    if reasons.is_empty():
        st.caption("No log row was rejected.")
    else:
        st.caption("Rows without a readable timestamp have no day, so they are not in the daily chart.")
        st.dataframe(reasons.rename({
            "reason": "Reason", "rows": "Rows", "days": "Days", "rows_without_day": "Without a day",
            "example_detail": "Example", "example_source": "Where (file:line)"}), hide_index=True,
            key="health_reasons")
        with st.expander("By day"):
            st.dataframe(data.health_rejected_days(view), hide_index=True, key="health_rejected_days")

    st.subheader("Quarantined files")
    if quarantined.is_empty():
        st.caption("No landing file was quarantined.")
    else:
        st.caption("Files that could not be read as a whole (corrupt or mislabelled compression, not Parquet, "
                   "a CSV without a header, a link loop, an unreachable bucket): nothing of them is stored, the "
                   "other files of the same call landed. Replace the file (new bytes) and it is ingested.")
        st.dataframe(quarantined_table(quarantined), hide_index=True, key="health_quarantined")

    st.subheader("Asset checks")
    if checks.is_empty():
        st.info("This snapshot holds no check results: it was published outside a Dagster run, or "
                "before any check ran.")
    else:
        st.caption("The latest result of each check and partition when the snapshot was published, failures "
                   "first. Checks on the published snapshot itself show the publish before.")
        st.dataframe(check_table(checks), hide_index=True, key="health_checks")

    st.subheader("Latest runs")
    if runs.is_empty():
        st.info("This snapshot holds no Dagster runs: it was published outside a Dagster run.")
    else:
        st.caption(f"The latest {RUNS_SHOWN} runs of the Dagster instance when the snapshot was published; "
                   "the publishing run shows as STARTED. The Dagster UI has the rest.")
        st.dataframe(run_table(runs), hide_index=True, key="health_runs")

    _review_agreement(view)


def review_agreement_text(row: dict) -> str:
    """The reviewers' agreement in one line: kappa with its 95% interval, or why there is none.

    Example:
        >>> review_agreement_text({"pairs": 40, "kappa": 0.5, "kappa_lo": 0.2, "kappa_hi": 0.75, "note": None,
        ...                        "same_preference": 0.8})
        "Cohen's kappa 0.50 [95% CI 0.20, 0.75] on 40 pairs judged by two reviewers; same preference on 80%"
    """
    if row["kappa"] is None:
        return f"Cohen's kappa: none yet ({row['note']})"
    interval = (f"[95% CI {row['kappa_lo']:.2f}, {row['kappa_hi']:.2f}]" if row["kappa_lo"] is not None
                else f"(no interval: {row['note']})")
    return (f"Cohen's kappa {row['kappa']:.2f} {interval} on {row['pairs']} pairs judged by two reviewers; "
            f"same preference on {row['same_preference']:.0%}")


def _review_agreement(view: View) -> None:
    st.subheader("Human review")
    agreement = data.review_agreement(view)
    if agreement.is_empty():
        st.caption("No review sample yet: the pipeline draws it (`review_sample`) and reads the reviews in.")
        return
    row = agreement.row(0, named=True)
    st.caption(f"As of the latest pipeline run ({row['computed_at']:%Y-%m-%d %H:%M} UTC): {row['reviewed']} of "
               f"{row['drawn']} drawn pairs reviewed; {row['double_assigned']} given to two reviewers, whose agreement "
               "(small answer at least as good, or not) is:")
    st.markdown(review_agreement_text(row))


if __name__ == "__main__":
    render(current_view())
