"""The viewer in a real browser (headless Chromium): the page loads, an execution's states show
their statuses, a state's data shows on click (and on Enter), a callback can be approved, an
execution can be started, a Map's iterations can be looked at one by one, a run report draws
the same graph offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from interpreter.cli import main

pytestmark = pytest.mark.browser

ORDER = {"order": {"id": "o-1", "total": 5000, "items": [{"sku": "a"}]}}


def status_of(page: Any, state: str) -> str:
    """The status class the page gave a state's node (``st-succeeded``...)."""
    classes = page.locator(f'g.asl-node[data-state="{state}"]').get_attribute("class")
    return next(name for name in classes.split() if name.startswith("st-"))


def test_the_page_loads_and_lists_the_state_machines(endpoint: Any, page: Any) -> None:
    endpoint.machine("order-processing", "order-processing.asl.json")
    page.goto(endpoint.url)
    row = page.get_by_role("link", name="order-processing")
    row.wait_for()
    assert page.title() == "State machines · asl viewer"
    row.click()
    page.locator(".graph svg g.asl-node").first.wait_for()
    assert page.locator('.graph g.asl-node[data-state="ChargeCard"]').count() == 1
    assert page.get_by_role("heading", name="Start an execution").is_visible()


def test_an_execution_shows_each_states_outcome_and_the_path_taken(
    endpoint: Any, page: Any
) -> None:
    machine = endpoint.machine("order-processing", "order-processing.asl.json")
    execution = endpoint.run(machine, ORDER, "declined-card")
    endpoint.wait_for(execution, "FAILED")
    page.goto(endpoint.page_of(execution))
    page.locator('g.asl-node[data-state="RejectOrder"].st-failed').wait_for()
    assert {
        state: status_of(page, state)
        for state in (
            "ValidateOrder",
            "ReserveStock",
            "ChargeCard",
            "ReleaseStock",
            "RejectOrder",
            "OrderConfirmed",
        )
    } == {
        "ValidateOrder": "st-succeeded",
        "ReserveStock": "st-retried",
        "ChargeCard": "st-caught",
        "ReleaseStock": "st-succeeded",
        "RejectOrder": "st-failed",
        "OrderConfirmed": "st-none",
    }
    node = page.locator('g.asl-node[data-state="ChargeCard"]')
    assert node.get_attribute("aria-label") == "ChargeCard: Caught"
    taken = page.locator(".asl-edge.taken")
    assert taken.count() == 6  # start, Choice rule, Next, Catch, Next, end
    assert page.locator(".asl-edge-catch.taken").count() == 1
    banner = page.locator(".banner.bad")
    assert "OrderRejected" in banner.inner_text()
    assert page.locator(".head .badge").inner_text() == "FAILED"


def test_clicking_a_state_shows_its_data_and_enter_does_too(endpoint: Any, page: Any) -> None:
    machine = endpoint.machine("order-processing", "order-processing.asl.json")
    execution = endpoint.run(machine, {**ORDER, "order": {**ORDER["order"], "id": "o-2"}}, "o-2")
    endpoint.wait_for(execution, "FAILED")
    page.goto(endpoint.page_of(execution))
    page.locator('g.asl-node[data-state="ChargeCard"].st-caught').click()
    details = page.locator(".details")
    details.get_by_role("heading", name="ChargeCard").wait_for()
    text = details.inner_text()
    assert "Caught error" in text
    assert "CardDeclined" in text
    assert '"id": "o-2"' in text  # the input, pretty-printed
    assert '"FunctionName": "ChargeCard"' in text  # the task's parameters
    # Keyboard: Tab reaches the states; Enter shows one.
    reserve = page.locator('g.asl-node[data-state="ReserveStock"]')
    reserve.focus()
    page.keyboard.press("Enter")
    details.get_by_role("heading", name="ReserveStock").wait_for()
    text = details.inner_text()
    assert "Retries (1)" in text
    assert "StockServiceBusy" in text
    assert "Attempts\n2" in text
    assert reserve.get_attribute("aria-pressed") == "true"
    # The history follows the selection.
    page.get_by_label("Only the selected state").check()
    states = page.locator("table.events tbody tr td:nth-child(4)").all_inner_texts()
    assert states
    assert set(states) == {"ReserveStock"}


