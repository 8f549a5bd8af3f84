"""Secrets out of the text a server sends back, before it is stored or logged.

A server that echoes the request (its headers, a debug dump of it) puts the API key into its
error text, which would land in ``replays.error`` and in Dagster's run storage. What is kept of
such a text is a short summary, redacted first:

- the configured key in every form a server may echo it: as is (any case), URL-encoded,
  JSON-, repr- or HTML-escaped, hex, and base64 (standard and URL-safe) at each of the three
  alignments, so it is found inside an encoded ``Bearer <key>`` or ``user:<key>`` as well;
- the value of any credential a header or parameter names (Authorization, Bearer / Basic /
  Digest, api-key, x-api-key, access or refresh token, secret, password, cookie, session id);
- long random-looking tokens that are not the key: 32 or more hex digits, and 16 or more
  letters and digits mixed with no separator (a JWT's parts, another service's key); names such
  as ``Meta-Llama-3-70B-Instruct`` keep their short parts.

Plain functions of text: no import of the rest of Plan B.
"""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
MAX_SCANNED_CHARS = 65_536  # an error body beyond this is not read further
MIN_FORM_CHARS = 8  # a transformed form shorter than this matches ordinary text

_SCHEME = re.compile(r"\b(bearer|basic|digest)(\s+)(?!\[REDACTED\])[^\s\"',;&}\])\[]+", re.IGNORECASE)
_CREDENTIAL = re.compile(
    r"\b((?:proxy-)?authorization|x-api-key|api[-_]?key|access[-_]?token|refresh[-_]?token|auth[-_]?token"
    r"|id[-_]?token|client[-_]?secret|secret|password|passwd|set-cookie|cookie|session[-_]?id)"
    r"([\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|digest)\s+)?(?:\[REDACTED\]|[^\s\"',;&}\])\[]+)",
    re.IGNORECASE,
)
_HEX_RUN = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9+=]{16,}")


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


def redact(text: str, secret: str | None = None) -> str:
    """``text`` with the secret (in any form), named credentials and random tokens replaced.

    Example:
        >>> redact("echo: Authorization: Bearer sk-live-12345678", "sk-live-12345678")
        'echo: Authorization: [REDACTED]'
        >>> redact("model Meta-Llama-3-70B-Instruct not found")
        'model Meta-Llama-3-70B-Instruct not found'
    """
    if secret and len(secret) >= 4:
        for form in secret_forms(secret):
            text = re.sub(re.escape(form), REDACTED, text, flags=re.IGNORECASE)
    text = _CREDENTIAL.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)  # before the bare schemes
    text = _SCHEME.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    text = _HEX_RUN.sub(REDACTED, text)
    return _ALNUM_RUN.sub(lambda m: REDACTED if _looks_random(m[0]) else m[0], text)


def summary(text: str, secret: str | None = None, *, limit: int = 300) -> str:
    """One line of at most ``limit`` characters, redacted before it is cut (a cut key could
    no longer be recognised).

    Example:
        >>> summary("Internal error\\n  headers: {'x-api-key': 'k-9f8e7d6c5b4a'}", limit=60)
        "Internal error headers: {'x-api-key': '[REDACTED]'}"
    """
    scanned = str(text)[:MAX_SCANNED_CHARS]
    cut_short = len(str(text)) > MAX_SCANNED_CHARS
    line = redact(" ".join(scanned.split()), secret)
    if cut_short and secret:
        line = _drop_partial_tail(line, secret)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _looks_random(run: str) -> bool:
    """Letters and digits mixed in one unbroken run: a token, not a word or a number."""
    return any(c.isdigit() for c in run) and any(c.isalpha() for c in run)


def _drop_partial_tail(text: str, secret: str) -> str:
    # The scan limit may cut a form of the key: a tail that begins one is redacted too.
    lowered = text.lower()
    for form in secret_forms(secret):
        for length in range(len(form) - 1, 3, -1):
            if lowered.endswith(form[:length].lower()):
                return text[:-length] + REDACTED
    return text
