"""A small HTTP/1.1 server for ``asl serve``: asyncio for connections, a thread pool for work.

Why not :mod:`http.server`: its ``ThreadingHTTPServer`` gives every connection a thread for as
long as the connection lives, reads without a timeout (a client that stops half-way holds its
thread forever; 1,000 of them hold 1,000 threads), listens with a backlog of 5, and answers its
own errors in HTML. Why not a server library (uvicorn, hypercorn, waitress): each is a dependency
and an ASGI/WSGI layer for the one thing we need — POST with a ``Content-Length`` body on
keep-alive connections — and none of them is faster than this for that: the time of a call is
the service's work plus one thread hop.

Here a connection costs a coroutine while it is idle or slow, never a thread, and every read
has a deadline; a whole request is read (headers and body, each bounded in size and time) before
the handler runs on a fixed pool of threads, so concurrency is bounded by the pool and the
connection limit, not by the clients. The response leaves in one write, and asyncio turns
Nagle's algorithm off on every connection (``TCP_NODELAY``), so a keep-alive client never waits
for a delayed ACK.

Framing errors are answered, then the connection is closed: a malformed request line or header
(400), headers over the limit (431), a ``Content-Length`` that is not a number (400), a body over
the limit (413), a ``Transfer-Encoding`` (501: clients of the API send ``Content-Length``), a
request whose body does not arrive in time (408). Nothing a client sends reaches the log as a
traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

_log = logging.getLogger("interpreter.api.http")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one client may ask of the server: sizes, times and counts."""

    #: The request line and headers together.
    max_header_bytes: int = 16 * 1024
    #: A request body. The largest API request — a 1 MiB definition, escaped as JSON — fits.
    max_body_bytes: int = 8 * 1024 * 1024
    #: From a request's first byte to the end of its headers.
    header_timeout_s: float = 10.0
    #: To receive a body (and to send a response).
    body_timeout_s: float = 30.0
    #: How long a keep-alive connection may wait for its next request.
    idle_timeout_s: float = 60.0
    #: Open connections; more are closed as soon as they are accepted.
    max_connections: int = 512
    #: Threads that run requests (GetActivityTask long polls hold one while they wait).
    workers: int = 32
    #: The listen backlog.
    backlog: int = 512


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, read whole."""

    method: str
    target: str
    version: str
    #: Header names in lower case.
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True)
class Response:
    """One HTTP response."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: Close the connection after this response.
    close: bool = False


#: Turns a request into a response; runs on a pool thread.
Handler = Callable[[Request], Response]
#: A response for a request the server refused before a handler saw it.
ErrorBody = Callable[[int, str], bytes]


class _FramingError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _default_error_body(status: int, message: str) -> bytes:
    return b'{"message": "' + message.replace('"', "'").encode("ascii", "replace") + b'"}'


