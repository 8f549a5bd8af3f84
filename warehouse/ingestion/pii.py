"""PII in text, found after normalising it and by maintained detectors, and replaced.

DuckDB flags the rows that may hold PII with one broad RE2 pass (``MAYBE_PII``: an at sign, seven
digits close together in any script, an IP address, a JSON escape or a NUL); only those rows come
here, one Python call a text. Each text is first normalised: JSON ``\\uXXXX`` escapes undone (a
rejected line is stored as written), NULs dropped (UTF-16 read as bytes), then NFKC (full-width
digits and ``＠``, ligatures, compatibility spaces). Then, in this order:

- e-mail: a local part of Unicode letters, digits and the WHATWG punctuation, ``@``, and a dotted
  domain of Unicode labels (IDN: ``jöhn.müller@exämple.de``) or punycode;
- card: 13 to 19 digits with any separators between them (spaces, double spaces, dots, slashes,
  dashes) that pass the Luhn check (ISO/IEC 7812);
- IP: IPv4 and IPv6 (``redact.py``'s patterns);
- phone: libphonenumber's ``PhoneNumberMatcher`` (``phonenumbers``) at ``VALID`` leniency, across
  REGIONS, run on each run of digits that could be a number (so ``2025550143`` is found as a US
  number, and a date is not), plus ``redact.py``'s E.164 and national patterns.

Replaced by ``[EMAIL]``, ``[CARD]``, ``[IP]``, ``[PHONE]``. In identifiers (request and session
ids) the placeholder carries a short salted hash of what it replaced (``[EMAIL-1a2b3c4d]``), so
that two ids stay two ids.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from functools import lru_cache

from phonenumbers import Leniency, PhoneNumberMatcher

from warehouse.ingestion.redact import _IP, KINDS, PATTERNS, PLACEHOLDER

# Where national numbers are looked for: the largest user bases of search chat; international
# numbers (+CC) are found whatever the region.
REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "BR", "MX", "JP", "CN", "AU", "RU", "KR", "ZA")

_ESCAPE = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[\w-]{2,59})\b")
_CARD = re.compile(r"(?<![\d])\d(?:[^\w\n]{0,3}\d){12,18}(?![\d])")
_IP_RE = re.compile(_IP)
_DIGIT_RUN = re.compile(r"\+?\(?\d(?:[^\w\n]{0,3}\d){6,}\)?")
_NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}:\d{2}(?::\d{2})?")
_PHONE_RE = re.compile(PATTERNS["phone"])

# The SQL flag: a superset of what is found here, one RE2 pass (escapes and NULs: any).
MAYBE_PII = "|".join((
    r"[@＠﹫]", r"\\u", r"\x00",
    r"\p{Nd}(?:[^\pL\p{Nd}\n]{0,3}\p{Nd}){6}",
    rf"(?:{_IP})",
))
# Identifiers are flagged more narrowly (most ids hold digit runs): an at sign, non-ASCII, an
# escape or NUL, an id that is a number of 7 or more digits, or digits grouped as a phone or card.
MAYBE_PII_ID = "|".join((
    r"[@＠﹫]", r"[^\x01-\x7f]", r"\\u",
    r"^\s*\+?[\d\s().\-/]{7,30}$",
    r"\d{2,4}\)?[ .\-/]+\d{3,4}[ .\-/]+\d{3,4}",
))


def normalised(text: str) -> str:
    """``text`` with JSON escapes undone, NULs dropped and NFKC applied.

    Example:
        >>> normalised("j\\\\u00f6hn\\x00\\uff20ex\\u00e4mple.de \\uff14\\uff11")
        'jöhn@exämple.de 41'
    """
    if "\\u" in text:
        text = _ESCAPE.sub(_unescape, text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    return unicodedata.normalize("NFKC", text)


def _unescape(match: re.Match) -> str:
    if match.group(3):
        code = int(match.group(3), 16)
        return chr(code) if not 0xD800 <= code < 0xE000 else match.group(0)
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a string of digits.

    Example:
        >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
        (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        total += d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
    return total % 10 == 0


def _cards(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _CARD.finditer(text):
        digits = [(m.start(), m.end()) for m in re.finditer(r"\d", match.group(0))]
        found = None
        # the whole run first, then the longest runs of 13 to 19 digits inside it
        for size in range(min(19, len(digits)), 12, -1):
            for first in range(0, len(digits) - size + 1):
                chosen = "".join(match.group(0)[s:e] for s, e in digits[first:first + size])
                if luhn_ok(chosen):
                    found = (match.start() + digits[first][0], match.start() + digits[first + size - 1][1])
                    break
            if found:
                break
        if found:
            spans.append(found)
    return spans


def _zero_padded(candidate: str) -> bool:
    """No number starts with three zeros (a national prefix is one 0; 00 is followed by a country
    code, which never starts with 0): a zero-padded counter ('req-0000012345') is an id."""
    return re.sub(r"\D", "", candidate).startswith("000")


@lru_cache(maxsize=65_536)
def _is_phone(candidate: str) -> bool:
    if _NOT_PHONE.fullmatch(candidate.strip("()+ ")):
        return False
    if _zero_padded(candidate):
        return False
    return any(True for region in REGIONS for _ in PhoneNumberMatcher(candidate, region, leniency=Leniency.VALID))


def _phones(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _DIGIT_RUN.finditer(text) if _is_phone(m.group(0))]
    spans += [m.span() for m in _PHONE_RE.finditer(text) if not _zero_padded(m.group(0))]
    return spans


def _replace(text: str, spans: list[tuple[int, int]], placeholder, counts: Counter, kind: str) -> str:
    """``text`` with the (possibly overlapping) spans replaced, from the right."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + placeholder(kind, text[start:end]) + text[end:]
    counts[kind] += len(merged)
    return text


def redact_text(text: str | None, salt: str | None = None, counts: Counter | None = None) -> str | None:
    """``text`` normalised (``normalised``) with its PII replaced; with ``salt``, each placeholder
    carries a salted hash of what it replaced (for identifiers). ``counts`` gets the replacements
    by kind.

    Example:
        >>> redact_text("mail jöhn.müller@exämple.de or 2025550143, card 4111.1111.1111.1111")
        'mail [EMAIL] or [PHONE], card [CARD]'
    """
    if not text:
        return text
    counts = Counter() if counts is None else counts
    text = normalised(text)

    def placeholder(kind: str, found: str) -> str:
        if salt is None:
            return PLACEHOLDER[kind]
        return f"[{kind.upper()}-{hashlib.sha256(f'{salt}:{found}'.encode()).hexdigest()[:8]}]"

    if "@" in text:
        text = _replace(text, [m.span() for m in _EMAIL.finditer(text)], placeholder, counts, "email")
    if any(ch.isdigit() for ch in text):
        text = _replace(text, _cards(text), placeholder, counts, "card")
        text = _replace(text, [m.span() for m in _IP_RE.finditer(text)], placeholder, counts, "ip")
        text = _replace(text, _phones(text), placeholder, counts, "phone")
    return text


def redact_texts(texts: list[str | None], salt: str | None = None) -> tuple[list[str | None], list[Counter]]:
    """Each text redacted (``redact_text``), and the replacements of each by kind."""
    out, counts = [], []
    for text in texts:
        found: Counter = Counter()
        out.append(redact_text(text, salt, found))
        counts.append(found)
    return out, counts


__all__ = ["KINDS", "MAYBE_PII", "MAYBE_PII_ID", "REGIONS", "luhn_ok", "normalised", "redact_text", "redact_texts"]
