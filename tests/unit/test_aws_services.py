"""AWS service integrations (interpreter.adapters.aws_services) against moto: outputs and errors.

One moto session serves the whole module (starting moto per test is slow); every test makes its
own queues, tables and buckets, so tests do not see each other's data.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from interpreter.adapters import aws_shapes
from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.adapters.local_sfn import ChildOutcome, ExecutionRequest, LocalStepFunctions
from interpreter.app import local_runner
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.resources import TaskResource, parse_task_resource
from interpreter.machine import StateMachine
from interpreter.runtime.ports import TaskOutcome

REGION = "us-east-1"
ACCOUNT = "123456789012"
NOW_MS = 1_700_000_000_000
OPTIMIZED_CAUSE = re.compile(
    r"^(?P<message>.*) \(Service: (?P<service>\w+); Status Code: (?P<status>\d+); "
    r"Error Code: (?P<code>[\w.]+); Request ID: [\w-]+; Proxy: null\)$"
)
SDK_CAUSE = re.compile(
    r"^(?P<message>.*) \(Service: (?P<service>\w+), Status Code: (?P<status>\d+), "
    r"Request ID: [\w-]+(?P<extended>, Extended Request ID: [\w+/=-]+)?\)$"
)


def _client(service_name: str, region: str, role_arn: str | None = None) -> Any:
    return boto3.client(
        service_name,  # type: ignore[call-overload]
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def invoker(aws: None) -> Boto3ServiceInvoker:
    return Boto3ServiceInvoker(_client)


def _name() -> str:
    return "t" + uuid.uuid4().hex[:12]


def parse_resource(arn: str) -> TaskResource:
    """The resource as the task runner hands it to invokers: with the region to call."""
    resource = parse_task_resource(arn)
    assert resource is not None
    return dataclasses.replace(resource, region=resource.region or REGION)


def invoke(invoker: Boto3ServiceInvoker, resource: str, parameters: Any) -> TaskOutcome:
    outcome = invoker.invoke(
        parse_resource(resource),
        {"resource": resource, "input": parameters, "key": "k"},
        NOW_MS,
    )
    assert outcome is not None
    return outcome


def _queue(name: str | None = None) -> str:
    return str(_client("sqs", REGION).create_queue(QueueName=name or _name())["QueueUrl"])


def _table() -> str:
    name = _name()
    _client("dynamodb", REGION).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _bucket() -> str:
    name = _name()
    _client("s3", REGION).create_bucket(Bucket=name)
    return name


# ------------------------------------------------------------------------------- SQS


def test_sqs_send_message_output_has_aws_shape(invoker: Boto3ServiceInvoker) -> None:
    queue = _queue()
    outcome = invoke(
        invoker,
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": queue, "MessageBody": "hello", "DelaySeconds": None},
    )
    assert outcome.succeeded
    output = outcome.output
    assert output["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()  # noqa: S324
    assert uuid.UUID(output["MessageId"])
    metadata = output["SdkHttpMetadata"]
    assert metadata["HttpStatusCode"] == 200
    request_id = output["SdkResponseMetadata"]["RequestId"]
    assert metadata["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert metadata["AllHttpHeaders"]["x-amzn-RequestId"] == [request_id]


def test_sqs_message_body_that_is_not_text_is_sent_as_json_text(
    invoker: Boto3ServiceInvoker,
) -> None:
    queue = _queue()
    outcome = invoke(
        invoker,
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": queue, "MessageBody": {"a": [1, True]}},
    )
    assert outcome.succeeded
    received = _client("sqs", REGION).receive_message(QueueUrl=queue)["Messages"][0]
    assert received["Body"] == '{"a":[1,true]}'


def test_sqs_missing_message_body_is_sqs_missing_parameter(invoker: Boto3ServiceInvoker) -> None:
    outcome = invoke(
        invoker, "arn:aws:states:::sqs:sendMessage", {"QueueUrl": _queue(), "MessageBody": None}
    )
    assert not outcome.succeeded
    assert outcome.error == "SQS.AmazonSQSException"
    match = OPTIMIZED_CAUSE.match(outcome.cause or "")
    assert match is not None, outcome.cause
    assert match["message"] == "The request must contain the parameter MessageBody."
    assert (match["service"], match["status"], match["code"]) == (
        "AmazonSQS",
        "400",
        "MissingParameter",
    )


def test_sqs_unknown_queue_is_the_modelled_exception(invoker: Boto3ServiceInvoker) -> None:
    missing = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{_name()}"
    outcome = invoke(
        invoker, "arn:aws:states:::sqs:sendMessage", {"QueueUrl": missing, "MessageBody": "x"}
    )
    assert outcome.error == "SQS.QueueDoesNotExistException"
    assert "Service: AmazonSQS; Status Code: 400" in (outcome.cause or "")


# ------------------------------------------------------------------------------- SNS


def test_sns_publish_serialises_an_object_message(invoker: Boto3ServiceInvoker) -> None:
    topic = _client("sns", REGION).create_topic(Name=_name())["TopicArn"]
    outcome = invoke(
        invoker, "arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"k": "v"}}
    )
    assert outcome.succeeded
    assert set(outcome.output) == {"MessageId", "SdkHttpMetadata", "SdkResponseMetadata"}


def test_sns_unknown_topic_is_not_found(invoker: Boto3ServiceInvoker) -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{_name()}"
    outcome = invoke(invoker, "arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": "x"})
    assert outcome.error == "SNS.NotFoundException"
    match = OPTIMIZED_CAUSE.match(outcome.cause or "")
    assert match is not None
    assert (match["service"], match["status"], match["code"]) == ("AmazonSNS", "404", "NotFound")


# ------------------------------------------------------------------------------- DynamoDB


def test_dynamodb_items_keep_typed_attributes(invoker: Boto3ServiceInvoker) -> None:
    table = _table()
    binary = base64.b64encode(b"\x00\x01bytes").decode()
    item = {"id": {"S": "1"}, "n": {"N": "1.50"}, "b": {"B": binary}, "l": {"L": [{"S": "x"}]}}
    put = invoke(invoker, "arn:aws:states:::dynamodb:putItem", {"TableName": table, "Item": item})
    assert put.succeeded
    assert set(put.output) == {"SdkHttpMetadata", "SdkResponseMetadata"}
    got = invoke(
        invoker,
        "arn:aws:states:::dynamodb:getItem",
        {"TableName": table, "Key": {"id": {"S": "1"}}},
    )
    assert got.output["Item"] == item
    updated = invoke(
        invoker,
        "arn:aws:states:::dynamodb:updateItem",
        {
            "TableName": table,
            "Key": {"id": {"S": "1"}},
            "UpdateExpression": "SET n = :n",
            "ExpressionAttributeValues": {":n": {"N": "2"}},
            "ReturnValues": "UPDATED_NEW",
        },
    )
    assert updated.output["Attributes"] == {"n": {"N": "2"}}
    deleted = invoke(
        invoker,
        "arn:aws:states:::dynamodb:deleteItem",
        {"TableName": table, "Key": {"id": {"S": "1"}}},
    )
    assert deleted.succeeded


def test_dynamodb_missing_table_in_both_integration_families(invoker: Boto3ServiceInvoker) -> None:
    parameters = {"TableName": _name(), "Item": {"id": {"S": "1"}}}
    optimized = invoke(invoker, "arn:aws:states:::dynamodb:putItem", parameters)
    assert optimized.error == "DynamoDB.ResourceNotFoundException"
    match = OPTIMIZED_CAUSE.match(optimized.cause or "")
    assert match is not None
    assert (match["service"], match["code"]) == ("AmazonDynamoDBv2", "ResourceNotFoundException")
    sdk = invoke(invoker, "arn:aws:states:::aws-sdk:dynamodb:putItem", parameters)
    assert sdk.error == "DynamoDb.ResourceNotFoundException"
    sdk_match = SDK_CAUSE.match(sdk.cause or "")
    assert sdk_match is not None
    assert (sdk_match["service"], sdk_match["status"]) == ("DynamoDb", "400")


def test_sdk_null_required_member_is_the_services_validation_error(
    invoker: Boto3ServiceInvoker,
) -> None:
    outcome = invoke(
        invoker, "arn:aws:states:::aws-sdk:dynamodb:putItem", {"TableName": _table(), "Item": None}
    )
    assert outcome.error == "DynamoDb.DynamoDbException"
    assert (outcome.cause or "").startswith(
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: "
        "Member must not be null (Service: DynamoDb, Status Code: 400, Request ID: "
    )


def test_sdk_query_returns_pascal_case_members(invoker: Boto3ServiceInvoker) -> None:
    table = _table()
    invoke(
        invoker,
        "arn:aws:states:::dynamodb:putItem",
        {"TableName": table, "Item": {"id": {"S": "a"}}},
    )
    outcome = invoke(
        invoker,
        "arn:aws:states:::aws-sdk:dynamodb:query",
        {
            "TableName": table,
            "KeyConditionExpression": "id = :id",
            "ExpressionAttributeValues": {":id": {"S": "a"}},
        },
    )
    assert outcome.output["Items"] == [{"id": {"S": "a"}}]
    assert outcome.output["Count"] == 1
    assert "ResponseMetadata" not in outcome.output
    assert "SdkHttpMetadata" not in outcome.output


# ------------------------------------------------------------------------------- S3 (aws-sdk)


def test_s3_put_object_stores_json_text_and_get_object_returns_text(
    invoker: Boto3ServiceInvoker,
) -> None:
    bucket = _bucket()
    for body, stored in (({"Dict": "Value"}, b'{"Dict":"Value"}'), ("text", b'"text"')):
        put = invoke(
            invoker,
            "arn:aws:states:::aws-sdk:s3:putObject",
            {"Bucket": bucket, "Key": "k", "Body": body},
        )
        assert put.output["ETag"] == f'"{hashlib.md5(stored).hexdigest()}"'  # noqa: S324
        got = invoke(
            invoker, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": bucket, "Key": "k"}
        )
        assert got.output["Body"] == stored.decode()
        assert got.output["ContentLength"] == len(stored)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", got.output["LastModified"])


def test_s3_errors_are_named_and_worded_like_the_sdk_integration(
    invoker: Boto3ServiceInvoker,
) -> None:
    missing_key = invoke(
        invoker, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": _bucket(), "Key": "nope"}
    )
    assert missing_key.error == "S3.NoSuchKeyException"
    match = SDK_CAUSE.match(missing_key.cause or "")
    assert match is not None
    assert match["message"] == "The specified key does not exist."
    assert (match["service"], match["status"]) == ("S3", "404")
    assert match["extended"]
    missing_bucket = invoke(invoker, "arn:aws:states:::aws-sdk:s3:listObjects", {"Bucket": _name()})
    assert missing_bucket.error == "S3.NoSuchBucketException"


# ------------------------------------------------------------------------------- other services


def test_secrets_manager_timestamps_are_iso_text(invoker: Boto3ServiceInvoker) -> None:
    name = _name()
    created = invoke(
        invoker,
        "arn:aws:states:::aws-sdk:secretsmanager:createSecret",
        {"Name": name, "SecretString": "s3cr3t"},
    )
    assert created.output["Name"] == name
    got = invoke(
        invoker, "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue", {"SecretId": name}
    )
    assert got.output["SecretString"] == "s3cr3t"
    assert got.output["CreatedDate"].endswith("Z")
    missing = invoke(
        invoker, "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue", {"SecretId": _name()}
    )
    assert missing.error == "SecretsManager.ResourceNotFoundException"


def test_kms_blobs_travel_as_base64(invoker: Boto3ServiceInvoker) -> None:
    key = _client("kms", REGION).create_key()["KeyMetadata"]["KeyId"]
    plaintext = base64.b64encode(b"secret bytes").decode()
    encrypted = invoke(
        invoker, "arn:aws:states:::aws-sdk:kms:encrypt", {"KeyId": key, "Plaintext": plaintext}
    )
    ciphertext = encrypted.output["CiphertextBlob"]
    assert base64.b64decode(ciphertext)
    decrypted = invoke(
        invoker, "arn:aws:states:::aws-sdk:kms:decrypt", {"CiphertextBlob": ciphertext}
    )
    assert decrypted.output["Plaintext"] == plaintext


def test_events_put_events_serialises_detail(invoker: Boto3ServiceInvoker) -> None:
    outcome = invoke(
        invoker,
        "arn:aws:states:::events:putEvents",
        {"Entries": [{"Detail": {"m": 1}, "DetailType": "t", "Source": "s"}]},
    )
    assert outcome.succeeded
    assert outcome.output["FailedEntryCount"] == 0
    assert set(outcome.output) == {"Entries", "FailedEntryCount"}


class _FailingEvents:
    """A stand-in EventBridge client whose second entry fails, as AWS reports it."""

    def put_events(self, **arguments: Any) -> dict[str, Any]:
        return {
            "FailedEntryCount": 1,
            "Entries": [
                {"EventId": "11111111-2222-3333-4444-555555555555"},
                {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
            ],
            "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200, "HTTPHeaders": {}},
        }


def test_events_failed_entry_fails_the_task() -> None:
    stub = Boto3ServiceInvoker(lambda service, region, role_arn=None: _FailingEvents())
    outcome = invoke(
        stub, "arn:aws:states:::events:putEvents", {"Entries": [{"Detail": "{}"}, {"Detail": "1"}]}
    )
    assert outcome.error == "EventBridge.FailedEntry"
    assert json.loads(outcome.cause or "") == {
        "Entries": [
            {"EventId": "11111111-2222-3333-4444-555555555555"},
            {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        ],
        "FailedEntryCount": 1,
    }


def test_unknown_action_and_resources_not_served(invoker: Boto3ServiceInvoker) -> None:
    unknown = invoke(invoker, "arn:aws:states:::aws-sdk:s3:noSuchOperation", {})
    assert unknown.error == "States.Runtime"
    activity = "arn:aws:states:us-east-1:123456789012:activity:a"
    assert invoker.invoke(parse_resource(activity), {"resource": activity, "input": {}}, 0) is None
    callback = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert invoker.invoke(parse_resource(callback), {"resource": callback, "input": {}}, 0) is None


def test_callbacks_submit_the_request_and_await_the_token(aws: None) -> None:
    callbacks = Boto3ServiceInvoker(_client, callbacks=True)
    queue = _queue()
    outcome = invoke(
        callbacks,
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        {"QueueUrl": queue, "MessageBody": {"TaskToken": "tok"}},
    )
    assert isinstance(outcome, TaskOutcome)
    assert outcome.awaiting_callback
    assert "MessageId" in outcome.submitted_output


class _StubLambda:
    """A stand-in Lambda client (moto would need a container runtime to invoke)."""

    def __init__(self, payload: bytes, function_error: str | None = None) -> None:
        self.payload = payload
        self.function_error = function_error
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(arguments)
        response: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": _Body(self.payload),
            "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200},
        }
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


def test_lambda_functions_not_served_locally_go_through_the_lambda_api() -> None:
    client = _StubLambda(b'{"ok": 1}')
    stub = Boto3ServiceInvoker(lambda service, region, role_arn=None: client)
    wrapped = invoke(
        stub, "arn:aws:states:::lambda:invoke", {"FunctionName": "f", "Payload": {"in": 1}}
    )
    assert wrapped.output["Payload"] == {"ok": 1}
    assert wrapped.output["StatusCode"] == 200
    assert client.calls[-1] == {"FunctionName": "f", "Payload": b'{"in": 1}'}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    direct = invoke(stub, arn, {"in": 2})
    assert direct.output == {"ok": 1}
    failing = Boto3ServiceInvoker(
        lambda service, region, role_arn=None: _StubLambda(
            b'{"errorType": "ValueError", "errorMessage": "bad"}', "Unhandled"
        )
    )
    failed = invoke(failing, arn, {})
    assert failed.error == "ValueError"


# ------------------------------------------------------------------------------- Step Functions


def _step_functions(aws: None) -> tuple[Boto3ServiceInvoker, LocalStepFunctions]:
    holder: dict[str, Boto3ServiceInvoker] = {}

    def execute(request: ExecutionRequest) -> ChildOutcome:
        runner = local_runner(
            start_ms=request.start_ms, region=REGION, account=ACCOUNT, invokers=[holder["i"]]
        )
        result = runner.run(
            request.machine,
            request.input,
            state_machine_name=request.state_machine_name,
            state_machine_arn=request.state_machine_arn,
            execution_name=request.execution_name,
            execution_arn=request.execution_arn,
            input_text=request.input_text,
        )
        return ChildOutcome(
            result.status, result.output_text, result.error, result.cause, result.stop_ms
        )

    backend = LocalStepFunctions(execute, region=REGION, account=ACCOUNT)
    holder["i"] = Boto3ServiceInvoker(_client, step_functions=backend)
    return holder["i"], backend


def test_start_execution_runs_on_our_engine(aws: None) -> None:
    invoker, backend = _step_functions(aws)
    arn = backend.register(
        "Child",
        compile_state_machine(
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"r": 1}, "End": True}}}
        ),
    )
    started = invoke(
        invoker,
        "arn:aws:states:::states:startExecution",
        {"StateMachineArn": arn, "Input": {"x": 1}, "Name": "run1"},
    )
    assert started.output["ExecutionArn"].endswith(":execution:Child:run1")
    assert started.output["StartDate"] == NOW_MS
    assert started.output["SdkHttpMetadata"]["HttpStatusCode"] == 200

    synced = invoke(
        invoker,
        "arn:aws:states:::states:startExecution.sync",
        {"StateMachineArn": arn, "Input": {"x": 1}, "Name": "run2"},
    )
    assert isinstance(synced, TaskOutcome)
    assert synced.output["Status"] == "SUCCEEDED"
    assert synced.output["Output"] == '{"r":1}'
    assert synced.output["Input"] == '{"x":1}'
    assert synced.submitted_output["ExecutionArn"].endswith(":run2")

    synced2 = invoke(
        invoker,
        "arn:aws:states:::states:startExecution.sync:2",
        {"StateMachineArn": arn, "Name": "run3"},
    )
    assert synced2.output["Output"] == {"r": 1}
    assert synced2.output["Input"] == {}

    again = invoke(
        invoker,
        "arn:aws:states:::states:startExecution",
        {"StateMachineArn": arn, "Name": "run1"},
    )
    assert again.error == "StepFunctions.ExecutionAlreadyExistsException"


def test_sync_child_failure_fails_the_task_with_its_description(aws: None) -> None:
    invoker, backend = _step_functions(aws)
    arn = backend.register(
        "Failing",
        compile_state_machine(
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
        ),
    )
    outcome = invoke(
        invoker, "arn:aws:states:::states:startExecution.sync", {"StateMachineArn": arn}
    )
    assert outcome.error == "States.TaskFailed"
    described = json.loads(outcome.cause or "")
    assert (described["Status"], described["Error"], described["Cause"]) == ("FAILED", "E", "C")
    assert "Output" not in described


def test_step_functions_errors(aws: None) -> None:
    invoker, _ = _step_functions(aws)
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Nope"
    optimized = invoke(
        invoker, "arn:aws:states:::states:startExecution", {"StateMachineArn": machine}
    )
    assert optimized.error == "StepFunctions.StateMachineDoesNotExistException"
    assert (optimized.cause or "").startswith(
        f"State Machine Does Not Exist: '{machine}' (Service: AWSStepFunctions; "
        "Status Code: 400; Error Code: StateMachineDoesNotExist;"
    )
    token = invoke(
        invoker, "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess", {"TaskToken": "t", "Output": "{}"}
    )
    assert token.error == "Sfn.InvalidTokenException"


# ------------------------------------------------------------------------------- in a state machine


def test_a_state_machine_catches_service_errors_by_name(invoker: Boto3ServiceInvoker) -> None:
    queue = _queue()
    machine = StateMachine(
        {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl.$": "$.queue", "MessageBody.$": "$.body"},
                    "ResultSelector": {"id.$": "$.MessageId"},
                    "Next": "Read",
                },
                "Read": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket": "no-such-bucket-here", "Key": "k"},
                    "Catch": [
                        {
                            "ErrorEquals": ["S3.NoSuchBucketException"],
                            "ResultPath": "$.error",
                            "Next": "Done",
                        }
                    ],
                    "End": True,
                },
                "Done": {"Type": "Succeed"},
            },
        }
    )
    result = machine.run({"queue": queue, "body": "hi"}, invokers=[invoker])
    assert result.status == "SUCCEEDED"
    assert result.output["error"]["Error"] == "S3.NoSuchBucketException"
    types = [event["type"] for event in result.history]
    assert types.count("TaskSucceeded") == 1
    assert types.count("TaskFailed") == 1


# ------------------------------------------------------------------------------- naming


@pytest.mark.parametrize(
    ("service_id", "name"),
    [
        ("DynamoDB", "DynamoDb"),
        ("SFN", "Sfn"),
        ("S3", "S3"),
        ("Secrets Manager", "SecretsManager"),
        ("API Gateway", "ApiGateway"),
        ("EventBridge", "EventBridge"),
        ("CloudWatch Logs", "CloudWatchLogs"),
        ("ACM PCA", "AcmPca"),
        ("EC2", "Ec2"),
    ],
)
def test_sdk_service_names(service_id: str, name: str) -> None:
    assert aws_shapes.sdk_service_name(service_id) == name


def test_exception_suffix_is_added_once() -> None:
    assert aws_shapes.exception_name("NoSuchKey") == "NoSuchKeyException"
    assert aws_shapes.exception_name("ResourceNotFoundException") == "ResourceNotFoundException"
