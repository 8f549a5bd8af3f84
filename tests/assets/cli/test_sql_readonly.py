"""`planb sql` is read-only: each attack of issue 16 is refused with a one-line error and leaves
the warehouse, the snapshot and the file system as they were; ordinary reads (and the examples of
README and docs/WAREHOUSE.md) still answer.

A real warehouse and snapshot under tmp_path, the real CLI entry point; nothing is mocked. The
working directory is tmp_path, so the relative paths of the attacks point at its files.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from assets.cli.main import main
from warehouse.db import insert_rows, publish_snapshot, snapshot_path, warehouse_path, writer

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_PAGES = [ROOT / "README.md", ROOT / "docs" / "WAREHOUSE.md"]  # where `planb sql` examples are
DAY = date(2026, 11, 1)


def _chat_logs(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame([
        {"day": DAY, "request_id": r, "ts": datetime(2026, 11, 1, 8), "surface": "chat", "mode": "precise",
         "language": "en", "query": f"question {r}", "prompt_tokens": 3, "completion_tokens": 2,
         "latency_ms": 1.0, "source_file": "x.jsonl", "source_line": i + 1}
        for i, r in enumerate(ids)
    ])


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    data = tmp_path / "data"
    with writer(data) as con:
        insert_rows(con, "chat_logs", _chat_logs(["a", "b", "c"]))
    publish_snapshot(data)
    monkeypatch.chdir(tmp_path)
    return data


def _tree(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: size, mtime and content hash."""
    return {str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns,
                                          hashlib.sha256(path.read_bytes()).hexdigest())
            for path in sorted(root.rglob("*")) if path.is_file()}


def _sql(data: Path, query: str, *options: str) -> None:
    main(["--data-dir", str(data), "sql", query, *options])


ATTACKS = [
    # (statement, what the one-line error must say)
    ("ATTACH 'data/warehouse.duckdb' AS w (READ_WRITE); DELETE FROM w.chat_logs", "one statement at a time, got 2"),
    ("ATTACH 'data/warehouse.duckdb' AS w (READ_WRITE)", "ATTACH statements are refused"),
    ("ATTACH ':memory:' AS scratch", "ATTACH statements are refused"),
    ("COPY (SELECT 1) TO 'data/warehouse.duckdb'", "COPY statements are refused"),
    ("COPY chat_logs TO 'elsewhere.csv'", "COPY statements are refused"),
    ("COPY chat_logs FROM '/etc/passwd'", "COPY statements are refused"),
    ("EXPORT DATABASE 'exported'", "EXPORT statements are refused"),
    ("EXPLAIN ANALYZE COPY chat_logs TO 'elsewhere.csv'", "COPY statements are refused"),
    ("SELECT * FROM read_csv('/etc/passwd', sep = ':')", "Cannot access file \"/etc/passwd\""),
    ("SELECT * FROM read_text('/etc/passwd')", "Cannot access file \"/etc/passwd\""),
    ("SELECT * FROM read_blob('data/warehouse.duckdb')", "Cannot access file"),
    ("SELECT * FROM glob('data/*')", "Cannot access file"),
    ("SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')", "Cannot access file \"http://"),
    ("SELECT * FROM 'data/warehouse.duckdb'", "Cannot access file"),
    ("SELECT 1; SELECT 2", "one statement at a time, got 2"),
    ("SELECT 1; COPY chat_logs TO 'elsewhere.csv'", "one statement at a time, got 2"),
    ("", "no statement given"),
    ("SET enable_external_access = true", "SET statements are refused"),
    ("RESET lock_configuration", "SET statements are refused"),
    ("PRAGMA enable_external_access = true", "SET statements are refused"),
    ("PRAGMA force_checkpoint", "PRAGMA force_checkpoint is refused"),
    ("SET VARIABLE x = 1", "SET statements are refused"),
    ("INSTALL httpfs", "LOAD statements are refused"),
    ("LOAD httpfs", "LOAD statements are refused"),
    ("CREATE TEMP TABLE scratch AS SELECT 1", "CREATE statements are refused"),
    ("DELETE FROM chat_logs", "DELETE statements are refused"),
    ("CHECKPOINT", "CALL statements are refused"),
    ("SELEC 1", "Parser Error: syntax error at or near \"SELEC\""),
]


