"""`planb sql "SELECT ..."`: one read-only statement on the published snapshot, printed as a
table, CSV or JSON (warehouse/db.py refuses anything that is not a read).

    planb sql "SELECT count(*) FROM chat_logs" --format csv

Bounded (config section ``sql``, or the flags, which win):

- CSV and JSON are streamed: rows are written as DuckDB yields them, in batches, so a result of
  any size is written in little memory.
- The table shows at most ``max_table_rows`` rows (--max-rows) and then says how many it left
  out and how to get them.
- The statement is interrupted after ``time_limit_s`` seconds (--time-limit; 0: none), and
  DuckDB may use ``memory_limit`` of memory (--memory-limit), spilling nothing to disk; either
  stops it with one line that names the limit and how to raise it.

It loads only the config file (not its validation) and DuckDB, so it answers in a fraction of a
second.
"""

from __future__ import annotations

import argparse
import re
import sys

# The defaults of the config's `sql` section (scoring.config.SqlConfig holds the same values; a
# test keeps them equal): this command does not load the validated config, to start fast.
MAX_TABLE_ROWS = 10_000
TIME_LIMIT_S = 300.0
MEMORY_LIMIT = "2GB"
MEMORY_PATTERN = r"\d+(\.\d+)?\s*[KMGT]i?B"  # as ingest.memory_limit: 500MB, 2GB, 1.5GiB
BATCH_ROWS = 10_000  # rows fetched from DuckDB at a time when streaming CSV or JSON
_NUMBER_TYPE = re.compile(r"u?(tiny|small|big|huge)?int(eger|\d+)?|double|float|real|decimal\(\d+,\s*\d+\)")
FLAGS = {"max_table_rows": "--max-rows", "time_limit_s": "--time-limit", "memory_limit": "--memory-limit"}


def add_parser(sub) -> None:
    sql = sub.add_parser("sql", help="read-only SQL on the published snapshot")
    sql.add_argument("query")
    sql.add_argument("--format", choices=list(WRITERS), default="table")
    sql.add_argument("--max-rows", type=int, metavar="N",
                     help=f"table format: rows shown (default sql.max_table_rows, {MAX_TABLE_ROWS:,})")
    sql.add_argument("--time-limit", type=float, metavar="SECONDS",
                     help=f"stop the query after this many seconds; 0: no limit (default sql.time_limit_s, "
                     f"{TIME_LIMIT_S:g})")
    sql.add_argument("--memory-limit", metavar="SIZE",
                     help=f"DuckDB's memory for the query, e.g. 4GB (default sql.memory_limit, {MEMORY_LIMIT})")
    sql.set_defaults(func=cmd_sql)


def cmd_sql(args: argparse.Namespace) -> None:
    from scoring.config_file import data_dir
    from warehouse.db import SnapshotMemoryLimitError, SnapshotQueryError, SnapshotTimeLimitError, query_snapshot

    limits = sql_limits(args)
    writer = WRITERS[args.format]
    try:  # one read-only statement on the snapshot; anything else is refused (warehouse/db.py)
        query_snapshot(data_dir(args.config, args.data_dir), args.query,
                       lambda con, sql: writer(con, sql, limits["max_table_rows"]),
                       time_limit_s=limits["time_limit_s"] or None, memory_limit=limits["memory_limit"])
    except SnapshotTimeLimitError as err:
        raise SystemExit(f"planb sql: {err} (--time-limit SECONDS or sql.time_limit_s in the config; "
                         "0 for none)") from None
    except SnapshotMemoryLimitError as err:
        raise SystemExit(f"planb sql: {err} (--memory-limit SIZE or sql.memory_limit in the config)") from None
    except SnapshotQueryError as err:
        raise SystemExit(f"planb sql: {err}") from None
    except BrokenPipeError:  # `planb sql ... | head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more for the closed pipe
        raise SystemExit(0) from None


def sql_limits(args: argparse.Namespace) -> dict:
    """max_table_rows, time_limit_s and memory_limit: the flag, else the config's ``sql``
    section, else the default; each checked (ConfigError, one line, naming the setting)."""
    from scoring.config_file import ConfigError, read_config

    raw, source = read_config(args.config, {})
    section = raw.get("sql") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: sql: must be a mapping of settings")
    unknown = sorted(set(section) - {"max_table_rows", "time_limit_s", "memory_limit"})
    if unknown:
        raise ConfigError(f"{source}: sql.{unknown[0]}: unknown key")
    given = {"max_table_rows": args.max_rows, "time_limit_s": args.time_limit, "memory_limit": args.memory_limit}
    defaults = {"max_table_rows": MAX_TABLE_ROWS, "time_limit_s": TIME_LIMIT_S, "memory_limit": MEMORY_LIMIT}
    values = {key: given[key] if given[key] is not None else section.get(key, default) for key, default in defaults.items()}
    wheres = {key: FLAGS[key] if given[key] is not None else f"{source}: sql.{key}" for key in values}
    rows, seconds, memory = values["max_table_rows"], values["time_limit_s"], values["memory_limit"]
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ConfigError(f"{wheres['max_table_rows']}: a whole number of rows >= 1 is meant")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < float("inf"):
        raise ConfigError(f"{wheres['time_limit_s']}: a number of seconds >= 0 is meant (0: no limit)")
    if not isinstance(memory, str) or not re.fullmatch(MEMORY_PATTERN, memory.strip()):
        raise ConfigError(f"{wheres['memory_limit']}: a size such as 500MB, 2GB or 1.5GiB is meant")
    return {"max_table_rows": rows, "time_limit_s": float(seconds), "memory_limit": memory.strip()}


