"""The ASL JSON Schema (``schemas/asl.schema.json``) and its errors worded as AWS words them.

The schema file describes a whole definition. The validator applies its ``$defs`` one object at a
time (the machine's own fields, then each state against its type's definition), because that is
10x faster than letting jsonschema dispatch on ``Type`` and it never descends into nested state
machines, so nesting depth cannot exhaust Python's stack here. Validators are compiled once per
process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from interpreter.definition.diagnostics import SCHEMA_VALIDATION_FAILED, Diagnostic, error
from interpreter.definition.locations import join_location

#: State types in the order AWS lists them in its messages.
STATE_TYPES: Final = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")

#: The definition each state type is checked against (containers without their nested machines).
STATE_DEFINITIONS: Final[Mapping[str, str]] = {
    "Task": "TaskState",
    "Wait": "WaitState",
    "Pass": "PassState",
    "Succeed": "SucceedState",
    "Fail": "FailState",
    "Choice": "ChoiceState",
    "Parallel": "ParallelStateFields",
    "Map": "MapStateFields",
}

_JSONATA_PATTERN: Final = "^\\{%[\\s\\S]*%\\}$"

_TYPE_WORDS: Final[Mapping[str, str]] = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


@functools.cache
def load_schema() -> dict[str, Any]:
    """The parsed ``asl.schema.json`` shipped in the ``interpreter.schemas`` package."""
    text = resources.files("interpreter.schemas").joinpath("asl.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _root_validator() -> Validator:
    # The schema itself is checked against the 2020-12 meta-schema by the test suite, not here:
    # that check costs more than a cold start should (the engine runs inside Lambda).
    return Draft202012Validator(load_schema())


@functools.cache
def validator_for(definition: str) -> Validator:
    """A compiled validator for ``#/$defs/<definition>`` that resolves refs in the whole schema."""
    root = _root_validator()
    return root.evolve(schema=_inline_references(definition))


_ANNOTATIONS: Final = frozenset({"description", "title", "$comment"})


def _inline_references(definition: str) -> dict[str, Any]:
    """``#/$defs/<definition>`` with its local ``$ref`` replaced by what they point to.

    jsonschema resolves a ``$ref`` on every visit, which was two thirds of the validation time;
    resolving them once here leaves only the recursive ones (a Choice rule inside ``Not``).
    The recursion is over the schema file, never over a definition being validated.
    """
    defs = load_schema()["$defs"]

    def inline(node: Any, expanding: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [inline(entry, expanding) for entry in node]
        if not isinstance(node, dict):
            return node
        resolved = {key: inline(value, expanding) for key, value in node.items() if key != "$ref"}
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return resolved
        name = ref.removeprefix("#/$defs/")
        if name in expanding or name not in defs:
            resolved["$ref"] = ref
            return resolved
        target = inline(defs[name], expanding | {name})
        if not set(resolved) - _ANNOTATIONS:
            return target
        resolved["allOf"] = [*resolved.get("allOf", []), target]
        return resolved

    inlined: dict[str, Any] = inline(defs[definition], frozenset({definition}))
    return inlined


def schema_diagnostics(definition: str, instance: Any, location: str) -> Iterator[Diagnostic]:
    """Check ``instance`` against ``#/$defs/<definition>``; AWS-worded errors located under
    ``location`` (the pointer of ``instance`` itself)."""
    # jsonschema reports a missing required field once per field, each error carrying the
    # whole list; translating each would repeat them, so identical diagnostics are kept once.
    seen: set[Diagnostic] = set()
    for schema_error in validator_for(definition).iter_errors(instance):
        for diagnostic in _translate(schema_error, location):
            if diagnostic not in seen:
                seen.add(diagnostic)
                yield diagnostic


def _translate(schema_error: ValidationError, base: str) -> Iterator[Diagnostic]:
    path = list(schema_error.absolute_path)
    location = join_location(base, path)
    field = _field_name(path) or base.rsplit("/", 1)[-1]
    keyword = schema_error.validator
    # jsonschema types these as "value or Unset"; an error from iter_errors always has them.
    value: Any = schema_error.validator_value
    instance: Any = schema_error.instance
    schema = schema_error.schema if isinstance(schema_error.schema, dict) else {}

    if keyword == "not" and value == {}:
        # A field the object's definition forbids outright ("Next" inside a nested Choice rule).
        yield _failed(f"Field '{field}' is not supported", join_location(base, path[:-1]))
    elif keyword == "required":
        present = instance if isinstance(instance, dict) else {}
        for name in value:
            if name not in present:
                yield _failed(f"The field '{name}' is required but was missing", location)
    elif keyword in ("additionalProperties", "unevaluatedProperties"):
        allowed = _known_properties(schema)
        for name in instance if isinstance(instance, dict) else ():
            if name not in allowed:
                yield _failed(f"Field '{name}' is not supported", location)
    elif keyword == "anyOf" and all(set(branch) == {"required"} for branch in value):
        # "one of these fields is required" (Credentials' RoleArn or RoleArn.$): AWS names the
        # first spelling.
        yield _failed(
            f"The field '{value[0]['required'][0]}' is required but was missing", location
        )
    elif keyword in ("enum", "const"):
        options = value if keyword == "enum" else [value]
        listed = ", ".join(str(option) for option in options)
        yield _failed(f"The field '{field}' should have one of these values: [{listed}]", location)
    elif keyword == "type":
        yield _failed(
            f"The value for the field '{field}' must be {_describe_type(schema)}", location
        )
    elif keyword in ("minItems", "minLength", "minProperties") and value == 1:
        yield _failed("Value cannot be empty", location)
    elif keyword == "minimum":
        yield _failed(
            f"The value for the field '{field}' must be greater than or equal to {value}", location
        )
    elif keyword == "exclusiveMinimum":
        yield _failed(f"The value for the field '{field}' must be greater than {value}", location)
    elif keyword == "maximum":
        yield _failed(
            f"The value for the field '{field}' must be less than or equal to {value}", location
        )
    elif keyword == "pattern" and value == _JSONATA_PATTERN:
        yield _failed(
            f"The value for the field '{field}' must be {_describe_type(schema)}", location
        )
    else:
        yield _failed(
            f"The value for the field '{field}' is not valid: {schema_error.message}", location
        )


def _failed(message: str, location: str) -> Diagnostic:
    return error(SCHEMA_VALIDATION_FAILED, message, location or "/")


def _field_name(path: list[str | int]) -> str:
    """The name of the field an error is about: the last key, skipping array indices."""
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return ""


def _describe_type(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type", [])
    types = [declared] if isinstance(declared, str) else list(declared)
    words = []
    for name in types:
        if name == "string" and schema.get("pattern") == _JSONATA_PATTERN:
            words.append("a JSONata expression")
        elif name == "integer" and "minimum" in schema:
            qualifier = "positive" if schema["minimum"] == 1 else "non-negative"
            words.append(f"a {qualifier} integer")
        else:
            words.append(_TYPE_WORDS.get(name, name))
    return " or ".join(words) if words else "valid"


def _known_properties(schema: Mapping[str, Any]) -> set[str]:
    """Property names a schema object evaluates, following local ``$ref`` and ``allOf``."""
    names: set[str] = set()
    pending: list[Mapping[str, Any]] = [schema]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        names.update(current.get("properties", {}))
        ref = current.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            pending.append(load_schema()["$defs"][ref.removeprefix("#/$defs/")])
        pending.extend(current.get("allOf", []))
    return names
