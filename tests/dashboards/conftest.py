"""A real published snapshot with a small, internally consistent ``routing_projection``, and the
real dashboard served over a data folder for the browser tests (``streamlit_server``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit import config as streamlit_config

from warehouse.db import publish_snapshot, replace_rows, snapshot_path, writer

# As dashboards/.streamlit/config.toml sets for `streamlit run`: no magic, so AppTest compiles
# the pages without Streamlit's ast.parse, which races other threads on CPython 3.11.7
# ("SystemError: AST constructor recursion depth mismatch", issue 24). AppTest keeps options it
# does not patch itself.
streamlit_config.set_option("runner.magicEnabled", False)

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def streamlit_server(data_dir: Path) -> Iterator[str]:
    """`streamlit run dashboards/app.py` on a free localhost port over ``data_dir``; its URL once
    it answers, the server stopped after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PLANB_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"), "--server.headless",
               "true", "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError as err:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {server.stdout.read() if server.stdout else ''}") from err
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def serve_dashboard():
    """``streamlit_server`` for the browser tests' module-scoped fixtures."""
    return streamlit_server


THRESHOLDS = [round(0.1 * i, 2) for i in range(11)]
REQUESTS_PER_DAY = 20_000.0
ALWAYS_LARGE_GPU_HOURS = 120.0
DOLLARS_PER_GPU_HOUR = 2.5
UTILISATION = 0.6

# router -> (share routed small at threshold 0, router GPU-hours a day). small_confidence is a
# cascade: the small model runs on everything, so it costs more and can save less than nothing.
ROUTERS = {"length": (1.0, 0.5), "small_confidence": (0.8, 12.5)}


def projection_row(router: str, threshold: float, *, scale: float = 1.0) -> dict:
    """One row following the projection's definitions; ``scale`` multiplies the costs."""
    reach, router_cost = ROUTERS[router]
    share = reach * (1.0 - threshold)
    agreement = 0.6 + 0.35 * threshold if share > 0 else None
    unchanged = 1.0 - share * (1.0 - (agreement or 0.0))
    always_large = ALWAYS_LARGE_GPU_HOURS * scale
    # The small model costs a tenth of the large one per request.
    gpu_hours = always_large * (1.0 - share * 0.9) + router_cost * scale
    saved = always_large - gpu_hours
    spread = 0.15 * abs(saved)
    per_day = DOLLARS_PER_GPU_HOUR / UTILISATION
    return {
        "router": router,
        "threshold": threshold,
        "n_sample": 400,
        "requests_per_day": REQUESTS_PER_DAY,
        "share_small": share,
        "share_small_lo": max(share - 0.02, 0.0),
        "share_small_hi": min(share + 0.02, 1.0),
        "agreement_small": agreement,
        "agreement_small_lo": None if agreement is None else agreement - 0.05,
        "agreement_small_hi": None if agreement is None else min(agreement + 0.04, 1.0),
        "unchanged_share": unchanged,
        "unchanged_lo": max(unchanged - 0.03, 0.0),
        "unchanged_hi": min(unchanged + 0.02, 1.0),
        "gpu_hours_per_day": gpu_hours,
        "gpu_hours_always_large_per_day": always_large,
        "gpu_hours_saved_per_day": saved,
        "gpu_hours_saved_lo": saved - spread,
        "gpu_hours_saved_hi": saved + spread,
        "dollars_saved_per_day": saved * per_day,
        "dollars_saved_per_day_lo": (saved - spread) * per_day,
        "dollars_saved_per_day_hi": (saved + spread) * per_day,
        "dollars_saved_per_year": saved * per_day * 365,
        "dollars_saved_per_year_lo": (saved - spread) * per_day * 365,
        "dollars_saved_per_year_hi": (saved + spread) * per_day * 365,
        **{f"{kind}_saved_per_{n}_days{end}": value * n * (per_day if kind == "dollars" else 1.0)
           for kind in ("gpu_hours", "dollars") for n in (30,)
           for end, value in (("", saved), ("_lo", saved - spread), ("_hi", saved + spread))},
        **{f"gpu_hours_saved_per_year{end}": value * 365
           for end, value in (("", saved), ("_lo", saved - spread), ("_hi", saved + spread))},
        "device": "cuda:NVIDIA H100 80GB HBM3",
        "dollars_per_gpu_hour": DOLLARS_PER_GPU_HOUR,
        "utilisation": UTILISATION,
    }


def publish_projection(data_dir: Path, rows: list[dict]) -> Path:
    """Replace ``routing_projection`` with ``rows`` and publish the snapshot."""
    frame = pl.DataFrame(rows, schema_overrides={"n_sample": pl.Int32}) if rows else pl.DataFrame()
    with writer(data_dir) as con:
        replace_rows(con, "routing_projection", frame, "true", [])
    return publish_snapshot(data_dir)


def all_rows(*, scale: float = 1.0) -> list[dict]:
    return [projection_row(r, t, scale=scale) for r in ROUTERS for t in THRESHOLDS]


def snapshot_row(data_dir: Path, router: str, threshold: float) -> dict:
    """The row as SQL over the published snapshot gives it (independent of the dashboard)."""
    con = duckdb.connect(str(snapshot_path(data_dir)), read_only=True)
    try:
        cursor = con.execute(
            "SELECT * FROM routing_projection WHERE router = ? AND abs(threshold - ?) < 1e-9",
            [router, threshold],
        )
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.close()
    assert len(rows) == 1, (router, threshold, rows)
    return dict(zip(names, rows[0], strict=True))


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    """A data folder with a published snapshot of two routers x eleven thresholds."""
    publish_projection(tmp_path, all_rows())
    return tmp_path


@pytest.fixture
def sql_row():
    """``sql_row(data_dir, router, threshold)``: the snapshot's row, read with plain DuckDB."""
    return snapshot_row


@pytest.fixture
def republish():
    """``republish(data_dir, rows)``: replace the projection and publish again."""
    return publish_projection


@pytest.fixture
def projection_rows():
    """``projection_rows(scale=1.0)``: the rows ``snapshot_dir`` starts with, costs scaled."""
    return all_rows


# A snapshot the real pipeline made: two days of the bundled log through Dagster, the bundled
# models and a real DuckDB file, with its Dagster instance (runs, check results) beside it.


@pytest.fixture(scope="session")
def pipeline_snapshot(tmp_path_factory, two_day_demo) -> Path:
    """The data folder of a real `planb demo` over two days (24 replayed requests, one bad line)."""
    from assets.cli.main import main

    root = tmp_path_factory.mktemp("pipeline_snapshot")
    config_path = two_day_demo(root)
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    try:
        main(["--config", str(config_path), "demo"])
    finally:
        mp.undo()
    return root / "data"
