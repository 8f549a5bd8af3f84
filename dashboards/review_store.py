"""The Review page's link to the reviews store (warehouse.reviews): the one place the dashboard
writes, outside the read-only snapshot. Not cached: each rerun sees the verdicts and claims of
another reviewer a moment ago, so two reviewers in two browsers share one queue without being
shown the same pair."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from dashboards.view import View
from warehouse import reviews

# (verdict, button label, keyboard shortcut) in the order shown. "C" and "R" are Streamlit's own.
CHOICES = (("left_better", "Left better", "1"), ("right_better", "Right better", "2"),
           ("same", "About the same", "3"), ("cant_judge", "Can't judge", "4"))


def queue(view: View, pairs: pl.DataFrame, reviewer: str) -> pl.DataFrame:
    """The drawn pairs still wanting a verdict, in queue order: those ``reviewer`` has not reviewed
    whose reviewers are fewer than they want (2 for the double-assigned share)."""
    counts = reviews.reviewer_counts(view.directory)
    name = reviewer.strip()
    keep = [counts.get(r, (0, set()))[0] < wanted and name not in counts.get(r, (0, set()))[1]
            for r, wanted in zip(pairs["request_id"], pairs["reviewers_wanted"], strict=True)]
    return pairs.filter(pl.Series(keep, dtype=pl.Boolean))


def next_pair(view: View, pairs: pl.DataFrame, reviewer: str) -> dict | None:
    """The pair to show ``reviewer`` now, claimed for them, so another reviewer at the same time
    is shown another pair (warehouse.reviews.claim_next); None when nothing is left for them."""
    chosen = reviews.claim_next(view.directory, list(zip(pairs["request_id"], pairs["reviewers_wanted"], strict=True)),
                                reviewer)
    return None if chosen is None else pairs.filter(pl.col("request_id") == chosen).row(0, named=True)


def save(view: View, request_id: str, reviewer: str, verdict: str, small_side: str) -> datetime:
    """Store one verdict (committed and synced before this returns); returns its time."""
    at = reviews.utc_now()
    reviews.record(view.directory, reviews.Verdict(request_id, reviewer, verdict, small_side, at))
    return at


def reviewed_by(view: View, reviewer: str) -> int:
    """How many pairs ``reviewer`` has given a verdict on."""
    name = reviewer.strip()
    return sum(name in who for _, who in reviews.reviewer_counts(view.directory).values())
