"""Examples page: the small and the large model's answers side by side, filtered by the agree
label, segment and metric values, so a person can see what "disagree" means."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data
from dashboards.view import View, current_view, explain_missing, say_what_is_shown

ANY = "All"
LABELS = {ANY: None, "Agree": True, "Disagree": False}
METRICS = {"token_f1": "Token F1", "rouge_l": "ROUGE-L", "content_containment": "Content containment",
           "cosine": "Embedding cosine", "judge": "Judge"}


def render(view: View) -> None:
    st.title("Examples")
    if explain_missing(view, needs_projection=False):
        return
    say_what_is_shown(view, "the replayed question and answer pairs",
                      "`planb import-replays` stores an imported set's projection (each pair's quality, cost and "
                      "router scores go into it), not its questions and answers.")
    versions = data.scoring_versions(view)
    if versions.is_empty():
        st.info("This snapshot has no scored pairs yet: run the pipeline through `agreement`.")
        return
    version = versions.row(0, named=True)
    if versions.height > 1:  # rules changed over time: the newest by default
        chosen = st.selectbox("Agreement rule", versions["scoring_version"].to_list(), key="rule",
                              bind="query-params")
        version = versions.filter(pl.col("scoring_version") == chosen).row(0, named=True)
    st.caption(f"Agreement rule {version['scoring_version']}: {version['rule']} · {version['pairs']:,} scored pairs. "
               "Ordered by the chosen metric, lowest first: the clearest disagreements lead.")
    filters = _filters(view)
    pairs = data.examples(view, version["scoring_version"], **filters)
    if pairs.is_empty():
        st.info("No scored pair matches these filters.")
        return
    st.caption(f"{pairs.height} pair(s) shown")
    for pair in pairs.iter_rows(named=True):
        _pair(pair)


def _filters(view: View) -> dict:
    segments = data.example_segments(view)
    row_one, row_two = st.columns(4), st.columns(4)
    label = row_one[0].selectbox("Agreement", list(LABELS), key="agree", bind="query-params")
    chosen = {}
    for slot, kind in zip(row_one[1:], ("surface", "mode", "language"), strict=True):
        values = segments.filter(pl.col("segment_by") == kind)["segment"].to_list()
        picked = slot.selectbox(kind.capitalize(), [ANY, *values], key=kind, bind="query-params")
        chosen[kind] = None if picked == ANY else picked
    metric = row_two[0].selectbox("Metric", list(METRICS), format_func=METRICS.get, key="metric",
                                  bind="query-params")
    low_end = -1.0 if metric == "cosine" else 0.0
    # One range per metric (their scales differ), each kept in the URL under its own name.
    metric_range = row_two[1].slider(f"{METRICS[metric]} between", min_value=low_end, max_value=1.0,
                                     value=(low_end, 1.0), step=0.01, key=f"range_{metric}", bind="query-params")
    limit = row_two[2].number_input("Pairs shown", min_value=1, max_value=500, value=20, step=10, key="limit",
                                    bind="query-params")
    return {"agree": LABELS[label], **chosen, "metric": metric, "metric_range": tuple(metric_range),
            "limit": int(limit)}


def _pair(pair: dict) -> None:
    verdict = "agree" if pair["agree"] else "disagree"
    with st.container(border=True):
        # Logged text (the query, its ids and segments) is shown as text, never as Markdown: a
        # query holding a link or an image would render one (and the browser fetch the image).
        st.code(pair["query"], language=None, wrap_lines=True)
        st.text(f"{pair['request_id']} · {pair['surface']} / {pair['mode']} / {pair['language']}")
        st.caption(f"{pair['day']} · **{verdict}** (decided by {pair['decided_by']})")
        small, large = st.columns(2)
        small.markdown("Small model")
        small.text(pair["small_answer"] or "(no answer)")
        large.markdown("Large model")
        large.text(pair["large_answer"] or "(no answer)")
        st.caption(" · ".join(f"{METRICS.get(name, 'Exact')} {_number(pair[name])}"
                              for name in ("exact", *METRICS)))


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    render(current_view())
