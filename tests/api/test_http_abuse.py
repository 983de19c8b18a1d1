"""``asl serve`` survives malformed and slow clients (loopback only, bounded in count and time).

Each test talks raw HTTP to a live endpoint whose limits are small, so timeouts take a fraction
of a second. What must hold: every framing error is answered with a JSON error (or the
connection is closed) and never leaves a traceback in the log; a slow or half-sent request holds
no thread and does not delay other clients; the listen backlog takes a burst of connections.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from interpreter.api.http import HttpServer, Limits
from interpreter.api.server import make_server
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service

LIMITS = Limits(
    max_header_bytes=4096,
    max_body_bytes=64 * 1024,
    header_timeout_s=0.5,
    body_timeout_s=0.5,
    idle_timeout_s=2.0,
    max_connections=300,
    workers=4,
    backlog=256,
)
HELLO = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
ROLE = "arn:aws:iam::123456789012:role/r"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[tuple[HttpServer, StepFunctionsService]]:
    service = local_service(clock="real")
    service.start_workers()
    server = make_server(service, "127.0.0.1", 0, limits=LIMITS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, service
    server.shutdown()
    server.server_close()
    service.stop_workers()


@pytest.fixture
def port(endpoint: tuple[HttpServer, StepFunctionsService]) -> int:
    return int(endpoint[0].server_address[1])


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING)
    yield
    noisy = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert noisy == [], [r.getMessage() for r in noisy]


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` and read one response (the server closes or answers in time)."""
    with connect(port) as conn:
        conn.sendall(raw)
        return read_response(conn)


def read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split(" ")[1]), headers, body


