"""The viewer's GET side (interpreter.viewer.http) and its hook in ``asl serve``."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from interpreter.api.server import make_server
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service
from interpreter.viewer.http import viewer_response

ROLE = "arn:aws:iam::123456789012:role/r"
CALLBACK = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "Notify", "Payload": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}


@pytest.fixture
def service() -> StepFunctionsService:
    return local_service(lambdas={"Notify": lambda event, context: {}}, clock="virtual")


def get(service: StepFunctionsService, path: str) -> tuple[int, dict[str, str], bytes]:
    answer = viewer_response(service, "GET", path, {})
    assert answer is not None
    return answer


def test_the_page_and_its_assets_come_from_the_package(service: StepFunctionsService) -> None:
    status, headers, body = get(service, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert b'<script src="/viewer/static/app.js" defer></script>' in body
    assert b"https://" not in body  # no CDN: the page works offline
    for name, kind in [("app.js", "text/javascript"), ("app.css", "text/css")]:
        status, headers, body = get(service, f"/viewer/static/{name}")
        assert status == 200
        assert headers["Content-Type"].startswith(kind)
        assert b"https://" not in body
    _, _, css = get(service, "/viewer/static/app.css")
    assert b".asl-edge-catch>path" in css  # the diagram's own styles come with the page's
    assert get(service, "/viewer/static/../http.py")[0] == 404


def test_other_paths_and_methods_are_not_the_viewers(service: StepFunctionsService) -> None:
    assert viewer_response(service, "GET", "/elsewhere", {}) is None
    assert viewer_response(service, "POST", "/", {}) is None


def test_graph_of_a_state_machine_and_of_an_execution(service: StepFunctionsService) -> None:
    arn = service.create_state_machine("cb", json.dumps(CALLBACK), ROLE)["stateMachineArn"]
    status, headers, body = get(service, f"/viewer/api/graph?stateMachineArn={arn}")
    assert (status, headers["Content-Type"]) == (200, "image/svg+xml; charset=utf-8")
    assert b'data-state="Ask"' in body
    assert b"<style>" not in body  # styled by the page (its policy allows no inline style)
    execution = service.start_execution(arn)["executionArn"]
    status, _, by_execution = get(service, f"/viewer/api/graph?executionArn={execution}")
    assert (status, by_execution) == (200, body)
    status, _, error = get(service, "/viewer/api/graph?executionArn=arn:nope")
    assert status == 400
    assert json.loads(error)["__type"] == "InvalidArn"
    missing = "arn:aws:states:us-east-1:123456789012:execution:nope:none"
    status, _, error = get(service, f"/viewer/api/graph?executionArn={missing}")
    assert status == 400
    assert json.loads(error)["__type"] == "ExecutionDoesNotExist"
    assert get(service, "/viewer/api/graph")[0] == 400


def test_callbacks_lists_the_tokens_an_execution_waits_for(service: StepFunctionsService) -> None:
    arn = service.create_state_machine("cb", json.dumps(CALLBACK), ROLE)["stateMachineArn"]
    execution = service.start_execution(arn)["executionArn"]
    service.run_until_idle()
    status, _, body = get(service, f"/viewer/api/callbacks?executionArn={execution}")
    (callback,) = json.loads(body)["callbacks"]
    assert status == 200
    assert callback["stateName"] == "Ask"
    assert callback["resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    service.send_task_success(callback["taskToken"], '{"ok": true}')
    service.run_until_idle()
    assert service.describe_execution(execution)["status"] == "SUCCEEDED"
    _, _, body = get(service, f"/viewer/api/callbacks?executionArn={execution}")
    assert json.loads(body) == {"callbacks": []}
    status, _, body = get(service, "/viewer/api/callbacks?executionArn=arn:nope")
    assert (status, json.loads(body)["__type"]) == (400, "ExecutionDoesNotExist")


@pytest.fixture
def endpoint(service: StepFunctionsService) -> Iterator[str]:
    server = make_server(service, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(url: str) -> tuple[int, Any, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local test server
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_asl_serve_answers_get_with_the_viewer(endpoint: str) -> None:
    status, headers, body = fetch(endpoint + "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    # A path the viewer does not serve is the API's: it takes POST only.
    status, headers, body = fetch(endpoint + "/nothing-here")
    assert status == 405
    assert json.loads(body)["__type"] == "UnknownOperationException"
