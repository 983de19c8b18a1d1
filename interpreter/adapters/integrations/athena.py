"""Amazon Athena: ``athena:startQueryExecution`` (``.sync``: GetQueryExecution until the query
SUCCEEDED, which is the output, or FAILED/CANCELLED), ``stopQueryExecution``,
``getQueryExecution``, ``getQueryResults``."""

from __future__ import annotations

from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import RR, RR_SYNC, Action, Poll, Service, dig

ATHENA = Service(
    resource_type="athena",
    boto_service="athena",
    naming=ErrorNaming("Athena", "AmazonAthenaException"),
    label="AmazonAthena",
    java_v1=True,
    actions={
        "startQueryExecution": Action(
            "StartQueryExecution",
            RR_SYNC,
            poll=Poll(
                "GetQueryExecution",
                arguments=lambda submitted, request: {
                    "QueryExecutionId": submitted["QueryExecutionId"]
                },
                status=lambda described: dig(described, "QueryExecution", "Status", "State"),
                succeeded=frozenset({"SUCCEEDED"}),
                failed=frozenset({"FAILED", "CANCELLED"}),
            ),
        ),
        "stopQueryExecution": Action("StopQueryExecution", RR),
        "getQueryExecution": Action("GetQueryExecution", RR),
        "getQueryResults": Action("GetQueryResults", RR),
    },
)
