"""A Map state's tolerated failures: how many failed iterations (items) it survives."""

from __future__ import annotations


def tolerated(failed: int, total: int, count: int | None, percentage: float | None) -> bool:
    """Whether ``failed`` of ``total`` items stay within ``ToleratedFailureCount`` /
    ``ToleratedFailurePercentage`` (either one suffices). With neither set, no failure is
    tolerated."""
    if count is not None and failed <= count:
        return True
    return percentage is not None and total > 0 and failed * 100 <= percentage * total


def threshold_set(count: int | None, percentage: float | None) -> bool:
    """Whether the Map sets a tolerated failure threshold at all."""
    return count is not None or percentage is not None
