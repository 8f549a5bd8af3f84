"""The sidebar every page shares: which projection is open (dataset, router, threshold), your
traffic (requests a day) and the cost assumptions (GPU type, price per GPU-hour, utilisation)
every GPU-hour and dollar figure follows.

Each widget is bound to a URL query parameter of its key, so a view can be shared by its link.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from dashboards import answer, data
from dashboards.view import CostAssumptions, View
from warehouse.keys import PIPELINE


def render_sidebar(data_dir: Path) -> View:
    """Draw the sidebar and return what the pages show; router and costs stay None when the
    snapshot is missing or has no routing projection."""
    version = data.snapshot_version(data_dir)
    if version is None:
        return View(data_dir, None)
    snapshot = View(data_dir, version)
    missing = data.missing_migrations(snapshot)["version"].to_list()
    if missing:
        return View(data_dir, version, missing_migrations=tuple(missing))
    evidence = data.dataset_evidence(snapshot)
    datasets = evidence["dataset"].to_list()  # most evidence first: the default
    if not datasets:
        _snapshot_caption(snapshot, None)
        return snapshot
    dataset = st.sidebar.selectbox(
        "Dataset", datasets, key="dataset", bind="query-params", on_change=_reset_choices,
        help="The pipeline's own replay (`pipeline`) or a set imported with `planb import-replays`. Opens on the "
        "one with the most evidence; every page follows it or says what else it shows.")
    _snapshot_caption(snapshot, evidence.filter(pl.col("dataset") == dataset).row(0, named=True))
    chosen = View(data_dir, version, dataset=dataset)  # before the router and costs are chosen
    names = data.routers(chosen)["router"].to_list()
    if not names:
        return View(data_dir, version, dataset=dataset)
    metrics = data.recommendations(chosen)
    best, _certified = answer.best_router(metrics)
    router = st.sidebar.selectbox("Router", names, key="router", bind="query-params",
                                  index=names.index(best) if best in names else 0,
                                  help="Opens on the certified router that saves the most, else the best "
                                  "candidate (highest APGR).")
    threshold = st.sidebar.slider(
        "Threshold", min_value=0.0, max_value=1.0, step=0.01, key="threshold", bind="query-params",
        value=default_threshold(chosen, router, metrics),
        help="A request goes to the small model when the router's score is at least this. Starts at the "
        "router's recommended threshold (else the strictest threshold its certification would test first).",
    )
    costs = _cost_assumptions(chosen, _traffic_scale(chosen, router))
    return View(data_dir, version, router, float(threshold), costs, dataset)


def _traffic_scale(view: View, router: str) -> float:
    """Your requests a day over the projection's (1 until edited): every saving scales by it."""
    window = data.projection(view, router)  # the view has no costs yet: the projection's own traffic
    projected = float(window["requests_per_day"][0]) if window.height and window["requests_per_day"][0] else None
    st.sidebar.divider()
    st.sidebar.markdown("**Your traffic**")
    if projected is None:
        st.sidebar.caption("This projection has no traffic figure to scale.")
        return 1.0
    # The dataset in the key: another dataset starts at its own traffic, not the last one's edit.
    requests = st.sidebar.number_input(
        "Requests a day", min_value=1.0, value=float(round(projected)), step=10.0 ** max(0, len(f"{projected:.0f}") - 2),
        format="%.0f",
        key=f"requests_per_day_{view.dataset}", bind="query-params",
        help=f"The projection stands for {projected:,.0f} requests a day "
        f"({'each imported pair once a day' if view.imported else 'the logs’ daily mean'}). At your traffic "
        "every GPU-hour and dollar figure scales in proportion, intervals included; shares and quality do not.")
    return float(requests) / projected


def default_threshold(view: View, router: str, metrics: pl.DataFrame) -> float:
    """The router's recommended threshold, else the strictest one its certification tests first
    (the candidate the Overview's answer names), else 0.5; on the slider's 0.01 grid."""
    mine = metrics.filter(pl.col("router") == router)
    recommended = mine["recommended_threshold"][0] if mine.height else None
    if recommended is not None:
        return round(float(recommended), 2)
    candidate = answer.candidate_row(data.projection(view, router))
    return round(float(candidate["threshold"]), 2) if candidate else 0.5


def _reset_choices() -> None:
    """A new dataset: its own router and threshold defaults, not the last dataset's."""
    for key in ("router", "threshold"):
        st.session_state.pop(key, None)
        if key in st.query_params:
            del st.query_params[key]


