"""The reviews store: every verdict people give on the dashboard's Review page (or import), kept
durably outside the warehouse and its snapshot.

One SQLite file, ``reviews.sqlite`` in the data folder, in WAL mode with ``synchronous=FULL``:
each verdict is one committed transaction, on disk before the page says it is saved, so two
reviewers in two browsers, a server killed with ``kill -9`` mid-save, and a pipeline run reading
the store (WAL readers never block a writer) lose nothing. Not the DuckDB warehouse: its one
writer is held by pipeline steps for minutes, and the snapshot is read-only.

Rows are only ever added; a reviewer's latest verdict on a pair is the one that counts
(``scoring.review.labels``). Only ids, the verdict, the side the small answer was shown on, the
reviewer's name (typed by them) and the time are stored: never request or answer text.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

REVIEWS_FILE = "reviews.sqlite"
# What a reviewer can say: on the page, in the order shown (left / right), or, for labels made
# elsewhere that know which model answered, small_better / large_better directly.
VERDICTS = ("left_better", "right_better", "same", "cant_judge", "small_better", "large_better")
SIDED = ("left_better", "right_better")  # need the side the small answer was shown on
SIDES = ("left", "right")
COLUMNS = ("request_id", "reviewer", "verdict", "small_side", "reviewed_at", "source")
MAX_TEXT = 200  # an id or a name longer than this is not one (nothing else is stored)
BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another's commit (each takes milliseconds)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS verdicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ({", ".join(repr(v) for v in VERDICTS)})),
    small_side  TEXT CHECK (small_side IN ('left', 'right')),
    reviewed_at TEXT NOT NULL,          -- ISO 8601, UTC, no zone (as the warehouse's timestamps)
    source      TEXT NOT NULL,          -- dashboard, or import:<file name>
    UNIQUE (request_id, reviewer, reviewed_at, verdict)  -- a file imported twice adds nothing
);
-- Which pair each reviewer has on screen, so two reviewers at once are not shown the same pair
-- (unless it wants two). Losing these loses nothing: a claim only orders the queues.
CREATE TABLE IF NOT EXISTS claims (
    request_id TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (request_id, reviewer)
);
"""
CLAIM_S = 600  # a pair shown to a reviewer is held for them this long (refreshed on each rerun)
VERDICT_SCHEMA = {"request_id": pl.String, "reviewer": pl.String, "verdict": pl.String, "small_side": pl.String,
                  "reviewed_at": pl.Datetime("us"), "source": pl.String}


class ReviewInputError(ValueError):
    """A verdict or an imported file that cannot be stored; the message is one line."""


def reviews_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / REVIEWS_FILE


@contextmanager
def connect(data_dir: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection to the store (created on first use) in WAL mode, every commit synced."""
    path = reviews_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit transactions; each write below opens and commits its own.
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)) as con:
        _wal(con)
        con.execute("PRAGMA synchronous=FULL")  # WAL's default (NORMAL) may lose the last commits on power loss
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        con.executescript(_SCHEMA)
        yield con


def _wal(con: sqlite3.Connection) -> None:
    """WAL mode, retried while another process holds the file: switching a new file's journal
    mode can fail at once with "database is locked" without waiting the busy timeout (two writer
    processes starting together on a loaded machine did)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Verdict:
    request_id: str
    reviewer: str
    verdict: str
    small_side: str | None
    reviewed_at: datetime
    source: str = "dashboard"


def checked(verdict: Verdict) -> Verdict:
    """``verdict`` if it can be stored, else a one-line ReviewInputError naming the field and value."""
    for name in ("request_id", "reviewer"):
        value = getattr(verdict, name)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise ReviewInputError(f"column {name}: {value!r} is not a non-empty text of at most {MAX_TEXT} characters")
    if verdict.verdict not in VERDICTS:
        raise ReviewInputError(f"column verdict: {verdict.verdict!r} is not one of {', '.join(VERDICTS)}")
    if verdict.small_side not in (*SIDES, None) or (verdict.verdict in SIDED and verdict.small_side is None):
        shown = "empty" if verdict.small_side is None else repr(verdict.small_side)
        raise ReviewInputError(f"column small_side: {shown} is not left or right"
                               + (f" (verdict {verdict.verdict} needs it)" if verdict.verdict in SIDED else ""))
    if not isinstance(verdict.reviewed_at, datetime):
        raise ReviewInputError(f"column reviewed_at: {verdict.reviewed_at!r} is not a time")
    return verdict


def _row(v: Verdict) -> tuple:
    at = v.reviewed_at.astimezone(UTC).replace(tzinfo=None) if v.reviewed_at.tzinfo else v.reviewed_at
    return (v.request_id.strip(), v.reviewer.strip(), v.verdict, v.small_side, at.isoformat(timespec="microseconds"),
            v.source)


def record(data_dir: str | Path, verdict: Verdict) -> None:
    """Store one verdict in its own committed (and synced) transaction: once this returns, it survives."""
    row = _row(checked(verdict))
    with connect(data_dir) as con:
        con.execute("BEGIN IMMEDIATE")
        con.execute(f"INSERT OR IGNORE INTO verdicts ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", row)
        con.execute("DELETE FROM claims WHERE request_id = ? AND reviewer = ?", row[:2])
        con.execute("COMMIT")


def claim_next(data_dir: str | Path, candidates: list[tuple[str, int]], reviewer: str) -> str | None:
    """The pair to show ``reviewer`` of ``candidates`` ((request_id, reviewers wanted), in queue
    order), claimed for them: the one they already hold, else the first they have not reviewed
    whose verdicts plus other reviewers' live claims are fewer than it wants; None when none is.
    One transaction, so two reviewers asking at once get different pairs."""
    name = reviewer.strip()
    with connect(data_dir) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            now = utc_now()
            cutoff = now - timedelta(seconds=CLAIM_S)
            done: dict[str, set[str]] = {}
            for request_id, who in con.execute("SELECT DISTINCT request_id, reviewer FROM verdicts"):
                done.setdefault(request_id, set()).add(who)
            held: dict[str, set[str]] = {}
            for request_id, who in con.execute("SELECT request_id, reviewer FROM claims WHERE claimed_at > ?",
                                               [cutoff.isoformat(timespec="microseconds")]):
                held.setdefault(request_id, set()).add(who)
            open_to_me = [r for r, _ in candidates if name not in done.get(r, set())]
            chosen = next((r for r in open_to_me if name in held.get(r, set())), None)
            if chosen is None:
                wanted = dict(candidates)
                chosen = next((r for r in open_to_me if len(done.get(r, set()))
                               + len(held.get(r, set()) - {name} - done.get(r, set())) < wanted[r]), None)
            if chosen is not None:
                con.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)",
                            [chosen, name, now.isoformat(timespec="microseconds")])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    return chosen


