"""Every API request is authorized per action and resource by the caller's IAM policies
(issue 10, part 5), against moto's IAM and STS.

The callers are moto IAM users and role sessions with policies written as for AWS Step
Functions; who they are comes from STS (GetCallerIdentity with their keys: what the function
URL's IAM authentication puts in ``requestContext.authorizer.iam``), and requests go through
the API function's own path (``handlers.api``'s event parsing, then ``answer``). The authorizer
reads each caller's policies from moto's IAM. (moto has no ``iam:SimulatePrincipalPolicy``,
hence an authorizer that reads the policies and evaluates them: docs/security.md.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handlers.api import _caller
from interpreter.adapters.iam_authorizer import IamAuthorizer
from interpreter.api.authorization import Caller, permissions
from interpreter.api.server import answer
from interpreter.api.service import _ACTIONS, StepFunctionsService
from interpreter.app import local_deployment, open_service

REGION = "us-east-1"
ACCOUNT = "123456789012"
STATES = f"arn:aws:states:{REGION}:{ACCOUNT}"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/asl-tasks/orders"
PASS = {"Type": "Pass", "End": True}


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Account:
    """moto's IAM with the callers, and the deployment's API authorizing with it."""

    def __init__(self) -> None:
        self.iam = boto3.client("iam", region_name=REGION)
        self.sts = boto3.client("sts", region_name=REGION)
        self.clock = Clock()
        self.authorizer = IamAuthorizer(self.iam, account=ACCOUNT, ttl_s=60, clock=self.clock)
        self.service: StepFunctionsService = open_service(
            local_deployment(clock="virtual"), authorizer=self.authorizer
        )
        self.admin = self.user(
            "admin",
            {"Effect": "Allow", "Action": "states:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": TASK_ROLE},
        )
        self.iam.create_role(
            RoleName="orders", Path="/asl-tasks/", AssumeRolePolicyDocument=_document()
        )

    def user(self, name: str, *statements: dict[str, Any]) -> Caller:
        """An IAM user with these statements; the caller as the function URL names it."""
        self.iam.create_user(UserName=name)
        if statements:
            self.iam.put_user_policy(
                UserName=name, PolicyName="sfn", PolicyDocument=_document(*statements)
            )
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return self.identified(key["AccessKeyId"], key["SecretAccessKey"])

    def identified(self, key: str, secret: str, token: str | None = None) -> Caller:
        """Who STS says holds these keys, through the API function's event parsing."""
        sts = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )
        identity = sts.get_caller_identity()
        event = {
            "requestContext": {
                "authorizer": {
                    "iam": {
                        "accessKey": key,
                        "accountId": identity["Account"],
                        "userArn": identity["Arn"],
                        "userId": identity["UserId"],
                    }
                }
            }
        }
        caller = _caller(event)
        assert caller is not None
        return caller

    def call(self, caller: Caller | None, action: str, **request: Any) -> dict[str, Any]:
        """One request through the API function's answer: the response, or the error body."""
        body = json.dumps(request).encode()
        status, payload = answer(self.service, f"AWSStepFunctions.{action}", body, caller)
        answered: dict[str, Any] = json.loads(payload)
        answered["_status"] = status
        return answered

    def machine(self, name: str, states: dict[str, Any] | None = None) -> str:
        definition = {"StartAt": "S", "States": {"S": PASS}} if states is None else states
        created = self.call(
            self.admin,
            "CreateStateMachine",
            name=name,
            definition=json.dumps(definition),
            roleArn=TASK_ROLE,
        )
        return str(created["stateMachineArn"])

    def execution(self, machine: str, input: Any) -> str:
        started = self.call(
            self.admin, "StartExecution", stateMachineArn=machine, input=json.dumps(input)
        )
        self.service.run_until_idle()
        return str(started["executionArn"])


@pytest.fixture
def account() -> Iterator[Account]:
    with mock_aws():
        yield Account()


