"""Family 1 of issue 13: values read at run time, by field and JSON type: AWS's error and cause.

Every row runs a one-state machine and states the outcome: success, or the error name and the
cause after AWS's prefix ("An error occurred while executing the state 'S' (entered at the event
id #2). "). The source of each row:

* CORPUS: a recorded case (tests/conformance/cases; EVENTS.md groups their causes), named.
* SNAPSHOT: AWS-validated recordings of LocalStack's Step Functions suite that the corpus does not
  hold (tests/aws/services/stepfunctions/v2 at localstack commit 8b9a79f0): base/test_wait
  ``test_base_wait_seconds_path[-1|1.5|-1.5|0|1]`` and ``test_wait_timestamppath``, scenarios
  ``test_map_state_items_input_types`` and ``test_map_item_reader_csv_max_items_paths``,
  test_state ``test_state_map_context_object`` (ItemsPath not an array).
* JAVA: what the recorded wordings imply about AWS's Java runtime: the value found is read from
  its text (a string as it is, anything else as Java prints it: 2.0 stays "2.0") with
  Integer.parseInt / Long.parseLong / Double.parseDouble ("cannot be parsed as a long value",
  "refers to value \\"NoNumber\\" which is not a valid integer"); timestamps with
  DateTimeFormatter.ISO_OFFSET_DATE_TIME, the formatter the cause names.
* UNSETTLED: no recording settles the row; the choice follows the recorded pattern named.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.adapters.aws_services import Boto3ServiceInvoker

MISSING = object()
OK = ("SUCCEEDED", None, None)


def _input(field: str, value: Any) -> dict[str, Any]:
    return {} if value is MISSING else {field: value}


def _outcome(
    definition: dict[str, Any], document: Any, **options: Any
) -> tuple[str, str | None, str | None]:
    result = StateMachine(definition).run(document, clock="virtual", **options)
    cause = result.cause
    if cause is not None and "). " in cause and cause.startswith("An error occurred"):
        cause = cause.split("). ", 1)[1]
    return result.status, result.error, cause


def _failed(error: str, cause: str) -> tuple[str, str, str]:
    return ("FAILED", error, cause)


def _ids(table: list[tuple[Any, ...]]) -> list[str]:
    return [f"{row[0]!r}" if row[0] is not MISSING else "missing" for row in table]


# ------------------------------------------------------------------------------------------
# Wait: SecondsPath
# ------------------------------------------------------------------------------------------


def _long(text: str) -> tuple[str, str, str]:
    return _failed(
        "States.Runtime",
        f"The SecondsPath parameter cannot be parsed as a long value: $.v == {text}",
    )


SECONDS_PATH = [
    (0, OK, "SNAPSHOT test_base_wait_seconds_path[0]"),
    (1, OK, "SNAPSHOT test_base_wait_seconds_path[1]"),
    (
        -1,
        _failed(
            "States.Runtime", "The SecondsPath parameter references a negative value: $.v == -1"
        ),
        "SNAPSHOT test_base_wait_seconds_path[-1]",
    ),
    (1.5, _long("1.5"), "SNAPSHOT test_base_wait_seconds_path[1.5]"),
    (-1.5, _long("-1.5"), "SNAPSHOT test_base_wait_seconds_path[-1.5]"),
    (2.0, _long("2.0"), "UNSETTLED; JAVA (Java prints 2.0, Long.parseLong refuses it)"),
    (10**20, _long(str(10**20)), "UNSETTLED; JAVA (beyond a long)"),
    (
        10**10,
        _failed("States.Runtime", "Wait state delay is too long."),
        "CORPUS base/test_wait__test_timestamp_too_far_in_future_boundary_24856 (same limit)",
    ),
    ("3", OK, "UNSETTLED; JAVA (a numeric string parses)"),
    ("abc", _long("abc"), "UNSETTLED; JAVA"),
    (None, _long("null"), "UNSETTLED; JAVA"),
    (True, _long("true"), "UNSETTLED; JAVA"),
    ({}, _long("{}"), "UNSETTLED; JAVA (Map.toString)"),
    ([1], _long("[1]"), "UNSETTLED; JAVA (List.toString)"),
    (
        MISSING,
        _failed(
            "States.Runtime", "The SecondsPath parameter does not reference an input value: $.v"
        ),
        "CORPUS logs/test_logs__test_partial_log_levels_wait_seconds_path*",
    ),
]


@pytest.mark.parametrize(("value", "outcome", "source"), SECONDS_PATH, ids=_ids(SECONDS_PATH))
def test_wait_seconds_path(value: Any, outcome: tuple[Any, ...], source: str) -> None:
    definition = {
        "StartAt": "S",
        "States": {"S": {"Type": "Wait", "SecondsPath": "$.v", "End": True}},
    }
    assert _outcome(definition, _input("v", value)) == outcome


# ------------------------------------------------------------------------------------------
# Wait: TimestampPath (JSONPath) and Timestamp (JSONata)
# ------------------------------------------------------------------------------------------


def _bad_stamp(text: str) -> tuple[str, str, str]:
    return _failed(
        "States.Runtime",
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
        f"date-time format string: $.v == {text}",
    )


TIMESTAMP_PATH = [
    ("2016-03-14T01:59:00Z", OK, "CORPUS (valid form; in the past: no wait)"),
    ("2016-03-14T01:59:00.000000Z", OK, "SNAPSHOT test_wait_timestamppath[.000000Z]"),
    ("2016-03-14T01:59:00.00Z", OK, "SNAPSHOT test_wait_timestamppath[.00Z]"),
    ("2016-03-14T01:59:00+01:00", OK, "JAVA (an offset)"),
    ("2016-03-14T01:59:00+0100", OK, "UNSETTLED; JAVA (the offset is read leniently)"),
    ("2016-03-14T01:59Z", OK, "UNSETTLED; JAVA (seconds are optional)"),
    ("2016-03-14t01:59:00z", OK, "UNSETTLED; JAVA (the formatter ignores case)"),
    (
        "2016-12-05T25:29:29Z",
        _bad_stamp("2016-12-05T25:29:29Z"),
        "CORPUS scenarios/test_wait_timestamp_path_INVALID_TIME",
    ),
    (
        "2016-12-05T21:29:29",
        _bad_stamp("2016-12-05T21:29:29"),
        "CORPUS scenarios/test_wait_timestamp_path_NO_Z",
    ),
    (
        "2016-12-05 21:29:29Z",
        _bad_stamp("2016-12-05 21:29:29Z"),
        "CORPUS scenarios/test_wait_timestamp_path_NO_T",
    ),
    ("2016-02-30T00:00:00Z", _bad_stamp("2016-02-30T00:00:00Z"), "JAVA (strict calendar)"),
    (1457920740, _bad_stamp("1457920740"), "UNSETTLED; JAVA (a number's text)"),
    (None, _bad_stamp("null"), "UNSETTLED; JAVA"),
    ({}, _bad_stamp("{}"), "UNSETTLED; JAVA"),
    (
        MISSING,
        _failed(
            "States.Runtime", "The TimestampPath parameter does not reference an input value: $.v"
        ),
        "UNSETTLED; the SecondsPath CORPUS wording",
    ),
]


@pytest.mark.parametrize(("value", "outcome", "source"), TIMESTAMP_PATH, ids=_ids(TIMESTAMP_PATH))
def test_wait_timestamp_path(value: Any, outcome: tuple[Any, ...], source: str) -> None:
    definition = {
        "StartAt": "S",
        "States": {"S": {"Type": "Wait", "TimestampPath": "$.v", "End": True}},
    }
    assert _outcome(definition, _input("v", value)) == outcome


@pytest.mark.parametrize(
    ("value", "outcome", "source"),
    [
        ("2016-03-14T01:59:00Z", OK, "CORPUS scenarios/test_wait_timestamp_jsonata (valid)"),
        (
            "2016-12-05T21:29:29",
            _failed(
                "States.QueryEvaluationError",
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
                "format string: 2016-12-05T21:29:29",
            ),
            "CORPUS scenarios/test_wait_timestamp_jsonata_NO_Z",
        ),
        (
            True,
            _failed(
                "States.QueryEvaluationError",
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
                "format string: true",
            ),
            "UNSETTLED; the CORPUS wording with the value's text (JAVA)",
        ),
    ],
)
def test_wait_timestamp_jsonata(value: Any, outcome: tuple[Any, ...], source: str) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": {"S": {"Type": "Wait", "Timestamp": "{% $states.input.v %}", "End": True}},
    }
    assert _outcome(definition, {"v": value}) == outcome


# ------------------------------------------------------------------------------------------
# Map: the items (ItemsPath / Items), by query language
# ------------------------------------------------------------------------------------------

PROCESSOR = {
    "ProcessorConfig": {"Mode": "INLINE"},
    "StartAt": "P",
    "States": {"P": {"Type": "Pass", "End": True}},
}
NOT_ARRAYS = [None, True, 1, 1.5, "s", {"a": 1}]


@pytest.mark.parametrize("value", [*NOT_ARRAYS, MISSING, []], ids=repr)
def test_items_path_that_is_not_an_array(value: Any) -> None:
    """JSONPath: States.Runtime, 'Reference path "<ItemsPath>" must point to array.' with no
    state prefix (SNAPSHOT test_state_map_context_object[ALL|EXECUTION_INPUT]); a path that
    selects nothing is an invalid path (UNSETTLED; the CORPUS InputPath/OutputPath wording)."""
    definition = {
        "StartAt": "M",
        "States": {
            "M": {"Type": "Map", "ItemsPath": "$.v", "ItemProcessor": PROCESSOR, "End": True}
        },
    }
    status, error, cause = _outcome(definition, _input("v", value))
    if value == []:
        assert (status, error) == ("SUCCEEDED", None)
    elif value is MISSING:
        assert (error, cause) == (
            "States.Runtime",
            "Invalid path '$.v' : No results for path: $['v']",
        )
    else:
        assert (error, cause) == ("States.Runtime", 'Reference path "$.v" must point to array.')


@pytest.mark.parametrize(
    ("items_path", "shown"), [(None, "$"), ("$", "$"), ("$$.Execution.Input", "$.Execution.Input")]
)
def test_the_default_and_context_items_paths_are_named_as_aws_names_them(
    items_path: str | None, shown: str
) -> None:
    """SNAPSHOT test_state_map_context_object: "$$" shows as "$", "$$.Execution.Input" as
    "$.Execution.Input"; no ItemsPath is "$" (UNSETTLED: the ASL default)."""
    state: dict[str, Any] = {"Type": "Map", "ItemProcessor": PROCESSOR, "End": True}
    if items_path is not None:
        state["ItemsPath"] = items_path
    definition = {"StartAt": "M", "States": {"M": state}}
    assert _outcome(definition, {"a": 1}) == (
        "FAILED",
        "States.Runtime",
        f'Reference path "{shown}" must point to array.',
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (True, "true"),
        (1, "1"),
        ("string", '"string"'),
        ({"foo": "bar"}, '{"foo":"bar"}'),
    ],
)
def test_jsonata_map_input_that_is_not_an_array(value: Any, shown: str) -> None:
    """JSONata, no Items: States.QueryEvaluationError, 'Map state input must be an array but
    was: <JSON>', and an EvaluationFailed event without a location (SNAPSHOT
    test_map_state_items_input_types[null|boolean|number|string|object])."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Output": "{% $states.input.items %}", "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": PROCESSOR, "End": True},
        },
    }
    # The recorded template: a Pass hands the Map its input.
    result = StateMachine(definition).run({"items": value}, clock="virtual")
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert result.cause == (
        "An error occurred while executing the state 'M' (entered at the event id #4). "
        f"Map state input must be an array but was: {shown}"
    )
    failed = next(e for e in result.history if e["type"] == "EvaluationFailed")
    assert failed["evaluationFailedEventDetails"] == {
        "error": "States.QueryEvaluationError",
        "cause": result.cause,
        "state": "M",
    }


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [(None, "null", "null"), (True, "boolean", "true"), (1, "number", "1"), ("s", "string", '"s"')],
)
def test_jsonata_items_that_are_not_an_array(value: Any, kind: str, shown: str) -> None:
    """CORPUS scenarios/test_map_state_items_eval_jsonata_fail_* and ..._variable_sampling_*."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.v %}",
                "ItemProcessor": PROCESSOR,
                "End": True,
            }
        },
    }
    assert _outcome(definition, {"v": value}) == _failed(
        "States.QueryEvaluationError",
        "The JSONata expression '$states.input.v' specified for the field 'Items' returned an "
        f"unexpected result type. Expected 'array', but was '{kind}' for value: {shown}",
    )


# ------------------------------------------------------------------------------------------
# Map: MaxConcurrencyPath, ToleratedFailureCountPath, ToleratedFailurePercentagePath
# ------------------------------------------------------------------------------------------


def _not_valid(field: str, text: str, path: str, kind: str = "integer") -> tuple[str, str, str]:
    return _failed(
        "States.Runtime",
        f'The {field} field refers to value "{text}" which is not a valid {kind}: {path}',
    )


MAP_NUMBERS = [
    # (field, value, outcome, source)
    ("MaxConcurrencyPath", 0, OK, "CORPUS test_max_concurrency_path_0"),
    ("MaxConcurrencyPath", 1, OK, "CORPUS test_max_concurrency_path_1"),
    ("MaxConcurrencyPath", "NoNumber", _not_valid("MaxConcurrencyPath", "NoNumber", "$.v"),
     "CORPUS test_max_concurrency_path_NoNumber"),
    ("MaxConcurrencyPath", {}, _not_valid("MaxConcurrencyPath", "{}", "$.v"),
     "CORPUS test_max_concurrency_path_max_concurrency_value0"),
    ("MaxConcurrencyPath", 1.5, _not_valid("MaxConcurrencyPath", "1.5", "$.v"),
     "SNAPSHOT test_map_item_reader_csv_max_items_paths[1.5] (same wording)"),
    ("MaxConcurrencyPath", 2.0, _not_valid("MaxConcurrencyPath", "2.0", "$.v"),
     "UNSETTLED; JAVA (Integer.parseInt(\"2.0\") fails)"),
    ("MaxConcurrencyPath", 3_000_000_000, _not_valid("MaxConcurrencyPath", "3000000000", "$.v"),
     "UNSETTLED; JAVA (beyond an int)"),
    ("MaxConcurrencyPath", "2", OK, "UNSETTLED; JAVA (a numeric string parses)"),
    ("MaxConcurrencyPath", None, _not_valid("MaxConcurrencyPath", "null", "$.v"),
     "UNSETTLED; JAVA"),
    ("MaxConcurrencyPath", True, _not_valid("MaxConcurrencyPath", "true", "$.v"),
     "UNSETTLED; JAVA"),
    ("MaxConcurrencyPath", [1], _not_valid("MaxConcurrencyPath", "[1]", "$.v"),
     "UNSETTLED; JAVA"),
    ("MaxConcurrencyPath", -1, _failed("States.Runtime", "MaxConcurrency cannot be negative."),
     "UNSETTLED: SNAPSHOT test_max_concurrency_path_negative shows AWS stopping after "
     "ExecutionStarted; worded as CORPUS 'ToleratedFailureCount cannot be negative.'"),
    ("ToleratedFailureCountPath", 0, OK, "CORPUS test_map_state_tolerated_failure_count_path_0"),
    ("ToleratedFailureCountPath", -1,
     _failed("States.Runtime", "ToleratedFailureCount cannot be negative."),
     "CORPUS test_map_state_tolerated_failure_count_path_-1"),
    ("ToleratedFailureCountPath", "NoNumber",
     _not_valid("ToleratedFailureCountPath", "NoNumber", "$.v"),
     "CORPUS test_map_state_tolerated_failure_count_path_NoNumber"),
    ("ToleratedFailureCountPath", {}, _not_valid("ToleratedFailureCountPath", "{}", "$.v"),
     "CORPUS test_map_state_tolerated_failure_count_path_tolerated_failure_count_value0"),
    ("ToleratedFailureCountPath", 1.5, _not_valid("ToleratedFailureCountPath", "1.5", "$.v"),
     "UNSETTLED; SNAPSHOT MaxItemsPath 1.5 wording"),
    ("ToleratedFailureCountPath", "1", OK, "UNSETTLED; JAVA"),
    ("ToleratedFailurePercentagePath", 1.1, OK,
     "CORPUS test_map_state_tolerated_failure_percentage_path_1.1"),
    ("ToleratedFailurePercentagePath", 100, OK,
     "CORPUS test_map_state_tolerated_failure_percentage_path_100"),
    ("ToleratedFailurePercentagePath", 100.1,
     _failed("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100."),
     "CORPUS test_map_state_tolerated_failure_percentage_path_100.1"),
    ("ToleratedFailurePercentagePath", -1.1,
     _failed("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100."),
     "CORPUS test_map_state_tolerated_failure_percentage_path_-1.1"),
    ("ToleratedFailurePercentagePath", "NoNumber",
     _not_valid("ToleratedFailurePercentagePath", "NoNumber", "$.v", "float"),
     "CORPUS test_map_state_tolerated_failure_percentage_path_NoNumber"),
    ("ToleratedFailurePercentagePath", {},
     _not_valid("ToleratedFailurePercentagePath", "{}", "$.v", "float"),
     "CORPUS ..._tolerated_failure_percentage_value0"),
    ("ToleratedFailurePercentagePath", "50", OK, "UNSETTLED; JAVA (Double.parseDouble)"),
    ("ToleratedFailurePercentagePath", "NaN",
     _failed("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100."),
     "UNSETTLED; JAVA (Double.parseDouble reads NaN, outside the range)"),
    ("ToleratedFailurePercentagePath", False,
     _not_valid("ToleratedFailurePercentagePath", "false", "$.v", "float"), "UNSETTLED; JAVA"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "outcome", "source"),
    MAP_NUMBERS,
    ids=[f"{row[0]}={row[1]!r}" for row in MAP_NUMBERS],
)
def test_map_numbers_read_from_paths(
    field: str, value: Any, outcome: tuple[Any, ...], source: str
) -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                field: "$.v",
                "ItemProcessor": PROCESSOR,
                "End": True,
            }
        },
    }
    assert _outcome(definition, {"items": [0], "v": value}) == outcome


def test_a_map_number_path_that_selects_nothing_is_an_invalid_path() -> None:
    """UNSETTLED; the CORPUS wording of paths that select nothing (InputPath...)."""
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrencyPath": "$.v",
                "ItemProcessor": PROCESSOR,
                "End": True,
            }
        },
    }
    assert _outcome(definition, []) == _failed(
        "States.Runtime",
        "Invalid path '$.v' : Expected to find an object with property ['v'] in path $ but found "
        "'java.util.ArrayList'. This is not a json object according to the JsonProvider: "
        "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.",
    )


# ------------------------------------------------------------------------------------------
# Map: ItemReader MaxItemsPath (Distributed)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "outcome", "source"),
    [
        (2, ("SUCCEEDED", None, None), "SNAPSHOT test_map_item_reader_csv_max_items_paths[2]"),
        (0, ("SUCCEEDED", None, None), "SNAPSHOT ...[0] (0: no limit)"),
        (100_000_001, OK, "SNAPSHOT ...[100000001] (accepted)"),
        (
            1.5,
            _not_valid("MaxItemsPath", "1.5", "$.v"),
            "SNAPSHOT test_map_item_reader_csv_max_items_paths[1.5]",
        ),
        (
            -1,
            _failed("States.ItemReaderFailed", "field MaxItems must be positive"),
            "SNAPSHOT test_map_item_reader_csv_max_items_paths[-1] (a MapRunFailed)",
        ),
        ("abc", _not_valid("MaxItemsPath", "abc", "$.v"), "UNSETTLED; JAVA"),
    ],
)
def test_item_reader_max_items_path(
    s3: Any, value: Any, outcome: tuple[Any, ...], source: str
) -> None:
    bucket = "items-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="file.csv", Body="Col1,Col2\na,b\nc,d\ne,f\n")
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {
                        "InputType": "CSV",
                        "CSVHeaderLocation": "FIRST_ROW",
                        "MaxItemsPath": "$.v",
                    },
                    "Parameters": {"Bucket": bucket, "Key": "file.csv"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    invoker = Boto3ServiceInvoker(lambda service, region, role=None: s3)
    result = StateMachine(definition).run({"v": value}, clock="virtual", invokers=[invoker])
    cause = result.cause
    if cause is not None and cause.startswith("An error occurred"):
        cause = cause.split("). ", 1)[1]
    assert (result.status, result.error, cause) == outcome
    if value == 2:
        assert result.output == [{"Col1": "a", "Col2": "b"}, {"Col1": "c", "Col2": "d"}]
    if value == -1:
        assert [e["type"] for e in result.history][-3:] == [
            "MapRunFailed",
            "MapStateFailed",
            "ExecutionFailed",
        ]


# ------------------------------------------------------------------------------------------
# Task: TimeoutSecondsPath, HeartbeatSecondsPath
# ------------------------------------------------------------------------------------------

TASK_SECONDS = [
    (5, OK, "CORPUS (valid values run)"),
    ("5", OK, "UNSETTLED; JAVA (a numeric string parses)"),
    ("abc", "abc", "UNSETTLED; the CORPUS Map *Path wording"),
    (1.5, "1.5", "UNSETTLED; SNAPSHOT MaxItemsPath 1.5 wording"),
    (0, "0", "UNSETTLED; ASL: a positive integer"),
    (-1, "-1", "UNSETTLED; ASL: a positive integer"),
    ({}, "{}", "UNSETTLED; CORPUS Map *Path wording"),
    (MISSING, None, "CORPUS test_invalid_jsonpath_ST.INVALID_JSONPATH_IN_TIMEOUTSECONDSPATH"),
]


@pytest.mark.parametrize("field", ["TimeoutSecondsPath", "HeartbeatSecondsPath"])
@pytest.mark.parametrize(("value", "shown", "source"), TASK_SECONDS, ids=_ids(TASK_SECONDS))
def test_task_seconds_read_from_paths(field: str, value: Any, shown: Any, source: str) -> None:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:111111111111:function:Echo",
        field: "$.v",
        "End": True,
    }
    if field == "HeartbeatSecondsPath":
        state["TimeoutSeconds"] = 100
    definition = {"StartAt": "T", "States": {"T": state}}
    outcome = _outcome(definition, _input("v", value), lambdas={"Echo": lambda e, c: e})
    if shown == OK:
        assert outcome[:2] == ("SUCCEEDED", None)
    elif value is MISSING:
        assert outcome == _failed(
            "States.Runtime", "Invalid path '$.v' : No results for path: $['v']"
        )
    else:
        assert outcome == _not_valid(field, shown, "$.v")


# ------------------------------------------------------------------------------------------
# Fail: ErrorPath, CausePath
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["ErrorPath", "CausePath"])
@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("text", "CORPUS base/test_base__test_state_fail_path"),
        (MISSING, "CORPUS test_invalid_jsonpath_INVALID_JSONPATH_IN_ERRORPATH / _CAUSEPATH"),
        (1, "UNSETTLED: reported as a path that finds no string"),
        ({}, "UNSETTLED: reported as a path that finds no string"),
        (None, "UNSETTLED: reported as a path that finds no string"),
    ],
    ids=repr,
)
def test_fail_error_and_cause_paths(field: str, value: Any, source: str) -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", field: "$.v"}}}
    document = _input("v", value)
    status, error, cause = _outcome(definition, document)
    if value == "text":
        assert status == "FAILED"
        assert (error if field == "ErrorPath" else cause) == "text"
    else:
        shown = "{}" if value is MISSING else '{"v":' + json.dumps(value) + "}"
        assert (error, cause) == (
            "States.Runtime",
            f"The JSONPath '$.v' specified for the field '{field}' could not be found in the "
            f"input '{shown}'",
        )
