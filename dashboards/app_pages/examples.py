"""Examples page: the small and the large model's answers side by side, filtered by the agree
label, segment and metric values, so a person can see what "disagree" means; each with the
sidebar's router's score and where that router sends it at the sidebar's threshold. An imported
set's stored pairs (imported_pairs) the same way, with both answers' quality."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data
from dashboards.view import View, current_view, explain_missing

ANY = "All"
LABELS = {ANY: None, "Agree": True, "Disagree": False}
IMPORTED_LABELS = {ANY: None, "At least as good": True, "Worse": False}
METRICS = {"token_f1": "Token F1", "rouge_l": "ROUGE-L", "content_containment": "Content containment",
           "cosine": "Embedding cosine", "judge": "Judge"}


def render(view: View) -> None:
    st.title("Examples")
    if explain_missing(view, needs_projection=False):
        return
    if view.imported:
        _imported(view)
        return
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
    filters = _filters(data.example_segments(view))
    pairs = data.examples(view, version["scoring_version"], router=view.router, **filters)
    if pairs.is_empty():
        st.info("No scored pair matches these filters.")
        return
    st.caption(f"{pairs.height} pair(s) shown")
    for pair in pairs.iter_rows(named=True):
        _pair(pair, view)


def _imported(view: View) -> None:
    segments = data.imported_segments(view)
    stored = segments.filter(pl.col("segment_by") == "pairs")["segment"]
    if stored.is_empty() or stored[0] == "0":
        st.info(f"No pairs of **{view.dataset}** are stored: it was imported before imported pairs were kept. "
                "Import it again (`planb import-replays`) to read its pairs here.")
        return
    if not view.has_projection:
        return
    st.caption(f"**{view.dataset}**: {int(stored[0]):,} imported pairs stored (at most import_replays.example_pairs, "
               "a seeded random sample beyond), PII redacted. The clearest losses first: the largest quality gap "
               "(large minus small) leads. Quality is as imported.")
    row_one = st.columns(4)
    label = row_one[0].selectbox("Small answer", list(IMPORTED_LABELS), key="imported_label", bind="query-params")
    chosen = _segment_filters(segments, row_one[1:])
    limit = st.number_input("Pairs shown", min_value=1, max_value=500, value=20, step=10, key="limit",
                            bind="query-params")
    pairs = data.imported_examples(view, view.router, label=IMPORTED_LABELS[label], limit=int(limit), **chosen)
    if pairs.is_empty():
        st.info("No stored pair matches these filters.")
        return
    st.caption(f"{pairs.height} pair(s) shown")
    for pair in pairs.iter_rows(named=True):
        verdict = ("unscored" if pair["label"] is None else
                   "small at least as good" if pair["label"] else "small worse")
        with st.container(border=True):
            st.code(pair["prompt"], language=None, wrap_lines=True)
            st.text(f"{pair['request_id']} · {pair['surface'] or '-'} / {pair['mode'] or '-'} / {pair['language'] or '-'}")
            st.caption(f"**{verdict}** · quality small {_number(pair['quality_small'])}, large "
                       f"{_number(pair['quality_large'])} · {routed_to(pair['score'], view)}")
            small, large = st.columns(2)
            small.markdown("Small model")
            small.text(pair["small_output"])
            large.markdown("Large model")
            large.text(pair["large_output"])


def routed_to(score: float | None, view: View) -> str:
    """Where the sidebar's router sends a pair at the sidebar's threshold (small when score >= it).

    Example:
        >>> from pathlib import Path
        >>> routed_to(0.62, View(Path("."), None, "length", 0.5))
        'length score 0.62: routed small at 0.50'
    """
    if view.router is None:
        return "no router chosen"
    if score is None:
        return f"no {view.router} score"
    where = "small" if score >= view.threshold else "large"
    return f"{view.router} score {score:.2f}: routed {where} at {view.threshold:.2f}"


def _segment_filters(segments: pl.DataFrame, slots) -> dict:
    chosen = {}
    for slot, kind in zip(slots, ("surface", "mode", "language"), strict=True):
        values = segments.filter(pl.col("segment_by") == kind)["segment"].to_list()
        picked = slot.selectbox(kind.capitalize(), [ANY, *values], key=kind, bind="query-params")
        chosen[kind] = None if picked == ANY else picked
    return chosen


def _filters(segments: pl.DataFrame) -> dict:
    row_one, row_two = st.columns(4), st.columns(4)
    label = row_one[0].selectbox("Agreement", list(LABELS), key="agree", bind="query-params")
    chosen = _segment_filters(segments, row_one[1:])
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


def _pair(pair: dict, view: View) -> None:
    verdict = "unscored" if pair["agree"] is None else "agree" if pair["agree"] else "disagree"
    with st.container(border=True):
        # Logged text (the query, its ids and segments) is shown as text, never as Markdown: a
        # query holding a link or an image would render one (and the browser fetch the image).
        st.code(pair["query"], language=None, wrap_lines=True)
        st.text(f"{pair['request_id']} · {pair['surface']} / {pair['mode']} / {pair['language']}")
        st.caption(f"{pair['day']} · **{verdict}** (decided by {pair['decided_by']}) · {routed_to(pair['score'], view)}")
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
