"""Each supported log format as one DuckDB SELECT over a batch of raw records.

Every format's SELECT yields the same columns: where the record came from (``source_line``), its
raw text, a format-level error if it has one (``err``, ``err_detail``: invalid_utf8,
invalid_json, not_an_object, unknown_role, wrong_type), ``context``, and each field of the
normalised schema as text (NULL when missing or null). ``normalise.py`` then parses numbers and
timestamps, checks sizes and decides accept or reject, the same way for every format.

JSON-lines formats read a batch of numbered lines (``lines.py``) with one
``json_extract_string`` call per line and every path at once. Numbers may be JSON numbers or
numeric strings (gateways write both). A text field holding an object, an array or a boolean is a
wrong type; its value then starts with ``{``, ``[``, ``true`` or ``false``, and only such rare
rows pay for a second look at the JSON kind.
"""

from __future__ import annotations

TEXT_FIELDS = ("request_id", "session_id", "user_id", "surface", "mode", "language", "query",
               "response", "model")
NUMBER_FIELDS = ("prompt_tokens", "completion_tokens", "latency_ms")
FIELDS = ("timestamp", *TEXT_FIELDS, *NUMBER_FIELDS)
# Where exports keep a record's time, first found wins: ours, Chatbot Arena's "tstamp", then the
# names gateways, tracing tools and spreadsheets use.
TIME_FIELDS = ("timestamp", "tstamp", "created_at", "created", "time", "datetime", "date", "ts",
               "request_time", "start_time")
# Columns every format passes through from its batch: the line, the file of a batch of several
# (``file_order``) and the time given to records without one (``undated_ts``, ``stage.py``).
PASSED = "source_line, file_order, undated_ts"
ROLES = ("system", "developer", "user", "assistant", "tool", "function")

MACROS = """
CREATE OR REPLACE TEMP MACRO planb_not_text(j) AS json_type(j) NOT IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'NULL');
CREATE OR REPLACE TEMP MACRO planb_maybe_not_text(s) AS
    left(s, 1) IN ('{', '[') OR s IN ('true', 'false');
CREATE OR REPLACE TEMP MACRO planb_content(j) AS CASE
    WHEN json_type(j) = 'ARRAY' THEN array_to_string(json_extract_string(j, '$[*].text'), chr(10))
    ELSE j ->> '$' END;
"""


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Most lines start with their "{": the regex looks only at the others (CASE evaluates lazily).
_OBJECT = "(CASE WHEN starts_with(line, '{') THEN true ELSE regexp_matches(line, '^\\s*[{]') END)"


def _line_checks() -> str:
    """Format-level error of a JSON line (reason, detail); ``ok`` is json_valid(line)."""
    return (
        "CASE WHEN oversize IS NOT NULL THEN 'line_too_large' WHEN utf8_error IS NOT NULL THEN 'invalid_utf8' "
        f"WHEN NOT ok THEN 'invalid_json' WHEN NOT {_OBJECT} THEN 'not_an_object' END AS err, "
        "CASE WHEN oversize IS NOT NULL THEN oversize WHEN utf8_error IS NOT NULL THEN utf8_error "
        "WHEN NOT ok THEN 'not valid JSON' "
        f"WHEN NOT {_OBJECT} THEN 'expected a JSON object' END AS err_detail"
    )


# Blank lines are skipped (a regex finds the first non-space at once; trim() copies the line).
_LINES = (r"(SELECT *, oversize IS NULL AND utf8_error IS NULL AND json_valid(line) AS ok FROM {source} "
          r"WHERE starts_with(line, '{{') OR regexp_matches(line, '\S'))")


# A text field can only hold an object, an array or a boolean if the line has one after a colon:
# one regex pass over the line spares the per-field look at JSON kinds on almost every line.
_MAYBE_NOT_TEXT = r'":\s*(?:[\[{]|true|false)'


def _type_error(checks: list[tuple[str, str]]) -> str:
    """Detail naming the first text field (name, JSON path) holding an object, array or boolean."""
    if not checks:
        return "NULL::VARCHAR"
    names = "[" + ", ".join(_sql_str(n) for n, _ in checks) + "]"
    paths = "[" + ", ".join(_sql_str(p) for _, p in checks) + "]"
    at = (f"list_position(list_transform(json_type(line, {paths}), "
          "lambda t: t IN ('OBJECT', 'ARRAY', 'BOOLEAN')), true)")
    return (f"CASE WHEN ok AND regexp_matches(line, {_sql_str(_MAYBE_NOT_TEXT)}) AND {at} > 0 "
            f"THEN {names}[{at}] || ' must be a string or a number, got ' "
            f"|| left(json_extract(line, {paths}[{at}])::VARCHAR, 80) END")


