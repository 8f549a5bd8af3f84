"""The Dagster code location: assets, partitions, resources and jobs (``assets.definitions``)."""
