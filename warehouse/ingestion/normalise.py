"""From any format's extracted fields (``formats.py``) to staged rows: accepted or rejected.

One SELECT checks numbers and sizes, parses the timestamp, names the first reason a record cannot
be accepted, and for accepted records strips the query, hashes the user id and redacts PII
(``redact.py``); rejected records keep their raw text, PII-redacted, user id hashed, truncated.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.ingestion.formats import NUMBER_FIELDS, TEXT_FIELDS
from warehouse.ingestion.redact import ANY_PII, KINDS, redact_select

MAX_COUNT = 2**31 - 1
# Why a record is rejected, in the order they are checked; the first that applies is stored.
REASONS = ("invalid_utf8", "invalid_json", "not_an_object", "unknown_role", "wrong_type",
           "bad_timestamp", "missing_request_id", "empty_query", "field_too_large")
SIZED_FIELDS = (*TEXT_FIELDS, "context")


@dataclass(frozen=True)
class Limits:
    max_field_chars: int


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _shown(field: str) -> str:
    """The offending value as shown in a reason's detail (quoted, long ones cut)."""
    return f"'\"' || left({field}, 80) || '\"'"


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
_TS = """CASE
    WHEN n_timestamp IS NOT NULL THEN CAST(try(to_timestamp(
        CASE WHEN abs(n_timestamp) >= 1e11 THEN n_timestamp / 1000 ELSE n_timestamp END)) AS TIMESTAMP)
    WHEN right(timestamp, 1) = 'Z' THEN TRY_CAST(timestamp AS TIMESTAMP)
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
        (" OR ".join(c for c, _ in numbers), "'wrong_type'", "CASE " + " ".join(f"WHEN {c} THEN {d}" for c, d in numbers) + " END"),
        ("ts IS NULL OR NOT isfinite(ts)", "'bad_timestamp'",
         "CASE WHEN timestamp IS NULL THEN 'timestamp is missing' "
         "ELSE 'not a timestamp (ISO 8601 or epoch seconds): ' || " + _shown("timestamp") + " END"),
        ("request_id IS NULL OR trim(request_id) = ''", "'missing_request_id'", "'request id is missing or empty'"),
        ("query IS NULL OR trim(query) = ''", "'empty_query'", "'query is missing or empty'"),
        (" OR ".join(c for c, _ in too_long), "'field_too_large'", "CASE " + " ".join(f"WHEN {c} THEN {d}" for c, d in too_long) + " END"),
    ]


def staged_sql(extracted: str, *, source_file: str, salt: str, limits: Limits) -> str:
    """A SELECT of staged rows from an extracted relation: chat_logs columns, reason and detail
    (NULL when accepted), raw text (rejected rows), redaction counts (0 until ``redact_staged``).

    Texts that may hold PII are flagged (``pii``) with one regex pass each; ``redact_staged``
    then redacts only the flagged rows, so the rest pay nothing more."""
    checks = _checks(limits)
    reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r, _ in checks) + " END"
    detail = "CASE " + " ".join(f"WHEN {c} THEN {d}" for c, _, d in checks) + " END"
    user_hash = f"sha256({_sql_str(salt + ':')} || user_id)"
    raw_text = (f"CASE WHEN user_id IS NOT NULL AND length(user_id) >= 3 "
                f"THEN replace(rtrim(raw, chr(13) || chr(10)), user_id, {user_hash}) ELSE rtrim(raw, chr(13) || chr(10)) END")
    any_pii = _sql_str(ANY_PII)
    numbers = ", ".join(f"TRY_CAST({f} AS DOUBLE) AS n_{f}" for f in ("timestamp", *NUMBER_FIELDS))
    return f"""
    SELECT {_sql_str(source_file)} AS source_file, source_line, reason,
           CASE WHEN reason IS NOT NULL THEN {detail} END AS detail,
           CASE WHEN reason IS NOT NULL THEN {raw_text} END AS raw,
           CASE WHEN isfinite(ts) THEN CAST(ts AS DATE) END AS day, trim(request_id) AS request_id, ts, session_id,
           CASE WHEN user_id IS NOT NULL THEN {user_hash} END AS user_hash, surface, mode, language,
           CASE WHEN reason IS NULL THEN trim(query) END AS query,
           CASE WHEN reason IS NULL THEN response END AS response, model,
           CAST(n_prompt_tokens AS INTEGER) AS prompt_tokens, CAST(n_completion_tokens AS INTEGER) AS completion_tokens,
           n_latency_ms AS latency_ms, CASE WHEN reason IS NULL THEN context END AS context,
           CASE WHEN reason IS NULL THEN regexp_matches(query, {any_pii})
                     OR coalesce(regexp_matches(response, {any_pii}), false)
                     OR coalesce(regexp_matches(context, {any_pii}), false)
                ELSE coalesce(regexp_matches(raw, {any_pii}), false) END AS pii,
           0 AS n_email, 0 AS n_card, 0 AS n_ip, 0 AS n_phone
    FROM (SELECT *, {reason} AS reason
          FROM (SELECT *, {_TS} AS ts FROM (SELECT *, {numbers} FROM ({extracted}))))
    """


def redact_staged(con, table: str) -> None:
    """Redact the flagged rows of a staged ``table`` in place, counting by kind."""
    rows = redact_select(f"(SELECT rowid AS rid, * FROM {table} WHERE pii)",
                         ["query", "response", "context", "raw"], ["rid"])
    con.execute(f"CREATE OR REPLACE TEMP TABLE redacted AS {rows}")
    sets = ", ".join(f"n_{k} = redacted.n_{k}" for k in KINDS)
    con.execute(f"""
        UPDATE {table} SET query = redacted.query, response = redacted.response, context = redacted.context,
               raw = redacted.raw, pii = false, {sets}
        FROM redacted WHERE {table}.rowid = redacted.rid""")
    con.execute("DROP TABLE redacted")
