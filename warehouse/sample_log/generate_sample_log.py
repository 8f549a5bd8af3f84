"""Deterministic generator of the bundled sample search-chat log.

Builds ``search_chat_sample.jsonl`` from the Natural Questions open test split
(``../shared/data/nq_open_test.jsonl``, CC BY-SA 3.0, see NOTICE). The same input and seed
always give the same file, byte for byte:

    python warehouse/sample_log/generate_sample_log.py ../shared/data/nq_open_test.jsonl

What is real: the queries (real anonymised Google searches). What is synthetic, and documented
as such: timestamps, sessions, users, surface, mode, the production model's name, its answer
(the gold short answer in a sentence) and its token counts (about four characters a token, plus
a system prompt and, on the search surface, retrieved snippets).
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261101
FIRST_DAY = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 7
REQUESTS_PER_DAY = 300
PRODUCTION_MODEL = "gpt-4o-2024-08-06"
SURFACES = (("search", 0.6), ("chat", 0.4))
MODES = (("precise", 0.3), ("balanced", 0.5), ("creative", 0.2))
SYSTEM_PROMPT_TOKENS = 48
SNIPPET_TOKENS = (250, 900)  # retrieved context added to a search-surface prompt
# A few malformed lines, as real exports have: they must be quarantined, not dropped.
BAD_LINES = (
    '{"request_id": "req-bad-json", "timestamp": "2026-11-02T10:00:00Z", "query": "unterminated',
    '{"request_id": "req-bad-empty-query", "timestamp": "2026-11-03T11:00:00Z", "session_id": "s-x", '
    '"surface": "chat", "mode": "balanced", "language": "en", "query": "   ", "response": "", '
    '"model": "gpt-4o-2024-08-06", "prompt_tokens": 50, "completion_tokens": 0, "latency_ms": 10}',
    '{"request_id": "req-bad-timestamp", "timestamp": "yesterday at noon", "session_id": "s-y", '
    '"surface": "search", "mode": "precise", "language": "en", "query": "who wrote hamlet", '
    '"response": "William Shakespeare.", "model": "gpt-4o-2024-08-06", "prompt_tokens": 60, '
    '"completion_tokens": 5, "latency_ms": 300}',
)


def _pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _tokens(text: str) -> int:
    return max(1, round(len(text) / 4))


def _response(answer: str, mode: str, rng: random.Random) -> str:
    if mode == "precise":
        return f"{answer}."
    if mode == "balanced":
        return f"The answer is {answer}."
    return rng.choice(
        (
            f"Great question! It's {answer}.",
            f"From what I found, the answer is {answer}, according to the sources above.",
        )
    )


def generate(nq_path: Path) -> list[str]:
    rng = random.Random(SEED)
    questions = [json.loads(line) for line in nq_path.read_text(encoding="utf-8").splitlines()]
    picked = rng.sample(questions, DAYS * REQUESTS_PER_DAY)
    lines: list[str] = []
    n = 0
    for day in range(DAYS):
        clock = FIRST_DAY + timedelta(days=day, seconds=rng.randint(0, 600))
        end_of_day = FIRST_DAY + timedelta(days=day + 1)
        remaining = REQUESTS_PER_DAY
        while remaining:
            session = f"s-{rng.getrandbits(48):012x}"
            user = f"u-{rng.randint(1, 400):04d}"
            surface, mode = _pick(rng, SURFACES), _pick(rng, MODES)
            for _ in range(min(remaining, rng.randint(1, 4))):
                q = picked[n]
                n += 1
                remaining -= 1
                response = _response(q["answers"][0], mode, rng)
                prompt_tokens = SYSTEM_PROMPT_TOKENS + _tokens(q["query"])
                if surface == "search":
                    prompt_tokens += rng.randint(*SNIPPET_TOKENS)
                completion_tokens = _tokens(response)
                record = {
                    "request_id": f"req-{day + 1}-{n:05d}",
                    "timestamp": clock.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    "session_id": session,
                    "user_id": user,
                    "surface": surface,
                    "mode": mode,
                    "language": "en",
                    "query": q["query"],
                    "response": response,
                    "model": PRODUCTION_MODEL,
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "latency_ms": 180 + prompt_tokens // 10 + completion_tokens * 22 + rng.randint(0, 120),
                    "source_id": q["id"],
                }
                lines.append(json.dumps(record, ensure_ascii=False))
                # keep every request inside its UTC day, spread over the whole day
                step = timedelta(seconds=rng.randint(5, 2 * 86400 // REQUESTS_PER_DAY))
                clock = min(clock + step, end_of_day - timedelta(seconds=1))
            clock = min(clock + timedelta(seconds=rng.randint(30, 300)), end_of_day - timedelta(seconds=1))
    for i, bad in enumerate(BAD_LINES):
        lines.insert((i + 1) * len(lines) // (len(BAD_LINES) + 1), bad)
    return lines


def main() -> None:
    nq_path = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/nq_open_test.jsonl")
    out = Path(__file__).with_name("search_chat_sample.jsonl")
    out.write_text("\n".join(generate(nq_path)) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
