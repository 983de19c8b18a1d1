"""``asl serve --auth KEY_ID:SECRET``: requests must be SigV4-signed with that key, as on AWS;
without it the endpoint says loudly that it is unauthenticated."""

from __future__ import annotations

import argparse
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from interpreter.api.server import host_allowed, make_server
from interpreter.api.sigv4 import SigningKey, check_signature
from interpreter.app import local_service
from interpreter.cli_serve import _warn_unauthenticated

KEY = SigningKey("local-key", "local-secret")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = make_server(local_service(clock="virtual"), "127.0.0.1", 0, signing_key=KEY)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(url: str, key_id: str, secret: str, **config: Any) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}, **config),
    )


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    return error["Code"], error["Message"]


def test_requests_signed_with_the_key_are_served(url: str) -> None:
    assert client(url, "local-key", "local-secret").list_activities()["activities"] == []


def test_a_wrong_secret_is_an_invalid_signature(url: str) -> None:
    code, message = refusal(client(url, "local-key", "guess").list_activities)
    assert code == "InvalidSignatureException"
    assert message.startswith("The request signature we calculated does not match")


def test_another_key_is_unrecognized(url: str) -> None:
    code, message = refusal(client(url, "other", "local-secret").list_activities)
    assert (code, message) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_an_unsigned_request_is_refused(url: str) -> None:
    code, message = refusal(client(url, "x", "y", signature_version=UNSIGNED).list_activities)
    assert code == "MissingAuthenticationTokenException"
    assert message == "Missing Authentication Token"


def test_a_signature_for_another_region_is_refused(url: str) -> None:
    other = boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="local-key",
        aws_secret_access_key="local-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    code, message = refusal(other.list_activities)
    assert code == "InvalidSignatureException"
    assert "eu-west-1" in message


def test_an_old_signature_has_expired() -> None:
    headers = {
        "host": "localhost",
        "x-amz-date": "20200101T000000Z",
        "authorization": "AWS4-HMAC-SHA256 Credential=local-key/20200101/us-east-1/states/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
    }
    refused = check_signature(
        KEY,
        method="POST",
        target="/",
        headers=headers,
        body=b"{}",
        region="us-east-1",
        now=dt.datetime(2020, 1, 1, 1, 0, tzinfo=dt.UTC),
    )
    assert refused is not None
    assert refused.code == "InvalidSignatureException"
    assert refused.message.startswith("Signature expired: 20200101T000000Z is now earlier than")


def test_the_host_rule() -> None:
    assert host_allowed("localhost:8083")
    assert host_allowed("api.localhost")
    assert host_allowed("10.1.2.3:80")
    assert host_allowed("[::1]:8083")
    assert host_allowed("devbox:8083", {"devbox"})
    assert not host_allowed("devbox:8083")
    assert not host_allowed("attacker.example")
    assert not host_allowed("")


def test_without_a_key_the_endpoint_says_it_is_unauthenticated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _warn_unauthenticated(argparse.Namespace(aws=True, endpoint_url=None))
    assert "WARNING: UNAUTHENTICATED" in capsys.readouterr().err
    _warn_unauthenticated(argparse.Namespace(aws=False, endpoint_url=None))
    assert "unauthenticated" in capsys.readouterr().err
