"""The `openai` backend: replay through any OpenAI-compatible HTTP server.

vLLM, TGI, Ollama, llama.cpp's server or a hosted API. A completion template is sent to
``{base_url}/completions`` with its stop strings; a chat template to
``{base_url}/chat/completions`` as system + user messages (the server applies the model's own
chat template). Decoding is greedy (temperature 0) with ``max_tokens = max_new_tokens``.
``concurrency`` requests are in flight at once; each attempt may take ``timeout_s``; 429, 5xx,
timeouts and connection errors are retried ``max_retries`` times with exponential backoff and
jitter (or the server's Retry-After).

What each result holds:
- ``prompt_tokens`` / ``output_tokens``: the response's ``usage``, the server's own count. A
  response without usage is recorded as an error: it could not be costed.
- ``seconds``: wall-clock latency of the request's successful attempt, seen from the client. For
  a remote server this is latency (network and the server's queue included), not device-seconds:
  a server that batches shares its device among concurrent requests, one that serialises them
  (llama.cpp's Python server) adds queueing time. Measure device cost with the transformers
  backend on the device, or price a hosted API per token.
- ``mean_logprob`` / ``min_logprob``: over the chosen tokens, when the server returns
  log-probabilities. They are always asked for; a server that refuses them (an HTTP error naming
  logprobs) is asked again without them, for the rest of the run. None when absent.
- ``mean_entropy``: per step over the top-``TOP_LOGPROBS`` alternatives the server returns, so
  a lower bound of the full-vocabulary entropy the transformers backend measures. None without
  them.
- ``error``: why the request failed after its retries (the HTTP status, the error's type when
  the body names one, and a short summary of the server's message; a timeout, a connection error,
  bad JSON, a response with no answer). The other requests go on. The server's text is never
  kept verbatim: a server that echoes the request would put the API key there, so the summary is
  made of the text decoded (HTML entities, URL-encoding, JSON escapes; an HTML page's tags
  dropped) and redacted (scoring/replay/redaction.py: the key in any encoding, wrapped or cut,
  named credentials, key-like tokens).
  An answer that is empty because the model stopped at once is kept as ``""``, as the
  transformers backend keeps it.

Each answered request is its own ReplayBatch of size 1 carrying its latency, so the cost model
fits seconds per request / prompt token / output token on latencies; failed requests have no
batch. The run's device is ``openai:<host>``.

The API key is read at run time from the environment variable named by ``api_key_env``; it is
sent only in the Authorization header, and redacted from every error text and exception message
this module makes (what reaches the warehouse and Dagster's run storage).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx2 as httpx

from scoring.config import ModelSpec
from scoring.replay import redaction
from scoring.replay.engine import (
    ReplayBatch,
    ReplayRequest,
    ReplayResult,
    ReplayRun,
    cut_at_stop,
    render_prompt,
)

TOP_LOGPROBS = 5  # alternatives per step: OpenAI's /completions allows at most 5
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
SERVER_MESSAGE_CHARS = 300  # what is kept of a server's error text, after redaction
_ERROR_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")  # an error type kept as it is ("server_error")
_HIDDEN_HTML = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")


class OpenAIBackendError(RuntimeError):
    """The backend cannot run at all (its API key is missing); per-request failures are
    recorded in ReplayResult.error instead."""


class _Failure(Exception):
    """One request failed; the message is the one-line reason kept in ReplayResult.error."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.status = status


def device_label(base_url: str) -> str:
    """The device of an openai run: ``openai:<host>`` (never the URL's user or password).

    Example:
        >>> device_label("https://user:secret@api.example.com:443/v1")
        'openai:api.example.com'
    """
    return f"openai:{urlsplit(base_url).hostname}"


