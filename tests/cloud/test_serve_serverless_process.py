"""``asl serve --serverless`` as a user runs it: started from the command line, stopped with
SIGTERM or killed outright, it leaves no function process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended (its new parent has not reaped it yet)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve() -> tuple[subprocess.Popen[str], list[int]]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "interpreter.cli", "serve", "--serverless", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        if "Step Functions API on" in line or not line:
            break
    children = _children(server.pid)
    assert len(children) == 4, children  # the API, two workers, the sweep
    return server, children


def _await_gone(pids: list[int], timeout_s: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if _running(pid)]
        if not alive:
            return []
        time.sleep(0.2)
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_no_function_process_outlives_the_command(how: signal.Signals) -> None:
    server, children = _serve()
    try:
        os.kill(server.pid, how)
        server.wait(timeout=30)
        assert _await_gone(children) == []
    finally:
        if server.poll() is None:
            server.kill()
        for pid in children:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        if server.stderr is not None:
            server.stderr.close()