_OUTPUT = f"{PASSED}, raw, context, err, err_detail, " + ", ".join(FIELDS)


def _first_time(refs: list[str]) -> str:
    return f"coalesce({', '.join(refs)})"


def flat_sql(source: str) -> str:
    """Flat records: one JSON object a line with the schema's field names."""
    others = [f for f in FIELDS if f != "timestamp"]
    paths = [f"$.{field}" for field in (*others, *TIME_FIELDS)]
    values = [f"s[{i}] AS {field}" for i, field in enumerate(others, start=1)]
    values.append(_first_time([f"s[{len(others) + k}]" for k in range(1, len(TIME_FIELDS) + 1)]) + " AS timestamp")
    checks = [(f, f"$.{f}") for f in FIELDS if f in TEXT_FIELDS]
    return f"""
    SELECT {_OUTPUT} FROM (
        SELECT {PASSED}, line AS raw, NULL::VARCHAR AS context,
               coalesce(err, CASE WHEN type_error IS NOT NULL THEN 'wrong_type' END) AS err,
               coalesce(err_detail, type_error) AS err_detail, * EXCLUDE (err, err_detail, {PASSED})
        FROM (SELECT {PASSED}, line, {_line_checks()}, {", ".join(values)}, {_type_error(checks)} AS type_error
              FROM (SELECT *, CASE WHEN ok THEN json_extract_string(line, {paths!r}) END AS s
                    FROM {_LINES.format(source=source)})))
    """


def _role_error(messages: str, what: str) -> str:
    """Detail naming the first message of ``messages`` (a list of JSON) with an unknown role."""
    roles = "[" + ", ".join(f"'{r}'" for r in ROLES) + "]"
    bad = f"list_filter({messages}, lambda m: NOT list_contains({roles}, coalesce((m ->> 'role'), '')))"
    return (f"CASE WHEN len({bad}) > 0 THEN '{what} has a message with role ' "
            f"|| coalesce((({bad})[1] ->> 'role'), 'missing') || ' (known: {', '.join(ROLES)})' END")


def _content_error(content: str, field: str) -> str:
    return (f"CASE WHEN {content} IS NOT NULL AND json_type({content}) NOT IN ('VARCHAR', 'ARRAY', 'NULL') "
            f"THEN '{field} must be a string or a list of text parts, got ' || left({content}::VARCHAR, 80) END")


def _context(messages: str, before: str, limit: int) -> str:
    """The up-to-``limit`` messages before index ``before`` (1-based), as a JSON list."""
    if limit <= 0:
        return "NULL::VARCHAR"
    start = f"greatest(1, {before} - {limit})"
    return (f"CASE WHEN {before} > 1 THEN to_json(list_transform({messages}[{start}:{before} - 1], "
            "lambda m: {'role': (m ->> 'role'), 'content': planb_content((m -> 'content'))}))::VARCHAR END")


def _errors(role_error: str, *type_errors: str) -> str:
    """err and err_detail: the line's own error, else an unknown role, else a wrong type."""
    details = (role_error, *type_errors)
    reasons = " ".join(f"WHEN {d} IS NOT NULL THEN '{'unknown_role' if k == 0 else 'wrong_type'}'"
                       for k, d in enumerate(details))
    return f"coalesce(err, CASE {reasons} END) AS err, coalesce(err_detail, {', '.join(details)}) AS err_detail"


QUERY_CONTENT = "(msgs[q_at] -> 'content')"


