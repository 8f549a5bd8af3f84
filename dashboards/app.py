"""Plan B dashboard: `streamlit run dashboards/app.py` (data folder from $PLANB_DATA_DIR).

This file only sets up the page, the shared sidebar and the navigation; each page is a module.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Streamlit runs this file as a script with dashboards/ on sys.path; the imports below need
# the repository root, which is not there unless the project is pip-installed.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboards import loaders, overview  # noqa: E402
from dashboards.sidebar import render_sidebar  # noqa: E402
from warehouse.db import NoSnapshotError  # noqa: E402


def main() -> None:
    st.set_page_config(page_title="Plan B", layout="wide")
    data_dir = loaders.data_dir()
    try:
        selection = render_sidebar(data_dir)
    except NoSnapshotError:  # removed between the existence check and the query
        selection = None

    def overview_page() -> None:
        overview.render(data_dir, selection)

    page = st.navigation(
        [st.Page(overview_page, title="Overview", url_path="overview", default=True)]
    )
    page.run()


if __name__ == "__main__":
    main()
