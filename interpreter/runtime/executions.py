"""A new execution's identity: what the core's ``start`` needs to know about it.

Both drivers — the in-process runner and the durable runtime — start executions through
:func:`new_execution`, so the identity (names, ARNs, role, time, and the secret task tokens are
derived from) has one shape.
"""

from __future__ import annotations

import secrets
from typing import Any

from interpreter.json_types import JSON


def new_execution(
    *,
    arn: str,
    name: str,
    execution_input: JSON,
    input_text: str | None,
    start_ms: int,
    role_arn: str,
    state_machine_arn: str,
    state_machine_name: str,
    region: str,
    account: str,
) -> dict[str, Any]:
    """The execution identity for :func:`interpreter.core.engine.start`, with a fresh random
    secret (task tokens are derived from it, so they cannot be guessed)."""
    return {
        "arn": arn,
        "name": name,
        "input": execution_input,
        "input_text": input_text,
        "start_ms": start_ms,
        "role_arn": role_arn,
        "state_machine_arn": state_machine_arn,
        "state_machine_name": state_machine_name,
        "region": region,
        "account": account,
        "secret": secrets.token_hex(16),
    }
