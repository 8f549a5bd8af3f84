"""Every dashboard page's first render and the Overview's slider response, on both datasets of
a real `planb demo` snapshot (the toy pair's live replay and the imported real pair), in a real
browser, against the pages of a baseline commit served over the same snapshot in the same run.

    python bench/dashboard_pages.py [--baseline REV] [--rounds 3] [--steps 6]

Each version is its own ``streamlit run`` (the baseline from a ``git worktree`` of REV), driven
by headless Debian Chromium through Playwright, the two taking turns round by round so the
machine's load falls on both alike. First render: from opening the page's URL (dataset in the
query) in a fresh tab until its title shows and Streamlit has settled. Slider: from an arrow-key
press on the focused threshold slider until the Overview says it shows the new threshold and has
settled (bench/dashboard_browser.py). Prints medians per page and dataset and the ratio
current / baseline (< 1: faster now); writes bench/results/dashboard_pages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard_browser import CHROMIUM, serve, settle  # noqa: E402

# (url path, title) of the pages both versions have (the default page, the Overview, is at "/");
# Review is new, so it has no baseline.
PAGES = [("", "Overview"), ("thresholds", "Threshold explorer"), ("segments", "Segments"),
         ("examples", "Examples"), ("costs", "Costs"), ("health", "Data health")]
DATASETS = ("pipeline", "mt_bench_mixtral_gpt4")
BASELINE = "fc4ed63"  # main at the start of the session that reworked the pages (issue 24)


def demo_snapshot(cache: Path) -> Path:
    """The data folder of a real `planb demo` (built once, then reused from ``cache``)."""
    data = cache / "demo_data"
    if not (data / "snapshot.duckdb").exists():
        env = {**os.environ, "PLANB_DATA_DIR": str(data), "DAGSTER_HOME": str(cache / "dagster_home")}
        subprocess.run([sys.executable, "-m", "assets.cli.main", "demo"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return data


def first_render(browser, url: str, path: str, title: str, dataset: str) -> float:
    """Milliseconds from opening the page until its title shows and the page has settled."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(180_000)
    try:
        start = time.perf_counter()
        page.goto(f"{url}/{path}?dataset={dataset}")
        page.get_by_role("heading", name=title).first.wait_for()
        settle(page)
        return 1000 * (time.perf_counter() - start)
    finally:
        page.close()


def slider_steps(browser, url: str, dataset: str, steps: int) -> list[float]:
    """Milliseconds per arrow-key step of the Overview's threshold slider, new values each step."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(180_000)
    try:
        page.goto(f"{url}/?dataset={dataset}&threshold=0.3")
        slider = page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="Threshold"]')
        page.get_by_role("heading", name="Overview").first.wait_for()
        settle(page)
        value = round(float(slider.input_value()), 2)
        slider.focus()
        times = []
        for _ in range(steps):
            value = round(value + 0.01, 2)
            start = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.get_by_text(f"nearest {value:.2f}").first.wait_for()
            settle(page)
            times.append(1000 * (time.perf_counter() - start))
        return times
    finally:
        page.close()


def measure(data: Path, roots: dict[str, Path], rounds: int, steps: int) -> dict:
    from playwright.sync_api import sync_playwright

    servers = {name: serve(data, root) for name, root in roots.items()}
    times: dict[str, dict[str, list[float]]] = {name: {} for name in roots}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for _, url in servers.values():  # warm-up: module imports and the first queries
                first_render(browser, url, "", "Overview", DATASETS[0])
            for _ in range(rounds):
                for name, (_, url) in servers.items():
                    for dataset in DATASETS:
                        for path, title in PAGES:
                            times[name].setdefault(f"{path or 'overview'} {dataset}", []).append(
                                first_render(browser, url, path, title, dataset))
                        times[name].setdefault(f"slider {dataset}", []).extend(
                            slider_steps(browser, url, dataset, steps))
            browser.close()
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="the commit whose pages are the baseline")
    parser.add_argument("--rounds", type=int, default=3, help="first renders of each page per version")
    parser.add_argument("--steps", type=int, default=6, help="slider steps per round, dataset and version")
    parser.add_argument("--data", help="a data folder with a snapshot (default: a cached `planb demo`)")
    parser.add_argument("--cache", default=str(ROOT / "bench" / "results" / ".cache"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "dashboard_pages.json"))
    args = parser.parse_args(argv)
    data = Path(args.data) if args.data else demo_snapshot(Path(args.cache))
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(baseline), args.baseline], cwd=ROOT, check=True)
        try:
            times = measure(data, {"current": ROOT, "baseline": baseline}, args.rounds, args.steps)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
    rows = {}
    print(f"{'page dataset':40s} {'current ms':>11s} {'baseline ms':>12s} {'ratio':>6s}")
    for key in times["current"]:
        now, before = statistics.median(times["current"][key]), statistics.median(times["baseline"][key])
        rows[key] = {"current_median_ms": now, "baseline_median_ms": before, "ratio": now / before,
                     "current_ms": times["current"][key], "baseline_ms": times["baseline"][key]}
        print(f"{key:40s} {now:11.0f} {before:12.0f} {now / before:6.2f}")
    report = {"baseline": args.baseline, "rounds": args.rounds, "steps": args.steps, "machine": platform.processor()
              or platform.machine(), "cpus": os.cpu_count(), "load_average": os.getloadavg(), "results": rows}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
