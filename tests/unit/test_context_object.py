"""Family 3 of issue 13: the context object, complete, where AWS has each member, in both query
languages (``$$`` in JSONPath, ``$states.context`` in JSONata).

Sources:

* DOCS: the developer guide, "Accessing execution data from the Context object": Execution (Id,
  Input, Name, RoleArn, StartTime, RedriveCount, RedriveTime only after a redrive), State
  (EnteredTime, Name, RetryCount), StateMachine (Id, Name), Task (Token); in a Map state's
  ItemSelector, Map.Item (Index, Value, Source: STATE_DATA for the state's input, the S3 URI for
  an ItemReader: ``S3://bucket`` for a listing, ``S3://bucket/key`` for an object).
* CORPUS: recorded context objects: assign/test_assign_base__test_base_cases_BASE_PATHS and
  context_object/test_context_object__test_input_path (a Pass state: no RetryCount, no Task,
  ``RedriveCount: 0``), scenarios/test_base_scenarios__test_lambda_invoke_with_retry_extended_input
  (a Task: ``RetryCount``), test_state/* (TestState: no RedriveCount).
* SNAPSHOT: AWS's express/test_express_async ``test_query_runtime_memory`` (an Express execution:
  ``RedriveCount: 0``).
* UNSETTLED: no source says; the row follows the documented shape.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from interpreter import StateMachine, test_state
from interpreter.adapters.aws_services import Boto3ServiceInvoker

EXECUTION_KEYS = {"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount"}


def _pass(query_language: str, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Pass", "End": True, **fields}
    return {"QueryLanguage": query_language, "StartAt": "S", "States": {"S": state}}


WHOLE_CONTEXT = {
    "JSONPath": {"Parameters": {"c.$": "$$"}},
    "JSONata": {"Output": {"c": "{% $states.context %}"}},
}


@pytest.mark.parametrize("query_language", ["JSONPath", "JSONata"])
def test_execution_state_machine_and_state_members(query_language: str) -> None:
    """DOCS; CORPUS BASE_PATHS (a Pass state: no RetryCount, no Task, no Map)."""
    result = StateMachine(_pass(query_language, **WHOLE_CONTEXT[query_language]), name="sm").run(
        {"a": 1}, execution_name="ex", clock="virtual"
    )
    context = result.output["c"]
    assert set(context) == {"Execution", "StateMachine", "State"}
    execution = context["Execution"]
    assert set(execution) == EXECUTION_KEYS
    assert execution["Input"] == {"a": 1}
    assert execution["Name"] == "ex"
    assert execution["Id"].endswith(":execution:sm:ex")
    assert execution["RedriveCount"] == 0
    assert execution["StartTime"].endswith("Z")
    assert set(context["StateMachine"]) == {"Id", "Name"}
    assert context["StateMachine"]["Name"] == "sm"
    assert context["StateMachine"]["Id"].endswith(":stateMachine:sm")
    assert set(context["State"]) == {"Name", "EnteredTime"}
    assert context["State"]["Name"] == "S"


CONTEXT_TABLE = [
    # (query language, state kind, member, present?, source)
    ("JSONPath", "Pass", "State.RetryCount", False, "CORPUS BASE_PATHS"),
    (
        "JSONPath",
        "Task",
        "State.RetryCount",
        True,
        "CORPUS lambda_invoke_with_retry_extended_input",
    ),
    ("JSONata", "Task", "State.RetryCount", True, "DOCS; the JSONPath CORPUS row"),
    ("JSONPath", "Task", "Task.Token", False, "CORPUS lambda_invoke_with_retry_extended_input"),
    ("JSONPath", "Task.waitForTaskToken", "Task.Token", True, "DOCS"),
    ("JSONata", "Task.waitForTaskToken", "Task.Token", True, "DOCS"),
    ("JSONPath", "Task", "Execution.RedriveCount", True, "CORPUS context_object input_path"),
    ("JSONPath", "Task", "Execution.RedriveTime", False, "DOCS (only after a redrive)"),
    ("JSONPath", "Task", "Map", False, "DOCS (Map only in a Map's ItemSelector)"),
]


def _task_definition(query_language: str, kind: str) -> dict[str, Any]:
    if kind == "Pass":
        return _pass(query_language, **WHOLE_CONTEXT[query_language])
    wait = kind.endswith("waitForTaskToken")
    resource = "arn:aws:states:::lambda:invoke" + (".waitForTaskToken" if wait else "")
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "End": True}
    if query_language == "JSONPath":
        state["Parameters"] = {"FunctionName": "Echo", "Payload": {"c.$": "$$"}}
    else:
        state["Arguments"] = {"FunctionName": "Echo", "Payload": {"c": "{% $states.context %}"}}
    return {"QueryLanguage": query_language, "StartAt": "S", "States": {"S": state}}


@pytest.mark.parametrize(
    ("query_language", "kind", "member", "present", "source"),
    CONTEXT_TABLE,
    ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in CONTEXT_TABLE],
)
def test_members_present_where_aws_has_them(
    query_language: str, kind: str, member: str, present: bool, source: str
) -> None:
    seen: list[Any] = []

    def echo(event: Any, context: Any) -> Any:
        seen.append(event["c"])
        return event

    definition = _task_definition(query_language, kind)
    if kind == "Pass":
        seen.append(StateMachine(definition).run({}, clock="virtual").output["c"])
    elif kind.endswith("waitForTaskToken"):
        # The callback never comes: the context the Lambda received is what is checked.
        definition["States"]["S"]["TimeoutSeconds"] = 1
        StateMachine(definition).run({}, lambdas={"Echo": echo}, clock="virtual")
    else:
        StateMachine(definition).run({}, lambdas={"Echo": echo}, clock="virtual")
    (context,) = seen
    group, _, key = member.partition(".")
    found = group in context and (not key or key in context[group])
    assert found is present
    if member == "State.RetryCount" and present:
        assert context["State"]["RetryCount"] == 0
    if member == "Task.Token" and present:
        assert isinstance(context["Task"]["Token"], str)
        assert len(context["Task"]["Token"]) >= 32


MAP_PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.mark.parametrize("query_language", ["JSONPath", "JSONata"])
def test_map_item_in_an_inline_map(query_language: str) -> None:
    """DOCS: Index, Value and Source (STATE_DATA: the docs' example is an INLINE Map)."""
    selector = (
        {"i.$": "$$.Map.Item"}
        if query_language == "JSONPath"
        else {"i": "{% $states.context.Map.Item %}"}
    )
    definition = {
        "QueryLanguage": query_language,
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **MAP_PROCESSOR},
                "ItemSelector": selector,
                "End": True,
            }
        },
    }
    result = StateMachine(definition).run([{"who": "bob"}, 7], clock="virtual")
    assert result.output == [
        {"i": {"Index": 0, "Value": {"who": "bob"}, "Source": "STATE_DATA"}},
        {"i": {"Index": 1, "Value": 7, "Source": "STATE_DATA"}},
    ]


