"""YAML with YAML 1.2's core-schema scalars and CloudFormation's short-form tags.

PyYAML resolves plain scalars by YAML 1.1's rules, where ``Yes``, ``No``, ``on`` and ``off`` are
booleans, ``012`` is octal and ``1:30`` is 90. State machines name their states ``Yes`` and
``No`` (``Next: Yes``) and carry times such as ``"12:30"``: under YAML 1.2's core schema those are
the strings they look like. This loader keeps PyYAML's parser and replaces its resolver with the
core schema's (``null``/``~``/empty, ``true``/``false`` in three casings, decimal, ``0o`` and
``0x`` integers, floats with ``.inf``/``.nan``; every other plain scalar is a string; no
timestamps, no ``<<`` merge keys).

CloudFormation's short forms (``!Ref``, ``!Sub``, ``!GetAtt``...) become their long forms
(``{"Ref": ...}``, ``{"Fn::Sub": ...}``); ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}``.
A mapping with the same key twice is refused (YAML requires unique keys; PyYAML would keep the
last silently).
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar, Final

import yaml

from interpreter.json_types import JSON
from interpreter.project.errors import ProjectError


class YamlError(ProjectError):
    """Text that is not YAML (or repeats a key); the message names the line and column."""


_NULL: Final = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL: Final = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT: Final = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT: Final = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)

_BOOL_TAG: Final = "tag:yaml.org,2002:bool"
_INT_TAG: Final = "tag:yaml.org,2002:int"
_FLOAT_TAG: Final = "tag:yaml.org,2002:float"
_NULL_TAG: Final = "tag:yaml.org,2002:null"

#: CloudFormation's short-form tags and the long-form keys they stand for.
_SHORT_FORMS: Final = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}


class _CoreSchemaResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: the only implicit types are null, bool, int and float."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012 - PyYAML's own class-level registry


for _tag, _pattern, _first in (
    (_NULL_TAG, _NULL, ["~", "n", "N", ""]),
    (_BOOL_TAG, _BOOL, list("tTfF")),
    (_INT_TAG, _INT, list("-+0123456789")),
    (_FLOAT_TAG, _FLOAT, list("-+.0123456789")),
):
    _CoreSchemaResolver.add_implicit_resolver(_tag, _pattern, _first)


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    text: str = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text == ".nan":
        return math.nan
    return float(text)


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> bool:
    return bool(loader.construct_scalar(node).lower() == "true")


def _construct_mapping(loader: Any, node: Any) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise YamlError(f"a mapping key must be a scalar{_where(key_node)}")
        if key in mapping:
            raise YamlError(f"the key {key!r} appears twice in one mapping{_where(key_node)}")
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _construct_short_form(loader: Any, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _SHORT_FORMS.get(suffix)
    if key is None:
        raise YamlError(f"unknown tag !{suffix}{_where(node)}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = _construct_mapping(loader, node)
    return {key: value}


def _where(node: yaml.Node) -> str:
    mark = node.start_mark
    return f" (line {mark.line + 1}, column {mark.column + 1})"


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's parser when present) with the resolver above."""

    yaml_implicit_resolvers: ClassVar[Any] = _CoreSchemaResolver.yaml_implicit_resolvers
    yaml_constructors: ClassVar[Any] = dict(yaml.SafeLoader.yaml_constructors)
    yaml_multi_constructors: ClassVar[Any] = dict(yaml.SafeLoader.yaml_multi_constructors)


# The C loader's resolver is the pure-Python Resolver class, so this swap works for both.
_Loader.add_constructor(_INT_TAG, _construct_int)
_Loader.add_constructor(_FLOAT_TAG, _construct_float)
_Loader.add_constructor(_BOOL_TAG, _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_multi_constructor("!", _construct_short_form)


def load_yaml(text: str) -> JSON:
    """Parse one YAML document into JSON values (raises :class:`YamlError`)."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader with our resolver
    except YamlError:
        raise
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise YamlError(f"not YAML: {problem.problem}{where}") from None
    except (yaml.YAMLError, ValueError, RecursionError) as problem:
        raise YamlError(f"not YAML: {problem}") from None
