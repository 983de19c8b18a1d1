"""Amazon EKS: clusters, node groups and Fargate profiles, and the cluster's Kubernetes API.

``createCluster``/``createNodegroup``/``createFargateProfile`` ``.sync`` wait until the resource
is ACTIVE (the description is the output) or failed to create; the ``delete*`` ``.sync`` actions
wait until the resource is gone. ``eks:call`` sends one request to the cluster's Kubernetes API
(``Endpoint``, ``Method``, ``Path``, ``QueryParameters``, ``RequestBody``) and returns
``{"ResponseBody": ...}``; ``eks:runJob`` creates a Kubernetes Job in ``Namespace`` from ``Job``
and, with ``.sync``, reads it back until a ``Complete`` (the output) or ``Failed`` condition.
Both authenticate as AWS's IAM authenticator does — a bearer token made of a presigned STS
GetCallerIdentity naming the cluster — and trust ``CertificateAuthority`` (base64 PEM) for
https endpoints. A Kubernetes answer outside 2xx fails the task with ``EKS.<status>``.
(``LogOptions`` of ``runJob`` are not read locally: no pod logs are fetched.)
"""

from __future__ import annotations

import base64
import ssl
import urllib.parse
from collections.abc import Mapping
from typing import Any

from interpreter.adapters.aws_calls import ServiceCaller, region_of, register_integration
from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import (
    ALL,
    DEFAULT_TASK_TIMEOUT_SECONDS,
    MAX_POLLS,
    RR_SYNC,
    Action,
    Poll,
    Service,
    handler_for,
)
from interpreter.adapters.integrations.web import WebError, WebResponse, send
from interpreter.core.history import to_json_text
from interpreter.definition.resources import SYNC, TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.ports import TaskOutcome

_GONE = "ResourceNotFoundException"


def _describe(kind: str, name_key: str) -> Poll:
    """Waits for a created resource to be ACTIVE."""
    status_path = kind
    return Poll(
        f"Describe{kind}",
        arguments=lambda submitted, request: {
            key: request[key] for key in ("clusterName", name_key) if key in request
        },
        status=lambda described: (described.get(status_path) or {}).get("Status"),
        succeeded=frozenset({"ACTIVE"}),
        failed=frozenset({"FAILED", "CREATE_FAILED", "DEGRADED"}),
    )


def _gone(kind: str, name_key: str) -> Poll:
    """Waits for a deleted resource to disappear."""
    return Poll(
        f"Describe{kind}",
        arguments=lambda submitted, request: {
            key: request[key] for key in ("clusterName", name_key) if key in request
        },
        status=lambda described: (described.get(kind) or {}).get("Status"),
        succeeded=frozenset(),
        failed=frozenset({"FAILED", "DELETE_FAILED"}),
        output=lambda described, submitted: submitted,
        gone_code=_GONE,
    )


EKS = Service(
    resource_type="eks",
    boto_service="eks",
    naming=ErrorNaming("EKS", "EksException"),
    label="Eks",
    java_v1=False,
    actions={
        "createCluster": Action(
            "CreateCluster",
            ALL,
            poll=Poll(
                "DescribeCluster",
                arguments=lambda submitted, request: {"name": request["name"]},
                status=lambda described: (described.get("Cluster") or {}).get("Status"),
                succeeded=frozenset({"ACTIVE"}),
                failed=frozenset({"FAILED"}),
            ),
        ),
        "deleteCluster": Action(
            "DeleteCluster",
            ALL,
            poll=Poll(
                "DescribeCluster",
                arguments=lambda submitted, request: {"name": request["name"]},
                status=lambda described: (described.get("Cluster") or {}).get("Status"),
                succeeded=frozenset(),
                failed=frozenset({"FAILED"}),
                output=lambda described, submitted: submitted,
                gone_code=_GONE,
            ),
        ),
        "createFargateProfile": Action(
            "CreateFargateProfile", ALL, poll=_describe("FargateProfile", "fargateProfileName")
        ),
        "deleteFargateProfile": Action(
            "DeleteFargateProfile", ALL, poll=_gone("FargateProfile", "fargateProfileName")
        ),
        "createNodegroup": Action(
            "CreateNodegroup", ALL, poll=_describe("Nodegroup", "nodegroupName")
        ),
        "deleteNodegroup": Action(
            "DeleteNodegroup", RR_SYNC, poll=_gone("Nodegroup", "nodegroupName")
        ),
    },
)


# ------------------------------------------------------------------ the Kubernetes API


