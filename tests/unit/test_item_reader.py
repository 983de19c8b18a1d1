"""Distributed Map's S3 ItemReader and ResultWriter (interpreter.adapters.item_reader) on moto."""

from __future__ import annotations

import json
import uuid
from typing import Any

from interpreter.adapters.item_reader import (
    GET_OBJECT,
    LIST_OBJECTS_V2,
    ItemReaderFailure,
    read_items,
    write_results,
)

CSV_TEXT = "Col1,Col2,Col3\nValue1,Value2,Value3\n,,\ntrue,1,'x'\nshort\n"


def _object(s3: Any, body: str) -> tuple[str, str]:
    bucket = "b" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data", Body=body.encode())
    return bucket, "data"


def _reader(bucket: str, key: str, **config: Any) -> dict[str, Any]:
    return {
        "Resource": GET_OBJECT,
        "Parameters": {"Bucket": bucket, "Key": key},
        "ReaderConfig": config,
    }


def test_json_array_elements_are_the_items(s3: Any) -> None:
    bucket, key = _object(s3, json.dumps([{"a": 1}, 2, "three"]))
    assert read_items(_reader(bucket, key, InputType="JSON"), s3) == [{"a": 1}, 2, "three"]
    assert read_items(_reader(bucket, key, InputType="JSON", MaxItems=2), s3) == [{"a": 1}, 2]
    assert read_items(_reader(bucket, key, InputType="JSON", MaxItems=0), s3) == [
        {"a": 1},
        2,
        "three",
    ]


def test_json_that_is_not_an_array_fails_the_reader(s3: Any) -> None:
    bucket, key = _object(s3, json.dumps({"a": [1]}))
    assert read_items(_reader(bucket, key, InputType="JSON"), s3) == ItemReaderFailure(
        "States.ItemReaderFailed", "Attempting to map over non-iterable node."
    )


def test_jsonl_lines_are_the_items(s3: Any) -> None:
    bucket, key = _object(s3, '{"a":1}\n\n[2]\n"x"\n')
    assert read_items(_reader(bucket, key, InputType="JSONL"), s3) == [{"a": 1}, [2], "x"]


def test_csv_rows_keyed_by_the_first_row(s3: Any) -> None:
    bucket, key = _object(s3, CSV_TEXT)
    items = read_items(_reader(bucket, key, InputType="CSV", CSVHeaderLocation="FIRST_ROW"), s3)
    assert items == [
        {"Col1": "Value1", "Col2": "Value2", "Col3": "Value3"},
        {"Col1": "", "Col2": "", "Col3": ""},
        {"Col1": "true", "Col2": "1", "Col3": "'x'"},
        {"Col1": "short", "Col2": "", "Col3": ""},
    ]
    limited = read_items(
        _reader(bucket, key, InputType="CSV", CSVHeaderLocation="FIRST_ROW", MaxItems=1), s3
    )
    assert limited == [{"Col1": "Value1", "Col2": "Value2", "Col3": "Value3"}]


