"""Checks the API makes beyond the model's shapes: ARNs, and the logging, tracing and encryption
configurations of state machines and activities, refused with AWS's codes and messages.

``InvalidArn`` messages are AWS's recorded ones (``Invalid Arn: 'Invalid ARN prefix: x'``,
``Invalid Arn: 'Resource type not valid in this context: express'``), as is the logging
configuration's ``Invalid Logging Configuration: Must specify exactly one Log Destination.``
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from interpreter.api.errors import api_error

#: What DescribeStateMachine shows when no logging configuration was given.
DEFAULT_LOGGING: dict[str, Any] = {"level": "OFF", "includeExecutionData": False}
DEFAULT_TRACING: dict[str, Any] = {"enabled": False}
#: What DescribeActivity shows when no encryption configuration was given.
DEFAULT_ENCRYPTION: dict[str, Any] = {"type": "AWS_OWNED_KEY"}
_CUSTOMER_KEY = "CUSTOMER_MANAGED_KMS_KEY"


def arn_resource_type(arn: str) -> str:
    """The resource type of a Step Functions ARN (``stateMachine``, ``execution``, ``express``,
    ``activity``...), refusing what is not an ARN with AWS's ``InvalidArn``."""
    if not arn.startswith("arn:"):
        raise api_error("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    parts = arn.split(":")
    if len(parts) < 7 or not parts[1] or not parts[6]:
        raise api_error("InvalidArn", f"Invalid Arn: 'Invalid ARN format: {arn}'")
    if parts[2] != "states":
        raise api_error(
            "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {parts[2]}'"
        )
    return parts[5]


def check_arn(arn: str, *allowed: str) -> str:
    """``arn``'s resource type, which must be one of ``allowed`` (else ``InvalidArn``)."""
    kind = arn_resource_type(arn)
    if kind not in allowed:
        raise api_error(
            "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {kind}'"
        )
    return kind


def check_role_arn(arn: str) -> None:
    """A state machine's ``roleArn``: an IAM role's ARN (``arn:aws:iam::<account>:role/...``)."""
    if not arn.startswith("arn:"):
        raise api_error("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise api_error("InvalidArn", f"Invalid Arn: 'Invalid role ARN: {arn}'")


def logging_configuration(
    given: Mapping[str, Any] | None, log_group_exists: Callable[[str], bool] | None = None
) -> dict[str, Any]:
    """The logging configuration to store (AWS's defaults filled in), or refused
    (``InvalidLoggingConfiguration``).

    ``log_group_exists``, when the endpoint can reach CloudWatch Logs, checks the destination.
    """
    if given is None:
        return dict(DEFAULT_LOGGING)
    level = given.get("level") or "OFF"
    destinations = list(given.get("destinations") or [])
    stored: dict[str, Any] = {
        "level": level,
        "includeExecutionData": bool(given.get("includeExecutionData", False)),
    }
    if level != "OFF" and len(destinations) != 1:
        raise _invalid_logging("Must specify exactly one Log Destination.")
    if len(destinations) > 1:
        raise _invalid_logging("Must specify exactly one Log Destination.")
    if destinations:
        group = (destinations[0] or {}).get("cloudWatchLogsLogGroup") or {}
        arn = group.get("logGroupArn")
        if not isinstance(arn, str) or not _log_group_arn_ok(arn):
            raise _invalid_logging(
                "Log Destination must be a CloudWatch Logs log group ARN ending in ':*'."
            )
        if log_group_exists is not None and not log_group_exists(arn):
            raise _invalid_logging("Log Destination not found.")
        stored["destinations"] = [{"cloudWatchLogsLogGroup": {"logGroupArn": arn}}]
    return stored


def _log_group_arn_ok(arn: str) -> bool:
    parts = arn.split(":")
    return (
        len(parts) == 8
        and parts[0] == "arn"
        and parts[2] == "logs"
        and parts[5] == "log-group"
        and bool(parts[6])
        and parts[7] == "*"
    )


def _invalid_logging(reason: str) -> Exception:
    return api_error("InvalidLoggingConfiguration", f"Invalid Logging Configuration: {reason}")


def tracing_configuration(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The tracing configuration to store (``enabled`` false unless given)."""
    if given is None:
        return dict(DEFAULT_TRACING)
    return {"enabled": bool(given.get("enabled", False))}


def encryption_configuration(given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The encryption configuration to store (None: none given), or
    InvalidEncryptionConfiguration for a combination AWS refuses."""
    if given is None:
        return None
    kind = given.get("type")
    key = given.get("kmsKeyId")
    period = given.get("kmsDataKeyReusePeriodSeconds")
    if kind is None:
        raise _invalid_encryption("The encryption type must be specified.")
    if kind == _CUSTOMER_KEY and not key:
        raise _invalid_encryption(
            "kmsKeyId must be specified when the type is CUSTOMER_MANAGED_KMS_KEY."
        )
    if kind != _CUSTOMER_KEY and (key is not None or period is not None):
        raise _invalid_encryption(
            "kmsKeyId and kmsDataKeyReusePeriodSeconds apply only to CUSTOMER_MANAGED_KMS_KEY."
        )
    stored: dict[str, Any] = {"type": kind}
    if kind == _CUSTOMER_KEY:
        stored["kmsKeyId"] = key
        stored["kmsDataKeyReusePeriodSeconds"] = period if period is not None else 300
    return stored


def _invalid_encryption(reason: str) -> Exception:
    return api_error(
        "InvalidEncryptionConfiguration", f"Invalid Encryption Configuration: {reason}"
    )