def _token(invoker: ServiceCaller, cluster: str, region: str, role_arn: str | None) -> str:
    """AWS IAM authenticator's token: a presigned GetCallerIdentity with ``x-k8s-aws-id``."""
    sts = invoker.client("sts", region, role_arn)

    def name_the_cluster(request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = cluster

    event = "before-sign.sts.GetCallerIdentity"
    sts.meta.events.register(event, name_the_cluster)
    try:
        url = sts.generate_presigned_url(
            "get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET"
        )
    finally:
        sts.meta.events.unregister(event, name_the_cluster)
    encoded = base64.urlsafe_b64encode(str(url).encode()).decode().rstrip("=")
    return f"k8s-aws-v1.{encoded}"


class _Kubernetes:
    """One cluster's Kubernetes API, as the Task's parameters describe it."""

    def __init__(
        self,
        invoker: ServiceCaller,
        parameters: Mapping[str, Any],
        region: str,
        role_arn: str | None,
    ) -> None:
        self.endpoint = str(parameters.get("Endpoint", "")).rstrip("/")
        if not self.endpoint.startswith(("http://", "https://")):
            self.endpoint = f"https://{self.endpoint}"
        authority = parameters.get("CertificateAuthority")
        self.context: ssl.SSLContext | None = None
        if authority and self.endpoint.startswith("https://"):
            pem = base64.b64decode(str(authority)).decode("ascii", errors="replace")
            self.context = ssl.create_default_context(cadata=pem)
        cluster = str(parameters.get("ClusterName", ""))
        self.token = _token(invoker, cluster, region, role_arn)

    def request(
        self, method: str, path: str, query: Mapping[str, Any] | None = None, body: JSON = None
    ) -> WebResponse:
        url = f"{self.endpoint}/{path.lstrip('/')}"
        if query:
            pairs = [
                (key, str(value))
                for key, values in query.items()
                for value in (values if isinstance(values, list) else [values])
            ]
            url += "?" + urllib.parse.urlencode(pairs)
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = to_json_text(body).encode("utf-8")
        return send(method, url, headers, data, context=self.context)


def _answer(response: WebResponse) -> TaskOutcome | None:
    """The failure of a Kubernetes answer outside 2xx (None for a success)."""
    if 200 <= response.status < 300:
        return None
    cause = response.body.decode("utf-8", errors="replace")
    return TaskOutcome(False, error=f"EKS.{response.status}", cause=cause)


def _call(kubernetes: _Kubernetes, parameters: Mapping[str, Any]) -> TaskOutcome:
    response = kubernetes.request(
        str(parameters.get("Method") or "GET").upper(),
        str(parameters.get("Path") or "/"),
        parameters.get("QueryParameters"),
        parameters.get("RequestBody"),
    )
    return _answer(response) or TaskOutcome(True, output={"ResponseBody": response.body_value()})


def _run_job(
    kubernetes: _Kubernetes,
    invoker: ServiceCaller,
    resource: TaskResource,
    parameters: Mapping[str, Any],
    timeout: float,
) -> TaskOutcome:
    namespace = str(parameters.get("Namespace") or "default")
    jobs = f"/apis/batch/v1/namespaces/{namespace}/jobs"
    created = kubernetes.request("POST", jobs, body=parameters.get("Job"))
    failure = _answer(created)
    if failure is not None:
        return failure
    submitted = {"ResponseBody": created.body_value()}
    if resource.waits_for_task_token:
        return TaskOutcome(True, submitted_output=submitted, awaiting_callback=True)
    if resource.pattern != SYNC:
        return TaskOutcome(True, output=submitted)
    body = submitted["ResponseBody"]
    name = body.get("metadata", {}).get("name") if isinstance(body, dict) else None
    waited = 0.0
    for _ in range(MAX_POLLS):
        if waited >= timeout:
            break
        current = kubernetes.request("GET", f"{jobs}/{name}")
        failure = _answer(current)
        if failure is not None:
            return failure
        job = current.body_value()
        conditions = (
            (job.get("status") or {}).get("conditions") or [] if isinstance(job, dict) else []
        )
        ended = {c.get("type") for c in conditions if c.get("status") == "True"}
        if "Complete" in ended:
            return TaskOutcome(
                True,
                output={"ResponseBody": job},
                submitted_output=submitted,
                duration_seconds=waited,
            )
        if "Failed" in ended:
            return TaskOutcome(
                False,
                error="States.TaskFailed",
                cause=to_json_text({"ResponseBody": job}),
                submitted_output=submitted,
                duration_seconds=waited,
            )
        invoker.wait(5.0)
        waited += 5.0
    return TaskOutcome(
        False,
        error="States.Timeout",
        cause=f"The job did not end within {timeout:.0f} seconds.",
        submitted_output=submitted,
        duration_seconds=max(waited, timeout),
    )


def invoke(
    invoker: ServiceCaller,
    resource: TaskResource,
    command: Mapping[str, Any],
    now_ms: int,
    role_arn: str | None,
) -> TaskOutcome | None:
    """Run an ``eks:*`` Task."""
    if resource.action not in ("call", "runJob"):
        return _cluster_actions(invoker, resource, command, now_ms, role_arn)
    parameters = command.get("input")
    if not isinstance(parameters, dict) or not parameters.get("Endpoint"):
        return TaskOutcome(False, error="States.Runtime", cause="Endpoint is required")
    try:
        kubernetes = _Kubernetes(invoker, parameters, region_of(resource), role_arn)
        if resource.action == "call":
            return _call(kubernetes, parameters)
        timeout = command.get("timeout_seconds") or DEFAULT_TASK_TIMEOUT_SECONDS
        return _run_job(kubernetes, invoker, resource, parameters, float(timeout))
    except WebError as problem:
        return TaskOutcome(False, error="States.TaskFailed", cause=str(problem))
    except (ValueError, ssl.SSLError) as problem:
        return TaskOutcome(False, error="States.Runtime", cause=str(problem))


_cluster_actions = handler_for(EKS)


def register() -> None:
    """Serve ``eks:*``."""
    register_integration("eks", invoke)
