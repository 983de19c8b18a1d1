"""AWS services for conformance cases: moto, the recording's fixtures, and our own Step Functions.

A case that needs services (``needs_services`` beyond Lambda) runs inside moto's ``mock_aws``
with :class:`~interpreter.adapters.aws_services.Boto3ServiceInvoker` as the engine's task
invoker. Every request carries the case's account (moto's ``x-moto-account-id`` header), so
ARNs and queue URLs name 111111111111 as the recording did. Step Functions as a service
(``states:*``, ``aws-sdk:sfn:*``) is our own engine in-process
(:class:`~interpreter.adapters.local_sfn.LocalStepFunctions`), not moto's.

Fixtures are created from what the case records, never from its expected result:

* ``resources`` placeholders, by the harness function that created them (``created_by``):
  ``s3_create_bucket`` (a bucket with S3's default SSE-S3 encryption, which AWS applies to
  every new bucket), ``sqs_create_queue``, ``sns_create_topic`` (with the recorded name and
  attributes), ``events_to_sqs_queue`` (a queue and an EventBridge rule with the recorded event
  pattern that targets it; the placeholder is the queue URL);
* DynamoDB tables the input names: an object with a ``TableName`` and a typed ``Key`` names a
  table the recording created with that key (first attribute the partition key, second the
  sort key); a table named without a key was not created (the recording's "no such table"
  cases give no key);
* state machines the input names with the harness's naming for the machines it created
  (``statemachine_create_and_record_execution_<n>``): their definition was not recorded, so
  they are registered as a one-Pass-state machine. Only a case whose result does not depend
  on the child's definition (a request-response ``startExecution``) can pass with it.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto import mock_aws

from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.adapters.local_sfn import ChildOutcome, ExecutionRequest, LocalStepFunctions
from interpreter.app import local_runner
from interpreter.definition.compiler import compile_state_machine

#: The machines the recording harness created are named like this (with their account/region).
_HARNESS_MACHINE = re.compile(
    r"arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:statemachine_create_and_record_execution_\d+"
)
_PASS_MACHINE = {"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "End": True}}}
_ATTRIBUTE_TYPES = ("S", "N", "B")
#: Harness functions whose fixture can be created from defaults alone.
_DEFAULT_FIXTURES = frozenset(
    {"s3_create_bucket", "sqs_create_queue", "sns_create_topic", "events_to_sqs_queue"}
)


class MotoClientFactory:
    """boto3 clients for moto, each request stamped with an account id."""

    def __init__(self, account: str) -> None:
        self.account = account

    def __call__(self, service_name: str, region: str, role_arn: str | None = None) -> Any:
        """A client whose requests moto attributes to the role's account (or the default)."""
        account = self.account
        if role_arn is not None and role_arn.count(":") >= 5:
            account = role_arn.split(":")[4] or account
        client = boto3.client(
            service_name,  # type: ignore[call-overload]
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

        def stamp(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign", stamp)
        return client


@dataclass
class Services:
    """The emulated AWS of one case run."""

    region: str
    account: str
    clients: MotoClientFactory
    step_functions: LocalStepFunctions
    invoker: Boto3ServiceInvoker
    placeholders: dict[str, str] = field(default_factory=dict)

    def client(self, service_name: str) -> Any:
        """A client for the case's region and account."""
        return self.clients(service_name, self.region)

    def prepare(self, definition: Any, execution_input: Any) -> None:
        """Create the tables and state machines the (substituted) definition and input name."""
        for table, key in _tables_named(execution_input):
            _create_table(self.client("dynamodb"), table, key)
        text = json.dumps([definition, execution_input])
        for arn in sorted(set(_HARNESS_MACHINE.findall(text))):
            name = arn.rsplit(":", 1)[1]
            self.step_functions.register(name, compile_state_machine(_PASS_MACHINE))


def _walk(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _tables_named(execution_input: Any) -> list[tuple[str, dict[str, Any]]]:
    tables = []
    for document in _walk(execution_input):
        table, key = document.get("TableName"), document.get("Key")
        if isinstance(table, str) and isinstance(key, dict) and key:
            tables.append((table, key))
    return tables


def _create_table(dynamodb: Any, table: str, key: Mapping[str, Any]) -> None:
    schema, definitions = [], []
    for position, (name, typed) in enumerate(list(key.items())[:2]):
        kind = next((t for t in _ATTRIBUTE_TYPES if isinstance(typed, dict) and t in typed), "S")
        schema.append({"AttributeName": name, "KeyType": "HASH" if position == 0 else "RANGE"})
        definitions.append({"AttributeName": name, "AttributeType": kind})
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(
            TableName=table,
            KeySchema=schema,
            AttributeDefinitions=definitions,
            BillingMode="PAY_PER_REQUEST",
        )


def _label_name(label: str) -> str:
    """A bucket/queue/topic name derived from a placeholder label (``s3_create_bucket#1``)."""
    return re.sub(r"[^a-z0-9-]+", "-", label.split(".")[0].lower()).strip("-")


def _create_fixture(services: Services, resource: Mapping[str, Any]) -> str | None:
    created = resource.get("created_by") or {}
    callee = created.get("callee")
    args = created.get("args") or []
    kwargs = dict(created.get("kwargs") or {})
    name = _label_name(str(resource.get("label", "fixture")))
    if callee == "s3_create_bucket":
        s3 = services.client("s3")
        bucket = kwargs.get("Bucket", name)
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        return str(bucket)
    if callee == "sqs_create_queue":
        kwargs.setdefault("QueueName", name)
        return str(services.client("sqs").create_queue(**kwargs)["QueueUrl"])
    if callee == "sns_create_topic":
        kwargs.setdefault("Name", name)
        return str(services.client("sns").create_topic(**kwargs)["TopicArn"])
    if callee == "events_to_sqs_queue":
        sqs = services.client("sqs")
        queue_url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
        if args:  # the event pattern; without it there is no rule to recreate
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
            events = services.client("events")
            events.put_rule(Name=f"{name}-rule", EventPattern=json.dumps(args[0]))
            events.put_targets(
                Rule=f"{name}-rule",
                Targets=[{"Id": "queue", "Arn": attributes["Attributes"]["QueueArn"]}],
            )
        return queue_url
    return None


ExecuteChild = Callable[[ExecutionRequest], ChildOutcome]


@contextlib.contextmanager
def emulated_aws(
    case: Mapping[str, Any], lambdas: Mapping[str, Callable[[Any, Any], Any]]
) -> Iterator[Services]:
    """moto for the duration of one case, with the case's fixtures created."""
    context = case.get("run_context") or {}
    region = context.get("region", "us-east-1")
    account = context.get("account", "111111111111")
    with warnings.catch_warnings(), mock_aws():
        # moto warns where AWS would reject a request (e.g. an EventBridge Detail that is not
        # an object); the comparison with AWS's recorded result is what judges that.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"moto(\.|$)")
        clients = MotoClientFactory(account)
        holder: dict[str, Boto3ServiceInvoker] = {}

        def execute(request: ExecutionRequest) -> ChildOutcome:
            runner = local_runner(
                lambdas=lambdas,
                clock="virtual",
                region=region,
                account=account,
                start_ms=request.start_ms,
                invokers=[holder["invoker"]],
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

        step_functions = LocalStepFunctions(execute, region=region, account=account)
        invoker = Boto3ServiceInvoker(clients, step_functions=step_functions)
        holder["invoker"] = invoker
        services = Services(region, account, clients, step_functions, invoker)
        for placeholder, resource in _fixtures(case).items():
            value = _create_fixture(services, resource)
            if value is not None:
                services.placeholders[placeholder] = value
        yield services


_PATTERN_PLACEHOLDER = re.compile(r"\$\{((\w+)#\d+)\.pattern\}")


def _fixtures(case: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The fixtures the recording created: its ``resources`` placeholders, and fixtures that only
    its transformers name (``${sqs_create_queue#1.pattern}``: the harness created the fixture but
    the case does not use it), created with the harness function's defaults."""
    fixtures: dict[str, Mapping[str, Any]] = {
        placeholder: resource
        for placeholder, resource in (case.get("resources") or {}).items()
        if isinstance(resource, dict) and resource.get("type") == "fixture/api placeholder"
    }
    for transformer in (case.get("compare") or {}).get("transformers", []):
        match = _PATTERN_PLACEHOLDER.fullmatch(str(transformer.get("pattern", "")))
        if match is None:
            continue
        label, callee = match.group(1), match.group(2)
        if "${" + label + "}" not in fixtures and callee in _DEFAULT_FIXTURES:
            fixtures["${" + label + "}"] = {"label": label, "created_by": {"callee": callee}}
    return fixtures
