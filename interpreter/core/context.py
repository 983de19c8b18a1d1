"""The context object (``$$`` in JSONPath, ``$states.context`` in JSONata)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interpreter.core.timefmt import iso_from_ms
from interpreter.json_types import JSON


def execution_context(execution: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The constant ``Execution`` and ``StateMachine`` members for one execution."""
    execution_part: dict[str, Any] = {
        "Id": execution["arn"],
        "Input": execution["input"],
        "StartTime": iso_from_ms(execution["start_ms"]),
        "Name": execution["name"],
        "RoleArn": execution["role_arn"],
    }
    machine_part = {"Id": execution["state_machine_arn"], "Name": execution["state_machine_name"]}
    return execution_part, machine_part


def state_context(
    execution_part: dict[str, Any],
    machine_part: dict[str, Any],
    state_name: str,
    entered_ms: int,
    retry_count: int | None,
    *,
    task_token: str | None = None,
    map_item: tuple[int, JSON] | None = None,
) -> dict[str, Any]:
    """The whole context object as a state sees it."""
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
        context["Map"] = {"Item": {"Index": map_item[0], "Value": map_item[1]}}
    return context
