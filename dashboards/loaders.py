"""Cached loaders around ``warehouse.dashboard_queries``.

Each cached function takes the snapshot's version (mtime and inode) as an argument, so the cache
key changes when the pipeline publishes a new snapshot and the dashboard picks it up on its
next rerun without a restart.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import streamlit as st

from scoring.config_file import DATA_DIR_ENV, DEFAULT_DATA_DIR
from warehouse import dashboard_queries as queries

Version = tuple[int, int]


def data_dir() -> Path:
    """The data folder: ``$PLANB_DATA_DIR``, else ``./data``, read on every rerun."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def snapshot_version(directory: Path) -> Version | None:
    """The current snapshot's version, or None when nothing has been published."""
    return queries.snapshot_version(directory)


# `version` is unused in the body on purpose: it is part of the cache key, so a new snapshot
# is read afresh. Every page reads through this one function; keyword arguments stay keywords.
@st.cache_data(show_spinner=False, max_entries=1024)
def frame(directory: str, version: Version, query: str, *args, **kwargs) -> pl.DataFrame:
    """What ``warehouse.dashboard_queries.<query>(directory, *args, **kwargs)`` returns, cached
    per snapshot version.

    Example:
        >>> frame("./data", version, "projection", "length")  # doctest: +SKIP
    """
    return getattr(queries, query)(directory, *args, **kwargs)


def first_row(table: pl.DataFrame) -> dict | None:
    """The first row as a dict, or None for an empty frame."""
    return table.row(0, named=True) if table.height else None
