"""The context object (``$$`` in JSONPath, ``$states.context`` in JSONata).

Its members, as the developer guide lists them ("Accessing execution data from the Context
object") and AWS's recorded context objects show them:

* ``Execution``: ``Id``, ``Input``, ``Name``, ``RoleArn``, ``StartTime``, ``RedriveCount`` (0 until
  an execution is redriven: AWS's recordings since the redrive launch show it), and
  ``RedriveTime`` only once an execution has been redriven;
* ``StateMachine``: ``Id``, ``Name``;
* ``State``: ``Name``, ``EnteredTime``, and ``RetryCount`` in the states that can retry;
* ``Task``: ``Token``, in a Task state that waits for a task token;
* ``Map``: ``Item`` with ``Index``, ``Value`` and ``Source`` while a Map state builds an
  iteration's input (``STATE_DATA`` for items from the state's input, the S3 URI of what an
  ItemReader read otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from interpreter.core.timefmt import iso_from_ms
from interpreter.json_types import JSON

#: ``$$.Map.Item.Source`` of items taken from the state's input.
STATE_DATA: Final = "STATE_DATA"
_LIST_OBJECTS_V2: Final = "listObjectsV2"


def execution_context(execution: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The constant ``Execution`` and ``StateMachine`` members for one execution."""
    execution_part: dict[str, Any] = {
        "Id": execution["arn"],
        "Input": execution["input"],
        "StartTime": iso_from_ms(execution["start_ms"]),
        "Name": execution["name"],
        "RoleArn": execution["role_arn"],
        "RedriveCount": execution.get("redrive_count", 0),
    }
    redrive_ms = execution.get("redrive_ms")
    if redrive_ms is not None:
        execution_part["RedriveTime"] = iso_from_ms(redrive_ms)
    machine_part = {"Id": execution["state_machine_arn"], "Name": execution["state_machine_name"]}
    return execution_part, machine_part


def item_source(reader_request: Mapping[str, Any] | None) -> str:
    """``$$.Map.Item.Source`` for the items of a Map whose ItemReader asked ``reader_request``
    (the evaluated ``{"Resource", "Parameters", "ReaderConfig"}``), or of one with none.

    The developer guide: ``STATE_DATA`` for the state's input; for an S3 listing whose
    Transformation is NONE, the bucket's URI (``S3://bucket``); otherwise the object's URI
    (``S3://bucket/key``).
    """
    if reader_request is None:
        return STATE_DATA
    parameters = reader_request.get("Parameters")
    parameters = parameters if isinstance(parameters, Mapping) else {}
    bucket = parameters.get("Bucket")
    resource = str(reader_request.get("Resource", ""))
    if resource.endswith(_LIST_OBJECTS_V2):
        return f"S3://{bucket}"
    return f"S3://{bucket}/{parameters.get('Key')}"


def state_context(
    execution_part: dict[str, Any],
    machine_part: dict[str, Any],
    state_name: str,
    entered_ms: int,
    retry_count: int | None,
    *,
    task_token: str | None = None,
    map_item: tuple[int, JSON] | tuple[int, JSON, str] | None = None,
) -> dict[str, Any]:
    """The whole context object as a state sees it.

    ``map_item`` is ``(index, value)`` or ``(index, value, source)``; the source defaults to
    ``STATE_DATA``.
    """
    state_part: dict[str, Any] = {"Name": state_name, "EnteredTime": iso_from_ms(entered_ms)}
    if retry_count is not None:
        state_part["RetryCount"] = retry_count
    context: dict[str, Any] = {
        "Execution": execution_part,
        "StateMachine": machine_part,
        "State": state_part,
    }
    if task_token is not None:
        context["Task"] = {"Token": task_token}
    if map_item is not None:
        context["Map"] = {"Item": map_item_context(map_item)}
    return context


def map_item_context(map_item: tuple[int, JSON] | tuple[int, JSON, str]) -> dict[str, JSON]:
    """``$$.Map.Item`` for ``(index, value[, source])``."""
    source = map_item[2] if len(map_item) > 2 else STATE_DATA
    return {"Index": map_item[0], "Value": map_item[1], "Source": source}
