"""What ``asl serve`` does, through ``asl serve --serverless``: the API function, worker and
sweep processes over DynamoDB and SQS (moto's server), driven with boto3 as a user would.

Callbacks, activities (GetActivityTask long-polls the store), mock-config test cases, ``.sync``
child executions, a Distributed Map reading from and writing to S3, StartSyncExecution,
versions and aliases, StopExecution, and the viewer's page.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from sfn_polling import await_end

from interpreter.cloud.settings import CloudSettings
from interpreter.cloud.supervisor import CloudOptions, LocalCloud

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/asl"
HANDLERS = Path(__file__).resolve().parent / "features_handlers.py"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    options = CloudOptions(
        workers=2,
        port=0,
        sweep_interval_s=1.0,
        lambdas=(f"Double={HANDLERS}:double",),
        mock_config=str(ROOT / "samples" / "MockConfigFile.json"),
        environment={"ASL_DISPATCH_GRACE_MS": "3000", "ASL_CLAIM_LEASE_MS": "4000"},
    )
    local = LocalCloud(options, CloudSettings().with_changes(visibility_timeout_s=20))
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="module")
def sfn(cloud: LocalCloud) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=cloud.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(inject_host_prefix=False, read_timeout=90),
    )


def _machine(sfn: Any, name: str, definition: dict[str, Any], **extra: Any) -> str:
    return str(
        sfn.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE, **extra
        )["stateMachineArn"]
    )


def _events(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return list(sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])


def test_a_callback_task_waits_for_send_task_success(sfn: Any) -> None:
    machine = _machine(
        sfn,
        "callback",
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": "Double",
                        "Payload": {"token.$": "$$.Task.Token"},
                    },
                    "End": True,
                }
            },
        },
    )
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    token = None
    deadline = time.monotonic() + 30
    while token is None and time.monotonic() < deadline:
        for event in _events(sfn, arn):
            details = event.get("taskScheduledEventDetails")
            if details:
                token = json.loads(details["parameters"])["Payload"]["token"]
        time.sleep(0.2)
    assert token is not None
    time.sleep(0.5)  # the Lambda function answered: the Task still waits for its token
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    described = await_end(sfn, arn)
    assert (described["status"], json.loads(described["output"])) == (
        "SUCCEEDED",
        {"approved": True},
    )


def test_an_activity_is_worked_through_get_activity_task(sfn: Any) -> None:
    activity = sfn.create_activity(name="review")["activityArn"]
    machine = _machine(
        sfn,
        "activity",
        {
            "StartAt": "Review",
            "States": {"Review": {"Type": "Task", "Resource": activity, "End": True}},
        },
    )
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"doc": 7}))["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w1")
    assert json.loads(task["input"]) == {"doc": 7}
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"ok": 1}))
    described = await_end(sfn, arn)
    assert json.loads(described["output"]) == {"ok": 1}


def test_a_mock_config_test_case_answers_the_tasks(sfn: Any) -> None:
    definition = json.loads((ROOT / "samples" / "order-processing.asl.json").read_text())
    machine = _machine(sfn, "order-processing", definition)
    order = json.loads((ROOT / "samples" / "order.json").read_text())
    arn = sfn.start_execution(
        stateMachineArn=f"{machine}#BusyStockService", input=json.dumps(order)
    )["executionArn"]
    described = await_end(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    failures = [e for e in _events(sfn, arn) if e["type"] == "LambdaFunctionFailed"]
    errors = [e["lambdaFunctionFailedEventDetails"]["error"] for e in failures]
    assert errors == ["StockServiceBusy"] * 2
    assert json.loads(described["output"])["reservationId"] == "r-43"


def test_a_sync_child_execution_runs_on_the_deployment(sfn: Any) -> None:
    child = _machine(
        sfn,
        "child",
        {
            "StartAt": "Twice",
            "States": {
                "Twice": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "Double", "Payload.$": "$"},
                    "ResultSelector": {"n.$": "$.Payload.n"},
                    "End": True,
                }
            },
        },
    )
    parent = _machine(
        sfn,
        "parent",
        {
            "StartAt": "Child",
            "States": {
                "Child": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                    "OutputPath": "$.Output",
                    "End": True,
                }
            },
        },
    )
    arn = sfn.start_execution(stateMachineArn=parent, input=json.dumps({"n": 21}))["executionArn"]
    described = await_end(sfn, arn)
    assert json.loads(described["output"]) == {"n": 42}
    children = sfn.list_executions(stateMachineArn=child)["executions"]
    assert [c["status"] for c in children] == ["SUCCEEDED"]


def test_a_distributed_map_reads_and_writes_s3(cloud: LocalCloud, sfn: Any) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="items")
    s3.put_object(Bucket="items", Key="in.json", Body=json.dumps([{"n": n} for n in range(5)]))
    machine = _machine(
        sfn,
        "distributed",
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemReader": {
                        "Resource": "arn:aws:states:::s3:getObject",
                        "ReaderConfig": {"InputType": "JSON"},
                        "Parameters": {"Bucket": "items", "Key": "in.json"},
                    },
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "Twice",
                        "States": {
                            "Twice": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": "Double", "Payload.$": "$"},
                                "OutputPath": "$.Payload",
                                "End": True,
                            }
                        },
                    },
                    "ResultWriter": {
                        "Resource": "arn:aws:states:::s3:putObject",
                        "Parameters": {"Bucket": "items", "Prefix": "out"},
                    },
                    "End": True,
                }
            },
        },
    )
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    described = await_end(sfn, arn, timeout_s=120)
    assert described["status"] == "SUCCEEDED", described
    written = json.loads(described["output"])["ResultWriterDetails"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="items", Prefix="out")["Contents"]]
    assert written["Key"] in keys
    manifest = json.loads(s3.get_object(Bucket="items", Key=written["Key"])["Body"].read())
    succeeded = manifest["ResultFiles"]["SUCCEEDED"]
    results = json.loads(s3.get_object(Bucket="items", Key=succeeded[0]["Key"])["Body"].read())
    assert sorted(json.loads(r["Output"])["n"] for r in results) == [0, 2, 4, 6, 8]


def test_start_sync_execution_answers_with_the_end(sfn: Any) -> None:
    machine = _machine(
        sfn,
        "express",
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"done": 1}, "End": True}}},
        type="EXPRESS",
    )
    answer = sfn.start_sync_execution(stateMachineArn=machine, input="{}")
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {"done": 1})


def test_versions_and_aliases_run_what_they_name(sfn: Any) -> None:
    first = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}}
    machine = _machine(sfn, "versioned", first, publish=True)
    version_1 = sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"][0][
        "stateMachineVersionArn"
    ]
    second = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}}
    sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(second), publish=True)
    alias = sfn.create_state_machine_alias(
        name="stable", routingConfiguration=[{"stateMachineVersionArn": version_1, "weight": 100}]
    )["stateMachineAliasArn"]
    outputs = []
    for target in (machine, version_1, alias):
        arn = sfn.start_execution(stateMachineArn=target, input="{}")["executionArn"]
        outputs.append(json.loads(await_end(sfn, arn)["output"]))
    assert outputs == [2, 1, 1]


def test_stop_execution_aborts_a_waiting_execution(sfn: Any) -> None:
    machine = _machine(
        sfn,
        "waiting",
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}},
    )
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    sfn.stop_execution(executionArn=arn, error="Operator", cause="not today")
    described = await_end(sfn, arn)
    assert (described["status"], described["error"]) == ("ABORTED", "Operator")
    assert _events(sfn, arn)[-1]["type"] == "ExecutionAborted"


def test_the_viewer_page_is_served(cloud: LocalCloud) -> None:
    with urllib.request.urlopen(cloud.url + "/", timeout=10) as page:  # noqa: S310 - local
        assert page.status == 200
        assert "text/html" in page.headers["Content-Type"]


def test_a_callback_survives_a_worker_kill_while_it_waits(cloud: LocalCloud, sfn: Any) -> None:
    activity = sfn.create_activity(name="slow")["activityArn"]
    machine = _machine(
        sfn,
        "slow-activity",
        {
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}},
        },
    )
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    task: dict[str, Any] = {}
    poll = threading.Thread(
        target=lambda: task.update(sfn.get_activity_task(activityArn=activity)), daemon=True
    )
    poll.start()
    for index in range(2):
        cloud.kill("worker", index)
    poll.join(timeout=70)
    assert task.get("taskToken")
    sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert await_end(sfn, arn)["status"] == "SUCCEEDED"
