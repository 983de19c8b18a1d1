"""AWS Batch: ``batch:submitJob`` (``.sync``: until the job SUCCEEDED or FAILED; the output is
the job as DescribeJobs describes it)."""

from __future__ import annotations

from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import RR_SYNC, Action, Poll, Service, dig

BATCH = Service(
    resource_type="batch",
    boto_service="batch",
    naming=ErrorNaming("Batch", "AWSBatchException"),
    label="AWSBatch",
    java_v1=True,
    actions={
        "submitJob": Action(
            "SubmitJob",
            RR_SYNC,
            poll=Poll(
                "DescribeJobs",
                arguments=lambda submitted, request: {"jobs": [submitted["JobId"]]},
                status=lambda described: dig(described, "Jobs", 0, "Status"),
                succeeded=frozenset({"SUCCEEDED"}),
                failed=frozenset({"FAILED"}),
                output=lambda described, submitted: dig(described, "Jobs", 0),
            ),
        )
    },
)
