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

from warehouse import dashboard_queries as queries

DATA_DIR_ENV = "PLANB_DATA_DIR"
DEFAULT_DATA_DIR = "./data"

Version = tuple[int, int]


def data_dir() -> Path:
    """The data folder: ``$PLANB_DATA_DIR``, else ``./data``, read on every rerun."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def snapshot_version(directory: Path) -> Version | None:
    """The current snapshot's version, or None when nothing has been published."""
    return queries.snapshot_version(directory)


# `version` is unused in the bodies on purpose: it is there to be part of the cache key.
@st.cache_data(show_spinner=False, max_entries=32)
def routers(directory: str, version: Version) -> list[str]:
    return queries.routers(directory)["router"].to_list()


@st.cache_data(show_spinner=False, max_entries=64)
def projection(directory: str, version: Version, router: str) -> pl.DataFrame:
    return queries.projection(directory, router)


@st.cache_data(show_spinner=False, max_entries=256)
def projection_at(directory: str, version: Version, router: str, threshold: float) -> dict | None:
    frame = queries.projection_at(directory, router, threshold)
    return frame.row(0, named=True) if frame.height else None


@st.cache_data(show_spinner=False, max_entries=32)
def snapshot_info(directory: str, version: Version) -> dict | None:
    frame = queries.snapshot_info(directory)
    return frame.row(0, named=True) if frame.height else None
