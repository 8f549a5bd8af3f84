"""What every page is given: the open snapshot's version, the sidebar's router and threshold,
and the cost assumptions the sidebar edits. ``app.py`` builds it on each rerun before it runs
the page; a page module reads it with ``current_view()``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from warehouse.keys import PIPELINE

_STATE_KEY = "_planb_view"

Version = tuple[int, int]  # the snapshot file's mtime and inode: changes on every publish


@dataclass(frozen=True)
class CostAssumptions:
    """How GPU-hours become dollars: x price per paid GPU-hour / utilisation (docs/DASHBOARD.md,
    "Cost assumptions")."""

    gpu_type: str | None
    dollars_per_gpu_hour: float | None
    utilisation: float
    editable: bool  # False for a hosted large model (priced per token) or two devices' prices
    # Your requests a day over the projection's: savings are a per-request mean times the traffic,
    # so every saving and its interval scale by it exactly (the traffic is a known count).
    traffic_scale: float = 1.0
    # Your dollars per million tokens (small prompt, small output, large prompt, large output) of
    # the models priced per token (None: not priced per token); None: as projected.
    token_prices: tuple[float | None, ...] | None = None


@dataclass(frozen=True)
class View:
    """The snapshot every page reads, and what the sidebar chose (None before a projection)."""

    data_dir: Path
    version: Version | None
    router: str | None = None
    threshold: float | None = None
    costs: CostAssumptions | None = None
    dataset: str = PIPELINE  # routing_projection.dataset: the pipeline's, or an imported set
    missing_migrations: tuple[int, ...] = ()  # published by an older Plan B: publish again

    @property
    def directory(self) -> str:
        return str(self.data_dir)

    @property
    def imported(self) -> bool:
        """The dataset is an imported replay set (`planb import-replays`), not the pipeline's own."""
        return self.dataset != PIPELINE

    @property
    def has_projection(self) -> bool:
        return self.router is not None


def set_current_view(view: View) -> None:
    st.session_state[_STATE_KEY] = view


def current_view() -> View:
    """The view ``app.py`` built for this rerun."""
    return st.session_state[_STATE_KEY]


NO_SNAPSHOT = (
    "No published snapshot in `{data_dir}` yet. Run `make demo` to build one from the bundled "
    "sample log, or point `PLANB_DATA_DIR` at a data folder that has `snapshot.duckdb`."
)
NO_PROJECTION = (
    "The snapshot in `{data_dir}` has no routing projection yet. Run `make demo` (or the "
    "pipeline up to `routing_projection`) and publish again."
)

OUTDATED = (
    "The snapshot in `{data_dir}` was published by an older Plan B (its schema lacks migration(s) "
    "{missing}). Run `make demo` (or the pipeline) to publish it again; the replays are kept."
)


def explain_missing(view: View, *, needs_projection: bool = True) -> bool:
    """Say what is missing instead of failing; True when the page has nothing to show."""
    if view.version is None:
        st.info(NO_SNAPSHOT.format(data_dir=view.data_dir))
        return True
    if view.missing_migrations:
        st.warning(OUTDATED.format(data_dir=view.data_dir, missing=", ".join(map(str, view.missing_migrations))))
        return True
    if needs_projection and not view.has_projection:
        st.info(NO_PROJECTION.format(data_dir=view.data_dir))
        return True
    return False



def say_what_is_shown(view: View, what: str, why: str) -> None:
    """On a page that shows the pipeline's own data whatever the dataset picker says: say so
    plainly when the picker names an imported set (issue 24: every page follows the picker or
    says what else it shows)."""
    if view.dataset != PIPELINE:
        st.info(f"This page shows {what} of the pipeline's own replay (dataset **{PIPELINE}**), not of "
                f"**{view.dataset}**, the dataset picked in the sidebar: {why}")
