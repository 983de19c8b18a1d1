"""Every optimized integration AWS lists (interpreter.adapters.integrations), one test or more each.

Against moto where moto has the service and moves its jobs on (Batch, ECS, EKS, Glue, SageMaker,
EMR, EMR on EKS, EMR Serverless, CodeBuild, Athena, Bedrock, EventBridge connections); against
botocore's Stubber with the service model where it does not (Glue DataBrew, MediaConvert, and
the job states moto never reaches); against a loopback HTTP server for API Gateway, the HTTP
Task and an EKS cluster's Kubernetes API. ``.sync`` polls on the virtual clock: the invoker's
``sleep`` records the pauses and takes no time. (Lambda, DynamoDB, SNS, SQS, EventBridge
PutEvents and Step Functions are tested in test_aws_services.py.)
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.moto_api import state_manager

from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.definition.resources import TaskResource, parse_task_resource
from interpreter.machine import StateMachine
from interpreter.runtime.ports import TaskOutcome

REGION = "us-east-1"
NOW_MS = 1_700_000_000_000
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:c"
JOB_RUN_ARN = "arn:aws:emr-serverless:us-east-1:123456789012:/applications/a-1/jobruns/r-1"


def _located(arn: str) -> TaskResource:
    """The resource as the task runner hands it to invokers: with the region to call."""
    resource = parse_task_resource(arn)
    assert resource is not None
    return dataclasses.replace(resource, region=resource.region or REGION)


def _client(service_name: str, region: str = REGION, role_arn: str | None = None) -> Any:
    return boto3.client(
        service_name,  # type: ignore[call-overload]
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class Pauses(list[float]):
    """The invoker's sleep: records each pause, takes no time."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    with mock_aws(config={"batch": {"use_docker": False}}):
        yield


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


@pytest.fixture
def invoker(aws: None, pauses: Pauses) -> Boto3ServiceInvoker:
    return Boto3ServiceInvoker(_client, sleep=pauses, callbacks=True)


def invoke(
    invoker: Boto3ServiceInvoker, resource: str, parameters: Any, **command: Any
) -> TaskOutcome:
    outcome = invoker.invoke(
        _located(resource),
        {"resource": resource, "input": parameters, "key": "k", **command},
        NOW_MS,
    )
    assert outcome is not None, resource
    return outcome


