"""`planb dashboard`: the Streamlit dashboard (dashboards/app.py) on the published snapshot, in a
child process.

    planb dashboard --port 8501 --headless

It listens on 127.0.0.1 only (this machine): the dashboard has no login, and its pages show logged
queries and answers. ``--address 0.0.0.0`` (or one interface's address) serves other machines:
put it behind something that authenticates.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

LOOPBACK = "127.0.0.1"


def add_parser(sub) -> None:
    dash = sub.add_parser("dashboard", help="open the Streamlit dashboard")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--address", default=LOOPBACK,
                      help=f"the address to listen on (default {LOOPBACK}: this machine only; 0.0.0.0: every "
                      "interface, for other machines: put it behind authentication)")
    dash.add_argument("--headless", action="store_true")
    dash.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> None:
    from scoring.config import load_config

    cfg = load_config(args.config, data_dir=args.data_dir)
    app = Path(importlib.util.find_spec("dashboards").origin).parent / "app.py"
    env = {**os.environ, "PLANB_DATA_DIR": str(Path(cfg.data_dir).resolve())}
    # No first-run e-mail prompt (it waits on stdin) and no usage statistics sent anywhere.
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
               "--server.address", args.address, "--server.showEmailPrompt", "false",
               "--browser.gatherUsageStats", "false"]
    raise SystemExit(subprocess.call(command + (["--server.headless", "true"] if args.headless else []), env=env))
