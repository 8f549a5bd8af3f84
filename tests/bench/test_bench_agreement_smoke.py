"""bench/agreement.py's comparison with today's stack (issue 22), on three worked pairs: the stack
of TODAY_COMMIT is read from git into a package of its own and scores the same pairs as ours,
and a measurement gives the keys the bench prints (no timing asserted)."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

from scoring.agreement.rule import rule_from_config
from scoring.config import AgreementConfig
from scoring.validation.sets import load_worked_set

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("bench_agreement", ROOT / "bench" / "agreement.py")
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)


def _has_commit(commit: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True).returncode == 0


@pytest.mark.skipif(not _has_commit(bench.TODAY_COMMIT), reason="needs the repository's history")
def test_today_stack_scores_the_same_pairs():
    rows = [r for r in load_worked_set() if r["set"] == "svamp"][:3]  # long worked solutions: no embedding
    pairs = ([r["a"] for r in rows], [r["b"] for r in rows], [r["query"] for r in rows])
    rule = rule_from_config(AgreementConfig())
    today_pairs, today_rule = bench.stack_at(bench.TODAY_COMMIT)
    assert today_pairs.__name__ == f"planb_agreement_{bench.TODAY_COMMIT[:7]}.pairs"
    old_rule = today_rule.AgreementRule(**{k: getattr(rule, k) for k in today_rule.AgreementRule.__dataclass_fields__})

    def today(small, large, questions, embedder, _rule):
        return today_pairs.score_pairs(small, large, embedder=embedder, rule=old_rule, questions=questions)["agree"]

    assert bench.ours(*pairs, None, rule) == today(*pairs, None, rule) == [r["same_answer"] for r in rows]
    out = bench.measure("worked_svamp", pairs, None, rule, 1, today)
    assert out["worked_svamp_pairs"] == 3 and out["worked_svamp_wall_ratio"] > 0 and out["worked_svamp_ours_cpu_s"] >= 0
