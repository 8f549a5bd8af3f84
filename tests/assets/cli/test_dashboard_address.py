"""`planb dashboard` listens on 127.0.0.1 unless --address says otherwise (issue 26: it listened on
every interface). The real command, its real Streamlit server; what it listens on is read from the
kernel's socket table and tried with real connections, to loopback and to this machine's other
addresses."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

STARTUP_S = 180  # Streamlit imports a lot; a loaded machine takes a while


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (IPv4 and IPv6), from /proc/net."""
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # /proc writes each 32-bit word in host (little-endian) order
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, width // 2, 4))
                found.add(socket.inet_ntop(socket.AF_INET if width == 8 else socket.AF_INET6, words))
    return found


def _other_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (the kernel's local routes)."""
    try:
        trie = Path("/proc/net/fib_trie").read_text()
    except OSError:
        return []
    found = re.findall(r"\|-- (\d+\.\d+\.\d+\.\d+)\n\s+/32 host LOCAL", trie)
    return sorted({a for a in found if not a.startswith("127.")})


def _connects(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=3):
            return True
    except OSError:
        return False


def _serve(data: Path, *options: str) -> tuple[int, set[str], dict[str, bool]]:
    """Start `planb dashboard` with ``options``; once it listens: its port, the addresses it
    listens on, and which addresses (loopback and the others) a connection reaches."""
    port = _free_port()
    command = [sys.executable, "-m", "assets.cli.main", "--data-dir", str(data), "dashboard", "--headless",
               "--port", str(port), *options]
    # a session of its own: the command and the Streamlit child it starts are stopped together
    child = subprocess.Popen(command, cwd=data.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not (listening := _listening(port)):
            if child.poll() is not None:
                pytest.fail(f"planb dashboard exited with {child.returncode}: {child.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"planb dashboard did not listen within {STARTUP_S} s")
            time.sleep(0.5)
        time.sleep(1)  # every socket of the server bound (IPv4 and IPv6 on 0.0.0.0 / ::)
        listening = _listening(port)
        reached = {address: _connects(address, port) for address in ["127.0.0.1", *_other_addresses()]}
        return port, listening, reached
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def test_the_dashboard_listens_on_loopback_only_by_default(snapshot_dir):
    _, listening, reached = _serve(snapshot_dir)
    assert listening == {"127.0.0.1"}, listening
    assert reached.pop("127.0.0.1")
    assert not any(reached.values()), reached  # this machine's other addresses are not served


def test_address_serves_other_interfaces_when_asked(snapshot_dir):
    _, listening, reached = _serve(snapshot_dir, "--address", "0.0.0.0")
    assert "0.0.0.0" in listening or "::" in listening, listening
    assert all(reached.values()), reached
