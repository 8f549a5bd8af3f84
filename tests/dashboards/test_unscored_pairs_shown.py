"""Every dashboard page shows, in the shared sidebar, how many of the latest rule's pairs are
unscored (open-ended answers with no judge), read from a real published snapshot."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from dashboards.app import PAGES
from warehouse.db import insert_rows, publish_snapshot, writer

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


def _add_scored_pairs(data_dir: Path) -> None:
    # An older rule with every pair labelled, then the latest: 3 labelled, 2 unscored.
    versions = pl.DataFrame({"scoring_version": ["old", "new"], "rule": ["old rule", "new rule"],
                             "rule_json": ["{}", "{}"],
                             "first_scored_at": [datetime(2026, 11, 1), datetime(2026, 11, 2)]})
    agree = {"old": [True, False, True, True, False], "new": [True, False, True, None, None]}
    rows = [{"day": date(2026, 11, 1), "request_id": f"r{i}", "small_key": "s", "large_key": "l",
             "exact": 0.0, "token_f1": 0.5, "containment": 0.5, "cosine": None, "agree": label,
             "kind": "open" if label is None else "short", "scoring_version": version}
            for version, labels in agree.items() for i, label in enumerate(labels)]
    with writer(data_dir) as con:
        insert_rows(con, "scoring_versions", versions)
        insert_rows(con, "agreement", pl.DataFrame(rows, schema_overrides={"agree": pl.Boolean, "cosine": pl.Float64}))
    publish_snapshot(data_dir)


def test_every_page_says_how_many_pairs_are_unscored(monkeypatch, snapshot_dir):
    _add_scored_pairs(snapshot_dir)
    monkeypatch.setenv("PLANB_DATA_DIR", str(snapshot_dir))
    app = AppTest.from_file(APP, default_timeout=60).run()
    for module, _, _ in PAGES:
        app.switch_page(module)
        app.run()  # the sidebar is drawn before the page, whatever the page then shows
        captions = [c.value for c in app.sidebar.caption]
        line = "Replayed pairs (latest rule): 5 · 3 labelled · 2 unscored (open-ended, no judge: left out of agreement)"
        assert line in captions, (module, captions)


def test_the_demo_summary_counts_unscored_pairs_and_the_judges_cost(snapshot_dir):
    from assets.cli.summary import label_lines

    _add_scored_pairs(snapshot_dir)
    assert label_lines(snapshot_dir) == [
        "Pairs scored: 5, 3 labelled, 2 unscored (40.0%: open-ended answers with no judge configured, "
        "left out of agreement)."]
    calls = pl.DataFrame([{"day": date(2026, 11, 1), "request_id": "r3", "small_key": "s", "large_key": "l",
                           "judge_key": "j", "scoring_version": version, "answer_order": order, "output": "[[A]]",
                           "verdict": 1.0, "prompt_tokens": 300, "output_tokens": 4, "seconds": 1.25,
                           "device": "cpu"}
                          for version in ("old", "new") for order in ("small_first", "large_first")])
    with writer(snapshot_dir) as con:
        insert_rows(con, "judge_calls", calls)
        insert_rows(con, "models", pl.DataFrame({"model_key": ["j"], "name": ["tiny-judge"], "role": ["judge"],
                                                 "backend": ["transformers"], "spec_json": ["{}"]}))
    publish_snapshot(snapshot_dir)
    assert label_lines(snapshot_dir)[1] == ("Judge tiny-judge: 1 pairs, 2 calls, 608 tokens, 2.5 device-seconds "
                                            "on cpu (the cost of this analysis).")  # the latest rule's calls only