def _table(con, sql: str, max_rows: int) -> None:
    """At most ``max_rows`` rows drawn as a table, from one execution that stops reading after
    them; when there are more, how many (counted by DuckDB, a second execution) and how to get
    them."""
    import duckdb

    result = con.execute(sql)
    rows = result.fetchmany(max_rows + 1)
    names = [column[0] for column in result.description]
    types = [str(column[1]).lower() for column in result.description]
    if names == ["explain_key", "explain_value"]:  # EXPLAIN [ANALYZE]: the plans as drawn, not in cells
        print("\n".join(f"{key}:\n{value}" for key, value in rows[:max_rows]))
    else:
        print(_box(names, types, rows[:max_rows]))
    if len(rows) <= max_rows:
        return
    result.abort()  # the rest is counted, not fetched
    try:
        total = con.sql(sql).aggregate("count(*)").fetchall()[0][0]
        counted = f"{total:,} rows in all: the first {max_rows:,} shown, {total - max_rows:,} left out"
    except duckdb.InterruptException:  # the time limit, while counting
        counted = f"more than {max_rows:,} rows (not all counted within the time limit): the first {max_rows:,} shown"
    print(f"({counted}; all of them with --format csv or --format json, more here with --max-rows N, "
          "or fewer with WHERE or LIMIT ... OFFSET)")


def _box(names: list[str], types: list[str], rows: list[tuple], *, max_cell: int = 80) -> str:
    """``rows`` under their column names and types in a box, as DuckDB draws one: numbers to the
    right, other values to the left, NULL for a missing value, a cell cut at ``max_cell``
    characters (display width: a wide character counts twice).

    Example:
        >>> print(_box(["n", "word"], ["integer", "varchar"], [(1, "a"), (None, "bb")]))
        ┌─────────┬─────────┐
        │    n    │  word   │
        │ integer │ varchar │
        ├─────────┼─────────┤
        │       1 │ a       │
        │    NULL │ bb      │
        └─────────┴─────────┘
    """
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
                   for c in text)

    def shown(value: object) -> str:
        text = "NULL" if value is None else str(value).replace("\n", "\\n").replace("\r", "\\r")
        if width(text) <= max_cell:
            return text
        while width(text) > max_cell - 1:
            text = text[:-1]
        return text + "…"

    cells = [[shown(value) for value in row] for row in rows]
    numeric = [bool(_NUMBER_TYPE.fullmatch(kind)) for kind in types]
    sizes = [max([width(names[i]), width(types[i]), *(width(row[i]) for row in cells)]) for i in range(len(names))]

    def line(left: str, middle: str, right: str) -> str:
        return left + middle.join("─" * (size + 2) for size in sizes) + right

    def padded(text: str, size: int, how: str) -> str:
        room = size - width(text)
        before = room if how == "right" else room // 2 if how == "center" else 0
        return " " * before + text + " " * (room - before)

    def row_line(values: list[str], hows: list[str]) -> str:
        return "│" + "│".join(f" {padded(v, size, how)} " for v, size, how in zip(values, sizes, hows, strict=True)) + "│"

    center = ["center"] * len(names)
    body = [row_line(row, ["right" if n else "left" for n in numeric]) for row in cells]
    return "\n".join([line("┌", "┬", "┐"), row_line([shown(n) for n in names], center), row_line(types, center),
                      line("├", "┼", "┤"), *body, line("└", "┴", "┘")])


def _csv(con, sql: str, _max_rows: int) -> None:
    """Every row, streamed: DuckDB's result is read BATCH_ROWS rows at a time."""
    import csv

    result = con.execute(sql)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([column[0] for column in result.description])
    while rows := result.fetchmany(BATCH_ROWS):
        out.writerows(rows)


def _json(con, sql: str, _max_rows: int) -> None:
    """One JSON array of one object per row, streamed; dates, times and decimals as their text."""
    import json

    result = con.execute(sql)
    columns = [column[0] for column in result.description]
    separator = ""
    sys.stdout.write("[")
    while rows := result.fetchmany(BATCH_ROWS):
        batch = json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str, ensure_ascii=False)
        sys.stdout.write(separator + batch[1:-1])  # the batch's objects, without its brackets
        separator = ", "
    sys.stdout.write("]\n")


WRITERS = {"table": _table, "csv": _csv, "json": _json}
