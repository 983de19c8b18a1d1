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

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, str]:
        """The error as the API's JSON error body (``__type`` and ``message``)."""
        return {"__type": self.code, "message": self.message}


class ValidationException(StepFunctionsError):
    """A request parameter breaks a rule of the API (HTTP 400 ``ValidationException``)."""

    code = "ValidationException"


class InvalidDefinition(StepFunctionsError):
    """The state-machine or state definition is refused (HTTP 400 ``InvalidDefinition``)."""

    code = "InvalidDefinition"


def api_error(code: str, message: str) -> StepFunctionsError:
    """A refusal with any of AWS's error codes (``ExecutionDoesNotExist``, ``InvalidName``...)."""
    error = StepFunctionsError(message)
    error.code = code
    return error