def openai_sql(source: str, *, context_turns: int) -> str:
    """OpenAI chat-completions logs: {"request": {model, messages, user}, "response": {id, created,
    model, choices, usage}} with optional "metadata" (session_id, surface, mode, language) and
    "latency_ms". The query is the last user message; the messages before it are its context."""
    paths = {
        "request_id": ["$.response.id", "$.request_id"],
        "timestamp": ["$.response.created", *(f"$.{t}" for t in TIME_FIELDS)],
        "session_id": ["$.metadata.session_id", "$.session_id"],
        "user_id": ["$.request.user", "$.metadata.user_id"],
        "surface": ["$.metadata.surface"],
        "mode": ["$.metadata.mode"],
        "language": ["$.metadata.language"],
        "model": ["$.response.model", "$.request.model"],
        "prompt_tokens": ["$.response.usage.prompt_tokens"],
        "completion_tokens": ["$.response.usage.completion_tokens"],
        "latency_ms": ["$.latency_ms", "$.metadata.latency_ms"],
    }
    flat, values, checks = [], {}, []
    for field, field_paths in paths.items():
        refs = []
        for path in field_paths:
            flat.append(path)
            refs.append(f"s[{len(flat)}]")
            if field in TEXT_FIELDS:
                checks.append((field, path))
        values[field] = f"coalesce({', '.join(refs)})"
    values["query"] = f"planb_content({QUERY_CONTENT})"
    values["response"] = "planb_content(answer)"
    columns = ", ".join(f"{values.get(f, 'NULL::VARCHAR')} AS {f}" for f in FIELDS)
    content_error = (f"coalesce({_content_error(QUERY_CONTENT, 'query')}, "
                     f"{_content_error('answer', 'response')})")
    errors = _errors(_role_error("msgs", "request.messages"), _type_error(checks), content_error)
    return f"""
    SELECT {_OUTPUT} FROM (
        SELECT {PASSED}, line AS raw, {_context('msgs', 'q_at', context_turns)} AS context, {errors},
               {columns}
        FROM (SELECT *, list_last(list_filter(range(1, coalesce(len(msgs), 0) + 1),
                                              lambda k: (msgs[k] ->> 'role') = 'user')) AS q_at
              FROM (SELECT *, {_line_checks()},
                           CASE WHEN ok THEN json_extract_string(line, {flat!r}) END AS s,
                           CASE WHEN ok AND json_type(line, '$.request.messages') = 'ARRAY'
                                THEN json_extract(line, '$.request.messages[*]') END AS msgs,
                           CASE WHEN ok THEN json_extract(line, '$.response.choices[0].message.content') END AS answer
                    FROM {_LINES.format(source=source)})))
    """


# (field, JSON path) of a conversation, in order of preference: LMSYS-Chat-1M, WildChat, Chatbot Arena
# (``question_id``, ``judge``, ``model_a``, ``conversation_a``, ``tstamp``), then generic names.
CONVERSATION_PATHS = (
    ("request_id", "$.conversation_id"), ("request_id", "$.conversation_hash"), ("request_id", "$.question_id"),
    ("user_id", "$.user_id"), ("user_id", "$.judge"), ("language", "$.language"),
    ("model", "$.model"), ("model", "$.model_a"), *(("timestamp", f"$.{t}") for t in TIME_FIELDS),
)


