"""dynalite, a DynamoDB that keeps its data on disk, run by the tests that restart their database.

moto's server loses everything when it stops; dynalite (npm, installed under tools/dynalite by
``scripts/test``) writes to a directory and finds it again when started anew — a database
restart, as a DynamoDB endpoint outage looks to the runtime. ``ASL_DYNALITE`` names another
binary.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLED = ROOT / "tools" / "dynalite" / "node_modules" / ".bin" / "dynalite"


def dynalite_binary() -> str | None:
    """The dynalite executable, or None where it is not installed (no Node.js)."""
    named = os.environ.get("ASL_DYNALITE")
    if named:
        return named
    if INSTALLED.exists() and shutil.which("node"):
        return str(INSTALLED)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dynalite:
    """One dynalite process over ``directory``; :meth:`restart` stops it (``kill -9`` by
    default) and starts it again on the same port and data."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = _free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(  # noqa: S603 - the test's own tool
            [
                self.binary,
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
                "--path",
                str(self.directory),
                # Tables are ACTIVE at once (as the tests need them, not as AWS delays them).
                "--createTableMs",
                "0",
                "--deleteTableMs",
                "0",
                "--updateTableMs",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dynalite exited ({self._process.returncode})")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dynalite did not start within 30 s")

    def stop(self, *, kill: bool = True) -> None:
        """Stop it: ``kill -9`` (a crash), or a polite terminate."""
        if self._process is None:
            return
        if kill:
            self._process.kill()
        else:
            self._process.terminate()
        self._process.wait(timeout=30)
        self._process = None

    def restart(self, down_s: float = 0.0, *, kill: bool = True) -> None:
        """A database restart: down for ``down_s`` seconds, then up with the same data."""
        self.stop(kill=kill)
        time.sleep(down_s)
        self.start()
        self.restarts += 1

    def client(self) -> object:
        """A boto3 DynamoDB client for it."""
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