@pytest.mark.parametrize(
    ("resource", "reader", "source"),
    [
        (
            "arn:aws:states:::s3:getObject",
            {"ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Key": "items.json"}},
            "S3://{bucket}/items.json",
        ),
        ("arn:aws:states:::s3:listObjectsV2", {"Parameters": {}}, "S3://{bucket}"),
    ],
)
def test_map_item_source_in_a_distributed_map(
    s3: Any, resource: str, reader: dict[str, Any], source: str
) -> None:
    """DOCS: the S3 URI of the object read, or of the bucket for a listing."""
    bucket = "ctx-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="items.json", Body="[10]")
    item_reader: dict[str, Any] = {"Resource": resource, **reader}
    item_reader["Parameters"] = {"Bucket": bucket, **reader["Parameters"]}
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemReader": item_reader,
                "ItemSelector": {"source.$": "$$.Map.Item.Source", "index.$": "$$.Map.Item.Index"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    **MAP_PROCESSOR,
                },
                "End": True,
            }
        },
    }
    invoker = Boto3ServiceInvoker(lambda service, region, role=None: s3)
    result = StateMachine(definition).run({}, clock="virtual", invokers=[invoker])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"source": source.format(bucket=bucket), "index": 0}]


def test_the_map_member_is_only_in_the_item_selector() -> None:
    """DOCS: "You must define parameters from the Context object in the ItemSelector block of the
    main Map state, not within the states included in the ItemProcessor section"."""
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Parameters": {"c.$": "$$"}, "End": True}},
                },
                "End": True,
            }
        },
    }
    (inner,) = StateMachine(definition).run([1], clock="virtual").output
    assert "Map" not in inner["c"]


def test_test_state_context_has_no_redrive_count() -> None:
    """CORPUS test_state/* (TestState's context objects show no RedriveCount)."""
    outcome = test_state(
        {"Type": "Pass", "Parameters": {"c.$": "$$"}, "End": True},
        input={},
        role_arn="arn:aws:iam::111111111111:role/r",
    )
    output = json.loads(outcome["output"])
    assert set(output["c"]["Execution"]) == EXECUTION_KEYS - {"RedriveCount"}