def conversation_sql(source: str, *, context_turns: int) -> str:
    """Conversation datasets shaped like LMSYS-Chat-1M, WildChat or Chatbot Arena: one request per
    user turn, id ``<conversation id>:<turn>``, answered by the assistant message that follows it
    (Arena: of ``conversation_a``, by ``model_a``); a turn's own time and language, when it has
    them, win over the conversation's."""
    paths = [p for _, p in CONVERSATION_PATHS]
    checks = [(f, p) for f, p in CONVERSATION_PATHS if f in TEXT_FIELDS]

    def first(field: str) -> str:
        return "coalesce(" + ", ".join(f"s[{i}]" for i, (f, _) in enumerate(CONVERSATION_PATHS, 1) if f == field) + ")"

    turn_time = ", ".join(f"(msgs[turn_at] ->> '{t}')" for t in TIME_FIELDS[:3])
    values = {
        "request_id": f"CASE WHEN turn IS NULL THEN {first('request_id')} ELSE {first('request_id')} || ':' || turn END",
        "timestamp": f"coalesce({turn_time}, {first('timestamp')})",
        "session_id": first("request_id"),
        "user_id": first("user_id"),
        "language": f"coalesce((msgs[turn_at] ->> 'language'), {first('language')})",
        "model": first("model"),
        "query": "planb_content((msgs[turn_at] -> 'content'))",
        "response": "CASE WHEN (msgs[turn_at + 1] ->> 'role') = 'assistant' "
                    "THEN planb_content((msgs[turn_at + 1] -> 'content')) END",
    }
    columns = ", ".join(f"{values.get(f, 'NULL::VARCHAR')} AS {f}" for f in FIELDS)
    content_error = ("list_first(list_filter(list_transform(coalesce(msgs, []), lambda m: "
                     + _content_error("(m -> 'content')", "message content") + "), lambda e: e IS NOT NULL))")
    return f"""
    SELECT {_OUTPUT} FROM (
        SELECT {PASSED}, line AS raw, {_context('msgs', 'turn_at', context_turns)} AS context, err, err_detail, {columns}
        FROM (
            -- a line with an error or without a user turn still gives one row, to be rejected
            SELECT *, unnest(CASE WHEN err IS NULL AND len(user_turns) > 0 THEN user_turns ELSE [NULL] END) AS turn_at,
                      unnest(CASE WHEN err IS NULL AND len(user_turns) > 0
                                  THEN range(1, len(user_turns) + 1) ELSE [NULL] END) AS turn
            FROM (
                SELECT * EXCLUDE (err, err_detail),
                       {_errors(_role_error('msgs', 'conversation'), _type_error(checks), content_error)},
                       list_filter(range(1, coalesce(len(msgs), 0) + 1), lambda k: (msgs[k] ->> 'role') = 'user') AS user_turns
                FROM (SELECT *, {_line_checks()},
                             CASE WHEN ok THEN json_extract_string(line, {paths!r}) END AS s,
                             CASE WHEN NOT ok THEN NULL
                                  WHEN json_type(line, '$.conversation') = 'ARRAY' THEN json_extract(line, '$.conversation[*]')
                                  WHEN json_type(line, '$.conversation_a') = 'ARRAY'
                                       THEN json_extract(line, '$.conversation_a[*]')
                                  END AS msgs
                      FROM {_LINES.format(source=source)}))))
    """


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tabular_sql(source: str, columns: dict[str, str]) -> str:
    """Flat records from CSV or Parquet batches. ``columns``: column name -> its kind in the batch:
    'bytes' (CSV cells, decoded here so that invalid UTF-8 rejects one row), 'string', 'number',
    'timestamp' or 'other' (nested values: a wrong type). An empty CSV cell is a missing value."""
    present = {name.lower(): name for name in columns}
    texts, decode_checks, other = {}, [], []
    for name, kind in columns.items():
        col = _quote(name)
        if kind == "bytes":
            texts[name] = f"nullif(try(decode({col})), '')"
            decode_checks.append(f"WHEN {col} IS NOT NULL AND try(decode({col})) IS NULL "
                                 f"THEN 'column {name} is not valid UTF-8'")
        elif kind == "timestamp":
            texts[name] = f"strftime({col}, '%Y-%m-%dT%H:%M:%S.%f')"
        elif kind == "other":
            texts[name] = f"CAST({col} AS VARCHAR)"
            if name.lower() in FIELDS:
                other.append(f"WHEN {col} IS NOT NULL THEN '{name.lower()} must be a string or a number, got ' "
                             f"|| left(CAST({col} AS VARCHAR), 80)")
        else:
            texts[name] = f"CAST({col} AS VARCHAR)"
    times = [texts[present[t]] for t in TIME_FIELDS if t in present]
    columns_sql = ", ".join((_first_time(times) if f == "timestamp" and times else
                             texts[present[f]] if f in present else "NULL::VARCHAR") + f" AS {f}" for f in FIELDS)
    utf8 = "CASE " + " ".join(decode_checks) + " END" if decode_checks else "NULL::VARCHAR"
    wrong = "CASE " + " ".join(other) + " END" if other else "NULL::VARCHAR"
    raw = "to_json({" + ", ".join(f"{_sql_str(n)}: {t}" for n, t in texts.items()) + "})::VARCHAR"
    return f"""
    SELECT {_OUTPUT} FROM (
        SELECT {PASSED}, {raw} AS raw, NULL::VARCHAR AS context,
               CASE WHEN utf8_error IS NOT NULL THEN 'invalid_utf8' WHEN type_error IS NOT NULL THEN 'wrong_type' END AS err,
               coalesce(utf8_error, type_error) AS err_detail, {columns_sql}
        FROM (SELECT *, {utf8} AS utf8_error, {wrong} AS type_error FROM {source}))
    """

