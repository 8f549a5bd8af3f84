"""Deduplication of one ingest call's rows: the same request id, or the same session, timestamp
and query, as a row stored before or one earlier in file order (the earlier one is kept).

Rows are appended to chat_logs batch by batch, and deleting rows appended in the same
transaction makes DuckDB rewrite them at commit (about a CPU-second per million rows). So a
Bloom filter over the keys met so far (``SeenKeys``) sends each accepted row either straight to
chat_logs (none of its keys met before in this call: it can only lose to a stored row, which is
rare) or, when it may repeat an earlier one, to the small ``held_rows`` table. At the end the
exact rule picks the duplicates among every candidate (``dedupe``), and the held rows that are
not duplicates join chat_logs. The filter only decides where a row waits, never whether it stays.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

KEY_TABLES = """
    CREATE OR REPLACE TEMP TABLE ingest_keys (file_order INTEGER, source_line BIGINT, id_key UBIGINT,
                                              session_key UBIGINT);
    CREATE OR REPLACE TEMP TABLE ingest_files (file_order INTEGER, source_sha256 VARCHAR, source_file VARCHAR);
    CREATE OR REPLACE TEMP TABLE held_rows AS SELECT * FROM chat_logs LIMIT 0;
"""
TEMP_TABLES = ("ingest_keys", "ingest_files", "held_rows", "dup_candidates", "dropped")


class SeenKeys:
    """The 64-bit key hashes met so far, as a one-probe Bloom filter of ``2**log2_bits`` bits
    (128 MiB by default: 20 million keys give about 2% false "maybe"s, each only a row held).

    Example:
        >>> seen, a, b, c = SeenKeys(log2_bits=16), 1 << 60, 2 << 60, 3 << 60
        >>> seen.check_add(np.array([a, b, a], np.uint64)).tolist()
        [False, False, True]
        >>> seen.check_add(np.array([b, c], np.uint64)).tolist()
        [True, False]
    """

    def __init__(self, log2_bits: int = 30):
        self.bits = np.zeros(1 << (log2_bits - 3), np.uint8)
        self.shift = np.uint64(64 - log2_bits)

    def check_add(self, keys: np.ndarray) -> np.ndarray:
        """True where a key may have been met: in an earlier call, or earlier in ``keys``."""
        slot = keys >> self.shift
        byte, bit = slot >> np.uint64(3), np.left_shift(np.uint8(1), (slot & np.uint64(7)).astype(np.uint8))
        before = self.bits[byte]
        seen = (before & bit) != 0
        # a plain scatter keeps one bit per byte written twice here: set the few lost ones again
        # (np.bitwise_or.at over every key costs several times as much)
        self.bits[byte] = before | bit
        lost = (self.bits[byte] & bit) == 0
        if lost.any():
            np.bitwise_or.at(self.bits, byte[lost], bit[lost])
        return seen | ~pl.Series(keys).is_first_distinct().to_numpy()

    def maybe_repeats(self, rows: pa.Table) -> pa.Array:
        """Per row of a staged batch: may it repeat an earlier row's key? (False for rejected rows.)"""
        ids, sessions = rows["id_key"], rows["session_key"]  # NULL for rejected rows, and no session
        has_id = pc.is_valid(ids).to_numpy(zero_copy_only=False)
        has_session = pc.is_valid(sessions).to_numpy(zero_copy_only=False)
        maybe = self.check_add(np.concatenate([ids.drop_null().to_numpy(), sessions.drop_null().to_numpy()]))
        held = np.zeros(rows.num_rows, bool)
        held[has_id] = maybe[: has_id.sum()]
        held[has_session] |= maybe[has_id.sum():]
        return pa.array(held)


