"""RedriveExecution and UpdateMapRun through boto3, against a live ``asl serve`` endpoint.

The endpoint runs on a virtual clock (the test moves it: 14 days, a year) over each store an
endpoint can have — memory, SQLite (``--state``), DynamoDB (the serverless runtime's, on moto).

The conformance corpus has no redriven execution: the histories expected here are reasoned from
the RedriveExecution API reference and the redrive guide ("Redriving executions": the execution
continues from the unsuccessful step with that step's input, the successful steps are not run
again; ``ExecutionRedriven`` with ``executionRedrivenEventDetails.redriveCount`` is recorded; the
state machine's timeout is reset) and from the API model (``redriveCount``, ``redriveDate``,
``redriveStatus``, ``redriveStatusReason`` and their documented reasons;
``ExecutionNotRedrivable``; ``clientToken``: the last 10 tokens of successful redrives answer
idempotently for 15 minutes; UpdateMapRun's ValidationException reasons
``MISSING_REQUIRED_PARAMETER`` and ``CANNOT_UPDATE_COMPLETED_MAP_RUN``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from interpreter.adapters.sqlite_store import SqliteStore
from interpreter.api.server import make_server
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service
from interpreter.runtime.ports import Store

START_MS = 1_700_000_000_000
DAY_MS = 24 * 3600 * 1000
ROLE = "arn:aws:iam::123456789012:role/sfn"
WORK = "arn:aws:lambda:us-east-1:123456789012:function:work"


class Endpoint:
    """A live endpoint on a virtual clock, with a Lambda ``work`` that fails on demand."""

    def __init__(self, store: Store | None) -> None:
        self.broken: set[Any] = set()
        self.calls: list[Any] = []
        self.service: StepFunctionsService = local_service(
            lambdas={"work": self._work}, clock="virtual", start_ms=START_MS, store=store
        )
        self.server = make_server(self.service, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client = self._client(validate=True)
        #: A client that sends what it is given (the endpoint checks the model's constraints).
        self.raw = self._client(validate=False)

    def _client(self, *, validate: bool) -> Any:
        return boto3.client(
            "stepfunctions",
            endpoint_url=f"http://127.0.0.1:{self.server.server_address[1]}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(
                inject_host_prefix=False,
                retries={"max_attempts": 1},
                parameter_validation=validate,
            ),
        )

    def _work(self, event: Any, context: Any) -> Any:
        self.calls.append(event)
        if json.dumps(event, sort_keys=True) in self.broken:
            raise RuntimeError(f"cannot work on {event}")
        return {"worked": event}

    def break_on(self, value: Any) -> None:
        self.broken.add(json.dumps(value, sort_keys=True))

    def close(self) -> None:
        self.client.close()
        self.raw.close()
        self.server.shutdown()
        self.server.server_close()

    def machine(self, name: str, definition: dict[str, Any]) -> str:
        created = self.client.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE
        )
        return str(created["stateMachineArn"])

    def run(self, machine: str, name: str, execution_input: Any = None) -> str:
        started = self.client.start_execution(
            stateMachineArn=machine, name=name, input=json.dumps(execution_input or {})
        )
        self.settle()
        return str(started["executionArn"])

    def settle(self) -> None:
        self.service.run_until_idle()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.service.clock.now_ms() / 1000, UTC)

    def advance(self, milliseconds: int) -> None:
        clock = self.service.clock
        clock.advance_to(clock.now_ms() + milliseconds)  # type: ignore[attr-defined]

    def describe(self, arn: str) -> dict[str, Any]:
        return dict(self.client.describe_execution(executionArn=arn))

    def history(self, arn: str) -> list[dict[str, Any]]:
        return list(self.client.get_execution_history(executionArn=arn)["events"])

    def refusal(self, arn: str, **request: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as refused:
            self.raw.redrive_execution(executionArn=arn, **request)
        error = refused.value.response["Error"]
        return error["Code"], error["Message"]


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def endpoint(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Endpoint]:
    if request.param == "memory":
        served = Endpoint(None)
        yield served
        served.close()
    elif request.param == "sqlite":
        sqlite = SqliteStore(tmp_path / "state.db")
        served = Endpoint(sqlite)
        yield served
        served.close()
        sqlite.close()
    else:
        from moto import mock_aws

        from interpreter.adapters.dynamodb_store import DynamoDbStore, table_definition

        with mock_aws():
            dynamodb = boto3.client(
                "dynamodb",
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            dynamodb.create_table(**table_definition("asl"))
            served = Endpoint(DynamoDbStore(dynamodb, "asl"))
            yield served
            served.close()


@pytest.fixture
def memory_endpoint() -> Iterator[Endpoint]:
    served = Endpoint(None)
    yield served
    served.close()


TWO_STEPS = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"order.$": "$.order"}, "Next": "Work"},
        "Work": {"Type": "Task", "Resource": WORK, "End": True},
    },
}


def test_a_failed_execution_is_redriven_from_the_state_that_failed(endpoint: Endpoint) -> None:
    machine = endpoint.machine("orders", TWO_STEPS)
    endpoint.break_on({"order": 7})
    arn = endpoint.run(machine, "o-7", {"order": 7})
    failed = endpoint.describe(arn)
    assert failed["status"] == "FAILED"
    assert (failed["redriveCount"], failed["redriveStatus"]) == (0, "REDRIVABLE")
    assert "redriveStatusReason" not in failed
    assert "redriveDate" not in failed
    before = endpoint.history(arn)

    endpoint.broken.clear()
    endpoint.advance(3_600_000)
    redriven_at = endpoint.now()
    answer = endpoint.client.redrive_execution(executionArn=arn)
    assert answer["redriveDate"] == redriven_at
    assert endpoint.describe(arn)["status"] == "RUNNING"
    endpoint.settle()

    described = endpoint.describe(arn)
    assert described["status"] == "SUCCEEDED"
    assert described["output"] == '{"worked":{"order":7}}'
    assert described["redriveCount"] == 1
    assert described["redriveDate"] == redriven_at
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    assert described["executionArn"] == arn  # the same execution, the same ARN
    # The Pass state ran once; the Task twice, with the same input.
    assert endpoint.calls == [{"order": 7}, {"order": 7}]

    history = endpoint.history(arn)
    assert history[: len(before)] == before  # what happened before stays as it was
    added = history[len(before) :]
    assert [event["type"] for event in added] == [
        "ExecutionRedriven",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    redriven = added[0]
    assert redriven["id"] == before[-1]["id"] + 1
    assert redriven["previousEventId"] == before[-1]["id"]
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert redriven["timestamp"] == redriven_at
    assert added[1]["previousEventId"] == redriven["id"]
    assert added[1]["stateEnteredEventDetails"]["input"] == '{"order":7}'

    listed = endpoint.client.list_executions(stateMachineArn=machine)["executions"]
    assert [(entry["redriveCount"], entry["redriveDate"]) for entry in listed] == [(1, redriven_at)]


def test_list_executions_filters_redriven_ones(endpoint: Endpoint) -> None:
    machine = endpoint.machine("filtered", TWO_STEPS)
    endpoint.break_on({"order": 2})
    arns = [endpoint.run(machine, f"o-{n}", {"order": n}) for n in range(4)]
    endpoint.broken.clear()
    endpoint.client.redrive_execution(executionArn=arns[2])
    endpoint.settle()

    def names(**query: Any) -> list[str]:
        pages = endpoint.client.get_paginator("list_executions").paginate(
            stateMachineArn=machine, PaginationConfig={"PageSize": 1}, **query
        )
        return [entry["name"] for page in pages for entry in page["executions"]]

    assert names(redriveFilter="REDRIVEN") == ["o-2"]
    assert names(redriveFilter="NOT_REDRIVEN") == ["o-3", "o-1", "o-0"]
    assert names() == ["o-3", "o-2", "o-1", "o-0"]
    assert names(statusFilter="SUCCEEDED", redriveFilter="REDRIVEN") == ["o-2"]
    page = endpoint.client.list_executions(
        stateMachineArn=machine, redriveFilter="NOT_REDRIVEN", maxResults=1
    )
    with pytest.raises(ClientError) as invalid:
        endpoint.client.list_executions(
            stateMachineArn=machine, redriveFilter="REDRIVEN", nextToken=page["nextToken"]
        )
    assert invalid.value.response["Error"]["Code"] == "InvalidToken"


def test_timed_out_and_aborted_executions_are_redrivable(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine(
        "slow",
        {
            "StartAt": "Nap",
            "TimeoutSeconds": 60,
            "States": {
                "Nap": {"Type": "Wait", "SecondsPath": "$.nap", "Next": "Done"},
                "Done": {"Type": "Pass", "Result": "rested", "End": True},
            },
        },
    )
    timed_out = endpoint.run(machine, "t", {"nap": 120})
    assert endpoint.describe(timed_out)["status"] == "TIMED_OUT"
    assert endpoint.describe(timed_out)["redriveStatus"] == "REDRIVABLE"
    started = endpoint.client.start_execution(stateMachineArn=machine, name="a", input='{"nap": 5}')
    endpoint.client.stop_execution(executionArn=started["executionArn"], error="Stop")
    aborted = started["executionArn"]
    assert endpoint.describe(aborted)["status"] == "ABORTED"
    assert endpoint.describe(aborted)["redriveStatus"] == "REDRIVABLE"

    endpoint.client.redrive_execution(executionArn=aborted)
    endpoint.settle()
    assert endpoint.describe(aborted)["output"] == '"rested"'
    endpoint.client.redrive_execution(executionArn=timed_out)
    endpoint.settle()
    # The Wait of 120 s is entered again and the 60 s timeout counts from the redrive.
    history = endpoint.history(timed_out)
    assert [event["type"] for event in history][-3:] == [
        "ExecutionRedriven",
        "WaitStateEntered",
        "ExecutionTimedOut",
    ]
    assert history[-1]["timestamp"] - history[-3]["timestamp"] == (
        datetime.fromtimestamp(60, UTC) - datetime.fromtimestamp(0, UTC)
    )


def test_running_and_succeeded_executions_are_not_redrivable(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    waiting = endpoint.machine(
        "waits", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    )
    started = endpoint.client.start_execution(stateMachineArn=waiting, name="w")
    running = started["executionArn"]
    assert endpoint.refusal(running) == (
        "ExecutionNotRedrivable",
        "Execution is RUNNING and cannot be redriven",
    )
    assert endpoint.describe(running)["redriveStatusReason"] == (
        "Execution is RUNNING and cannot be redriven"
    )
    endpoint.settle()
    assert endpoint.refusal(running) == (
        "ExecutionNotRedrivable",
        "Execution is SUCCEEDED and cannot be redriven",
    )


def test_the_redrivable_period_is_14_days_from_the_end(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine("orders", TWO_STEPS)
    endpoint.break_on({"order": 1})
    late = endpoint.run(machine, "late", {"order": 1})
    within = endpoint.run(machine, "within", {"order": 1})
    endpoint.broken.clear()

    def stopped_ms(arn: str) -> int:
        return round(endpoint.describe(arn)["stopDate"].timestamp() * 1000)

    clock: Any = endpoint.service.clock
    clock.advance_to(stopped_ms(within) + 14 * DAY_MS)  # 14 days to the millisecond
    endpoint.client.redrive_execution(executionArn=within)
    clock.advance_to(stopped_ms(late) + 14 * DAY_MS + 1)
    assert endpoint.describe(late)["redriveStatus"] == "NOT_REDRIVABLE"
    assert endpoint.describe(late)["redriveStatusReason"] == "Execution redrivable period exceeded"
    assert endpoint.refusal(late) == (
        "ExecutionNotRedrivable",
        "Execution redrivable period exceeded",
    )


def test_an_execution_open_for_more_than_a_year_is_not_redrivable(
    memory_endpoint: Endpoint,
) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine(
        "long",
        {
            "StartAt": "Nap",
            "States": {
                "Nap": {"Type": "Wait", "Seconds": 364 * 24 * 3600, "Next": "Fail"},
                "Fail": {"Type": "Fail", "Error": "Late"},
            },
        },
    )
    arn = endpoint.run(machine, "year")
    assert endpoint.describe(arn)["redriveStatus"] == "REDRIVABLE"
    endpoint.advance(2 * DAY_MS)  # 2 days after its end, 366 after its start
    assert endpoint.refusal(arn) == (
        "ExecutionNotRedrivable",
        "Execution has exceeded the max execution time",
    )


def test_an_execution_whose_history_is_full_is_not_redrivable(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine(
        "long-map",
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "MaxConcurrency": 1,
                    "ItemProcessor": {
                        "StartAt": "P",
                        "States": {"P": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            },
        },
    )
    arn = endpoint.run(machine, "too-long", list(range(7000)))
    described = endpoint.describe(arn)
    assert described["status"] == "FAILED"
    assert described["redriveStatusReason"] == "Execution history event limit exceeded"
    assert endpoint.refusal(arn) == (
        "ExecutionNotRedrivable",
        "Execution history event limit exceeded",
    )


def test_an_execution_of_a_deleted_state_machine_is_not_redrivable(
    memory_endpoint: Endpoint,
) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine("gone", TWO_STEPS)
    endpoint.break_on({"order": 1})
    arn = endpoint.run(machine, "o", {"order": 1})
    endpoint.client.delete_state_machine(stateMachineArn=machine)
    assert endpoint.refusal(arn) == (
        "ExecutionNotRedrivable",
        "State machine is in DELETING status",
    )


def test_redrive_refuses_unknown_and_malformed_executions(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    unknown = "arn:aws:states:us-east-1:123456789012:execution:nope:nope"
    assert endpoint.refusal(unknown) == (
        "ExecutionDoesNotExist",
        f"Execution Does Not Exist: '{unknown}'",
    )
    assert endpoint.refusal("not-an-arn")[0] == "InvalidArn"
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
    assert endpoint.refusal(machine)[0] == "InvalidArn"
    for token in ("", "x" * 65, "with space"):
        code, message = endpoint.refusal(unknown, clientToken=token)
        assert code == "ValidationException"
        assert "clientToken" in message


def test_a_redrive_runs_the_definition_revision_the_execution_started_with(
    endpoint: Endpoint,
) -> None:
    machine = endpoint.machine("revised", TWO_STEPS)
    version = endpoint.client.publish_state_machine_version(stateMachineArn=machine)
    endpoint.break_on({"order": 1})
    started = endpoint.client.start_execution(
        stateMachineArn=version["stateMachineVersionArn"], name="v1", input='{"order": 1}'
    )
    arn = started["executionArn"]
    endpoint.settle()
    # The state machine changes: the Task now gets other parameters.
    revised = json.loads(json.dumps(TWO_STEPS))
    revised["States"]["Work"]["Parameters"] = {"revised": True}
    endpoint.client.update_state_machine(stateMachineArn=machine, definition=json.dumps(revised))
    endpoint.broken.clear()
    endpoint.client.redrive_execution(executionArn=arn)
    endpoint.settle()
    described = endpoint.describe(arn)
    assert described["output"] == '{"worked":{"order":1}}'  # the first revision's Task
    assert described["stateMachineVersionArn"] == version["stateMachineVersionArn"]
    for_execution = endpoint.client.describe_state_machine_for_execution(executionArn=arn)
    assert json.loads(for_execution["definition"]) == TWO_STEPS


def test_express_executions_cannot_be_redriven(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    express = endpoint.client.create_state_machine(
        name="fast",
        definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}),
        roleArn=ROLE,
        type="EXPRESS",
    )
    started = endpoint.client.start_execution(stateMachineArn=express["stateMachineArn"])
    endpoint.settle()
    assert endpoint.refusal(started["executionArn"]) == (
        "InvalidArn",
        "Invalid Arn: 'Resource type not valid in this context: express'",
    )


def test_a_client_token_makes_a_redrive_idempotent(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine("orders", TWO_STEPS)
    endpoint.break_on({"order": 1})
    arn = endpoint.run(machine, "o", {"order": 1})
    first = endpoint.client.redrive_execution(executionArn=arn, clientToken="token-1")
    endpoint.advance(60_000)
    # The same request again (its answer was lost): the same answer, no second redrive.
    again = endpoint.client.redrive_execution(executionArn=arn, clientToken="token-1")
    assert again["redriveDate"] == first["redriveDate"]
    assert endpoint.describe(arn)["redriveCount"] == 1
    endpoint.settle()  # it fails again (the Lambda is still broken)
    assert endpoint.describe(arn)["status"] == "FAILED"
    # A token answers for 15 minutes from its first use; then it is a new request.
    endpoint.advance(14 * 60_000)
    repeated = endpoint.client.redrive_execution(executionArn=arn, clientToken="token-1")
    assert repeated["redriveDate"] == first["redriveDate"]
    assert endpoint.describe(arn)["redriveCount"] == 1
    endpoint.advance(60_001)
    endpoint.client.redrive_execution(executionArn=arn, clientToken="token-1")
    assert endpoint.describe(arn)["redriveCount"] == 2


def test_only_the_last_10_client_tokens_answer_idempotently(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine("orders", TWO_STEPS)
    endpoint.break_on({"order": 1})
    arn = endpoint.run(machine, "o", {"order": 1})
    for number in range(11):
        endpoint.advance(1000)
        endpoint.client.redrive_execution(executionArn=arn, clientToken=f"t{number}")
        endpoint.settle()
    assert endpoint.describe(arn)["redriveCount"] == 11
    endpoint.client.redrive_execution(executionArn=arn, clientToken="t10")  # remembered
    assert endpoint.describe(arn)["redriveCount"] == 11
    endpoint.client.redrive_execution(executionArn=arn, clientToken="t0")  # forgotten
    assert endpoint.describe(arn)["redriveCount"] == 12


def test_a_parallel_redrives_only_its_failed_branch(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine(
        "parallel",
        {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "Left",
                            "States": {
                                "Left": {
                                    "Type": "Task",
                                    "Resource": WORK,
                                    "Parameters": {"side": "left"},
                                    "End": True,
                                }
                            },
                        },
                        {
                            "StartAt": "Right",
                            "States": {
                                "Right": {
                                    "Type": "Task",
                                    "Resource": WORK,
                                    "Parameters": {"side": "right"},
                                    "End": True,
                                }
                            },
                        },
                    ],
                    "End": True,
                }
            },
        },
    )
    endpoint.break_on({"side": "right"})
    arn = endpoint.run(machine, "p")
    endpoint.broken.clear()
    endpoint.client.redrive_execution(executionArn=arn)
    endpoint.settle()
    assert endpoint.describe(arn)["output"] == (
        '[{"worked":{"side":"left"}},{"worked":{"side":"right"}}]'
    )
    assert [call["side"] for call in endpoint.calls].count("left") == 1


DISTRIBUTED = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "Label": "Fan",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work",
                "States": {"Work": {"Type": "Task", "Resource": WORK, "End": True}},
            },
            "End": True,
        }
    },
}


def test_a_distributed_map_redrives_its_map_run(endpoint: Endpoint) -> None:
    machine = endpoint.machine("fan", DISTRIBUTED)
    endpoint.break_on(2)
    arn = endpoint.run(machine, "f", [1, 2, 3])
    assert endpoint.describe(arn)["status"] == "FAILED"
    (listed,) = endpoint.client.list_map_runs(executionArn=arn)["mapRuns"]
    run_arn = listed["mapRunArn"]
    failed = endpoint.client.describe_map_run(mapRunArn=run_arn)
    assert (failed["status"], failed["redriveCount"]) == ("FAILED", 0)
    assert "redriveDate" not in failed
    assert (failed["executionCounts"]["failed"], failed["executionCounts"]["pending"]) == (1, 1)

    endpoint.broken.clear()
    endpoint.advance(1000)
    redriven_at = endpoint.now()
    endpoint.client.redrive_execution(executionArn=arn)
    endpoint.settle()
    assert endpoint.describe(arn)["output"] == ('[{"worked":1},{"worked":2},{"worked":3}]')
    assert endpoint.calls == [1, 2, 2, 3]
    redriven = endpoint.client.describe_map_run(mapRunArn=run_arn)
    assert redriven["status"] == "SUCCEEDED"
    assert redriven["redriveCount"] == 1
    assert redriven["redriveDate"] == redriven_at
    counts = redriven["executionCounts"]
    assert (counts["succeeded"], counts["failed"], counts["pendingRedrive"]) == (3, 0, 0)
    events = endpoint.history(arn)
    (map_run_redriven,) = [event for event in events if event["type"] == "MapRunRedriven"]
    assert map_run_redriven["mapRunRedrivenEventDetails"] == {
        "mapRunArn": run_arn,
        "redriveCount": 1,
    }
    assert [event["type"] for event in events].count("MapRunStarted") == 1


SLOW_FAN = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Nap",
                "States": {"Nap": {"Type": "Wait", "Seconds": 10, "End": True}},
            },
            "End": True,
        }
    },
}


def test_update_map_run_changes_a_running_map_run(endpoint: Endpoint) -> None:
    machine = endpoint.machine("slow-fan", SLOW_FAN)
    started = endpoint.client.start_execution(
        stateMachineArn=machine, name="s", input=json.dumps(list(range(6)))
    )
    arn = started["executionArn"]
    (listed,) = endpoint.client.list_map_runs(executionArn=arn)["mapRuns"]
    run_arn = listed["mapRunArn"]
    endpoint.client.update_map_run(mapRunArn=run_arn, maxConcurrency=2)
    # Requests made before the Map Run takes them apply in the order they were made.
    endpoint.client.update_map_run(
        mapRunArn=run_arn,
        maxConcurrency=3,
        toleratedFailureCount=4,
        toleratedFailurePercentage=50.5,
    )
    endpoint.settle()
    described = endpoint.client.describe_map_run(mapRunArn=run_arn)
    assert described["status"] == "SUCCEEDED"
    assert described["maxConcurrency"] == 3
    assert described["toleratedFailureCount"] == 4
    assert described["toleratedFailurePercentage"] == 50.5
    # One at a time until the update, three at a time after: 10 s + 10 s, not 60 s.
    history = endpoint.history(arn)
    assert history[-1]["timestamp"] - history[0]["timestamp"] == (
        datetime.fromtimestamp(20, UTC) - datetime.fromtimestamp(0, UTC)
    )


def test_update_map_run_refuses_as_aws_does(memory_endpoint: Endpoint) -> None:
    endpoint = memory_endpoint
    machine = endpoint.machine("fan", DISTRIBUTED)
    arn = endpoint.run(machine, "done", [1])
    (listed,) = endpoint.client.list_map_runs(executionArn=arn)["mapRuns"]
    run_arn = listed["mapRunArn"]

    def refused(**request: Any) -> dict[str, Any]:
        with pytest.raises(ClientError) as problem:
            endpoint.raw.update_map_run(**request)
        return dict(problem.value.response)

    missing = refused(mapRunArn=run_arn)
    assert missing["Error"]["Code"] == "ValidationException"
    assert missing["reason"] == "MISSING_REQUIRED_PARAMETER"
    completed = refused(mapRunArn=run_arn, maxConcurrency=2)
    assert completed["Error"]["Code"] == "ValidationException"
    assert completed["reason"] == "CANNOT_UPDATE_COMPLETED_MAP_RUN"
    for bad in (
        {"maxConcurrency": -1},
        {"toleratedFailurePercentage": 100.5},
        {"toleratedFailureCount": -1},
    ):
        answer = refused(mapRunArn=run_arn, **bad)
        assert answer["Error"]["Code"] == "ValidationException"
        assert next(iter(bad)) in answer["Error"]["Message"]
    unknown = run_arn.rsplit(":", 1)[0] + ":00000000-0000-4000-8000-000000000000"
    assert refused(mapRunArn=unknown, maxConcurrency=1)["Error"]["Code"] == "ResourceNotFound"
    assert refused(mapRunArn="not-an-arn", maxConcurrency=1)["Error"]["Code"] == "InvalidArn"
    assert refused(mapRunArn=arn, maxConcurrency=1)["Error"]["Code"] == "InvalidArn"


def test_a_redrive_survives_an_endpoint_restart(tmp_path: Path) -> None:
    """``asl serve --state``: a redrive is committed like a decision; the endpoint that starts
    again on the file finishes it."""
    path = tmp_path / "state.db"
    first = Endpoint(SqliteStore(path))
    machine = first.machine(
        "restarts",
        {
            "StartAt": "Work",
            "States": {
                "Work": {"Type": "Task", "Resource": WORK, "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 3600, "End": True},
            },
        },
    )
    first.break_on({})
    arn = first.run(machine, "r")
    first.broken.clear()
    redriven_at = first.now()
    first.client.redrive_execution(executionArn=arn, clientToken="once")
    first.service.worker.run_until_idle(  # type: ignore[union-attr]
        until=lambda: first.describe(arn)["status"] != "RUNNING" or len(first.calls) == 2
    )
    first.close()

    second = Endpoint(SqliteStore(path))
    assert second.service.recovered == 1
    again = second.client.redrive_execution(executionArn=arn, clientToken="once")
    assert again["redriveDate"] == redriven_at
    second.settle()
    described = second.describe(arn)
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
    second.close()
