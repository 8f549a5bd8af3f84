"""`planb sql` is bounded (issue 26): CSV and JSON are streamed (a result of millions of rows is
written in the memory of a few batches), the table says how many rows it left out and how to get
them, and a statement past its time or memory limit stops with one line naming the limit, with
defaults and config settings for both. Real snapshot, real `planb sql` processes where memory,
time and pipes are the point."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import duckdb
import pytest
import yaml

from assets.cli import sql
from assets.cli.main import main
from scoring.config import SqlConfig
from warehouse.db import open_snapshot

ROWS = 2_000_000  # a result the old `planb sql` held whole: ~400 MB as CSV, ~900 MB as JSON
ENDLESS = "SELECT count(*) FROM range(10000000000) a, range(100) b"  # hours of work
HUNGRY = "SELECT range, md5(range::VARCHAR) AS m FROM range(3000000) ORDER BY m"  # a sort of ~200 MB

# Runs `planb sql ARGS` as a child, reads its stdout as it comes (counting bytes and lines, keeping
# the first 200 bytes and the last 200), and prints one JSON line: those, its exit status and
# stderr, and the child's peak memory (the only child, so RUSAGE_CHILDREN is its own).
RUN = """
import json, resource, subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "assets.cli.main", *sys.argv[1:]], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
size = lines = 0
head = tail = b""
while chunk := child.stdout.read(1 << 16):
    size, lines = size + len(chunk), lines + chunk.count(b"\\n")
    head = (head + chunk)[:200] if len(head) < 200 else head
    tail = (tail + chunk)[-200:]