def test_a_callback_is_approved_from_the_page(endpoint: Any, page: Any) -> None:
    from tests.browser.conftest import APPROVAL

    machine = endpoint.machine("approval", APPROVAL)
    execution = endpoint.run(machine, {"requestId": "r-1"}, "approve-me")
    page.goto(endpoint.page_of(execution))
    page.locator('g.asl-node[data-state="AskApproval"].st-waiting').wait_for()
    assert page.locator(".head .badge").inner_text() == "RUNNING"
    banner = page.locator('.banner.wait[data-callback="AskApproval"]')
    banner.get_by_role("button", name="Approve…").click()
    editor = page.get_by_label("Output (JSON) for SendTaskSuccess")
    editor.fill('{"approved": tru')
    send = page.get_by_role("button", name="Send task success")
    assert send.is_disabled()
    assert "Not valid JSON" in page.locator("#callback-output-hint").inner_text()
    editor.fill('{"approved": true, "by": "viewer test"}')
    send.click()
    page.locator('g.asl-node[data-state="Approved"].st-succeeded').wait_for()
    assert page.locator(".head .badge").inner_text() == "SUCCEEDED"
    assert status_of(page, "AskApproval") == "st-succeeded"
    output = json.loads(endpoint.service.describe_execution(execution)["output"])
    assert output["decision"] == {"approved": True, "by": "viewer test"}


def test_a_callback_is_rejected_from_the_page(endpoint: Any, page: Any) -> None:
    from tests.browser.conftest import APPROVAL

    machine = endpoint.machine("approval", APPROVAL)
    execution = endpoint.run(machine, {"requestId": "r-2"}, "reject-me")
    page.goto(endpoint.page_of(execution))
    page.locator('.banner.wait[data-callback="AskApproval"]').get_by_role(
        "button", name="Reject…"
    ).click()
    page.get_by_role("button", name="Send task failure").click()
    page.locator('g.asl-node[data-state="Declined"].st-failed').wait_for()
    assert status_of(page, "AskApproval") == "st-caught"
    assert endpoint.service.describe_execution(execution)["status"] == "FAILED"


def test_an_execution_is_started_from_the_page_with_its_json_input_checked(
    endpoint: Any, page: Any
) -> None:
    machine = endpoint.machine("parallel-aggregation", "parallel-aggregation.asl.json")
    page.goto(endpoint.page_of(machine))
    editor = page.get_by_label("Input (JSON)")
    editor.fill('{"customerId": }')
    start = page.get_by_role("button", name="Start execution")
    assert start.is_disabled()
    assert "Not valid JSON" in page.locator("#execution-input-hint").inner_text()
    editor.fill('{"customerId": "c-7"}')
    page.get_by_role("textbox", name="Name (optional)").fill("from-the-page")
    start.click()
    page.locator('g.asl-node[data-state="Orders"].st-succeeded').wait_for()
    assert page.get_by_role("heading", name="from-the-page").is_visible()
    assert status_of(page, "Lookups") == "st-succeeded"
    assert status_of(page, "LookupFailed") == "st-none"
    page.get_by_role("link", name="parallel-aggregation").first.click()
    page.get_by_role("link", name="from-the-page").wait_for()
    page.get_by_label("Status").select_option("FAILED")
    page.get_by_text("No executions yet.").wait_for()


def test_a_map_shows_one_iteration_at_a_time(endpoint: Any, page: Any) -> None:
    machine = endpoint.machine("map-fanout", "map-fanout.asl.json")
    items = json.loads((Path(__file__).parents[2] / "samples" / "items.json").read_text("utf-8"))
    execution = endpoint.run(machine, items, "fan-1")
    endpoint.wait_for(execution, "SUCCEEDED")
    page.goto(endpoint.page_of(execution))
    page.locator('g.asl-node[data-state="PriceItems"].st-succeeded').click()
    chips = page.get_by_role("group", name="Show one iteration")
    assert chips.get_by_role("button").count() == 4  # all, #0, #1, #2
    chips.get_by_role("button", name=re.compile(r"^#1")).click()
    assert status_of(page, "FreeGift") == "st-succeeded"
    assert status_of(page, "BulkPrice") == "st-none"
    assert status_of(page, "ListPrice") == "st-none"
    chips.get_by_role("button", name="All iterations").click()
    assert status_of(page, "BulkPrice") == "st-succeeded"


