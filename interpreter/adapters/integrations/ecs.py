"""Amazon ECS / Fargate: ``ecs:runTask`` (``.sync``: until every task STOPPED; it succeeds when
each container exited with 0, and returns the task as DescribeTasks describes it, as AWS's
recorded run shows; ``.waitForTaskToken``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import ALL, Action, Poll, Service, dig
from interpreter.json_types import JSON


def _describe(submitted: Mapping[str, JSON], request: Mapping[str, Any]) -> dict[str, Any]:
    tasks = submitted.get("Tasks")
    arns = (
        [task["TaskArn"] for task in tasks if isinstance(task, dict)]
        if isinstance(tasks, list)
        else []
    )
    arguments: dict[str, Any] = {"tasks": arns}
    if request.get("cluster") is not None:
        arguments["cluster"] = request["cluster"]
    return arguments


def _status(described: Mapping[str, JSON]) -> str:
    """SUCCEEDED, FAILED, or RUNNING while a task has not stopped."""
    tasks = described.get("Tasks")
    if not isinstance(tasks, list) or not tasks:
        return "FAILED"
    if any(task.get("LastStatus") != "STOPPED" for task in tasks):
        return "RUNNING"
    exit_codes = [
        container.get("ExitCode") for task in tasks for container in task.get("Containers") or []
    ]
    return "SUCCEEDED" if exit_codes and all(code == 0 for code in exit_codes) else "FAILED"


ECS = Service(
    resource_type="ecs",
    boto_service="ecs",
    naming=ErrorNaming("ECS", "AmazonECSException"),
    label="AmazonECS",
    java_v1=True,
    actions={
        "runTask": Action(
            "RunTask",
            ALL,
            poll=Poll(
                "DescribeTasks",
                arguments=_describe,
                status=_status,
                succeeded=frozenset({"SUCCEEDED"}),
                failed=frozenset({"FAILED"}),
                output=lambda described, submitted: dig(described, "Tasks", 0),
            ),
        )
    },
)
