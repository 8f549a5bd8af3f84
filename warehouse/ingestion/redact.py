"""PII redaction as DuckDB SQL: e-mail addresses, card numbers, IP addresses and phone numbers.

Why RE2 patterns in SQL and not a PII library: the maintained detectors (presidio-analyzer,
datafog-core, phonenumbers' PhoneNumberMatcher) work one string per Python call, a few to tens of
microseconds each; ingestion must redact two text fields of 500,000 rows a second on two cores.
So the patterns run inside DuckDB (RE2, vectorised, multi-threaded). Where a standard defines the
shape we follow it: e-mail is the WHATWG HTML "valid e-mail address" (with a dotted domain so
that "a@b" in prose is left alone), cards are 13 to 19 digits that pass the Luhn check (ISO/IEC
7812), international phone numbers hold 7 to 15 digits (ITU-T E.164). The tests check the phone pattern against
every region's example numbers from libphonenumber (the `phonenumbers` package).

Each kind is replaced by a placeholder, in this order (an e-mail can hold digits, a card number
looks like a phone number): ``[EMAIL]``, ``[CARD]``, ``[IP]``, ``[PHONE]``.
"""

from __future__ import annotations

KINDS = ("email", "card", "ip", "phone")
PLACEHOLDER = {kind: f"[{kind.upper()}]" for kind in KINDS}

_EMAIL = (
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,63}"
)
# Separators are normalised in the patterns themselves: any Unicode space (no-break, thin, narrow),
# dash or minus sign, and the invisible format characters (zero-width space and joiners, word
# joiner, soft hyphen, BOM) count as a space or a dash, so "4111\u00a01111..." is a card too,
# whether the character itself or its JSON escape is written (a rejected record's raw line is
# stored as written, and most JSON writers escape non-ASCII: json.dumps does by default).
# Written as the characters themselves (not \p{Zs}, \x{...}): RE2 and Python's re both read them.
_SPACE_CODES = (0xA0, 0x1680, *range(0x2000, 0x200E), 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF, 0xAD)  # Zs, zero-width, soft hyphen
_DASH_CODES = (0x58A, 0x5BE, 0x1806, *range(0x2010, 0x2016), 0x2212, 0x2E3A, 0x2E3B, 0xFE58, 0xFE63, 0xFF0D)  # Pd, minus


def _one_of(ascii_chars: str, codes: tuple[int, ...]) -> str:
    """A character of ``ascii_chars`` or ``codes``, or a code's JSON escape (\\u00a0, \\u00A0)."""
    escapes = "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in f"{code:04x}")
                       for code in codes)
    return rf"(?:[{ascii_chars}{''.join(map(chr, codes))}]|\\u(?:{escapes}))"


