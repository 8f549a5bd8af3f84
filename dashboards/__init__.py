"""The Streamlit dashboard: navigation in ``app.py``, one module per page in ``app_pages/``, one
cached function per query over the published snapshot (``data.py``), and pure Plotly figure
builders."""
