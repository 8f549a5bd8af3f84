"""`planb import-replays` on a text-only table (no imported quality: the answers' agreement is the
quality) where one surface holds only open-ended pairs, which no judge scores: that segment has no
unchanged share (NULL), and the import lands instead of failing on the projection's NOT NULL
(as it did on the demo's real pair with its grades removed)."""

from contextlib import closing

import polars as pl

from assets.cli.main import main
from warehouse.db import open_snapshot

OPEN = "Write a short poem about the sea at night, in the voice of a lighthouse keeper."


def test_a_segment_with_no_scored_pair_lands_with_no_unchanged_share(tmp_path, planb_config):
    rows = [{"request_id": f"s{i}", "prompt": f"what is the capital of country number {i}",
             "small_output": "Paris", "large_output": "Paris" if i % 3 else "Lyon", "surface": "search"}
            for i in range(12)]
    rows += [{"request_id": f"c{i}", "prompt": OPEN,
              "small_output": f"The lamp turns slow; the dark sea {i} hums below my tower, and I keep the light.",
              "large_output": "Salt wind, black water, and one patient beam: I count the ships that never see me.",
              "surface": "chat"} for i in range(6)]
    pl.DataFrame(rows).write_parquet(tmp_path / "text.parquet")
    config = planb_config(tmp_path, projection={"routers": ["random", "length", "oracle"], "bootstrap": 100})
    main(["--config", str(config), "import-replays", str(tmp_path / "text.parquet"), "--name", "text"])
    with closing(open_snapshot(tmp_path / "data")) as con:
        by_surface = dict(con.execute(
            "SELECT segment, count(*) FILTER (WHERE unchanged_share IS NULL) FROM routing_projection "
            "WHERE dataset = 'text' AND segment_by = 'surface' GROUP BY segment").fetchall())
        window_nulls = con.execute("SELECT count(*) FROM routing_projection WHERE dataset = 'text' "
                                   "AND segment_by = 'all' AND unchanged_share IS NULL").fetchone()[0]
    assert by_surface["chat"] > 0 and by_surface["search"] == 0  # the open pairs' surface: unknown, not 0
    assert window_nulls == 0
