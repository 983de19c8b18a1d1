"""Amazon SageMaker AI: models, endpoint configs, endpoints, and five kinds of jobs.

``create<Kind>Job.sync`` (training, transform, processing, hyper-parameter tuning, labeling)
waits on ``Describe<Kind>Job`` until its ``<Kind>JobStatus`` is Completed (the output is that
description) or Failed/Stopped (the task fails).
"""

from __future__ import annotations

from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import RR, RR_SYNC, Action, Poll, Service


def _job(kind: str) -> Action:
    name_key, status_key = f"{kind}JobName", f"{kind}JobStatus"
    return Action(
        f"Create{kind}Job",
        RR_SYNC,
        poll=Poll(
            f"Describe{kind}Job",
            arguments=lambda submitted, request: {name_key: request[name_key]},
            status=lambda described: described.get(status_key),
            succeeded=frozenset({"Completed"}),
            failed=frozenset({"Failed", "Stopped"}),
        ),
    )


SAGEMAKER = Service(
    resource_type="sagemaker",
    boto_service="sagemaker",
    naming=ErrorNaming("SageMaker", "AmazonSageMakerException"),
    label="AmazonSageMaker",
    java_v1=True,
    actions={
        "createEndpoint": Action("CreateEndpoint", RR),
        "createEndpointConfig": Action("CreateEndpointConfig", RR),
        "createModel": Action("CreateModel", RR),
        "updateEndpoint": Action("UpdateEndpoint", RR),
        "createTrainingJob": _job("Training"),
        "createTransformJob": _job("Transform"),
        "createProcessingJob": _job("Processing"),
        "createHyperParameterTuningJob": _job("HyperParameterTuning"),
        "createLabelingJob": _job("Labeling"),
    },
)
