"""From any format's extracted fields (``formats.py``) to staged rows: accepted or rejected.

One SELECT checks numbers and sizes, parses the timestamp, names the first reason a record cannot
be accepted, and for accepted records strips the query and hashes the user id; rejected records
keep their raw text, user id hashed, truncated. Rows that may hold PII are flagged there and
redacted (``redact.py``) by a second, small SELECT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from warehouse.ingestion.formats import NUMBER_FIELDS, TEXT_FIELDS
from warehouse.ingestion.pii import MAYBE_PII, MAYBE_PII_ID

MAX_COUNT = 2**31 - 1
# Why a record is rejected, in the order they are checked; the first that applies is stored.
REASONS = ("invalid_utf8", "line_too_large", "invalid_json", "not_an_object", "unknown_role", "wrong_type",
           "bad_timestamp", "implausible_timestamp", "missing_request_id", "empty_query", "field_too_large",
           "broken_csv_row")  # the last: a CSV row's unterminated quote (readers.broken_rows), found before staging
SIZED_FIELDS = (*TEXT_FIELDS, "context")


@dataclass(frozen=True)
class Limits:
    """What a record must stay within: its text fields' length, and its time (UTC, naive): not
    before ``earliest`` nor after ``latest`` (the run's time; a day ahead allows for clock skew)."""

    max_field_chars: int
    earliest: datetime = datetime(2000, 1, 1)
    latest: datetime = datetime(9999, 1, 1)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _shown(field: str) -> str:
    """The offending value as shown in a reason's detail (quoted, long ones cut at about 80
    characters, but not inside a word or a run of digits and separators: the detail is redacted
    after this, and half a card or e-mail would not be found)."""
    return f"'\"' || regexp_extract({field}, {_sql_str(SHOWN)}) || '\"'"


# up to 80 characters, then on to the end of the word or number (at most 60 more)
SHOWN = r"^(?s:.{0,80})(?:[^\s]|\s[^\s]){0,30}"


def _bad_numbers() -> list[tuple[str, str]]:
    """(condition, detail) per number field; conditions read the parsed numbers n_<field>."""
    checks = []
    for f in ("prompt_tokens", "completion_tokens"):
        ok = f"coalesce(n_{f} = floor(n_{f}) AND n_{f} BETWEEN 0 AND {MAX_COUNT}, false)"
        checks.append((f"({f} IS NOT NULL AND NOT {ok})", f"'{f} must be a non-negative integer, got ' || {_shown(f)}"))
    checks.append(("(latency_ms IS NOT NULL AND NOT coalesce(isfinite(n_latency_ms), false))",
                   "'latency_ms must be a number, got ' || " + _shown("latency_ms")))
    return checks


# Epoch seconds (milliseconds past 1e11, as some gateways log them) or an ISO 8601 string; a
# string ending in Z skips the slower time-zone-aware parse that an offset needs.
# A record without any time field takes ``undated_ts``, its file's day (``stage.undated_day``).
_TS = """CASE
    WHEN timestamp IS NULL AND err IS NULL THEN undated_ts
    WHEN n_timestamp IS NOT NULL THEN CAST(try(to_timestamp(
        CASE WHEN abs(n_timestamp) >= 1e11 THEN n_timestamp / 1000 ELSE n_timestamp END)) AS TIMESTAMP)
    WHEN ends_with(timestamp, 'Z') THEN TRY_CAST(timestamp AS TIMESTAMP)
    ELSE CAST(TRY_CAST(timestamp AS TIMESTAMPTZ) AS TIMESTAMP) END"""


def _checks(limits: Limits) -> list[tuple[str, str, str]]:
    """(condition, reason, detail) in the order they are applied."""
    numbers = _bad_numbers()
    # strlen (bytes) >= length (characters): the cheap test first
    too_long = [(f"(strlen({f}) > {limits.max_field_chars} AND length({f}) > {limits.max_field_chars})",
                 (f"'{f} has ' || length({f}) || ' characters, over ingest.max_field_chars = "
                  f"{limits.max_field_chars}'")) for f in SIZED_FIELDS]
    return [
        ("err IS NOT NULL", "err", "err_detail"),
        (" OR ".join(c for c, _ in numbers), "'wrong_type'",
         "CASE " + " ".join(f"WHEN {c} THEN {d}" for c, d in numbers) + " END"),
        ("ts IS NULL OR NOT isfinite(ts)", "'bad_timestamp'",
         "CASE WHEN timestamp IS NULL THEN 'timestamp is missing' "
         "ELSE 'not a timestamp (ISO 8601 or epoch seconds): ' || " + _shown("timestamp") + " END"),
        (_implausible(limits), "'implausible_timestamp'",
         f"'timestamp ' || {_shown('timestamp')} || ' is outside {limits.earliest:%Y-%m-%d} (ingest.earliest_day) "
         f"to {limits.latest:%Y-%m-%d %H:%M} (the run, a day ahead); epoch numbers are seconds, or milliseconds "
         "from 1e11'"),
        (_blank("request_id"), "'missing_request_id'", "'request id is missing or empty'"),
        (_blank("query"), "'empty_query'", "'query is missing or empty'"),
        (" OR ".join(c for c, _ in too_long), "'field_too_large'",
         "CASE " + " ".join(f"WHEN {c} THEN {d}" for c, d in too_long) + " END"),
    ]


def _implausible(limits: Limits) -> str:
    """A timestamp before the earliest day or in the future: a unit mistake (microseconds read as
    milliseconds) or a placeholder year, never a real request, and never a partition."""
    return f"(ts < TIMESTAMP '{limits.earliest:%Y-%m-%d %H:%M:%S}' OR ts > TIMESTAMP '{limits.latest:%Y-%m-%d %H:%M:%S}')"


def _blank(field: str) -> str:
    """``trim(field) = ''`` without copying every value: only a value starting with a space can be
    all spaces (DuckDB's trim strips spaces)."""
    return f"({field} IS NULL OR {field} = '' OR (starts_with({field}, ' ') AND trim({field}) = ''))"


def _trimmed(field: str) -> str:
    """``trim(field)``, copying only the values that have spaces to strip."""
    return f"CASE WHEN starts_with({field}, ' ') OR ends_with({field}, ' ') THEN trim({field}) ELSE {field} END"


_USER_IN_TEXT = r'"(?:user_id|user|judge)"\s*:\s*"([^"\\]+)"'
STAGED_COLUMNS = ("source_line", "file_order", "reason", "detail", "raw", "day", "request_id", "ts", "session_id", "user_hash",
                  "surface", "mode", "language", "query", "response", "model", "prompt_tokens", "completion_tokens",
                  "latency_ms", "context", "pii", "id_key", "session_key")
REDACTED = ("query", "response", "context", "raw", "detail", "model", "surface", "mode", "language")
IDENTIFIERS = ("request_id", "session_id")  # redacted with a salted hash in the placeholder (pii.redact_text)
# the keys dedup compares (load.py): on the values as stored, so after redaction
_SESSION_KEY = "CASE WHEN reason IS NULL AND session_id IS NOT NULL THEN hash(session_id, ts, query) END"


def staged_sql(extracted: str, *, salt: str, limits: Limits) -> str:
    """A SELECT of staged rows from an extracted relation: chat_logs columns (less the file's),
    reason and detail (NULL when accepted), raw text (rejected rows), and the dedup keys
    ``id_key`` and ``session_key`` (hashes; accepted rows only).

    Texts that may hold PII are flagged (``pii``), with one regex pass each, and left as they are:
    ``stage._redact`` redacts the few flagged rows (``pii.py``) and gives them their keys again, so
    the other rows never pass through the detectors.

    Example:
        >>> "session_key" in staged_sql("SELECT 1", salt="s", limits=Limits(10))
        True
    """
    checks = _checks(limits)
    reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r, _ in checks) + " END"
    detail = "CASE " + " ".join(f"WHEN {c} THEN {d}" for c, _, d in checks) + " END"
    user_hash = f"sha256({_sql_str(salt + ':')} || user_id)"

    # a rejected record's raw text and detail name no user id; a line that is not valid JSON has
    # no fields, so its user id is looked for in the text
    found_user = f"coalesce(user_id, nullif(regexp_extract(raw, {_sql_str(_USER_IN_TEXT)}, 1), ''))"

    def hide_user(text: str) -> str:
        return (f"CASE WHEN length({found_user}) >= 3 THEN replace({text}, {found_user}, "
                f"sha256({_sql_str(salt + ':')} || {found_user})) ELSE {text} END")

    raw_text = hide_user("rtrim(raw, chr(13) || chr(10))")
    any_pii, id_pii = _sql_str(MAYBE_PII), _sql_str(MAYBE_PII_ID)
    labels = " OR ".join(f"coalesce(regexp_matches({c}, {any_pii}), false)"
                         for c in ("model", "surface", "mode", "language"))
    ids = " OR ".join(f"coalesce(regexp_matches({c}, {id_pii}), false)" for c in IDENTIFIERS)
    numbers = ", ".join(f"TRY_CAST({f} AS DOUBLE) AS n_{f}" for f in ("timestamp", *NUMBER_FIELDS))
    staged = f"""
    SELECT source_line, file_order, reason,
           CASE WHEN reason IS NOT NULL THEN {hide_user(detail)} END AS detail,
           CASE WHEN reason IS NOT NULL THEN {raw_text} END AS raw,
           CASE WHEN reason IS NULL OR (isfinite(ts) AND NOT {_implausible(limits)}) THEN CAST(ts AS DATE) END AS day,
           {_trimmed("request_id")} AS request_id, ts,
           session_id, CASE WHEN user_id IS NOT NULL THEN {user_hash} END AS user_hash, surface, mode, language,
           CASE WHEN reason IS NULL THEN {_trimmed("query")} END AS query,
           CASE WHEN reason IS NULL THEN response END AS response, model,
           -- rejected rows may hold any number (3e9, NaN): only accepted ones are checked to fit
           CASE WHEN reason IS NULL THEN CAST(n_prompt_tokens AS INTEGER) END AS prompt_tokens,
           CASE WHEN reason IS NULL THEN CAST(n_completion_tokens AS INTEGER) END AS completion_tokens,
           CASE WHEN reason IS NULL THEN n_latency_ms END AS latency_ms, CASE WHEN reason IS NULL THEN context END AS context,
           CASE WHEN reason IS NULL THEN regexp_matches(query, {any_pii})
                     OR coalesce(regexp_matches(response, {any_pii}), false)
                     OR coalesce(regexp_matches(context, {any_pii}), false) OR {labels} OR {ids}
                ELSE coalesce(regexp_matches(raw, {any_pii}), false)
                     OR coalesce(regexp_matches({detail}, {any_pii}), false) END AS pii
    FROM (SELECT *, {reason} AS reason
          FROM (SELECT *, {_TS} AS ts FROM (SELECT *, {numbers} FROM ({extracted}))))
    """
    return f"""
    SELECT *, CASE WHEN reason IS NULL THEN hash(request_id) END AS id_key,
           CASE WHEN NOT pii THEN {_SESSION_KEY} END AS session_key
    FROM ({staged})
    """
