"""Replay: load a configured model and generate answers for logged queries, measuring cost."""
