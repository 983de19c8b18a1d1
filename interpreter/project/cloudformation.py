"""A CloudFormation (and SAM) template, read locally: parameters, conditions and intrinsics.

:class:`Template` resolves the values a local run needs — a state machine's definition and its
``DefinitionSubstitutions``, a function's environment — the way CloudFormation would when it
creates the stack: ``Ref`` (parameters, pseudo parameters, resources), ``Fn::GetAtt``,
``Fn::Sub``, ``Fn::Join``, ``Fn::If`` with the template's ``Conditions``, ``Fn::Select``,
``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs``, ``Fn::ToJsonString`` and
``Fn::Length``. Nothing is resolved until asked for, so an unrelated resource cannot stop a run.

Resources have no physical ids until they are created; locally they get stable ones:
``<stack>-<LogicalId>`` for functions, queues, tables, topics, buckets..., the logical id for
state machines (as AWS's console shows them), and ARNs built from those with the run's region
and account. A value no local run can know (``Fn::ImportValue``, an SSM-typed parameter, a
parameter with no default) is an error that names it and where it is used.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from interpreter.json_types import JSON
from interpreter.project.errors import ProjectError

#: Removes the enclosing key or list item (``!Ref AWS::NoValue``).
NO_VALUE: Final = object()


class TemplateError(ProjectError):
    """A template value that cannot be resolved locally; the message says what and where."""


@dataclass(frozen=True, slots=True)
class StackSettings:
    """What CloudFormation would know about the stack: pseudo parameters and parameter values."""

    region: str = "us-east-1"
    account: str = "123456789012"
    stack_name: str = "sam-app"
    #: ``--parameter-overrides``: parameter values that replace the defaults.
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        """``aws``, ``aws-cn`` or ``aws-us-gov``, from the region."""
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def url_suffix(self) -> str:
        """``amazonaws.com`` (``amazonaws.com.cn`` in China)."""
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


# ------------------------------------------------------------------ resource identities


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a resource type names itself: its name property, Ref, and ARN."""

    service: str
    #: The property that sets the physical name (None: generated only).
    name_property: str | None
    #: ``name``, ``arn`` or ``url``: what ``Ref`` returns.
    ref: str = "name"
    #: The ARN's resource part, ``{name}`` filled in; None for ``<type>/{name}``.
    arn: str | None = None
    #: Global resources have no region in their ARN; some have no account either.
    regional: bool = True
    with_account: bool = True
    lowercase: bool = False


