"""AWS CodeBuild: builds and build batches.

``startBuild.sync`` waits on BatchGetBuilds until the build SUCCEEDED (the output is
``{"Build": ...}``) or FAILED/FAULT/TIMED_OUT/STOPPED; ``startBuildBatch.sync`` and
``retryBuildBatch.sync`` wait likewise on BatchGetBuildBatches (``{"BuildBatch": ...}``).
"""

from __future__ import annotations

from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import RR, RR_SYNC, Action, Poll, Service, dig

_ENDED_BADLY = frozenset({"FAILED", "FAULT", "TIMED_OUT", "STOPPED"})

_BUILD = Poll(
    "BatchGetBuilds",
    arguments=lambda submitted, request: {"ids": [dig(submitted, "Build", "Id")]},
    status=lambda described: dig(described, "Builds", 0, "BuildStatus"),
    succeeded=frozenset({"SUCCEEDED"}),
    failed=_ENDED_BADLY,
    output=lambda described, submitted: {"Build": dig(described, "Builds", 0)},
)

_BUILD_BATCH = Poll(
    "BatchGetBuildBatches",
    arguments=lambda submitted, request: {"ids": [dig(submitted, "BuildBatch", "Id")]},
    status=lambda described: dig(described, "BuildBatches", 0, "BuildBatchStatus"),
    succeeded=frozenset({"SUCCEEDED"}),
    failed=_ENDED_BADLY,
    output=lambda described, submitted: {"BuildBatch": dig(described, "BuildBatches", 0)},
)

CODEBUILD = Service(
    resource_type="codebuild",
    boto_service="codebuild",
    naming=ErrorNaming("CodeBuild", "AWSCodeBuildException"),
    label="AWSCodeBuild",
    java_v1=True,
    actions={
        "startBuild": Action("StartBuild", RR_SYNC, poll=_BUILD),
        "stopBuild": Action("StopBuild", RR),
        "batchDeleteBuilds": Action("BatchDeleteBuilds", RR),
        "batchGetReports": Action("BatchGetReports", RR),
        "startBuildBatch": Action("StartBuildBatch", RR_SYNC, poll=_BUILD_BATCH),
        "stopBuildBatch": Action("StopBuildBatch", RR),
        "retryBuildBatch": Action("RetryBuildBatch", RR_SYNC, poll=_BUILD_BATCH),
        "deleteBuildBatch": Action("DeleteBuildBatch", RR),
    },
)
