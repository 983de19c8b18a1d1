"""AWS Glue and AWS Glue DataBrew: ``glue:startJobRun`` and ``databrew:startJobRun``.

Glue's output carries the ``JobName`` the request gave (AWS adds it to ``StartJobRun``'s bare
``JobRunId``); ``.sync`` returns the ``JobRun`` of GetJobRun once it SUCCEEDED or STOPPED, and
fails on FAILED, TIMEOUT and ERROR. DataBrew's ``.sync`` returns DescribeJobRun once the run
SUCCEEDED and fails on FAILED, TIMEOUT and STOPPED.
"""

from __future__ import annotations

from typing import Any

from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import RR_SYNC, Action, Call, Poll, Service, dig
from interpreter.json_types import JSON


def _with_job_name(call: Call, request: dict[str, Any], output: dict[str, JSON]) -> dict[str, JSON]:
    return {"JobName": request.get("JobName"), **output}


GLUE = Service(
    resource_type="glue",
    boto_service="glue",
    naming=ErrorNaming("Glue", "AWSGlueException"),
    label="AWSGlue",
    java_v1=True,
    actions={
        "startJobRun": Action(
            "StartJobRun",
            RR_SYNC,
            response=_with_job_name,
            poll=Poll(
                "GetJobRun",
                arguments=lambda submitted, request: {
                    "JobName": request["JobName"],
                    "RunId": submitted["JobRunId"],
                },
                status=lambda described: dig(described, "JobRun", "JobRunState"),
                succeeded=frozenset({"SUCCEEDED", "STOPPED"}),
                failed=frozenset({"FAILED", "TIMEOUT", "ERROR"}),
                output=lambda described, submitted: dig(described, "JobRun"),
            ),
        )
    },
)

DATABREW = Service(
    resource_type="databrew",
    boto_service="databrew",
    naming=ErrorNaming("DataBrew", "DataBrewException"),
    label="DataBrew",
    java_v1=False,
    actions={
        "startJobRun": Action(
            "StartJobRun",
            RR_SYNC,
            poll=Poll(
                "DescribeJobRun",
                arguments=lambda submitted, request: {
                    "Name": request["Name"],
                    "RunId": submitted["RunId"],
                },
                status=lambda described: described.get("State"),
                succeeded=frozenset({"SUCCEEDED"}),
                failed=frozenset({"FAILED", "TIMEOUT", "STOPPED"}),
            ),
        )
    },
)
