"""The Data health page through AppTest: on the snapshot of a real `planb demo` (its numbers equal
plain SQL over the snapshot; runs and check results copied from the real Dagster instance), and
on snapshots without a projection, without runs, or without any snapshot."""

from __future__ import annotations

import doctest
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import health_figures
from dashboards.app_pages import data_health
from dashboards.view import NO_SNAPSHOT
from warehouse.db import publish_snapshot, snapshot_path, writer

APP = str(Path(__file__).resolve().parents[3] / "dashboards" / "app.py")


def sql(data_dir: Path, query: str) -> list[tuple]:
    """Plain DuckDB over the published snapshot, read-only, independent of the dashboard."""
    con = duckdb.connect(str(snapshot_path(data_dir)), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def health_page(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> AppTest:
    monkeypatch.setenv("PLANB_DATA_DIR", str(data_dir))
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/data_health.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Data health"
    return app


def metrics(app: AppTest) -> dict[str, int]:
    return {metric.label: int(metric.value.replace(",", "")) for metric in app.metric}


def table(app: AppTest, first_column: str):
    """The shown dataframe whose first column is ``first_column`` (pandas, as AppTest gives it)."""
    found = [frame.value for frame in app.dataframe if frame.value.columns[0] == first_column]
    assert len(found) == 1, [list(frame.value.columns) for frame in app.dataframe]
    return found[0]


def test_numbers_equal_sql_over_the_pipeline_snapshot(monkeypatch, pipeline_snapshot: Path) -> None:
    app = health_page(monkeypatch, pipeline_snapshot)
    shown = metrics(app)
    (days, logged), = sql(pipeline_snapshot, "SELECT count(DISTINCT day), count(*) FROM chat_logs")
    (rejected,), = sql(pipeline_snapshot, "SELECT count(*) FROM rejected_log_rows")
    (failed,), = sql(pipeline_snapshot, "SELECT count(*) FROM asset_check_results "
                                        "WHERE NOT passed AND severity = 'ERROR'")
    assert shown["Days present"] == days == 2
    assert shown["Logged rows"] == logged > 0
    assert shown["Rejected rows"] == rejected >= 1
    assert shown["Failed checks"] == failed == 0

    per_day = table(app, "Day")
    expected = sql(pipeline_snapshot, """
        SELECT day,
               (SELECT count(*) FROM chat_logs c WHERE c.day = d.day),
               (SELECT count(*) FROM rejected_log_rows r WHERE r.day = d.day),
               (SELECT count(*) FROM replay_sample s WHERE s.day = d.day),
               (SELECT count(DISTINCT request_id) FROM replays p WHERE p.day = d.day AND role = 'small' AND error IS NULL),
               (SELECT count(DISTINCT request_id) FROM replays p WHERE p.day = d.day AND role = 'large' AND error IS NULL),
               (SELECT count(DISTINCT request_id) FROM agreement a WHERE a.day = d.day)
        FROM (SELECT DISTINCT day FROM chat_logs) d ORDER BY day""")
    columns = ["Day", "Logged rows", "Rejected rows", "Sampled", "Replayed (small)", "Replayed (large)",
               "Scored (agreement)"]
    shown_rows = [(date.fromisoformat(row[0]), *map(int, row[1:]))
                  for row in per_day[columns].itertuples(index=False)]
    assert shown_rows == expected
    assert [day for day, *_ in expected] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert all(sampled > 0 and scored == sampled for _, _, _, sampled, _, _, scored in expected)
    rows_chart = json.loads(app.get("plotly_chart")[0].proto.spec)["data"]
    assert [(trace["name"], trace["y"]) for trace in rows_chart] == [
        ("Accepted", [row[1] for row in expected]), ("Rejected", [row[2] for row in expected])]

    reasons = table(app, "Reason")
    assert "invalid_json" in set(reasons["Reason"])
    by_reason = dict(sql(pipeline_snapshot, "SELECT reason, count(*) FROM rejected_log_rows GROUP BY reason"))
    assert dict(zip(reasons["Reason"], reasons["Rows"].astype(int), strict=True)) == by_reason

    checks = table(app, "Result")
    passing = checks[(checks["Check"] == "chat_logs_rows_and_schema") & (checks["Result"] == "passed")]
    assert sorted(passing["Partition"]) == ["2026-11-01", "2026-11-02"]
    assert passing["Blocking"].all()
    assert len(checks) == sql(pipeline_snapshot, "SELECT count(*) FROM asset_check_results")[0][0]

    runs = table(app, "Status")
    assert len(runs) == sql(pipeline_snapshot, "SELECT count(*) FROM pipeline_runs")[0][0]
    daily = runs[runs["Job"] == "planb_daily"]
    assert set(daily["Status"]) == {"SUCCESS"}
    assert sorted(daily["Partition"]) == ["2026-11-01", "2026-11-02"]
    # The window run was publishing the snapshot when it copied the runs: still STARTED.
    assert runs.iloc[0]["Job"] == "planb_window" and runs.iloc[0]["Status"] == "STARTED"


def test_snapshot_without_projection_runs_or_checks(monkeypatch, tmp_path: Path) -> None:
    """A snapshot published outside Dagster, before any projection: counts, and a message for
    the empty sections instead of an error."""
    with writer(tmp_path) as con:
        con.execute("""
            INSERT INTO chat_logs (day, request_id, ts, query, source_file, source_line) VALUES
                ('2026-11-01', 'a', '2026-11-01 08:00', 'q a', 'x.jsonl', 1),
                ('2026-11-03', 'b', '2026-11-03 08:00', 'q b', 'x.jsonl', 2)""")
        con.execute("INSERT INTO rejected_log_rows (day, source_file, source_line, reason) "
                    "VALUES (NULL, 'x.jsonl', 3, 'invalid_json')")
        con.execute("INSERT INTO quarantined_files VALUES ('landing/y.jsonl.gz', 40, 'ab12cd', 'flat', "
                    "'corrupt_compression', 'gzip: invalid header', '2026-11-03 09:00')")
    publish_snapshot(tmp_path)
    app = health_page(monkeypatch, tmp_path)
    assert metrics(app) == {"Days present": 2, "Logged rows": 2, "Rejected rows": 1, "Quarantined files": 1,
                            "Failed checks": 0, "Check warnings": 0}
    quarantined = table(app, "File")
    assert list(quarantined.itertuples(index=False))[0][:3] == (
        "landing/y.jsonl.gz", "corrupt_compression", "gzip: invalid header")
    days = app.metric[0]
    assert days.delta == "1 missing in the range"  # 2026-11-02 has nothing
    assert app.metric[2].delta == "1 without a readable day"
    assert [row[1] for row in table(app, "Day").itertuples(index=False)] == [1, 0, 1]
    messages = " ".join(info.value for info in app.info)
    assert "no check results" in messages and "no Dagster runs" in messages


def test_empty_snapshot_and_no_snapshot(monkeypatch, tmp_path: Path) -> None:
    publish_snapshot(tmp_path / "empty")
    app = health_page(monkeypatch, tmp_path / "empty")
    assert metrics(app)["Logged rows"] == 0
    assert "no log rows yet" in " ".join(info.value for info in app.info)

    app = health_page(monkeypatch, tmp_path / "nothing")
    assert not app.metric
    assert app.info[0].value == NO_SNAPSHOT.format(data_dir=tmp_path / "nothing")


@pytest.mark.parametrize("module", [data_health, health_figures])
def test_docstring_examples(module) -> None:
    assert doctest.testmod(module).failed == 0