_KINDS: Final[Mapping[str, _Kind]] = {
    "AWS::Serverless::Function": _Kind("lambda", "FunctionName", arn="function:{name}"),
    "AWS::Lambda::Function": _Kind("lambda", "FunctionName", arn="function:{name}"),
    "AWS::Serverless::StateMachine": _Kind("states", "Name", "arn", "stateMachine:{name}"),
    "AWS::StepFunctions::StateMachine": _Kind(
        "states", "StateMachineName", "arn", "stateMachine:{name}"
    ),
    "AWS::StepFunctions::Activity": _Kind("states", "Name", "arn", "activity:{name}"),
    "AWS::SQS::Queue": _Kind("sqs", "QueueName", "url", "{name}"),
    "AWS::SNS::Topic": _Kind("sns", "TopicName", "arn", "{name}"),
    "AWS::DynamoDB::Table": _Kind("dynamodb", "TableName", arn="table/{name}"),
    "AWS::DynamoDB::GlobalTable": _Kind("dynamodb", "TableName", arn="table/{name}"),
    "AWS::Serverless::SimpleTable": _Kind("dynamodb", "TableName", arn="table/{name}"),
    "AWS::S3::Bucket": _Kind(
        "s3", "BucketName", arn="{name}", regional=False, with_account=False, lowercase=True
    ),
    "AWS::IAM::Role": _Kind("iam", "RoleName", arn="role/{name}", regional=False),
    "AWS::IAM::ManagedPolicy": _Kind(
        "iam", "ManagedPolicyName", "arn", "policy/{name}", regional=False
    ),
    "AWS::Events::EventBus": _Kind("events", "Name", arn="event-bus/{name}"),
    "AWS::Events::Rule": _Kind("events", "Name", "arn", "rule/{name}"),
    "AWS::Events::Connection": _Kind("events", "Name", arn="connection/{name}"),
    "AWS::Events::ApiDestination": _Kind("events", "Name", arn="api-destination/{name}"),
    "AWS::Logs::LogGroup": _Kind("logs", "LogGroupName", arn="log-group:{name}:*"),
    "AWS::SecretsManager::Secret": _Kind("secretsmanager", "Name", "arn", "secret:{name}"),
    "AWS::SSM::Parameter": _Kind("ssm", "Name", arn="parameter/{name}"),
    "AWS::Glue::Job": _Kind("glue", "Name", arn="job/{name}"),
    "AWS::Glue::Crawler": _Kind("glue", "Name", arn="crawler/{name}"),
    "AWS::DataBrew::Job": _Kind("databrew", "Name", arn="job/{name}"),
    "AWS::ECS::Cluster": _Kind("ecs", "ClusterName", arn="cluster/{name}"),
    "AWS::ECS::TaskDefinition": _Kind("ecs", "Family", "arn", "task-definition/{name}:1"),
    "AWS::ECS::Service": _Kind("ecs", "ServiceName", "arn", "service/{name}"),
    "AWS::Batch::JobQueue": _Kind("batch", "JobQueueName", "arn", "job-queue/{name}"),
    "AWS::Batch::JobDefinition": _Kind(
        "batch", "JobDefinitionName", "arn", "job-definition/{name}:1"
    ),
    "AWS::Batch::ComputeEnvironment": _Kind(
        "batch", "ComputeEnvironmentName", "arn", "compute-environment/{name}"
    ),
    "AWS::CodeBuild::Project": _Kind("codebuild", "Name", arn="project/{name}"),
    "AWS::Athena::WorkGroup": _Kind("athena", "Name", arn="workgroup/{name}"),
    "AWS::EKS::Cluster": _Kind("eks", "Name", arn="cluster/{name}"),
    "AWS::EMRServerless::Application": _Kind("emr-serverless", "Name", arn="/applications/{name}"),
    "AWS::Kinesis::Stream": _Kind("kinesis", "Name", arn="stream/{name}"),
    "AWS::KMS::Key": _Kind("kms", None, arn="key/{name}"),
    "AWS::ApiGateway::RestApi": _Kind("apigateway", "Name", arn="/restapis/{name}"),
    "AWS::Serverless::Api": _Kind("apigateway", "Name", arn="/restapis/{name}"),
    "AWS::Serverless::HttpApi": _Kind("apigateway", None, arn="/apis/{name}"),
    "AWS::Serverless::LayerVersion": _Kind("lambda", "LayerName", "arn", "layer:{name}:1"),
    "AWS::Lambda::LayerVersion": _Kind("lambda", "LayerName", "arn", "layer:{name}:1"),
    "AWS::SageMaker::Model": _Kind("sagemaker", "ModelName", "arn", "model/{name}"),
}

_PSEUDO: Final = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)

_SUB_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")


def _kind_of(resource_type: str) -> _Kind:
    known = _KINDS.get(resource_type)
    if known is not None:
        return known
    # AWS::Service::Thing: ARNs look like arn:aws:service:region:account:thing/name.
    parts = resource_type.split("::")
    service = parts[1].lower() if len(parts) > 2 else "unknown"
    thing = parts[-1].lower()
    return _Kind(service, "Name", arn=f"{thing}/{{name}}")


# ------------------------------------------------------------------ the template


