"""The text `planb demo` and `planb import-replays` print: per router, how well it ranks requests
and the recommended threshold with its savings, each figure with its 95% interval."""


from scoring.config import PlanBConfig


def _ci(row: dict, name: str, fmt: str, lo: str | None = None, hi: str | None = None) -> str:
    value = row.get(name)
    if value is None:
        return "n/a"
    low, high = row.get(lo or f"{name}_lo"), row.get(hi or f"{name}_hi")
    interval = "[no interval: too few sampled]" if low is None or high is None else f"[{low:{fmt}}, {high:{fmt}}]"
    return f"{value:{fmt}} {interval}"


def recommendation_lines(table, *, target: float) -> list[str]:
    """Lines for a ``dashboard_queries.recommendations`` frame."""
    lines = [f"{'router':<17} {'AUC [95% CI]':<26} {'APGR [95% CI]':<26} {'CPT(50%) [95% CI]':<26} CPT(80%)  CPT(95%)"]
    for row in table.iter_rows(named=True):
        lines.append(f"{row['router']:<17} {_ci(row, 'auc', '.3f'):<26} {_ci(row, 'apgr', '.3f'):<26} "
                     f"{_ci(row, 'cpt50', '.1%'):<26} "
                     f"{'n/a' if row['cpt80'] is None else format(row['cpt80'], '.1%'):>8}  "
                     f"{'n/a' if row['cpt95'] is None else format(row['cpt95'], '.1%'):>8}")
    lines.append(f"\nRecommended threshold: the largest savings whose agreement lower bound stays >= {target:.0%}")
    lines.append(f"{'router':<17} {'threshold':>9}  {'routed small':>12}  {'agreement [95% CI]':<24} "
                 f"{'unchanged [95% CI]':<24} {'device-h saved/day [95% CI]':<34} $ saved/year [95% CI]")
    for row in table.iter_rows(named=True):
        if row["recommended_threshold"] is None:
            best = row["best_agreement_lo"]
            reach = "" if best is None else f" (best agreement lower bound: {best:.1%})"
            lines.append(f"{row['router']:<17} {'none':>9}  {row['note'] or ''}{reach}")
            continue
        lines.append(
            f"{row['router']:<17} {row['recommended_threshold']:>9.3f}  {row['share_small']:>12.1%}  "
            f"{_ci(row, 'agreement_small', '.1%'):<24} "
            f"{_ci(row, 'unchanged_share', '.1%', 'unchanged_lo', 'unchanged_hi'):<24} "
            f"{_ci(row, 'gpu_hours_saved_per_day', '.4f', 'gpu_hours_saved_lo', 'gpu_hours_saved_hi'):<34} "
            f"{_ci(row, 'dollars_saved_per_year', ',.2f')}"
        )
    return lines


def summary(cfg: PlanBConfig, dataset: str = "pipeline") -> str:
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
        *recommendation_lines(table, target=float(table["agreement_target"][0])),
    ]
    return "\n".join(lines)
