"""Secrets out of the text a server sends back, before it is stored or logged.

A server that echoes the request (its headers, a debug dump of it) puts the API key into its
error text, which would land in ``replays.error`` and in Dagster's run storage. What is kept of
such a text is a short summary, redacted first:

- the text is decoded first, so every pattern below sees what the escapes stand for: HTML
  entities (``&#115;&#107;``, ``&quot;``), URL-encoding (``%3A%20``) and JSON escapes
  (``\\u0073``, ``\\n``), each up to three times over (an escape of an escape);
- the configured key in every form a server may echo it: as is (any case), URL-encoded,
  JSON-, repr- or HTML-escaped, hex, and base64 (standard and URL-safe) at each of the three
  alignments, so it is found inside an encoded ``Bearer <key>`` or ``user:<key>`` as well. Any
  piece of 8 or more characters of one of these forms is found, and whitespace (a text wrapped
  at any width, base64 wrapped at 76 columns) is skipped while looking, so neither a wrapped key
  nor a cut one leaves a recoverable piece;
- the value of any credential a header or parameter names (Authorization, Bearer / Basic /
  Digest, api-key, x-api-key, access or refresh token, secret, password, cookie, session id);
- key-like tokens that are not the key: the shapes of common providers' keys (``sk-...``,
  ``ghp_...``, ``hf_...``, ``AKIA...``, ``AIza...``, ``xoxb-...``, JWTs), 32 or more hex digits,
  and 16 or more letters and digits mixed with no separator (another service's key, a base64
  blob); names such as ``Meta-Llama-3-70B-Instruct`` keep their short parts. These are looked
  for in the text as it is and with its line breaks removed, so a token wrapped over lines goes
  whole.

Plain functions of text: no import of the rest of Plan B.
"""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus, unquote

REDACTED = "[REDACTED]"
MAX_SCANNED_CHARS = 65_536  # an error body beyond this is not read further
MIN_FORM_CHARS = 8  # a transformed form, or a piece of one, shorter than this matches ordinary text
DECODE_ROUNDS = 3  # an escape of an escape of an escape is decoded; deeper nesting is not

_SCHEME = re.compile(r"\b(bearer|basic|digest)(\s+)(?!\[REDACTED\])([^\s\"',;&}\])\[]+)", re.IGNORECASE)
_CREDENTIAL = re.compile(
    r"\b((?:proxy-)?authorization|x-api-key|api[-_]?key|access[-_]?token|refresh[-_]?token|auth[-_]?token"
    r"|id[-_]?token|client[-_]?secret|secret|password|passwd|set-cookie|cookie|session[-_]?id)"
    r"([\"']?\s*[:=]\s*[\"']?)((?:(?:bearer|basic|digest)\s+)?(?:\[REDACTED\]|[^\s\"',;&}\])\[]+))",
    re.IGNORECASE,
)
_HEX_RUN = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9+=]{16,}")
# The published shapes of common keys and tokens (their prefixes are public; what follows is not).
_KEY_SHAPE = re.compile(
    r"\b(?:sk|pk|rk)[-_][A-Za-z0-9_-]{16,}"  # OpenAI, Anthropic (sk-ant-), Stripe (sk_live_)
    r"|\bgithub_pat_[A-Za-z0-9_]{20,}|\bgh[pousr]_[A-Za-z0-9]{20,}"  # GitHub
    r"|\bhf_[A-Za-z0-9]{20,}|\bgsk_[A-Za-z0-9]{20,}|\br8_[A-Za-z0-9]{20,}|\bxai-[A-Za-z0-9]{20,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{30,}"  # AWS access key ids, Google API keys
    r"|\bxox[abeoprs]-[A-Za-z0-9-]{10,}"  # Slack
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?"  # a JWT
)
_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t]*")
_GAP = re.compile(r"\s+|<br\s*/?>", re.IGNORECASE)
_JSON_ESCAPE = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
                          r"|\\u([0-9a-fA-F]{4})|\\([nrt\"\\/])")
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JSON_CHARS = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "/": "/"}


