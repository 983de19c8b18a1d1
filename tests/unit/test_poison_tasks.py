"""A task message that fails for an unexpected reason, every time, fails its task with
``States.Runtime`` after a bounded number of attempts (``TASK_ATTEMPTS``): the execution goes on
from that failure instead of retrying the message for ever (issue 10). (The serverless worker
tells the runtime how many times SQS delivered each message: ``tests/unit/test_handlers.py``.)"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

import interpreter
from interpreter.adapters.memory import MemoryStore
from interpreter.app import local_service
from interpreter.json_types import JSON
from interpreter.runtime.durable import TASK_ATTEMPTS

ROLE = "arn:aws:iam::123456789012:role/r"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:f"


class UnstorableResults(MemoryStore):
    """A store that can never hold a task's result (as a DynamoDB item over 400 KB could not):
    every ``put_inbox`` of a success raises."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals = 0

    def put_inbox(self, arn: str, key: str, entry: Mapping[str, JSON]) -> bool:
        if entry.get("type") == "task_succeeded":
            self.refusals += 1
            raise OSError("the item is too large to store")
        return super().put_inbox(arn, key, entry)


def run(definition: dict[str, Any], handler: Any, store: MemoryStore) -> dict[str, Any]:
    service = local_service(lambdas={"f": handler}, clock="virtual", store=store)
    machine = service.create_state_machine(
        name="m", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    arn = service.start_execution(stateMachineArn=machine)["executionArn"]
    handled = 0

    def enough() -> bool:
        nonlocal handled
        handled += 1
        return handled > 300

    assert service.worker is not None
    service.worker.run_until_idle(until=enough)
    described = service.describe_execution(executionArn=arn)
    described["events"] = service.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return described


def quick(event: Any, context: Any) -> Any:
    return {"done": True}


def slow(event: Any, context: Any) -> Any:
    interpreter.sleep(5)  # on the virtual clock: the outcome comes later, in a deliver message
    return {"done": True}


@pytest.mark.parametrize("handler", [quick, slow], ids=["task message", "deliver message"])
def test_a_task_whose_outcome_can_never_be_stored_fails_after_bounded_attempts(
    handler: Any,
) -> None:
    store = UnstorableResults()
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": FUNCTION, "End": True}},
    }
    described = run(definition, handler, store)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert (
        "The task could not be carried out: OSError: the item is too large to store"
        in (described["cause"])
    )
    assert f"after {TASK_ATTEMPTS} attempts" in described["cause"]
    assert store.refusals == TASK_ATTEMPTS
    events = described["events"]
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert [event["type"] for event in events][-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]


def test_the_failed_task_goes_through_the_state_s_catchers() -> None:
    """``States.Runtime`` is terminal: a ``States.ALL`` Catcher does not take it."""
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    described = run(definition, quick, UnstorableResults())
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")


def test_a_task_that_fails_less_often_than_the_bound_still_succeeds() -> None:
    class Flaky(MemoryStore):
        failures = TASK_ATTEMPTS - 1

        def put_inbox(self, arn: str, key: str, entry: Mapping[str, JSON]) -> bool:
            if entry.get("type") == "task_succeeded" and self.failures:
                self.failures -= 1
                raise OSError("throttled")
            return super().put_inbox(arn, key, entry)

    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": FUNCTION, "End": True}},
    }
    described = run(definition, quick, Flaky())
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"done": True}