# Only keys seen twice among the new rows, or already stored, can be duplicates: aggregates over
# the keys' hashes find those few, and only they are looked up and ranked on their exact values
# (a window over every new row would sort them all). {stored} selects, with alias {t}, the rows
# stored before this call.
_CANDIDATES = """
    CREATE OR REPLACE TEMP TABLE dup_candidates AS
    WITH twice_id AS (SELECT id_key FROM ingest_keys GROUP BY id_key HAVING count(*) > 1),
    twice_session AS (SELECT session_key FROM ingest_keys WHERE session_key IS NOT NULL
                      GROUP BY session_key HAVING count(*) > 1),
    stored_id AS (SELECT DISTINCT hash(request_id) AS id_key FROM chat_logs c
                  WHERE {stored_c} AND hash(request_id) IN (SELECT id_key FROM ingest_keys)),
    stored_session AS (SELECT DISTINCT hash(session_id, ts, query) AS session_key FROM chat_logs c
                       WHERE {stored_c} AND session_id IS NOT NULL
                         AND hash(session_id, ts, query) IN (SELECT session_key FROM ingest_keys)),
    candidates AS (
        SELECT * FROM ingest_keys
        WHERE id_key IN (SELECT id_key FROM twice_id) OR id_key IN (SELECT id_key FROM stored_id)
           OR session_key IN (SELECT session_key FROM twice_session)
           OR session_key IN (SELECT session_key FROM stored_session)
    ), new_rows AS (
        SELECT source_sha256, source_line, request_id, session_id, ts, query FROM chat_logs
        UNION ALL SELECT source_sha256, source_line, request_id, session_id, ts, query FROM held_rows
    )
    SELECT k.file_order, f.source_sha256, k.source_line, c.request_id, c.session_id, c.ts, c.query,
           EXISTS (SELECT 1 FROM chat_logs s WHERE {stored_s} AND s.request_id = c.request_id) AS stored_id
    FROM candidates k JOIN ingest_files f USING (file_order)
    JOIN new_rows c ON c.source_sha256 = f.source_sha256 AND c.source_line = k.source_line
                   AND hash(c.request_id) = k.id_key
"""
_DROPPED = """
    CREATE OR REPLACE TEMP TABLE dropped AS
    WITH by_id AS (
        SELECT *, stored_id OR row_number() OVER (PARTITION BY request_id
                                                  ORDER BY file_order, source_line, request_id) > 1 AS dup_id
        FROM dup_candidates
    ), judged AS (
        SELECT *, CASE
            WHEN dup_id THEN 'request_id'
            WHEN session_id IS NOT NULL AND (
                EXISTS (SELECT 1 FROM chat_logs s WHERE {stored_s} AND s.session_id = b.session_id
                        AND s.ts = b.ts AND s.query = b.query)
                OR row_number() OVER (PARTITION BY dup_id, session_id, ts, query
                                      ORDER BY file_order, source_line, request_id) > 1)
            THEN 'session_query' END AS duplicate
        FROM by_id b
    )
    SELECT file_order, source_sha256, source_line, request_id, duplicate FROM judged WHERE duplicate IS NOT NULL
"""
_SAME_ROW = "{a}.source_sha256 = {b}.source_sha256 AND {a}.source_line = {b}.source_line AND {a}.request_id = {b}.request_id"


def dedupe(con: duckdb.DuckDBPyConnection, stored: str, params: dict) -> list[tuple[int, str, int]]:
    """Drop this call's rows that duplicate a stored row or an earlier new one, move the held rows
    that stay into chat_logs; return (file order, duplicate kind, rows) counts.

    ``stored`` is a condition on alias ``{t}`` selecting the chat_logs rows stored before the call.

    Example:
        >>> dedupe(con, "{t}.day <> $day", {"day": day})  # doctest: +SKIP
        [(0, 'request_id', 1)]
    """
    stored_c, stored_s = stored.format(t="c"), stored.format(t="s")
    con.execute(_CANDIDATES.format(stored_c=stored_c, stored_s=stored_s), params)
    con.execute(_DROPPED.format(stored_s=stored_s), params)
    # only rows that lose to a stored row were appended: deleting them costs a rewrite at commit
    if con.execute(f"SELECT count(*) FROM dropped d WHERE NOT EXISTS (SELECT 1 FROM held_rows h "
                   f"WHERE {_SAME_ROW.format(a='h', b='d')})").fetchone()[0]:
        con.execute(f"DELETE FROM chat_logs c USING dropped d WHERE {_SAME_ROW.format(a='c', b='d')}")
    con.execute(f"INSERT INTO chat_logs SELECT * FROM held_rows h WHERE NOT EXISTS "
                f"(SELECT 1 FROM dropped d WHERE {_SAME_ROW.format(a='h', b='d')})")
    return con.execute("SELECT file_order, duplicate, count(*) FROM dropped GROUP BY ALL").fetchall()