class Template:
    """A parsed template, with the stack settings its intrinsics resolve against."""

    def __init__(self, document: Mapping[str, Any], settings: StackSettings) -> None:
        if not isinstance(document.get("Resources"), dict):
            raise TemplateError("the template has no Resources section")
        self.document = document
        self.settings = settings
        self.resources: dict[str, dict[str, Any]] = {
            str(logical_id): resource
            for logical_id, resource in document["Resources"].items()
            if isinstance(resource, dict)
        }
        self.globals: Mapping[str, Any] = _mapping(document.get("Globals"))
        self._parameters: Mapping[str, Any] = _mapping(document.get("Parameters"))
        self._conditions: Mapping[str, Any] = _mapping(document.get("Conditions"))
        self._mappings: Mapping[str, Any] = _mapping(document.get("Mappings"))
        self._condition_values: dict[str, bool] = {}
        self._names: dict[str, str] = {}
        unknown = sorted(set(settings.parameters) - set(self._parameters))
        if unknown:
            raise TemplateError(
                f"--parameter-overrides names {', '.join(unknown)}, which the template's "
                "Parameters do not declare"
            )

    # -- resources

    def resources_of_type(self, *types: str) -> list[str]:
        """Logical ids of the resources of these types that the template's conditions create."""
        return [
            logical_id
            for logical_id, resource in self.resources.items()
            if resource.get("Type") in types and self.creates(logical_id)
        ]

    def creates(self, logical_id: str) -> bool:
        """Whether the resource exists: its ``Condition`` (if any) is true."""
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.condition(str(condition), f"Resources.{logical_id}")

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        """A resource's ``Properties`` (unresolved)."""
        return _mapping(self.resources[logical_id].get("Properties"))

    def physical_name(self, logical_id: str) -> str:
        """The resource's name: its name property when set, else a stable generated one."""
        cached = self._names.get(logical_id)
        if cached is not None:
            return cached
        resource = self.resources[logical_id]
        kind = _kind_of(str(resource.get("Type", "")))
        name: str | None = None
        if kind.name_property is not None:
            given = self.properties(logical_id).get(kind.name_property)
            if given is not None:
                value = self.resolve(
                    given, f"Resources.{logical_id}.Properties.{kind.name_property}"
                )
                name = str(value) if value is not NO_VALUE else None
        if name is None:
            if resource.get("Type") in (
                "AWS::Serverless::StateMachine",
                "AWS::StepFunctions::StateMachine",
            ):
                name = logical_id
            else:
                name = f"{self.settings.stack_name}-{logical_id}"
            if kind.lowercase:
                name = name.lower()
        self._names[logical_id] = name
        return name

    def arn(self, logical_id: str) -> str:
        """The resource's ARN."""
        kind = _kind_of(str(self.resources[logical_id].get("Type", "")))
        name = self.physical_name(logical_id)
        settings = self.settings
        region = settings.region if kind.regional else ""
        account = settings.account if kind.with_account else ""
        part = (kind.arn or "{name}").format(name=name)
        return f"arn:{settings.partition}:{kind.service}:{region}:{account}:{part}"

    def ref(self, logical_id: str) -> str:
        """What ``Ref`` returns for a resource: its name, ARN or URL by type."""
        resource_type = str(self.resources[logical_id].get("Type", ""))
        kind = _kind_of(resource_type)
        if kind.ref == "arn":
            return self.arn(logical_id)
        if kind.ref == "url":
            settings = self.settings
            return (
                f"https://sqs.{settings.region}.{settings.url_suffix}/{settings.account}/"
                f"{self.physical_name(logical_id)}"
            )
        return self.physical_name(logical_id)

    def attribute(self, logical_id: str, name: str, where: str) -> JSON:
        """``Fn::GetAtt`` of a resource."""
        if name == "Arn":
            return self.arn(logical_id)
        resource_type = str(self.resources[logical_id].get("Type", ""))
        physical = self.physical_name(logical_id)
        settings = self.settings
        simple: dict[str, Callable[[], JSON]] = {
            "Name": lambda: physical,
            "QueueName": lambda: physical,
            "TopicName": lambda: physical,
            "StateMachineName": lambda: physical,
            "QueueUrl": lambda: self.ref(logical_id),
            "TopicArn": lambda: self.arn(logical_id),
            "StreamArn": lambda: f"{self.arn(logical_id)}/stream/1970-01-01T00:00:00.000",
            "DomainName": lambda: f"{physical}.s3.{settings.url_suffix}",
            "RegionalDomainName": lambda: f"{physical}.s3.{settings.region}.{settings.url_suffix}",
            "RoleId": lambda: _stable_id(physical, "AROA"),
            "KeyId": lambda: physical,
            "RootResourceId": lambda: _stable_id(physical, "")[:10].lower(),
            "ApiEndpoint": lambda: (
                f"https://{_stable_id(physical, '')[:10].lower()}.execute-api."
                f"{settings.region}.{settings.url_suffix}"
            ),
            "Id": lambda: physical,
        }
        getter = simple.get(name)
        if getter is None:
            raise TemplateError(
                f"!GetAtt {logical_id}.{name} ({resource_type}) has no local value (at {where})"
            )
        return getter()

    # -- parameters and conditions

    def parameter(self, name: str, where: str) -> JSON:
        """A parameter's value: its override, else its default."""
        declaration = _mapping(self._parameters.get(name))
        parameter_type = str(declaration.get("Type", "String"))
        if name in self.settings.parameters:
            value: Any = self.settings.parameters[name]
        elif "Default" in declaration:
            if parameter_type.startswith("AWS::SSM::Parameter::Value"):
                raise TemplateError(
                    f"parameter {name} is read from SSM parameter {declaration['Default']} when "
                    f"the stack deploys: give its value with --parameter-overrides {name}=VALUE "
                    f"(used at {where})"
                )
            value = declaration["Default"]
        else:
            raise TemplateError(
                f"parameter {name} has no Default: give it with --parameter-overrides "
                f"{name}=VALUE (used at {where})"
            )
        allowed = declaration.get("AllowedValues")
        if isinstance(allowed, list) and str(value) not in [str(item) for item in allowed]:
            raise TemplateError(
                f"parameter {name} is {value!r}, not one of its AllowedValues {allowed}"
            )
        if parameter_type == "CommaDelimitedList" or parameter_type.startswith("List<"):
            if isinstance(value, list):
                return [str(item) for item in value]
            return [item.strip() for item in str(value).split(",")]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def condition(self, name: str, where: str) -> bool:
        """The value of a named condition of the ``Conditions`` section."""
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self._conditions:
            raise TemplateError(f"condition {name} is not in the template's Conditions ({where})")
        self._condition_values[name] = False  # a cycle reads as false, not as a hang
        value = self._truth(self._conditions[name], f"Conditions.{name}")
        self._condition_values[name] = value
        return value

    def _truth(self, expression: JSON, where: str) -> bool:
        value = self.resolve(expression, where)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise TemplateError(f"a condition must be true or false, got {value!r} (at {where})")

    def pseudo(self, name: str) -> JSON:
        """A pseudo parameter's value (``AWS::Region``...)."""
        settings = self.settings
        values: dict[str, JSON] = {
            "AWS::AccountId": settings.account,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
            "AWS::Partition": settings.partition,
            "AWS::Region": settings.region,
            "AWS::StackId": (
                f"arn:{settings.partition}:cloudformation:{settings.region}:{settings.account}:"
                f"stack/{settings.stack_name}/{uuid.uuid5(uuid.NAMESPACE_URL, settings.stack_name)}"
            ),
            "AWS::StackName": settings.stack_name,
            "AWS::URLSuffix": settings.url_suffix,
        }
        return values[name]

    # -- intrinsic functions

    def resolve(self, value: JSON, where: str) -> JSON:
        """``value`` with every intrinsic function replaced by its result (NO_VALUE removes)."""
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{index}]") for index, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), *_ = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument, f"{where}.{key}")
        resolved = {key: self.resolve(item, f"{where}.{key}") for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: JSON, where: str) -> JSON:
        name = self.resolve(name, where)
        if not isinstance(name, str):
            raise TemplateError(f"Ref takes a name, got {name!r} (at {where})")
        if name in _PSEUDO:
            return self.pseudo(name)
        if name in self._parameters:
            return self.parameter(name, where)
        if name in self.resources:
            return self.ref(name)
        raise TemplateError(f"Ref {name}: no parameter or resource of that name (at {where})")

    def _get_att(self, argument: JSON, where: str) -> JSON:
        argument = self.resolve(argument, where)
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"Fn::GetAtt takes [resource, attribute] (at {where})")
        logical_id, attribute = (str(part) for part in argument)
        if logical_id not in self.resources:
            raise TemplateError(
                f"!GetAtt {logical_id}.{attribute}: no resource {logical_id} (at {where})"
            )
        return self.attribute(logical_id, attribute, where)

    def _sub(self, argument: JSON, where: str) -> JSON:
        if isinstance(argument, list) and len(argument) == 2:
            text, variables = argument[0], self.resolve(argument[1], where)
        else:
            text, variables = argument, {}
        if not isinstance(text, str) or not isinstance(variables, dict):
            raise TemplateError(f"Fn::Sub takes a string and a map of variables (at {where})")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _text(variables[name], where)
            if "." in name and name.split(".", 1)[0] in self.resources:
                return _text(self._get_att(name, where), where)
            return _text(self._ref(name, where), where)

        return _SUB_VARIABLE.sub(replace, text)

    def _join(self, argument: JSON, where: str) -> JSON:
        argument = self.resolve(argument, where)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"Fn::Join takes [delimiter, [values]] (at {where})")
        delimiter, values = argument
        if not isinstance(values, list):
            raise TemplateError(f"Fn::Join's values must be a list (at {where})")
        return str(delimiter).join(_text(item, where) for item in values)

    def _if(self, argument: JSON, where: str) -> JSON:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"Fn::If takes [condition, if true, if false] (at {where})")
        chosen = argument[1] if self.condition(str(argument[0]), where) else argument[2]
        return self.resolve(chosen, where)

    def _equals(self, argument: JSON, where: str) -> JSON:
        argument = self.resolve(argument, where)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"Fn::Equals takes two values (at {where})")
        left, right = (json.dumps(v) if isinstance(v, (list, dict)) else str(v) for v in argument)
        return left == right

    def _and(self, argument: JSON, where: str) -> JSON:
        return all(self._truth(item, where) for item in _list(argument, "Fn::And", where))

    def _or(self, argument: JSON, where: str) -> JSON:
        return any(self._truth(item, where) for item in _list(argument, "Fn::Or", where))

    def _not(self, argument: JSON, where: str) -> JSON:
        items = _list(argument, "Fn::Not", where)
        return not self._truth(items[0], where)

    def _condition_ref(self, argument: JSON, where: str) -> JSON:
        return self.condition(str(argument), where)

    def _select(self, argument: JSON, where: str) -> JSON:
        argument = self.resolve(argument, where)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"Fn::Select takes [index, list] (at {where})")
        index, values = argument
        try:
            return values[int(index)]
        except (ValueError, TypeError, IndexError, KeyError):
            raise TemplateError(
                f"Fn::Select: no item {index!r} in {values!r} (at {where})"
            ) from None

    def _split(self, argument: JSON, where: str) -> JSON:
        argument = self.resolve(argument, where)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"Fn::Split takes [delimiter, string] (at {where})")
        return _text(argument[1], where).split(str(argument[0]))

    def _find_in_map(self, argument: JSON, where: str) -> JSON:
        argument = self.resolve(argument, where)
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            raise TemplateError(f"Fn::FindInMap takes [map, key, key] (at {where})")
        mapping, top, second = (str(part) for part in argument[:3])
        try:
            return self._mappings[mapping][top][second]
        except (KeyError, TypeError):
            if len(argument) == 4 and isinstance(argument[3], dict):
                return argument[3].get("DefaultValue")
            raise TemplateError(
                f"Fn::FindInMap: Mappings has no {mapping}.{top}.{second} (at {where})"
            ) from None

    def _base64(self, argument: JSON, where: str) -> JSON:
        return base64.b64encode(_text(self.resolve(argument, where), where).encode()).decode()

    def _get_azs(self, argument: JSON, where: str) -> JSON:
        region = self.resolve(argument, where) or self.settings.region
        return [f"{region}{zone}" for zone in "abc"]

    def _to_json_string(self, argument: JSON, where: str) -> JSON:
        return json.dumps(self.resolve(argument, where), separators=(",", ":"))

    def _length(self, argument: JSON, where: str) -> JSON:
        return len(_list(self.resolve(argument, where), "Fn::Length", where))

    def _import_value(self, argument: JSON, where: str) -> JSON:
        name = self.resolve(argument, where)
        raise TemplateError(
            f"Fn::ImportValue {name} is another stack's export, unknown to a local run (at {where})"
        )


