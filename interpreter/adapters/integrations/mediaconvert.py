"""AWS Elemental MediaConvert: ``mediaconvert:createJob`` (``.sync``: GetJob until the job is
COMPLETE, which is the output, or ERROR/CANCELED)."""

from __future__ import annotations

from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import RR_SYNC, Action, Poll, Service, dig

MEDIACONVERT = Service(
    resource_type="mediaconvert",
    boto_service="mediaconvert",
    naming=ErrorNaming("MediaConvert", "MediaConvertException"),
    label="MediaConvert",
    java_v1=False,
    actions={
        "createJob": Action(
            "CreateJob",
            RR_SYNC,
            poll=Poll(
                "GetJob",
                arguments=lambda submitted, request: {"Id": dig(submitted, "Job", "Id")},
                status=lambda described: dig(described, "Job", "Status"),
                succeeded=frozenset({"COMPLETE"}),
                failed=frozenset({"ERROR", "CANCELED"}),
            ),
        )
    },
)
