"""PII seeded in good and bad records of every format is nowhere in the warehouse: every text
column of every table is scanned for it after ingestion (rejected raw text and details included,
card numbers written with Unicode spaces and dashes included)."""

import json
import re
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.db import writer
from warehouse.ingestion import IngestSettings, ingest_paths

TS = "2026-11-01T08:00:00Z"
EMAIL, USER, IP = "dana.secret@example.org", "user-dana-4471", "198.51.100.23"
PHONE = "+44 20 7946 0958"
CARDS = ["4111 1111 1111 1111", "4111\u00a01111\u00a01111\u00a01111", "5500\u202f0000\u202f0000\u20030004",
         "4012\u20138888\u20138888\u20131881", "3782\u200b822463\u200b10005"]
# what must not be found anywhere, compared on digits alone for numbers (any separator)
SECRETS = [EMAIL, USER, IP]
DIGITS = [re.sub(r"\D", "", c) for c in CARDS] + [re.sub(r"\D", "", PHONE)]


dumps = partial(json.dumps, ensure_ascii=False)  # as exporters write UTF-8 (see docs/INGESTION.md on \u escapes)


def _pii(i: int) -> str:
    return f"mail {EMAIL} or call {PHONE}, card {CARDS[i % len(CARDS)]}, from {IP}"


def _write(root: Path) -> list[Path]:
    flat = root / "flat.jsonl"
    lines = []
    for i in range(len(CARDS)):
        lines.append(dumps({"request_id": f"f{i}", "timestamp": TS, "user_id": USER, "query": _pii(i),
                                 "response": _pii(i + 1)}))
    lines += [
        dumps({"request_id": "b1", "timestamp": TS, "user_id": USER, "query": _pii(0), "prompt_tokens": EMAIL}),
        dumps({"request_id": "b2", "timestamp": f"{CARDS[1]}", "user_id": USER, "query": _pii(1)}),
        dumps({"request_id": "b3", "timestamp": TS, "user_id": USER, "query": _pii(2), "latency_ms": PHONE}),
        dumps({"request_id": "b4", "timestamp": TS, "user_id": USER, "query": _pii(3), "surface": {"u": USER}}),
        dumps({"request_id": "b5", "timestamp": TS, "user_id": USER, "query": "x" * 600 + _pii(4)}),
        '{"request_id": "b6", "user_id": "' + USER + '", "query": "' + _pii(0) + '"',  # invalid JSON
        # as json.dumps writes by default: the cards' Unicode separators as \u escapes, kept so in the raw line
        *(json.dumps({"request_id": f"e{i}", "timestamp": "not a time", "user_id": USER, "query": _pii(i)})
          for i in range(len(CARDS))),
    ]
    flat.write_text("\n".join(lines) + "\n", encoding="utf-8")
    csv = root / "rows.csv"
    csv.write_text(
        "request_id,timestamp,user_id,query,response\n"
        f'c1,{TS},{USER},"{_pii(0)}","{_pii(1)}"\n'
        f'c2,{TS},{USER},"{_pii(2)}"\n'  # too few cells
        f'c3,{TS},{USER},"{_pii(3)}","{_pii(4)}",{EMAIL},{CARDS[2]}\n'  # too many
        f'c4,{TS},{USER},"{_pii(1)}",{PHONE}\n', encoding="utf-8")
    openai = root / "gateway.jsonl"
    openai.write_text(dumps({
        "request": {"model": "m", "user": USER, "messages": [{"role": "system", "content": _pii(3)},
                                                            {"role": "user", "content": _pii(4)}]},
        "response": {"id": "o1", "created": 1793520000, "choices": [{"message": {"content": _pii(0)}}]}}) + "\n"
        + dumps({"request": {"user": USER, "messages": [{"role": "wizard", "content": _pii(1)}]},
                      "response": {"id": "o2", "created": 1793520000}}) + "\n", encoding="utf-8")
    conversation = root / "conversations.jsonl"
    conversation.write_text(dumps({
        "conversation_id": "k1", "user_id": USER, "timestamp": TS,
        "conversation": [{"role": "user", "content": _pii(2)}, {"role": "assistant", "content": _pii(3)},
                         {"role": "user", "content": _pii(4)}]}) + "\n", encoding="utf-8")
    parquet = root / "table.parquet"
    pq.write_table(pa.table({"request_id": ["p1", "p2"], "timestamp": [TS, "not a time " + EMAIL],
                             "user_id": [USER, USER], "query": [_pii(0), _pii(1)]}), parquet)
    return [flat, csv, openai, conversation, parquet]


def test_no_seeded_pii_in_any_text_column_of_any_table(tmp_path):
    root = tmp_path / "landing"
    root.mkdir()
    files = _write(root)
    with writer(tmp_path / "data") as con:
        reports = ingest_paths(con, [str(root)], IngestSettings(salt="s", max_field_chars=500, raw_chars=5000))
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR' AND table_schema = 'main'").fetchall()
        texts = {(t, c): [v for (v,) in con.execute(f'SELECT "{c}" FROM "{t}" WHERE "{c}" IS NOT NULL').fetchall()]
                 for t, c in columns}
    assert {r.status for r in reports} == {"ingested"} and len(reports) == len(files)
    assert sum(r.accepted for r in reports) >= 10 and sum(sum(r.rejected.values()) for r in reports) >= 10
    scanned = 0
    for (table, column), values in texts.items():
        for value in values:
            scanned += 1
            for secret in SECRETS:
                assert secret not in value, (table, column, value)
            digits = re.sub(r"\D", "", re.sub(r"\\u[0-9A-Fa-f]{4}", "", value))  # a separator's JSON escape holds digits
            for number in DIGITS:
                assert number not in digits, (table, column, number, value)
    rejected = texts[("rejected_log_rows", "raw")]
    assert len(rejected) >= 10 and scanned > 50
    assert any("[CARD]" in v for v in rejected) and any("[EMAIL]" in v for v in texts[("rejected_log_rows", "detail")])


def test_a_quarantined_files_message_is_redacted_too(tmp_path):
    from warehouse.ingestion.files import FileReport, quarantine

    with writer(tmp_path / "data") as con:
        report = quarantine(con, FileReport("x.csv", "ab", 9, "csv", "ingested"),
                            ValueError(f"CSV parse error: row 3: {EMAIL},{CARDS[1]},{PHONE}"))
        (detail,) = con.execute("SELECT detail FROM quarantined_files").fetchall()[0]
    assert detail == report.detail == "CSV parse error: row 3: [EMAIL],[CARD],[PHONE]"
