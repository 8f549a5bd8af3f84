"""`planb reviews`: the human reviews of the dashboard's Review page, in and out of the reviews
store (data/reviews.sqlite, warehouse/reviews.py), and the review sample drawn on demand.

    planb reviews export --out reviews.csv      every verdict, as CSV or Parquet (by the suffix)
    planb reviews import labels.csv             verdicts made elsewhere (Label Studio, Argilla, a spreadsheet)
    planb reviews sample                        draw the review sample, read the reviews in, publish

An import needs the columns request_id, reviewer, verdict (left_better, right_better, same,
cant_judge, small_better, large_better; "about the same", "can't judge" and the like are read as
such) and reviewed_at (ISO 8601), with small_side (left / right: where the small model's answer
was shown) for left_better / right_better; other columns are ignored and never stored. Each bad
row is refused with one line naming its row, column and value; the good rows land (in one
transaction), and a file imported twice adds nothing the second time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = (".csv", ".parquet")


def add_parser(sub) -> None:
    cmd = sub.add_parser("reviews", help="export or import human reviews; draw the review sample")
    actions = cmd.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="every stored verdict to a CSV or Parquet file")
    export.add_argument("--out", required=True, help="the file to write: .csv or .parquet")
    export.set_defaults(func=cmd_export)
    load = actions.add_parser("import", help="verdicts from a CSV or Parquet file into the reviews store")
    load.add_argument("file", help="a .csv or .parquet file")
    load.set_defaults(func=cmd_import)
    sample = actions.add_parser("sample", help="draw the review sample, read the reviews in, publish the snapshot")
    sample.set_defaults(func=cmd_sample)


def _format(path: Path) -> str:
    from warehouse.reviews import ReviewInputError

    if path.suffix.lower() not in FORMATS:
        raise ReviewInputError(f"{path}: the file must end in {' or '.join(FORMATS)}, not {path.suffix or 'nothing'!r}")
    return path.suffix.lower()


def cmd_export(args: argparse.Namespace) -> None:
    from scoring.config import load_config
    from warehouse.reviews import to_table

    cfg = load_config(args.config, data_dir=args.data_dir)
    out = Path(args.out)
    table = to_table(cfg.data_dir)
    if _format(out) == ".csv":
        table.write_csv(out)
    else:
        table.write_parquet(out)
    print(f"{table.height} verdicts written to {out}")


def read_table(path: Path):
    """The file as a table of text columns (CSV) or its own types (Parquet), or a one-line error."""
    import polars as pl

    from warehouse.reviews import ReviewInputError

    fmt = _format(path)
    try:
        if fmt == ".csv":
            return pl.read_csv(path, infer_schema=False)  # every value as written: errors quote it so
        return pl.read_parquet(path)
    except FileNotFoundError:
        raise ReviewInputError(f"{path}: no such file") from None
    except (pl.exceptions.PolarsError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ReviewInputError(f"{path}: not a readable {fmt[1:]} file ({first})") from None


def cmd_import(args: argparse.Namespace) -> None:
    from scoring.config import load_config
    from warehouse.reviews import add_many, from_table

    cfg = load_config(args.config, data_dir=args.data_dir)
    path = Path(args.file)
    verdicts, errors = from_table(read_table(path), path.name)
    added, known = add_many(cfg.data_dir, verdicts)
    for line in errors:
        print(f"planb reviews import: {path.name}: {line}", file=sys.stderr)
    print(f"{added} verdicts imported from {path} ({known} already in the store), {len(errors)} rows refused")
    if errors:
        raise SystemExit(1)


def cmd_sample(args: argparse.Namespace) -> None:
    import dagster as dg

    from assets.definitions import build_definitions
    from assets.instance import dagster_instance
    from assets.resources import PlanBResource
    from scoring.config import load_config

    cfg = load_config(args.config, data_dir=args.data_dir)
    defs = build_definitions(PlanBResource(config_path=args.config, data_dir=str(cfg.data_dir)))
    # The pipeline's own assets, so the command and a run draw the same sample by the same code;
    # in the project's Dagster instance (its history, which the snapshot copies in), the
    # snapshot published after the reviews are read in.
    instance = dagster_instance(Path(cfg.data_dir) / "dagster_home")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    drawn = None
    for keys in (("review_sample", "reviews"), ("published_snapshot",)):
        result = dg.materialize([defs.resolve_assets_def(k) for k in keys], raise_on_error=False, instance=instance,
                                run_config=quiet)
        if not result.success:
            raise SystemExit(f"planb reviews sample: materializing {', '.join(keys)} failed; see the messages above")
        if drawn is None:
            drawn = result.asset_materializations_for_node("review_sample")[0].metadata["dagster/row_count"].value
    print(f"{drawn} pairs drawn for review; reviews read in; snapshot published")
