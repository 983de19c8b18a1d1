"""Property tests of Retry timing on the virtual clock.

For any Retrier, the gap before retry ``n`` (counted from 0) is ``IntervalSeconds * BackoffRate**n``
capped by ``MaxDelaySeconds``; with ``JitterStrategy: FULL`` it lies in [0, that]; and the number
of attempts is ``1 + MaxAttempts`` when every attempt fails.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from interpreter import run


class AlwaysFails(Exception):
    """The handler's only answer."""


def failing_handler(calls: list[int]) -> Any:
    def handler(event: Any, context: Any) -> Any:
        calls.append(1)
        raise AlwaysFails("no")

    return handler


retriers = st.fixed_dictionaries(
    {
        "IntervalSeconds": st.integers(min_value=1, max_value=600),
        "MaxAttempts": st.integers(min_value=0, max_value=5),
        "BackoffRate": st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    },
    optional={
        "MaxDelaySeconds": st.integers(min_value=1, max_value=3600),
        "JitterStrategy": st.sampled_from(["FULL", "NONE"]),
    },
)


@settings(max_examples=40, deadline=None)
@given(retrier=retriers)
def test_retry_gaps_follow_the_formula(retrier: dict[str, Any]) -> None:
    calls: list[int] = []
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Retry": [{"ErrorEquals": ["AlwaysFails"], **retrier}],
                "End": True,
            }
        },
    }
    result = run(definition, {}, lambdas={"f": failing_handler(calls)})

    assert result.status == "FAILED"
    assert result.error == "AlwaysFails"
    assert len(calls) == 1 + retrier["MaxAttempts"]
    scheduled = [e["timestamp"] for e in result.history if e["type"] == "LambdaFunctionScheduled"]
    for attempt, (earlier, later) in enumerate(itertools.pairwise(scheduled)):
        bound = retrier["IntervalSeconds"] * retrier["BackoffRate"] ** attempt
        if "MaxDelaySeconds" in retrier:
            bound = min(bound, retrier["MaxDelaySeconds"])
        gap_ms = later - earlier
        if retrier.get("JitterStrategy") == "FULL":
            assert 0 <= gap_ms <= round(bound * 1000)
        else:
            assert gap_ms == round(bound * 1000)


@settings(max_examples=15, deadline=None)
@given(retrier=retriers)
def test_retry_timing_is_deterministic_for_one_execution_name(retrier: dict[str, Any]) -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Retry": [{"ErrorEquals": ["States.ALL"], **retrier}],
                "End": True,
            }
        },
    }

    def gaps() -> list[int]:
        result = run(definition, {}, lambdas={"f": failing_handler([])}, execution_name="same-name")
        stamps = [e["timestamp"] for e in result.history if e["type"] == "LambdaFunctionScheduled"]
        return [b - a for a, b in itertools.pairwise(stamps)]

    assert gaps() == gaps()
