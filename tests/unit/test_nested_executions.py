"""Nested executions on our engine in-process (``asl run``, ``StateMachine.run``): a
``states:startExecution`` Task — plain, ``.sync``, ``.sync:2``, ``.waitForTaskToken`` — on a state
machine the run knows runs the child here, on both clocks, a child's Wait included; only an
unknown child goes to the next invoker (AWS)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.adapters.aws_calls import ServiceError
from interpreter.adapters.local_sfn import ChildOutcome, LocalStepFunctions
from interpreter.core.messages import InvokeTask
from interpreter.definition.resources import TaskResource
from interpreter.project.runner import run_project
from interpreter.runtime.callbacks import CallbackBoard
from interpreter.runtime.ports import TaskOutcome

ACCOUNT = "123456789012"
REGION = "us-east-1"
START = "arn:aws:states:::states:startExecution"


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def child(wait_seconds: int) -> dict[str, Any]:
    """Waits, then answers with what it was given."""
    return {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": wait_seconds, "Next": "Answer"},
            "Answer": {"Type": "Pass", "Parameters": {"got.$": "$.x"}, "End": True},
        },
    }


def calling_child(wait_seconds: int) -> dict[str, Any]:
    """Waits, then answers its parent's callback with SendTaskSuccess."""
    return {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": wait_seconds, "Next": "Answer"},
            "Answer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                "Parameters": {"TaskToken.$": "$.token", "Output.$": "States.JsonToString($.x)"},
                "End": True,
            },
        },
    }


def parent(suffix: str, child_name: str = "Child", **task: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "StateMachineArn": machine_arn(child_name),
        "Input": {"x.$": "$.x"},
    }
    if suffix == ".waitForTaskToken":
        parameters["Input"]["token.$"] = "$$.Task.Token"
    return {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": START + suffix,
                "Parameters": parameters,
                "End": True,
                **task,
            }
        },
    }


def events(result: Any) -> dict[str, int]:
    """Each event type's time after the execution started (the last of each type)."""
    return {event["type"]: event["timestamp"] - result.start_ms for event in result.history}


CLOCKS = [("virtual", 3600), ("real", 1)]


@pytest.mark.parametrize(("clock", "wait"), CLOCKS)
def test_a_plain_start_runs_the_child_and_goes_on(clock: str, wait: int) -> None:
    result = StateMachine(parent("")).run({"x": 1}, machines={"Child": child(wait)}, clock=clock)
    assert result.status == "SUCCEEDED"
    arn = result.output["ExecutionArn"]
    assert arn.startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:Child:")
    assert result.output["StartDate"] == result.start_ms or clock == "real"
    assert result.output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    if clock == "virtual":
        assert events(result)["TaskSucceeded"] == 0  # the parent does not wait for the child


@pytest.mark.parametrize(("clock", "wait"), CLOCKS)
@pytest.mark.parametrize("suffix", [".sync", ".sync:2"])
def test_a_sync_parent_waits_for_its_child(clock: str, wait: int, suffix: str) -> None:
    started = time.monotonic()
    result = StateMachine(parent(suffix)).run(
        {"x": 7}, machines={"Child": child(wait)}, clock=clock
    )
    assert result.status == "SUCCEEDED"
    output = result.output
    assert output["Status"] == "SUCCEEDED"
    assert output["StateMachineArn"] == machine_arn("Child")
    if suffix == ".sync":
        assert (output["Input"], output["Output"]) == ('{"x":7}', '{"got":7}')
    else:
        assert (output["Input"], output["Output"]) == ({"x": 7}, {"got": 7})
    assert output["StopDate"] - output["StartDate"] >= wait * 1000
    timeline = events(result)
    assert timeline["TaskScheduled"] < wait * 1000 <= timeline["TaskSucceeded"]
    if clock == "virtual":
        assert timeline["TaskSubmitted"] == 0
        assert timeline["TaskSucceeded"] == wait * 1000  # an hour of Wait, no real time
        assert time.monotonic() - started < 2