def _unsupported(name: str) -> Callable[[Template, JSON, str], JSON]:
    def refuse(template: Template, argument: JSON, where: str) -> JSON:
        raise TemplateError(f"{name} cannot be resolved locally (at {where})")

    return refuse


_FUNCTIONS: Final[Mapping[str, Callable[[Template, JSON, str], JSON]]] = {
    "Ref": Template._ref,
    "Fn::GetAtt": Template._get_att,
    "Fn::Sub": Template._sub,
    "Fn::Join": Template._join,
    "Fn::If": Template._if,
    "Fn::Equals": Template._equals,
    "Fn::And": Template._and,
    "Fn::Or": Template._or,
    "Fn::Not": Template._not,
    "Condition": Template._condition_ref,
    "Fn::Select": Template._select,
    "Fn::Split": Template._split,
    "Fn::FindInMap": Template._find_in_map,
    "Fn::Base64": Template._base64,
    "Fn::GetAZs": Template._get_azs,
    "Fn::ToJsonString": Template._to_json_string,
    "Fn::Length": Template._length,
    "Fn::ImportValue": Template._import_value,
    "Fn::Cidr": _unsupported("Fn::Cidr"),
    "Fn::Transform": _unsupported("Fn::Transform"),
}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: JSON, function: str, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise TemplateError(f"{function} takes a list (at {where})")
    return value


def _text(value: JSON, where: str) -> str:
    if value is NO_VALUE:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"expected a string, got {value!r} (at {where})")


def _stable_id(seed: str, prefix: str) -> str:
    return prefix + uuid.uuid5(uuid.NAMESPACE_URL, seed).hex.upper()[:17]


def is_template(document: JSON) -> bool:
    """Whether a parsed document is a CloudFormation/SAM template rather than a definition."""
    return (
        isinstance(document, dict)
        and "States" not in document
        and ("Resources" in document or "AWSTemplateFormatVersion" in document)
    )
