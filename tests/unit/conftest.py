"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """An S3 client on moto, for the tests of one module."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