@pytest.mark.parametrize(("clock", "wait"), CLOCKS)
def test_a_callback_parent_hears_its_childs_send_task_success(clock: str, wait: int) -> None:
    result = StateMachine(parent(".waitForTaskToken")).run(
        {"x": {"answer": 42}}, machines={"Child": calling_child(wait)}, clock=clock
    )
    assert result.status == "SUCCEEDED"
    assert result.output == {"answer": 42}
    timeline = events(result)
    assert timeline["TaskScheduled"] < wait * 1000 <= timeline["TaskSucceeded"]
    if clock == "virtual":
        assert timeline["TaskSubmitted"] == 0
        assert timeline["TaskSucceeded"] == wait * 1000


def test_a_callback_child_that_fails_the_task_and_one_that_never_answers() -> None:
    failing = {
        "StartAt": "No",
        "States": {
            "No": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskFailure",
                "Parameters": {"TaskToken.$": "$.token", "Error": "Rejected", "Cause": "no"},
                "End": True,
            }
        },
    }
    result = StateMachine(parent(".waitForTaskToken")).run({"x": 1}, machines={"Child": failing})
    assert (result.status, result.error, result.cause) == ("FAILED", "Rejected", "no")

    silent = StateMachine(parent(".waitForTaskToken", TimeoutSeconds=300)).run(
        {"x": 1}, machines={"Child": child(10)}
    )
    assert (silent.status, silent.error) == ("FAILED", "States.Timeout")
    assert events(silent)["TaskTimedOut"] == 300_000


def test_heartbeats_from_the_child_keep_the_callback_alive() -> None:
    beating = {
        "StartAt": "Beat",
        "States": {
            "Beat": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskHeartbeat",
                "Parameters": {"TaskToken.$": "$.token"},
                "ResultPath": None,
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 8, "Next": "Beat again"},
            "Beat again": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskHeartbeat",
                "Parameters": {"TaskToken.$": "$.token"},
                "ResultPath": None,
                "Next": "Wait more",
            },
            "Wait more": {"Type": "Wait", "Seconds": 8, "Next": "Done"},
            "Done": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                "Parameters": {"TaskToken.$": "$.token", "Output": "{}"},
                "End": True,
            },
        },
    }
    definition = parent(".waitForTaskToken", HeartbeatSeconds=10)
    result = StateMachine(definition).run({"x": 1}, machines={"Child": beating})
    assert result.status == "SUCCEEDED"
    assert events(result)["TaskSucceeded"] == 16_000


def test_a_token_nobody_waits_on_is_refused_as_aws_refuses_it() -> None:
    bogus = calling_child(0)
    definition = parent(".sync:2")
    definition["States"]["Start"]["Parameters"]["Input"]["token.$"] = "$$.Execution.Id"
    result = StateMachine(definition).run({"x": 1}, machines={"Child": bogus})
    assert result.status == "FAILED"
    described = json.loads(result.cause or "")
    assert described["Error"] == "Sfn.InvalidTokenException"
    assert described["Cause"].startswith("Invalid Token: 'Invalid token' (Service: Sfn,")


def test_a_token_is_answered_once() -> None:
    board = CallbackBoard()
    inbox: list[Any] = []
    backend = LocalStepFunctions(
        lambda request: ChildOutcome("SUCCEEDED"), region=REGION, account=ACCOUNT, callbacks=board
    )
    board.expect("token-1", "task-key", inbox)

    def send(operation: str, **arguments: Any) -> dict[str, Any]:
        return backend.call(
            operation, {"taskToken": "token-1", **arguments}, now_ms=5, role_arn=None
        )

    assert send("SendTaskHeartbeat") == {}
    assert send("SendTaskSuccess", output='{"a": 1}') == {}
    with pytest.raises(ServiceError) as again:
        send("SendTaskFailure", error="E")
    assert again.value.code == "TaskTimedOut"
    assert inbox == [
        (5, {"type": "task_heartbeat", "key": "task-key"}),
        (5, {"type": "task_succeeded", "key": "task-key", "output": {"a": 1}}),
    ]
    board.expect("token-2", "other-key", inbox)
    with pytest.raises(ServiceError) as not_json:
        backend.call(
            "SendTaskSuccess", {"taskToken": "token-2", "output": "{"}, now_ms=5, role_arn=None
        )
    assert not_json.value.code == "InvalidOutput"
    with pytest.raises(ServiceError) as unknown:
        backend.call(
            "SendTaskSuccess", {"taskToken": "token-3", "output": "{"}, now_ms=5, role_arn=None
        )
    assert unknown.value.code == "InvalidToken"


