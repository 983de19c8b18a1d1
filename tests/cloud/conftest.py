"""The local serverless cloud (``asl serve --serverless``) for the tests that drive it: moto's
server, the API, worker and sweep functions in their own processes.

``--cloud-conformance`` chooses how much of the conformance corpus test_conformance_cloud.py
runs through it: ``sample`` (the default: every eighth case, about two minutes), ``all``, or
``none``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

#: The runtime's patience, shortened so that a crash costs a test seconds (deployed: 10 s grace,
#: 30 s leases, a sweep every 10 s).
FAST_RECOVERY = {
    "ASL_DISPATCH_GRACE_MS": "3000",
    "ASL_CLAIM_LEASE_MS": "4000",
    "ASL_CHILD_CHECK_MS": "5000",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cloud-conformance",
        choices=("sample", "all", "none"),
        default="sample",
        help="how many conformance cases to run through the local serverless cloud",
    )


@pytest.fixture(scope="session")
def cloud_conformance(request: pytest.FixtureRequest) -> str:
    """The ``--cloud-conformance`` choice."""
    return str(request.config.getoption("--cloud-conformance"))


def cloud_options(**changes: object) -> object:
    """Options for a test cloud: a free port, two workers, a quick sweep, fast recovery."""
    from interpreter.cloud.supervisor import CloudOptions

    options = {
        "workers": 2,
        "port": 0,
        "sweep_interval_s": 1.0,
        "environment": dict(FAST_RECOVERY),
    }
    options.update(changes)
    return CloudOptions(**options)  # type: ignore[arg-type]


def _start_cloud(lambdas: tuple[str, ...] = ()) -> Any:
    """A running local cloud (account 111111111111, as the corpus's) serving ``lambdas``; the
    caller stops it. ``kills`` counts the worker processes a test killed."""
    from interpreter.cloud.settings import CloudSettings
    from interpreter.cloud.supervisor import LocalCloud

    # A message a function failed on comes back in seconds, not the template's 90 minutes.
    settings = CloudSettings().with_changes(visibility_timeout_s=20)
    local = LocalCloud(cloud_options(account="111111111111", lambdas=lambdas), settings)  # type: ignore[arg-type]
    local.start()
    local.kills = 0  # type: ignore[attr-defined]
    return local


@pytest.fixture(scope="module")
def cloud() -> Iterator[object]:
    """A running local cloud for one module."""
    local = _start_cloud()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def start_cloud() -> Any:
    """Starts a local cloud serving the Lambda handlers given (the caller stops it)."""
    return _start_cloud
