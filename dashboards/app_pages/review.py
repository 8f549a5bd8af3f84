"""Review page: side-by-side human review of the pairs the pipeline drew (review_sample). The
request with its context, the two answers in the order drawn for the pair (which model is left
is never shown), and four verdicts by click or key (1 left better, 2 right better, 3 about the
same, 4 can't judge). Each verdict is saved at once, with the reviewer's name and the time, in
the reviews store; the next pipeline run reads them in."""

from __future__ import annotations

import streamlit as st

from dashboards import data, review_store
from dashboards.view import View, current_view, explain_missing, say_what_is_shown

NAME_KEY = "reviewer_name"


def render(view: View) -> None:
    st.title("Review")
    if explain_missing(view, needs_projection=False):
        return
    say_what_is_shown(view, "the replayed pairs drawn for review",
                      "the review sample is drawn from the pipeline's own replays.")
    pairs = data.review_pairs(view)
    if pairs.is_empty():
        st.info("The snapshot has no review sample yet: run the pipeline (`planb run`) or `planb reviews sample`.")
        return
    reviewer = st.text_input("Your name", key=NAME_KEY, max_chars=100,
                             help="Stored with each verdict, so two reviewers of one pair can be compared.")
    if not reviewer.strip():
        st.info("Type your name to start reviewing.")
        return
    left_to_do = review_store.queue(view, pairs, reviewer)
    done = review_store.reviewed_by(view, reviewer)
    saved = st.session_state.pop("review_saved", None)
    if saved:
        st.success(saved)
    st.caption(f"{pairs.height} pairs drawn for review (open pairs first) · {done} reviewed by you · "
               f"{left_to_do.height} waiting for a reviewer")
    pair = review_store.next_pair(view, left_to_do, reviewer)
    if pair is None:
        st.info("Nothing left for you to review: every drawn pair has its reviewers, or another reviewer has "
                "it on screen now. Thank you.")
        return
    _pair(view, pair, reviewer.strip())


def _pair(view: View, pair: dict, reviewer: str) -> None:
    with st.container(border=True):
        st.caption(f"{pair['request_id']} · {pair['day']} · {pair['kind']} answer")
        # Logged text as text, never Markdown (a link or image in a query would render).
        if pair["context"]:
            with st.expander("Context (earlier turns)"):
                st.text(pair["context"])
        st.code(pair["query"], language=None, wrap_lines=True)
        small_left = pair["small_side"] == "left"
        answers = (pair["small_answer"], pair["large_answer"]) if small_left else (pair["large_answer"],
                                                                                    pair["small_answer"])
        for column, title, answer in zip(st.columns(2), ("Left", "Right"), answers, strict=True):
            column.markdown(f"**{title}**")
            column.text(answer or "(no answer)")
    buttons = st.columns(len(review_store.CHOICES))
    for slot, (verdict, label, key) in zip(buttons, review_store.CHOICES, strict=True):
        if slot.button(label, shortcut=key, key=f"verdict_{verdict}", width="stretch"):
            at = review_store.save(view, pair["request_id"], reviewer, verdict, pair["small_side"])
            st.session_state["review_saved"] = f"Saved: {label.lower()} on {pair['request_id']} at {at:%H:%M:%S} UTC"
            st.rerun()


if __name__ == "__main__":
    render(current_view())
