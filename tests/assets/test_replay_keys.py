"""No piece of the API key is stored anywhere when the upstream server echoes it (issue 26): both
models replay a day through the openai backend against a real HTTP server on loopback that fails
every request with the request's headers echoed HTML-escaped, as numeric entities, URL-encoded,
wrapped at 20 columns, base64-wrapped at 76, in JSON and cut short. The day is ingested, sampled
and replayed by Dagster on a real instance, the snapshot published, and then every column of every
table of the warehouse and the snapshot, and every file of the Dagster storage, is read as an
attacker would (escapes undone, whitespace joined, base64 decoded at every alignment)."""

import base64
import html
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

import dagster as dg
import duckdb
import pytest

from assets.ingest import chat_logs
from assets.partitions import partitioned
from assets.replay import large_replays, replay_sample, small_replays
from assets.resources import PlanBResource
from warehouse.db import publish_snapshot

DAY = "2026-11-01"
KEY_ENV = "PLANB_E2E_UPSTREAM_KEY"
KEY = "sk-proj-Yt5Rq2Lm8Np4Kx7Wz1Vb3Hc6Jd9Fg0Sa"
PIECE = 8  # characters of the key that count as a leak


def _wrapped(text: str, width: int) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


SHAPES = [
    lambda h, k: ("text/html", f"<h1>502 Bad Gateway</h1><pre>{html.escape(h)}</pre>"),
    lambda h, k: ("text/html", "<p>key " + "".join(f"&#{ord(c)};" for c in k) + "</p>"),
    lambda h, k: ("text/plain", f"upstream: {quote(h)}"),
    lambda h, k: ("text/plain", "dump:\n" + _wrapped(h.replace("\r\n", " "), 20)),
    lambda h, k: ("text/plain", "request:\n" + base64.encodebytes(h.encode()).decode()),
    lambda h, k: ("application/json", json.dumps({"error": {"message": f"headers {h}", "type": "server_error"}})),
    lambda h, k: ("text/plain", f"Incorrect API key provided: {k[:26]}****"),
]


class _Echo(BaseHTTPRequestHandler):
    turn = itertools.count()

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        token = self.headers.get("authorization", "").removeprefix("Bearer ")
        kind, body = SHAPES[next(self.turn) % len(SHAPES)](f"POST {self.path} HTTP/1.1\r\n{self.headers}", token)
        payload = body.encode()
        self.send_response(400)  # final: not retried
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def _pieces(text: str) -> set[str]:
    for _ in range(3):
        text = html.unescape(unquote(text))
    flat = re.sub(r"\s+|\\[nrt]", "", text)
    readings = [flat.lower()]
    for run in re.findall(r"[A-Za-z0-9+/_=-]{8,}", flat):
        for start in range(4):
            chunk = run[start:].rstrip("=")
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    readings.append(decode(chunk[: len(chunk) // 4 * 4]).decode("latin-1").lower())
                except ValueError:
                    continue
    body = KEY.removeprefix("sk-proj-")  # the public prefix is no secret
    return {body[i:i + PIECE] for i in range(len(body) - PIECE + 1)
            if any(body[i:i + PIECE].lower() in reading for reading in readings)}


def _database_text(path) -> list[tuple[str, str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        found = []
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main'").fetchall()]
        for table in tables:
            for (column,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                         [table]).fetchall():
                found += [(table, column, value) for (value,) in con.execute(
                    f'SELECT CAST("{column}" AS VARCHAR) FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()]
        return found
    finally:
        con.close()


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_an_echoed_key_is_in_no_table_snapshot_or_dagster_file(tmp_path, monkeypatch, echo_server, bundled_log,
                                                               landing, planb_config):
    assert _pieces(f"x {_wrapped(KEY, 20)} {base64.encodebytes(KEY.encode()).decode()}")  # the reader finds leaks
    monkeypatch.setenv(KEY_ENV, KEY)
    model = {"backend": "openai", "base_url": echo_server, "api_key_env": KEY_ENV, "max_retries": 0,
             "concurrency": 2, "template": {"kind": "chat"}}
    config = planb_config(tmp_path, landing(tmp_path, bundled_log([DAY], with_query=True, per_day=30)),
                          models={"small": {**model, "name": "s", "role": "small"},
                                  "large": {**model, "name": "l", "role": "large"}},
                          sample={"per_day": 2 * len(SHAPES)})
    planb = PlanBResource(config_path=str(config))
    storage = tmp_path / "dagster"
    storage.mkdir()
    with dg.DagsterInstance.local_temp(str(storage)) as instance:
        result = dg.materialize(partitioned([chat_logs, replay_sample, small_replays, large_replays], planb.load()),
                                partition_key=DAY, instance=instance, resources={"planb": planb})
        assert result.success
    data = tmp_path / "data"
    publish_snapshot(data)

    errors = [value for table, column, value in _database_text(data / "snapshot.duckdb")
              if (table, column) == ("replays", "error")]
    # every shape, twice a model
    assert len(errors) == 4 * len(SHAPES) and all(e.startswith("HTTP 400") for e in errors)
    assert any("Authorization: [REDACTED]" in e for e in errors)  # what the message said is kept, the key not
    for path in (data / "warehouse.duckdb", data / "snapshot.duckdb"):
        leaks = [(table, column, value[:100]) for table, column, value in _database_text(path) if _pieces(value)]
        assert leaks == [], (path.name, leaks)
    files = [p for p in storage.rglob("*") if p.is_file()]
    assert files
    for path in files:  # run and event storage (SQLite), compute logs
        assert _pieces(path.read_bytes().decode("utf-8", errors="replace")) == set(), path
