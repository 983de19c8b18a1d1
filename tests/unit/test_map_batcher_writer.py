"""Distributed Map's ItemBatcher and ResultWriter, through the engine (S3 on moto)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.adapters.aws_services import Boto3ServiceInvoker

DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = "results-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


def _invoker(s3: Any) -> Boto3ServiceInvoker:
    return Boto3ServiceInvoker(lambda service, region, role=None: s3)


def _map(processor_states: dict[str, Any], start: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": DISTRIBUTED,
                    "StartAt": start,
                    "States": processor_states,
                },
                "End": True,
                **fields,
            }
        },
    }


DOUBLE = {
    "Double": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($, $)"}, "End": True}
}
ECHO = {"Echo": {"Type": "Pass", "End": True}}
FAIL_ON_NEGATIVE = {
    "Check": {
        "Type": "Choice",
        "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Broken"}],
        "Default": "Fine",
    },
    "Broken": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
    "Fine": {"Type": "Pass", "End": True},
}


def _read(s3: Any, bucket: str, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


# ------------------------------------------------------------------------------ ResultWriter


def test_results_are_exported_to_s3_and_the_output_says_where(s3: Any, bucket: str) -> None:
    definition = _map(
        DOUBLE,
        "Double",
        Label="Doubler",
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket.$": "$.bucket", "Prefix": "jobs"},
        },
        ItemsPath="$.numbers",
    )
    result = StateMachine(definition, name="Numbers").run(
        {"bucket": bucket, "numbers": [1, 2]}, invokers=[_invoker(s3)]
    )
    assert result.status == "SUCCEEDED", result.cause
    run_arn = result.output["MapRunArn"]
    assert re.fullmatch(
        r"arn:aws:states:us-east-1:\d{12}:mapRun:Numbers/Doubler:[0-9a-f-]{36}", run_arn
    )
    run_id = run_arn.rsplit(":", 1)[1]
    manifest_key = f"jobs/{run_id}/manifest.json"
    assert result.output["ResultWriterDetails"] == {"Bucket": bucket, "Key": manifest_key}

    manifest = _read(s3, bucket, manifest_key)
    succeeded_key = f"jobs/{run_id}/SUCCEEDED_0.json"
    assert manifest["DestinationBucket"] == bucket
    assert manifest["MapRunArn"] == run_arn
    assert manifest["ResultFiles"]["FAILED"] == []
    assert manifest["ResultFiles"]["PENDING"] == []
    assert [entry["Key"] for entry in manifest["ResultFiles"]["SUCCEEDED"]] == [succeeded_key]

    records = _read(s3, bucket, succeeded_key)
    assert [json.loads(record["Output"]) for record in records] == [{"twice": 2}, {"twice": 4}]
    assert [record["Input"] for record in records] == ["1", "2"]
    first = records[0]
    assert list(first) == sorted(first)  # AWS's records list their keys sorted
    assert first["Status"] == "SUCCEEDED"
    assert first["StateMachineArn"].endswith(":stateMachine:Numbers/Doubler")
    assert (
        first["ExecutionArn"]
        == first["StateMachineArn"].replace(":stateMachine:", ":execution:") + ":" + first["Name"]
    )
    assert ISO_MS.match(first["StartDate"])
    assert ISO_MS.match(first["StopDate"])
    assert first["RedriveStatus"] == "NOT_REDRIVABLE"
    assert records[0]["Name"] != records[1]["Name"]

    types = [event["type"] for event in result.history]
    assert types == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]


def test_the_writer_result_goes_through_result_path(s3: Any, bucket: str) -> None:
    definition = _map(
        ECHO,
        "Echo",
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": bucket},
        },
        ItemsPath="$.items",
        ResultPath="$.written",
    )
    result = StateMachine(definition).run({"items": ["a"]}, invokers=[_invoker(s3)])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["items"] == ["a"]
    details = result.output["written"]["ResultWriterDetails"]
    # Without a Prefix the run's folder is at the top of the bucket.
    assert re.fullmatch(r"[0-9a-f-]{36}/manifest\.json", details["Key"])
    assert _read(s3, bucket, details["Key"])["ResultFiles"]["SUCCEEDED"][0]["Size"] > 0


@pytest.mark.parametrize(
    ("transformation", "expected"),
    [
        ("COMPACT", [[1, 2], [3], 4]),
        ("FLATTEN", [1, 2, 3, 4]),
    ],
)
def test_writer_config_alone_transforms_the_output(transformation: str, expected: Any) -> None:
    definition = _map(
        ECHO,
        "Echo",
        ResultWriter={"WriterConfig": {"Transformation": transformation, "OutputType": "JSON"}},
    )
    result = StateMachine(definition).run([[1, 2], [3], 4])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == expected


def test_writer_config_none_gives_the_execution_records() -> None:
    definition = _map(ECHO, "Echo", ResultWriter={"WriterConfig": {"Transformation": "NONE"}})
    result = StateMachine(definition).run([{"k": 1}])
    assert result.status == "SUCCEEDED", result.cause
    (record,) = result.output
    assert record["Status"] == "SUCCEEDED"
    assert json.loads(record["Output"]) == {"k": 1}
    assert record["Input"] == '{"k":1}'


def test_flattened_json_lines_are_written(s3: Any, bucket: str) -> None:
    definition = _map(
        ECHO,
        "Echo",
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": bucket, "Prefix": "lines/"},
            "WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSONL"},
        },
    )
    result = StateMachine(definition).run([[1, {"a": 2}], [3]], invokers=[_invoker(s3)])
    assert result.status == "SUCCEEDED", result.cause
    manifest = _read(s3, bucket, result.output["ResultWriterDetails"]["Key"])
    key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    assert key.startswith("lines/")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert body == '1\n{"a":2}\n3\n'


def test_jsonata_arguments_name_the_bucket(s3: Any, bucket: str) -> None:
    definition = _map(
        ECHO,
        "Echo",
        QueryLanguage="JSONata",
        Items="{% $states.input.items %}",
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Arguments": {"Bucket": "{% $states.input.bucket %}", "Prefix": "j"},
        },
        Output="{% $states.result.ResultWriterDetails %}",
    )
    result = StateMachine(definition).run({"bucket": bucket, "items": [1]}, invokers=[_invoker(s3)])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Bucket"] == bucket
    assert result.output["Key"].startswith("j/")


def test_a_failed_run_exports_its_results_then_fails(s3: Any, bucket: str) -> None:
    definition = _map(
        FAIL_ON_NEGATIVE,
        "Check",
        MaxConcurrency=1,
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": bucket, "Prefix": "failing"},
        },
    )
    result = StateMachine(definition).run([5, -1, 7], invokers=[_invoker(s3)])
    assert result.status == "FAILED"
    assert (result.error, result.cause) == ("Negative", "below zero")
    types = [event["type"] for event in result.history]
    assert types[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]

    listing = s3.list_objects_v2(Bucket=bucket, Prefix="failing/")["Contents"]
    manifest_key = next(
        entry["Key"] for entry in listing if entry["Key"].endswith("/manifest.json")
    )
    manifest = _read(s3, bucket, manifest_key)
    (succeeded,) = _read(s3, bucket, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    (failed,) = _read(s3, bucket, manifest["ResultFiles"]["FAILED"][0]["Key"])
    assert succeeded["Input"] == "5"
    assert (failed["Status"], failed["Error"], failed["Cause"]) == (
        "FAILED",
        "Negative",
        "below zero",
    )
    assert "Output" not in failed
    assert failed["Input"] == "-1"


def test_a_write_that_fails_fails_the_map_with_result_writer_failed(s3: Any) -> None:
    definition = _map(
        ECHO,
        "Echo",
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "no-such-bucket-" + uuid.uuid4().hex[:8]},
        },
        Catch=[{"ErrorEquals": ["States.ResultWriterFailed"], "Next": "Handled"}],
    )
    definition["States"]["Each"].pop("End")
    definition["States"]["Each"]["Next"] = "Done"
    definition["States"]["Done"] = {"Type": "Succeed"}
    definition["States"]["Handled"] = {"Type": "Pass", "End": True}
    result = StateMachine(definition).run([1], invokers=[_invoker(s3)])
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.ResultWriterFailed"
    assert "bucket" in result.output["Cause"].lower()
    types = [event["type"] for event in result.history]
    assert "MapRunFailed" in types
    assert "MapRunSucceeded" not in types


def test_a_run_without_an_s3_client_says_so() -> None:
    definition = _map(
        ECHO,
        "Echo",
        ResultWriter={"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}},
    )
    result = StateMachine(definition).run([1])
    assert result.status == "FAILED"
    assert result.error == "States.ResultWriterFailed"
    assert "No S3 client" in (result.cause or "")


def test_a_tolerated_failure_leaves_its_execution_record_in_the_output() -> None:
    definition = _map(FAIL_ON_NEGATIVE, "Check", ToleratedFailureCount=1)
    result = StateMachine(definition).run([3, -4])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output[0] == 3
    record = result.output[1]
    assert (record["Status"], record["Error"], record["Input"]) == ("FAILED", "Negative", "-4")


# ------------------------------------------------------------------------------ ItemBatcher


def test_items_are_batched_with_the_batch_input() -> None:
    definition = _map(
        ECHO,
        "Echo",
        ItemsPath="$.items",
        ItemSelector={"value.$": "$$.Map.Item.Value", "at.$": "$$.Map.Item.Index"},
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"run.$": "$.run", "fixed": 1}},
    )
    result = StateMachine(definition).run({"items": ["a", "b", "c"], "run": "r1"})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [
        {
            "BatchInput": {"run": "r1", "fixed": 1},
            "Items": [{"value": "a", "at": 0}, {"value": "b", "at": 1}],
        },
        {"BatchInput": {"run": "r1", "fixed": 1}, "Items": [{"value": "c", "at": 2}]},
    ]
    # BatchInput comes first in the child's input, as AWS serialises it.
    exited = next(e for e in result.history if e["type"] == "MapStateExited")
    assert exited["stateExitedEventDetails"]["output"].startswith('[{"BatchInput":')


def test_batches_stay_under_the_byte_limit() -> None:
    item = "x" * 40  # 42 bytes serialised
    definition = _map(ECHO, "Echo", ItemBatcher={"MaxInputBytesPerBatch": 100})
    result = StateMachine(definition).run([item] * 5)
    assert result.status == "SUCCEEDED", result.cause
    # {"Items":[]} is 11 bytes; two items and a comma make 96 in all; a third would not fit.
    assert [len(batch["Items"]) for batch in result.output] == [2, 2, 1]
    for batch in result.output:
        assert len(json.dumps(batch, separators=(",", ":"))) <= 100


def test_batch_sizes_from_paths_accept_numeric_strings() -> None:
    # AWS accepted "2" from a variable (recorded: MAP_STATE_REFERENCE_IN_MAX_PER_BATCH_PATH).
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Pass",
                "Assign": {"perBatch": "2", "bytes": "15000"},
                "Next": "Each",
            },
            "Each": _map(
                ECHO,
                "Echo",
                ItemBatcher={
                    "MaxItemsPerBatchPath": "$perBatch",
                    "MaxInputBytesPerBatchPath": "$bytes",
                },
            )["States"]["Each"],
        },
    }
    result = StateMachine(definition).run([1, 2, 3, 4])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"Items": [1, 2]}, {"Items": [3, 4]}]


def test_a_bad_batch_size_path_fails_the_state() -> None:
    definition = _map(
        ECHO, "Echo", ItemsPath="$.items", ItemBatcher={"MaxItemsPerBatchPath": "$.size"}
    )
    result = StateMachine(definition).run({"size": "many", "items": [1]})
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert 'The MaxItemsPerBatchPath field refers to value "many"' in (result.cause or "")


def test_jsonata_batching_evaluates_its_expressions() -> None:
    definition = _map(
        ECHO,
        "Echo",
        QueryLanguage="JSONata",
        Items="{% $states.input.values %}",
        ItemBatcher={
            "MaxItemsPerBatch": "{% $states.input.size %}",
            "BatchInput": {"state": "{% $states.context.State.Name %}"},
        },
    )
    result = StateMachine(definition).run({"values": [1, 2, 3], "size": 3})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"BatchInput": {"state": "Each"}, "Items": [1, 2, 3]}]


def test_tolerated_failures_count_the_items_of_a_failed_batch() -> None:
    failing_batch = {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.Items[0]", "NumericLessThan": 0, "Next": "Broken"}],
            "Default": "Fine",
        },
        "Broken": {"Type": "Fail", "Error": "Negative"},
        "Fine": {"Type": "Pass", "End": True},
    }
    # One failed batch of two items out of four items is 50 %.
    tolerant = _map(
        failing_batch, "Check", ItemBatcher={"MaxItemsPerBatch": 2}, ToleratedFailurePercentage=50
    )
    assert StateMachine(tolerant).run([-1, -2, 3, 4]).status == "SUCCEEDED"
    # ... and two failed items are more than one tolerated item.
    strict = _map(
        failing_batch, "Check", ItemBatcher={"MaxItemsPerBatch": 2}, ToleratedFailureCount=1
    )
    result = StateMachine(strict).run([-1, -2, 3, 4])
    assert result.status == "FAILED"
    assert result.error == "States.ExceedToleratedFailureThreshold"
