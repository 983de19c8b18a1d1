"""``asl run``: output, exit status, errors in AWS's terms, JSON document, handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interpreter.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PASS = SAMPLES / "map-fanout.asl.json"


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_prints_the_output_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["run", str(SAMPLES / "map-fanout.asl.json"), "--input-file", str(SAMPLES / "items.json")]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert json.loads(out)["lines"] == 3


def test_failed_execution_prints_error_and_cause_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "fail.asl.json",
        json.dumps(
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad", "Cause": "why"}}}
        ),
    )
    status = main(["run", definition])
    err = capsys.readouterr().err
    assert status == 1
    assert "FAILED" in err
    assert "error: Bad" in err
    assert "cause: why" in err


def test_json_prints_a_describe_execution_document_with_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "p.asl.json",
        json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )
    status = main(["run", definition, "--input", '{"a": 1}', "--name", "exec-1", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["status"] == "SUCCEEDED"
    assert document["name"] == "exec-1"
    assert document["executionArn"].endswith(":execution:p:exec-1")
    assert json.loads(document["output"]) == {"a": 1}
    assert [e["type"] for e in document["events"]] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_invalid_definition_exits_2_with_aws_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "bad.asl.json",
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}),
    )
    status = main(["run", definition])
    err = capsys.readouterr().err
    assert status == 2
    assert "InvalidDefinition" in err
    assert "MISSING_TRANSITION_TARGET" in err


def test_input_that_is_not_json_exits_2_with_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "p.asl.json",
        json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )
    status = main(["run", definition, "--input", "{oops"])
    assert status == 2
    assert "line 1, column 2" in capsys.readouterr().err


def test_lambda_handlers_are_loaded_from_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = write(tmp_path, "h.py", "def double(event, context):\n    return event['n'] * 2\n")
    definition = write(
        tmp_path,
        "t.asl.json",
        json.dumps(
            {
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Double",
                        "End": True,
                    }
                },
            }
        ),
    )
    status = main(
        ["run", definition, "--input", '{"n": 21}', "--lambda", f"Double={handler}:double"]
    )
    assert status == 0
    assert capsys.readouterr().out.strip() == "42"


@pytest.mark.parametrize("spec", ["Double", "Double=nofile.py:f", "=x.py:f"])
def test_bad_lambda_spec_exits_2(
    tmp_path: Path, spec: str, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "p.asl.json",
        json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )
    assert main(["run", definition, "--lambda", spec]) == 2
    assert "asl run:" in capsys.readouterr().err


def test_virtual_clock_skips_a_long_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "w.asl.json",
        json.dumps(
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
        ),
    )
    assert main(["run", definition, "--clock", "virtual"]) == 0
    assert capsys.readouterr().out.strip() == "{}"


def test_unreadable_definition_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "/no/such/file.asl.json"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_activities_are_worked_by_local_functions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    worker = write(tmp_path, "workers.py", "def approve(task):\n    return {'ok': task['n'] > 0}\n")
    arn = "arn:aws:states:us-east-1:123456789012:activity:Approve"
    definition = write(
        tmp_path,
        "act.asl.json",
        json.dumps(
            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": arn, "End": True}}}
        ),
    )
    status = main(
        ["run", definition, "--input", '{"n": 2}', "--activity", f"Approve={worker}:approve"]
    )
    assert status == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True}
    assert main(["run", definition, "--activity", "Approve"]) == 2
    assert "--activity expects NAME=FILE.py:FUNCTION" in capsys.readouterr().err


def test_aws_services_are_called_with_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": "hello"},
                "ResultSelector": {"id.$": "$.MessageId"},
                "End": True,
            }
        },
    }
    path = write(tmp_path, "send.asl.json", json.dumps(definition))
    with mock_aws():
        queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="q")
        arguments = ["run", path, "--input", json.dumps({"queue": queue["QueueUrl"]})]
        # Without --aws nothing would serve the Task: the run is refused before it starts.
        assert main(arguments) == 2
        assert (
            "Send calls sqs:sendMessage: --aws (or --endpoint-url) to call AWS"
            in capsys.readouterr().err
        )
        assert main([*arguments, "--aws"]) == 0
        sent = json.loads(capsys.readouterr().out)
        message = boto3.client("sqs", region_name="us-east-1").receive_message(
            QueueUrl=queue["QueueUrl"]
        )
        assert message["Messages"][0]["Body"] == "hello"
        assert message["Messages"][0]["MessageId"] == sent["id"]


def test_endpoint_url_reaches_every_client() -> None:
    import argparse

    from interpreter.cli_run import aws_invokers

    assert aws_invokers(argparse.Namespace(aws=False, endpoint_url=None), callbacks=False) == []
    (invoker,) = aws_invokers(
        argparse.Namespace(aws=False, endpoint_url="http://localhost:4566"), callbacks=False
    )
    client = invoker.client("dynamodb", "eu-west-1")
    assert client.meta.endpoint_url == "http://localhost:4566"
    assert client.meta.region_name == "eu-west-1"


def test_input_files_are_read_with_a_bound(capsys: pytest.CaptureFixture[str]) -> None:
    # /dev/zero never ends: the read stops one byte past AWS's input limit.
    assert main(["run", str(PASS), "--input-file", "/dev/zero"]) == 2
    assert "larger than 262,144 bytes" in capsys.readouterr().err


def test_deeply_nested_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    assert main(["run", str(PASS), "--input-file", str(deep)]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_definitions_are_read_with_a_bound(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "/dev/zero"]) == 2
    assert "larger than 1,048,576 bytes" in capsys.readouterr().err
    assert main(["validate", "/dev/zero"]) == 2
    assert "larger than 1,048,576 bytes" in capsys.readouterr().err


def test_a_number_too_long_for_any_parser_is_an_invalid_definition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "long-number.asl.json"
    definition.write_text(
        '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": '
        + "9" * 5000
        + ', "End": true}}}'
    )
    assert main(["validate", str(definition)]) == 2  # not JSON AWS can read
    out = capsys.readouterr().out
    assert "INVALID_JSON_DESCRIPTION Number value length exceeds the maximum allowed" in out


CONTEXT = json.dumps(
    {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Pass",
                "Parameters": {"execution.$": "$$.Execution", "machine.$": "$$.StateMachine"},
                "End": True,
            }
        },
    }
)


def test_type_account_region_and_role_feed_every_arn_and_the_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(tmp_path, "context.asl.json", CONTEXT)
    role = "arn:aws:iam::111122223333:role/orders"
    status = main(
        [
            "run",
            definition,
            "--type",
            "EXPRESS",
            "--account",
            "111122223333",
            "--region",
            "eu-west-3",
            "--role-arn",
            role,
            "--name",
            "run-1",
        ]
    )
    output = json.loads(capsys.readouterr().out)
    assert status == 0
    assert output["execution"]["Id"].startswith(
        "arn:aws:states:eu-west-3:111122223333:express:context:run-1:"
    )
    assert output["execution"]["RoleArn"] == role
    assert output["machine"]["Id"] == "arn:aws:states:eu-west-3:111122223333:stateMachine:context"


def test_express_refuses_what_express_machines_cannot_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "sync.asl.json",
        json.dumps(
            {
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::states:startExecution.sync",
                        "End": True,
                    }
                },
            }
        ),
    )
    assert main(["run", definition, "--type", "express"]) == 2
    assert "InvalidDefinition" in capsys.readouterr().err
