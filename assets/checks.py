"""Asset checks of the daily assets, each next to its asset in the graph. They are blocking: a
failed one stops the run before the asset's downstream steps, so a bad day never reaches the
projection or the published snapshot. Limits come from the config's `checks` section."""

import dagster as dg

from assets.instance import WRITER_POOL
from assets.resources import PlanBResource, partition_day, scoring_key
from scoring.routing.routers import ROUTERS
from warehouse import check_queries as cq
from warehouse.db import writer


def _result(problems: list[str], counts: dict, ok: str) -> dg.AssetCheckResult:
    """Failed (ERROR) with every problem named, or passed with ``ok``; the counts as metadata."""
    return dg.AssetCheckResult(
        passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems) if problems else ok,
        metadata={k: float(v) if isinstance(v, float) else int(v) for k, v in counts.items()},
    )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dg.asset_check(asset="chat_logs", blocking=True, pool=WRITER_POOL,
                description="the day has at least checks.min_day_rows accepted rows, and each row keeps "
                "the normalised schema's rules: a unique request id, a non-empty query, a timestamp on "
                "its day, its source file and line")
def chat_logs_rows_and_schema(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        counts = cq.chat_logs_day(con, day)
    problems = [f"{counts[k]} {label}" for k, label in (
        ("duplicate_ids", "request ids seen twice"), ("empty_queries", "empty queries"),
        ("off_day_timestamps", f"timestamps not on {day}"), ("no_source", "rows without source line"))
        if counts[k]]
    if counts["rows"] < cfg.checks.min_day_rows:
        problems.insert(0, f"{counts['rows']} accepted rows for {day} ({counts['rejected']} rejected), "
                        f"fewer than checks.min_day_rows = {cfg.checks.min_day_rows}: did its logs arrive?")
    return _result(problems, counts, f"{counts['rows']} rows for {day}, schema rules kept")


@dg.asset_check(asset="replay_sample", blocking=True, pool=WRITER_POOL,
                description="the sample's weights add up to the logged requests of each stratum and of "
                "the day; every sampled request is a logged one; inclusion probabilities in (0, 1]")
def sample_matches_logs(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        counts = cq.sample_day(con, day)
    problems = []
    if counts["logged"] and not counts["sampled"]:
        problems.append(f"no request sampled of {counts['logged']} logged")
    if abs(counts["weight_sum"] - counts["logged"]) > 1e-6 * max(counts["logged"], 1):
        problems.append(f"weights add up to {counts['weight_sum']:.3f}, not the {counts['logged']} logged requests")
    problems += [f"{counts[k]} {label}" for k, label in (
        ("strata_off", "strata whose weights miss their size"), ("not_logged", "sampled requests not in chat_logs"),
        ("bad_probabilities", "inclusion probabilities outside (0, 1]")) if counts[k]]
    return _result(problems, counts, f"{counts['sampled']} sampled requests stand for {counts['logged']} logged")


def _replays_check(role: str) -> dg.AssetChecksDefinition:
    asset = f"{role}_replays"

    @dg.asset_check(asset=asset, name=f"{role}_replays_complete", blocking=True, pool=WRITER_POOL,
                    description=f"every sampled request has a {role} replay: at most "
                    "checks.max_failed_replay_share missing or failed (error), at most "
                    "checks.max_empty_output_share empty answers, no negative tokens or seconds")
    def check(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
        cfg = planb.load()
        day = partition_day(context)
        with writer(cfg.data_dir) as con:
            counts = cq.replays_day(con, day, cfg.models[role].model_key)
        sampled, limits = counts["sampled"], cfg.checks
        unanswered = counts["missing"] + counts["failed"]
        problems = []
        if _share(unanswered, sampled) > limits.max_failed_replay_share:
            problems.append(f"{counts['missing']} missing and {counts['failed']} failed of {sampled} "
                            f"(limit {limits.max_failed_replay_share:.0%}); failed ones are retried on the next run")
        if _share(counts["empty"], sampled - unanswered) > limits.max_empty_output_share:
            problems.append(f"{counts['empty']} empty answers of {sampled - unanswered} "
                            f"(limit {limits.max_empty_output_share:.0%})")
        if counts["negative"]:
            problems.append(f"{counts['negative']} replays with negative tokens or seconds")
        return _result(problems, counts, f"{sampled - unanswered} of {sampled} answered, "
                       f"{counts['empty']} empty, {counts['device_seconds']:.1f} device-seconds")

    return check


small_replays_complete = _replays_check("small")
large_replays_complete = _replays_check("large")


def _agreement_counts(context: dg.AssetCheckExecutionContext, planb: PlanBResource):
    """The config and the day's agreement counts under the current scoring version."""
    cfg = planb.load()
    with writer(cfg.data_dir) as con:
        return cfg, cq.agreement_day(con, partition_day(context), scoring_key(cfg))


@dg.asset_check(asset="agreement", blocking=True, pool=WRITER_POOL,
                description="every pair both models answered is scored under the current scoring version, "
                "and every metric is in its range (exact 0 or 1; F1, containment, ROUGE-L, judge in [0, 1]; "
                "cosine in [-1, 1])")
def agreement_metrics_in_range(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg, counts = _agreement_counts(context, planb)
    problems = [f"{counts[k]} {label}" for k, label in (
        ("missing", "answered pairs not scored"), ("out_of_range", "rows with a metric out of range")) if counts[k]]
    return _result(problems, counts, f"{counts['scored']} pairs scored ({counts['unscored']} unscored), "
                   f"{counts['agree_share']:.1%} of the labelled ones agree")


@dg.asset_check(asset="agreement", blocking=False, pool=WRITER_POOL,
                description="warns when more than checks.max_unscored_share of the day's pairs are "
                "unscored (open-ended answers with no judge configured: left out of agreement, so "
                "agreement rests on the other pairs only)")
def agreement_unscored_share(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg, counts = _agreement_counts(context, planb)
    share, limit = _share(counts["unscored"], counts["scored"]), cfg.checks.max_unscored_share
    found = f"{counts['unscored']} of {counts['scored']} pairs unscored ({share:.1%})"
    passed = share <= limit
    return dg.AssetCheckResult(
        passed=passed, severity=dg.AssetCheckSeverity.WARN,
        description=found + (f", at most checks.max_unscored_share = {limit:.0%}" if passed else
                             f", above checks.max_unscored_share = {limit:.0%}: configure a judge "
                             "(agreement.judge) to score open-ended answers"),
        metadata={"unscored": counts["unscored"], "scored": counts["scored"], "unscored_share": share,
                  "max_unscored_share": limit},
    )


@dg.asset_check(asset="router_scores", blocking=True, pool=WRITER_POOL,
                description="each daily router scores each scored pair once, in [0, 1]")
def router_scores_in_range(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    day = partition_day(context)
    routers = [r for r in cfg.projection.routers if not ROUTERS[r].trained]
    with writer(cfg.data_dir) as con:
        counts = cq.router_scores_day(con, day, routers, scoring_key(cfg))
    problems = [f"{counts[k]} {label}" for k, label in (
        ("duplicates", "(request, router) pairs scored twice"), ("out_of_range", "scores outside [0, 1]")) if counts[k]]
    if counts["rows"] != counts["expected"]:
        problems.insert(0, f"{counts['rows']} scores, expected {counts['expected']} "
                        f"({len(routers)} routers x scored pairs)")
    return _result(problems, counts, f"{counts['rows']} scores of {len(routers)} routers in [0, 1]")


DAILY_CHECKS = [chat_logs_rows_and_schema, sample_matches_logs, small_replays_complete,
                large_replays_complete, agreement_metrics_in_range, agreement_unscored_share,
                router_scores_in_range]
