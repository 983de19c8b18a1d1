"""Timestamps as the core sees them: integer milliseconds since the Unix epoch, UTC."""

from __future__ import annotations

import datetime as _dt

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def iso_from_ms(epoch_ms: int) -> str:
    """The ISO-8601 text AWS uses in the context object, e.g. ``2024-03-06T10:29:14.123Z``."""
    moment = _EPOCH + _dt.timedelta(milliseconds=epoch_ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def datetime_from_ms(epoch_ms: int) -> _dt.datetime:
    """An aware UTC datetime for an epoch-milliseconds value."""
    return _EPOCH + _dt.timedelta(milliseconds=epoch_ms)


def ms_from_datetime(moment: _dt.datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (moment - _EPOCH) // _dt.timedelta(milliseconds=1)
