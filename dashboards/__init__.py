"""The Streamlit dashboard: navigation in ``app.py``, one module per page, cached loaders over
the published snapshot, and pure Plotly figure builders."""