def test_a_failed_child_fails_the_sync_task_with_its_description() -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
    definition = parent(
        ".sync",
        Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
    )
    del definition["States"]["Start"]["End"]
    definition["States"]["Start"]["Next"] = "Unreached"
    definition["States"]["Unreached"] = {"Type": "Succeed"}
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = StateMachine(definition).run({"x": 1}, machines={"Child": failing})
    assert result.status == "SUCCEEDED"
    described = json.loads(result.output["Cause"])
    assert (described["Status"], described["Error"], described["Cause"]) == ("FAILED", "E", "C")


def test_an_unknown_child_does_not_exist_without_aws() -> None:
    result = StateMachine(parent(".sync", "Nobody")).run({"x": 1}, machines={"Child": child(1)})
    assert result.error == "StepFunctions.StateMachineDoesNotExistException"
    assert f"State Machine Does Not Exist: '{machine_arn('Nobody')}'" in (result.cause or "")


class RecordingInvoker:
    """Stands in for AWS: records what reaches it."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        self.calls.append(command["input"])
        return TaskOutcome(True, output={"from": "aws"})


def test_only_an_unknown_child_goes_to_aws() -> None:
    aws = RecordingInvoker()
    both = {
        "StartAt": "Known",
        "States": {
            "Known": {**parent(".sync:2")["States"]["Start"], "ResultPath": "$.known"},
            "Unknown": {**parent(".sync:2", "Elsewhere")["States"]["Start"]},
        },
    }
    both["States"]["Known"].pop("End")
    both["States"]["Known"]["Next"] = "Unknown"
    result = StateMachine(both).run({"x": 3}, machines={"Child": child(5)}, invokers=[aws])
    assert result.status == "SUCCEEDED"
    assert result.output == {"from": "aws"}
    assert [call["StateMachineArn"] for call in aws.calls] == [machine_arn("Elsewhere")]


def test_a_machine_starts_itself_down_a_long_chain() -> None:
    countdown = {
        "StartAt": "More?",
        "States": {
            "More?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Again"}],
                "Default": "Bottom",
            },
            "Again": {
                "Type": "Task",
                "Resource": START + ".sync:2",
                "Parameters": {
                    "StateMachineArn.$": "$$.StateMachine.Id",
                    "Input": {"n.$": "States.MathAdd($.n, -1)"},
                },
                "OutputPath": "$.Output",
                "End": True,
            },
            "Bottom": {"Type": "Pass", "Result": {"bottom": True}, "End": True},
        },
    }
    # Deeper than one thread's share of nesting: the chain hops onto fresh threads.
    result = StateMachine(countdown, name="Countdown").run({"n": 40})
    assert (result.status, result.output) == ("SUCCEEDED", {"bottom": True})


def test_children_use_the_runs_handlers_and_their_own_test_case(tmp_path: Path) -> None:
    lambda_child = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Double",
                "End": True,
            }
        },
    }
    config = {
        "StateMachines": {"Child": {"TestCases": {"Mocked": {"Call": "Ten"}}}},
        "MockedResponses": {"Ten": {"0": {"Return": {"n": 10}}}},
    }
    definition = parent(".sync:2")
    definition["States"]["Start"]["Parameters"]["Input"] = {"n.$": "$.n"}
    double = {"Double": lambda event, context: {"n": event["n"] * 2}}
    served = StateMachine(definition).run(
        {"n": 4}, machines={"Child": lambda_child}, lambdas=double
    )
    assert served.output["Output"] == {"n": 8}

    definition["States"]["Start"]["Parameters"]["StateMachineArn"] += "#Mocked"
    top = {**config, "StateMachines": {"Parent": {"TestCases": {"Plain": {}}}}}
    top["StateMachines"].update(config["StateMachines"])
    mocked = StateMachine(definition, name="Parent").run(
        {"n": 4},
        machines={"Child": lambda_child},
        lambdas=double,
        mock_config=top,
        test_case="Plain",
    )
    assert mocked.output["Output"] == {"n": 10}


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Ping:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: More?
        States:
          More?:
            Type: Choice
            Choices:
              - Variable: $.n
                NumericGreaterThan: 0
                Next: Call Pong
            Default: Done
          Call Pong:
            Type: Task
            Resource: arn:aws:states:::states:startExecution.sync:2
            Parameters:
              StateMachineArn: !Ref Pong
              Input:
                n.$: $.n
                trail.$: States.Format('{}ping ', $.trail)
            OutputPath: $.Output
            End: true
          Done:
            Type: Pass
            End: true
  Pong:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Pause
        States:
          Pause:
            Type: Wait
            Seconds: 60
            Next: Call Ping
          Call Ping:
            Type: Task
            Resource: arn:aws:states:::states:startExecution.sync:2
            Parameters:
              StateMachineArn: !GetAtt Ping.Arn
              Input:
                n.$: States.MathAdd($.n, -1)
                trail.$: States.Format('{}pong ', $.trail)
            OutputPath: $.Output
            End: true
"""


