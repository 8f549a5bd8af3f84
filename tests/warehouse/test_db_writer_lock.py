"""A writer that finds the warehouse held by another process waits its turn (a replay committing
a chunk while another run's step writes), and gives up with DuckDB's lock error after its wait."""

import subprocess
import sys
import time

import duckdb
import pytest

from warehouse.db import connect_writable, warehouse_path, writer

HOLD = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(path, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_writer_waits_while_another_process_holds_the_warehouse(tmp_path):
    holder = _hold(warehouse_path(tmp_path), 2.0)
    start = time.monotonic()
    with writer(tmp_path) as con:  # opens only once the other process lets go
        waited = time.monotonic() - start
        con.execute("INSERT INTO t VALUES (1)")
    holder.wait(timeout=30)
    assert waited >= 1.0
    with duckdb.connect(str(warehouse_path(tmp_path)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_a_writer_gives_up_after_its_wait(tmp_path):
    holder = _hold(warehouse_path(tmp_path), 5.0)
    try:
        with pytest.raises(duckdb.IOException, match="Could not set lock"):
            connect_writable(warehouse_path(tmp_path), wait_s=0.3)
    finally:
        holder.kill()
        holder.wait()
