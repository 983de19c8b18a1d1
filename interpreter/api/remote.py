"""A boto3 Step Functions client for the serverless deployment's endpoint.

The API function of ``template.yaml`` sits behind a Lambda function URL with IAM auth: requests
must be signed with SigV4 for the ``lambda`` service, while boto3's Step Functions client signs
for ``states``. :func:`step_functions_client` returns an ordinary boto3 ``stepfunctions`` client
whose requests are signed for the function URL instead; everything else (shapes, errors,
paginators) is boto3's own::

    from interpreter.api.remote import step_functions_client

    sfn = step_functions_client("https://abc123.lambda-url.eu-west-1.on.aws/", "eu-west-1")
    sfn.start_execution(stateMachineArn=arn, input="{}")
"""

from __future__ import annotations

from typing import Any


def step_functions_client(endpoint_url: str, region: str, session: Any = None) -> Any:
    """A ``stepfunctions`` client for ``endpoint_url``, signing for a Lambda function URL with the
    credentials of ``session`` (a ``boto3.Session``; the default session when None)."""
    import boto3
    import botocore
    from botocore.auth import SigV4Auth
    from botocore.config import Config

    session = session or boto3.Session()
    client = session.client(
        "stepfunctions",
        region_name=region,
        endpoint_url=endpoint_url,
        # Unsigned by boto3, signed below; the host stays the URL's (no "sync-" prefix).
        config=Config(signature_version=botocore.UNSIGNED, inject_host_prefix=False),
    )

    def sign(request: Any, **_: Any) -> None:
        credentials = session.get_credentials()
        if credentials is not None:
            SigV4Auth(credentials.get_frozen_credentials(), "lambda", region).add_auth(request)

    client.meta.events.register("request-created.states", sign)
    return client
