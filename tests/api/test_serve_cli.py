"""``asl serve`` as a process: port 0, the request log, --definition, and resetting the endpoint."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import boto3
import pytest
from botocore.config import Config

from interpreter.app import local_service

SAMPLE = Path(__file__).parents[2] / "samples" / "sam-order-app"
ROLE = "arn:aws:iam::123456789012:role/sfn"
HELLO = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "hi", "End": True}}}


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


@pytest.fixture
def serve() -> Iterator[tuple[str, queue.Queue[str]]]:
    """``asl serve --port 0 --definition samples/sam-order-app/template.yaml``: its URL (as it
    prints it) and its stderr lines."""
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "interpreter.cli",
            "serve",
            "--port",
            "0",
            "--clock",
            "virtual",
            "--definition",
            str(SAMPLE / "template.yaml"),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True)
    reader.start()
    try:
        url = ""
        while not url:
            line = lines.get(timeout=30)
            if "Step Functions API on " in line:
                url = line.rsplit(" ", 1)[1]
        yield url, lines
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
        process.stderr.close()


def client(url: str) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )


def until(lines: queue.Queue[str], text: str) -> list[str]:
    seen = []
    while True:
        line = lines.get(timeout=30)
        seen.append(line)
        if text in line:
            return seen


def test_port_0_prints_the_bound_port_and_each_request_is_logged(
    serve: tuple[str, queue.Queue[str]],
) -> None:
    url, lines = serve
    assert url.startswith("http://127.0.0.1:")
    assert not url.endswith(":0")
    sfn = client(url)
    machines = sfn.list_state_machines()["stateMachines"]
    assert [machine["name"] for machine in machines] == ["OrderStateMachine"]
    logged = until(lines, "ListStateMachines")
    assert logged[-1].startswith("asl serve: ListStateMachines 200 ")
    assert logged[-1].endswith(" ms")
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=machines[0]["stateMachineArn"] + "x")
    assert until(lines, "DescribeStateMachine")[-1].startswith(
        "asl serve: DescribeStateMachine 400 "
    )


def test_the_templates_machine_runs_with_its_functions(
    serve: tuple[str, queue.Queue[str]],
) -> None:
    url, lines = serve
    sfn = client(url)
    arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    order = json.loads((SAMPLE / "events" / "order.json").read_text("utf-8"))
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(order))
    logged = until(lines, "charging 660 cents EUR")
    assert logged[-1].startswith("[sam-order-app-ChargePaymentFunction] [INFO]\t")
    described = sfn.describe_execution(executionArn=started["executionArn"])
    for _ in range(100):
        if described["status"] != "RUNNING":
            break
        described = sfn.describe_execution(executionArn=started["executionArn"])
    assert json.loads(described["output"])["chargeId"] == "ch-o-1"


def test_post_to_the_reset_path_empties_the_endpoint(
    serve: tuple[str, queue.Queue[str]],
) -> None:
    url, lines = serve
    reset = urllib.request.Request(f"{url}/asl/reset", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(reset) as response:  # noqa: S310 - loopback
        assert response.status == 200
    assert client(url).list_state_machines()["stateMachines"] == []
    assert until(lines, "Reset")[-1].startswith("asl serve: Reset 200 ")


def test_reset_forgets_everything() -> None:
    service = local_service(clock="virtual")
    machine = service.create_state_machine("hello", json.dumps(HELLO), ROLE, publish=True)
    execution = service.start_execution(machine["stateMachineArn"], input="{}")
    service.run_until_idle()
    service.create_activity("work")
    service.tag_resource(machine["stateMachineArn"], [{"key": "k", "value": "v"}])
    service.reset()
    assert service.list_state_machines()["stateMachines"] == []
    assert service.list_activities()["activities"] == []
    with pytest.raises(Exception, match="Execution Does Not Exist"):
        service.describe_execution(execution["executionArn"])
    again = service.create_state_machine("hello", json.dumps(HELLO), ROLE)
    assert service.list_executions(again["stateMachineArn"])["executions"] == []
    assert service.list_tags_for_resource(again["stateMachineArn"])["tags"] == []


def test_start_up_definitions_are_checked_once_all_exist(tmp_path: Path) -> None:
    """--definition machines that start each other are no warnings; a Task nothing serves is."""
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Caller:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      Definition:\n"
        "        StartAt: Call\n"
        "        States:\n"
        "          Call:\n"
        "            Type: Task\n"
        "            Resource: arn:aws:states:::states:startExecution.sync:2\n"
        "            Parameters: {StateMachineArn: !Ref Callee}\n"
        "            End: true\n"
        "  Callee:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      Definition:\n"
        "        StartAt: Charge\n"
        "        States:\n"
        "          Charge:\n"
        "            Type: Task\n"
        "            Resource: arn:aws:lambda:us-east-1:123456789012:function:Charge\n"
        "            End: true\n"
    )
    command = ["serve", "--port", "0", "--clock", "virtual", "--definition", str(template)]
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "interpreter.cli", *command],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    try:
        started = []
        for line in process.stderr:
            started.append(line)
            if "Step Functions API on " in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
    warnings = [line for line in started if "nothing on this endpoint" in line]
    assert len(warnings) == 1, started
    assert warnings[0].startswith(
        "asl serve: CreateStateMachine Callee: nothing on this endpoint serves a Task state yet"
    )
    assert "Charge calls Lambda function Charge: --lambda Charge=FILE.py:FUNCTION" in warnings[0]
