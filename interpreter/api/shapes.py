"""Small response shapes the API actions share: dates, paging, absent members."""

from __future__ import annotations

import base64
from typing import Any

from interpreter.api.errors import api_error
from interpreter.core.timefmt import datetime_from_ms


def api_date(epoch_ms: int | None) -> Any:
    """A timestamp member (boto3 shows a datetime; the HTTP layer writes epoch seconds)."""
    return None if epoch_ms is None else datetime_from_ms(epoch_ms)


def drop_none(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without its absent (None) members, as AWS leaves them out."""
    return {key: value for key, value in document.items() if value is not None}


def page(items: list[Any], size: int, token: str | None) -> tuple[list[Any], str | None]:
    """One page of ``items`` from ``token`` (opaque: the offset) and the next page's token."""
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError:
            raise api_error("InvalidToken", "Invalid Token: 'nextToken'") from None
    end = start + size
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following
