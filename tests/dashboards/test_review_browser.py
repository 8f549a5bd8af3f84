"""The Review page in a real browser: `streamlit run` over a snapshot holding a review sample the
pipeline's review assets drew, driven by headless Chromium (Playwright), as test_browser.py does.
Two reviewers in two browser contexts give verdicts by keyboard (1-4); every verdict must be in
the reviews store with the reviewer's name and the side the small answer was shown on, and the
pipeline's next read maps them through that side."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the review warehouse helper
from review_warehouse import materialize_review, write_pairs  # noqa: E402

from warehouse import reviews  # noqa: E402

CHROMIUM = os.environ.get("PLANB_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    if os.environ.get("PLANB_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"PLANB_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}: apt-get install chromium")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=90_000)  # a loaded machine's first render takes longer than expect's 5 s


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("review_browser")
    write_pairs(root, days=2)
    materialize_review(root, publish=True)
    return root


@pytest.fixture(scope="module")
def dashboard_url(data_dir, serve_dashboard) -> Iterator[str]:
    with serve_dashboard(data_dir) as url:
        yield url


def settle(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")


def shown_request(page: Page) -> str:
    caption = page.get_by_text(re.compile(r"^\S+ · \d{4}-\d{2}-\d{2} · \w+ answer$")).first
    expect(caption).to_be_visible()
    return caption.inner_text().split(" · ")[0]


def start(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/review")
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    box = page.get_by_role("textbox", name="Your name")
    box.fill(name)
    box.press("Enter")
    expect(page.get_by_text("Left", exact=True)).to_be_visible()
    settle(page)


def review_by_key(page: Page, key: str) -> str:
    """Press ``key`` with the focus off the name box; returns the pair it judged, once saved."""
    request_id = shown_request(page)
    page.get_by_role("heading", name="Review", exact=True).click()  # the shortcut is not for the text box
    page.keyboard.press(key)
    expect(page.get_by_text(re.compile(f"^Saved: .* on {request_id} at"))).to_be_visible()
    settle(page)
    return request_id


def sample(data_dir: Path) -> dict[str, dict]:
    con = duckdb.connect(str(data_dir / "snapshot.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT request_id, small_side, reviewers_wanted, queue_rank FROM review_sample").fetchall()
    finally:
        con.close()
    return {r[0]: {"small_side": r[1], "wanted": r[2], "rank": r[3]} for r in rows}


def test_two_reviewers_review_by_keyboard_and_every_verdict_is_stored(dashboard_url, data_dir):
    drawn = sample(data_dir)
    verdict_of = {"1": "left_better", "2": "right_better", "3": "same", "4": "cant_judge"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        ann = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        bob = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        for page in (ann, bob):
            page.set_default_timeout(60_000)
        start(ann, dashboard_url, "ann")
        start(bob, dashboard_url, "bob")
        given = []
        # Turn by turn, two sessions at once on one server and one store.
        for ann_key, bob_key in (("1", "3"), ("2", "4"), ("3", "1")):
            given.append(("ann", review_by_key(ann, ann_key), verdict_of[ann_key]))
            given.append(("bob", review_by_key(bob, bob_key), verdict_of[bob_key]))
        assert ann.locator('[data-testid="stException"]').count() == 0
        browser.close()

    stored = reviews.read_all(data_dir)
    assert sorted(zip(stored["reviewer"], stored["request_id"], stored["verdict"], strict=True)) == sorted(given)
    for row in stored.iter_rows(named=True):
        assert row["small_side"] == drawn[row["request_id"]]["small_side"]  # the order shown is the one recorded
        assert row["source"] == "dashboard"
    # The queue: open pairs first, in the draw's order; nobody gets a pair twice, and a pair
    # wanted by one reviewer goes to one.
    ann_pairs = [r for who, r, _ in given if who == "ann"]
    assert [drawn[r]["rank"] for r in ann_pairs] == sorted(drawn[r]["rank"] for r in ann_pairs)
    for request_id in {r for _, r, _ in given}:
        assert sum(r == request_id for _, r, _ in given) <= drawn[request_id]["wanted"]

    # The pipeline's next read maps each verdict through the side it was shown on.
    materialize_review(data_dir)
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        parity = dict(con.execute("SELECT request_id, parity FROM review_verdicts").fetchall())
    finally:
        con.close()
    for _, request_id, verdict in given:
        side = drawn[request_id]["small_side"]
        expected = {"same": 1.0, "cant_judge": None,
                    "left_better": 1.0 if side == "left" else 0.0,
                    "right_better": 1.0 if side == "right" else 0.0}[verdict]
        assert parity[request_id] == expected


def test_ten_reviews_by_keyboard_change_the_projection_after_the_next_run(pipeline_snapshot, serve_dashboard,
                                                                          tmp_path):
    """Issue 23: a reviewer gives ten verdicts by keyboard on a real demo's snapshot; after the next
    run of the review and projection assets, quality kept among the routed small rests on them
    (an interval where the automatic labels alone had none) and the Overview says so."""
    import shutil

    import dagster as dg
    import yaml

    from assets import projection, review
    from assets.resources import PlanBResource
    from warehouse.db import publish_snapshot

    data = tmp_path / "data"
    shutil.copytree(pipeline_snapshot, data)  # the session's snapshot stays as the other tests read it
    # The demo's 24 replayed pairs, all drawn for review (4 a stratum drew 9): ten to review.
    settings = yaml.safe_load((pipeline_snapshot.parent / "planb.yaml").read_text(encoding="utf-8"))
    config = tmp_path / "planb.yaml"
    config.write_text(yaml.safe_dump({**settings, "data_dir": str(data), "review": {"per_day": 12}}), encoding="utf-8")
    planb = {"planb": PlanBResource(config_path=str(config))}
    assert dg.materialize([review.review_sample, review.reviews], resources=planb).success
    publish_snapshot(data)
    view = "/?dataset=pipeline&router=random&threshold=0.0"  # every request routed small
    with serve_dashboard(data) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(90_000)

        def kept_tile():
            page.goto(url + view)
            tile = page.get_by_test_id("stMetric").filter(has_text="Quality kept among routed small")
            expect(tile).to_be_visible()
            settle(page)
            return tile

        tile = kept_tile()
        before = tile.get_by_test_id("stMetricValue").inner_text()
        assert tile.get_by_test_id("stMetricDelta").count() == 0  # labels alone: no interval
        start(page, url, "carol")
        reviewed = [review_by_key(page, key) for key in "3132313231"]
        assert len(set(reviewed)) == 10
        assert page.locator('[data-testid="stException"]').count() == 0

        # The next run: the pipeline's review and projection assets, then the snapshot published.
        assert dg.materialize([review.reviews, projection.routing_projection], resources=planb).success
        publish_snapshot(data)

        tile = kept_tile()
        expect(tile.get_by_test_id("stMetricDelta")).to_be_visible()  # now with its 95% interval
        after = tile.get_by_test_id("stMetricValue").inner_text()
        main = page.get_by_test_id("stMain").inner_text()
        browser.close()
    con = duckdb.connect(str(data / "snapshot.duckdb"), read_only=True)
    try:
        source, count = con.execute(
            "SELECT kept_source, kept_reviews FROM routing_projection WHERE dataset = 'pipeline' AND router = 'random' "
            "AND segment_by = 'all' ORDER BY threshold LIMIT 1").fetchone()
    finally:
        con.close()
    assert source == "predictions and reviews" and count == 10, (source, count)
    assert (before, "human reviews") != (after, "") and "human reviews" in main, (before, after)
