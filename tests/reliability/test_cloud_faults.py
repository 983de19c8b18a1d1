"""Single faults on the local serverless cloud, each with the behaviour AWS's own services give
it: a message no worker can handle (poison) goes to the dead-letter queue after the queue's
``maxReceiveCount`` while other work goes on; a worker killed mid-batch loses nothing; the API
killed mid-run loses nothing; records near the item size limit are written and read back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import workload
from chaos import FAST_RECOVERY, ROLE, _client
from checker import check
from sfn_polling import await_end, full_history

from interpreter.cloud.settings import CloudSettings, dead_letter_queue_url
from interpreter.cloud.supervisor import CloudOptions, LocalCloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """Two workers; a message comes back after 2 s and goes to the dead letters on its third
    receive."""
    side_effects = tmp_path_factory.mktemp("side-effects") / "side-effects.log"
    options = CloudOptions(
        workers=2,
        port=0,
        account=workload.ACCOUNT,
        sweep_interval_s=1.0,
        lambdas=tuple(workload.handler_specs()),
        environment={**FAST_RECOVERY, "ASL_SIDE_EFFECTS": str(side_effects)},
    )
    settings = CloudSettings().with_changes(visibility_timeout_s=2, max_receive_count=3)
    local = LocalCloud(options, settings)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def cloud_side_effects(cloud: LocalCloud) -> Path:
    """Where the cloud's functions log their invocations."""
    return Path(cloud.options.environment["ASL_SIDE_EFFECTS"])


def _machine(sfn: Any, name: str) -> str:
    try:
        return str(
            sfn.create_state_machine(
                name=name, definition=json.dumps(workload.MACHINES[name]), roleArn=ROLE
            )["stateMachineArn"]
        )
    except sfn.exceptions.StateMachineAlreadyExists:
        return f"arn:aws:states:{workload.REGION}:{workload.ACCOUNT}:stateMachine:{name}"


def test_poison_messages_go_to_the_dead_letter_queue_and_work_goes_on(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    poison = ["not json", json.dumps({"kind": "explode", "arn": "arn:nothing"}), "{}"]
    for body in poison:
        sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=body)
    sfn = _client(cloud.url)
    arn = sfn.start_execution(
        stateMachineArn=_machine(sfn, "counter"),
        name="beside-poison",
        input=json.dumps(workload.execution_input("counter", 0)),
    )["executionArn"]
    assert await_end(sfn, arn)["status"] == "SUCCEEDED"
    dead_letters = dead_letter_queue_url(cloud.settings, sqs)
    found: list[str] = []
    deadline = time.monotonic() + 60
    while len(found) < len(poison) and time.monotonic() < deadline:
        answer = sqs.receive_message(
            QueueUrl=dead_letters, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in answer.get("Messages", []):
            found.append(message["Body"])
            sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(found) == sorted(poison)


def test_a_worker_killed_mid_batch_loses_nothing(cloud: LocalCloud, tmp_path: Path) -> None:
    sfn = _client(cloud.url)
    machine = _machine(sfn, "fanout")
    arns = [
        sfn.start_execution(
            stateMachineArn=machine,
            name=f"killed-mid-batch-{number}",
            input=json.dumps(workload.execution_input("fanout", number)),
        )["executionArn"]
        for number in range(6)
    ]
    time.sleep(0.3)
    for index in range(2):
        cloud.kill("worker", index)
    for arn in arns:
        described = await_end(sfn, arn)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"])[1]["n"] == 42


def test_the_api_killed_between_calls_comes_back_with_everything(cloud: LocalCloud) -> None:
    sfn = _client(cloud.url)
    arn = sfn.start_execution(
        stateMachineArn=_machine(sfn, "waits"),
        name="api-killed",
        input=json.dumps(workload.execution_input("waits", 0)),
    )["executionArn"]
    cloud.kill("api")
    described = await_end(sfn, arn)  # the client retries until the API is back
    assert described["status"] == "SUCCEEDED"
    events = full_history(sfn, arn)
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))


def test_records_near_the_size_limits_are_kept(cloud: LocalCloud, tmp_path: Path) -> None:
    from chaos import _fault_free

    sfn = _client(cloud.url)
    arn = sfn.start_execution(
        stateMachineArn=_machine(sfn, "large"),
        name="large-0",
        input=json.dumps(workload.execution_input("large", 0)),
    )["executionArn"]
    described = await_end(sfn, arn)
    status, output, history = _fault_free("large", 0, tmp_path / "side-effects.log")
    verdict = check(arn, described, full_history(sfn, arn), status, output, history)
    assert verdict.problems == []


def test_a_task_that_outlasts_the_visibility_timeout_runs_once(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    # The task message comes back (2 s) while its worker still runs the task (3.5 s): the other
    # worker finds the task held (its holder renews the claim) and leaves it.
    sfn = _client(cloud.url)
    arn = sfn.start_execution(
        stateMachineArn=_machine(sfn, "slow"),
        name="outlasts-visibility",
        input=json.dumps({"tag": "outlasts-visibility"}),
    )["executionArn"]
    described = await_end(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["slept"] == workload.SLOW_TASK_S
    runs = [
        line
        for line in cloud_side_effects(cloud).read_text(encoding="utf-8").splitlines()
        if '"outlasts-visibility"' in line
    ]
    assert len(runs) == 1, runs
    events = full_history(sfn, arn)
    assert [event["type"] for event in events].count("LambdaFunctionSucceeded") == 1
