"""Every optimized integration AWS lists for Step Functions, registered with the boto3 invoker.

:mod:`interpreter.adapters.aws_services` serves Lambda, DynamoDB, SNS, SQS, EventBridge and Step
Functions itself; this package adds the rest, one module per service family — AWS Batch
(:mod:`.batch`), Amazon ECS/Fargate (:mod:`.ecs`), Amazon EKS (:mod:`.eks`), AWS Glue and Glue
DataBrew (:mod:`.glue`), Amazon SageMaker AI (:mod:`.sagemaker`), Amazon EMR, EMR on EKS and EMR
Serverless (:mod:`.emr`), AWS CodeBuild (:mod:`.codebuild`), Amazon Athena (:mod:`.athena`),
Amazon Bedrock (:mod:`.bedrock`), AWS Elemental MediaConvert (:mod:`.mediaconvert`), Amazon API
Gateway (:mod:`.apigateway`) and the HTTP Task (:mod:`.http_task`) — with AWS's request and
response shapes and their ``.sync`` and ``.waitForTaskToken`` patterns (:mod:`.base`).

Importing the package registers them (``aws_services`` does it on the first Task it does not
serve itself).
"""

from __future__ import annotations

from interpreter.adapters.integrations import (
    apigateway,
    athena,
    batch,
    bedrock,
    codebuild,
    ecs,
    eks,
    emr,
    glue,
    http_task,
    mediaconvert,
    sagemaker,
)
from interpreter.adapters.integrations.base import register

for _service in (
    athena.ATHENA,
    batch.BATCH,
    bedrock.BEDROCK,
    codebuild.CODEBUILD,
    ecs.ECS,
    emr.EMR,
    emr.EMR_CONTAINERS,
    emr.EMR_SERVERLESS,
    glue.DATABREW,
    glue.GLUE,
    mediaconvert.MEDIACONVERT,
    sagemaker.SAGEMAKER,
):
    register(_service)
apigateway.register()
eks.register()
http_task.register()
