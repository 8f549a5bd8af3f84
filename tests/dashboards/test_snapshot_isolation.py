"""The dashboard and the pipeline never get in each other's way: while another process writes
the warehouse and publishes new snapshots over and over, the dashboard keeps rendering, always
one whole snapshot (never a mix, never an error), and an open reader never blocks a publish."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from warehouse.db import open_snapshot, publish_snapshot, snapshot_path, writer

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboards" / "app.py")
SCALES = [2.0, 3.0, 4.0]

# The pipeline's side, as its own process. Each round it replaces the projection (costs scaled)
# inside the writer's transaction and holds it open until the test says go (a file), then
# commits and publishes, and says so (another file).
PIPELINE = textwrap.dedent("""
    import sys, time
    sys.path[:0] = [{root!r}, {tests!r}]
    from pathlib import Path
    import polars as pl
    from conftest import all_rows
    from warehouse.db import publish_snapshot, replace_rows, writer

    def wait_for(path):
        while not path.exists():
            time.sleep(0.02)

    data_dir, signals = Path({data_dir!r}), Path({signals!r})
    for index, scale in enumerate({scales!r}):
        with writer(data_dir) as con:
            rows = pl.DataFrame(all_rows(scale=scale), schema_overrides={{"n_sample": pl.Int32}})
            replace_rows(con, "routing_projection", rows, "true", [])
            (signals / f"writing-{{index}}").touch()
            wait_for(signals / f"go-{{index}}")
        publish_snapshot(data_dir)
        (signals / f"published-{{index}}").touch()
""")


def wait_for(path: Path, pipeline: subprocess.Popen) -> None:
    while not path.exists():
        assert pipeline.poll() is None, pipeline.stdout.read()
        time.sleep(0.02)


def gpu_hours_saved(data_dir: Path) -> float:
    con = duckdb.connect(str(snapshot_path(data_dir)), read_only=True)
    try:
        return con.execute("SELECT gpu_hours_saved_per_day FROM routing_projection WHERE router = 'length' "
                           "AND threshold = 0.5").fetchall()[0][0]
    finally:
        con.close()


def shown_gpu_hours(app: AppTest) -> float:
    (tile,) = [m for m in app.metric if m.label == "GPU-hours saved / day"]
    return float(tile.value.replace(",", ""))


def test_the_dashboard_keeps_rendering_while_the_pipeline_writes_and_publishes(monkeypatch, snapshot_dir, tmp_path):
    base = gpu_hours_saved(snapshot_dir)
    monkeypatch.setenv("PLANB_DATA_DIR", str(snapshot_dir))
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.sidebar.selectbox(key="router").set_value("length")
    app.sidebar.slider(key="threshold").set_value(0.5).run()
    script = PIPELINE.format(root=str(ROOT), tests=str(Path(__file__).parent), scales=SCALES,
                             data_dir=str(snapshot_dir), signals=str(tmp_path))
    pipeline = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    shown_scale = 1.0
    for index, scale in enumerate(SCALES):
        # The pipeline holds the warehouse's write transaction: the dashboard renders the last
        # published snapshot, unblocked and unchanged.
        wait_for(tmp_path / f"writing-{index}", pipeline)
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        assert shown_gpu_hours(app) == pytest.approx(shown_scale * base, rel=0.01)
        (tmp_path / f"go-{index}").touch()
        # Published: the next render shows the new snapshot, whole, without a restart.
        wait_for(tmp_path / f"published-{index}", pipeline)
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        assert shown_gpu_hours(app) == pytest.approx(scale * base, rel=0.01)
        shown_scale = scale
    assert pipeline.wait(timeout=60) == 0, pipeline.stdout.read()


def test_an_open_reader_does_not_block_a_publish(snapshot_dir):
    reader = open_snapshot(snapshot_dir)  # a dashboard query in flight on the old snapshot
    try:
        old = reader.execute("SELECT sum(gpu_hours_saved_per_day) FROM routing_projection").fetchall()[0][0]
        with writer(snapshot_dir) as con:
            con.execute("UPDATE routing_projection SET gpu_hours_saved_per_day = 2 * gpu_hours_saved_per_day")
        publish_snapshot(snapshot_dir)
        # The reader still sees the snapshot it opened, whole; a new reader sees the new one.
        assert reader.execute("SELECT sum(gpu_hours_saved_per_day) FROM routing_projection").fetchall()[0][0] == old
    finally:
        reader.close()
    fresh = open_snapshot(snapshot_dir)
    try:
        assert fresh.execute("SELECT sum(gpu_hours_saved_per_day) FROM routing_projection").fetchall()[0][0] == \
            pytest.approx(2 * old)
    finally:
        fresh.close()
