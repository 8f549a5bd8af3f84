"""The dashboard end to end in a real browser: `streamlit run` on localhost over a snapshot the real
pipeline made, driven by headless Chromium through Playwright. The threshold slider is moved with
the keyboard, the numbers must change and match the warehouse, the CSV download must be the
projection table, and every page is screenshotted (to $PLANB_SCREENSHOT_DIR when set). The
snapshot is the pipeline_snapshot fixture's, or the data folder $PLANB_BROWSER_DATA_DIR names:
docs/DASHBOARD.md's images are `make demo`'s, made with

    PLANB_BROWSER_DATA_DIR=data PLANB_SCREENSHOT_DIR=docs/screenshots .venv/bin/pytest tests/dashboards/test_browser.py

Chromium is Debian's (`apt-get install chromium`, which `make test` does); Playwright's own browser
download is not used. Without it the test skips, unless PLANB_REQUIRE_BROWSER=1 (CI) makes it fail.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboards.formatting import read_back

CHROMIUM = os.environ.get("PLANB_CHROMIUM", "/usr/bin/chromium")
# (url path, title shown on the page, screenshot name)
PAGES = [("", "Overview", "overview"), ("thresholds", "Threshold explorer", "threshold_explorer"),
         ("segments", "Segments", "segments"), ("examples", "Examples", "examples"), ("costs", "Costs", "costs"),
         ("health", "Data health", "data_health")]

if not Path(CHROMIUM).exists():
    if os.environ.get("PLANB_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"PLANB_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}: apt-get install chromium")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright

# A page's first render on a loaded machine takes seconds (a server's first imports everything):
# expect's default of 5 s failed under load, so every expectation here waits up to 90 s.
expect.set_options(timeout=90_000)


@pytest.fixture(scope="module")
def data_dir(request) -> Path:
    """The data folder the dashboard opens: $PLANB_BROWSER_DATA_DIR, else a real pipeline's."""
    chosen = os.environ.get("PLANB_BROWSER_DATA_DIR")
    return Path(chosen).resolve() if chosen else request.getfixturevalue("pipeline_snapshot")


@pytest.fixture(scope="module")
def dashboard_url(data_dir, serve_dashboard) -> Iterator[str]:
    """`streamlit run dashboards/app.py` on a free localhost port, over the pipeline's snapshot."""
    with serve_dashboard(data_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(dashboard_url) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(90_000)
        yield page
        browser.close()


def sql(data_dir: Path, query: str, params: list) -> list[dict]:
    con = duckdb.connect(str(data_dir / "snapshot.duckdb"), read_only=True)
    try:
        cursor = con.execute(query, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def window_row(data_dir: Path, router: str, threshold: float) -> dict:
    """The projection row the dashboard should show: the projected threshold nearest (ties: lower)."""
    return sql(data_dir, "SELECT * FROM routing_projection WHERE dataset = 'pipeline' AND segment_by = 'all' "
               "AND router = ? ORDER BY abs(threshold - ?), threshold LIMIT 1", [router, threshold])[0]


def tiles(page: Page) -> dict[str, str]:
    """Metric label -> value shown."""
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}


def assert_shows(text: str, expected: float | None) -> None:
    if expected is None:
        assert text == "—"
        return
    value, half = read_back(text)
    assert abs(value - expected) <= half + 1e-12, f"shown {text!r}, the warehouse has {expected!r}"


def assert_tiles_match(page: Page, row: dict) -> None:
    shown = tiles(page)
    for label, column in (("GPU-hours saved / day", "gpu_hours_saved_per_day"),
                          ("Dollars saved / month", "dollars_saved_per_30_days"),
                          ("Dollars saved / year", "dollars_saved_per_year"),
                          ("Routed to small model", "share_small"),
                          ("Agreement among routed small", "agreement_small"),
                          ("Answers unchanged", "unchanged_share")):
        assert_shows(shown[label], row[column])


def slider(page: Page):
    return page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="Threshold"]')


def wait_until_settled(page: Page) -> None:
    """Until Streamlit has finished the rerun (no running indicator, no stale elements)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")


def test_moving_the_slider_changes_the_numbers_to_the_warehouse_s(browser_page, dashboard_url, data_dir):
    page = browser_page
    page.goto(f"{dashboard_url}/?dataset=pipeline&router=length&threshold=0.5")
    expect(page.get_by_text("GPU-hours saved / day").first).to_be_visible()
    wait_until_settled(page)
    assert slider(page).input_value() == "0.5"
    before = tiles(page)
    assert_tiles_match(page, window_row(data_dir, "length", 0.5))

    slider(page).focus()
    for _ in range(20):  # 20 steps of 0.01 down, as a user's arrow keys move it
        page.keyboard.press("ArrowLeft")
    expect(slider(page)).to_have_value("0.3")
    expect(page.get_by_text("the projected threshold nearest 0.30")).to_be_visible()
    wait_until_settled(page)
    after = tiles(page)
    row = window_row(data_dir, "length", 0.3)
    assert after != before, "the numbers did not change with the threshold"
    assert_tiles_match(page, row)
    # The view lives in the URL, so it can be shared (a value at its default is left out).
    assert "threshold=0.3" in page.url


def test_the_csv_download_is_the_projection_table(browser_page, dashboard_url, data_dir):
    page = browser_page
    page.goto(f"{dashboard_url}/thresholds?dataset=pipeline&router=length&threshold=0.3")
    button = page.get_by_role("button", name="Download this table as CSV")
    expect(button).to_be_visible()
    with page.expect_download() as download:
        button.click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert {(r["dataset"], r["router"]) for r in rows} == {("pipeline", "length")}  # exported with both
    expected = sql(data_dir, "SELECT threshold, share_small, gpu_hours_saved_per_day FROM routing_projection "
                   "WHERE dataset = 'pipeline' AND segment_by = 'all' AND router = 'length' ORDER BY threshold", [])
    assert [float(r["threshold"]) for r in rows] == pytest.approx([e["threshold"] for e in expected])
    assert [float(r["share_small"]) for r in rows] == pytest.approx([e["share_small"] for e in expected])


def test_every_page_renders_and_is_screenshotted(browser_page, dashboard_url, tmp_path):
    page = browser_page
    folder = Path(os.environ.get("PLANB_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    visits = [(path, title, name, "?dataset=pipeline&router=length&threshold=0.3") for path, title, name in PAGES]
    # The real pair the demo imports, at its defaults (the page it opens on), each page too.
    visits += [(path, title, f"{name}_real_pair", "?dataset=mt_bench_mixtral_gpt4") for path, title, name in PAGES]
    for path, title, name, query in visits:
        page.goto(f"{dashboard_url}/{path}{query}")
        expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible()
        wait_until_settled(page)
        page.wait_for_timeout(1500)  # Plotly draws after the data arrives
        assert page.locator('[data-testid="stException"]').count() == 0, f"{title} shows an exception"
        for chart in page.locator(".js-plotly-plot").all():  # no empty chart on either dataset
            assert chart.locator(".point, path.js-line").count() > 0, f"{title}{query}: an empty chart"
        if "mt_bench" in query:  # the page follows the picked dataset, or says plainly what it shows instead
            main = page.locator('[data-testid="stMain"]').inner_text()
            assert "mt_bench_mixtral_gpt4" in main, f"{title} does not say it shows the picked dataset"
        shot = folder / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000