def test_csv_given_headers_drop_extra_fields_and_reject_duplicates(s3: Any) -> None:
    bucket, key = _object(s3, "a|b|c\nd|e|f\n")
    config = {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVDelimiter": "PIPE"}
    assert read_items(_reader(bucket, key, **config, CSVHeaders=["H1"]), s3) == [
        {"H1": "a"},
        {"H1": "d"},
    ]
    assert read_items(_reader(bucket, key, **config, CSVHeaders=["H", "H"]), s3) == (
        ItemReaderFailure("States.ItemReaderFailed", "CSV headers cannot contain duplicates.")
    )


def test_missing_object_fails_the_reader(s3: Any) -> None:
    bucket, _ = _object(s3, "[]")
    failure = read_items(_reader(bucket, "absent", InputType="JSON"), s3)
    assert failure == ItemReaderFailure(
        "States.ItemReaderFailed", "The specified key does not exist."
    )


def test_list_objects_v2_yields_one_item_per_object(s3: Any) -> None:
    bucket, _ = _object(s3, "x")
    s3.put_object(Bucket=bucket, Key="p/one", Body=b"1")
    s3.put_object(Bucket=bucket, Key="p/two", Body=b"22")
    reader = {"Resource": LIST_OBJECTS_V2, "Parameters": {"Bucket": bucket, "Prefix": "p/"}}
    items = read_items(reader, s3)
    assert isinstance(items, list)
    assert [(item["Key"], item["Size"]) for item in items] == [("p/one", 1), ("p/two", 2)]
    assert all(isinstance(item["LastModified"], int) for item in items)
    assert {item["StorageClass"] for item in items} == {"STANDARD"}


class _PagedS3:
    """Two pages of ListObjectsV2, to check that the reader follows continuation tokens."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def list_objects_v2(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(arguments)
        if "ContinuationToken" not in arguments:
            return {
                "Contents": [{"Key": "a", "Size": 1}],
                "IsTruncated": True,
                "NextContinuationToken": "t",
            }
        return {"Contents": [{"Key": "b", "Size": 2}], "IsTruncated": False}


def test_list_objects_v2_reads_every_page_up_to_max_items() -> None:
    paged = _PagedS3()
    reader = {"Resource": LIST_OBJECTS_V2, "Parameters": {"Bucket": "x"}}
    items = read_items(reader, paged)
    assert [item["Key"] for item in items] == ["a", "b"]  # type: ignore[index, union-attr]
    assert paged.calls[1]["ContinuationToken"] == "t"
    capped = read_items({**reader, "ReaderConfig": {"MaxItems": 1}}, _PagedS3())
    assert [item["Key"] for item in capped] == ["a"]  # type: ignore[index, union-attr]


def test_result_writer_writes_results_and_a_manifest(s3: Any) -> None:
    bucket, _ = _object(s3, "x")
    run_arn = "arn:aws:states:us-east-1:123456789012:mapRun:M/Map:1234-abcd"
    executions = [
        {"Name": "1", "Status": "SUCCEEDED", "Output": "{}"},
        {"Name": "2", "Status": "FAILED", "Error": "E"},
    ]
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": bucket, "Prefix": "jobs"},
    }
    details = write_results(
        writer, s3, run_arn, {"SUCCEEDED": executions[:1], "FAILED": executions[1:]}
    )
    assert details == {"Bucket": bucket, "Key": "jobs/1234-abcd/manifest.json"}
    manifest = json.loads(
        s3.get_object(Bucket=bucket, Key="jobs/1234-abcd/manifest.json")["Body"].read()
    )
    assert manifest["MapRunArn"] == run_arn
    assert manifest["DestinationBucket"] == bucket
    assert manifest["ResultFiles"]["PENDING"] == []
    succeeded = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    body = json.loads(s3.get_object(Bucket=bucket, Key=succeeded)["Body"].read())
    assert body == [executions[0]]
    failed = manifest["ResultFiles"]["FAILED"][0]["Key"]
    assert json.loads(s3.get_object(Bucket=bucket, Key=failed)["Body"].read()) == [executions[1]]


def test_result_writer_to_a_missing_bucket_fails(s3: Any) -> None:
    writer = {"Parameters": {"Bucket": "no-such-bucket-" + uuid.uuid4().hex[:8]}}
    failure = write_results(writer, s3, "arn:x:mapRun:a:b", {})
    assert isinstance(failure, ItemReaderFailure)
    assert failure.error == "States.ResultWriterFailed"


# ---------------------------------------------------------------------------------------------
# Through the engine: a Distributed Map whose items come from S3
# ---------------------------------------------------------------------------------------------


def _reading_machine(**config: Any) -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": GET_OBJECT,
                    "ReaderConfig": {"InputType": "JSON", **config},
                    "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Double",
                    "States": {
                        "Double": {
                            "Type": "Pass",
                            "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"},
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }


def test_a_distributed_map_reads_its_items_from_s3(s3: Any) -> None:
    from interpreter import StateMachine
    from interpreter.adapters.aws_services import Boto3ServiceInvoker

    bucket, key = _object(s3, json.dumps([{"n": 1}, {"n": 2}, {"n": 3}]))
    invoker = Boto3ServiceInvoker(lambda service, region, role=None: s3)
    result = StateMachine(_reading_machine(MaxItems=2)).run(
        {"bucket": bucket, "key": key}, invokers=[invoker]
    )
    assert result.status == "SUCCEEDED"
    assert result.output == [{"twice": 2}, {"twice": 4}]
    types = [event["type"] for event in result.history]
    assert types[:4] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted"]
    assert result.history[2]["mapStateStartedEventDetails"] == {"length": 0}


def test_a_missing_object_fails_the_map_run(s3: Any) -> None:
    from interpreter import StateMachine
    from interpreter.adapters.aws_services import Boto3ServiceInvoker

    bucket, _ = _object(s3, "[]")
    invoker = Boto3ServiceInvoker(lambda service, region, role=None: s3)
    result = StateMachine(_reading_machine()).run(
        {"bucket": bucket, "key": "missing"}, invokers=[invoker]
    )
    assert result.status == "FAILED"
    assert result.error == "States.ItemReaderFailed"
    types = [event["type"] for event in result.history]
    assert types[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]
