"""Build mt_bench_mixtral_gpt4.parquet, the real pair `planb demo` imports: MT-Bench's 80
questions, both turns, answered by Mixtral-8x7B-Instruct (small) and GPT-4-1106-preview (large),
each answer graded 1-10 by GPT-4 (lm-sys/RouteLLM's MT-Bench judgements, via
../shared/data/longform/mt_bench_pairs.jsonl; NOTICE beside this file).

    pip install --no-deps bpe-openai==0.1.4 mistral-common==1.13.1 sentencepiece==0.2.3
    python warehouse/sample_replays/build_mt_bench_pair.py [SOURCE.jsonl]

Columns (the `planb import-replays` table, scoring/replay/imported.py):

- ``small_quality`` / ``large_quality``: the GPT-4 grade / 10 (MT-Bench single-answer grading;
  math and reasoning graded against a reference answer);
- token counts with each model's own tokenizer: GPT-4's cl100k_base (bpe-openai's bundled copy,
  tiktoken-identical) with OpenAI's chat accounting (3 tokens a message, 3 to prime the reply);
  Mixtral's SentencePiece v1 vocabulary (mistral-common's bundled tokenizer.model.v1) over its
  ``<s>[INST] ... [/INST]`` template. A second turn's prompt holds the first turn and GPT-4's
  answer to it (the context MT-Bench gave both models);
- ``small_dollars`` / ``large_dollars``: those tokens at list prices per million tokens
  (PRICES below, with where and when each was read);
- ``mode``: MT-Bench's category of the question; ``surface``: the turn ("turn 1", "turn 2").
"""

from __future__ import annotations

import importlib.resources
import json
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "shared" / "data" / "longform" / "mt_bench_pairs.jsonl"
OUT = HERE / "mt_bench_mixtral_gpt4.parquet"
# Dollars per million tokens (input, output), list prices as read on 2026-12-02:
PRICES = {
    # OpenAI's gpt-4-1106-preview (GPT-4 Turbo preview), as listed on
    # aitoolrank.net/model/openai--gpt-4-turbo-preview (OpenRouter's listing).
    "large": (10.00, 30.00),
    # mistralai/mixtral-8x7b-instruct, OpenRouter's routed rate, as listed on
    # llm-pricing-872.pages.dev/en/models/mistralai-mixtral-8x7b-instruct.
    "small": (0.54, 0.54),
}
# MT-Bench's categories by question_id (FastChat's question.jsonl: ten questions each).
CATEGORIES = ("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")


def category(question_id: int) -> str:
    """MT-Bench's category of a question (81-90 writing, ..., 151-160 humanities).

    Example:
        >>> category(81), category(160)
        ('writing', 'humanities')
    """
    return CATEGORIES[(question_id - 81) // 10]


def _messages(row: dict) -> list[tuple[str, str]]:
    turns = [m for user, assistant in row["context"] for m in (("user", user), ("assistant", assistant))]
    return [*turns, ("user", row["question"])]


def _tokenizers():
    import bpe_openai
    import sentencepiece

    gpt4 = bpe_openai.get_encoding("cl100k_base")
    model = importlib.resources.files("mistral_common") / "data" / "tokenizer.model.v1"
    mixtral = sentencepiece.SentencePieceProcessor(model_file=str(model))
    return gpt4, mixtral


def gpt4_tokens(gpt4, messages: list[tuple[str, str]], answer: str) -> tuple[int, int]:
    """(prompt, output) tokens as OpenAI bills a chat completion: per message 3 tokens plus its
    role and content, 3 more to prime the reply; the output is the answer's tokens."""
    prompt = sum(3 + len(gpt4.encode(role)) + len(gpt4.encode(content)) for role, content in messages) + 3
    return prompt, len(gpt4.encode(answer))


def mixtral_tokens(mixtral, messages: list[tuple[str, str]], answer: str) -> tuple[int, int]:
    """(prompt, output) tokens of Mixtral-8x7B-Instruct's template: <s>, then [INST] user
    [/INST] assistant</s> for each earlier turn; the output is the answer and its </s>."""
    prompt = 1  # <s>
    for role, content in messages:
        prompt += len(mixtral.encode(f"[INST] {content} [/INST]" if role == "user" else content))
        prompt += role == "assistant"  # </s>
    return prompt, len(mixtral.encode(answer)) + 1


def build(source: Path) -> pl.DataFrame:
    gpt4, mixtral = _tokenizers()
    rows = []
    for line in source.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        messages = _messages(row)
        small = mixtral_tokens(mixtral, messages, row["small_answer"])
        large = gpt4_tokens(gpt4, messages, row["large_answer"])
        rows.append({
            "request_id": f"mt-bench-{row['question_id']}-turn{row['turn']}",
            "prompt": row["question"],
            "small_output": row["small_answer"], "large_output": row["large_answer"],
            "small_quality": row["small_grade"] / 10, "large_quality": row["large_grade"] / 10,
            "small_prompt_tokens": small[0], "small_output_tokens": small[1],
            "large_prompt_tokens": large[0], "large_output_tokens": large[1],
            "small_dollars": (small[0] * PRICES["small"][0] + small[1] * PRICES["small"][1]) / 1e6,
            "large_dollars": (large[0] * PRICES["large"][0] + large[1] * PRICES["large"][1]) / 1e6,
            "mode": category(row["question_id"]), "surface": f"turn {row['turn']}",
        })
    return pl.DataFrame(rows)


if __name__ == "__main__":
    table = build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
    table.write_parquet(OUT, compression="zstd", compression_level=22)
    print(f"{OUT}: {table.height} rows, {OUT.stat().st_size:,} bytes; small answer at least as good on "
          f"{(table['small_quality'] >= table['large_quality']).sum()}; dollars a request: small "
          f"{table['small_dollars'].mean():.5f}, large {table['large_dollars'].mean():.5f}")
