"""The viewer's HTTP side: :func:`viewer_response` answers ``GET`` requests of ``asl serve``.

``/`` is the page; ``/viewer/static/*`` its assets (shipped in the wheel). Two read-only
endpoints give the page what the Step Functions API does not:

* ``/viewer/api/graph?stateMachineArn=ARN`` or ``?executionArn=ARN`` — the SVG diagram of a
  state machine (of the revision an execution runs), laid out here so the page needs no layout
  code. States are ``<g data-state="NAME">`` for the page to colour.
* ``/viewer/api/callbacks?executionArn=ARN`` — the task tokens an execution's callback tasks
  (``.waitForTaskToken``) wait for, with their state names, so the page can send
  SendTaskSuccess/SendTaskFailure (a manual approval). On AWS the token travels only inside
  the task's payload; a local endpoint can show it to its own operator.

Everything the page does (start, stop, redrive, send task success/failure) is a ``POST /`` of
the Step Functions API, as boto3 sends it: the GET side never changes anything.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from interpreter.api.errors import StepFunctionsError
from interpreter.api.service import StepFunctionsService

Answer = tuple[int, dict[str, str], bytes]

_STATIC: Final = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
_PAGE_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_COMMON: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_GRAPH_CACHE_SIZE: Final = 32


def viewer_response(
    service: StepFunctionsService, method: str, path: str, headers: Mapping[str, str]
) -> Answer | None:
    """The answer to a viewer request, or None when ``method``/``path`` is not the viewer's."""
    del headers  # nothing in them changes the answer
    if method not in ("GET", "HEAD"):
        return None
    url = urlsplit(path)
    query = {key: values[-1] for key, values in parse_qs(url.query).items()}
    if url.path in ("/", "/index.html"):
        return _static("index.html", "text/html; charset=utf-8", policy=True)
    if url.path.startswith("/viewer/static/"):
        name = url.path.removeprefix("/viewer/static/")
        return _static(name, _STATIC[name]) if name in _STATIC else _not_found(url.path)
    if url.path == "/viewer/api/graph":
        return _graph(service, query)
    if url.path == "/viewer/api/callbacks":
        return _callbacks(service, query)
    return None


def static_text(name: str) -> str:
    """An asset of the page (``app.js``, ``app.css``...); ``app.css`` includes the diagram's
    styles."""
    text = resources.files("interpreter.viewer").joinpath("static", name).read_text("utf-8")
    if name == "app.css":
        from interpreter.diagram.svg import STYLE

        text = STYLE + "\n" + text
    return text


def _static(name: str, content_type: str, *, policy: bool = False) -> Answer:
    headers = {**_COMMON, "Content-Type": content_type}
    if policy:
        headers["Content-Security-Policy"] = _PAGE_POLICY
    return 200, headers, static_text(name).encode()


def _graph(service: StepFunctionsService, query: Mapping[str, str]) -> Answer:
    try:
        if "executionArn" in query:
            described = service.describe_state_machine_for_execution(query["executionArn"])
        elif "stateMachineArn" in query:
            described = service.describe_state_machine(query["stateMachineArn"])
        else:
            return _error(400, "ValidationException", "stateMachineArn or executionArn needed")
    except StepFunctionsError as problem:
        return _error(400, problem.code, problem.message)
    try:
        svg = graph_svg(described["definition"], described.get("name") or "StateMachine")
    except ValueError as problem:  # a stored definition that no longer compiles: say so
        return _error(500, "InternalServerError", f"cannot draw this definition: {problem}")
    return 200, {**_COMMON, "Content-Type": "image/svg+xml; charset=utf-8"}, svg.encode()


_graphs: OrderedDict[str, str] = OrderedDict()
_graphs_lock = threading.Lock()  # the server answers each request on its own thread


def graph_svg(definition: str, name: str) -> str:
    """The SVG diagram of a (valid) definition, without its own styles (the page has them);
    the last few are kept, as a running execution's page asks for the same one again."""
    key = hashlib.sha256(f"{name}\0{definition}".encode()).hexdigest()
    with _graphs_lock:
        if key in _graphs:
            _graphs.move_to_end(key)
            return _graphs[key]
    from interpreter.definition.compiler import compile_state_machine
    from interpreter.definition.validation import validate_and_load
    from interpreter.diagram.model import build_diagram
    from interpreter.diagram.svg import to_svg

    parsed, _ = validate_and_load(definition)
    if not isinstance(parsed, dict):  # stored definitions were validated when created
        raise ValueError("not a state machine definition")
    svg = to_svg(build_diagram(compile_state_machine(parsed), parsed), name, style=False)
    with _graphs_lock:
        _graphs[key] = svg
        if len(_graphs) > _GRAPH_CACHE_SIZE:
            _graphs.popitem(last=False)
    return svg


def _callbacks(service: StepFunctionsService, query: Mapping[str, str]) -> Answer:
    arn = query.get("executionArn")
    if not arn:
        return _error(400, "ValidationException", "executionArn needed")
    record = service.store.get_execution(arn)
    if record is None:
        return _error(400, "ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
    waiting = [
        {
            "stateName": command.get("state"),
            "taskToken": command["task_token"],
            "resource": command.get("resource"),
        }
        for command in record.tasks.values()
        if command.get("task_token") and not command.get("activity")
    ]
    return _json(200, {"callbacks": waiting})


def _json(status: int, document: Any) -> Answer:
    body = json.dumps(document).encode()
    return status, {**_COMMON, "Content-Type": "application/json"}, body


def _error(status: int, code: str, message: str) -> Answer:
    return _json(status, {"__type": code, "message": message})


def _not_found(path: str) -> Answer:
    return _error(404, "NotFound", f"No such file: {path}")
