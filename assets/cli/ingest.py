"""`planb ingest PATH...`: ingest log files or folders into the warehouse and say, per file, what
was accepted, dropped as a duplicate, rejected (by reason) and redacted.

    planb ingest landing/ exports/gateway-2026-11-02.jsonl.zst --format openai
    planb ingest --reingest-day 2026-11-02

A file already ingested (same sha256, under any path) is listed and skipped. ``--reingest-day``
reads a day again from the files that hold it, replacing its rows (one copy).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scoring.config import PlanBConfig
    from warehouse.ingestion import FileReport


class _Formats:
    """``--format``'s choices, read from warehouse.ingestion only when argparse consults them (a
    given --format, or this command's help): that package loads pyarrow and polars, which
    `planb --help` and `planb sql` need not."""

    def __iter__(self):
        from warehouse.ingestion import FORMATS

        return iter(("auto", *FORMATS))

    def __contains__(self, value: object) -> bool:
        return value in tuple(self)


def add_parser(sub) -> None:
    ing = sub.add_parser("ingest", help="ingest log files or folders (JSONL, CSV, Parquet, OpenAI logs, "
                         "conversations; .gz/.zst); print counts per file")
    ing.add_argument("paths", nargs="*", help="files or folders (local paths or object-storage URLs)")
    fmt = ing.add_argument("--format", default=None,
                           help="format of every file (default: ingest.format in the config, auto)")
    fmt.choices = _Formats()  # set after add_argument, which iterates choices at once (a metavar check)
    ing.add_argument("--reingest-day", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="read this UTC day again from the files that hold it, replacing it")
    ing.add_argument("--day", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="the day of records with no time field at all (default: ingest.undated_day, else the "
                     "date in the file's name, else its modification day)")
    ing.set_defaults(func=cmd_ingest)


def _counts(counter) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counter.items())) or "none"


def describe(report: FileReport) -> str:
    """One file's outcome in a few lines.

    Example:
        >>> from warehouse.ingestion import FileReport
        >>> print(describe(FileReport("a.jsonl", "ab" * 32, 10, "flat", "already_ingested", same_as="b.jsonl")))
        a.jsonl: already ingested (as b.jsonl), skipped
    """
    if report.status == "already_ingested":
        return f"{report.path}: already ingested (as {report.same_as}), skipped"
    if report.status == "quarantined":
        return f"{report.path}: quarantined ({report.reason}): {report.detail}"
    changed = (f" (changed since it was ingested as sha256 {report.replaces[:12]}...: read again whole, records "
               "already stored kept once)") if report.replaces else ""
    return (f"{report.path}{changed} [{report.format}]: {report.records} records, {report.accepted} accepted, "
            f"{sum(report.duplicates.values())} duplicates ({_counts(report.duplicates)}), "
            f"{sum(report.rejected.values())} rejected ({_counts(report.rejected)}); "
            f"redacted: {_counts(report.redacted)}")


def cmd_ingest(args: argparse.Namespace) -> None:
    from assets.resources import ingest_settings
    from scoring.config import load_config
    from warehouse.db import writer
    from warehouse.ingestion import LogInputError, ingest_paths, reingest_day

    cfg = load_config(args.config, data_dir=args.data_dir)
    settings = ingest_settings(cfg, undated_day=args.day)
    if args.reingest_day and args.paths:
        raise SystemExit("planb ingest: give PATHs or --reingest-day, not both")
    if not args.reingest_day and not args.paths:
        raise SystemExit("planb ingest: name at least one file or folder (or --reingest-day DAY)")
    with writer(cfg.data_dir) as con:
        if args.reingest_day:
            reports = reingest_day(con, args.reingest_day, settings)
            if not reports:
                raise LogInputError(f"no ingested file holds {args.reingest_day}")
        else:
            reports = ingest_paths(con, args.paths, settings, fmt=args.format or cfg.ingest.format,
                                   progress=lambda line: print(line, file=sys.stderr, flush=True))
    for report in reports:
        print(describe(report))
    quarantined = sum(r.status == "quarantined" for r in reports)
    if quarantined:  # the others landed; say so in the exit status, for scripts
        raise SystemExit(f"planb ingest: {quarantined} file(s) quarantined (table quarantined_files); the others landed")


def landing_days(cfg: PlanBConfig) -> list[str]:
    """Ingest the landing folder's new files; every day the ingested files hold, as ISO dates."""
    from assets.resources import ingest_landing
    from warehouse.db import writer
    from warehouse.ingestion import LogInputError, registered_days

    ingest_landing(cfg)
    with writer(cfg.data_dir) as con:
        days = registered_days(con)
    if not days:
        raise LogInputError(f"no readable log records in {cfg.landing_dir}")
    return [d.isoformat() for d in days]
