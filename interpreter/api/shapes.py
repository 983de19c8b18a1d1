"""Small response shapes the API actions share: dates, paging, absent members.

Paging tokens are opaque to callers and bound to the query that made them: a token carries a
fingerprint of its query (the action, the resource, the filters), and a token given with another
query — or any text that is not a token — is AWS's ``InvalidToken``. Behind the token is either a
position in the store's index (listings of executions and state machines: one page costs the
same at any depth) or an offset into a short list (versions, aliases, history...).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from interpreter.api.errors import api_error
from interpreter.core.timefmt import datetime_from_ms

#: The page size when a request gives none (or 0), as AWS's: 100.
DEFAULT_PAGE_SIZE = 100


def api_date(epoch_ms: int | None) -> Any:
    """A timestamp member (boto3 shows a datetime; the HTTP layer writes epoch seconds)."""
    return None if epoch_ms is None else datetime_from_ms(epoch_ms)


def drop_none(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without its absent (None) members, as AWS leaves them out."""
    return {key: value for key, value in document.items() if value is not None}


def _fingerprint(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:16]


def encode_token(query: str, position: Any) -> str:
    """An opaque token for ``position`` in the listing that ``query`` names."""
    text = json.dumps({"q": _fingerprint(query), "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_token(token: str | None, query: str) -> Any:
    """The position a token of ``query`` holds (None: no token); InvalidToken otherwise."""
    if not token:
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise _invalid_token() from None
    if (
        not isinstance(document, dict)
        or document.get("q") != _fingerprint(query)
        or document.get("p") is None
    ):
        raise _invalid_token()
    return document["p"]


def _invalid_token() -> Exception:
    return api_error("InvalidToken", "Invalid Token: 'nextToken'")


def page_size(max_results: int | None) -> int:
    """The page size a request asks for (0 or absent: the default)."""
    return max_results or DEFAULT_PAGE_SIZE


def page(
    items: list[Any], size: int, token: str | None, query: str = ""
) -> tuple[list[Any], str | None]:
    """One page of a short in-memory list from ``token`` (an offset bound to ``query``) and the
    next page's token."""
    start = decode_token(token, query) or 0
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise _invalid_token()
    size = page_size(size)
    end = start + size
    following = encode_token(query, end) if end < len(items) else None
    return items[start:end], following
