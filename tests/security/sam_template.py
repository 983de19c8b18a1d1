"""template.yaml as CloudFormation receives it: translated offline by the SAM translator (what
``sam deploy`` runs in the cloud), for the tests that read its IAM policies."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


class _NoManagedPolicies:
    """The translator's managed-policy loader, offline: the template names no managed policy
    by name (a translation that needed one would fail on the missing name)."""

    def load(self) -> dict[str, str]:
        return {}


@functools.cache
def _translated() -> dict[str, Any]:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    # What `sam package` does before the transform: the code is uploaded, its URI replaces the
    # local path.
    template["Globals"]["Function"]["CodeUri"] = "s3://code-bucket/asl.zip"
    region = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"  # the translator asks boto3 for a region
    try:
        translated: dict[str, Any] = transform(template, {}, _NoManagedPolicies())
    finally:
        if region is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = region
    return translated


def translated() -> dict[str, Any]:
    """The translated template (a fresh copy)."""
    import copy

    return copy.deepcopy(_translated())


def resources(kind: str) -> dict[str, dict[str, Any]]:
    """The translated template's resources of one type, by logical id."""
    return {
        name: resource
        for name, resource in translated()["Resources"].items()
        if resource["Type"] == kind
    }


def listed(value: Any) -> list[Any]:
    """A policy element as a list (IAM takes a single value or a list)."""
    return value if isinstance(value, list) else [value]


def identity_statements() -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every statement of every identity policy: ``(role logical id, statement)``."""
    for name, role in resources("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in listed(policy["PolicyDocument"]["Statement"]):
                yield name, statement
    for kind in ("AWS::IAM::RolePolicy", "AWS::IAM::Policy"):
        for policy in resources(kind).values():
            properties = policy["Properties"]
            roles = [properties["RoleName"]] if "RoleName" in properties else properties["Roles"]
            for role in roles:
                for statement in listed(properties["PolicyDocument"]["Statement"]):
                    yield role["Ref"], statement


def role_statements(role: str) -> list[Mapping[str, Any]]:
    """The identity statements of one role (by logical id)."""
    return [statement for name, statement in identity_statements() if name == role]


def function_role(function: str) -> str:
    """The logical id of a function's role."""
    role = translated()["Resources"][function]["Properties"]["Role"]
    return str(role["Fn::GetAtt"][0])


def resolve(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` filled from ``names`` (logical ids,
    ``Id.Attribute``, parameters and pseudo parameters)."""
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return names[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        return names[".".join(value["Fn::GetAtt"])]
    if set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda found: names[found.group(1)], value["Fn::Sub"])
    return {key: resolve(item, names) for key, item in value.items()}
