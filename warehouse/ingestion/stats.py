"""What the warehouse holds of one day's ingestion: accepted rows and rejected records by reason."""

from __future__ import annotations

from datetime import date

import duckdb


def day_counts(con: duckdb.DuckDBPyConnection, day: date) -> tuple[int, dict[str, int]]:
    """(rows in chat_logs, {reason: rejected records}) of one UTC day.

    Example:
        >>> day_counts(con, date(2026, 11, 1))  # doctest: +SKIP
        (300, {'invalid_json': 1})
    """
    accepted = con.execute("SELECT count(*) FROM chat_logs WHERE day = ?", [day]).fetchone()[0]
    rejected = dict(con.execute("SELECT reason, count(*) FROM rejected_log_rows WHERE day = ? "
                                "GROUP BY reason ORDER BY reason", [day]).fetchall())
    return accepted, rejected


def registered_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Every UTC day some ingested file holds records of, in order."""
    return [row[0] for row in con.execute(
        "SELECT DISTINCT unnest(days) AS day FROM ingested_files ORDER BY day").fetchall()]


def ingested_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{path: sha256 of the bytes last ingested from it} of every ingested file."""
    return dict(con.execute("SELECT path, arg_max(sha256, ingested_at) FROM ingested_files GROUP BY path").fetchall())