SETTLEMENT = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"orderId.$": "$.id"}, "Next": "Settle"},
        "Settle": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Settle",
            "End": True,
        },
    },
}


def test_redrive_runs_the_failed_state_again_and_the_page_follows(endpoint: Any, page: Any) -> None:
    machine = endpoint.machine("settlement", SETTLEMENT)
    execution = endpoint.run(machine, {"id": "o-9"}, "settle-o-9")
    endpoint.wait_for(execution, "FAILED")
    page.goto(endpoint.page_of(execution))
    page.locator('g.asl-node[data-state="Settle"].st-failed').wait_for()
    assert "SettlementDown" in page.locator(".banner.bad").inner_text()
    page.get_by_role("button", name="Redrive").click()
    page.locator("#toast div", has_text="Redrive started").wait_for()
    # The page follows the execution as it runs again: Settle succeeds this time.
    page.locator(".head .badge", has_text="SUCCEEDED").wait_for()
    page.locator('g.asl-node[data-state="Settle"].st-succeeded').wait_for()
    assert status_of(page, "Prepare") == "st-succeeded"
    assert page.locator(".banner.bad").count() == 0
    assert "Redriven 1×" in page.locator(".redrives").inner_text()
    assert page.get_by_role("button", name="Redrive").count() == 0  # it succeeded
    assert (
        "ExecutionRedriven" in page.locator('section[aria-labelledby="events-title"]').inner_text()
    )
    described = endpoint.wait_for(execution, "SUCCEEDED")
    assert described["redriveCount"] == 1
    # Redriving it again is refused, and the page says why in AWS's words.
    refused = endpoint.service.call("DescribeExecution", {"executionArn": execution})
    assert refused["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"


def test_a_run_report_draws_the_run_without_a_server(
    tmp_path: Path, page: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.html"
    samples = Path(__file__).parents[2] / "samples"
    assert (
        main(
            [
                "run",
                str(samples / "jsonata-shipping.asl.json"),
                "--input",
                '{"country": "nl", "pickupDelaySeconds": 5, "parcels": [{"weightKg": 1}]}',
                "--clock",
                "virtual",
                "--report",
                str(report),
            ]
        )
        == 0
    )
    capsys.readouterr()
    page.goto(report.as_uri())
    page.locator('g.asl-node[data-state="Quote"].st-succeeded').wait_for()
    assert status_of(page, "Freight") == "st-none"
    assert status_of(page, "HoldForPickup") == "st-succeeded"
    assert page.get_by_role("button", name="Redrive").count() == 0  # no actions offline
    page.locator('g.asl-node[data-state="Prepare"]').click()
    details = page.locator(".details").inner_text()
    assert "Variables assigned" in details
    assert "$destination" in details


DISTRIBUTED = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Map",
            "Label": "Items",
            "ItemsPath": "$.items",
            "ToleratedFailureCount": 5,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Sign",
                "States": {
                    "Sign": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Negative"}],
                        "Default": "Fine",
                    },
                    "Negative": {"Type": "Fail", "Error": "Negative"},
                    "Fine": {"Type": "Pass", "End": True},
                },
            },
            "End": True,
        }
    },
}


def test_a_distributed_map_shows_its_map_run(endpoint: Any, page: Any) -> None:
    machine = endpoint.machine("distributed", DISTRIBUTED)
    execution = endpoint.run(machine, {"items": [1, -2, 3, 4]}, "run-1")
    endpoint.wait_for(execution, "SUCCEEDED")
    page.goto(endpoint.page_of(execution))
    page.locator('g.asl-node[data-state="Check"].st-succeeded').click()
    details = page.locator(".details")
    details.get_by_role("heading", name="Child executions").wait_for()
    text = details.inner_text()
    assert ":mapRun:distributed/Items:" in text
    assert "total 4" in text
    assert "succeeded 3" in text
    assert "failed 1" in text
