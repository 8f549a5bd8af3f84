"""The Overview in a real browser, for bench/dashboard.py --browser: ``streamlit run`` on a free
localhost port over the bench's snapshot, headless Debian Chromium through Playwright (as
tests/dashboards/test_browser.py drives it). Timed: from an arrow-key press on the focused
threshold slider until the page says it shows the new threshold and Streamlit has settled (no
running indicator, no stale element). A value visited before is a cache hit for every query; a
value never visited misses the threshold's queries (projection_at, segments_at) only, the
others stay cached: what a user moving to a new threshold waits for.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PLANB_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(data_dir: Path, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """``streamlit run`` of ``root``'s dashboard (another checkout's, for a baseline) on a free
    localhost port over ``data_dir``'s snapshot; (server, url) once it answers."""
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(root / "dashboards" / "app.py"), "--server.headless",
               "true", "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false"]
    # PYTHONPATH: the checkout's own packages, not the installed tree's.
    env = {**os.environ, "PLANB_DATA_DIR": str(data_dir), "PYTHONPATH": str(root)}
    server = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.terminate()
                raise RuntimeError("streamlit did not start") from None
            time.sleep(0.5)


def measure_overview(data_dir: Path, steps: int) -> dict:
    """Milliseconds per slider step on the Overview: ``cached`` (revisited values) and
    ``new_threshold`` (never visited), interleaved as right (new), left, right, right (new) ..."""
    from playwright.sync_api import sync_playwright

    server, url = serve(data_dir)
    times: dict[str, list[float]] = {"cached": [], "new_threshold": [], "cached_shown": [], "new_threshold_shown": []}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?threshold=0.5")  # room to step right either way
            slider = page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="Threshold"]')
            page.get_by_text("GPU-hours saved / day").first.wait_for()
            settle(page)
            value = highest = round(float(slider.input_value()), 2)
            slider.focus()
            for step in range(steps):
                key = "ArrowLeft" if step % 3 == 1 else "ArrowRight"
                value = round(value + (0.01 if key == "ArrowRight" else -0.01), 2)
                kind = "new_threshold" if value > highest else "cached"
                highest = max(highest, value)
                start = time.perf_counter()
                page.keyboard.press(key)
                page.get_by_text(f"the projected threshold nearest {value:.2f}").wait_for()
                times[f"{kind}_shown"].append(1000 * (time.perf_counter() - start))
                settle(page)
                times[kind].append(1000 * (time.perf_counter() - start))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return times


def settle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")
