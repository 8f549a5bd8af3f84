"""Plan B dashboard: `streamlit run dashboards/app.py` (data folder from $PLANB_DATA_DIR).

This file only sets up the page, the shared sidebar and the navigation; each page is a module
of ``app_pages/`` that draws itself from ``view.current_view()`` when Streamlit runs it. (Not
``pages/``: on a server's first run Streamlit takes that folder for its legacy multipage app, and
a link to /segments would run the page file without this one, so with no sidebar and no view.)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Streamlit runs this file as a script with dashboards/ on sys.path; the imports below need
# the repository root, which is not there unless the project is pip-installed.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st

from dashboards import data
from dashboards.sidebar import render_sidebar
from dashboards.view import View, set_current_view
from warehouse.db import NoSnapshotError

# (module file, title, url path), in menu order; the first is the default page.
PAGES = [
    ("app_pages/overview.py", "Overview", "overview"),
    ("app_pages/threshold_explorer.py", "Threshold explorer", "thresholds"),
    ("app_pages/segments.py", "Segments", "segments"),
    ("app_pages/examples.py", "Examples", "examples"),
    ("app_pages/costs.py", "Costs", "costs"),
    ("app_pages/data_health.py", "Data health", "health"),
    ("app_pages/review.py", "Review", "review"),
]


def main() -> None:
    st.set_page_config(page_title="Plan B", layout="wide")
    data_dir = data.data_dir()
    try:
        view = render_sidebar(data_dir)
    except NoSnapshotError:  # removed between the existence check and the query
        view = View(data_dir, None)
    set_current_view(view)
    # Page files are named relative to this script's folder, as Streamlit resolves them.
    page = st.navigation([
        st.Page(module, title=title, url_path=url, default=index == 0)
        for index, (module, title, url) in enumerate(PAGES)
    ])
    page.run()


if __name__ == "__main__":
    main()
