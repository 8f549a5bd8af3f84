"""The sidebar every page shares: which snapshot is open, the router and the threshold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboards import loaders


@dataclass(frozen=True)
class Selection:
    """What the pages show: a router at a threshold, from one version of the snapshot."""

    data_dir: Path
    version: loaders.Version
    router: str
    threshold: float


def render_sidebar(data_dir: Path) -> Selection | None:
    """Draw the sidebar; None when there is no snapshot or it has no routing projection."""
    version = loaders.snapshot_version(data_dir)
    if version is None:
        return None
    info = loaders.snapshot_info(str(data_dir), version)
    if info is not None:
        st.sidebar.caption(
            f"Snapshot published {info['published_at']:%Y-%m-%d %H:%M} · "
            f"{info['days']} days · {info['chat_log_rows']:,} logged requests"
        )
    routers = loaders.routers(str(data_dir), version)
    if not routers:
        return None
    # Widget keys keep the choice when the user switches pages or a new snapshot arrives.
    router = st.sidebar.selectbox("Router", routers, key="router")
    threshold = st.sidebar.slider(
        "Threshold",
        min_value=0.0,
        max_value=1.0,
        value=0.5,
        step=0.01,
        key="threshold",
        help="A request goes to the small model when the router's score is at least this.",
    )
    return Selection(data_dir, version, router, float(threshold))
