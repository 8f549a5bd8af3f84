"""`planb sql "SELECT ..."`: one read-only statement on the published snapshot, printed as a
table, CSV or JSON (warehouse/db.py refuses anything that is not a read).

    planb sql "SELECT count(*) FROM chat_logs" --format csv

It loads only the config, DuckDB and Polars, so it answers in a fraction of a second.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    sql = sub.add_parser("sql", help="read-only SQL on the published snapshot")
    sql.add_argument("query")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.set_defaults(func=cmd_sql)


def cmd_sql(args: argparse.Namespace) -> None:
    import polars as pl

    from scoring.config import load_config
    from warehouse.db import SnapshotQueryError, query_snapshot

    cfg = load_config(args.config, data_dir=args.data_dir)
    try:  # one read-only statement on the snapshot; anything else is refused (warehouse/db.py)
        frame = query_snapshot(cfg.data_dir, args.query)
    except SnapshotQueryError as err:
        raise SystemExit(f"planb sql: {err}") from None
    if args.format == "csv":
        sys.stdout.write(frame.write_csv())
    elif args.format == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200):
            print(frame)