def add_many(data_dir: str | Path, verdicts: Iterable[Verdict]) -> tuple[int, int]:
    """Store checked verdicts in one transaction (an import lands whole or not at all); returns
    (added, already there)."""
    rows = [_row(checked(v)) for v in verdicts]
    with connect(data_dir) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            before = con.total_changes
            con.executemany(f"INSERT OR IGNORE INTO verdicts ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", rows)
            added = con.total_changes - before
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    return added, len(rows) - added


def read_all(data_dir: str | Path) -> pl.DataFrame:
    """Every stored verdict, oldest first, in VERDICT_SCHEMA (empty when there is no store yet)."""
    if not reviews_path(data_dir).exists():
        return pl.DataFrame(schema=VERDICT_SCHEMA)
    with connect(data_dir) as con:
        rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM verdicts ORDER BY reviewed_at, id").fetchall()
    frame = pl.DataFrame(rows, schema={**VERDICT_SCHEMA, "reviewed_at": pl.String}, orient="row")
    return frame.with_columns(pl.col("reviewed_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us"))


def reviewer_counts(data_dir: str | Path) -> dict[str, tuple[int, set[str]]]:
    """Per reviewed pair: (how many reviewers, who) - what the Review page's queue skips."""
    if not reviews_path(data_dir).exists():
        return {}
    with connect(data_dir) as con:
        rows = con.execute("SELECT request_id, reviewer FROM verdicts GROUP BY request_id, reviewer").fetchall()
    found: dict[str, set[str]] = {}
    for request_id, reviewer in rows:
        found.setdefault(request_id, set()).add(reviewer)
    return {r: (len(who), who) for r, who in found.items()}


REQUIRED = ("request_id", "reviewer", "verdict", "reviewed_at")
# The page's own words, as a spreadsheet would hold them.
ALIASES = {"left": "left_better", "right": "right_better", "about_the_same": "same", "tie": "same",
           "cannot_judge": "cant_judge", "small": "small_better", "large": "large_better"}


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def from_table(table: pl.DataFrame, source: str) -> tuple[list[Verdict], list[str]]:
    """The verdicts of an imported table (columns REQUIRED, optionally small_side; others, such as
    a labelling tool's text, are ignored and never stored) and one line per row refused, naming
    its row (1 = the first data row), column and value. A missing column refuses the whole table."""
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ReviewInputError(f"column {missing[0]} missing (the file has {', '.join(table.columns) or 'no columns'}; "
                               f"needs {', '.join(REQUIRED)}, and small_side for left_better / right_better)")
    good, errors = [], []
    has_side = "small_side" in table.columns
    for number, row in enumerate(table.iter_rows(named=True), start=1):
        text = {c: row[c].strip() if isinstance(row[c], str) else row[c] for c in REQUIRED}
        side = row["small_side"] if has_side else None
        side = (side.strip().lower() or None) if isinstance(side, str) else side
        verdict = text["verdict"]
        if isinstance(verdict, str):
            key = verdict.lower().replace("'", "").replace(" ", "_")
            verdict = ALIASES.get(key, key)
            if verdict not in VERDICTS:
                errors.append(f"row {number}, column verdict: {text['verdict']!r} is not one of {', '.join(VERDICTS)}")
                continue
        at = _time(row["reviewed_at"])
        if at is None:
            errors.append(f"row {number}, column reviewed_at: {row['reviewed_at']!r} is not an ISO 8601 time")
            continue
        try:
            good.append(checked(Verdict(text["request_id"], text["reviewer"], verdict, side, at, f"import:{source}")))
        except ReviewInputError as err:
            errors.append(f"row {number}, {err}")
    return good, errors


def to_table(data_dir: str | Path) -> pl.DataFrame:
    """Every stored verdict as an exportable table (COLUMNS, reviewed_at as ISO text, UTC)."""
    return read_all(data_dir).with_columns(pl.col("reviewed_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
