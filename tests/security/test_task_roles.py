"""Tasks run as their state machine's role, never as the worker's (issue 10, part 5).

Against moto's IAM and STS with IAM enforcement on (``enable_iam_authentication``): every call
is checked against the caller's policies. The worker's own credentials are those of a role whose
policy allows ``sts:AssumeRole`` only on roles under the task-role path (its statement is read
from the translated template.yaml); a state machine's role (``roleArn``) is assumed for its
Tasks, and a Task's ``Credentials.RoleArn`` is assumed from that role. The engine's table holds
another execution's data; a Task that scans it is refused: the role it runs as has no right to
it.

moto's limits, and what the test does about them: moto compares a trust policy's principal with
the caller's ARN as a string, so the task roles trust the worker's session ARN as well as its
role ARN (AWS needs only the role); and moto checks DynamoDB permissions without their resource
(any statement naming a table is treated as not matching), so the engine's own store uses the
operator's key here — what is under test is the identity the Tasks run with.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.authorization import enable_iam_authentication
from sam_template import function_role, resolve, role_statements, translated

from interpreter.adapters.assumed_roles import AssumedRoles
from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.adapters.dynamodb_store import DynamoDbStore, table_definition
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service

REGION = "us-east-1"
ACCOUNT = "123456789012"
ENGINE_TABLE = "asl-executions"
TASK_PATH = "/asl-tasks/"
WORKER_SESSION = "asl-worker"


def _role_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def _session_arn(role_name: str, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}"


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trusting(*principals: str) -> str:
    return _document(
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    )


def _worker_policy() -> dict[str, Any]:
    """The worker's own statement for Tasks, as the translated template.yaml gives it (with
    TaskRolePath's default): assume the task roles, nothing else. (Its table and queue
    statements are not needed here: see the module docstring.)"""
    template = translated()
    path = template["Parameters"]["TaskRolePath"]["Default"]
    assert path == TASK_PATH
    names = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "TaskRolePath": path}
    (statement,) = [
        dict(statement)
        for statement in role_statements(function_role("WorkerFunction"))
        if statement["Action"] == "sts:AssumeRole"
    ]
    return {**statement, "Resource": resolve(statement["Resource"], names)}


WORKER_POLICY = _worker_policy()


class Cloud:
    """moto with the operator, the worker role, the task roles and the deployment."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="operator")
        iam.put_user_policy(
            UserName="operator",
            PolicyName="everything",
            PolicyDocument=_document({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        )
        key = iam.create_access_key(UserName="operator")["AccessKey"]
        self.operator = boto3.Session(
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            region_name=REGION,
        )
        operator_arn = f"arn:aws:iam::{ACCOUNT}:user/operator"
        iam.create_role(RoleName="asl-worker", AssumeRolePolicyDocument=_trusting(operator_arn))
        iam.put_role_policy(
            RoleName="asl-worker", PolicyName="tasks", PolicyDocument=_document(WORKER_POLICY)
        )
        worker = (_role_arn("asl-worker"), _session_arn("asl-worker", WORKER_SESSION))
        self.orders_queue = self._make_roles(iam, worker)
        enable = enable_iam_authentication()
        enable.__enter__()
        self._enforcing = enable
        # The worker process's own identity, as Lambda gives it to the function.
        own = self.operator.client("sts").assume_role(
            RoleArn=_role_arn("asl-worker"), RoleSessionName=WORKER_SESSION
        )["Credentials"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", own["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", own["SecretAccessKey"])
        monkeypatch.setenv("AWS_SESSION_TOKEN", own["SessionToken"])
        dynamodb = self.operator.client("dynamodb")
        dynamodb.create_table(**table_definition(ENGINE_TABLE))
        self.roles = AssumedRoles(region=REGION)
        self.service: StepFunctionsService = local_service(
            clock="virtual",
            store=DynamoDbStore(dynamodb, ENGINE_TABLE),
            invokers=[Boto3ServiceInvoker(callbacks=True, roles=self.roles)],
        )

    def _make_roles(self, iam: Any, worker: tuple[str, str]) -> str:
        sqs = boto3.client("sqs", region_name=REGION)
        url: str = sqs.create_queue(QueueName="orders")["QueueUrl"]
        orders_queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"
        iam.create_role(
            RoleName="orders", Path=TASK_PATH, AssumeRolePolicyDocument=_trusting(*worker)
        )
        iam.put_role_policy(
            RoleName="orders",
            PolicyName="orders",
            PolicyDocument=_document(
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": orders_queue_arn},
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Resource": _role_arn("audit", TASK_PATH),
                },
            ),
        )
        orders = (_role_arn("orders", TASK_PATH), _session_arn("orders", "asl-interpreter"))
        iam.create_role(
            RoleName="audit", Path=TASK_PATH, AssumeRolePolicyDocument=_trusting(*orders)
        )
        # A task role that trusts the worker only: no execution role may chain to it.
        iam.create_role(
            RoleName="payroll", Path=TASK_PATH, AssumeRolePolicyDocument=_trusting(*worker)
        )
        # A powerful role outside the task-role path: the worker may not assume it.
        iam.create_role(RoleName="asl-admin", AssumeRolePolicyDocument=_trusting(*worker))
        iam.put_role_policy(
            RoleName="asl-admin",
            PolicyName="everything",
            PolicyDocument=_document({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        )
        return url

    def close(self) -> None:
        self._enforcing.__exit__(None, None, None)

    def run(self, name: str, role_arn: str, states: dict[str, Any], input: Any) -> Any:
        """Create a state machine running as ``role_arn``, run it once; its description."""
        definition = {"StartAt": next(iter(states)), "States": states}
        machine = self.service.call(
            "CreateStateMachine",
            {"name": name, "definition": json.dumps(definition), "roleArn": role_arn},
        )["stateMachineArn"]
        started = self.service.call(
            "StartExecution", {"stateMachineArn": machine, "input": json.dumps(input)}
        )
        self.service.run_until_idle()
        return self.service.call("DescribeExecution", {"executionArn": started["executionArn"]})


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        made = Cloud(monkeypatch)
        try:
            yield made
        finally:
            made.close()


def _task(resource: str, parameters: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True, **more}


WHO_AM_I = "arn:aws:states:::aws-sdk:sts:getCallerIdentity"
ORDERS = _role_arn("orders", TASK_PATH)


def test_a_task_runs_as_its_state_machine_s_role_not_the_worker_s(cloud: Cloud) -> None:
    described = cloud.run("whoami", ORDERS, {"Who": _task(WHO_AM_I, {})}, {})
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    identity = json.loads(described["output"])
    assert identity["Arn"] == _session_arn("orders", "asl-interpreter")


def test_a_task_s_credentials_role_is_assumed_from_the_execution_role(cloud: Cloud) -> None:
    audit = _role_arn("audit", TASK_PATH)
    state = _task(WHO_AM_I, {}, Credentials={"RoleArn": audit})
    described = cloud.run("chained", ORDERS, {"Who": state}, {})
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    assert json.loads(described["output"])["Arn"] == _session_arn("audit", "asl-interpreter")


def test_the_role_s_own_permissions_serve_its_tasks(cloud: Cloud) -> None:
    send = _task(
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": cloud.orders_queue, "MessageBody": "order o-1"},
    )
    described = cloud.run("send", ORDERS, {"Send": send}, {})
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))


def _readable(items: list[dict[str, Any]]) -> str:
    """The scanned items as text, binary attributes (the store's compressed documents)
    inflated, so a test can see what the table holds."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return zlib.decompress(value).decode("utf-8")
        if isinstance(value, dict):
            return {key: plain(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [plain(inner) for inner in value]
        return value

    return json.dumps(plain(items))


def test_a_task_cannot_read_the_engine_s_table_or_another_execution_s_data(cloud: Cloud) -> None:
    secret = {"card": "4111-1111-1111-1111"}
    first = cloud.run("payment", ORDERS, {"Pay": {"Type": "Pass", "End": True}}, secret)
    assert first["status"] == "SUCCEEDED"
    # The engine's table holds the other execution's input (large documents compressed)...
    items = cloud.operator.client("dynamodb").scan(TableName=ENGINE_TABLE)["Items"]
    assert "4111-1111-1111-1111" in _readable(items)
    # ...and a Task that scans it, or reads the other execution's record, is refused.
    scan = _task("arn:aws:states:::aws-sdk:dynamodb:scan", {"TableName": ENGINE_TABLE})
    get = _task(
        "arn:aws:states:::dynamodb:getItem",
        {
            "TableName": ENGINE_TABLE,
            "Key": {"pk": {"S": f"EX#{first['executionArn']}"}, "sk": {"S": "STATE"}},
        },
    )
    for name, state in (("scan", scan), ("get", get)):
        described = cloud.run(f"snoop-{name}", ORDERS, {"Snoop": state}, {})
        assert described["status"] == "FAILED", described
        assert "is not authorized to perform: dynamodb:" in described["cause"]
        assert _session_arn("orders", "asl-interpreter") in described["cause"]
        history = cloud.service.call(
            "GetExecutionHistory", {"executionArn": described["executionArn"]}
        )
        assert "4111" not in json.dumps([described, history], default=str)


def test_a_role_outside_the_task_role_path_is_never_assumed(cloud: Cloud) -> None:
    admin = _role_arn("asl-admin")
    scan = _task("arn:aws:states:::aws-sdk:dynamodb:scan", {"TableName": ENGINE_TABLE})
    described = cloud.run("escalate", admin, {"Snoop": scan}, {})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.TaskFailed"
    assert f"Unable to assume the role '{admin}'" in described["cause"]
    assert "AccessDenied" in described["cause"]


def test_an_execution_role_is_assumed_once_while_its_credentials_last(cloud: Cloud) -> None:
    for attempt in range(3):
        described = cloud.run(f"again-{attempt}", ORDERS, {"Who": _task(WHO_AM_I, {})}, {})
        assert described["status"] == "SUCCEEDED"
    assert cloud.roles.assumptions == 1


def test_the_deployment_s_own_api_is_reached_only_as_a_role_the_task_can_become(
    cloud: Cloud,
) -> None:
    payroll = _role_arn("payroll", TASK_PATH)
    first = cloud.run("salaries", ORDERS, {"Pay": {"Type": "Pass", "End": True}}, {"s": 1})
    describe = _task(
        "arn:aws:states:::aws-sdk:sfn:describeExecution",
        {"ExecutionArn": first["executionArn"]},
        Credentials={"RoleArn": payroll},
    )
    described = cloud.run("borrow", ORDERS, {"Describe": describe}, {})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.TaskFailed"
    assert f"Unable to assume the role '{payroll}'" in described["cause"]


def test_test_state_runs_a_task_as_the_request_s_role(cloud: Cloud) -> None:
    tested = cloud.service.call(
        "TestState",
        {"definition": json.dumps(_task(WHO_AM_I, {})), "roleArn": ORDERS, "input": "{}"},
    )
    assert tested["status"] == "SUCCEEDED", tested
    assert json.loads(tested["output"])["Arn"] == _session_arn("orders", "asl-interpreter")
