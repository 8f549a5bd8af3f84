"""Log ingestion: flat JSONL search-chat records into the normalised ``chat_logs`` schema.

Every line is accounted for: it becomes a ``chat_logs`` row, or a ``rejected_log_rows`` row with
its file, line, reason and raw text. A bad line never stops the good ones around it.
User ids are stored only as a salted sha256; duplicate request ids keep their first record.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl

LOG_SUFFIXES = (".jsonl", ".json", ".ndjson")
RAW_LIMIT = 2000
MAX_COUNT = 2**31 - 1
_STRING_FIELDS = ("session_id", "surface", "mode", "language", "response", "model")
_INT_FIELDS = ("prompt_tokens", "completion_tokens")
CHAT_LOG_SCHEMA = {
    "day": pl.Date, "request_id": pl.String, "ts": pl.Datetime("us"), "session_id": pl.String,
    "user_hash": pl.String, "surface": pl.String, "mode": pl.String, "language": pl.String,
    "query": pl.String, "response": pl.String, "model": pl.String, "prompt_tokens": pl.Int32,
    "completion_tokens": pl.Int32, "latency_ms": pl.Float64, "source_file": pl.String,
    "source_line": pl.Int32,
}
REJECTED_SCHEMA = {
    "day": pl.Date, "source_file": pl.String, "source_line": pl.Int32, "reason": pl.String,
    "detail": pl.String, "raw": pl.String,
}


class LogInputError(ValueError):
    """The log input as a whole cannot be read (missing folder, no files, an empty file)."""


class _Rejected(Exception):
    def __init__(self, reason: str, detail: str, day: date | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.day = reason, detail, day


@dataclass
class ParsedLog:
    accepted: pl.DataFrame
    rejected: pl.DataFrame
    duplicates: int


def log_files(landing: str | Path) -> list[Path]:
    """The log files of a landing folder (or the one file named), sorted; errors if none.

    Example:
        >>> log_files("warehouse/sample_log")[0].name
        'search_chat_sample.jsonl'
    """
    landing = Path(landing)
    if landing.is_file():
        files = [landing]
    elif landing.is_dir():
        files = sorted(p for p in landing.iterdir() if p.suffix in LOG_SUFFIXES and p.is_file())
    else:
        raise LogInputError(f"log path {landing} does not exist: set landing_dir in the config")
    if not files:
        raise LogInputError(f"no log files ({', '.join(LOG_SUFFIXES)}) in {landing}")
    for path in files:
        if path.stat().st_size == 0:
            raise LogInputError(f"log file {path} is empty: remove it or point landing_dir elsewhere")
    return files


def parse_timestamp(value: object) -> datetime:
    """An ISO 8601 string or epoch seconds, as a naive UTC datetime.

    Example:
        >>> parse_timestamp("2026-11-01T08:00:00Z")
        datetime.datetime(2026, 11, 1, 8, 0)
    """
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        parsed = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _text(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _Rejected("wrong_type", f"{key} must be a string, got {type(value).__name__}")


def _count(record: dict, key: str) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    # json accepts NaN and Infinity; the column is INTEGER (32-bit)
    valid = (
        isinstance(value, (int, float)) and not isinstance(value, bool)
        and math.isfinite(value) and 0 <= value <= MAX_COUNT and value == int(value)
    )
    if not valid:
        raise _Rejected("wrong_type", f"{key} must be a non-negative integer, got {value!r}")
    return int(value)


def normalise_record(record: object, *, salt: str) -> dict:
    """One flat log record as a chat_logs row (without source columns); raises on a bad one."""
    if not isinstance(record, dict):
        raise _Rejected("not_an_object", f"expected a JSON object, got {type(record).__name__}")
    try:
        ts = parse_timestamp(record.get("timestamp"))
    except (ValueError, OverflowError, OSError) as err:
        raise _Rejected("bad_timestamp", str(err)) from None
    day = ts.date()
    try:
        request_id = _text(record, "request_id")
        if not request_id:
            raise _Rejected("missing_request_id", "request_id is missing or empty")
        query = _text(record, "query")
        if not query or not query.strip():
            raise _Rejected("empty_query", "query is missing or empty")
        user = _text(record, "user_id")
        latency = record.get("latency_ms")
        if latency is not None and (
            isinstance(latency, bool) or not isinstance(latency, (int, float)) or not math.isfinite(latency)
        ):
            raise _Rejected("wrong_type", f"latency_ms must be a number, got {latency!r}")
        row = {
            "day": day, "request_id": request_id, "ts": ts, "query": query.strip(),
            "user_hash": hashlib.sha256(f"{salt}:{user}".encode()).hexdigest() if user else None,
            "latency_ms": float(latency) if latency is not None else None,
        }
        row.update({k: _text(record, k) for k in _STRING_FIELDS})
        row.update({k: _count(record, k) for k in _INT_FIELDS})
    except _Rejected as rejected:
        rejected.day = day
        raise
    return row


def _quarantined_text(raw: bytes, record: object, salt: str) -> str:
    """The rejected record as stored: truncated, and with the user id hashed when readable."""
    if isinstance(record, dict) and isinstance(record.get("user_id"), str):
        user_hash = hashlib.sha256(f"{salt}:{record['user_id']}".encode()).hexdigest()
        text = json.dumps({**record, "user_id": user_hash}, ensure_ascii=False)
    else:
        text = raw.decode("utf-8", errors="replace").rstrip("\n")
    return text[:RAW_LIMIT]


def parse_log_file(path: Path, *, salt: str) -> ParsedLog:
    """Parse one JSONL file; every line ends up accepted or rejected with its reason."""
    accepted, rejected = [], []
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            record = None
            try:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise _Rejected("invalid_utf8", str(err)) from None
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as err:
                    raise _Rejected("invalid_json", str(err)) from None
                row = normalise_record(record, salt=salt)
            except _Rejected as bad:
                rejected.append({
                    "day": bad.day, "source_file": str(path), "source_line": line_no,
                    "reason": bad.reason, "detail": bad.detail, "raw": _quarantined_text(raw, record, salt),
                })
                continue
            accepted.append({**row, "source_file": str(path), "source_line": line_no})
    frame = pl.DataFrame(accepted, schema=CHAT_LOG_SCHEMA)
    unique = frame.unique(subset="request_id", keep="first", maintain_order=True)
    return ParsedLog(unique, pl.DataFrame(rejected, schema=REJECTED_SCHEMA), frame.height - unique.height)


def parse_logs(files: list[Path], *, salt: str) -> ParsedLog:
    """All files together; a request id seen in an earlier file wins over a later one."""
    parts = [parse_log_file(p, salt=salt) for p in files]
    frame = pl.concat([p.accepted for p in parts])
    unique = frame.unique(subset="request_id", keep="first", maintain_order=True)
    return ParsedLog(
        unique,
        pl.concat([p.rejected for p in parts]),
        sum(p.duplicates for p in parts) + frame.height - unique.height,
    )
