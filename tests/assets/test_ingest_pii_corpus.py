"""A PII corpus of more than the 33 written forms issue 26's probe used (IDN and accented e-mails,
full-width digits and at signs, numbers without separators, cards with any separators, JSON
escapes, UTF-16 bytes with NULs, PII in ids, labels and file names, a card cut by a detail's
length) seeded in good and bad records and ingested by the Dagster job: every column of every
table, and every file of the Dagster instance's storage, is scanned after NFKC and finds none."""

import json
import re
import unicodedata
from pathlib import Path

import dagster as dg
import duckdb

from assets.definitions import build_definitions
from assets.ingest import landing_sensor
from assets.resources import PlanBResource

TS = "2026-11-01T08:00:00Z"
EMAILS = ["dana.secret@example.org", "jöhn.müller@exämple.de", "renée.dupont@exemple.fr", "dana.plus+tag@example.co.uk",
          "DANA.UPPER@EXAMPLE.ORG", "user@xn--exmple-cua.de", "zoë.ünal@örnek.com.tr", "wang.wei@例子.中国"]
PHONES = ["2025550143", "(202) 555-0143", "202.555.0143", "+1 202 555 0143", "+44 20 7946 0958", "020 7946 0958",
          "+49 30 12345678", "+33 1 23 45 67 89", "２０２５５５０１４３", "+91 98765 43210", "(415)555-2671",
          "+81 3-1234-5678"]
CARDS = ["4111 1111 1111 1111", "4111  1111  1111  1111", "4111.1111.1111.1111", "4111/1111/1111/1111",
         "4111-1111-1111-1111", "4111111111111111", "３７８２ ８２２４６３ １０００５",
         "5500\u00a00000\u00a00000\u00a00004",
         "4012\u20138888\u20138888\u20131881", "6011 0009 9013 9424"]
IPS = ["198.51.100.23", "2001:db8:85a3::8a2e:370:7334", "203.0.113.77"]
FULL_WIDTH_EMAIL = "dana.wide＠example.org"  # NFKC: dana.wide@example.org
FORMS = [*EMAILS, *PHONES, *CARDS, *IPS, FULL_WIDTH_EMAIL]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", _norm(text))


NUMBERS = [_digits(f) for f in (*PHONES, *CARDS)]
ADDRESSES = [_norm(f) for f in (*EMAILS, FULL_WIDTH_EMAIL)]


def _write(landing: Path) -> None:
    lines = []
    for i, form in enumerate(FORMS):
        lines.append(json.dumps({"request_id": f"q{i}", "timestamp": TS, "user_id": "usér-dana", "query": f"x {form} y",
                                 "response": f"it is {FORMS[(i + 1) % len(FORMS)]}"}))
        # escaped as json.dumps writes by default, in a rejected record (raw stored as written)
        lines.append(json.dumps({"request_id": f"bad{i}", "timestamp": f"at {form}", "user_id": "usér-dana",
                                 "query": "q"}))
    # PII in ids and labels
    lines.append(json.dumps({"request_id": PHONES[0], "session_id": EMAILS[1], "timestamp": TS, "query": "q",
                             "model": f"m {CARDS[2]}", "surface": EMAILS[0], "mode": PHONES[4], "language": "en"}))
    # a card cut by the 80-character detail: the detail is cut after redaction
    lines.append(json.dumps({"request_id": "cut", "timestamp": "t" * 70 + " " + CARDS[0], "query": "q"}))
    (landing / "gateway.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # UTF-16 without its byte order mark, named .jsonl: its lines are rejected, NULs and all
    (landing / "windows.jsonl").write_bytes(json.dumps({"request_id": "w", "query": PHONES[0] + " " + EMAILS[0]})
                                            .encode("utf-16-le") + b"\n")
    # PII in a file's name
    (landing / f"export-{EMAILS[0]}-{PHONES[0]}.jsonl").write_text(
        json.dumps({"request_id": "named", "timestamp": TS, "query": "q"}) + "\n")


def _found(text: str) -> list[str]:
    norm, digits = _norm(text.replace("\x00", "")), _digits(text.replace("\x00", ""))
    found = [a for a in ADDRESSES if a in norm]
    found += [n for n in NUMBERS if n in digits]
    found += [ip for ip in IPS if ip in norm]
    return found


def test_a_pii_corpus_is_nowhere_in_the_warehouse_or_dagster_storage(tmp_path, planb_config):
    assert len(FORMS) >= 33
    landing = tmp_path / "landing"
    landing.mkdir()
    _write(landing)
    planb = PlanBResource(config_path=str(planb_config(tmp_path, landing)))
    storage = tmp_path / "dagster"
    storage.mkdir()
    with dg.DagsterInstance.local_temp(str(storage)) as instance:
        context = dg.build_sensor_context(instance=instance, cursor=None, resources={"planb": planb})
        request = landing_sensor(context)
        assert isinstance(request, dg.RunRequest)
        job = build_definitions(planb).resolve_job_def("planb_ingest")
        assert job.execute_in_process(instance=instance, tags=request.tags).success

    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main'").fetchall()]
        hits, scanned = [], 0
        for table in tables:
            columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                                 "WHERE table_name = ?", [table]).fetchall()]
            for column in columns:
                for (value,) in con.execute(f'SELECT CAST("{column}" AS VARCHAR) FROM "{table}" '
                                            f'WHERE "{column}" IS NOT NULL').fetchall():
                    scanned += 1
                    hits += [(table, column, f, value[:120]) for f in _found(value)]
        accepted = con.execute("SELECT count(*) FROM chat_logs").fetchone()[0]
        rejected = con.execute("SELECT count(*) FROM rejected_log_rows").fetchone()[0]
    finally:
        con.close()
    assert hits == []
    assert accepted >= len(FORMS) + 2 and rejected >= len(FORMS) and scanned > 500
    for path in storage.rglob("*"):  # run and event storage (SQLite), compute logs
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert _found(text) == [], (path, _found(text))
