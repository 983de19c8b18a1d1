"""What a compiled query may read when it is evaluated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from interpreter.json_types import JSON


def _no_uuid() -> str:
    raise RuntimeError("this evaluation was given no uuid source")


@dataclass(slots=True)
class Scope:
    """The data one evaluation sees.

    ``input`` is ``$`` (the value the field reads: the effective input for Parameters, the task
    result for ResultSelector...), ``context`` is ``$$``, ``variables`` are the ``$name`` variables
    visible in the current frame (inner scopes already merged with outer ones).

    ``new_uuid`` returns a fresh UUID string (``States.UUID``, ``$uuid()``); ``random`` returns a
    float in [0, 1) (``$random()``). The pure core passes deterministic sources derived from the
    execution and the event id, so replaying a history yields the same values.
    """

    input: JSON
    context: JSON = None
    variables: Mapping[str, JSON] = field(default_factory=dict)
    new_uuid: Callable[[], str] = _no_uuid
    random: Callable[[], float] | None = None
