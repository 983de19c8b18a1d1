"""Every API action answers any request with a result or an AWS error, never a Python exception,
and the error is one the API model documents for that action (or the service framework's
ValidationException / SerializationException)."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from interpreter.api.errors import StepFunctionsError
from interpreter.api.service import _ACTIONS
from interpreter.api.versions import split_arn
from interpreter.app import local_service

SERVICE = local_service(clock="virtual", activity_poll_seconds=0)
ROLE = "arn:aws:iam::123456789012:role/r"
MACHINE = SERVICE.call(
    "CreateStateMachine",
    {
        "name": "fuzzed",
        "definition": json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        "roleArn": ROLE,
        "publish": True,
    },
)["stateMachineArn"]
EXECUTION = SERVICE.call("StartExecution", {"stateMachineArn": MACHINE, "name": "known"})[
    "executionArn"
]
ACTIVITY = SERVICE.call("CreateActivity", {"name": "fuzzed"})["activityArn"]
assert split_arn(MACHINE) == (MACHINE, None)

_MODEL = botocore.session.get_session().get_service_model("stepfunctions")
DOCUMENTED = {
    action: {error.name for error in _MODEL.operation_model(action).error_shapes}
    | {"ValidationException", "SerializationException"}
    for action in _MODEL.operation_names
}

# Values a member may get: real ARNs and names, and anything else.
scalars = (
    st.sampled_from([MACHINE, f"{MACHINE}:1", EXECUTION, ACTIVITY, "fuzzed", "", "x" * 90, ROLE])
    | st.text(max_size=12)
    | st.integers(min_value=-5, max_value=10**6)
    | st.booleans()
    | st.none()
    | st.just("{}")
    | st.just('{"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}')
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["key", "value", "stateMachineVersionArn", "weight"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=6,
)
members = st.sampled_from(
    [
        "name",
        "definition",
        "roleArn",
        "type",
        "stateMachineArn",
        "executionArn",
        "activityArn",
        "input",
        "maxResults",
        "nextToken",
        "taskToken",
        "output",
        "error",
        "cause",
        "tags",
        "tagKeys",
        "resourceArn",
        "publish",
        "routingConfiguration",
        "stateMachineAliasArn",
        "stateMachineVersionArn",
        "reverseOrder",
        "statusFilter",
        "revisionId",
        "workerName",
    ]
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    action=st.sampled_from(sorted(_ACTIONS)), request=st.dictionaries(members, values, max_size=5)
)
# Found once: the version and alias listings took any text for a state machine ARN.
@example(action="ListStateMachineVersions", request={"stateMachineArn": "{}"})
@example(action="ListStateMachineAliases", request={"stateMachineArn": "{}"})
@example(action="PublishStateMachineVersion", request={"stateMachineArn": "{}"})
def test_any_request_gets_an_answer_or_an_aws_error(action: str, request: dict[str, Any]) -> None:
    refused: StepFunctionsError | None = None
    try:
        answer = SERVICE.call(action, request)
    except StepFunctionsError as refusal:
        refused = refusal
    if refused is not None:
        assert refused.code in DOCUMENTED[action], (action, refused.code, refused.message)
        assert isinstance(refused.message, str)
        return
    assert isinstance(answer, dict)
    SERVICE.run_until_idle()