def secret_forms(secret: str) -> list[str]:
    """The ways a server may echo ``secret``, longest first.

    Example:
        >>> "c2stbGl2ZS0xMjM0NTY3O" in secret_forms("sk-live-12345678")  # its base64
        True
    """
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], repr(secret)[1:-1],
             html.escape(secret), secret.encode().hex()}
    raw = secret.encode()
    for offset in range(3):  # base64 of the key after 0, 1 or 2 other bytes (e.g. "Bearer ")
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw).decode()
            # the characters that depend on the key's bytes alone
            forms.add(encoded[-(-8 * offset // 6):8 * (offset + len(raw)) // 6])
    keep = [form for form in forms if len(form) >= MIN_FORM_CHARS or form == secret]
    return sorted(keep, key=len, reverse=True)


def decode(text: str) -> str:
    """``text`` with HTML entities, URL-encoding and JSON escapes undone, up to
    ``DECODE_ROUNDS`` times (an HTML-escaped URL-encoded key is found as the key).

    Example:
        >>> decode("key%3D&#115;&#107;\\\\u002d1")
        'key=sk-1'
    """
    for _ in range(DECODE_ROUNDS):
        decoded = _JSON_ESCAPE.sub(_json_char, html.unescape(text))
        if _PERCENT.search(decoded):
            decoded = unquote(decoded, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


def redact(text: str, secret: str | None = None) -> str:
    """``text`` decoded, with the secret (in any form, wrapped or cut), named credentials and
    key-like tokens replaced.

    Example:
        >>> redact("echo: Authorization: Bearer sk-live-12345678", "sk-live-12345678")
        'echo: Authorization: [REDACTED]'
        >>> redact("key: sk-live-1234\\n5678abcd", "sk-live-12345678abcd")
        'key: [REDACTED]'
        >>> redact("model Meta-Llama-3-70B-Instruct not found")
        'model Meta-Llama-3-70B-Instruct not found'
    """
    text = decode(str(text))
    spans = _secret_spans(text, secret) if secret and len(secret) >= 4 else []
    spans += _token_spans(text)
    joined, index = _without(text, _LINE_BREAK)  # a token wrapped over lines, whole
    if len(joined) < len(text):
        # only tokens that cross a break: the others were found in the text as it is
        spans += [(index[start], index[end - 1] + 1) for start, end in _token_spans(joined, named=False)
                  if index[end - 1] - index[start] + 1 > end - start]
    return _replace(text, spans)


def summary(text: str, secret: str | None = None, *, limit: int = 300) -> str:
    """One line of at most ``limit`` characters, redacted before it is cut (a cut key could
    no longer be recognised), with no control characters.

    Example:
        >>> summary("Internal error\\n  headers: {'x-api-key': 'k-9f8e7d6c5b4a'}", limit=60)
        "Internal error headers: {'x-api-key': '[REDACTED]'}"
    """
    scanned = str(text)[:MAX_SCANNED_CHARS]
    cut_short = len(str(text)) > MAX_SCANNED_CHARS
    line = " ".join(_CONTROL.sub(" ", redact(scanned, secret)).split())
    if cut_short and secret:
        line = _drop_partial_tail(line, secret)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def looks_like_key(text: str) -> bool:
    """Whether ``text`` holds something key-like: a common provider's key shape, 32 or more hex
    digits, a run of 16 or more letters and digits mixed, or 20 or more letters whose case
    changes as often as a random string's.

    Example:
        >>> looks_like_key("OPENAI_API_KEY"), looks_like_key("sk_live_51HxQ2mK9aLw3ZbT7rV")
        (False, True)
    """
    if _KEY_SHAPE.search(text) or _HEX_RUN.search(text):
        return True
    return any(_looks_random(run) for run in re.findall(r"[A-Za-z0-9+=]{16,}", text))


def _looks_random(run: str) -> bool:
    """Letters and digits mixed in one unbroken run, or a long run of letters whose case flips
    at every other character or so: a token, not a word, a CamelCase name or a number."""
    if any(c.isdigit() for c in run) and any(c.isalpha() for c in run):
        return True
    letters = [c for c in run if c.isalpha()]
    flips = sum(a.isupper() != b.isupper() for a, b in zip(letters, letters[1:], strict=False))
    return len(letters) >= 20 and flips >= 0.35 * len(letters)


def _json_char(match: re.Match) -> str:
    if match[1]:  # a surrogate pair: one character
        high, low = int(match[1], 16), int(match[2], 16)
        return chr(0x10000 + (high - 0xD800) * 0x400 + (low - 0xDC00))
    if match[3]:
        code = int(match[3], 16)
        return match[0] if 0xD800 <= code <= 0xDFFF else chr(code)  # a lone surrogate stays escaped
    return _JSON_CHARS[match[4]]


def _without(text: str, gap: re.Pattern) -> tuple[str, list[int]]:
    """``text`` with every match of ``gap`` removed, and for each character kept its index in
    ``text``."""
    parts, index, position = [], [], 0
    for match in gap.finditer(text):
        parts.append(text[position:match.start()])
        index.extend(range(position, match.start()))
        position = match.end()
    parts.append(text[position:])
    index.extend(range(position, len(text)))
    return "".join(parts), index


def _secret_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Where any piece of MIN_FORM_CHARS or more characters of a form of ``secret`` stands in
    ``text``, whitespace between its characters skipped (any case)."""
    forms = secret_forms(secret)
    short = [form for form in forms if len(form) < MIN_FORM_CHARS]  # only the key itself, when short
    pieces = {form[i:i + MIN_FORM_CHARS].lower() for form in forms for i in range(len(form) - MIN_FORM_CHARS + 1)}
    view, index = _without(text, _GAP)
    lowered = view.lower()
    spans = [(index[i], index[i + MIN_FORM_CHARS - 1] + 1)
             for i in range(len(lowered) - MIN_FORM_CHARS + 1) if lowered[i:i + MIN_FORM_CHARS] in pieces]
    for form in short:
        spans += [(index[m.start()], index[m.end() - 1] + 1)
                  for m in re.finditer(re.escape(form), view, flags=re.IGNORECASE)]
    return spans


def _token_spans(text: str, *, named: bool = True) -> list[tuple[int, int]]:
    """Spans of key-like tokens, and with ``named`` of named credentials' values."""
    spans = [m.span() for m in _KEY_SHAPE.finditer(text)]
    if named:
        spans += [m.span(3) for m in (*_CREDENTIAL.finditer(text), *_SCHEME.finditer(text))]
    spans += [m.span() for m in _HEX_RUN.finditer(text)]
    spans += [m.span() for m in _ALNUM_RUN.finditer(text) if _looks_random(m[0])]
    return [(start, end) for start, end in spans if text[start:end] != REDACTED]


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span (overlapping ones merged) replaced by REDACTED."""
    out, position = [], 0
    for start, end in sorted(spans):
        if end <= position:
            continue
        if start > position:
            out.append(text[position:start])
            out.append(REDACTED)
        elif not out or out[-1] != REDACTED:
            out.append(REDACTED)
        position = end
    out.append(text[position:])
    return "".join(out)


def _drop_partial_tail(text: str, secret: str) -> str:
    # The scan limit may cut a form of the key: a tail that begins one is redacted too.
    lowered = text.lower()
    for form in secret_forms(secret):
        for length in range(len(form) - 1, 3, -1):
            if lowered.endswith(form[:length].lower()):
                return text[:-length] + REDACTED
    return text