def replay_openai(spec: ModelSpec, requests: Sequence[ReplayRequest]) -> ReplayRun:
    """Answer ``requests`` through the server at ``spec.base_url``; results in request order.

    Example:
        >>> run = replay_openai(spec, [ReplayRequest("r1", "who wrote hamlet")])  # doctest: +SKIP
        >>> run.results[0].output, run.results[0].output_tokens  # doctest: +SKIP
        ('William Shakespeare', 4)
    """
    if spec.backend != "openai":
        raise ValueError(f"model {spec.name!r} has backend {spec.backend!r}, not 'openai'")
    key = _api_key(spec)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    limits = httpx.Limits(max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency)
    run = ReplayRun(device=device_label(spec.base_url))
    state = {"logprobs": True}  # turned off once if the server refuses log-probs
    try:
        client = httpx.Client(base_url=spec.base_url, headers=headers, timeout=spec.timeout_s, limits=limits)
        with client, ThreadPoolExecutor(max_workers=spec.concurrency) as pool:
            replies = list(pool.map(lambda r: _replay_one(client, spec, r, state, key), requests))
    except Exception as err:
        # Whatever escapes reaches Dagster's run storage: its message redacted, the original
        # (whose text may hold the key) not chained.
        raise OpenAIBackendError(f"model {spec.name!r}: {type(err).__name__}: "
                                 f"{redaction.summary(str(err), key)}") from None
    for result, batch in replies:
        run.results.append(result)
        if batch is not None:
            run.batches.append(batch)
    return run


def _api_key(spec: ModelSpec) -> str | None:
    if spec.api_key_env is None:
        return None
    key = os.environ.get(spec.api_key_env)
    # The config refuses a key given as the name; should one come through, it is not shown.
    named = ("the environment variable its api_key_env names" if redaction.looks_like_key(spec.api_key_env)
             else f"environment variable {spec.api_key_env} (its api_key_env)")
    if not key:
        raise OpenAIBackendError(f"model {spec.name!r}: {named} is not set")
    if not (key.isascii() and key.isprintable()):  # an HTTP header could not carry it
        raise OpenAIBackendError(
            f"model {spec.name!r}: {named} holds a character an HTTP header cannot carry (a newline, a "
            f"control or non-ASCII character)")
    return key


def _payload(spec: ModelSpec, query: str, logprobs: bool) -> tuple[str, dict]:
    template = spec.template
    body: dict = {"model": spec.api_model or spec.name, "max_tokens": spec.max_new_tokens,
                  "temperature": 0}
    if template.stop:
        body["stop"] = list(template.stop)
    if template.kind == "completion":
        body["prompt"] = render_prompt(template, query, tokenizer=None)
        if logprobs:
            body["logprobs"] = TOP_LOGPROBS
        return "/completions", body
    body["messages"] = [{"role": "user", "content": query}]
    if template.system:
        body["messages"].insert(0, {"role": "system", "content": template.system})
    if logprobs:
        body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
    return "/chat/completions", body


def _replay_one(client: httpx.Client, spec: ModelSpec, request: ReplayRequest, state: dict,
                key: str | None) -> tuple[ReplayResult, ReplayBatch | None]:
    try:
        try:
            path, body = _payload(spec, request.query, state["logprobs"])
            reply, seconds = _post(client, path, body, spec, key)
        except _Failure as failure:
            if not (state["logprobs"] and failure.status and "logprob" in str(failure).lower()):
                raise
            state["logprobs"] = False  # this server refuses log-probs: stop asking
            path, body = _payload(spec, request.query, False)
            reply, seconds = _post(client, path, body, spec, key)
        text, prompt_tokens, output_tokens, chosen, alternatives = _parse(reply, path)
    except _Failure as failure:
        reason = redaction.redact(str(failure), key)  # its parts were; the whole once more
        return ReplayResult(request.request_id, output=None, prompt_tokens=0, output_tokens=0, seconds=0.0,
                            mean_logprob=None, min_logprob=None, mean_entropy=None, batch_id=None,
                            error=reason), None
    entropies = [_entropy(step) for step in alternatives]
    batch_id = uuid.uuid4().hex[:12]
    result = ReplayResult(
        request.request_id,
        output=cut_at_stop(text, spec.template.stop),
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        seconds=seconds,
        mean_logprob=sum(chosen) / len(chosen) if chosen else None,
        min_logprob=min(chosen) if chosen else None,
        mean_entropy=sum(entropies) / len(entropies) if entropies else None,
        batch_id=batch_id,
    )
    # A request is its own batch of one: no padding, one decode step per output token.
    batch = ReplayBatch(batch_id, 1, prompt_tokens, output_tokens, prompt_tokens, output_tokens, seconds)
    return result, batch


