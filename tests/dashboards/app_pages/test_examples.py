"""The Examples page shows logged text as text: a query (or id, or segment) holding a Markdown
link, an image or HTML reaches no element that renders Markdown (issue 16).

A real snapshot (the projection of ``snapshot_dir`` plus one scored pair written through the
warehouse writer), the real app through AppTest.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from warehouse.db import insert_rows, publish_snapshot, writer

APP = str(Path(__file__).resolve().parents[3] / "dashboards" / "app.py")
DAY = date(2026, 11, 1)
QUERY = ("what is [the answer](https://attacker.example/phish) ![tracker](https://attacker.example/pixel.png) "
         "<img src=x onerror=alert(1)> **now**")
REQUEST_ID = "req-[id](https://attacker.example/id)"
SURFACE = "![s](https://attacker.example/s.png)"


def _publish_a_hostile_pair(data_dir: Path) -> None:
    with writer(data_dir) as con:
        insert_rows(con, "chat_logs", pl.DataFrame([{
            "day": DAY, "request_id": REQUEST_ID, "ts": datetime(2026, 11, 1, 8), "surface": SURFACE,
            "mode": "precise", "language": "en", "query": QUERY, "prompt_tokens": 9, "completion_tokens": 3,
            "latency_ms": 1.0, "source_file": "x.jsonl", "source_line": 1}]))
        insert_rows(con, "scoring_versions", pl.DataFrame([{
            "scoring_version": "v-test", "rule": "token_f1 >= 0.5", "rule_json": "{}",
            "first_scored_at": datetime(2026, 11, 2)}]))
        insert_rows(con, "replays", pl.DataFrame([
            {"day": DAY, "request_id": REQUEST_ID, "model_key": key, "role": role, "device": "cpu", "output": answer}
            for key, role, answer in [("k-small", "small", "Paris [x](https://attacker.example/a)"),
                                      ("k-large", "large", "Paris")]]))
        insert_rows(con, "agreement", pl.DataFrame([{
            "day": DAY, "request_id": REQUEST_ID, "small_key": "k-small", "large_key": "k-large", "exact": 0.0,
            "token_f1": 0.5, "containment": 1.0, "cosine": 0.9, "agree": True, "decided_by": "token_f1",
            "scoring_version": "v-test"}]))
    publish_snapshot(data_dir)


def test_logged_text_is_shown_as_text_never_as_markdown(monkeypatch, snapshot_dir):
    _publish_a_hostile_pair(snapshot_dir)
    monkeypatch.setenv("PLANB_DATA_DIR", str(snapshot_dir))
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/examples.py").run()
    assert not app.exception, [e.value for e in app.exception]

    # Shown, whole and verbatim, in elements that render no Markdown.
    assert [code.value for code in app.code] == [QUERY]
    texts = [text.value for text in app.text]
    assert f"{REQUEST_ID} · {SURFACE} / precise / en" in texts
    assert "Paris [x](https://attacker.example/a)" in texts

    # No element that renders Markdown carries any of it.
    rendering = [*app.markdown, *app.caption, *app.title, *app.header, *app.subheader, *app.info,
                 *app.warning, *app.success, *app.error]
    assert not [element.value for element in rendering if "attacker.example" in element.value]
    assert any("**agree** (decided by token_f1)" in caption.value for caption in app.caption)