def _snapshot_caption(view: View, dataset: dict | None) -> None:
    """When the snapshot was published and what the chosen dataset rests on."""
    info = _first_row(data.snapshot_info(view))
    published = f"Snapshot published {info['published_at']:%Y-%m-%d %H:%M}" if info else "Snapshot"
    if dataset is None or dataset["dataset"] == PIPELINE:  # the pipeline's logs
        logs = f" · {info['days']} days · {info['chat_log_rows']:,} logged requests" if info else ""
        toy = (f" · **{dataset['dataset']}** is the toy pair ({dataset['small_model']} and {dataset['large_model']}, "
               "bundled tiny models)") if dataset and dataset["toy"] else ""
        st.sidebar.caption(published + logs + toy)
        rules = data.scoring_versions(view)
        if rules.height:  # the latest rule's pairs; unscored ones are left out of agreement
            latest = rules.row(0, named=True)
            st.sidebar.caption(f"Replayed pairs (latest rule): {latest['pairs']:,} · {latest['labelled']:,} "
                               f"labelled · {latest['unscored']:,} unscored (open-ended, no judge: left out of "
                               "agreement)")
        return
    st.sidebar.caption(f"{published} · **{dataset['dataset']}**: {dataset['n_sample']:,} imported pairs, each "
                       "with both answers and their cost (no logs, days or replays of its own)")


def _first_row(table: pl.DataFrame) -> dict | None:
    return table.row(0, named=True) if table.height else None


def _cost_assumptions(view: View, traffic_scale: float) -> CostAssumptions:
    basis = _first_row(data.pricing_basis(view)) or {}
    prices = data.gpu_prices(view)
    device = basis.get("device")
    # One measured device with a GPU price: dollars are GPU-hours x price / utilisation. Not so
    # for a large model priced per token, or costs measured on two devices with two prices.
    editable = bool(device) and " + " not in device and not basis.get("large_hosted") and prices.height > 0
    utilisation = basis.get("utilisation") or 1.0
    st.sidebar.divider()
    st.sidebar.markdown("**Cost assumptions**")
    token_prices = _token_prices(view, basis.get("token_prices"))
    if not editable:
        if token_prices is None:
            st.sidebar.caption(_why_fixed(basis, prices))
        return CostAssumptions(None, basis.get("dollars_per_gpu_hour"), utilisation, editable=False,
                               traffic_scale=traffic_scale, token_prices=token_prices)
    list_price = dict(zip(prices["gpu_type"], prices["dollars_per_hour"], strict=True))
    types = prices["gpu_type"].to_list()  # the measured type first: the default
    gpu = st.sidebar.selectbox(
        "GPU type", types, key="gpu", bind="query-params",
        help=f"GPU-hours were measured on {device}. Choosing another type prices those hours at its "
        "rate; measure that GPU with `planb calibrate-gpu` for its own GPU-hours.",
    )
    # One price widget per GPU type: each starts at its list price and keeps its own edit.
    price = st.sidebar.number_input(
        f"Price per {gpu} GPU-hour ($)", min_value=0.0, value=float(list_price[gpu]), step=0.01,
        format="%.4f", key=f"price_{gpu}", bind="query-params", help="List price per paid GPU-hour.",
    )
    utilisation = st.sidebar.slider(
        "Utilisation", min_value=0.05, max_value=1.0, value=float(round(utilisation, 2)), step=0.05,
        key="utilisation", bind="query-params",
        help="Share of paid GPU-hours doing useful work: dollars = GPU-hours x price / utilisation.",
    )
    if gpu != types[0]:
        st.sidebar.caption(f"GPU-hours as measured on {device}, priced as {gpu}.")
    return CostAssumptions(gpu, float(price), float(utilisation), editable=True, traffic_scale=traffic_scale)


TOKEN_PRICE_LABELS = ("Small model, $ per million prompt tokens", "Small model, $ per million output tokens",
                      "Large model, $ per million prompt tokens", "Large model, $ per million output tokens")


def _token_prices(view: View, projected: list[float | None] | None) -> tuple[float | None, ...] | None:
    """Your dollars per million tokens for each model the projection priced per token (a hosted
    API), each starting at the price it used; None when no model is priced per token."""
    if not projected or all(p is None for p in projected):
        return None
    st.sidebar.caption("Priced per token (a hosted API): savings and their intervals follow your prices.")
    mine = []
    for k, (label, price) in enumerate(zip(TOKEN_PRICE_LABELS, projected, strict=True)):
        if price is None:  # self-hosted: priced by its GPU time, as projected
            mine.append(None)
            continue
        mine.append(float(st.sidebar.number_input(
            label, min_value=0.0, value=float(price), step=0.01, format="%.4f",
            key=f"token_price_{k}_{view.dataset}", bind="query-params",
            help=f"The projection used ${price:g} (docs/DASHBOARD.md, \"Cost assumptions\").")))
    return tuple(mine)


def _why_fixed(basis: dict, prices: pl.DataFrame) -> str:
    if basis.get("large_hosted"):
        return "The large model is a hosted API priced per token: dollars are as projected."
    if prices.is_empty():
        return "This snapshot has no price table (project again to add one): dollars are as projected."
    return (f"Costs were measured on {basis.get('device')}, each device at its own price: dollars are as "
            "projected (edit pricing in the config).")
