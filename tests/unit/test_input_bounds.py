"""Execution inputs on every path, mock configurations and a Distributed Map's S3 items are
checked with the same bounds as the API's inputs before they reach the engine: nested at most
``MAX_INPUT_DEPTH`` levels (found without recursion), JSON values only, and an execution input at
most 256 KiB, as StartExecution takes it (issue 10)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.adapters.item_reader import GET_OBJECT, ItemReaderFailure, read_items
from interpreter.adapters.mock_config import MockConfig, MockConfigError
from interpreter.app import local_service
from interpreter.cli import main
from interpreter.limits import MAX_INPUT_DEPTH, MAX_PAYLOAD_BYTES, utf8_size
from interpreter.machine import InvalidExecutionInputError

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def nested_text(levels: int) -> str:
    return "[" * levels + "]" * levels


# ------------------------------------------------------------------ the Python API

cycle: dict[str, Any] = {}
cycle["self"] = cycle


@pytest.mark.parametrize(
    ("execution_input", "problem"),
    [
        (nested(MAX_INPUT_DEPTH + 1), "nesting depth exceeds"),
        ({"a": "x" * MAX_PAYLOAD_BYTES}, f"longer than {MAX_PAYLOAD_BYTES} bytes"),
        ({1: "one"}, "key must be a string"),
        ({"a": "\ud800"}, "unpaired surrogate"),
        ({"a": (1, 2)}, "type tuple"),
        (cycle, "contains itself"),
    ],
    ids=["257 deep", "over 256 KiB", "int key", "lone surrogate", "tuple", "cycle"],
)
def test_the_python_api_refuses_an_input_start_execution_would_refuse(
    execution_input: Any, problem: str
) -> None:
    """Before, the engine took all but the cycle (a RecursionError): what StartExecution
    refuses."""
    with pytest.raises(InvalidExecutionInputError) as refused:
        StateMachine(PASS).run(execution_input)
    assert str(refused.value).startswith("Invalid State Machine Execution Input: '")
    assert problem in str(refused.value)


def test_the_python_api_takes_an_input_at_the_limits() -> None:
    deep = nested(MAX_INPUT_DEPTH)
    assert StateMachine(PASS).run(deep).output == deep
    at_the_limit = {"a": "x" * (MAX_PAYLOAD_BYTES - 8)}  # {"a":"..."}: eight bytes around it
    assert StateMachine(PASS).run(at_the_limit).status == "SUCCEEDED"


# ------------------------------------------------------------------ asl run


def test_asl_run_refuses_an_input_over_256_kib(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "m.asl.json"
    definition.write_text(json.dumps(PASS), encoding="utf-8")
    status = main(["run", str(definition), "--input", json.dumps("é" * (MAX_PAYLOAD_BYTES // 2))])
    assert status == 2
    assert "larger than 262,144 bytes" in capsys.readouterr().err


# ------------------------------------------------------------------ the API


def test_an_api_input_with_an_unpaired_surrogate_is_measured_not_a_crash() -> None:
    """JSON text may escape half a surrogate pair; measuring the payload must not fail on it
    (before: UnicodeEncodeError inside the decision, on every attempt)."""
    assert utf8_size("\ud800é") == 5
    service = local_service(clock="virtual")
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"copy.$": "$"}, "End": True}},
    }
    machine = service.create_state_machine(
        name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    text = '"\\ud800' + "é" * 70_000 + '"'
    arn = service.start_execution(stateMachineArn=machine, input=text)["executionArn"]
    service.run_until_idle()
    assert service.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


# ------------------------------------------------------------------ mock configurations


def mock_document(returned: Any, invocations: str = "0") -> dict[str, Any]:
    return {
        "StateMachines": {"m": {"TestCases": {"Happy": {"T": "Deep"}}}},
        "MockedResponses": {"Deep": {invocations: {"Return": returned}}},
    }


def test_a_mock_file_nesting_a_response_too_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    text = json.dumps(mock_document("X")).replace('"X"', nested_text(MAX_INPUT_DEPTH + 1))
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MockConfigError, match=f"more than {MAX_INPUT_DEPTH} levels deep"):
        MockConfig.load(path)
    at_the_limit = json.dumps(mock_document("X")).replace('"X"', nested_text(MAX_INPUT_DEPTH))
    path.write_text(at_the_limit, encoding="utf-8")
    assert MockConfig.load(path).test_case("m", "Happy").states["T"][0].value == nested(
        MAX_INPUT_DEPTH
    )


@pytest.mark.parametrize(
    ("returned", "problem"),
    [(nested(10_000), "levels deep"), (cycle, "contains itself"), ({"a": {1, 2}}, "type set")],
    ids=["10000 deep", "cycle", "set"],
)
def test_a_mock_document_given_as_python_data_is_checked(returned: Any, problem: str) -> None:
    with pytest.raises(MockConfigError, match=problem):
        MockConfig(mock_document(returned))


def test_a_huge_invocation_range_loads_at_once() -> None:
    """Before, ``"0-1000000000"`` expanded to a billion entries (minutes, gigabytes)."""
    started = time.monotonic()
    config = MockConfig(mock_document({"ok": True}, "0-1000000000"))
    assert time.monotonic() - started < 5
    assert config.test_case("m", "Happy").states["T"][7].value == {"ok": True}


def test_a_mocked_lambda_payload_text_too_deep_fails_the_task_with_states_runtime() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "End": True,
            }
        },
    }
    config = mock_document({"Payload": nested_text(MAX_INPUT_DEPTH + 1)})
    result = StateMachine(definition, name="m").run(
        {}, mock_config=config, test_case="Happy", clock="virtual"
    )
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert f"nested more than {MAX_INPUT_DEPTH} levels deep" in str(result.cause)


# ------------------------------------------------------------------ S3 items


def s3_object(s3: Any, body: str) -> dict[str, Any]:
    bucket = "b" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data", Body=body.encode())
    return {"Resource": GET_OBJECT, "Parameters": {"Bucket": bucket, "Key": "data"}}


@pytest.mark.parametrize("input_type", ["JSON", "JSONL"])
def test_s3_items_nested_too_deep_fail_the_reader(s3: Any, input_type: str) -> None:
    item = nested_text(MAX_INPUT_DEPTH + 1)
    body = f"[{item}]" if input_type == "JSON" else f'{{"a": 1}}\n{item}\n'
    reader = s3_object(s3, body)
    reader["ReaderConfig"] = {"InputType": input_type}
    failure = read_items(reader, s3)
    assert isinstance(failure, ItemReaderFailure)
    assert failure.error == "States.ItemReaderFailed"
    assert f"nested more than {MAX_INPUT_DEPTH} levels deep" in failure.cause


def test_s3_items_at_the_depth_limit_are_read(s3: Any) -> None:
    reader = s3_object(s3, f"[{nested_text(MAX_INPUT_DEPTH)}, 1]")
    reader["ReaderConfig"] = {"InputType": "JSON"}
    assert read_items(reader, s3) == [nested(MAX_INPUT_DEPTH), 1]