err = child.stderr.read().decode()
print(json.dumps({"rc": child.wait(), "stderr": err, "bytes": size, "lines": lines, "head": head.decode(),
                  "tail": tail.decode(), "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def _child(data: Path, *args: str, timeout: float = 300) -> dict:
    done = subprocess.run([sys.executable, "-c", RUN, "--data-dir", str(data), "sql", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=data.parent, check=True)
    return json.loads(done.stdout)


def _stop(data: Path, *args: str, config: Path | None = None) -> str:
    with pytest.raises(SystemExit) as stopped:
        main([*(["--config", str(config)] if config else []), "--data-dir", str(data), "sql", *args])
    message = str(stopped.value.code)
    assert message.startswith("planb sql: ") and "\n" not in message, message
    return message


def _config(tmp_path: Path, **settings) -> Path:
    path = tmp_path / "planb.yaml"
    path.write_text(yaml.safe_dump({"sql": settings}), encoding="utf-8")
    return path


def test_the_commands_defaults_are_the_configs():
    assert (sql.MAX_TABLE_ROWS, sql.TIME_LIMIT_S, sql.MEMORY_LIMIT) == (
        SqlConfig().max_table_rows, SqlConfig().time_limit_s, SqlConfig().memory_limit)
    assert sql.TIME_LIMIT_S > 0  # a statement that never ends is stopped by default


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_are_streamed_in_bounded_memory(snapshot_dir, fmt):
    query = f"SELECT range AS i, 'row ' || range AS s FROM range({ROWS})"
    out = _child(snapshot_dir, query, "--format", fmt)
    assert out["rc"] == 0 and out["stderr"] == "", out["stderr"]
    if fmt == "csv":
        assert out["lines"] == ROWS + 1 and out["head"].startswith("i,s\n0,row 0\n1,row 1\n")
        assert out["tail"].endswith(f"{ROWS - 1},row {ROWS - 1}\n")
    else:  # one JSON array, as before, written batch by batch
        assert out["head"].startswith('[{"i": 0, "s": "row 0"}, {"i": 1, "s": "row 1"}, ')
        assert out["tail"].endswith(f'{{"i": {ROWS - 1}, "s": "row {ROWS - 1}"}}]\n') and out["lines"] == 1
    # the whole result as Python rows would take several hundred MB; a few batches take a few MB
    assert out["peak_mb"] < 200, out["peak_mb"]


def test_small_json_and_csv_results_are_written_as_before(snapshot_dir, capsys):
    main(["--data-dir", str(snapshot_dir), "sql", "SELECT range AS n, 'x' || range AS t FROM range(3)", "--format", "json"])
    assert json.loads(capsys.readouterr().out) == [{"n": 0, "t": "x0"}, {"n": 1, "t": "x1"}, {"n": 2, "t": "x2"}]
    main(["--data-dir", str(snapshot_dir), "sql", "SELECT 1 AS n WHERE false", "--format", "json"])
    assert capsys.readouterr().out == "[]\n"
    main(["--data-dir", str(snapshot_dir), "sql", "SELECT 1 AS n WHERE false", "--format", "csv"])
    assert capsys.readouterr().out == "n\n"


def test_the_table_says_how_many_rows_it_left_out_and_how_to_get_them(snapshot_dir, capsys, tmp_path):
    main(["--data-dir", str(snapshot_dir), "sql", "SELECT range AS n FROM range(23)", "--max-rows", "5"])
    out = capsys.readouterr().out
    shown = [line for line in out.splitlines() if line.startswith("│") and line.strip("│ ").isdigit()]
    assert [int(line.strip("│ ")) for line in shown] == [0, 1, 2, 3, 4]
    note = out.strip().splitlines()[-1]
    assert note.startswith("(23 rows in all: the first 5 shown, 18 left out; all of them with --format csv"), note
    assert "--max-rows N" in note and "LIMIT ... OFFSET" in note

    # the config's setting, and no note when nothing is left out
    config = _config(tmp_path, max_table_rows=23)
    main(["--config", str(config), "--data-dir", str(snapshot_dir), "sql", "SELECT range AS n FROM range(23)"])
    out = capsys.readouterr().out
    assert "left out" not in out and "│     22 │" in out


def test_the_table_draws_nulls_wide_characters_long_cells_and_plans(snapshot_dir, capsys):
    main(["--data-dir", str(snapshot_dir), "sql", "SELECT 1.5::DOUBLE AS x, NULL::INTEGER AS missing, '東京' AS city, "
          "repeat('ab', 60) AS long"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split("│")[1:-1] == ["   x    ", " missing ", "  city   ", f" {'long':^80} "]
    assert lines[2].split("│")[1:-1] == [" double ", " integer ", " varchar ", f" {'varchar':^80} "]
    row = lines[4].split("│")[1:-1]
    assert row[:3] == ["    1.5 ", "    NULL ", " 東京    "]  # numbers right, text left, 東京 is 4 columns wide
    assert row[3] == f" {'ab' * 39}a… "  # cut at 80 characters
    assert len({len(line) for line in lines if line[0] in "┌├└"}) == 1
    main(["--data-dir", str(snapshot_dir), "sql", "EXPLAIN SELECT 1"])
    assert capsys.readouterr().out.startswith("physical_plan:\n╭─")  # the plan as drawn, not in a cell


def test_the_default_table_no_longer_drops_rows_silently(snapshot_dir, capsys):
    main(["--data-dir", str(snapshot_dir), "sql", "SELECT range AS n FROM range(25000)"])
    out = capsys.readouterr().out
    assert "│   9999 │" in out and "│  10000 │" not in out
    assert "(25,000 rows in all: the first 10,000 shown, 15,000 left out;" in out


def test_a_statement_past_its_time_limit_stops_with_one_line(snapshot_dir, tmp_path):
    out = _child(snapshot_dir, ENDLESS, "--time-limit", "1", timeout=120)
    assert out["rc"] == 1 and out["bytes"] == 0
    assert out["stderr"].strip() == ("planb sql: stopped after 1 s, its time limit (--time-limit SECONDS or "
                                     "sql.time_limit_s in the config; 0 for none)")
    message = _stop(snapshot_dir, ENDLESS, config=_config(tmp_path, time_limit_s=0.5))  # the config's setting
    assert "stopped after 0.5 s, its time limit" in message


def test_a_streamed_result_past_its_time_limit_stops_too(snapshot_dir):
    out = _child(snapshot_dir, "SELECT range AS i FROM range(10000000000)", "--format", "csv", "--time-limit", "2",
                 timeout=120)
    assert out["rc"] == 1 and "stopped after 2 s, its time limit" in out["stderr"] and out["lines"] > 1


def test_a_statement_past_its_memory_limit_stops_with_one_line_and_writes_no_file(snapshot_dir, tmp_path):
    before = sorted(p.name for p in snapshot_dir.rglob("*"))
    message = _stop(snapshot_dir, HUNGRY, "--format", "csv", "--memory-limit", "64MB")
    assert "stopped: the query needs more memory than its limit (64MB)" in message, message
    assert message.endswith("(--memory-limit SIZE or sql.memory_limit in the config)")
    message = _stop(snapshot_dir, HUNGRY, config=_config(tmp_path, memory_limit="64MB"))
    assert "more memory than its limit (64MB)" in message
    assert sorted(p.name for p in snapshot_dir.rglob("*")) == before  # nothing spilled beside the snapshot
    out = _child(snapshot_dir, HUNGRY, "--format", "csv", "--memory-limit", "1GB")  # enough: it answers
    assert out["rc"] == 0 and out["lines"] == 3_000_001


@pytest.mark.parametrize(("args", "settings", "reason"), [
    (["--memory-limit", "lots"], {}, "--memory-limit: a size such as 500MB, 2GB or 1.5GiB is meant"),
    (["--max-rows", "0"], {}, "--max-rows: a whole number of rows >= 1 is meant"),
    (["--time-limit", "-1"], {}, "--time-limit: a number of seconds >= 0 is meant (0: no limit)"),
    ([], {"time_limit_s": "soon"}, "sql.time_limit_s: a number of seconds >= 0 is meant"),
    ([], {"max_table_rows": True}, "sql.max_table_rows: a whole number of rows >= 1 is meant"),
    ([], {"memory_limt": "1GB"}, "sql.memory_limt: unknown key"),
])
def test_bad_limits_stop_with_one_line_naming_the_setting(snapshot_dir, tmp_path, args, settings, reason):
    config = _config(tmp_path, **settings) if settings else None
    assert reason in _stop(snapshot_dir, "SELECT 1", *args, config=config)


def test_a_closed_pipe_ends_quietly(snapshot_dir):
    """`planb sql ... --format csv | head -2`: the rows the reader wanted, no traceback."""
    child = subprocess.Popen([sys.executable, "-m", "assets.cli.main", "--data-dir", str(snapshot_dir), "sql",
                              f"SELECT range FROM range({ROWS})", "--format", "csv"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=snapshot_dir.parent)
    assert child.stdout.readline() == b"range\n" and child.stdout.readline() == b"0\n"
    child.stdout.close()
    assert child.wait(timeout=120) == 0
    assert child.stderr.read() == b""


def test_a_process_already_reading_the_snapshot_still_answers(snapshot_dir, capsys):
    """DuckDB keeps one configuration per file and process: with a plain reader open (a notebook,
    the end-to-end tests) the limited one shares its settings instead of failing, and two limited
    readers share one instance that is closed once."""
    with closing(open_snapshot(snapshot_dir)):
        main(["--data-dir", str(snapshot_dir), "sql", "SELECT 42 AS answer", "--format", "csv"])
        assert capsys.readouterr().out == "answer\n42\n"
    with closing(open_snapshot(snapshot_dir, memory_limit="1GB")) as first:
        main(["--data-dir", str(snapshot_dir), "sql", "SELECT 43 AS answer", "--format", "csv", "--memory-limit", "1GB"])
        assert capsys.readouterr().out == "answer\n43\n"
        with pytest.raises(duckdb.PermissionException):
            first.execute("SELECT * FROM read_text('/etc/passwd')").fetchall()
