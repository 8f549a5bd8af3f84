"""A landing file as a whole: the settings ingestion runs under, what happened to each file, the
day its undated records get, and the quarantine of a file that cannot be read."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from warehouse.ingestion.errors import LogInputError

log = logging.getLogger("planb.ingest")

# What reading a file can raise when its bytes are not what its name says (caught per file).
READ_ERRORS = (LogInputError, OSError, EOFError, pa.ArrowException, duckdb.Error, UnicodeError, ValueError)


@dataclass(frozen=True)
class IngestSettings:
    """What ingestion needs from the config (``scoring.config.IngestConfig`` and ``user_salt``).

    ``undated_day``: the day of records with no time field at all; None: the date in the file's
    name (``2026-11-02`` or ``20261102``), else the file's modification day (UTC), else today.
    """

    salt: str
    max_field_chars: int = 100_000
    raw_chars: int = 2_000
    context_turns: int = 6
    memory_limit: str = "2GB"
    earliest_day: date = date(2000, 1, 1)
    undated_day: date | None = None


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    sha256: str | None
    size: int
    format: str
    status: str  # ingested, already_ingested (see same_as), reformatted, reingested, quarantined
    same_as: str | None = None
    records: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)  # by reason
    duplicates: Counter = field(default_factory=Counter)  # request_id, session_query
    redacted: Counter = field(default_factory=Counter)  # email, card, ip, phone
    days: set[date] = field(default_factory=set)
    reason: str | None = None  # quarantined: why (quarantined_files.reason), and the reader's words
    detail: str | None = None
    mtime_ns: int | None = None
    replaces: str | None = None  # the sha256 this path had when last ingested, when its content changed
    compression: str | None = None  # of a small file, by its first bytes
    read_path: str | None = None  # where the file is read when ``path`` (as stored and shown) is redacted


_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


def undated_day(path: str, mtime_ns: int | None, settings: IngestSettings, today: date) -> date:
    """The day given to a file's records that have no time field at all (LMSYS-Chat-1M has none):
    ``ingest.undated_day`` (``--day``) when set, else a plausible date in the file's name, else
    its modification day (UTC), else ``today``.

    Example:
        >>> undated_day("exports/lmsys-2026-11-02.jsonl", None, IngestSettings(salt="s"), date(2026, 12, 1))
        datetime.date(2026, 11, 2)
    """
    if settings.undated_day:
        return settings.undated_day
    for match in _DATE_IN_NAME.finditer(path.rsplit("/", 1)[-1]):
        try:
            named = date(*map(int, match.groups()))
        except ValueError:
            continue
        if settings.earliest_day <= named <= today:
            return named
    if mtime_ns is not None:
        return datetime.fromtimestamp(mtime_ns / 1e9, UTC).date()
    return today


def quarantine_reason(err: BaseException) -> str:
    """The quarantined_files reason for what a reader raised.

    Example:
        >>> quarantine_reason(OSError("zlib inflate failed: incorrect header check"))
        'corrupt_compression'
    """
    text = str(err).lower()
    if any(word in text for word in ("gzip", "zlib", "zstd", "inflate", "decompress", "compressed", "lz4")):
        return "corrupt_compression"
    if "parquet" in text:
        return "not_parquet"
    if "csv" in text or "header" in text:
        return "not_csv"
    if "cannot look at" in text or "cannot list" in text or "cannot open" in text:
        return "unreadable"
    return "bad_file"


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:500] or type(err).__name__


def redacted(text: str) -> str:
    """``text`` with PII replaced as in stored records (``pii.redact_text``): a reader's message can
    quote the bytes it choked on (a CSV row, say), and it is stored and shown on the Data health page.

    Example:
        >>> redacted("row 3: alice@example.com,4111 1111 1111 1111")
        'row 3: [EMAIL],[CARD]'
    """
    from warehouse.ingestion.pii import redact_text

    return redact_text(text)


def quarantine(con, report: FileReport, err: BaseException | str, reason: str | None = None) -> FileReport:
    """Record a file that cannot be read as a whole in quarantined_files (once per version and
    reason), with ``reason`` or the one ``quarantine_reason`` finds in the error; returns the report.

    Example:
        >>> quarantine(con, FileReport("a.jsonl.gz", None, 10, "auto", "ingested"), OSError("gzip: bad"))  # doctest: +SKIP
    """
    report.status, report.reason = "quarantined", reason or quarantine_reason(Exception(str(err)))
    report.detail = redacted(err if isinstance(err, str) else _one_line(err))
    con.execute("INSERT INTO quarantined_files SELECT $path, $size, $sha, $fmt, $reason, $detail, "
                "now() AT TIME ZONE 'UTC' WHERE NOT EXISTS (SELECT 1 FROM quarantined_files WHERE path = $path "
                "AND sha256 IS NOT DISTINCT FROM $sha AND reason = $reason)",
                {"path": report.path, "size": report.size or None, "sha": report.sha256,
                 "fmt": None if report.format == "auto" else report.format, "reason": report.reason,
                 "detail": report.detail})
    log.warning("quarantined %s: %s (%s)", report.path, report.reason, report.detail)
    return report
