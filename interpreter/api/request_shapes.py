"""Requests checked against the Step Functions API model, before any action runs.

The model is botocore's (the one the SDKs are generated from), so required members, member types
and enumerations are AWS's own. Refusals take AWS's forms:

* a member of the wrong JSON type: ``SerializationException`` (the service cannot deserialise
  the request);
* a required member missing, or a value outside its enumeration: ``ValidationException`` with
  the service's "N validation error(s) detected: ..." message, for example
  ``Value null at 'roleArn' failed to satisfy constraint: Member must not be null``.

Length and pattern constraints stay with the actions, which word them as AWS does for each
member (``InvalidName``, ``InvalidArn``...).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from interpreter.api.errors import StepFunctionsError, api_error

# The JSON types a member of each model type may arrive as.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
}


@functools.cache
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("stepfunctions")


def _type_ok(value: Any, type_name: str) -> bool:
    allowed = _JSON_TYPES.get(type_name)
    if allowed is None:
        return True
    if isinstance(value, bool) and bool not in allowed:
        return False  # JSON true is not a number
    return isinstance(value, allowed)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _validation_message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)


def check_request(action: str, request: Mapping[str, Any]) -> None:
    """Refuse ``request`` for ``action`` as the service would, or return (see module docs)."""
    try:
        shape = _service_model().operation_model(action).input_shape
    except Exception:  # an action the model does not know: nothing to check against
        return
    if shape is None:
        return
    members = shape.members
    for name, value in request.items():
        member = members.get(name)
        if member is not None and value is not None and not _type_ok(value, member.type_name):
            raise api_error(
                "SerializationException",
                f"Unexpected value type for member '{name}': expected {member.type_name}",
            )
    problems = [
        f"Value null at '{name}' failed to satisfy constraint: Member must not be null"
        for name in shape.required_members
        if request.get(name) is None
    ]
    for name, value in request.items():
        member = members.get(name)
        enum = member.enum if member is not None and member.type_name == "string" else None
        if enum and value is not None and value not in enum:
            problems.append(
                f"Value '{_shown(value)}' at '{name}' failed to satisfy constraint: Member must "
                f"satisfy enum value set: [{', '.join(enum)}]"
            )
    if problems:
        raise api_error("ValidationException", _validation_message(problems))


def missing_members(names: list[str]) -> StepFunctionsError:
    """The refusal of a request that lacks members an action cannot do without."""
    return api_error(
        "ValidationException",
        _validation_message(
            [
                f"Value null at '{name}' failed to satisfy constraint: Member must not be null"
                for name in names
            ]
        ),
    )
