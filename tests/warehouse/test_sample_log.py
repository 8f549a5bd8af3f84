"""The bundled sample log: enough real queries over seven days, every field the flow uses,
and a generator that rebuilds it byte for byte."""

import json
from collections import Counter
from pathlib import Path

import pytest

from scoring.config import BUNDLED_LOG_DIR

LOG = BUNDLED_LOG_DIR / "search_chat_sample.jsonl"
NQ = Path(__file__).resolve().parents[3] / "shared" / "data" / "nq_open_test.jsonl"
FIELDS = {"request_id", "timestamp", "session_id", "user_id", "surface", "mode", "language",
          "query", "response", "model", "prompt_tokens", "completion_tokens", "latency_ms"}


def test_at_least_2000_requests_over_seven_days_with_every_field():
    records = []
    for line in LOG.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    good = [r for r in records if FIELDS <= r.keys() and r["query"].strip() and r["timestamp"][:2] == "20"]
    assert len(good) >= 2000
    assert len(Counter(r["timestamp"][:10] for r in good)) == 7
    assert {r["surface"] for r in good} == {"chat", "search"}
    assert {r["mode"] for r in good} == {"precise", "balanced", "creative"}
    assert (BUNDLED_LOG_DIR / "NOTICE").read_text().count("CC BY-SA 3.0") >= 1


@pytest.mark.skipif(not NQ.exists(), reason="the Natural Questions source file is not beside this checkout")
def test_generator_rebuilds_the_bundled_log_exactly():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", BUNDLED_LOG_DIR / "generate_sample_log.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "\n".join(module.generate(NQ)) + "\n" == LOG.read_text(encoding="utf-8")