class HttpServer:
    """Serves ``handler`` on ``host:port`` (bound at construction, like ``socketserver``).

    :meth:`serve_forever` runs in the calling thread until :meth:`shutdown` (from another
    thread); :meth:`server_close` releases the port. ``server_address`` is the bound address.
    """

    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        *,
        limits: Limits | None = None,
        error_body: ErrorBody = _default_error_body,
        error_content_type: str = "application/json",
    ) -> None:
        self.limits = limits or Limits()
        self.handler = handler
        self._error_body = error_body
        self._error_content_type = error_content_type
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, backlog=self.limits.backlog)
        self.server_address: tuple[Any, ...] = self.socket.getsockname()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopped = threading.Event()
        self._shutdown_requested = False
        self._connections: set[asyncio.Task[None]] = set()
        self._pool = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="asl-api")

    # ------------------------------------------------------------------ lifecycle

    def serve_forever(self) -> None:
        """Accept and serve connections until :meth:`shutdown`."""
        self._stopped.clear()
        try:
            asyncio.run(self._main())
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` and wait for it to return."""
        self._shutdown_requested = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(stop.set)
            self._stopped.wait(10)

    def server_close(self) -> None:
        """Release the listening socket and the worker threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.socket.close()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._shutdown_requested:
            return
        server = await asyncio.start_server(
            self._connection,
            sock=self.socket,
            limit=self.limits.max_header_bytes,
            backlog=self.limits.backlog,
        )
        try:
            await self._stop.wait()
        finally:
            server.close()  # closes the listening socket too: server_close then has nothing to do
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            self._loop = None

    # ------------------------------------------------------------------ connections

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.limits.max_connections:
            writer.close()
            return
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away or stalled: nothing to answer
        except asyncio.CancelledError:
            pass
        except Exception:  # never let one connection's problem reach the loop's log as noise
            _log.exception("connection failed")
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        limits = self.limits
        loop = asyncio.get_running_loop()
        while True:
            first = await asyncio.wait_for(reader.read(1), limits.idle_timeout_s)
            if not first:
                return
            try:
                request = await self._read_request(reader, first)
            except _FramingError as refused:
                body = self._error_body(refused.status, refused.message)
                answer = Response(refused.status, body, self._error_content_type, close=True)
                await self._write(writer, answer, "1.1")
                return
            if request is None:
                return
            try:
                response = await loop.run_in_executor(self._pool, self.handler, request)
            except Exception:
                _log.exception("%s %s failed", request.method, request.target)
                body = self._error_body(500, "Internal error")
                response = Response(500, body, self._error_content_type)
            keep_alive = _keeps_alive(request)
            if not keep_alive:
                response.close = True
            if request.method == "HEAD":  # the headers a GET would have, no body
                response = Response(
                    response.status,
                    b"",
                    response.content_type,
                    [*response.headers, ("Content-Length", str(len(response.body)))],
                    response.close,
                )
            await self._write(writer, response, request.version)
            if response.close:
                return

    async def _read_request(self, reader: asyncio.StreamReader, first: bytes) -> Request | None:
        limits = self.limits
        try:
            rest = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limits.header_timeout_s)
        except asyncio.LimitOverrunError:
            raise _FramingError(431, "Request header fields too large") from None
        except asyncio.IncompleteReadError:
            return None
        except TimeoutError:
            raise _FramingError(408, "Request timeout: the headers did not arrive") from None
        head = first + rest
        if len(head) > limits.max_header_bytes:
            raise _FramingError(431, "Request header fields too large")
        method, target, version, headers = _parse_head(head)
        if "transfer-encoding" in headers:
            raise _FramingError(501, "Transfer-Encoding is not supported: send Content-Length")
        length = _content_length(headers)
        if length > limits.max_body_bytes:
            raise _FramingError(413, "Request body too large")
        body = b""
        if length:
            try:
                body = await asyncio.wait_for(reader.readexactly(length), limits.body_timeout_s)
            except TimeoutError:
                raise _FramingError(408, "Request timeout: the body did not arrive") from None
        return Request(method, target, version, headers, body)

    async def _write(self, writer: asyncio.StreamWriter, response: Response, version: str) -> None:
        writer.write(_encode(response, version))
        await asyncio.wait_for(writer.drain(), self.limits.body_timeout_s)


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    try:
        text = head[:-4].decode("latin-1")
    except UnicodeDecodeError:  # latin-1 decodes every byte; kept for clarity of intent
        raise _FramingError(400, "Malformed request") from None
    line, *fields = text.split("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise _FramingError(400, "Malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise _FramingError(505, "HTTP version not supported")
    headers: dict[str, str] = {}
    for entry in fields:
        name, colon, value = entry.partition(":")
        if not colon or not name or name != name.strip() or not _token(name):
            raise _FramingError(400, "Malformed header")
        key = name.lower()
        value = value.strip()
        if key in headers:
            if key == "content-length" and headers[key] != value:
                raise _FramingError(400, "Conflicting Content-Length headers")
            if key != "content-length":
                headers[key] = headers[key] + ", " + value
            continue
        headers[key] = value
    return method.upper(), target, version[5:], headers


def _token(name: str) -> bool:
    return all(33 <= ord(char) <= 126 and char not in '()<>@,;:\\"/[]?={}' for char in name)


def _content_length(headers: Mapping[str, str]) -> int:
    text = headers.get("content-length")
    if text is None:
        return 0
    if not text.isdigit() or not text.isascii() or len(text) > 18:
        raise _FramingError(400, "Invalid Content-Length")
    return int(text)


def _keeps_alive(request: Request) -> bool:
    connection = request.headers.get("connection", "").lower()
    if request.version == "1.0":
        return "keep-alive" in connection
    return "close" not in connection


def _encode(response: Response, version: str) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [
        f"HTTP/1.1 {response.status} {reason}",
        f"Content-Type: {response.content_type}",
        f"Date: {email.utils.formatdate(usegmt=True)}",
    ]
    if not any(name == "Content-Length" for name, _ in response.headers):
        lines.append(f"Content-Length: {len(response.body)}")
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    if response.close:
        lines.append("Connection: close")
    elif version == "1.0":
        lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body