def test_a_template_whose_two_state_machines_call_each_other(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    started = time.monotonic()
    result = run_project(str(template), {"n": 3, "trail": ""}, machine="Ping")
    assert result.status == "SUCCEEDED"
    assert result.output == {"n": 0, "trail": "ping pong " * 3}
    assert result.stop_ms - result.start_ms == 3 * 60_000  # three Pong Waits, virtual
    assert time.monotonic() - started < 5


def test_asl_run_knows_the_templates_machines_and_machine_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from interpreter.cli import main

    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    arguments = ["--machine", "Pong", "--input", '{"n": 2, "trail": ""}', "--clock", "virtual"]
    status = main(["run", str(template), *arguments])
    assert status == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["trail"] == "pong ping pong "

    definition = tmp_path / "parent.asl.json"
    definition.write_text(json.dumps(parent(".sync:2")))
    child_file = tmp_path / "child.asl.yaml"
    child_file.write_text(
        "StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: {ok: yes}\n    End: true\n"
    )
    status = main(
        ["run", str(definition), "--machine", f"Child={child_file}", "--input", '{"x": 1}']
    )
    assert status == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["Output"] == {"ok": "yes"}

    status = main(["run", str(definition), "--machine", f"Child={template}#Nope", "--input", "{}"])
    assert status == 2
    assert "has no state machine 'Nope'" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".sync:2", ".waitForTaskToken"])
def test_the_same_children_on_asl_serves_durable_runtime(suffix: str) -> None:
    from interpreter.app import local_service

    service = local_service(clock="virtual")
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    child_definition = calling_child(3600) if suffix == ".waitForTaskToken" else child(3600)
    service.create_state_machine(
        name="Child", definition=json.dumps(child_definition), roleArn=role
    )
    parent_arn = service.create_state_machine(
        name="Parent", definition=json.dumps(parent(suffix)), roleArn=role
    )["stateMachineArn"]
    started = service.start_execution(parent_arn, "run-1", json.dumps({"x": {"n": 1}}))
    service.run_until_idle()
    described = service.describe_execution(started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    if suffix == ".sync:2":
        assert output["Output"] == {"got": {"n": 1}}
    else:
        assert output == {"n": 1}
    stop_ms = described["stopDate"].timestamp() * 1000
    assert stop_ms - described["startDate"].timestamp() * 1000 >= 3_600_000
