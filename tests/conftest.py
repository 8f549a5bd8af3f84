"""Shared fixtures for tests that run the real small pipeline: the repository root, the bundled
log's lines by day, a landing folder, the bundled models' specs and a config file written for a
temporary folder. Each is a session-scoped function, so module- and session-scoped fixtures can
use it too."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the working directory a subprocess of the product needs)."""
    return ROOT


@pytest.fixture(scope="session")
def bundled_log() -> Callable[..., list[str]]:
    """``bundled_log(days, with_query=False, per_day=None)``: the bundled log's lines on ``days``
    (``YYYY-MM-DD``), in file order; with ``with_query`` only those with a non-blank query, with
    ``per_day`` at most that many a day. Lines that are not JSON are left out."""
    from scoring.config import BUNDLED_LOG_DIR

    text = (BUNDLED_LOG_DIR / "search_chat_sample.jsonl").read_text(encoding="utf-8")

    def lines(days: Iterable[str], *, with_query: bool = False, per_day: int | None = None) -> list[str]:
        days, kept, counts = set(days), [], Counter()
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            day = record["timestamp"][:10]
            if day not in days or (with_query and not record["query"].strip()):
                continue
            if per_day is None or counts[day] < per_day:
                counts[day] += 1
                kept.append(line)
        return kept

    return lines


@pytest.fixture(scope="session")
def landing() -> Callable[..., Path]:
    """``landing(root, lines, name="day.jsonl")``: writes ``lines`` as one file of
    ``root/landing`` (made if missing) and returns the folder."""

    def write(root: Path, lines: list[str], name: str = "day.jsonl") -> Path:
        folder = root / "landing"
        folder.mkdir(exist_ok=True)
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return folder

    return write


@pytest.fixture(scope="session")
def bundled_model() -> Callable[..., dict]:
    """``bundled_model(role="small", **changes)``: the default config's spec of that role's
    bundled model, as a config file writes it, with ``changes`` applied."""
    from scoring.config import load_config

    models = load_config(None).model_dump(mode="json")["models"]

    def spec(role: str = "small", **changes) -> dict:
        return {**models[role], **changes}

    return spec


@pytest.fixture(scope="session")
def planb_config() -> Callable[..., Path]:
    """``planb_config(root, landing=None, name="planb.yaml", **keys)``: writes a config file in
    ``root`` whose data_dir is ``root/data`` (and landing_dir ``landing`` when given), plus
    ``keys``; a key given as None is left out (the command or resource supplies it)."""

    def write(root: Path, landing: Path | None = None, name: str = "planb.yaml", **keys) -> Path:
        config = {"data_dir": str(root / "data"), **({"landing_dir": str(landing)} if landing else {}), **keys}
        path = root / name
        path.write_text(yaml.safe_dump({k: v for k, v in config.items() if v is not None}), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def two_day_demo(bundled_log, landing, bundled_model, planb_config) -> Callable[[Path], Path]:
    """``two_day_demo(root)``: the config of the end-to-end slice `planb demo` runs in tests: two
    days of the bundled log (80 requests of the first, 60 of the second, one broken line), both
    bundled models answering at most 12 tokens, 12 requests a day, intervals from 10 requests."""
    days = ("2026-11-01", "2026-11-02")

    def write(root: Path) -> Path:
        kept = bundled_log(days, with_query=True)
        kept = kept[:80] + kept[-60:]
        kept.insert(5, '{"request_id": "broken", "timestamp": ')  # quarantined with its reason, not fatal
        models = {role: bundled_model(role, max_new_tokens=12) for role in ("small", "large")}
        return planb_config(root, landing(root, kept, "slice.jsonl"), models=models, sample={"per_day": 12},
                            # 24 sampled requests: intervals from 10 up (the default asks for 30)
                            projection={"bootstrap": 200, "min_sample_for_interval": 10})

    return write


@pytest.fixture(scope="session")
def kill_when_logged() -> Callable[..., str]:
    """``kill_when_logged(command, log, marker, cwd, env, within_s=600)``: runs ``command`` with its
    stderr in the file ``log`` and SIGKILLs it as soon as ``marker`` appears there (a replay's
    committed chunk: a run killed mid-work); fails if it never does or ends first. Returns the log."""
    import os
    import signal
    import subprocess
    import time

    def run(command: list[str], log: Path, marker: str, *, cwd: Path, env: dict, within_s: float = 600) -> str:
        with log.open("w") as stderr:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + within_s
        while marker not in log.read_text() and process.poll() is None:
            assert time.monotonic() < deadline, f"{marker!r} never logged in {within_s:g} s"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, f"it ended before {marker!r}: " + log.read_text()[-3000:]
        return log.read_text()

    return run