def denied(answer: dict[str, Any], caller: str, action: str, resource: str) -> None:
    assert answer["_status"] == 400
    assert answer["__type"] == "AccessDeniedException"
    assert answer["message"] == (
        f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def test_a_caller_may_do_what_its_policies_allow_on_the_resources_they_name(
    account: Account,
) -> None:
    orders, payroll = account.machine("orders"), account.machine("payroll")
    alice = account.user(
        "alice",
        {
            "Effect": "Allow",
            "Action": ["states:StartExecution", "states:DescribeStateMachine"],
            "Resource": f"{STATES}:stateMachine:orders",
        },
        {
            "Effect": "Allow",
            "Action": "states:DescribeExecution",
            "Resource": f"{STATES}:execution:orders:*",
        },
    )
    assert alice.arn == f"arn:aws:iam::{ACCOUNT}:user/alice"
    started = account.call(alice, "StartExecution", stateMachineArn=orders, input="{}")
    assert started["_status"] == 200
    account.service.run_until_idle()
    described = account.call(alice, "DescribeExecution", executionArn=started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    # Another state machine, another execution's data, another action: refused.
    refused = account.call(alice, "StartExecution", stateMachineArn=payroll, input="{}")
    denied(refused, alice.arn, "states:StartExecution", payroll)
    secret = account.execution(payroll, {"salary": "s3cr3t-salary"})
    refused = account.call(alice, "DescribeExecution", executionArn=secret)
    denied(refused, alice.arn, "states:DescribeExecution", secret)
    assert "s3cr3t-salary" not in json.dumps(refused)
    refused = account.call(alice, "GetExecutionHistory", executionArn=secret)
    denied(refused, alice.arn, "states:GetExecutionHistory", secret)
    refused = account.call(alice, "StopExecution", executionArn=started["executionArn"])
    denied(refused, alice.arn, "states:StopExecution", started["executionArn"])
    refused = account.call(alice, "ListStateMachines")
    denied(refused, alice.arn, "states:ListStateMachines", "*")


def test_a_role_session_is_judged_by_its_role_s_policies_and_an_explicit_deny_wins(
    account: Account,
) -> None:
    orders = account.machine("orders")
    account.iam.create_role(
        RoleName="operator",
        AssumeRolePolicyDocument=_document(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
        ),
    )
    account.iam.put_role_policy(
        RoleName="operator",
        PolicyName="sfn",
        PolicyDocument=_document(
            {"Effect": "Allow", "Action": "states:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "states:DeleteStateMachine", "Resource": "*"},
        ),
    )
    assumed = account.sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/operator", RoleSessionName="oncall"
    )["Credentials"]
    operator = account.identified(
        assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"]
    )
    assert operator.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/operator/oncall"
    listed = account.call(operator, "ListStateMachines")
    assert [m["name"] for m in listed["stateMachines"]] == ["orders"]
    refused = account.call(operator, "DeleteStateMachine", stateMachineArn=orders)
    assert refused["__type"] == "AccessDeniedException"
    assert refused["message"] == (
        f"User: {operator.arn} is not authorized to perform: states:DeleteStateMachine on "
        f"resource: {orders} with an explicit deny in an identity-based policy"
    )


def test_creating_a_state_machine_needs_iam_pass_role_on_its_role(account: Account) -> None:
    builder = account.user(
        "builder", {"Effect": "Allow", "Action": "states:CreateStateMachine", "Resource": "*"}
    )
    definition = json.dumps({"StartAt": "S", "States": {"S": PASS}})
    refused = account.call(
        builder, "CreateStateMachine", name="mine", definition=definition, roleArn=TASK_ROLE
    )
    denied(refused, builder.arn, "iam:PassRole", TASK_ROLE)
    created = account.call(
        account.admin, "CreateStateMachine", name="mine", definition=definition, roleArn=TASK_ROLE
    )
    assert created["_status"] == 200


def test_callers_without_policies_and_unauthenticated_ones_are_refused(
    account: Account,
) -> None:
    nobody = account.user("nobody")
    denied(account.call(nobody, "ListStateMachines"), nobody.arn, "states:ListStateMachines", "*")
    denied(account.call(None, "ListStateMachines"), "anonymous", "states:ListStateMachines", "*")
    stranger = Caller("arn:aws:iam::999999999999:user/admin", "999999999999")
    refused = account.call(stranger, "ListStateMachines")
    denied(refused, stranger.arn, "states:ListStateMachines", "*")


def test_policies_are_read_once_per_caller_while_fresh_and_changes_apply_after(
    account: Account,
) -> None:
    carol = account.user(
        "carol", {"Effect": "Allow", "Action": "states:ListStateMachines", "Resource": "*"}
    )
    reads = account.authorizer.reads
    for _ in range(3):
        assert account.call(carol, "ListStateMachines")["_status"] == 200
    assert account.authorizer.reads == reads + 1
    account.iam.delete_user_policy(UserName="carol", PolicyName="sfn")
    assert account.call(carol, "ListStateMachines")["_status"] == 200  # still cached
    account.clock.now += 61
    denied(account.call(carol, "ListStateMachines"), carol.arn, "states:ListStateMachines", "*")


def test_a_task_reaching_the_deployment_s_own_api_needs_its_role_s_permissions(
    account: Account,
) -> None:
    payroll = account.machine("payroll")
    secret = account.execution(payroll, {"salary": "s3cr3t-salary"})
    snoop = {
        "StartAt": "Snoop",
        "States": {
            "Snoop": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
                "Parameters": {"ExecutionArn": secret},
                "End": True,
            }
        },
    }
    snooping = account.execution(account.machine("snoop", snoop), {})
    described = account.call(account.admin, "DescribeExecution", executionArn=snooping)
    assert described["status"] == "FAILED"
    # AccessDeniedException is not in the SDK's model of Step Functions: the SDK integration
    # names it after the service, as it names every unmodelled error.
    assert described["error"] == "Sfn.SfnException"
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/orders/asl-interpreter"
    assert (
        f"User: {session} is not authorized to perform: states:DescribeExecution"
        in (described["cause"])
    )
    assert "s3cr3t-salary" not in json.dumps(described)
    # The same Task, once its role may describe payroll's executions, reads it.
    account.iam.put_role_policy(
        RoleName="orders",
        PolicyName="payroll",
        PolicyDocument=_document(
            {
                "Effect": "Allow",
                "Action": "states:DescribeExecution",
                "Resource": f"{STATES}:execution:payroll:*",
            }
        ),
    )
    account.clock.now += 61
    allowed = account.execution(account.machine("reader", snoop), {})
    described = account.call(account.admin, "DescribeExecution", executionArn=allowed)
    assert described["status"] == "SUCCEEDED"
    assert "s3cr3t-salary" in described["output"]


def test_every_action_names_its_resource() -> None:
    names = {
        "CreateStateMachine": {"name": "m", "roleArn": TASK_ROLE},
        "CreateActivity": {"name": "a"},
        "CreateStateMachineAlias": {
            "name": "live",
            "routingConfiguration": [
                {"stateMachineVersionArn": f"{STATES}:stateMachine:m:3", "weight": 100}
            ],
        },
    }
    arn = f"{STATES}:stateMachine:m"
    members = {
        member: arn
        for member in (
            "stateMachineArn",
            "stateMachineVersionArn",
            "stateMachineAliasArn",
            "executionArn",
            "mapRunArn",
            "activityArn",
            "resourceArn",
        )
    }
    anywhere = {"ListStateMachines", "ListActivities", "ValidateStateMachineDefinition"}
    anywhere |= {"TestState"}
    for action in sorted(_ACTIONS):
        request = names.get(action, {**members, "taskToken": "t"})
        needed = permissions(
            action, request, region=REGION, account=ACCOUNT, token_resource=lambda t: f"<{t}>"
        )
        assert needed[0].action == f"states:{action}"
        resource = needed[0].resource
        assert (resource == "*") == (action in anywhere), action
    create = permissions(
        "CreateStateMachine",
        names["CreateStateMachine"],
        region=REGION,
        account=ACCOUNT,
        token_resource=str,
    )
    assert [(p.action, p.resource) for p in create] == [
        ("states:CreateStateMachine", arn),
        ("iam:PassRole", TASK_ROLE),
    ]
    alias = permissions(
        "CreateStateMachineAlias",
        names["CreateStateMachineAlias"],
        region=REGION,
        account=ACCOUNT,
        token_resource=str,
    )
    assert alias[0].resource == f"{arn}:live"


def test_a_condition_on_the_principal_s_arn_sees_the_role_s_path(account: Account) -> None:
    account.iam.create_role(
        RoleName="deployer",
        Path="/teams/ops/",
        AssumeRolePolicyDocument=_document(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
        ),
    )
    account.iam.put_role_policy(
        RoleName="deployer",
        PolicyName="sfn",
        PolicyDocument=_document(
            {
                "Effect": "Allow",
                "Action": "states:ListStateMachines",
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/teams/ops/*"}
                },
            }
        ),
    )
    assumed = account.sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/teams/ops/deployer", RoleSessionName="ci"
    )["Credentials"]
    deployer = account.identified(
        assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"]
    )
    assert account.call(deployer, "ListStateMachines")["_status"] == 200
