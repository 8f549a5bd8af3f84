"""The text `planb demo` and `planb import-replays` print: per router, how well it ranks requests
and the recommended threshold with its savings, each figure with its 95% interval."""


from scoring.config import PlanBConfig
from warehouse.keys import PIPELINE


def _ci(row: dict, name: str, fmt: str, lo: str | None = None, hi: str | None = None) -> str:
    value = row.get(name)
    if value is None:
        return "n/a"
    low, high = row.get(lo or f"{name}_lo"), row.get(hi or f"{name}_hi")
    interval = "[no interval: too few sampled]" if low is None or high is None else f"[{low:{fmt}}, {high:{fmt}}]"
    return f"{value:{fmt}} {interval}"


def recommendation_lines(table, *, target: float) -> list[str]:
    """Lines for a ``dashboard_queries.recommendations`` frame."""
    lines = [f"{'router':<17} {'AUC [95% CI]':<26} {'APGR [95% CI]':<26} {'CPT(50%) [95% CI]':<26} CPT(80%)  CPT(95%)"
             "  RouteLLM CPT(50/80/95%)"]
    for row in table.iter_rows(named=True):
        routellm = "/".join("n/a" if row.get(f"cpt{x}_routellm") is None else format(row[f"cpt{x}_routellm"], ".1%")
                            for x in (50, 80, 95))
        lines.append(f"{row['router']:<17} {_ci(row, 'auc', '.3f'):<26} {_ci(row, 'apgr', '.3f'):<26} "
                     f"{_ci(row, 'cpt50', '.1%'):<26} "
                     f"{'n/a' if row['cpt80'] is None else format(row['cpt80'], '.1%'):>8}  "
                     f"{'n/a' if row['cpt95'] is None else format(row['cpt95'], '.1%'):>8}  {routellm}")
    lines.append("(CPT: the least share of calls to the large model measured to recover x% of the gap; "
                 "RouteLLM CPT: np.interp between operating points, as RouteLLM's evaluate.py prints it)")
    lines.append(guarantee_line(table.row(0, named=True), target=target) if table.height else "")
    lines.append(f"{'router':<17} {'threshold':>9}  {'routed small':>12}  {'agreement [95% CI]':<24} "
                 f"{'unchanged [95% CI]':<24} {'device-h saved/day [95% CI]':<34} $ saved/year [95% CI]")
    for row in table.iter_rows(named=True):
        if row["recommended_threshold"] is None:
            lines.append(f"{row['router']:<17} {'none':>9}  {row['note'] or ''}")
            continue
        lines.append(
            f"{row['router']:<17} {row['recommended_threshold']:>9.3f}  {row['share_small']:>12.1%}  "
            f"{_ci(row, 'agreement_small', '.1%'):<24} "
            f"{_ci(row, 'unchanged_share', '.1%', 'unchanged_lo', 'unchanged_hi'):<24} "
            f"{_ci(row, 'gpu_hours_saved_per_day', '.4f', 'gpu_hours_saved_lo', 'gpu_hours_saved_hi'):<34} "
            f"{_ci(row, 'dollars_saved_per_year', ',.2f')}"
        )
        if row.get("gate_measure") not in (None, "agreement") and row.get("kept_small") is not None:
            lines.append(f"{'':<17} {'':>9}  {row['gate_measure']} among routed small: {row['kept_small']:.1%} "
                         f"(p = {row['kept_p_value']:.3f})")
    certifiable = [f"{row['router']} {row['certifiable_share_small']:.0%}" for row in table.iter_rows(named=True)
                   if row.get("certifiable_share_small") is not None]
    if certifiable:
        lines.append("Smallest share routed small this sample can certify: " + ", ".join(certifiable)
                     + " (more replayed requests a day lower it).")
    return lines


def label_lines(data_dir) -> list[str]:
    """The pipeline's pairs under the latest agreement rule, labelled and unscored, and the
    judge's cost when a judge was asked: what the analysis itself cost."""
    from warehouse.dashboard_queries import judge_cost, scoring_versions

    rules = scoring_versions(data_dir)
    if rules.is_empty():
        return []
    rule = rules.row(0, named=True)
    share = rule["unscored"] / rule["pairs"] if rule["pairs"] else 0.0
    lines = [f"Pairs scored: {rule['pairs']:,}, {rule['labelled']:,} labelled, {rule['unscored']:,} unscored "
             f"({share:.1%}: open-ended answers with no judge configured, left out of agreement)."]
    for row in judge_cost(data_dir).iter_rows(named=True):
        lines.append(f"Judge {row['judge']}: {row['pairs']:,} pairs, {row['calls']:,} calls, "
                     f"{row['prompt_tokens'] + row['output_tokens']:,} tokens, "
                     f"{row['device_seconds']:.1f} device-seconds on {row['device']} (the cost of this analysis).")
    return lines


def guarantee_line(row: dict, *, target: float) -> str:
    """What the recommended threshold promises and what it costs in sample size, from a
    ``recommendations`` row (its gate measure, risk and certify_min_routed)."""
    measure = row.get("gate_measure") or "agreement"
    risk = row.get("recommendation_risk") or 0.05
    need = row.get("certify_min_routed")
    cost = "" if need is None else (f"; certifying it needs about {need:.0f} scored requests routed small, "
                                    "all keeping quality (more when some do not)")
    return (f"\nRecommended threshold: the most saving one certified to keep {measure} among requests routed "
            f"small >= {target:.0%}: this fails in at most {risk:.0%} of samples (fixed-sequence test from the "
            f"strictest threshold down, learn-then-test){cost}")


def summary(cfg: PlanBConfig, dataset: str = PIPELINE) -> str:
    """Every router of ``dataset`` in the published snapshot: ranking quality (AUC), RouteLLM's
    APGR and CPT, and the recommended threshold with its savings."""
    from warehouse.dashboard_queries import projection, recommendations

    table = recommendations(cfg.data_dir, dataset)
    first = projection(cfg.data_dir, table["router"][0], dataset=dataset).row(0, named=True)
    price = "no price" if first["dollars_per_gpu_hour"] is None else f"${first['dollars_per_gpu_hour']}/h"
    costs = ("costs unknown" if first["device"] is None and not first.get("large_hosted") else
             "costs as priced per request or token" if first["device"] is None else
             f"costs measured on {first['device']} at {price}, utilisation {first['utilisation']:.0%}")
    lines = [
        f"{first['n_sample']} replayed requests standing for {first['requests_per_day']:,.0f} logged requests "
        f"a day; {costs}" + (f" ({first['price_note']})" if first["price_note"] else "") + ".",
        *([f"Output tokens charged at {first['cost_basis']}."] if first.get("cost_basis") else []),
        *(label_lines(cfg.data_dir) if dataset == PIPELINE else []),
        *recommendation_lines(table, target=float(table["agreement_target"][0])),
    ]
    return "\n".join(lines)