_SPACE = _one_of(" ", _SPACE_CODES)
_DASH = _one_of("\\-", _DASH_CODES)
_SEP = rf"(?:{_SPACE}|{_DASH}|\.)"
# 13-19 digits, single spaces or dashes between them; the Luhn check below decides.
_CARD = rf"\b(?:\d(?:{_SPACE}|{_DASH})?){{12,18}}\d\b"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"\b(?:{_OCTET}\.){{3}}{_OCTET}\b"
_H = r"[0-9A-Fa-f]{1,4}"
# Full and "::"-compressed IPv6, fewest groups before the "::" first (RE2 takes the first
# alternative that matches, so this order gives the whole address); forms that start with "::"
# are left out (C++'s std::x, ::1).
_IPV6 = (
    rf"\b(?:(?:{_H}:){{7}}{_H}|{_H}:(?::{_H}){{1,6}}|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}"
    rf"|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}|(?:{_H}:){{1,6}}:{_H})\b"
)
_IP = rf"{_IPV4}|{_IPV6}"
# International: "+", a country code, then digits with at most one separator (space, dot, dash or
# a bracket) between them, 7 to 15 digits in all (E.164; Niue's are 7). National: NANP "(415) 555-0100" or
# "415-555-0100", and trunk-0 numbers of 9 to 12 digits in three groups ("020 7946 0018").
_PHONE = (
    rf"\+[1-9](?:{_SEP}?\(?[0-9]\)?){{6,14}}\b"
    rf"|(?:\([0-9]{{3}}\){_SPACE}?|\b[0-9]{{3}}{_SEP})[0-9]{{3}}{_SEP}[0-9]{{4}}\b"
    rf"|\b0[0-9]{{2,4}}{_SEP}?[0-9]{{3,4}}{_SEP}?[0-9]{{3,4}}\b"
)
PATTERNS = {"email": _EMAIL, "card": _CARD, "ip": _IP, "phone": _PHONE}
# One pass over every text decides whether the per-kind passes run at all.
ANY_PII = "|".join(f"(?:{p})" for p in PATTERNS.values())


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Card and phone candidates are checked before they are replaced; only the rare texts with a
# candidate pay for it.
MACROS = """
CREATE OR REPLACE TEMP MACRO planb_luhn_rev(r) AS list_sum(list_transform(range(length(r)), lambda i:
    CASE WHEN i % 2 = 1 THEN ((ascii(r[i + 1]) - 48) * 2) // 10 + ((ascii(r[i + 1]) - 48) * 2) % 10
         ELSE ascii(r[i + 1]) - 48 END)) % 10 = 0;
CREATE OR REPLACE TEMP MACRO planb_luhn_ok(s) AS
    planb_luhn_rev(reverse(regexp_replace(s, '\\\\u[0-9A-Fa-f]{4}|[^0-9]', '', 'g')));
CREATE OR REPLACE TEMP MACRO planb_replace_each(t, found, placeholder) AS
    list_reduce(list_prepend(t, found), lambda acc, x: replace(acc, x, placeholder));
"""
_CHECK = {"card": "planb_luhn_ok"}


def redact_select(source: str, columns: list[str], keep: list[str], *, when: str = "true") -> str:
    """A SELECT of ``source`` with each of ``columns`` redacted, the ``keep`` columns as they are,
    and ``n_<kind>``: how many of each kind were replaced over all the columns. Only rows where
    ``when`` (a boolean column of ``source``, kept) holds are looked at, the others pass through
    with zero counts: a cheap flag computed beforehand spares most rows the per-kind patterns.

    One nested level per step: DuckDB expands a reused alias into its whole expression, so a
    chain of aliases would redo every earlier step at each later one.

    Example:
        >>> "n_email" in redact_select("t", ["query"], ["id"])
        True
    """
    if when != "true":  # a boolean column of source: it travels with the rows
        keep = [*keep, when]
    sql = f"SELECT {', '.join(keep + columns)} FROM {source}"
    counted: list[str] = []
    for kind in KINDS:
        pattern, placeholder = _sql_str(PATTERNS[kind]), _sql_str(PLACEHOLDER[kind])
        found = {c: f"_{c}_{kind}" for c in columns}
        if kind in _CHECK:
            finds = ", ".join(
                f"CASE WHEN {when} AND regexp_matches({c}, {pattern}) THEN list_filter(regexp_extract_all({c}, {pattern}), "
                f"lambda x: {_CHECK[kind]}(x)) END AS {found[c]}" for c in columns)
            sql = f"SELECT *, {finds} FROM ({sql})"
            swaps = ", ".join(f"CASE WHEN len({found[c]}) > 0 THEN planb_replace_each({c}, {found[c]}, {placeholder}) "
                              f"ELSE {c} END AS {c}" for c in columns)
            total = " + ".join(f"coalesce(len({found[c]}), 0)" for c in columns)
        else:
            finds = ", ".join(f"CASE WHEN {when} AND regexp_matches({c}, {pattern}) THEN len(regexp_extract_all({c}, {pattern})) "
                              f"ELSE 0 END AS {found[c]}" for c in columns)
            sql = f"SELECT *, {finds} FROM ({sql})"
            swaps = ", ".join(f"CASE WHEN {found[c]} > 0 THEN regexp_replace({c}, {pattern}, {placeholder}, 'g') "
                              f"ELSE {c} END AS {c}" for c in columns)
            total = " + ".join(f"coalesce({found[c]}, 0)" for c in columns)
        sql = (f"SELECT {', '.join(keep + counted)}, {swaps}, {total} AS n_{kind} FROM ({sql})")
        counted.append(f"n_{kind}")
    return sql
