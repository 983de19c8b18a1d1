"""``asl serve``: boto3 talks to the local endpoint exactly as to AWS Step Functions."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from interpreter.api.errors import StepFunctionsError
from interpreter.api.server import make_server
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service

ROLE = "arn:aws:iam::123456789012:role/sfn"

HELLO = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "hi", "End": True}}}
WAIT = {
    "StartAt": "W",
    "States": {"W": {"Type": "Wait", "Seconds": 3600, "Next": "Done"}, "Done": {"Type": "Succeed"}},
}


@pytest.fixture(scope="module")
def service() -> Iterator[StepFunctionsService]:
    def ask(event: Any, context: Any) -> Any:
        return {"token": event["token"]}

    service = local_service(lambdas={"Ask": ask}, clock="real")
    service.start_workers()
    yield service
    service.stop_workers()


@pytest.fixture(scope="module")
def client(service: StepFunctionsService) -> Iterator[Any]:
    server = make_server(service, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield boto3.client(
        "stepfunctions",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )
    server.shutdown()
    server.server_close()


def wait_until_done(client: Any, arn: str) -> dict[str, Any]:
    pause = threading.Event()
    for _ in range(200):
        described: dict[str, Any] = client.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        pause.wait(0.02)
    raise AssertionError(f"{arn} still running")


def test_create_start_describe_and_history(client: Any) -> None:
    machine = client.create_state_machine(name="hello", definition=json.dumps(HELLO), roleArn=ROLE)
    arn = machine["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:hello"
    started = client.start_execution(stateMachineArn=arn, name="run-1", input='{"a": 1}')
    described = wait_until_done(client, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert described["output"] == '"hi"'
    assert described["input"] == '{"a": 1}'
    events = client.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert events[0]["executionStartedEventDetails"]["input"] == '{"a": 1}'
    reverse = client.get_execution_history(executionArn=started["executionArn"], reverseOrder=True)
    assert [e["id"] for e in reverse["events"]] == [4, 3, 2, 1]
    listed = client.list_executions(stateMachineArn=arn)["executions"]
    assert [e["name"] for e in listed] == ["run-1"]


def test_errors_come_back_with_aws_codes(client: Any) -> None:
    with pytest.raises(ClientError) as invalid:
        client.create_state_machine(
            name="broken",
            definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}),
            roleArn=ROLE,
        )
    assert invalid.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "MISSING_TRANSITION_TARGET" in invalid.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        client.describe_execution(
            executionArn="arn:aws:states:us-east-1:123456789012:execution:nope:nope"
        )
    assert missing.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    machine = client.create_state_machine(name="dupe", definition=json.dumps(HELLO), roleArn=ROLE)
    client.start_execution(stateMachineArn=machine["stateMachineArn"], name="x", input="{}")
    with pytest.raises(ClientError) as exists:
        client.start_execution(stateMachineArn=machine["stateMachineArn"], name="x", input="{}")
    assert exists.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    with pytest.raises(ClientError) as bad_input:
        client.start_execution(stateMachineArn=machine["stateMachineArn"], input="{nope")
    assert bad_input.value.response["Error"]["Code"] == "InvalidExecutionInput"


def test_stop_execution_aborts_it(client: Any) -> None:
    machine = client.create_state_machine(name="waits", definition=json.dumps(WAIT), roleArn=ROLE)
    started = client.start_execution(stateMachineArn=machine["stateMachineArn"], name="w")
    client.stop_execution(executionArn=started["executionArn"], error="Bye", cause="test")
    described = client.describe_execution(executionArn=started["executionArn"])
    assert described["status"] == "ABORTED"
    assert (described["error"], described["cause"]) == ("Bye", "test")


def test_callbacks_through_send_task_success(client: Any) -> None:
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }
    machine = client.create_state_machine(
        name="callback", definition=json.dumps(definition), roleArn=ROLE
    )
    started = client.start_execution(stateMachineArn=machine["stateMachineArn"], name="cb")
    for _ in range(200):
        events = client.get_execution_history(executionArn=started["executionArn"])["events"]
        submitted = [e for e in events if e["type"] == "TaskSubmitted"]
        if submitted:
            break
        threading.Event().wait(0.02)
    submission = json.loads(submitted[0]["taskSubmittedEventDetails"]["output"])
    token = submission["Payload"]["token"]
    with pytest.raises(ClientError) as unknown:
        client.send_task_success(taskToken="nope", output="{}")
    assert unknown.value.response["Error"]["Code"] == "TaskDoesNotExist"
    client.send_task_success(taskToken=token, output='{"approved": true}')
    described = wait_until_done(client, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"approved": True}


def test_validate_state_machine_definition(client: Any) -> None:
    ok = client.validate_state_machine_definition(definition=json.dumps(HELLO))
    assert ok["result"] == "OK"
    assert ok["diagnostics"] == []
    bad = client.validate_state_machine_definition(definition='{"StartAt": "A", "States": {}}')
    assert bad["result"] == "FAIL"
    assert bad["diagnostics"][0]["severity"] == "ERROR"


def test_test_state_through_the_endpoint(client: Any) -> None:
    answer = client.test_state(
        definition=json.dumps(
            {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "ResultPath": "$.r", "Next": "N"}
        ),
        input='{"a": 7}',
        inspectionLevel="DEBUG",
    )
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"a": 7, "r": {"x": 7}}
    assert answer["nextState"] == "N"
    assert json.loads(answer["inspectionData"]["afterParameters"]) == {"x": 7}
    with pytest.raises(ClientError) as refused:
        client.test_state(
            definition=json.dumps({"Type": "Pass", "End": True}),
            mock={"result": "{}"},
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_send_task_failure_and_heartbeat_and_describe_for_execution(client: Any) -> None:
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"token.$": "$$.Task.Token"}},
                "HeartbeatSeconds": 60,
                "End": True,
            }
        },
    }
    machine = client.create_state_machine(
        name="callback-fails", definition=json.dumps(definition), roleArn=ROLE
    )
    started = client.start_execution(stateMachineArn=machine["stateMachineArn"], name="cf")
    described = client.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert described["stateMachineArn"] == machine["stateMachineArn"]
    assert json.loads(described["definition"]) == definition
    pause = threading.Event()
    token = None
    for _ in range(200):
        events = client.get_execution_history(executionArn=started["executionArn"])["events"]
        submitted = [e for e in events if e["type"] == "TaskSubmitted"]
        if submitted:
            token = json.loads(submitted[0]["taskSubmittedEventDetails"]["output"])["Payload"][
                "token"
            ]
            break
        pause.wait(0.02)
    assert token is not None
    client.send_task_heartbeat(taskToken=token)
    client.send_task_failure(taskToken=token, error="Rejected", cause="no")
    ended = wait_until_done(client, started["executionArn"])
    assert (ended["status"], ended["error"], ended["cause"]) == ("FAILED", "Rejected", "no")


def test_activities_are_worked_by_outside_workers(client: Any, service: Any) -> None:
    activity = client.create_activity(name="approve")
    arn = activity["activityArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:activity:approve"
    assert client.create_activity(name="approve")["activityArn"] == arn  # idempotent
    assert client.describe_activity(activityArn=arn)["name"] == "approve"
    listed = client.list_activities()["activities"]
    assert [entry["activityArn"] for entry in listed] == [arn]

    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {"Type": "Task", "Resource": arn, "HeartbeatSeconds": 30, "End": True}
        },
    }
    machine = client.create_state_machine(
        name="approval", definition=json.dumps(definition), roleArn=ROLE
    )
    started = client.start_execution(
        stateMachineArn=machine["stateMachineArn"], input='{"amount": 5}'
    )
    task = client.get_activity_task(activityArn=arn, workerName="clerk-1")
    assert json.loads(task["input"]) == {"amount": 5}
    client.send_task_heartbeat(taskToken=task["taskToken"])
    client.send_task_success(taskToken=task["taskToken"], output='{"approved": true}')
    described = wait_until_done(client, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"approved": True}
    events = client.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert events[2]["activityScheduledEventDetails"]["resource"] == arn
    assert events[2]["activityScheduledEventDetails"]["heartbeatInSeconds"] == 30
    assert events[3]["activityStartedEventDetails"] == {"workerName": "clerk-1"}

    # Nothing waits now: a poll comes back empty (the service polls briefly in this test).
    service.activity_poll_seconds = 0.05
    assert "taskToken" not in client.get_activity_task(activityArn=arn)

    client.delete_activity(activityArn=arn)
    with pytest.raises(ClientError) as missing:
        client.describe_activity(activityArn=arn)
    assert missing.value.response["Error"]["Code"] == "ActivityDoesNotExist"
    # A Task on a deleted activity fails before anything is scheduled, as AWS records it.
    again = client.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    failed = wait_until_done(client, again["executionArn"])
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.Runtime"
    assert failed["cause"] == (
        "An error occurred while executing the state 'Approve' (entered at the event id #2). "
        f"The activity {arn} does not exist."
    )


def test_update_state_machine_leaves_running_executions_on_their_revision(client: Any) -> None:
    first = {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "first", "End": True},
        },
    }
    second = {
        "StartAt": "Done",
        "States": {"Done": {"Type": "Pass", "Result": "second", "End": True}},
    }
    machine = client.create_state_machine(
        name="evolving", definition=json.dumps(first), roleArn=ROLE
    )
    arn = machine["stateMachineArn"]
    before = client.describe_state_machine(stateMachineArn=arn)["revisionId"]
    running = client.start_execution(stateMachineArn=arn)["executionArn"]

    updated = client.update_state_machine(stateMachineArn=arn, definition=json.dumps(second))
    assert updated["revisionId"] != before
    described = client.describe_state_machine(stateMachineArn=arn)
    assert described["revisionId"] == updated["revisionId"]
    assert json.loads(described["definition"]) == second

    # The execution that was running finishes on the definition it started with...
    assert wait_until_done(client, running)["output"] == '"first"'
    pinned = client.describe_state_machine_for_execution(executionArn=running)
    assert (pinned["revisionId"], json.loads(pinned["definition"])) == (before, first)
    # ... and new executions run the update.
    fresh = client.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_until_done(client, fresh)["output"] == '"second"'

    with pytest.raises(ClientError) as nothing:
        client.update_state_machine(stateMachineArn=arn)
    assert nothing.value.response["Error"]["Code"] == "MissingRequiredParameter"
    with pytest.raises(ClientError) as invalid:
        client.update_state_machine(stateMachineArn=arn, definition='{"StartAt": "Nowhere"}')
    assert invalid.value.response["Error"]["Code"] == "InvalidDefinition"


def test_mock_test_cases_through_the_endpoint() -> None:
    from interpreter.adapters.mock_config import MockConfig

    config = MockConfig.load(
        {
            "StateMachines": {"greeter": {"TestCases": {"Hello": {"Greet": "Hi"}}}},
            "MockedResponses": {
                "Hi": {"0": {"Return": {"StatusCode": 200, "Payload": {"text": "hi"}}}}
            },
        }
    )
    service = local_service(clock="virtual", mock_config=config)
    definition = {
        "StartAt": "Greet",
        "States": {
            "Greet": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Greeter"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    arn = service.call(
        "CreateStateMachine",
        {"name": "greeter", "definition": json.dumps(definition), "roleArn": ROLE},
    )["stateMachineArn"]
    started = service.call("StartExecution", {"stateMachineArn": f"{arn}#Hello", "name": "m1"})
    # The execution belongs to the state machine itself: no test case in its ARN.
    assert started["executionArn"] == arn.replace(":stateMachine:", ":execution:") + ":m1"
    service.run_until_idle()
    described = service.call("DescribeExecution", {"executionArn": started["executionArn"]})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"text": "hi"}
    assert described["stateMachineArn"] == arn

    with pytest.raises(StepFunctionsError) as unknown:
        service.call("StartExecution", {"stateMachineArn": f"{arn}#Nope"})
    assert unknown.value.code == "ValidationException"
    assert "no test case 'Nope'" in unknown.value.message


def test_versions_and_aliases(client: Any) -> None:
    first = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v1", "End": True}}}
    second = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": True}}}
    created = client.create_state_machine(
        name="versioned",
        definition=json.dumps(first),
        roleArn=ROLE,
        publish=True,
        versionDescription="first",
    )
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    updated = client.update_state_machine(
        stateMachineArn=arn, definition=json.dumps(second), publish=True
    )
    assert updated["stateMachineVersionArn"] == f"{arn}:2"
    # Publishing the same revision again gives the same version.
    again = client.publish_state_machine_version(stateMachineArn=arn)
    assert again["stateMachineVersionArn"] == f"{arn}:2"
    versions = client.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:2", f"{arn}:1"]
    described = client.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert json.loads(described["definition"]) == first
    assert described["description"] == "first"

    run_v1 = client.start_execution(stateMachineArn=f"{arn}:1")["executionArn"]
    assert wait_until_done(client, run_v1)["output"] == '"v1"'
    assert client.describe_execution(executionArn=run_v1)["stateMachineVersionArn"] == f"{arn}:1"

    alias = client.create_state_machine_alias(
        name="live",
        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}],
    )["stateMachineAliasArn"]
    assert alias == f"{arn}:live"
    via_alias = client.start_execution(stateMachineArn=alias)["executionArn"]
    done = wait_until_done(client, via_alias)
    assert done["output"] == '"v1"'
    assert done["stateMachineAliasArn"] == alias
    client.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}],
    )
    routed = client.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert routed["routingConfiguration"] == [{"stateMachineVersionArn": f"{arn}:2", "weight": 100}]
    moved = client.start_execution(stateMachineArn=alias)["executionArn"]
    assert wait_until_done(client, moved)["output"] == '"v2"'

    with pytest.raises(ClientError) as in_use:
        client.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    assert in_use.value.response["Error"]["Code"] == "ConflictException"
    client.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    aliases = client.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in aliases] == [alias]
    client.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(ClientError) as gone:
        client.start_execution(stateMachineArn=alias)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFound"


def test_tags_on_state_machines_and_activities(client: Any) -> None:
    machine = client.create_state_machine(
        name="tagged",
        definition=json.dumps(HELLO),
        roleArn=ROLE,
        tags=[{"key": "team", "value": "orders"}],
    )["stateMachineArn"]
    client.tag_resource(resourceArn=machine, tags=[{"key": "stage", "value": "dev"}])
    tags = client.list_tags_for_resource(resourceArn=machine)["tags"]
    assert tags == [{"key": "team", "value": "orders"}, {"key": "stage", "value": "dev"}]
    client.untag_resource(resourceArn=machine, tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=machine)["tags"] == [
        {"key": "stage", "value": "dev"}
    ]
    activity = client.create_activity(name="tagged", tags=[{"key": "k", "value": "v"}])
    listed = client.list_tags_for_resource(resourceArn=activity["activityArn"])["tags"]
    assert listed == [{"key": "k", "value": "v"}]
    with pytest.raises(ClientError) as missing:
        client.list_tags_for_resource(resourceArn=machine + "-nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"


def test_express_executions_have_express_arns() -> None:
    from interpreter import StateMachine

    service = local_service(clock="virtual")
    arn = service.call(
        "CreateStateMachine",
        {"name": "fast", "definition": json.dumps(HELLO), "roleArn": ROLE, "type": "EXPRESS"},
    )["stateMachineArn"]
    first = service.call("StartSyncExecution", {"stateMachineArn": arn, "name": "same"})
    second = service.call("StartSyncExecution", {"stateMachineArn": arn, "name": "same"})
    prefix = "arn:aws:states:us-east-1:123456789012:express:fast:same:"
    assert first["executionArn"].startswith(prefix)
    assert second["executionArn"].startswith(prefix)
    assert first["executionArn"] != second["executionArn"]  # Express names need not be unique

    result = StateMachine(
        {
            "StartAt": "Id",
            "States": {
                "Id": {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, "End": True}
            },
        },
        name="fast",
        state_machine_type="EXPRESS",
    ).run({}, execution_name="run")
    assert result.output["id"].startswith("arn:aws:states:us-east-1:123456789012:express:fast:run:")


def _negatives_fail(variable: str, **fields: Any) -> dict[str, Any]:
    """A Distributed Map whose child executions fail on a negative ``variable``."""
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Check",
                    "States": {
                        "Check": {
                            "Type": "Choice",
                            "Choices": [
                                {"Variable": variable, "NumericLessThan": 0, "Next": "Broken"}
                            ],
                            "Default": "Fine",
                        },
                        "Broken": {"Type": "Fail", "Error": "Negative"},
                        "Fine": {"Type": "Pass", "End": True},
                    },
                },
                "End": True,
                **fields,
            }
        },
    }


def test_map_runs_are_listed_and_described() -> None:
    service = local_service(clock="virtual")
    definition = _negatives_fail("$", Label="Checks", ToleratedFailureCount=1, MaxConcurrency=2)
    arn = service.call(
        "CreateStateMachine",
        {"name": "runs", "definition": json.dumps(definition), "roleArn": ROLE},
    )["stateMachineArn"]
    execution = service.call("StartExecution", {"stateMachineArn": arn, "input": "[1, -2, 3]"})[
        "executionArn"
    ]
    service.run_until_idle()
    (listed,) = service.call("ListMapRuns", {"executionArn": execution})["mapRuns"]
    assert listed["mapRunArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:mapRun:runs/Checks:"
    )
    assert listed["stateMachineArn"] == f"{arn}/Checks"
    described = service.call("DescribeMapRun", {"mapRunArn": listed["mapRunArn"]})
    assert described["status"] == "SUCCEEDED"
    assert described["executionArn"] == execution
    assert described["maxConcurrency"] == 2
    assert described["toleratedFailureCount"] == 1
    counts = described["executionCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"], counts["pending"]) == (
        3,
        2,
        1,
        0,
    )
    assert described["itemCounts"]["total"] == 3
    with pytest.raises(StepFunctionsError) as missing:
        service.call("DescribeMapRun", {"mapRunArn": listed["mapRunArn"] + "x"})
    assert missing.value.code == "ResourceNotFound"


def test_a_failed_batched_map_run_counts_items_and_executions() -> None:
    service = local_service(clock="virtual")
    definition = _negatives_fail(
        "$.Items[0]", MaxConcurrency=1, ItemBatcher={"MaxItemsPerBatch": 2}
    )
    arn = service.call(
        "CreateStateMachine",
        {"name": "batches", "definition": json.dumps(definition), "roleArn": ROLE},
    )["stateMachineArn"]
    execution = service.call(
        "StartExecution", {"stateMachineArn": arn, "input": "[1, 2, -3, 4, 5, 6]"}
    )["executionArn"]
    service.run_until_idle()
    (listed,) = service.call("ListMapRuns", {"executionArn": execution})["mapRuns"]
    described = service.call("DescribeMapRun", {"mapRunArn": listed["mapRunArn"]})
    assert described["status"] == "FAILED"
    executions, items = described["executionCounts"], described["itemCounts"]
    assert (executions["total"], executions["succeeded"], executions["failed"]) == (3, 1, 1)
    assert executions["pending"] == 1  # the third batch never started
    assert (items["total"], items["succeeded"], items["failed"], items["pending"]) == (6, 2, 2, 2)
