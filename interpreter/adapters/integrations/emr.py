"""Amazon EMR, EMR on EKS (``emr-containers``) and EMR Serverless.

EMR's optimized actions wrap its API with Step Functions' own shapes (AWS's table of
differences): ``createCluster`` is RunJobFlow with ``Instances.KeepJobFlowAliveWhenNoSteps``
required true and no ``Steps``, answering ``ClusterId``; ``addStep`` takes one ``Step`` and a
``ClusterId`` and answers ``StepId``; ``cancelStep`` takes one ``StepId``;
``terminateCluster`` and ``setClusterTerminationProtection`` take a ``ClusterId``;
``modifyInstanceFleetByName``/``modifyInstanceGroupByName`` name the fleet or group instead of
its id. Step Functions polls EMR every 60 seconds for the first 10 minutes, then every 300.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interpreter.adapters.aws_calls import ServiceError
from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import (
    RR,
    RR_SYNC,
    Action,
    Call,
    Poll,
    Service,
    dig,
)
from interpreter.json_types import JSON


def _emr_interval(waited: float) -> float:
    return 60.0 if waited < 600 else 300.0


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _create_cluster(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    instances = request.get("Instances")
    if not isinstance(instances, dict) or instances.get("KeepJobFlowAliveWhenNoSteps") is not True:
        raise _invalid("createCluster requires Instances.KeepJobFlowAliveWhenNoSteps to be true")
    if "Steps" in request:
        raise _invalid("createCluster does not take Steps: add them with addStep")
    return request


def _cluster_id(call: Call, request: dict[str, Any], output: dict[str, JSON]) -> dict[str, JSON]:
    return {"ClusterId": output.pop("JobFlowId", None), **output}


def _job_flow_ids(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    adjusted = {key: value for key, value in request.items() if key != "ClusterId"}
    return {"JobFlowIds": [request.get("ClusterId")], **adjusted}


def _add_step(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    adjusted = {key: value for key, value in request.items() if key not in ("ClusterId", "Step")}
    return {"JobFlowId": request.get("ClusterId"), "Steps": [request.get("Step")], **adjusted}


def _step_id(call: Call, request: dict[str, Any], output: dict[str, JSON]) -> dict[str, JSON]:
    step_ids = output.pop("StepIds", None)
    return {"StepId": step_ids[0] if isinstance(step_ids, list) and step_ids else None, **output}


def _cancel_step(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    adjusted = {key: value for key, value in request.items() if key != "StepId"}
    return {**adjusted, "StepIds": [request.get("StepId")]}


def _by_name(kind: str) -> Any:
    """modifyInstance{Fleet,Group}ByName: the name looked up with ListInstance{Fleets,Groups}."""
    listed, name_key, body_key = f"ListInstance{kind}s", f"Instance{kind}Name", f"Instance{kind}"

    def adjust(call: Call, request: dict[str, Any]) -> dict[str, Any]:
        operation = call.operation(listed)
        found = call.api(operation, {"ClusterId": request.get("ClusterId")})
        name = request.get(name_key)
        match = next(
            (item for item in found.get(f"Instance{kind}s", []) if item.get("Name") == name), None
        )
        if match is None:
            raise ServiceError(
                "InvalidRequestException",
                f"No instance {kind.lower()} named {name} in cluster {request.get('ClusterId')}",
            )
        body = {**(request.get(body_key) or {}), f"Instance{kind}Id": match["Id"]}
        if kind == "Fleet":
            return {"ClusterId": request.get("ClusterId"), "InstanceFleet": body}
        return {"ClusterId": request.get("ClusterId"), "InstanceGroups": [body]}

    return adjust


def _describe_cluster(submitted: Mapping[str, JSON], request: Mapping[str, Any]) -> dict[str, Any]:
    cluster = submitted.get("ClusterId") or (request.get("JobFlowIds") or [None])[0]
    return {"ClusterId": cluster}


EMR = Service(
    resource_type="elasticmapreduce",
    boto_service="emr",
    naming=ErrorNaming("EMR", "AmazonElasticMapReduceException"),
    label="AmazonElasticMapReduce",
    java_v1=True,
    actions={
        "createCluster": Action(
            "RunJobFlow",
            RR_SYNC,
            request=_create_cluster,
            response=_cluster_id,
            poll=Poll(
                "DescribeCluster",
                arguments=_describe_cluster,
                status=lambda described: dig(described, "Cluster", "Status", "State"),
                succeeded=frozenset({"WAITING", "RUNNING"}),
                failed=frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"}),
                output=lambda described, submitted: submitted,
                interval=_emr_interval,
            ),
        ),
        "setClusterTerminationProtection": Action(
            "SetTerminationProtection", RR, request=_job_flow_ids
        ),
        "modifyInstanceFleetByName": Action("ModifyInstanceFleet", RR, request=_by_name("Fleet")),
        "modifyInstanceGroupByName": Action("ModifyInstanceGroups", RR, request=_by_name("Group")),
        "terminateCluster": Action(
            "TerminateJobFlows",
            RR_SYNC,
            request=_job_flow_ids,
            poll=Poll(
                "DescribeCluster",
                arguments=_describe_cluster,
                status=lambda described: dig(described, "Cluster", "Status", "State"),
                succeeded=frozenset({"TERMINATED", "TERMINATED_WITH_ERRORS"}),
                failed=frozenset(),
                output=lambda described, submitted: submitted,
                interval=_emr_interval,
            ),
        ),
        "addStep": Action(
            "AddJobFlowSteps",
            RR_SYNC,
            request=_add_step,
            response=_step_id,
            poll=Poll(
                "DescribeStep",
                arguments=lambda submitted, request: {
                    "ClusterId": request["JobFlowId"],
                    "StepId": submitted["StepId"],
                },
                status=lambda described: dig(described, "Step", "Status", "State"),
                succeeded=frozenset({"COMPLETED"}),
                failed=frozenset({"CANCELLED", "FAILED", "INTERRUPTED"}),
                interval=_emr_interval,
            ),
        ),
        "cancelStep": Action("CancelSteps", RR, request=_cancel_step),
    },
)


EMR_CONTAINERS = Service(
    resource_type="emr-containers",
    boto_service="emr-containers",
    naming=ErrorNaming("EMRContainers", "EmrContainersException"),
    label="EmrContainers",
    java_v1=False,
    actions={
        "createVirtualCluster": Action("CreateVirtualCluster", RR),
        "deleteVirtualCluster": Action(
            "DeleteVirtualCluster",
            RR_SYNC,
            poll=Poll(
                "DescribeVirtualCluster",
                arguments=lambda submitted, request: {"id": request["id"]},
                status=lambda described: dig(described, "VirtualCluster", "State"),
                succeeded=frozenset({"TERMINATED"}),
                failed=frozenset({"ARRESTED"}),
            ),
        ),
        "startJobRun": Action(
            "StartJobRun",
            RR_SYNC,
            poll=Poll(
                "DescribeJobRun",
                arguments=lambda submitted, request: {
                    "id": submitted["Id"],
                    "virtualClusterId": request["virtualClusterId"],
                },
                status=lambda described: dig(described, "JobRun", "State"),
                succeeded=frozenset({"COMPLETED"}),
                failed=frozenset({"FAILED", "CANCELLED"}),
            ),
        ),
    },
)


def _application(
    succeeded: frozenset[str], failed: frozenset[str], *, from_output: bool = False
) -> Poll:
    """Waits for an application's state (created: any state past CREATING)."""
    return Poll(
        "GetApplication",
        arguments=lambda submitted, request: {
            "applicationId": submitted["ApplicationId"] if from_output else request["applicationId"]
        },
        status=lambda described: dig(described, "Application", "State"),
        succeeded=succeeded,
        failed=failed,
        gone_code="ResourceNotFoundException" if "TERMINATED" in succeeded else None,
    )


