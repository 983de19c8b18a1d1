"""The engine's behaviour, state by state, through the Python API on the virtual clock."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from interpreter import ExecutionResult, run
from interpreter.adapters.lambda_local import sleep


def run_machine(
    states: dict[str, Any],
    execution_input: Any = None,
    *,
    start_at: str | None = None,
    lambdas: dict[str, Any] | None = None,
    **machine: Any,
) -> ExecutionResult:
    definition = {"StartAt": start_at or next(iter(states)), "States": states, **machine}
    return run(definition, {} if execution_input is None else execution_input, lambdas=lambdas)


def types(result: ExecutionResult) -> list[str]:
    return [event["type"] for event in result.history]


def event(result: ExecutionResult, event_type: str, nth: int = 0) -> dict[str, Any]:
    return [e for e in result.history if e["type"] == event_type][nth]


LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


# ---------------------------------------------------------------------------------- history


def test_history_ids_are_contiguous_and_chain_through_states() -> None:
    result = run_machine(
        {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Result": {"x": 1}, "End": True},
        },
        {"in": True},
    )
    assert result.status == "SUCCEEDED"
    assert types(result) == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in result.history] == [1, 2, 3, 4, 5, 6]
    # AWS: the first state's entry points at 0, everything else at the event before it.
    assert [e["previousEventId"] for e in result.history] == [0, 0, 2, 3, 4, 5]
    exited = event(result, "PassStateExited", 1)["stateExitedEventDetails"]
    assert exited == {"name": "B", "output": '{"x":1}', "outputDetails": {"truncated": False}}


def test_sequential_map_chains_previous_event_ids_as_aws_does() -> None:
    result = run_machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
        [1, 2],
    )
    pairs = [(e["id"], e["previousEventId"], e["type"]) for e in result.history]
    assert pairs == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "MapStateEntered"),
        (3, 2, "MapStateStarted"),
        (4, 3, "MapIterationStarted"),
        (5, 4, "PassStateEntered"),
        (6, 5, "PassStateExited"),
        (7, 6, "MapIterationSucceeded"),
        (8, 6, "MapIterationStarted"),
        (9, 8, "PassStateEntered"),
        (10, 9, "PassStateExited"),
        (11, 10, "MapIterationSucceeded"),
        (12, 11, "MapStateSucceeded"),
        (13, 11, "MapStateExited"),
        (14, 13, "ExecutionSucceeded"),
    ]
    assert result.output == [1, 2]


# ---------------------------------------------------------------------------------- data flow


def test_jsonpath_data_flow_input_parameters_result_output() -> None:
    result = run_machine(
        {
            "S": {
                "Type": "Pass",
                "InputPath": "$.order",
                "Parameters": {"id.$": "$.id", "fixed": 1, "exec.$": "$$.Execution.Name"},
                "ResultPath": "$.summary",
                "OutputPath": "$.summary",
                "End": True,
            }
        },
        {"order": {"id": "o-7"}},
    )
    assert result.output == {"id": "o-7", "fixed": 1, "exec": result.name}


def test_result_path_null_keeps_the_input_and_output_path_null_gives_an_empty_object() -> None:
    kept = run_machine(
        {"S": {"Type": "Pass", "Result": 5, "ResultPath": None, "End": True}}, {"a": 1}
    )
    assert kept.output == {"a": 1}
    emptied = run_machine({"S": {"Type": "Pass", "OutputPath": None, "End": True}}, {"a": 1})
    assert emptied.output == {}


def test_missing_input_path_is_a_runtime_error_that_catch_cannot_handle() -> None:
    result = run_machine(
        {"S": {"Type": "Pass", "InputPath": "$.nope", "End": True}},
        {"a": 1},
    )
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert result.cause == (
        "An error occurred while executing the state 'S' (entered at the event id #2). "
        "Invalid path '$.nope' : No results for path: $['nope']"
    )


def test_variables_assign_after_output_and_are_visible_in_later_states() -> None:
    result = run_machine(
        {
            "A": {"Type": "Pass", "Result": {"v": 3}, "Assign": {"x.$": "$.v"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "Assign": {"x": 4}, "End": True},
        }
    )
    assert result.output == {"x": 3}
    exited = event(result, "PassStateExited", 1)["stateExitedEventDetails"]
    assert exited["assignedVariables"] == {"x": "4"}


def test_map_iterations_read_outer_variables_but_do_not_share_their_own() -> None:
    result = run_machine(
        {
            "Init": {"Type": "Pass", "Assign": {"base": 10}, "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Set",
                    "States": {
                        "Set": {
                            "Type": "Pass",
                            "Assign": {"mine.$": "$"},
                            "Next": "Read",
                        },
                        "Read": {
                            "Type": "Pass",
                            "Parameters": {"base.$": "$base", "mine.$": "$mine"},
                            "End": True,
                        },
                    },
                },
                "End": True,
            },
        },
        [1, 2, 3],
        start_at="Init",
    )
    assert result.output == [{"base": 10, "mine": n} for n in (1, 2, 3)]


# ---------------------------------------------------------------------------------- Choice, Wait


def test_choice_takes_the_first_matching_rule_then_default() -> None:
    states = {
        "C": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
                {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Medium"},
            ],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Medium": {"Type": "Pass", "Result": "medium", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "End": True},
    }
    assert [run_machine(states, {"n": n}).output for n in (20, 7, 1)] == ["big", "medium", "small"]


def test_choice_without_default_fails_with_no_choice_matched() -> None:
    result = run_machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "IsNull": True, "Next": "X"}]},
            "X": {"Type": "Succeed"},
        },
        {"n": 1},
    )
    assert result.status == "FAILED"
    assert result.error == "States.NoChoiceMatched"


def test_a_one_day_wait_takes_one_virtual_day() -> None:
    result = run_machine({"W": {"Type": "Wait", "Seconds": 86400, "End": True}})
    assert result.status == "SUCCEEDED"
    entered = event(result, "WaitStateEntered")["timestamp"]
    exited = event(result, "WaitStateExited")["timestamp"]
    assert exited - entered == 86_400_000


def test_wait_timestamp_in_the_past_does_not_wait() -> None:
    result = run_machine(
        {"W": {"Type": "Wait", "TimestampPath": "$.at", "End": True}},
        {"at": "2001-01-01T00:00:00Z"},
    )
    assert result.status == "SUCCEEDED"
    assert (
        event(result, "WaitStateExited")["timestamp"]
        == event(result, "WaitStateEntered")["timestamp"]
    )


def test_execution_timeout_ends_a_long_wait() -> None:
    result = run_machine({"W": {"Type": "Wait", "Seconds": 100, "End": True}}, TimeoutSeconds=10)
    assert result.status == "TIMED_OUT"
    assert types(result)[-1] == "ExecutionTimedOut"


# ---------------------------------------------------------------------------------- Task, Retry


class Flaky(Exception):
    """A retriable failure of the test handlers."""


def failing_n_times(n: int) -> tuple[Any, list[Any]]:
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        if len(calls) <= n:
            raise Flaky(f"attempt {len(calls)}")
        return {"ok": len(calls)}

    return handler, calls


def test_retry_waits_interval_times_backoff_on_the_virtual_clock() -> None:
    handler, _calls = failing_n_times(3)
    result = run_machine(
        {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA_ARN.format("f"),
                "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3}],
                "End": True,
            }
        },
        lambdas={"f": handler},
    )
    assert result.status == "SUCCEEDED"
    assert result.output == {"ok": 4}
    scheduled = [e["timestamp"] for e in result.history if e["type"] == "LambdaFunctionScheduled"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(scheduled)]
    assert gaps == [2000, 6000, 18000]


def test_retry_max_delay_caps_the_back_off() -> None:
    handler, _ = failing_n_times(3)
    result = run_machine(
        {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA_ARN.format("f"),
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 4,
                        "BackoffRate": 10,
                        "MaxDelaySeconds": 5,
                    }
                ],
                "End": True,
            }
        },
        lambdas={"f": handler},
    )
    scheduled = [e["timestamp"] for e in result.history if e["type"] == "LambdaFunctionScheduled"]
    assert [b - a for a, b in itertools.pairwise(scheduled)] == [4000, 5000, 5000]


def test_max_attempts_zero_never_retries_and_catch_gets_the_error_output() -> None:
    handler, calls = failing_n_times(5)
    result = run_machine(
        {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA_ARN.format("f"),
                "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 0}],
                "Catch": [{"ErrorEquals": ["Flaky"], "ResultPath": "$.err", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
        {"keep": 1},
        lambdas={"f": handler},
    )
    assert len(calls) == 1
    assert result.status == "SUCCEEDED"
    assert result.output["keep"] == 1
    assert result.output["err"]["Error"] == "Flaky"
    cause = json.loads(result.output["err"]["Cause"])
    assert cause["errorMessage"] == "attempt 1"
    assert cause["errorType"] == "Flaky"


def test_task_timeout_fires_before_a_slow_handler_returns() -> None:
    def slow(event: Any, context: Any) -> Any:
        sleep(60)
        return event

    result = run_machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "slow", "Payload": {}},
                "TimeoutSeconds": 5,
                "End": True,
            }
        },
        lambdas={"slow": slow},
    )
    assert result.status == "FAILED"
    assert result.error == "States.Timeout"
    timed_out = event(result, "TaskTimedOut")
    assert timed_out["timestamp"] - event(result, "TaskStarted")["timestamp"] == 5000


def test_lambda_invoke_wraps_the_payload_as_aws_does() -> None:
    result = run_machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "echo", "Payload": {"a": 1}},
                "ResultSelector": {"p.$": "$.Payload", "code.$": "$.StatusCode"},
                "End": True,
            }
        },
        lambdas={"echo": lambda event, context: event},
    )
    assert result.output == {"p": {"a": 1}, "code": 200}
    scheduled = event(result, "TaskScheduled")["taskScheduledEventDetails"]
    assert scheduled["resource"] == "invoke"
    assert scheduled["resourceType"] == "lambda"
    assert json.loads(scheduled["parameters"]) == {"FunctionName": "echo", "Payload": {"a": 1}}


def test_task_result_over_the_payload_limit_fails_with_data_limit_exceeded() -> None:
    result = run_machine(
        {"T": {"Type": "Task", "Resource": LAMBDA_ARN.format("big"), "End": True}},
        lambdas={"big": lambda event, context: "x" * 262_145},
    )
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"
    assert types(result)[-2] == "LambdaFunctionFailed"


def test_payload_limit_is_counted_in_utf8_bytes() -> None:
    # 262,144 bytes of JSON text exactly is allowed; one more byte is not.
    def payload_of(size: int) -> str:
        return "é" * ((size - 2) // 2)  # two bytes each, plus the two quotes

    ok = run_machine(
        {"T": {"Type": "Task", "Resource": LAMBDA_ARN.format("f"), "End": True}},
        lambdas={"f": lambda event, context: payload_of(262_144)},
    )
    assert ok.status == "SUCCEEDED"
    too_big = run_machine(
        {"T": {"Type": "Task", "Resource": LAMBDA_ARN.format("f"), "End": True}},
        lambdas={"f": lambda event, context: payload_of(262_144) + "a"},
    )
    assert too_big.error == "States.DataLimitExceeded"


# ---------------------------------------------------------------------------------- Parallel, Map


def test_parallel_collects_branch_outputs_in_branch_order() -> None:
    result = run_machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}},
                    {"StartAt": "Q", "States": {"Q": {"Type": "Pass", "Result": 2, "End": True}}},
                ],
                "End": True,
            }
        },
        {"v": 1},
    )
    assert result.output == [{"v": 1}, 2]


def test_parallel_branch_failure_is_caught_by_the_parallel_state() -> None:
    result = run_machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}},
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}},
                ],
                "Catch": [{"ErrorEquals": ["E"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        }
    )
    assert result.output == {"Error": "E", "Cause": "c"}
    assert "ParallelStateFailed" in types(result)
    assert "WaitStateAborted" in types(result)


@pytest.mark.parametrize("max_concurrency", [0, 1, 3])
def test_map_output_order_is_item_order_whatever_the_concurrency(max_concurrency: int) -> None:
    result = run_machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "StartAt": "W",
                    "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": True}},
                },
                "End": True,
            }
        },
        [3, 1, 2, 0],
    )
    assert result.output == [3, 1, 2, 0]


def test_map_with_max_concurrency_one_runs_items_strictly_one_after_another() -> None:
    result = run_machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "StartAt": "W",
                    "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}},
                },
                "End": True,
            }
        },
        list(range(5)),
    )
    starts = [e["timestamp"] for e in result.history if e["type"] == "MapIterationStarted"]
    assert [b - a for a, b in itertools.pairwise(starts)] == [1000] * 4


def test_map_failure_fails_the_state_with_the_iteration_error() -> None:
    result = run_machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "C",
                    "States": {
                        "C": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}],
                            "Default": "Ok",
                        },
                        "Bad": {"Type": "Fail", "Error": "Two", "Cause": "no twos"},
                        "Ok": {"Type": "Pass", "End": True},
                    },
                },
                "End": True,
            }
        },
        [1, 2, 3],
    )
    assert result.status == "FAILED"
    assert (result.error, result.cause) == ("Two", "no twos")
    assert "MapIterationFailed" in types(result)
    assert types(result)[-2] == "MapStateFailed"


def test_map_over_a_non_array_is_a_runtime_error() -> None:
    result = run_machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
        {"not": "a list"},
    )
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"


# ---------------------------------------------------------------------------------- JSONata


def test_jsonata_state_evaluates_output_and_assign_with_states_binding() -> None:
    result = run_machine(
        {
            "A": {
                "Type": "Pass",
                "Assign": {"total": "{% $sum($states.input.xs) %}"},
                "Output": {"first": "{% $states.input.xs[0] %}"},
                "Next": "B",
            },
            "B": {
                "Type": "Pass",
                "Output": "{% {'total': $total, 'in': $states.input} %}",
                "End": True,
            },
        },
        {"xs": [1, 2, 3]},
        QueryLanguage="JSONata",
    )
    assert result.output == {"total": 6, "in": {"first": 1}}


def test_jsonata_undefined_result_fails_with_query_evaluation_error() -> None:
    result = run_machine(
        {"A": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}},
        {"x": 1},
        QueryLanguage="JSONata",
    )
    assert result.status == "FAILED"
    assert result.error == "States.QueryEvaluationError"
    assert "returned nothing (undefined)" in (result.cause or "")
    failed = event(result, "EvaluationFailed")["evaluationFailedEventDetails"]
    assert failed["location"] == "Output"
    assert failed["state"] == "A"


def test_a_payload_nested_too_deeply_fails_the_execution_instead_of_crashing() -> None:
    states: dict[str, Any] = {}
    for i in range(3000):
        states[f"S{i}"] = {
            "Type": "Pass",
            "Parameters": {"inner.$": "$"},
            **({"Next": f"S{i + 1}"} if i < 2999 else {"End": True}),
        }
    result = run_machine(states, {})
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"


def test_the_history_is_capped_at_25000_events_as_on_aws() -> None:
    result = run_machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
        list(range(7000)),
    )
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert len(result.history) == 25_000
    assert [e["id"] for e in result.history] == list(range(1, 25_001))
    assert result.history[-1]["type"] == "ExecutionFailed"


def test_an_execution_ending_exactly_at_event_25000_succeeds() -> None:
    # 1 ExecutionStarted + 2 events per Pass state + 1 ExecutionSucceeded = 25,000.
    count = 12_499
    states = {
        f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < count - 1 else {"End": True})}
        for i in range(count)
    }
    result = run_machine(states, {})
    assert result.status == "SUCCEEDED"
    assert len(result.history) == 25_000


def test_a_variable_over_256_kib_fails_the_state_with_data_limit_exceeded() -> None:
    result = run_machine(
        {
            "A": {
                "Type": "Pass",
                "Result": {"big": "x" * 262_150},
                "ResultPath": None,
                "Assign": {"big.$": "$.big"},
                "End": True,
            }
        }
    )
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"
    assert "'big'" in (result.cause or "")


def test_variables_within_the_limits_are_assigned_and_counted() -> None:
    result = run_machine(
        {
            "A": {"Type": "Pass", "Assign": {"s": "x"}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"s": "yy"}, "Parameters": {"s.$": "$s"}, "End": True},
        }
    )
    assert result.status == "SUCCEEDED"
    assert result.output == {"s": "x"}


def test_distributed_map_iterations_cannot_read_outer_variables() -> None:
    result = run_machine(
        {
            "Init": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Read",
                    "States": {
                        "Read": {"Type": "Pass", "Parameters": {"v.$": "$outer"}, "End": True}
                    },
                },
                "End": True,
            },
        },
        [1],
        start_at="Init",
    )
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    # The iteration's own events are not in the parent history.
    assert "MapIterationStarted" not in types(result)
    assert "MapRunFailed" in types(result)


def test_heartbeat_seconds_do_not_apply_to_a_request_response_lambda() -> None:
    def slow(event: Any, context: Any) -> Any:
        sleep(20)
        return {"done": True}

    result = run_machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "slow", "Payload": {}},
                "TimeoutSeconds": 60,
                "HeartbeatSeconds": 5,
                "ResultSelector": {"p.$": "$.Payload"},
                "End": True,
            }
        },
        lambdas={"slow": slow},
    )
    assert result.status == "SUCCEEDED"
    assert result.output == {"p": {"done": True}}
    scheduled = event(result, "TaskScheduled")["taskScheduledEventDetails"]
    assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (60, 5)
