"""Which failures of an AWS call mean the service was out of reach rather than that the request
was wrong: the durable runtime retries those for as long as they last (the message comes back)
instead of counting them towards ending an execution (``DurableRuntime.unavailable``)."""

from __future__ import annotations

#: Error codes AWS services answer when they are throttling or failing, whatever the request.
_UNAVAILABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


def aws_unavailable(problem: BaseException) -> bool:
    """Whether ``problem`` (raised by a boto3 call, after the SDK's own retries) says the
    service could not be reached or could not answer: a connection refused or cut, a timeout,
    a throttle, a 5xx."""
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as SdkConnectionError

    if isinstance(problem, (SdkConnectionError, HTTPClientError, ConnectionError, TimeoutError)):
        return True
    if isinstance(problem, ClientError):
        error = problem.response.get("Error", {})
        status = problem.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _UNAVAILABLE_CODES or int(status or 0) >= 500
    return isinstance(problem, BotoCoreError) and "timeout" in type(problem).__name__.lower()