def _post(client: httpx.Client, path: str, body: dict, spec: ModelSpec, key: str | None) -> tuple[dict, float]:
    """The response's JSON and the seconds its attempt took, retrying what may pass later.

    Every text from the server or the network in a failure is a redacted summary (``key``)."""
    for attempt in range(spec.max_retries + 1):
        wait = None
        started = time.perf_counter()
        try:
            response = client.post(path, json=body)
        except httpx.TimeoutException as err:
            failure = _Failure(f"timeout: no response within {spec.timeout_s:g} s ({type(err).__name__})")
        except httpx.RequestError as err:  # the network, the protocol, decoding, redirects
            failure = _Failure(f"connection error: {type(err).__name__}: {redaction.summary(str(err), key)}")
        else:
            seconds = time.perf_counter() - started
            if response.status_code < 400:
                try:
                    return response.json(), seconds
                except ValueError:
                    raise _Failure("bad JSON from the server: "
                                   f"{redaction.summary(response.text, key, limit=120)!r}") from None
            message, kind = _server_message(response)
            failure = _Failure(f"HTTP {response.status_code}{f' ({kind})' if kind else ''}: "
                               f"{redaction.summary(message, key, limit=SERVER_MESSAGE_CHARS)}",
                               response.status_code)
            if response.status_code != 429 and response.status_code < 500:
                raise failure  # the request itself is wrong: the same request fails again
            wait = _retry_after(response)
        if attempt < spec.max_retries:
            time.sleep(wait if wait is not None else _backoff(attempt))
    if spec.max_retries:
        failure.args = (f"{failure} (after {spec.max_retries + 1} attempts)",)
    raise failure


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, so that concurrent
    requests that failed together do not retry together."""
    step = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)
    return step / 2 + random.uniform(0, step / 2)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(BACKOFF_CAP_S, max(0.0, float(response.headers["retry-after"])))
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: use our own backoff


def _server_message(response: httpx.Response) -> tuple[str, str | None]:
    """The error's own message when the body has one (OpenAI's error.message, FastAPI's
    detail), else the body (an HTML page's text without its tags); and its type (OpenAI's
    error.type, else error.code) when that is a plain identifier. The message is unredacted and
    uncut: the caller summarises it."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        if "html" in response.headers.get("content-type", "").lower() or text.startswith("<"):
            text = _TAGS.sub(" ", _HIDDEN_HTML.sub(" ", text))
        return text.strip() or response.reason_phrase, None
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message")))
        kind = None
        if isinstance(error, dict):
            kind = next((v for v in (error.get("type"), error.get("code")) if isinstance(v, str)), None)
            error = error.get("message", error)
        kind = kind if kind and _ERROR_TYPE.fullmatch(kind) and not redaction.looks_like_key(kind) else None
        if error is not None:
            return (error if isinstance(error, str) else json.dumps(error)), kind
    return json.dumps(body), None


def _parse(reply: dict, path: str) -> tuple[str, int, int, list[float], list[list[float]]]:
    """(text, prompt tokens, output tokens, chosen log-probs, alternatives' log-probs per step)."""
    try:
        choice = reply["choices"][0]
        chat = path == "/chat/completions"
        text = choice["message"].get("content") if chat else choice.get("text")
        usage = reply.get("usage") or {}
        prompt_tokens, output_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
        logprobs = choice.get("logprobs") or {}
        if chat:
            steps = logprobs.get("content") or []
            chosen = [step.get("logprob") for step in steps]
            alternatives = [[alt.get("logprob") for alt in step.get("top_logprobs") or []] for step in steps]
        else:
            chosen = list(logprobs.get("token_logprobs") or [])
            alternatives = [list(top.values()) for top in logprobs.get("top_logprobs") or [] if top]
    except (KeyError, IndexError, TypeError, AttributeError) as err:
        raise _Failure(f"unexpected response from the server ({type(err).__name__}: {err})") from None
    if not isinstance(text, str):
        raise _Failure("the response has no answer text")
    if not (isinstance(prompt_tokens, int) and isinstance(output_tokens, int)):
        raise _Failure("the response has no usage token counts (prompt_tokens, completion_tokens)")
    chosen = [lp for lp in chosen if _finite(lp)]
    alternatives = [[lp for lp in step if _finite(lp)] for step in alternatives]
    return text, prompt_tokens, output_tokens, chosen, [step for step in alternatives if step]


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _entropy(logprobs: list[float]) -> float:
    """Entropy (nats) of the listed alternatives: a lower bound of the whole distribution's."""
    return -sum(math.exp(lp) * lp for lp in logprobs)
