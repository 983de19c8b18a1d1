"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and an ``asl serve``
endpoint (virtual clock, driven as ``asl serve --clock virtual`` drives it) on a free port.

The browser is the system's (``apt-get install chromium``; ``.ci/run`` installs it when it is
missing): Playwright downloads nothing. Where neither Chromium nor Playwright can be had, the
tests skip and say which is missing.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from interpreter.api.server import make_server
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service

SAMPLES = Path(__file__).parents[2] / "samples"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The system Chromium, if there is one."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, for the whole session."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium on this machine: apt-get install -y chromium (.ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
        )
        context.set_default_timeout(15_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A fresh tab; the test fails if the page logged an error or raised."""
    tab = browser_context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # An API error is a 400 the page shows to its user; Chromium logs it as well.
    expected = "the server responded with a status of 400"
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and expected not in message.text
            else None
        ),
    )
    yield tab
    tab.close()
    assert problems == []


ROLE = "arn:aws:iam::123456789012:role/viewer-tests"


class StockServiceBusy(Exception):
    """Retried by ReserveStock's Retry."""


class CardDeclined(Exception):
    """Caught by ChargeCard's Catch."""


def reserve_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Busy on an order's first call, then reserved."""
    if event["orderId"] not in _reserved:
        _reserved.add(event["orderId"])
        raise StockServiceBusy("try again shortly")
    return {"reservationId": f"res-{event['orderId']}"}


_reserved: set[str] = set()


def charge_card(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Declines amounts over 1000."""
    if event["amount"] > 1000:
        raise CardDeclined(f"amount {event['amount']} over limit")
    return {"chargeId": "ch-1"}


class SettlementDown(Exception):
    """Settle's first call for an order: fixed by the time the execution is redriven."""


def settle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Down on an order's first call, then settled."""
    if event["orderId"] not in _settled:
        _settled.add(event["orderId"])
        raise SettlementDown("the settlement service is down")
    return {"settled": event["orderId"]}


_settled: set[str] = set()

LAMBDAS = {
    "Settle": settle,
    "ReserveStock": reserve_stock,
    "ChargeCard": charge_card,
    "ReleaseStock": lambda event, context: {},
    "Notify": lambda event, context: {"sent": True},
}

APPROVAL = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"amount": 1200}, "ResultPath": "$.request",
                    "Next": "AskApproval"},
        "AskApproval": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "Notify",
                           "Payload": {"token.$": "$$.Task.Token", "request.$": "$.request"}},
            "ResultPath": "$.decision",
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.failure", "Next": "Declined"}],
            "Next": "Approved",
        },
        "Approved": {"Type": "Succeed"},
        "Declined": {"Type": "Fail", "Error": "Declined"},
    },
}  # fmt: skip


class Endpoint:
    """An ``asl serve`` endpoint on a free local port, with helpers to set up its machines."""

    def __init__(self, service: StepFunctionsService, url: str) -> None:
        self.service = service
        self.url = url

    def machine(self, name: str, definition: Any) -> str:
        """Create (or find) a state machine from a sample file name or a definition."""
        if isinstance(definition, str):
            definition = (SAMPLES / definition).read_text("utf-8")
        else:
            definition = json.dumps(definition)
        created = self.service.create_state_machine(name, definition, ROLE)
        return str(created["stateMachineArn"])

    def run(self, machine_arn: str, execution_input: Any, name: str) -> str:
        """Start an execution and wait until it is no longer RUNNING (or waits)."""
        arn = str(
            self.service.start_execution(machine_arn, name, json.dumps(execution_input))[
                "executionArn"
            ]
        )
        return arn

    def wait_for(self, arn: str, status: str) -> dict[str, Any]:
        """DescribeExecution once the execution has ``status`` (10 s at most)."""
        deadline = time.monotonic() + 10
        while True:
            described: dict[str, Any] = self.service.describe_execution(arn)
            if described["status"] == status or time.monotonic() > deadline:
                assert described["status"] == status
                return described
            time.sleep(0.02)

    def page_of(self, arn: str) -> str:
        """The viewer's address of an execution or a state machine."""
        kind = "execution" if ":execution:" in arn else "machine"
        return f"{self.url}#/{kind}/{quote(arn, safe='')}"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    """``asl serve --clock virtual`` with local Lambda handlers for the tests' machines."""
    service = local_service(lambdas=LAMBDAS, clock="virtual")
    server = make_server(service, "127.0.0.1", 0)
    stop = threading.Event()

    def drive() -> None:  # as asl serve --clock virtual does
        while not stop.is_set():
            service.run_until_idle()
            service.queue.wait(0.02)

    threads = [
        threading.Thread(target=server.serve_forever, daemon=True),
        threading.Thread(target=drive, daemon=True),
    ]
    for thread in threads:
        thread.start()
    yield Endpoint(service, f"http://127.0.0.1:{server.server_address[1]}/")
    stop.set()
    server.shutdown()
    server.server_close()