@pytest.fixture
def manual_transitions() -> Iterator[Callable[[str, int], None]]:
    """Make moto move a model's jobs on only after ``times`` looks."""
    models: list[str] = []

    def set_transition(model: str, times: int) -> None:
        state_manager.set_transition(model, {"progression": "manual", "times": times})
        models.append(model)

    yield set_transition
    for model in models:
        state_manager.unset_transition(model)


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = botocore.session.get_session().create_client(
        service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return client, Stubber(client)


def stub_invoker(client: Any, pauses: Pauses) -> Boto3ServiceInvoker:
    return Boto3ServiceInvoker(lambda *_args: client, sleep=pauses, callbacks=True)


def _role() -> str:
    iam = _client("iam")
    try:
        return str(iam.get_role(RoleName="sfn-tests")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        document = json.dumps({"Version": "2012-10-17", "Statement": []})
        return str(
            iam.create_role(RoleName="sfn-tests", AssumeRolePolicyDocument=document)["Role"]["Arn"]
        )


def _subnet() -> str:
    ec2 = _client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return str(ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"])


def assert_java_v1_metadata(output: dict[str, Any]) -> None:
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert output["SdkResponseMetadata"]["RequestId"]


# ------------------------------------------------------------------ AWS Batch


def _batch_queue() -> tuple[str, str]:
    batch = _client("batch")
    environment = batch.create_compute_environment(
        computeEnvironmentName="env-tests", type="UNMANAGED", state="ENABLED", serviceRole=_role()
    )["computeEnvironmentArn"]
    queue = batch.create_job_queue(
        jobQueueName="queue-tests",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )["jobQueueArn"]
    definition = batch.register_job_definition(
        jobDefinitionName="job-tests",
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]},
    )["jobDefinitionArn"]
    return queue, definition


def test_batch_submit_job_and_its_sync_pattern(invoker: Boto3ServiceInvoker) -> None:
    queue, definition = _batch_queue()
    parameters = {"JobName": "nightly", "JobQueue": queue, "JobDefinition": definition}
    submitted = invoke(invoker, "arn:aws:states:::batch:submitJob", parameters)
    assert submitted.succeeded
    assert {"JobArn", "JobId", "JobName"} <= set(submitted.output)
    assert_java_v1_metadata(submitted.output)
    finished = invoke(invoker, "arn:aws:states:::batch:submitJob.sync", parameters)
    assert finished.succeeded
    assert finished.output["Status"] == "SUCCEEDED"
    assert finished.output["JobName"] == "nightly"
    assert isinstance(finished.output["CreatedAt"], int)  # the SDK for Java v1's epoch millis
    assert finished.submitted_output["JobId"] == finished.output["JobId"]
    unknown = invoke(
        invoker, "arn:aws:states:::batch:submitJob", {**parameters, "JobQueue": "nope"}
    )
    assert unknown.error == "Batch.ClientException"
    assert "(Service: AWSBatch; Status Code: 400; Error Code: ClientException" in unknown.cause


# ------------------------------------------------------------------ Amazon ECS


def _ecs_task() -> tuple[str, dict[str, Any]]:
    ecs = _client("ecs")
    ecs.create_cluster(clusterName="tests")
    ecs.register_task_definition(
        family="worker", containerDefinitions=[{"name": "main", "image": "busybox", "memory": 128}]
    )
    network = {"AwsvpcConfiguration": {"Subnets": [_subnet()]}}
    return "tests", {
        "Cluster": "tests",
        "TaskDefinition": "worker",
        "LaunchType": "FARGATE",
        "NetworkConfiguration": network,
    }


def test_ecs_run_task_sync_polls_until_the_task_stopped(
    invoker: Boto3ServiceInvoker, pauses: Pauses, manual_transitions: Callable[[str, int], None]
) -> None:
    _cluster, parameters = _ecs_task()
    manual_transitions("ecs::task", 3)
    outcome = invoke(invoker, "arn:aws:states:::ecs:runTask.sync", parameters)
    assert outcome.succeeded, outcome.cause
    assert outcome.output["LastStatus"] == "STOPPED"
    assert outcome.output["TaskArn"] == outcome.submitted_output["Tasks"][0]["TaskArn"]
    assert_java_v1_metadata(outcome.submitted_output)
    assert "SdkHttpMetadata" not in outcome.output  # as AWS's recorded run shows
    # moto moves a task one status on every third look; each pause is virtual time
    assert len(pauses) > 1
    assert set(pauses) == {5.0}
    assert outcome.duration_seconds == 5.0 * len(pauses)


def test_ecs_run_task_wait_for_task_token_submits_and_waits(invoker: Boto3ServiceInvoker) -> None:
    _cluster, parameters = _ecs_task()
    outcome = invoke(invoker, "arn:aws:states:::ecs:runTask.waitForTaskToken", parameters)
    assert outcome.awaiting_callback
    assert outcome.submitted_output["Tasks"]


# ------------------------------------------------------------------ Amazon EKS (AWS API)


def test_eks_clusters_and_node_groups_with_sync(invoker: Boto3ServiceInvoker) -> None:
    role, subnet = _role(), _subnet()
    cluster = invoke(
        invoker,
        "arn:aws:states:::eks:createCluster.sync",
        {"Name": "apps", "RoleArn": role, "ResourcesVpcConfig": {"SubnetIds": [subnet]}},
    )
    assert cluster.succeeded
    assert cluster.output["Cluster"]["Status"] == "ACTIVE"
    assert cluster.output["Cluster"]["CreatedAt"].endswith("Z")  # a later integration: ISO text
    nodes = invoke(
        invoker,
        "arn:aws:states:::eks:createNodegroup.sync",
        {"ClusterName": "apps", "NodegroupName": "ng", "NodeRole": role, "Subnets": [subnet]},
    )
    assert nodes.output["Nodegroup"]["Status"] == "ACTIVE"
    gone = invoke(
        invoker,
        "arn:aws:states:::eks:deleteNodegroup.sync",
        {"ClusterName": "apps", "NodegroupName": "ng"},
    )
    assert gone.succeeded
    assert invoke(invoker, "arn:aws:states:::eks:deleteCluster.sync", {"Name": "apps"}).succeeded
    missing = invoke(invoker, "arn:aws:states:::eks:deleteCluster", {"Name": "apps"})
    assert missing.error == "EKS.ResourceNotFoundException"


# ------------------------------------------------------------------ loopback HTTP servers


class Recorder:
    """A loopback HTTP server's requests, and what it answers (by path)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: dict[str, list[tuple[int, Any]]] = {}

    def answer(self, path: str, *responses: tuple[int, Any]) -> None:
        self.answers[path] = list(responses)


@pytest.fixture
def loopback() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parsed = urllib.parse.urlsplit(self.path)
            recorder.requests.append(
                {
                    "method": self.command,
                    "path": parsed.path,
                    "query": urllib.parse.parse_qs(parsed.query),
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "body": body.decode("utf-8"),
                }
            )
            queued = recorder.answers.get(parsed.path) or [(200, {"ok": True})]
            status, payload = queued.pop(0) if len(queued) > 1 else queued[0]
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ Amazon EKS (Kubernetes API)


def test_eks_call_and_run_job_talk_to_the_kubernetes_api(
    invoker: Boto3ServiceInvoker, pauses: Pauses, loopback: tuple[str, Recorder]
) -> None:
    url, recorder = loopback
    cluster = {"ClusterName": "apps", "CertificateAuthority": "", "Endpoint": url}
    recorder.answer(
        "/api/v1/namespaces/default/pods", (200, {"items": [{"metadata": {"name": "p"}}]})
    )
    listed = invoke(
        invoker,
        "arn:aws:states:::eks:call",
        {
            **cluster,
            "Method": "GET",
            "Path": "/api/v1/namespaces/default/pods",
            "QueryParameters": {"labelSelector": ["app=web"]},
        },
    )
    assert listed.output == {"ResponseBody": {"items": [{"metadata": {"name": "p"}}]}}
    sent = recorder.requests[-1]
    assert sent["query"] == {"labelSelector": ["app=web"]}
    token = sent["headers"]["authorization"].removeprefix("Bearer ")
    assert token.startswith("k8s-aws-v1.")
    presigned = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
    assert "Action=GetCallerIdentity" in presigned
    assert "x-k8s-aws-id" in presigned  # the cluster's name is signed in
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"}}
    jobs = "/apis/batch/v1/namespaces/work/jobs"
    recorder.answer(jobs, (201, job))
    running = {**job, "status": {"active": 1}}
    done = {**job, "status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    recorder.answer(f"{jobs}/pi", (200, running), (200, done))
    ran = invoke(
        invoker, "arn:aws:states:::eks:runJob.sync", {**cluster, "Namespace": "work", "Job": job}
    )
    assert ran.succeeded
    assert ran.output == {"ResponseBody": done}
    assert ran.submitted_output == {"ResponseBody": job}
    assert pauses == [5.0]
    recorder.answer("/forbidden", (403, {"message": "nope"}))
    refused = invoke(
        invoker, "arn:aws:states:::eks:call", {**cluster, "Method": "GET", "Path": "/forbidden"}
    )
    assert (refused.error, json.loads(refused.cause)) == ("EKS.403", {"message": "nope"})


# ------------------------------------------------------------------ AWS Glue and DataBrew


def test_glue_start_job_run_and_its_sync_pattern(
    invoker: Boto3ServiceInvoker, pauses: Pauses, manual_transitions: Callable[[str, int], None]
) -> None:
    _client("glue").create_job(
        Name="etl", Role=_role(), Command={"Name": "glueetl", "ScriptLocation": "s3://b/etl.py"}
    )
    started = invoke(invoker, "arn:aws:states:::glue:startJobRun", {"JobName": "etl"})
    assert started.output["JobName"] == "etl"  # AWS adds the request's JobName
    assert started.output["JobRunId"].startswith("jr_")
    assert_java_v1_metadata(started.output)
    _client("glue").create_job(
        Name="etl-sync", Role=_role(), Command={"Name": "glueetl", "ScriptLocation": "s3://b/e.py"}
    )
    manual_transitions("glue::job_run", 2)
    finished = invoke(invoker, "arn:aws:states:::glue:startJobRun.sync", {"JobName": "etl-sync"})
    assert finished.succeeded
    assert finished.output["JobRunState"] == "SUCCEEDED"
    assert isinstance(finished.output["StartedOn"], int)
    assert pauses
    missing = invoke(invoker, "arn:aws:states:::glue:startJobRun", {"JobName": "nope"})
    assert missing.error == "Glue.EntityNotFoundException"
    assert missing.cause.startswith("Job nope not found. (Service: AWSGlue; Status Code: 400")


def test_databrew_start_job_run_sync_with_the_stubbed_service(pauses: Pauses) -> None:
    client, stubber = stubbed("databrew")
    stubber.add_response("start_job_run", {"RunId": "r-1"}, {"Name": "clean"})
    for state in ("STARTING", "RUNNING", "SUCCEEDED"):
        stubber.add_response(
            "describe_job_run",
            {"JobName": "clean", "RunId": "r-1", "State": state},
            {"Name": "clean", "RunId": "r-1"},
        )
    stubber.add_response("start_job_run", {"RunId": "r-2"}, {"Name": "clean"})
    stubber.add_response(
        "describe_job_run",
        {"JobName": "clean", "RunId": "r-2", "State": "FAILED", "ErrorMessage": "bad input"},
        {"Name": "clean", "RunId": "r-2"},
    )
    with stubber:
        invoker = stub_invoker(client, pauses)
        done = invoke(invoker, "arn:aws:states:::databrew:startJobRun.sync", {"Name": "clean"})
        failed = invoke(invoker, "arn:aws:states:::databrew:startJobRun.sync", {"Name": "clean"})
    assert done.output == {"JobName": "clean", "RunId": "r-1", "State": "SUCCEEDED"}
    assert done.submitted_output == {"RunId": "r-1"}  # a later integration: no SDK metadata
    assert done.duration_seconds == 10.0
    assert failed.error == "States.TaskFailed"
    assert json.loads(failed.cause)["ErrorMessage"] == "bad input"


# ------------------------------------------------------------------ Amazon SageMaker AI


def test_sagemaker_models_and_training_jobs(invoker: Boto3ServiceInvoker) -> None:
    role = _role()
    model = invoke(
        invoker,
        "arn:aws:states:::sagemaker:createModel",
        {"ModelName": "m", "ExecutionRoleArn": role, "PrimaryContainer": {"Image": "img"}},
    )
    assert model.output["ModelArn"].endswith(":model/m")
    assert_java_v1_metadata(model.output)
    training = invoke(
        invoker,
        "arn:aws:states:::sagemaker:createTrainingJob.sync",
        {
            "TrainingJobName": "train",
            "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
            "RoleArn": role,
            "OutputDataConfig": {"S3OutputPath": "s3://b/out"},
            "ResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 1,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        },
    )
    assert training.succeeded
    assert training.output["TrainingJobStatus"] == "Completed"
    assert training.submitted_output["TrainingJobArn"].endswith(":training-job/train")


def test_sagemaker_failed_labeling_job_fails_the_task(pauses: Pauses) -> None:
    client, stubber = stubbed("sagemaker")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/tags"
    stubber.add_response("create_labeling_job", {"LabelingJobArn": arn})
    failed = {
        "LabelingJobStatus": "Failed",
        "LabelCounters": {},
        "CreationTime": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
        "LastModifiedTime": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
        "JobReferenceCode": "c",
        "LabelingJobName": "tags",
        "LabelingJobArn": arn,
        "LabelAttributeName": "label",
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://b/m"}}},
        "OutputConfig": {"S3OutputPath": "s3://b/o"},
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "HumanTaskConfig": {
            "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/w",
            "UiConfig": {"UiTemplateS3Uri": "s3://b/ui"},
            "PreHumanTaskLambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:pre",
            "TaskTitle": "t",
            "TaskDescription": "d",
            "NumberOfHumanWorkersPerDataObject": 1,
            "TaskTimeLimitInSeconds": 60,
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": LAMBDA_ARN},
        },
        "FailureReason": "no workers",
    }
    stubber.add_response("describe_labeling_job", failed, {"LabelingJobName": "tags"})
    with stubber:
        outcome = invoke(
            stub_invoker(client, pauses),
            "arn:aws:states:::sagemaker:createLabelingJob.sync",
            {
                k: v
                for k, v in failed.items()
                if k
                in (
                    "LabelingJobName",
                    "LabelAttributeName",
                    "InputConfig",
                    "OutputConfig",
                    "RoleArn",
                    "HumanTaskConfig",
                )
            },
        )
    assert outcome.error == "States.TaskFailed"
    cause = json.loads(outcome.cause)
    assert (cause["FailureReason"], cause["CreationTime"]) == ("no workers", 1704153600000)


# ------------------------------------------------------------------ Amazon EMR


def _emr_cluster(invoker: Boto3ServiceInvoker) -> str:
    outcome = invoke(
        invoker,
        "arn:aws:states:::elasticmapreduce:createCluster.sync",
        {
            "Name": "spark",
            "ReleaseLabel": "emr-6.10.0",
            "Instances": {
                "KeepJobFlowAliveWhenNoSteps": True,
                "InstanceGroups": [
                    {
                        "Name": "Primary",
                        "InstanceRole": "MASTER",
                        "InstanceType": "m5.xlarge",
                        "InstanceCount": 1,
                    }
                ],
            },
            "JobFlowRole": "EMR_EC2_DefaultRole",
            "ServiceRole": "EMR_DefaultRole",
        },
    )
    assert outcome.succeeded, outcome.cause
    assert set(outcome.output) >= {"ClusterId", "ClusterArn", "SdkHttpMetadata"}
    return str(outcome.output["ClusterId"])


def test_emr_cluster_actions_take_step_functions_shapes(invoker: Boto3ServiceInvoker) -> None:
    cluster = _emr_cluster(invoker)
    step = invoke(
        invoker,
        "arn:aws:states:::elasticmapreduce:addStep",
        {
            "ClusterId": cluster,
            "Step": {
                "Name": "s",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {"Jar": "command-runner.jar"},
            },
        },
    )
    assert step.output["StepId"].startswith("s-")
    resized = invoke(
        invoker,
        "arn:aws:states:::elasticmapreduce:modifyInstanceGroupByName",
        {
            "ClusterId": cluster,
            "InstanceGroupName": "Primary",
            "InstanceGroup": {"InstanceCount": 1},
        },
    )
    assert resized.succeeded
    unknown_group = invoke(
        invoker,
        "arn:aws:states:::elasticmapreduce:modifyInstanceGroupByName",
        {"ClusterId": cluster, "InstanceGroupName": "Nope", "InstanceGroup": {"InstanceCount": 1}},
    )
    assert "No instance group named Nope" in unknown_group.cause
    protected = invoke(
        invoker,
        "arn:aws:states:::elasticmapreduce:setClusterTerminationProtection",
        {"ClusterId": cluster, "TerminationProtected": False},
    )
    assert protected.succeeded
    terminated = invoke(
        invoker, "arn:aws:states:::elasticmapreduce:terminateCluster.sync", {"ClusterId": cluster}
    )
    assert terminated.succeeded
    state = _client("emr").describe_cluster(ClusterId=cluster)["Cluster"]["Status"]["State"]
    assert state.startswith("TERMINAT")


def test_emr_create_cluster_requires_keep_alive_and_no_steps(invoker: Boto3ServiceInvoker) -> None:
    outcome = invoke(
        invoker,
        "arn:aws:states:::elasticmapreduce:createCluster",
        {"Name": "x", "Instances": {"KeepJobFlowAliveWhenNoSteps": False}},
    )
    assert outcome.error == "EMR.AmazonElasticMapReduceException"
    assert "KeepJobFlowAliveWhenNoSteps" in outcome.cause


def test_emr_add_step_sync_polls_every_60_seconds_then_300(pauses: Pauses) -> None:
    client, stubber = stubbed("emr")
    stubber.add_response(
        "add_job_flow_steps",
        {"StepIds": ["s-1"]},
        {"JobFlowId": "j-1", "Steps": [{"Name": "s", "HadoopJarStep": {"Jar": "x.jar"}}]},
    )
    states = ["PENDING"] * 10 + ["RUNNING", "FAILED"]
    for state in states:
        stubber.add_response(
            "describe_step",
            {"Step": {"Id": "s-1", "Status": {"State": state}}},
            {"ClusterId": "j-1", "StepId": "s-1"},
        )
    stubber.add_response(
        "cancel_steps",
        {"CancelStepsInfoList": [{"StepId": "s-2", "Status": "SUBMITTED"}]},
        {"ClusterId": "j-1", "StepIds": ["s-2"]},
    )
    with stubber:
        invoker = stub_invoker(client, pauses)
        outcome = invoke(
            invoker,
            "arn:aws:states:::elasticmapreduce:addStep.sync",
            {"ClusterId": "j-1", "Step": {"Name": "s", "HadoopJarStep": {"Jar": "x.jar"}}},
        )
        cancelled = invoke(
            invoker,
            "arn:aws:states:::elasticmapreduce:cancelStep",
            {"ClusterId": "j-1", "StepId": "s-2"},
        )
    assert pauses == [60.0] * 10 + [300.0]  # AWS: 60 s for the first 10 minutes, then 300 s
    assert outcome.error == "States.TaskFailed"
    assert outcome.duration_seconds == 900.0
    assert outcome.submitted_output["StepId"] == "s-1"
    assert cancelled.output["CancelStepsInfoList"][0]["Status"] == "SUBMITTED"


# ------------------------------------------------------------------ EMR on EKS, EMR Serverless


def test_emr_on_eks_virtual_clusters_and_job_runs(
    invoker: Boto3ServiceInvoker, pauses: Pauses
) -> None:
    created = invoke(
        invoker,
        "arn:aws:states:::emr-containers:createVirtualCluster",
        {
            "Name": "vc",
            "ContainerProvider": {
                "Id": "apps",
                "Type": "EKS",
                "Info": {"EksInfo": {"Namespace": "spark"}},
            },
        },
    )
    assert created.output["Id"]
    deleted = invoke(
        invoker,
        "arn:aws:states:::emr-containers:deleteVirtualCluster.sync",
        {"Id": created.output["Id"]},
    )
    assert deleted.output["VirtualCluster"]["State"] == "TERMINATED"
    client, stubber = stubbed("emr-containers")
    stubber.add_response(
        "start_job_run",
        {"id": "jr-1", "virtualClusterId": "vc-1"},
        {
            "virtualClusterId": "vc-1",
            "name": "pi",
            "executionRoleArn": "arn:aws:iam::1:role/r",
            "releaseLabel": "emr-6.10.0-latest",
            "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://b/pi.py"}},
            "clientToken": "token",
        },
    )
    for state in ("SUBMITTED", "RUNNING", "COMPLETED"):
        stubber.add_response(
            "describe_job_run",
            {"jobRun": {"id": "jr-1", "state": state}},
            {"id": "jr-1", "virtualClusterId": "vc-1"},
        )
    with stubber:
        outcome = invoke(
            stub_invoker(client, pauses),
            "arn:aws:states:::emr-containers:startJobRun.sync",
            {
                "VirtualClusterId": "vc-1",
                "Name": "pi",
                "ExecutionRoleArn": "arn:aws:iam::1:role/r",
                "ReleaseLabel": "emr-6.10.0-latest",
                "ClientToken": "token",
                "JobDriver": {"SparkSubmitJobDriver": {"EntryPoint": "s3://b/pi.py"}},
            },
        )
    assert outcome.output == {"JobRun": {"Id": "jr-1", "State": "COMPLETED"}}
    assert pauses == [5.0, 5.0]


def test_emr_serverless_applications_and_job_runs(
    invoker: Boto3ServiceInvoker, pauses: Pauses
) -> None:
    app = invoke(
        invoker,
        "arn:aws:states:::emr-serverless:createApplication.sync",
        {"Name": "spark", "ReleaseLabel": "emr-6.10.0", "Type": "SPARK"},
    )
    assert app.succeeded
    application = app.submitted_output["ApplicationId"]
    assert app.output["Application"]["ApplicationId"] == application
    stopped = invoke(
        invoker,
        "arn:aws:states:::emr-serverless:stopApplication.sync",
        {"ApplicationId": application},
    )
    assert stopped.output["Application"]["State"] == "STOPPED"
    client, stubber = stubbed("emr-serverless")
    stubber.add_response(
        "start_job_run",
        {
            "applicationId": "a-1",
            "jobRunId": "r-1",
            "arn": JOB_RUN_ARN,
        },
        {
            "applicationId": "a-1",
            "executionRoleArn": "arn:aws:iam::1:role/r",
            "clientToken": "t",
            "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/e.py"}},
        },
    )
    job = {
        "applicationId": "a-1",
        "jobRunId": "r-1",
        "arn": JOB_RUN_ARN,
        "createdBy": "arn:aws:iam::123456789012:user/me",
        "releaseLabel": "emr-6.10.0",
        "executionRole": "arn:aws:iam::1:role/r",
        "stateDetails": "details",
        "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/e.py"}},
        "tags": {},
        "createdAt": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        "updatedAt": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    }
    for state in ("RUNNING", "FAILED"):
        stubber.add_response(
            "get_job_run",
            {"jobRun": {**job, "state": state}},
            {"applicationId": "a-1", "jobRunId": "r-1"},
        )
    with stubber:
        outcome = invoke(
            stub_invoker(client, pauses),
            "arn:aws:states:::emr-serverless:startJobRun.sync",
            {
                "ApplicationId": "a-1",
                "ExecutionRoleArn": "arn:aws:iam::1:role/r",
                "ClientToken": "t",
                "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://b/e.py"}},
            },
        )
    assert outcome.error == "States.TaskFailed"
    assert json.loads(outcome.cause)["JobRun"]["CreatedAt"] == "2024-01-01T00:00:00Z"


# ------------------------------------------------------------------ AWS CodeBuild


def test_codebuild_start_build_sync(invoker: Boto3ServiceInvoker) -> None:
    _client("codebuild").create_project(
        name="site",
        source={"type": "S3", "location": "b/src.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "i",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=_role(),
    )
    outcome = invoke(invoker, "arn:aws:states:::codebuild:startBuild.sync", {"ProjectName": "site"})
    assert outcome.succeeded
    assert outcome.output["Build"]["BuildStatus"] == "SUCCEEDED"
    assert outcome.submitted_output["Build"]["BuildStatus"] == "IN_PROGRESS"
    assert_java_v1_metadata(outcome.submitted_output)
    stopped = invoke(
        invoker, "arn:aws:states:::codebuild:stopBuild", {"Id": outcome.output["Build"]["Id"]}
    )
    assert stopped.succeeded


# ------------------------------------------------------------------ Amazon Athena


def test_athena_query_sync_and_results(
    invoker: Boto3ServiceInvoker, pauses: Pauses, manual_transitions: Callable[[str, int], None]
) -> None:
    manual_transitions("athena::execution", 2)
    outcome = invoke(
        invoker,
        "arn:aws:states:::athena:startQueryExecution.sync",
        {
            "QueryString": "SELECT 1",
            "WorkGroup": "primary",
            "ResultConfiguration": {"OutputLocation": "s3://results/"},
        },
    )
    assert outcome.succeeded
    assert outcome.output["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    assert isinstance(outcome.output["QueryExecution"]["Status"]["SubmissionDateTime"], int)
    assert pauses
    query = outcome.submitted_output["QueryExecutionId"]
    results = invoke(
        invoker, "arn:aws:states:::athena:getQueryResults", {"QueryExecutionId": query}
    )
    assert "ResultSet" in results.output


# ------------------------------------------------------------------ Amazon Bedrock


def test_bedrock_invoke_model_parses_the_answer(invoker: Boto3ServiceInvoker) -> None:
    outcome = invoke(
        invoker,
        "arn:aws:states:::bedrock:invokeModel",
        {"ModelId": "anthropic.claude-v2", "Body": {"prompt": "Hello", "max_tokens": 5}},
    )
    assert outcome.succeeded
    assert outcome.output["ContentType"] == "application/json"
    assert isinstance(outcome.output["Body"], dict)


def test_bedrock_model_customization_job_sync(pauses: Pauses) -> None:
    client, stubber = stubbed("bedrock")
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/tune"
    request = {
        "jobName": "tune",
        "customModelName": "m",
        "roleArn": "arn:aws:iam::1:role/r",
        "baseModelIdentifier": "amazon.titan",
        "trainingDataConfig": {"s3Uri": "s3://b/t"},
        "outputDataConfig": {"s3Uri": "s3://b/o"},
        "hyperParameters": {},
    }
    stubber.add_response("create_model_customization_job", {"jobArn": arn}, request)
    described = {
        "jobArn": arn,
        "jobName": "tune",
        "outputModelName": "m",
        "roleArn": "arn:aws:iam::1:role/r",
        "creationTime": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan",
        "hyperParameters": {},
        "trainingDataConfig": {"s3Uri": "s3://b/t"},
        "validationDataConfig": {"validators": []},
        "outputDataConfig": {"s3Uri": "s3://b/o"},
    }
    for status in ("InProgress", "Completed"):
        stubber.add_response(
            "get_model_customization_job",
            {**described, "status": status},
            {"jobIdentifier": "tune"},
        )
    with stubber:
        outcome = invoke(
            stub_invoker(client, pauses),
            "arn:aws:states:::bedrock:createModelCustomizationJob.sync",
            {
                "JobName": "tune",
                "CustomModelName": "m",
                "RoleArn": "arn:aws:iam::1:role/r",
                "BaseModelIdentifier": "amazon.titan",
                "TrainingDataConfig": {"S3Uri": "s3://b/t"},
                "OutputDataConfig": {"S3Uri": "s3://b/o"},
                "HyperParameters": {},
            },
        )
    assert outcome.output["Status"] == "Completed"
    assert outcome.submitted_output == {"JobArn": arn}
    assert pauses == [5.0]


# ------------------------------------------------------------------ AWS Elemental MediaConvert


def test_mediaconvert_create_job_sync(pauses: Pauses) -> None:
    client, stubber = stubbed("mediaconvert")
    job = {"Role": "arn:aws:iam::1:role/r", "Settings": {}, "Id": "job-1"}
    stubber.add_response(
        "create_job",
        {"Job": {**job, "Status": "SUBMITTED"}},
        {"Role": "arn:aws:iam::1:role/r", "Settings": {}},
    )
    for status in ("PROGRESSING", "COMPLETE"):
        stubber.add_response("get_job", {"Job": {**job, "Status": status}}, {"Id": "job-1"})
    with stubber:
        outcome = invoke(
            stub_invoker(client, pauses),
            "arn:aws:states:::mediaconvert:createJob.sync",
            {"Role": "arn:aws:iam::1:role/r", "Settings": {}},
        )
    assert outcome.output["Job"]["Status"] == "COMPLETE"
    assert outcome.submitted_output["Job"]["Status"] == "SUBMITTED"
    assert pauses == [5.0]


# ------------------------------------------------------------------ Amazon API Gateway


def test_api_gateway_invoke_calls_the_endpoint(
    invoker: Boto3ServiceInvoker, loopback: tuple[str, Recorder]
) -> None:
    url, recorder = loopback
    recorder.answer("/prod/orders/42", (200, {"order": 42}))
    outcome = invoke(
        invoker,
        "arn:aws:states:::apigateway:invoke",
        {
            "ApiEndpoint": url,
            "Method": "POST",
            "Stage": "prod",
            "Path": "/orders/42",
            "Headers": {"X-Trace": ["a", "b"]},
            "QueryParameters": {"expand": ["items"]},
            "RequestBody": {"note": "hi", "gift": None},
        },
    )
    assert outcome.succeeded
    assert outcome.output["ResponseBody"] == {"order": 42}
    assert (outcome.output["StatusCode"], outcome.output["StatusText"]) == (200, "OK")
    assert outcome.output["Headers"]["Content-Type"] == ["application/json"]
    sent = recorder.requests[-1]
    assert (sent["method"], sent["path"], sent["query"]) == (
        "POST",
        "/prod/orders/42",
        {"expand": ["items"]},
    )
    assert json.loads(sent["body"]) == {"note": "hi"}  # nulls dropped without AllowNullValues
    assert sent["headers"]["x-trace"] == "a, b"
    recorder.answer("/prod/missing", (404, {"message": "Not Found"}))
    missing = invoke(
        invoker,
        "arn:aws:states:::apigateway:invoke",
        {"ApiEndpoint": url, "Method": "GET", "Stage": "prod", "Path": "missing"},
    )
    assert (missing.error, json.loads(missing.cause)) == (
        "ApiGateway.404",
        {"message": "Not Found"},
    )
    refused = invoke(
        invoker,
        "arn:aws:states:::apigateway:invoke",
        {"ApiEndpoint": url, "Method": "GET", "Headers": {"Host": ["evil"]}},
    )
    assert (refused.error, refused.cause) == (
        "States.Runtime",
        "The 'Headers' field contains unsupported values: Host",
    )
    token = invoke(
        invoker,
        "arn:aws:states:::apigateway:invoke.waitForTaskToken",
        {"ApiEndpoint": url, "Method": "GET", "Stage": "prod", "Path": "orders/42"},
    )
    assert token.awaiting_callback


# ------------------------------------------------------------------ the HTTP Task


def test_http_task_calls_the_url_with_the_connections_authorization(
    invoker: Boto3ServiceInvoker, loopback: tuple[str, Recorder]
) -> None:
    url, recorder = loopback
    connection = _client("events").create_connection(
        Name="partner",
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "x-partner", "Value": "acme"}]
            },
        },
    )["ConnectionArn"]
    recorder.answer("/v1/charges", (201, {"id": "ch_1"}))
    outcome = invoke(
        invoker,
        "arn:aws:states:::http:invoke",
        {
            "ApiEndpoint": f"{url}/v1/charges",
            "Method": "POST",
            "Authentication": {"ConnectionArn": connection},
            "QueryParameters": {"idempotent": "true"},
            "RequestBody": {"amount": 10, "tags": ["a", "b"]},
            "Transform": {
                "RequestBodyEncoding": "URL_ENCODED",
                "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"},
            },
        },
    )
    assert outcome.succeeded, outcome.cause
    assert outcome.output["ResponseBody"] == {"id": "ch_1"}
    assert (outcome.output["StatusCode"], outcome.output["StatusText"]) == (201, "Created")
    sent = recorder.requests[-1]
    assert sent["headers"]["x-api-key"] == "s3cret"
    assert sent["headers"]["x-partner"] == "acme"
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(sent["body"]) == {"amount": ["10"], "tags[]": ["a", "b"]}
    assert sent["query"] == {"idempotent": ["true"]}
    recorder.answer("/v1/fail", (500, {"error": "boom"}))
    failed = invoke(
        invoker, "arn:aws:states:::http:invoke", {"ApiEndpoint": f"{url}/v1/fail", "Method": "GET"}
    )
    assert failed.error == "States.Http.StatusCode.500"
    assert json.loads(failed.cause)["ResponseBody"] == {"error": "boom"}
    unreachable = invoke(
        invoker,
        "arn:aws:states:::http:invoke",
        {"ApiEndpoint": "http://127.0.0.1:9/", "Method": "GET"},
    )
    assert unreachable.error == "States.Http.Socket"


# ------------------------------------------------------------------ through a state machine


def test_a_sync_job_in_a_state_machine_on_the_virtual_clock(
    aws: None, manual_transitions: Callable[[str, int], None]
) -> None:
    _client("glue").create_job(
        Name="report", Role=_role(), Command={"Name": "glueetl", "ScriptLocation": "s3://b/r.py"}
    )
    manual_transitions("glue::job_run", 4)
    machine = StateMachine(
        {
            "StartAt": "Run",
            "States": {
                "Run": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::glue:startJobRun.sync",
                    "Parameters": {"JobName": "report"},
                    "End": True,
                }
            },
        }
    )
    result = machine.run(
        {}, invokers=[Boto3ServiceInvoker(_client, sleep=lambda _s: None)], clock="virtual"
    )
    assert result.status == "SUCCEEDED"
    types = [event["type"] for event in result.history]
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted, succeeded = result.history[4], result.history[5]
    assert succeeded["timestamp"] - submitted["timestamp"] >= 5_000  # polled on virtual time


def test_a_job_that_never_ends_times_out_at_the_tasks_timeout(pauses: Pauses) -> None:
    client, stubber = stubbed("athena")
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"}, {"QueryString": "x"})
    for _ in range(12):
        stubber.add_response(
            "get_query_execution",
            {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": "RUNNING"}}},
            {"QueryExecutionId": "q-1"},
        )
    with stubber:
        outcome = invoke(
            stub_invoker(client, pauses),
            "arn:aws:states:::athena:startQueryExecution.sync",
            {"QueryString": "x"},
            timeout_seconds=60,
        )
    assert outcome.error == "States.Timeout"
    assert outcome.duration_seconds == 60.0
    assert len(pauses) == 12


def test_sdk_service_names_are_written_without_dashes(invoker: Boto3ServiceInvoker) -> None:
    """Step Functions names aws-sdk services in lower case without dashes (``emrserverless``
    for boto3's ``emr-serverless``)."""
    outcome = invoke(invoker, "arn:aws:states:::aws-sdk:emrserverless:listApplications", {})
    assert outcome.succeeded, outcome.cause
    assert "Applications" in outcome.output