def post(target: str, body: bytes, *, host: str = "127.0.0.1", extra: str = "") -> bytes:
    return (
        f"POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: AWSStepFunctions.{target}\r\n"
        f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def closed_by_server(conn: socket.socket) -> bool:
    conn.settimeout(3)
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def api_call(port: int, target: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, body = exchange(port, post(target, json.dumps(request).encode()))
    return status, json.loads(body)


# ---------------------------------------------------------------------- framing


@pytest.mark.parametrize("length", ["abc", "-1", "1.5", "0x10", " ", "9" * 40])
def test_a_content_length_that_is_not_a_length_is_a_400(port: int, length: str) -> None:
    raw = f"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n\r\n{{}}".encode()
    status, headers, body = exchange(port, raw)
    assert status == 400
    assert json.loads(body)["message"] == "Invalid Content-Length"
    assert headers["connection"] == "close"


def test_a_huge_content_length_is_refused_before_reading(port: int) -> None:
    raw = b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999\r\n\r\n{}"
    status, _, body = exchange(port, raw)
    assert status == 413
    assert json.loads(body)["__type"] == "RequestEntityTooLarge"


def test_a_body_shorter_than_its_length_times_out_with_a_408(port: int) -> None:
    started = time.monotonic()
    status, _, _ = exchange(port, post("ListStateMachines", b"{}").replace(b": 2\r\n", b": 50\r\n"))
    assert status == 408
    assert time.monotonic() - started < 3


def test_headers_over_the_limit_are_a_431(port: int) -> None:
    raw = b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n"
    status, _, _ = exchange(port, raw)
    assert status == 431


@pytest.mark.parametrize(
    "raw",
    [
        b"NONSENSE\r\n\r\n",
        b"POST / HTTP/9.9\r\nHost: localhost\r\n\r\n",
        b"POST / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
        b"\x00\xff\xfe garbage \r\n\r\n",
    ],
)
def test_malformed_requests_are_answered_and_closed(port: int, raw: bytes) -> None:
    with connect(port) as conn:
        conn.sendall(raw)
        status, headers, body = read_response(conn)
        assert status in (400, 501, 505)
        assert "message" in json.loads(body)
        assert headers["connection"] == "close"
        assert closed_by_server(conn)


def test_a_client_that_never_finishes_its_headers_is_closed(port: int) -> None:
    with connect(port) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\n")
        status, _, _ = read_response(conn)
        assert status == 408
        assert closed_by_server(conn)


def test_an_idle_keep_alive_connection_is_closed(port: int) -> None:
    with connect(port) as conn:
        assert closed_by_server(conn)


def test_keep_alive_serves_several_requests_on_one_connection(port: int) -> None:
    with connect(port) as conn:
        for _ in range(3):
            conn.sendall(post("ListActivities", b"{}"))
            status, headers, body = read_response(conn)
            assert status == 200
            assert "connection" not in headers
            assert json.loads(body) == {"activities": []}


def test_half_sent_requests_do_not_hold_up_other_clients(port: int) -> None:
    stalled = [connect(port) for _ in range(200)]
    try:
        for conn in stalled:
            conn.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{")
        started = time.monotonic()
        status, answer = api_call(port, "ListActivities", {})
        assert (status, answer) == (200, {"activities": []})
        assert time.monotonic() - started < 0.4  # before the stalled ones time out
    finally:
        for conn in stalled:
            conn.close()


def test_the_backlog_takes_a_burst_of_connections() -> None:
    # Not serving yet: every connection waits in the listen backlog (5 with http.server).
    server = make_server(local_service(clock="virtual"), "127.0.0.1", 0, limits=LIMITS)
    port = server.server_address[1]
    opened: list[socket.socket] = []
    try:
        opened.extend(socket.create_connection(("127.0.0.1", port), timeout=1) for _ in range(150))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        opened[-1].sendall(post("ListActivities", b"{}"))
        assert read_response(opened[-1])[0] == 200
    finally:
        for conn in opened:
            conn.close()
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------- methods, hosts, CORS


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_other_methods_get_a_json_error_and_no_cors(port: int, method: str) -> None:
    # (GET / is the viewer's page: a path it does not serve.)
    raw = (
        f"{method} /no-such-page HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\n"
        "Access-Control-Request-Method: POST\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    status, headers, body = exchange(port, raw)
    assert status in (403, 405)
    assert not [name for name in headers if name.startswith("access-control-")]
    assert json.loads(body)["__type"] in ("UnknownOperationException", "AccessDeniedException")


def test_the_viewer_page_is_served_without_cors(port: int) -> None:
    raw = b"GET / HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\n\r\n"
    status, headers, body = exchange(port, raw)
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert not [name for name in headers if name.startswith("access-control-")]
    assert b"<html" in body.lower()


def test_head_gets_the_headers_without_a_body(port: int) -> None:
    with connect(port) as conn:
        conn.sendall(b"HEAD /no-such-page HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 405 ")
        assert b"Content-Length: " in head
        assert rest == b""
        conn.sendall(post("ListActivities", b"{}"))  # the connection goes on
        assert read_response(conn)[0] == 200


def test_get_is_a_json_405_with_allow_post(port: int) -> None:
    request = b"GET /not-the-viewers HTTP/1.1\r\nHost: localhost\r\n\r\n"
    status, headers, body = exchange(port, request)
    assert status == 405
    assert headers["allow"] == "POST"
    assert json.loads(body)["__type"] == "UnknownOperationException"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8083", "", "127.0.0.1.nip.io"])
def test_a_host_that_is_not_this_machine_is_refused(port: int, host: str) -> None:
    status, _, body = exchange(port, post("ListActivities", b"{}", host=host))
    assert status == 403
    assert json.loads(body)["__type"] == "AccessDeniedException"


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8083", "127.0.0.1:1", "[::1]:8083"])
def test_loopback_names_and_addresses_are_served(port: int, host: str) -> None:
    status, _, _ = exchange(port, post("ListActivities", b"{}", host=host))
    assert status == 200


def test_a_cross_origin_request_is_refused(port: int) -> None:
    status, _, _ = exchange(
        port,
        post("ListActivities", b"{}", host="localhost", extra="Origin: http://evil.example\r\n"),
    )
    assert status == 403
    same = post("ListActivities", b"{}", host="localhost:1", extra="Origin: http://localhost:1\r\n")
    assert exchange(port, same)[0] == 200


# ---------------------------------------------------------------------- bodies


BAD_BODIES = {
    "not JSON": b"{nope",
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "a list": b"[]",
    "NaN": b'{"maxResults": NaN}',
    "nested 5,000 deep": b'{"tags": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nested 100,000 deep": b"[" * 60_000,
    "a 5,000-digit number": b'{"maxResults": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_body_that_cannot_be_deserialised_is_a_serialization_exception(
    port: int, body: bytes
) -> None:
    status, _, answer = exchange(port, post("ListActivities", body))
    assert status == 400
    assert answer == b'{"__type":"com.amazon.coral.service#SerializationException"}'


def _machine(port: int, name: str, *, express: bool = False) -> str:
    request = {"name": name, "definition": json.dumps(HELLO), "roleArn": ROLE}
    if express:
        request["type"] = "EXPRESS"
    status, created = api_call(port, "CreateStateMachine", request)
    assert status == 200, created
    return str(created["stateMachineArn"])


@pytest.mark.parametrize("depth", [257, 495, 700, 989, 1200, 5000])
@pytest.mark.parametrize("action", ["StartExecution", "StartSyncExecution"])
def test_deeply_nested_input_is_a_400(port: int, depth: int, action: str) -> None:
    express = action == "StartSyncExecution"
    arn = _machine(port, "deep-express" if express else "deep-input", express=express)
    nested = "[" * depth + "]" * depth
    status, answer = api_call(port, action, {"stateMachineArn": arn, "input": nested})
    assert status == 400
    assert answer["__type"] == "InvalidExecutionInput"
    assert f"Document nesting depth ({depth}) exceeds the maximum allowed" in answer["message"]


def test_input_nested_as_deep_as_allowed_runs(port: int) -> None:
    arn = _machine(port, "deep-ok")
    nested = "[" * 256 + "]" * 256
    status, answer = api_call(port, "StartExecution", {"stateMachineArn": arn, "input": nested})
    assert status == 200, answer
