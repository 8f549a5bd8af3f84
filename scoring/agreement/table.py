"""A table of answer pairs scored with the configured stack: every metric, the kind of answer,
the agree label and what decided it, the predicted probability of quality parity (``p_parity``,
``scoring.agreement.parity``: every pair, open or not), and the configured judge's verdict where
the rule leaves a pair to it. The agreement asset, `planb score-pairs` and `planb import-replays`
all score here; they only read, write and report.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

import polars as pl

from scoring.agreement.embedding import configured_embedder
from scoring.agreement.pairs import score_pairs
from scoring.agreement.parity import predict_parity
from scoring.agreement.rule import judge_spec, rule_from_config
from scoring.config import ModelSpec, PlanBConfig

# The columns a pairs table has, whatever it is read from.
PAIR_COLUMNS = ("request_id", "question", "small_answer", "large_answer")
# score_pairs' columns that are not numeric metrics, and the judge's per-pair flags.
COLUMN_TYPES = {"kind": pl.String, "agree": pl.Boolean, "decided_by": pl.String,
                "judge_chars_cut": pl.Int32, "judge_prompt_truncated": pl.Boolean}


@dataclass
class JudgeLedger:
    """The judge's bookkeeping over one table: its spec (None without a judge) and each run it
    made, with the indices of the pairs that run judged."""

    spec: ModelSpec | None
    runs: list = field(default_factory=list)  # [(pair indices, JudgeRun)]

    def columns(self, n_pairs: int) -> dict[str, list]:
        """Per pair: answer characters cut from the judge's prompts and whether the engine cut a
        prompt (None where the judge was not asked)."""
        cut: list[int | None] = [None] * n_pairs
        truncated: list[bool | None] = [None] * n_pairs
        for indices, run in self.runs:
            for i, chars, short in zip(indices, run.chars_cut, run.prompt_truncated, strict=True):
                cut[i], truncated[i] = chars, short
        return {"judge_chars_cut": cut, "judge_prompt_truncated": truncated}

    def summary(self) -> dict:
        """The judge's cost (calls, tokens, device-seconds) and position bias; {} without a judge."""
        from scoring.agreement.judge import judge_cost, position_flips
        from scoring.replay.engine import ReplayRun

        if self.spec is None:
            return {}
        merged = ReplayRun(results=[r for _, run in self.runs for r in run.replay.results])
        flips = [position_flips(run.preferences) for _, run in self.runs]
        flipped, comparable = sum(f for f, _ in flips), sum(c for _, c in flips)
        return {**judge_cost(merged), "judge_pairs": sum(len(i) for i, _ in self.runs),
                "judge_position_flips": flipped, "judge_pairs_with_both_verdicts": comparable,
                "judge_position_bias": flipped / comparable if comparable else None,
                "judge_chars_cut": sum(sum(run.chars_cut) for _, run in self.runs)}

    def calls(self) -> pl.DataFrame:
        """One row per judge call (pair and answer order): output, verdict, tokens, seconds."""
        from scoring.agreement.judge import parity

        rows = []
        for _, run in self.runs:
            position = {pid: k for k, pid in enumerate(run.pair_ids)}
            for r in run.replay.results:
                request_id, order = r.request_id.rsplit("|", 1)
                k = position[request_id]
                preference = run.preferences[order][k]
                rows.append({"request_id": request_id, "answer_order": order, "output": r.output,
                             "preference": preference, "verdict": parity(preference),
                             "prompt_tokens": r.prompt_tokens, "output_tokens": r.output_tokens,
                             "seconds": r.seconds, "batch_id": r.batch_id, "device": run.replay.device,
                             "error": r.error, "prompt_truncated": r.prompt_truncated,
                             "chars_cut": run.chars_cut[k]})
        return pl.DataFrame(rows, schema_overrides={"output": pl.String, "error": pl.String,
                                                    "preference": pl.String, "seconds": pl.Float64})

    def batches(self) -> pl.DataFrame:
        """The judge's replay batches, its cost counted like a replay's."""
        return pl.DataFrame([{**asdict(b), "device": run.replay.device}
                             for _, run in self.runs for b in run.replay.batches])


