"""An example of testing your own state machine with the Python API (referenced by the README).

It runs samples/order-processing.asl.json with local handlers on the virtual clock and checks the
outcome and the path the execution took, the way a user would test their workflow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interpreter import StateMachine

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "order-processing.asl.json"
ORDER = {"order": {"id": "o-1", "total": 10, "items": [{"sku": "a", "quantity": 1}]}}


class StockServiceBusy(Exception):
    """Raised by the fake stock service; the state machine retries it."""


class CardDeclined(Exception):
    """Raised by the fake payment service; the state machine compensates."""


@pytest.fixture
def machine() -> StateMachine:
    return StateMachine.from_file(SAMPLE, name="OrderProcessing")


def entered_states(history: list[dict[str, Any]]) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in history
        if event["type"].endswith("StateEntered")
    ]


def test_order_is_confirmed_after_a_retried_reservation(machine: StateMachine) -> None:
    calls: list[str] = []

    def reserve_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append("reserve")
        if len(calls) == 1:
            raise StockServiceBusy("busy")
        return {"reservationId": "r-1"}

    result = machine.run(
        ORDER,
        lambdas={
            "ReserveStock": reserve_stock,
            "ChargeCard": lambda event, context: {"chargeId": "ch-" + event["orderId"]},
            "ReleaseStock": lambda event, context: {},
        },
        execution_name="order-o-1",
    )

    assert result.status == "SUCCEEDED"
    assert result.output == {
        "status": "CONFIRMED",
        "orderId": "o-1",
        "reservationId": "r-1",
        "chargeId": "ch-o-1",
    }
    assert calls == ["reserve", "reserve"]
    scheduled = [e for e in result.history if e["type"] == "LambdaFunctionScheduled"]
    # The retry waited IntervalSeconds (2 s, jittered by FULL) of virtual time, not real time.
    assert 0 <= scheduled[1]["timestamp"] - scheduled[0]["timestamp"] <= 2000


def test_declined_card_releases_the_stock_and_rejects_the_order(machine: StateMachine) -> None:
    def charge_card(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise CardDeclined("no funds")

    released: list[Any] = []
    result = machine.run(
        ORDER,
        lambdas={
            "ReserveStock": lambda event, context: {"reservationId": "r-9"},
            "ChargeCard": charge_card,
            "ReleaseStock": lambda event, context: released.append(event) or {},
        },
    )

    assert result.status == "FAILED"
    assert result.error == "OrderRejected"
    assert result.cause == "The order could not be fulfilled."
    assert released == [{"reservationId": "r-9"}]
    assert entered_states(result.history) == [
        "ValidateOrder",
        "ReserveStock",
        "ChargeCard",
        "ReleaseStock",
        "RejectOrder",
    ]


@pytest.mark.parametrize(
    ("test_case", "status", "detail"),
    [
        ("HappyPath", "SUCCEEDED", "r-42"),
        ("BusyStockService", "SUCCEEDED", "r-43"),
        ("CardDeclined", "FAILED", "OrderRejected"),
    ],
)
def test_the_sample_mock_configuration(test_case: str, status: str, detail: str) -> None:
    """samples/MockConfigFile.json: Step Functions Local's format, no handlers needed."""
    samples = Path(__file__).resolve().parents[2] / "samples"
    machine = StateMachine.from_file(samples / "order-processing.asl.json", name="order-processing")
    order = json.loads((samples / "order.json").read_text(encoding="utf-8"))
    result = machine.run(
        order, mock_config=samples / "MockConfigFile.json", test_case=test_case, clock="virtual"
    )
    assert result.status == status
    if status == "SUCCEEDED":
        assert result.output["reservationId"] == detail
    else:
        assert result.error == detail
