"""Conformance cases that cannot pass yet, each with its reason.

A case is never deleted from the corpus. When it cannot pass, it is listed here:

* ``KNOWN_FAILURES`` — cases that run but do not match AWS yet (case name -> reason). They are
  marked ``xfail(strict=True)``, so a case that starts passing fails the run until it is
  removed from this list.
* ``skip_reason(case)`` — cases that cannot run at all yet (a service we do not emulate, an API
  we have not built). They are skipped with the reason it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Case name (the case file's "name", which is also its file name) -> why it fails today.
KNOWN_FAILURES: dict[str, str] = {
    "test_test_state_mock_scenarios__test_sfn_start_execution_success": (
        "the mocked result holds the placeholder ${localstack.utils.aws.arns."
        "stepfunctions_standard_execution_arn#2}: the recording built an execution ARN from a "
        "target state machine and execution name that the case does not record, so the runner "
        "cannot substitute it"
    ),
    "test_field_validation_mode_present__test_present_mode_aws_sdk_lambda_get_function_task_"
    "integer_more_than_maximum_allowed___validation-except_2bc3df": (
        "Lambda's API model changed: the recording's AWS model capped MemorySize at 10240, "
        "botocore's current model (the mock validator's source) allows up to 32768, so 10241 "
        "is valid now"
    ),
    # AWS changed after these two were recorded (24 Oct 2023): since redrive launched (Nov
    # 2023), $$.Execution carries RedriveCount (0 until a redrive), as every later recording of
    # a context object shows (assign BASE_PATHS, context_object input/output paths, express
    # test_query_runtime_memory) and the developer guide lists. The engine follows today's AWS.
    "test_base_scenarios__test_lambda_invoke_with_retry_extended_input": (
        "recorded 2023-10-24, before AWS added $$.Execution.RedriveCount: the context object the "
        "Lambda receives has no RedriveCount; AWS's recordings since (2024) show RedriveCount: 0"
    ),
    "test_base_scenarios__test_lambda_service_invoke_with_retry_extended_input": (
        "recorded 2023-10-24, before AWS added $$.Execution.RedriveCount: the context "
        "object the Lambda receives has none; AWS's recordings since (2024) show RedriveCount: 0"
    ),
    "test_sfn_api__test_stop_execution": (
        "the recording called StopExecution while the execution waited; the case records only "
        "the ABORTED result, not the call or its time, so the runner has no action to replay "
        "(StopExecution itself is tested in tests/api and tests/unit/test_durable_runtime.py)"
    ),
    "test_base_scenarios__test_map_state_label": (
        "MapStateEntered input: in this recording (and map_state_result_writer's) AWS shows the "
        "first state's input re-serialised compactly, while the 12 other recordings of a first "
        "state keep the submitted text; the engine follows the majority"
    ),
    "test_base_scenarios__test_map_state_nested_config_distributed_no_max_max_concurrency": (
        "the case invokes Lambda function lambda_func_00000001 but the corpus records no "
        "behaviour for it (no 'resources'), so runner.py has no local handler"
    ),
}

# Why service cases fail, by cause (each name below is listed with one of these).
_ROLE_TOKEN = (
    "comparer: the recording ran a resource-name transformer the case does not list, which "
    "turned the execution role's name into <resource:N> before the case's role regex ran; "
    "expected roleArn is 'arn:<partition>:iam::111111111111:role/<resource:N>' while replaying "
    "the listed transformers gives 'snf_role_arn' (the run matches AWS otherwise; compare.py "
    "would have to accept the value before the case's regexes where a token it cannot produce "
    "stands)"
)
_TABLE_TOKEN = (
    "comparer: the recording wrote '<test-table>' over DynamoDB table names with a transformer "
    "the case does not list, and the case does not list the token in "
    "placeholder_tokens_in_expected, so the replay cannot produce it (the run matches AWS "
    "otherwise)"
)
_S3_OBJECT_NOT_RECORDED = (
    "the recording uploaded the object 'file_key' before the execution; its content is not "
    "recorded in the case (only the expected GetObject output shows it), so the emulated bucket "
    "has no such key"
)
_S3_CHECKSUM_TYPE = (
    "moto 5.2.5's PutObject response has no ChecksumType (AWS returns FULL_OBJECT for the CRC32 "
    "checksum the SDK for Java sends by default)"
)
_EVENTBRIDGE_DETAIL = (
    "moto 5.2.5's PutEvents accepts a Detail that is not a JSON object; AWS fails that entry "
    "with MalformedDetail, which fails the task with EventBridge.FailedEntry"
)
_SERVICE_FAILURES: dict[str, str] = {
    "test_sns_task_service__test_publish_base_08f65c": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_base_1_422582": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_base_HelloWorld_999860": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_base_None_1dab8c": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_base_True_130b83": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_base_message1_3d39b7": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_message_attributes_70d0e4": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_message_attributes_HelloWorld_1635a7": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_message_attributes_HelloWorld_a9d58b": _ROLE_TOKEN,
    "test_sns_task_service__test_publish_message_attributes_message_value3_996289": _ROLE_TOKEN,
    "test_sqs_task_service__test_send_message_attributes": _ROLE_TOKEN,
    "test_base_scenarios__test_sqs_send_message": _ROLE_TOKEN,
    "test_task_service_sqs__test_send_message_empty_body": _ROLE_TOKEN,
    "test_aws_sdk__test_dynamodb_invalid_param": _TABLE_TOKEN,
    "test_aws_sdk__test_dynamodb_put_item_no_such_table": _TABLE_TOKEN,
    "test_task_service_dynamodb__test_put_item_invalid_table_name": _TABLE_TOKEN,
    "test_task_service_dynamodb__test_put_item_no_such_table": _TABLE_TOKEN,
    "test_aws_sdk_task_service__test_dynamodb_put_delete_item": _TABLE_TOKEN,
    "test_aws_sdk_task_service__test_dynamodb_put_update_get_item": (
        _TABLE_TOKEN + "; and moto 5.2.5's UpdateItem returns ConsumedCapacity that was not "
        "asked for (AWS returns it only with ReturnConsumedCapacity)"
    ),
    "test_dynamodb_task_service__test_base_integrations_DYNAMODB_PUT_UPDATE_GET_ITEM_b96412": (
        "moto 5.2.5's UpdateItem returns ConsumedCapacity that was not asked for (AWS returns "
        "it only with ReturnConsumedCapacity)"
    ),
    "test_aws_sdk__test_invalid_secret_name": (
        "moto 5.2.5's CreateSecret accepts the name 'Invalid Name'; AWS rejects names with "
        "characters other than alphanumerics and -/_+=.@!"
    ),
    "test_aws_sdk_task_service__test_s3_get_object_binary_86db46": _S3_OBJECT_NOT_RECORDED,
    "test_aws_sdk_task_service__test_s3_get_object_bytearray_69a404": _S3_OBJECT_NOT_RECORDED,
    "test_aws_sdk_task_service__test_s3_get_object_empty_binary_c7f523": _S3_OBJECT_NOT_RECORDED,
    "test_aws_sdk_task_service__test_s3_get_object_empty_str_02e7e4": _S3_OBJECT_NOT_RECORDED,
    "test_aws_sdk_task_service__test_s3_get_object_str_ec04e2": _S3_OBJECT_NOT_RECORDED,
    "test_aws_sdk_task_service__test_s3_put_object_bool_3886e1": _S3_CHECKSUM_TYPE,
    "test_aws_sdk_task_service__test_s3_put_object_dict_9661fa": _S3_CHECKSUM_TYPE,
    "test_aws_sdk_task_service__test_s3_put_object_list_45fdde": _S3_CHECKSUM_TYPE,
    "test_aws_sdk_task_service__test_s3_put_object_num_2372f3": _S3_CHECKSUM_TYPE,
    "test_aws_sdk_task_service__test_s3_put_object_str_940913": _S3_CHECKSUM_TYPE,
    "test_events_task_service__test_put_events_malformed_detail": _EVENTBRIDGE_DETAIL,
    "test_events_task_service__test_put_events_mixed_malformed_detail": _EVENTBRIDGE_DETAIL,
    "test_sns_task_service__test_fifo_message_attribute_input_params0-True_07b96e": (
        "moto 5.2.5 answers a FIFO publish without MessageGroupId with MissingParameter; AWS "
        "answers InvalidParameter ('Invalid parameter: The MessageGroupId parameter is required "
        "for FIFO topics'), hence SNS.InvalidParameterException"
    ),
    "test_sns_task_service__test_fifo_message_attribute_input_params1-False_831e9d": (
        "moto 5.2.5's Publish to a FIFO topic returns no SequenceNumber"
    ),
    "test_sns_task_service__test_publish_base_error_topic_arn": (
        "the recording deleted the topic before the execution (hence SNS.NotFoundException); "
        "the case records the topic's creation but not its deletion"
    ),
}
KNOWN_FAILURES.update(_SERVICE_FAILURES)

# Services a case may need and still run: Lambda functions run as local Python handlers; the
# others run under moto (tests/conformance/emulation.py), Step Functions on our own engine.
EMULATED_SERVICES = frozenset(
    {"lambda", "sqs", "sns", "dynamodb", "s3", "events", "secretsmanager", "kms", "stepfunctions"}
)


def _task_resources(document: Any) -> Iterator[str]:
    """Every Task ``Resource`` in a definition (nested branches and processors included)."""
    if isinstance(document, dict):
        resource = document.get("Resource")
        if document.get("Type") == "Task" and isinstance(resource, str):
            yield resource
        for value in document.values():
            yield from _task_resources(value)
    elif isinstance(document, list):
        for value in document:
            yield from _task_resources(value)


def _uses_key(document: Any, key: str) -> bool:
    if isinstance(document, dict):
        return key in document or any(_uses_key(value, key) for value in document.values())
    if isinstance(document, list):
        return any(_uses_key(value, key) for value in document)
    return False


def _service_skip_reason(case: dict[str, Any]) -> str | None:
    """Why a case whose services are emulated still cannot run."""
    definition = case.get("definition")
    resources = list(_task_resources(definition))
    if any(resource.endswith(".waitForTaskToken") for resource in resources):
        return (
            "callback task (.waitForTaskToken): completing it needs a worker that calls "
            "SendTaskSuccess/SendTaskFailure with the token, and the recording's worker is "
            "not part of the case (callbacks themselves run: tests/api/test_server.py, "
            "tests/unit/test_durable_runtime.py)"
        )
    if any(resource.endswith((".sync", ".sync:2")) for resource in resources):
        return (
            "states:startExecution.sync: the child state machine's definition is not recorded "
            "in the case (its output decides the result); .sync itself runs "
            "(tests/unit/test_aws_services.py)"
        )
    if _uses_key(definition, "ItemReader"):
        return (
            "the S3 object the Map reads its items from was uploaded by the recording and its "
            "content is not in the case, so the emulated bucket has nothing to read (the "
            "ItemReader itself runs: tests/unit/test_item_reader.py, test_map_batcher_writer.py)"
        )
    if _uses_key(definition, "ResultWriter"):
        return (
            "the recording wrote the results to a bucket it created outside the case (no "
            "'resources' entry names it), so the emulated S3 has no such bucket (the "
            "ResultWriter itself runs: tests/unit/test_map_batcher_writer.py)"
        )
    return None


def skip_reason(case: dict[str, Any]) -> str | None:
    """Why ``case`` cannot run in tests/conformance/test_cases.py yet (None: it can run)."""
    kind = case.get("kind", "execution")
    if kind == "api_error":
        return "api_error cases are checked by tests/conformance/test_api_errors.py"
    if kind == "test_state":
        # TestState cases run through interpreter.app.run_test_state (runner.run_test_state_case):
        # their services are mocked, and Lambda functions run as local handlers.
        return None
    missing = [s for s in case.get("needs_services", []) if s not in EMULATED_SERVICES]
    if "activity" in missing:
        return (
            "the activity's worker ran outside the case and its behaviour is not recorded; "
            "tests/unit/test_activities.py reproduces these recordings with in-process workers "
            "that do what the recording's worker did"
        )
    if missing:
        return f"needs service {', '.join(missing)}, not emulated yet"
    return _service_skip_reason(case)
