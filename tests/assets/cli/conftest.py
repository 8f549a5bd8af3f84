"""Fixtures of the CLI's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.db import publish_snapshot, writer


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory) -> Path:
    """A data folder holding an empty, migrated warehouse and its published snapshot (what a
    command that only reads needs), one per test module."""
    data = tmp_path_factory.mktemp("snapshot") / "data"
    with writer(data):
        pass
    publish_snapshot(data)
    return data
