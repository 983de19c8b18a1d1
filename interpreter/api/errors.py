"""The errors the Step Functions API answers a request with, by AWS's error codes.

Exception tree::

    StepFunctionsError            an API request was refused (``code`` is AWS's error code;
                                  :func:`api_error` makes one for any code)
     +-- ValidationException      a request parameter breaks a rule of the API
     +-- InvalidDefinition        the definition is not one the API accepts

``str(error)`` and ``error.message`` are AWS's message, word for word where AWS's answer was
recorded; ``error.code`` is the code boto3 reports as ``Error.Code``.
"""

from __future__ import annotations


class StepFunctionsError(Exception):
    """A Step Functions API request was refused."""

    #: AWS's error code (what boto3 shows as ``Error.Code``).
    code: str = "StepFunctionsError"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: A ``ValidationException``'s ``reason`` (the model's ValidationExceptionReason).
        self.reason = reason

    def to_json(self) -> dict[str, str]:
        """The error as the API's JSON error body (``__type``, ``message``, and ``reason``
        when there is one)."""
        body = {"__type": self.code, "message": self.message}
        if self.reason is not None:
            body["reason"] = self.reason
        return body


class ValidationException(StepFunctionsError):
    """A request parameter breaks a rule of the API (HTTP 400 ``ValidationException``)."""

    code = "ValidationException"


class InvalidDefinition(StepFunctionsError):
    """The state-machine or state definition is refused (HTTP 400 ``InvalidDefinition``)."""

    code = "InvalidDefinition"


def api_error(code: str, message: str, *, reason: str | None = None) -> StepFunctionsError:
    """A refusal with any of AWS's error codes (``ExecutionDoesNotExist``, ``InvalidName``...);
    ``reason`` for a ``ValidationException`` that has one."""
    error = StepFunctionsError(message, reason=reason)
    error.code = code
    return error
