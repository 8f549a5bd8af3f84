"""`planb sql "SELECT ..."`: one read-only statement on the published snapshot, printed as a
table, CSV or JSON (warehouse/db.py refuses anything that is not a read).

    planb sql "SELECT count(*) FROM chat_logs" --format csv

It loads only the config file (not its validation) and DuckDB, which renders the table itself,
so it answers in a fraction of a second.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    sql = sub.add_parser("sql", help="read-only SQL on the published snapshot")
    sql.add_argument("query")
    sql.add_argument("--format", choices=list(WRITERS), default="table")
    sql.set_defaults(func=cmd_sql)


def cmd_sql(args: argparse.Namespace) -> None:
    from scoring.config_file import data_dir
    from warehouse.db import SnapshotQueryError, query_snapshot

    try:  # one read-only statement on the snapshot; anything else is refused (warehouse/db.py)
        query_snapshot(data_dir(args.config, args.data_dir), args.query, WRITERS[args.format])
    except SnapshotQueryError as err:
        raise SystemExit(f"planb sql: {err}") from None


def _table(result) -> None:
    result.show(max_width=200, max_rows=sys.maxsize, max_col_width=80)


def _csv(result) -> None:
    import csv

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(result.columns)
    out.writerows(result.fetchall())


def _json(result) -> None:
    """One object per row; dates, times and decimals as their text."""
    import json

    rows = [dict(zip(result.columns, row, strict=True)) for row in result.fetchall()]
    sys.stdout.write(json.dumps(rows, default=str, ensure_ascii=False) + "\n")


WRITERS = {"table": _table, "csv": _csv, "json": _json}