@pytest.mark.parametrize(("query", "reason"), ATTACKS, ids=[query or "empty" for query, _ in ATTACKS])
def test_each_attack_is_refused_in_one_line_and_changes_nothing(data_dir, capsys, query, reason):
    root = data_dir.parent
    before = _tree(root)
    with pytest.raises(SystemExit) as refused:
        _sql(data_dir, query)
    message = str(refused.value.code)
    assert message.startswith("planb sql: ") and reason in message, message
    assert "\n" not in message
    assert "root:" not in capsys.readouterr().out  # nothing of /etc/passwd was printed
    assert _tree(root) == before  # no file written, replaced or removed: warehouse, snapshot, anything


def test_the_warehouse_keeps_its_rows_after_every_attack(data_dir, capsys):
    for query, _ in ATTACKS:
        with pytest.raises(SystemExit):
            _sql(data_dir, query)
    _sql(data_dir, "SELECT count(*) AS n FROM chat_logs", "--format", "csv")
    assert capsys.readouterr().out == "n\n3\n"
    # The live warehouse too, read by plain DuckDB (not our reader).
    import duckdb

    with duckdb.connect(str(warehouse_path(data_dir)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM chat_logs").fetchone() == (3,)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT request_id FROM chat_logs ORDER BY request_id", "request_id\na\nb\nc\n"),
        ("WITH r AS (SELECT request_id FROM chat_logs) SELECT count(*) AS n FROM r", "n\n3\n"),
        ("FROM chat_logs SELECT count(*) AS n", "n\n3\n"),
        ("VALUES (1)", "col0\n1\n"),
        ("SELECT 1 AS one; ", "one\n1\n"),  # a trailing semicolon is still one statement
        ("-- a comment first\nSELECT 2 AS two", "two\n2\n"),
    ],
)
def test_ordinary_reads_answer(data_dir, capsys, query, expected):
    _sql(data_dir, query, "--format", "csv")
    assert capsys.readouterr().out == expected


@pytest.mark.parametrize("query", [
    "DESCRIBE chat_logs", "SHOW TABLES", "SUMMARIZE chat_logs", "EXPLAIN SELECT * FROM chat_logs",
    "EXPLAIN ANALYZE SELECT count(*) FROM chat_logs", "PRAGMA table_info('chat_logs')",
    "PRAGMA database_size", "PIVOT chat_logs ON surface IN ('chat') USING count(*)",
    "SELECT size FROM read_blob('data/snapshot.duckdb')",  # the snapshot itself is what it reads
])
def test_introspection_answers(data_dir, capsys, query):
    _sql(data_dir, query, "--format", "json")
    assert capsys.readouterr().out.startswith("[")


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: p.name)
def test_the_docs_sql_examples_answer(data_dir, capsys, page):
    examples = re.findall(r'planb sql "(.+?)"', page.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert [q for q in examples if q != "SELECT ..."], f"{page.name} has no planb sql example"
    for query in examples:
        if query == "SELECT ...":  # the usage line, not an example
            continue
        _sql(data_dir, query, "--format", "csv")
        assert capsys.readouterr().out.count("\n") >= 1  # a header at least: the columns exist


def test_a_snapshot_published_after_the_attacks_is_whole(data_dir):
    for query, _ in ATTACKS:
        with pytest.raises(SystemExit):
            _sql(data_dir, query)
    publish_snapshot(data_dir)
    import duckdb

    with duckdb.connect(str(snapshot_path(data_dir)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM chat_logs").fetchone() == (3,)
        assert con.execute("SELECT count(*) FROM snapshot_log").fetchone() == (2,)
