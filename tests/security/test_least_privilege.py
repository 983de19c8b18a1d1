"""template.yaml grants least privilege (issue 10, part 5), read from the translated template:
one role per function, explicit actions on explicit resources, the engine's data closed to every
other principal, and exactly the actions the code calls.

The SAM translator (offline, as ``sam deploy`` would run it) turns the template into the
CloudFormation CloudFormation receives, with the policies SAM adds; these tests read those.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sam_template import (
    function_role,
    identity_statements,
    listed,
    resources,
    role_statements,
    translated,
)

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("ApiFunction", "WorkerFunction", "SweepFunction")
ENGINE_ROLES = ("ApiRole", "WorkerRole", "SweepRole")
TASK_ROLES = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role${TaskRolePath}*"}


def _actions(role: str, resource: Any = None) -> set[str]:
    """The actions a role's statements allow (on ``resource`` when given)."""
    found: set[str] = set()
    for statement in role_statements(role):
        assert statement["Effect"] == "Allow"
        if resource is None or resource in listed(statement["Resource"]):
            found.update(listed(statement["Action"]))
    return found


def test_each_function_has_a_role_of_its_own_that_only_lambda_assumes() -> None:
    roles = [function_role(function) for function in FUNCTIONS]
    assert sorted(roles) == sorted(ENGINE_ROLES)  # no sharing, no role SAM makes
    for role in roles:
        properties = resources("AWS::IAM::Role")[role]["Properties"]
        assert "ManagedPolicyArns" not in properties, role  # SAM's managed policies use "*"
        (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert trust["Action"] == "sts:AssumeRole"


def test_no_identity_policy_names_a_wildcard_action_or_resource() -> None:
    statements = list(identity_statements())
    assert {role for role, _ in statements} == set(ENGINE_ROLES)
    for role, statement in statements:
        assert statement["Effect"] == "Allow", role
        assert "NotAction" not in statement, role
        assert "NotResource" not in statement, role
        for action in listed(statement["Action"]):
            assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action), (role, action)
        for resource in listed(statement["Resource"]):
            assert resource != "*", (role, statement)
            if isinstance(resource, str):
                assert not resource.endswith(":*"), (role, resource)


def test_only_the_worker_and_the_api_assume_roles_and_only_task_roles() -> None:
    assuming = {
        role: statement
        for role, statement in identity_statements()
        if "sts:AssumeRole" in listed(statement["Action"])
    }
    assert set(assuming) == {"WorkerRole", "ApiRole"}
    for statement in assuming.values():
        assert listed(statement["Action"]) == ["sts:AssumeRole"]
        assert statement["Resource"] == TASK_ROLES


def test_the_roles_allow_every_call_the_code_makes_and_nothing_else() -> None:
    source = (ROOT / "interpreter/adapters/dynamodb_store.py").read_text(encoding="utf-8")
    calls = set(re.findall(r"client\.([a-z_]+)\(", source))
    store_actions = {"dynamodb:" + "".join(w.title() for w in call.split("_")) for call in calls}
    table = {"Fn::GetAtt": ["ExecutionsTable", "Arn"]}
    queue = {"Fn::GetAtt": ["WorkQueue", "Arn"]}
    for role in ("ApiRole", "WorkerRole"):
        assert _actions(role, table) == store_actions, role
    consumer = {
        "sqs:SendMessage",  # SqsQueue.send
        "sqs:ReceiveMessage",  # the event source mapping
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",  # handlers.worker hands a message back
    }
    assert _actions("WorkerRole", queue) == consumer
    assert _actions("ApiRole", queue) == {"sqs:SendMessage"}
    assert _actions("SweepRole", queue) == {"sqs:SendMessage"}
    wake_up_index = {"Fn::Sub": "${ExecutionsTable.Arn}/index/by-wake-up"}
    assert _actions("SweepRole", wake_up_index) == {"dynamodb:Query"}
    assert not any("dynamodb:" in a for a in _actions("SweepRole") - {"dynamodb:Query"})


def test_each_function_logs_to_its_own_group_and_nowhere_else() -> None:
    functions = resources("AWS::Lambda::Function")
    for function in FUNCTIONS:
        group = functions[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        logging = [
            statement
            for statement in role_statements(function_role(function))
            if any(action.startswith("logs:") for action in listed(statement["Action"]))
        ]
        assert logging == [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": {"Fn::GetAtt": [group, "Arn"]},
            }
        ]


@pytest.mark.parametrize(
    ("kind", "resource"),
    [("AWS::DynamoDB::Table", "ExecutionsTable"), ("AWS::SQS::QueuePolicy", "WorkQueuePolicy")],
)
def test_the_engine_s_data_is_closed_to_every_other_principal(kind: str, resource: str) -> None:
    properties = resources(kind)[resource]["Properties"]
    document = (properties.get("ResourcePolicy") or properties)["PolicyDocument"]
    (statement,) = listed(document["Statement"])
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    engine = [{"Fn::GetAtt": [role, "Arn"]} for role in ENGINE_ROLES]
    assert statement["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": engine}}
    denied = set(listed(statement["Action"]))
    if kind == "AWS::DynamoDB::Table":
        # Every item read and write, whatever a task role is granted ("*": the table itself,
        # which its own policy cannot name).
        assert statement["Resource"] == "*"
        assert {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"} <= denied
        assert {"dynamodb:PartiQLSelect", "dynamodb:ExportTableToPointInTime"} <= denied
        store = _actions("WorkerRole", {"Fn::GetAtt": ["ExecutionsTable", "Arn"]})
        assert store <= denied
    else:
        queues = [{"Ref": "WorkQueue"}, {"Ref": "WorkDeadLetterQueue"}]
        assert properties["Queues"] == queues
        assert {"sqs:ReceiveMessage", "sqs:SendMessage", "sqs:DeleteMessage"} <= denied


def test_wildcard_resources_appear_only_where_a_resource_policy_names_its_own_resource() -> None:
    wildcards = []
    for name, resource in translated()["Resources"].items():
        text = repr(resource)
        if "'Resource': '*'" in text:
            wildcards.append(name)
    assert wildcards == ["ExecutionsTable"]


def test_the_function_url_authenticates_callers_with_iam() -> None:
    (url,) = resources("AWS::Lambda::Url").values()
    assert url["Properties"]["AuthType"] == "AWS_IAM"
    assert "Globals" not in translated()  # the translation applied them to each function
    for function in resources("AWS::Lambda::Function").values():
        environment = function["Properties"]["Environment"]["Variables"]
        assert environment["API_AUTHORIZATION"] == "iam"
        assert environment["TASK_ROLES"] == "assume"
