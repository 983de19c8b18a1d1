"""Conformance cases that cannot pass yet, each with its reason.

A case is never deleted from the corpus. When it cannot pass, it is listed here:

* ``KNOWN_FAILURES`` — cases that run but do not match AWS yet (case name -> reason). They are
  marked ``xfail(strict=True)``, so a case that starts passing fails the run until it is
  removed from this list.
* ``skip_reason(case)`` — cases that cannot run at all yet (a service we do not emulate, an API
  we have not built). They are skipped with the reason it returns.
"""

from __future__ import annotations

from typing import Any

# Case name (the case file's "name", which is also its file name) -> why it fails today.
KNOWN_FAILURES: dict[str, str] = {
    "test_sfn_api__test_stop_execution": (
        "the recording stopped the execution during its Wait state (StopExecution, ABORTED); "
        "runner.py cannot stop an execution yet"
    ),
    "test_base_scenarios__test_map_state_label": (
        "MapStateEntered input: in this recording (and map_state_result_writer's) AWS shows the "
        "first state's input re-serialised compactly, while the 12 other recordings of a first "
        "state keep the submitted text; the engine follows the majority"
    ),
    "test_base_scenarios__test_map_state_nested_config_distributed_no_max_max_concurrency": (
        "the case invokes Lambda function lambda_func_00000001 but the corpus records no "
        "behaviour for it (no 'resources'), so runner.py has no local handler"
    ),
}

# Services a case may need and still run: Lambda functions run as local Python handlers.
EMULATED_SERVICES = frozenset({"lambda"})


def skip_reason(case: dict[str, Any]) -> str | None:
    """Why ``case`` cannot run in tests/conformance/test_cases.py yet (None: it can run)."""
    kind = case.get("kind", "execution")
    if kind == "api_error":
        return "api_error cases are checked by tests/conformance/test_api_errors.py"
    if kind == "test_state":
        return "TestState API not implemented yet"
    missing = [s for s in case.get("needs_services", []) if s not in EMULATED_SERVICES]
    if missing:
        return f"needs service {', '.join(missing)}, not emulated yet"
    return None
