"""README's SQL examples run against the snapshot of a real `planb demo` (issue 24, item 6): each
returns rows, and each threshold an example names is there for every router, as stored (grid
thresholds are the doubles their decimals name, so `threshold IN (0.3, 0.5, 0.7)` finds 0.7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from assets.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
# `planb sql "..."` as README (or a docs/ page it moves to) writes it in a shell block.
SQL_EXAMPLE = re.compile(r'planb sql (?:--format \w+ )?"([^"]+)"')


def examples() -> list[str]:
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = []
    for path in texts:
        for block in re.findall(r"```(?:bash|sh|shell)?\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
            found += [" ".join(query.split()) for query in SQL_EXAMPLE.findall(block)]
    return list(dict.fromkeys(found))


def test_readme_has_sql_examples():
    assert any("threshold IN" in query for query in examples()), examples()


@pytest.mark.parametrize("query", examples())
def test_readme_sql_example_runs_on_the_demo_snapshot(query, pipeline_snapshot, capsys):
    capsys.readouterr()
    main(["--data-dir", str(pipeline_snapshot), "sql", "--format", "json", query])
    rows = json.loads(capsys.readouterr().out)
    assert rows, f"README's example returns no rows: {query}"
    asked = re.search(r"threshold IN \(([^)]*)\)", query)
    if asked:  # every router has every threshold named
        wanted = {float(value) for value in asked.group(1).split(",")}
        routers = {row["router"] for row in rows}
        for router in routers:
            shown = {row["threshold"] for row in rows if row["router"] == router}
            assert wanted <= shown, f"{router}: {sorted(wanted - shown)} missing from {query}"


def test_grid_thresholds_are_stored_as_their_decimals(pipeline_snapshot):
    con = duckdb.connect(str(pipeline_snapshot / "snapshot.duckdb"), read_only=True)
    try:
        noisy = con.execute(
            "SELECT DISTINCT threshold FROM routing_projection WHERE threshold_source = 'grid' "
            "AND threshold <> round(threshold, 6)").fetchall()
    finally:
        con.close()
    assert noisy == []
