"""Retry: which Retrier applies to a failure, and how long to wait before the next attempt.

Attempt counts live in the frame (so they survive a crash between attempts); the delay is computed
from the Retrier and, for ``JitterStrategy: FULL``, from a seeded generator, so replays agree.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from interpreter.core.errors import matches
from interpreter.definition.model import Retrier


def find_retrier(retriers: Sequence[Retrier], error: str | None) -> int | None:
    """Index of the first Retrier whose ``ErrorEquals`` matches ``error``, or None."""
    for index, retrier in enumerate(retriers):
        if matches(retrier.error_equals, error):
            return index
    return None


def retry_delay_seconds(retrier: Retrier, attempt: int, jitter_seed: str) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    ``IntervalSeconds * BackoffRate ** attempt``, capped by ``MaxDelaySeconds``; with
    ``JitterStrategy: FULL`` a uniform draw from [0, that], seeded by ``jitter_seed``.
    """
    delay = retrier.interval_seconds * (retrier.backoff_rate**attempt)
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    if retrier.jitter_strategy == "FULL":
        digest = hashlib.sha256(jitter_seed.encode()).digest()
        # A PRNG seeded from the retry's identity: deterministic, not for security.
        delay = random.Random(digest).uniform(0.0, delay)  # noqa: S311
    return delay
