"""The domain core: replay, agreement, routers, cost model and projection (no Dagster, no Streamlit)."""
