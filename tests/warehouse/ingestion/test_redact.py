"""PII redaction patterns, run as DuckDB SQL: what they replace, what they leave alone, and phone
numbers checked against libphonenumber's example number for every region."""

import duckdb
import phonenumbers
import pytest

from warehouse.ingestion.redact import MACROS, redact_select


def _redact(texts: list[str | None]) -> list[tuple[str | None, dict[str, int]]]:
    con = duckdb.connect()
    con.execute(MACROS)
    con.execute("CREATE TABLE t (id INTEGER, query VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    rows = con.sql(f"SELECT id, query, n_email, n_card, n_ip, n_phone FROM ({redact_select('t', ['query'], ['id'])}) "
                   "ORDER BY id").fetchall()
    return [(q, {k: n for k, n in zip(("email", "card", "ip", "phone"), counts) if n}) for _, q, *counts in rows]


@pytest.mark.parametrize(("text", "expected", "counts"), [
    ("write to john.doe+tag@mail.example.co.uk.", "write to [EMAIL].", {"email": 1}),
    ("a@b and x@y.z1 are not addresses", "a@b and x@y.z1 are not addresses", {}),
    ("pay with 4111 1111 1111 1111 or 5500-0000-0000-0004", "pay with [CARD] or [CARD]", {"card": 2}),
    ("order 4111111111111112 fails the Luhn check", "order 4111111111111112 fails the Luhn check", {}),
    ("from 192.168.1.20 and 2001:db8:85a3::8a2e:370:7334", "from [IP] and [IP]", {"ip": 2}),
    ("std::cout, 12:30:45, version 1.2.3, 256.1.1.1", "std::cout, 12:30:45, version 1.2.3, 256.1.1.1", {}),
    ("call +1 415-555-0100, (415) 555-0100 or 020 7946 0018", "call [PHONE], [PHONE] or [PHONE]", {"phone": 3}),
    ("years 1999-2004, on 2024-01-15, 3.14159, 42", "years 1999-2004, on 2024-01-15, 3.14159, 42", {}),
    ("mail ann@example.org from 10.0.0.1", "mail [EMAIL] from [IP]", {"email": 1, "ip": 1}),
    # a raw JSON line as json.dumps writes it: separators as \u escapes, either case
    (r'"card 4111\u00a01111\u00A01111\u20091111, +44\u00a020\u20137946\u00a00958"', '"card [CARD], [PHONE]"',
     {"card": 1, "phone": 1}),
    (r'"4111\u00a01111\u00a01111\u00a01112 fails Luhn; caf\u00e9 2024"',
     r'"4111\u00a01111\u00a01111\u00a01112 fails Luhn; caf\u00e9 2024"', {}),
    (None, None, {}),
])
def test_patterns(text, expected, counts):
    assert _redact([text]) == [(expected, counts)]


def _example_numbers() -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                numbers += [phonenumbers.format_number(number, fmt) for fmt in
                            (phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164)]
    for region in ("US", "CA", "GB"):
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
        numbers.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return numbers


def test_every_regions_example_phone_number_is_redacted():
    numbers = _example_numbers()
    assert len(numbers) > 900
    redacted = _redact([f"reach me on {n} tonight" for n in numbers])
    missed = [n for n, (text, _) in zip(numbers, redacted) if text != "reach me on [PHONE] tonight"]
    assert missed == []


def test_a_zero_padded_id_is_not_a_phone_but_a_trunk_zero_number_is():
    from warehouse.ingestion.pii import redact_text

    assert redact_text("req-0000004999") == "req-0000004999"  # bench/ingest's ids: 5,049 redacted before
    assert redact_text("020 7946 0018") == "[PHONE]" and redact_text("call 2025550143") == "call [PHONE]"