@dataclass(frozen=True)
class ScoredPairs:
    table: pl.DataFrame  # request_id, every metric, kind, agree (null: unscored), p_parity, decided_by, judge flags
    judge: JudgeLedger

    def counts(self) -> dict:
        """Pairs by kind and by what decided them, the unscored ones and the agree share among the
        scored ones (``label_counts``)."""
        return label_counts(self.table)


def label_counts(table: pl.DataFrame) -> dict:
    """Pairs by kind of answer and by what decided them, the unscored ones (agree null: open-ended
    with no judge) and the agree share among the scored ones only.

    Example:
        >>> counts = label_counts(pl.DataFrame({"kind": ["short", "open"], "agree": [True, None],
        ...                                     "decided_by": ["token_f1", "unscored"]}))
        >>> counts["pairs_by_kind"], counts["decided_by"]
        ('{"short": 1, "open": 1}', '{"token_f1": 1, "unscored": 1}')
        >>> counts["scored_pairs"], counts["unscored_pairs"], counts["unscored_share"], counts["agree_share"]
        (1, 1, 0.5, 1.0)
    """
    agree = table["agree"].to_list()
    scored = [a for a in agree if a is not None]
    return {"pairs_by_kind": json.dumps(dict(Counter(str(k) for k in table["kind"].to_list()))),
            "decided_by": json.dumps(dict(Counter(table["decided_by"].to_list()))),
            "scored_pairs": len(scored), "unscored_pairs": len(agree) - len(scored),
            "unscored_share": (len(agree) - len(scored)) / len(agree) if agree else None,
            "agree_share": sum(scored) / len(scored) if scored else None}


def score_pair_table(pairs: pl.DataFrame, cfg: PlanBConfig, *, judge: bool = True) -> ScoredPairs:
    """Score ``pairs`` (columns ``PAIR_COLUMNS``) with the configured rule and embedder, and the
    configured judge (if any, and unless ``judge`` is False) on the pairs the rule leaves to it.

    Example:
        >>> scored = score_pair_table(pairs, load_config(None))  # doctest: +SKIP
        >>> scored.table.columns[:2], scored.counts()["scored_pairs"]  # doctest: +SKIP
        (['request_id', 'exact'], 24)
    """
    ids, questions = pairs["request_id"].to_list(), pairs["question"].to_list()
    small, large = pairs["small_answer"].to_list(), pairs["large_answer"].to_list()
    ledger = JudgeLedger(judge_spec(cfg) if judge else None)
    metrics = score_pairs(small, large, embedder=configured_embedder(cfg.agreement),
                          rule=rule_from_config(cfg.agreement), questions=questions,
                          judge=_judge_callback(cfg, ledger, ids, questions, small, large))
    # Beside the label: the default predictor's P(small at least as good), whatever the kind; where
    # the configured judge was asked, its verdict replaces it (the prediction reviews correct).
    p_parity = predict_parity(questions, small, large, metrics, metrics["kind"], device=cfg.agreement.embedding_device)
    p_parity = [p if verdict is None else verdict for p, verdict in zip(p_parity, metrics["judge"], strict=True)]
    columns = [pl.Series("request_id", ids, dtype=pl.String)]
    for name, values in {**metrics, "p_parity": p_parity, **ledger.columns(len(ids))}.items():
        columns.append(pl.Series(name, values, dtype=COLUMN_TYPES.get(name, pl.Float64)))
    return ScoredPairs(pl.DataFrame(columns), ledger)


def _judge_callback(cfg: PlanBConfig, ledger: JudgeLedger, ids, questions, small, large):
    """What score_pairs calls on the pairs it leaves to the judge (each run kept in the ledger),
    or None without a judge."""
    if ledger.spec is None:
        return None
    from scoring.agreement.judge import judge_generator, run_judge

    generate = judge_generator(ledger.spec, str(cfg.model_cache_dir))

    def judge(indices: list[int]) -> list[float]:
        run = run_judge([ids[i] for i in indices], [questions[i] for i in indices],
                        [small[i] for i in indices], [large[i] for i in indices],
                        generate=generate, max_answer_chars=cfg.agreement.judge.max_answer_chars)
        ledger.runs.append((list(indices), run))
        return run.score

    return judge
