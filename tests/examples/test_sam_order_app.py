"""Testing a SAM project's state machine with the ``asl`` pytest plugin (the README's example).

``samples/sam-order-app`` is a SAM project: template.yaml, a YAML definition with
DefinitionSubstitutions, three Python functions. The plugin's fixtures run it as it is — its
functions included, no Docker — in-process (``asl_run``) or behind a local Step Functions
endpoint that boto3 talks to (``asl_endpoint``, ``asl_client``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = Path(__file__).parents[2] / "samples" / "sam-order-app" / "template.yaml"
ORDER = {
    "orderId": "o-1",
    "items": [{"sku": "apple", "quantity": 3}, {"sku": "pear", "quantity": 2}],
}


def test_an_order_is_charged(asl_run: Any) -> None:
    result = asl_run(TEMPLATE, ORDER)
    assert result.status == "SUCCEEDED"
    assert result.output == {
        "orderId": "o-1",
        "chargeId": "ch-o-1",
        "amount": 660,
        "currency": "EUR",
    }


def test_a_declined_card_ends_in_the_no_state(asl_run: Any) -> None:
    result = asl_run(TEMPLATE, ORDER, parameters={"CardLimit": "5"})
    assert (result.status, result.error) == ("FAILED", "PaymentNotCaptured")
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in result.history
        if "stateEnteredEventDetails" in e
    ]
    assert entered[-1] == "No"


def test_a_busy_gateway_is_retried(asl_run: Any) -> None:
    calls: list[dict[str, Any]] = []

    class PaymentGatewayBusy(Exception):
        pass

    def flaky_charge(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event)
        if len(calls) < 3:
            raise PaymentGatewayBusy("try again")
        return {"status": "CAPTURED", "chargeId": "ch-2", "amount": 1, "currency": "EUR"}

    result = asl_run(TEMPLATE, ORDER, lambdas={"ChargePaymentFunction": flaky_charge})
    assert result.status == "SUCCEEDED"
    assert len(calls) == 3  # two retries, 2 s and 4 s apart on the virtual clock: no waiting


def test_an_empty_order_fails_validation(asl_run: Any) -> None:
    result = asl_run(TEMPLATE, {"orderId": "o-2", "items": []})
    assert result.status == "FAILED"
    assert result.error == "InvalidOrder"
    assert json.loads(result.cause)["errorMessage"] == "the order has no items"


def test_through_the_step_functions_api(asl_endpoint: Any, asl_client: Any) -> None:
    arns = asl_endpoint.create_state_machines(TEMPLATE)
    started = asl_client.start_execution(
        stateMachineArn=arns["OrderStateMachine"], input=json.dumps(ORDER)
    )
    described = asl_endpoint.wait(started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["amount"] == 660
    history = asl_client.get_execution_history(executionArn=started["executionArn"])["events"]
    assert history[-1]["type"] == "ExecutionSucceeded"


def test_each_test_starts_with_an_empty_endpoint(asl_client: Any) -> None:
    assert asl_client.list_state_machines()["stateMachines"] == []


@pytest.mark.parametrize("quantity", [1, 5])
def test_express_sync_executions_through_the_endpoint(
    asl_endpoint: Any, asl_client: Any, quantity: int
) -> None:
    arns = asl_endpoint.create_state_machines(TEMPLATE, stack_name="express-app")
    # StartSyncExecution needs an Express machine: the same definition, as EXPRESS.
    definition = asl_client.describe_state_machine(stateMachineArn=arns["OrderStateMachine"])
    express = asl_client.create_state_machine(
        name="OrdersExpress",
        definition=definition["definition"],
        roleArn=definition["roleArn"],
        type="EXPRESS",
    )
    order = {"orderId": "o-3", "items": [{"sku": "melon", "quantity": quantity}]}
    answer = asl_client.start_sync_execution(
        stateMachineArn=express["stateMachineArn"], input=json.dumps(order)
    )
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"])["amount"] == round(450 * quantity * 1.2)
