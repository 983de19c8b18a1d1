"""Where a state's failure goes: Retry first, then Catch, else the failure ends the state's frame.

:func:`route_failure` is the one rule, pure and shared by the engine, Parallel and Map states,
and the TestState API (which runs one attempt and reports the route instead of taking it).
The attempt counts live with the caller (the engine keeps them in the frame, so they survive a
crash between attempts); the jitter seed makes a delay reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from interpreter.core.catch import find_catcher
from interpreter.core.errors import NOT_MATCHED_BY_ALL
from interpreter.core.retry import find_retrier, retry_delay_seconds
from interpreter.definition import model as M


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """Run the state again after ``delay_seconds``; ``retrier`` is the matching Retrier's
    index."""

    retrier: int
    delay_seconds: float


@dataclass(frozen=True, slots=True)
class CatchWith:
    """Go to the Catcher at index ``catcher``."""

    catcher: int
    #: The Retrier that matched but had no attempts left, if one did.
    retrier: int | None = None


@dataclass(frozen=True, slots=True)
class Unhandled:
    """No Retrier and no Catcher takes the failure. ``terminal`` marks an error that nothing may
    retry or catch (``States.Runtime``)."""

    terminal: bool
    #: The Retrier that matched but had no attempts left, if one did.
    retrier: int | None = None


Route: TypeAlias = RetryAfter | CatchWith | Unhandled


def route_failure(
    state: M.State, error: str | None, attempts: Sequence[int], jitter_seed: str
) -> Route:
    """Where the failure ``error`` of ``state`` goes.

    ``attempts[i]`` is how many times Retrier ``i`` has retried the state already (missing
    entries count as 0). A matching Retrier with attempts left retries; the first matching
    Retrier decides (a later one is never consulted), as the ASL spec says. Otherwise the first
    matching Catcher takes it. ``jitter_seed`` (with the Retrier's index appended) seeds a
    ``JitterStrategy: FULL`` delay.
    """
    terminal = error in NOT_MATCHED_BY_ALL
    if terminal:
        return Unhandled(terminal=True)
    retriers: tuple[M.Retrier, ...] = getattr(state, "retry", ())
    matched = find_retrier(retriers, error) if retriers else None
    if matched is not None:
        done = attempts[matched] if matched < len(attempts) else 0
        retrier = retriers[matched]
        if done < retrier.max_attempts:
            delay = retry_delay_seconds(retrier, done, f"{jitter_seed}|{matched}")
            return RetryAfter(matched, delay)
    catchers: tuple[M.Catcher, ...] = getattr(state, "catch", ())
    caught = find_catcher(catchers, error) if catchers else None
    if caught is not None:
        return CatchWith(caught, matched)
    return Unhandled(terminal=False, retrier=matched)