def _job_run(succeeded: frozenset[str], failed: frozenset[str], *, from_output: bool) -> Poll:
    return Poll(
        "GetJobRun",
        arguments=lambda submitted, request: {
            "applicationId": request["applicationId"],
            "jobRunId": submitted["JobRunId"] if from_output else request["jobRunId"],
        },
        status=lambda described: dig(described, "JobRun", "State"),
        succeeded=succeeded,
        failed=failed,
    )


EMR_SERVERLESS = Service(
    resource_type="emr-serverless",
    boto_service="emr-serverless",
    naming=ErrorNaming("EMRServerless", "EmrServerlessException"),
    label="EmrServerless",
    java_v1=False,
    actions={
        "createApplication": Action(
            "CreateApplication",
            RR_SYNC,
            poll=_application(
                frozenset({"CREATED", "STARTING", "STARTED", "STOPPING", "STOPPED"}),
                frozenset({"TERMINATED"}),
                from_output=True,
            ),
        ),
        "startApplication": Action(
            "StartApplication",
            RR_SYNC,
            poll=_application(frozenset({"STARTED"}), frozenset({"STOPPED", "TERMINATED"})),
        ),
        "stopApplication": Action(
            "StopApplication",
            RR_SYNC,
            poll=_application(frozenset({"STOPPED"}), frozenset({"TERMINATED"})),
        ),
        "deleteApplication": Action(
            "DeleteApplication",
            RR_SYNC,
            poll=_application(frozenset({"TERMINATED"}), frozenset()),
        ),
        "startJobRun": Action(
            "StartJobRun",
            RR_SYNC,
            poll=_job_run(
                frozenset({"SUCCESS"}), frozenset({"FAILED", "CANCELLED"}), from_output=True
            ),
        ),
        "cancelJobRun": Action(
            "CancelJobRun",
            RR_SYNC,
            poll=_job_run(
                frozenset({"CANCELLED", "SUCCESS", "FAILED"}), frozenset(), from_output=False
            ),
        ),
    },
)
