"""The queries the dashboard runs, each one ``warehouse/sql/*.sql`` file over the snapshot.

Every function opens the published snapshot read-only, runs its file with bound parameters
(user input is never formatted into SQL), and closes the connection before returning, so the
pipeline can replace the snapshot between two queries.
"""

from __future__ import annotations

from contextlib import closing
from functools import cache
from importlib.resources import files
from pathlib import Path

import polars as pl

from warehouse.db import open_snapshot, read_frame, snapshot_path


@cache
def _sql(name: str) -> str:
    return files("warehouse").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def _query(data_dir: str | Path, name: str, params: list | None = None) -> pl.DataFrame:
    # One connection per query: a reader held open would keep the old snapshot file alive.
    with closing(open_snapshot(data_dir)) as con:
        return read_frame(con, _sql(name), params)


def snapshot_version(data_dir: str | Path) -> tuple[int, int] | None:
    """An id that changes on every publish (mtime and inode), or None without a snapshot.

    Example:
        >>> snapshot_version("/nonexistent") is None
        True
    """
    try:
        stat = snapshot_path(data_dir).stat()
    except FileNotFoundError:
        return None
    # Publishing renames a fresh copy onto the path, so the inode changes even within one tick.
    return stat.st_mtime_ns, stat.st_ino


def routers(data_dir: str | Path) -> pl.DataFrame:
    """Routers with a projection, one column ``router``, sorted by name.

    Raises ``NoSnapshotError`` when nothing has been published.

    Example:
        >>> routers("./data")["router"].to_list()  # doctest: +SKIP
        ['length', 'random', 'small_confidence']
    """
    return _query(data_dir, "routers")


def projection(data_dir: str | Path, router: str) -> pl.DataFrame:
    """All ``routing_projection`` rows of one router, by threshold (empty for an unknown one).

    Example:
        >>> projection("./data", "length").select("threshold", "share_small")  # doctest: +SKIP
    """
    return _query(data_dir, "projection", [router])


def projection_at(data_dir: str | Path, router: str, threshold: float) -> pl.DataFrame:
    """The one ``routing_projection`` row of ``router`` whose threshold is nearest ``threshold``.

    Ties go to the lower threshold; an unknown router gives an empty frame.

    Example:
        >>> projection_at("./data", "length", 0.5)["threshold"].item()  # doctest: +SKIP
        0.5
    """
    return _query(data_dir, "projection_at", [router, float(threshold)])


def snapshot_info(data_dir: str | Path) -> pl.DataFrame:
    """The latest ``snapshot_log`` row: ``published_at``, ``days``, ``chat_log_rows``.

    Example:
        >>> snapshot_info("./data")["days"].item()  # doctest: +SKIP
        3
    """
    return _query(data_dir, "snapshot_info")
