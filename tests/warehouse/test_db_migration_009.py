"""Migration 009 on a warehouse built by migrations 001-008 with rows in it: agreement gains
kind and the judge's cut flags, agree becomes nullable (NULL = unscored), the old rows stay."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from warehouse.db import migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "warehouse" / "migrations"
OLD_ROW = (date(2026, 11, 1), "r1", "s", "l", 1.0, 1.0, 1.0, 0.9, True, "v1")


def _warehouse_before_009(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    for sql_file in sorted(MIGRATIONS.glob("00[1-8]_*.sql")):
        con.execute(sql_file.read_text(encoding="utf-8"))
        version, name = sql_file.stem.split("_", 1)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)", [int(version), name])
    con.execute("INSERT INTO agreement (day, request_id, small_key, large_key, exact, token_f1, containment, "
                "cosine, agree, scoring_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(OLD_ROW))
    return con


def test_009_makes_agree_nullable_and_keeps_the_rows_of_before(tmp_path):
    con = _warehouse_before_009(tmp_path / "warehouse.duckdb")
    with pytest.raises(duckdb.ConstraintException):  # before 009 an unscored pair cannot be stored
        con.execute("INSERT INTO agreement (day, request_id, small_key, large_key, exact, token_f1, containment, "
                    "cosine, agree, scoring_version) VALUES ('2026-11-01', 'r2', 's', 'l', 0, 0, 0, 0, NULL, 'v1')")
    assert 9 in migrate(con)
    assert con.execute("SELECT request_id, agree, kind, judge_chars_cut FROM agreement").fetchall() == [
        ("r1", True, None, None)]
    con.execute("INSERT INTO agreement (day, request_id, small_key, large_key, exact, token_f1, containment, cosine, "
                "agree, kind, decided_by, judge_chars_cut, judge_prompt_truncated, scoring_version) VALUES "
                "('2026-11-01', 'r2', 's', 'l', 0, 0.2, 0.1, NULL, NULL, 'open', 'unscored', NULL, NULL, 'v2')")
    counts = con.execute("SELECT count(*), count(agree), avg(agree::INT) FROM agreement").fetchone()
    assert counts == (2, 1, 1.0)  # the unscored pair is left out of the agree share, not a disagreement
    columns = {row[0] for row in con.execute("DESCRIBE judge_calls").fetchall()}
    assert {"preference", "prompt_truncated", "chars_cut"} <= columns
    nullable = dict(con.execute("SELECT column_name, is_nullable FROM information_schema.columns "
                                "WHERE table_name = 'agreement'").fetchall())
    assert nullable["agree"] == "YES" and nullable["cosine"] == "YES" and nullable["request_id"] == "NO"
    assert migrate(con) == []  # applied once
