"""The Lambda behaviours the corpus names (CASES_README.md, "Lambda behaviours"), as local
handlers with the behaviour AWS's Python runtime gave the recording.

A module of its own, importing nothing of the test suite, so that a process of the local
serverless cloud can load a behaviour by file (``NAME=tests/conformance/behaviours.py:_echo``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from interpreter.adapters.lambda_local import sleep


class CustomException(Exception):
    """The user-defined exception of the ``raise_custom_exception`` behaviour."""

    def __init__(self) -> None:
        super().__init__()
        self.message = "CustomException message"


def _echo(event: Any, context: Any) -> Any:
    return event


def _return_constant_hello(event: Any, context: Any) -> Any:
    return {"Return": "HelloWorld"}


def _raise_exception(event: Any, context: Any) -> Any:
    raise Exception("Some exception was raised.")


def _raise_custom_exception(event: Any, context: Any) -> Any:
    raise CustomException()


def _sleep_60_then_echo(event: Any, context: Any) -> Any:
    sleep(60)
    return event


def _return_257kib_bytes(event: Any, context: Any) -> Any:
    return ("a" * (257 * 1024)).encode()


def _return_decorated_input(event: Any, context: Any) -> Any:
    return "input-event-" + str(event)


def _return_bytes_json_string(event: Any, context: Any) -> Any:
    return b'"HelloWorld!"'


BEHAVIOURS: Mapping[str, Callable[[Any, Any], Any]] = {
    "echo": _echo,
    "return_constant_hello": _return_constant_hello,
    "raise_exception": _raise_exception,
    "raise_custom_exception": _raise_custom_exception,
    "sleep_60_then_echo": _sleep_60_then_echo,
    "return_257KiB_bytes": _return_257kib_bytes,
    "return_decorated_input": _return_decorated_input,
    "return_bytes_json_string": _return_bytes_json_string,
}
