"""One HTTP request, for the integrations that call URLs rather than AWS APIs (API Gateway, the
HTTP Task, the Kubernetes API of an EKS cluster)."""

from __future__ import annotations

import http
import http.client
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from interpreter.json_types import JSON, parse_json

#: How long a call may take (the HTTP Task's limit is 60 seconds).
TIMEOUT_SECONDS: Final = 60.0
#: The most of a response body we read (the state's payload limit is smaller still).
MAX_BODY_BYTES: Final = 10 * 1024 * 1024


class WebError(Exception):
    """The request could not be made or answered (connection refused, timeout, bad URL)."""


@dataclass(frozen=True, slots=True)
class WebResponse:
    """An HTTP response: status, reason, headers (in order, repeats kept) and body."""

    status: int
    reason: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header_lists(self) -> dict[str, list[str]]:
        """Headers as ``{name: [values]}``."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.headers:
            grouped.setdefault(name, []).append(value)
        return grouped

    def body_value(self) -> JSON:
        """The body as JSON when it parses as JSON, else as text."""
        text = self.body.decode("utf-8", errors="replace")
        if not text.strip():
            return text
        try:
            return parse_json(text)
        except (ValueError, RecursionError):
            return text


def send(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
    *,
    context: ssl.SSLContext | None = None,
) -> WebResponse:
    """Send one request; any HTTP status is a response, a failure to get one is WebError."""
    if not url.startswith(("http://", "https://")):
        raise WebError(f"the URL {url!r} is not http or https")
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))  # noqa: S310 - http(s) only, checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as answer:  # noqa: S310
            return _response(answer)
    except urllib.error.HTTPError as answer:
        return _response(answer)
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as problem:
        reason = getattr(problem, "reason", problem)
        raise WebError(f"{method} {url}: {reason}") from None


def _response(answer: http.client.HTTPResponse | urllib.error.HTTPError) -> WebResponse:
    body = answer.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise WebError(f"the response is larger than {MAX_BODY_BYTES} bytes")
    headers = list(answer.headers.items()) if answer.headers is not None else []
    status = answer.status if isinstance(answer, http.client.HTTPResponse) else answer.code
    reason = answer.reason if isinstance(answer.reason, str) else ""
    return WebResponse(int(status), reason or _phrase(int(status)), headers, body)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
