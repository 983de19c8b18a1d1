"""Family 5 of issue 13: definitions AWS accepts are accepted here, and run as they run on AWS.

Sources named in the rows:

* ISSUE: issue 13 (deployed templates and console exports carry region and account in
  service-integration ARNs; filters that refer to the root; Jayway's filter operators).
* AWS-PATHS: the AWS developer guide, "Using JSONPath paths": a *reference path* (ResultPath)
  allows no filters, functions or lexical operators; other paths are Jayway JsonPath, and ``@``
  matches objects only, never scalar items.
* AWS-FUNCTIONS: AWS looks ``name()`` up as a property: "Invalid path '$.list.length()' :
  Property ['length()'] not found in path $['list']" (quoted from an AWS execution in
  awsdocs/aws-step-functions-developer-guide#5), and a re:Post thread shows ``$.Jobs.sum()`` in
  Parameters accepted at creation and failing at run time with "could not be found".
* JAYWAY: Jayway JsonPath's filter operators (its README) and their value rules
  (``EvaluatorFactory``, ``ValueNode``): numbers compare as BigDecimal, a number equals a string
  that parses to it, ``!=``/``nin`` negate ``==``/``in`` (so a missing member passes them),
  ``=~`` is ``Matcher.matches()`` on the whole text, ``size`` counts string characters or array
  items, ``empty`` applies to strings, arrays and objects.
* UNSETTLED: no AWS recording settles the row; it follows the JAYWAY rule AWS's engine implies.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from interpreter import StateMachine, validate_definition
from interpreter.definition.resources import parse_task_resource
from interpreter.query.errors import QuerySyntaxError
from interpreter.query.jsonpath import compile_path

# ------------------------------------------------------------------------------------------
# Service integrations that carry a region and an account
# ------------------------------------------------------------------------------------------

REGIONAL_RESOURCES = [
    # (Resource, resourceType and resource in history events, region, source)
    ("arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject", "aws-sdk:s3", "getObject",
     "us-east-1", "ISSUE"),
    ("arn:aws:states:us-east-1:123456789012:athena:startQueryExecution.sync", "athena",
     "startQueryExecution.sync", "us-east-1", "ISSUE"),
    ("arn:aws:states:eu-west-1:123456789012:lambda:invoke", "lambda", "invoke", "eu-west-1",
     "ISSUE (same form, another service)"),
    ("arn:aws:states:eu-west-1:123456789012:sqs:sendMessage.waitForTaskToken", "sqs",
     "sendMessage.waitForTaskToken", "eu-west-1", "ISSUE"),
    ("arn:aws:states:us-west-2:123456789012:states:startExecution.sync:2", "states",
     "startExecution.sync:2", "us-west-2", "ISSUE"),
    ("arn:aws-us-gov:states:us-gov-west-1:123456789012:dynamodb:putItem", "dynamodb", "putItem",
     "us-gov-west-1", "ISSUE (other partition)"),
]  # fmt: skip


def _task(resource: str) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}}


@pytest.mark.parametrize(
    ("resource", "resource_type", "name", "region", "source"),
    REGIONAL_RESOURCES,
    ids=[row[0] for row in REGIONAL_RESOURCES],
)
def test_integration_arns_with_region_and_account_are_valid(
    resource: str, resource_type: str, name: str, region: str, source: str
) -> None:
    assert validate_definition(_task(resource)) == []
    parsed = parse_task_resource(resource)
    assert parsed is not None
    assert parsed.is_integration
    assert (parsed.resource_type, parsed.resource, parsed.region_or("ap-south-1")) == (
        resource_type,
        name,
        region,
    )


def test_a_regional_lambda_invoke_runs_and_records_its_region() -> None:
    """Through a run: the task is invoked as lambda:invoke and TaskScheduled names the ARN's
    region (source: ISSUE; TaskScheduled's region field as EVENTS.md records it)."""
    machine = StateMachine(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:eu-west-1:123456789012:lambda:invoke",
                    "Parameters": {"FunctionName": "Echo", "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "End": True,
                }
            },
        }
    )
    result = machine.run({"a": 1}, lambdas={"Echo": lambda event, context: event}, clock="virtual")
    assert (result.status, result.output) == ("SUCCEEDED", {"a": 1})
    scheduled = next(e for e in result.history if e["type"] == "TaskScheduled")
    details = scheduled["taskScheduledEventDetails"]
    assert (details["resourceType"], details["resource"], details["region"]) == (
        "lambda",
        "invoke",
        "eu-west-1",
    )


# ------------------------------------------------------------------------------------------
# JSONPath filters: the root, Jayway's operators; functions read as property names
# ------------------------------------------------------------------------------------------

DOCUMENT: dict[str, Any] = {
    "wanted": 2,
    "limit": 1.5,
    "names": ["alpha", "gamma"],
    "items": [
        {"id": 1, "name": "alpha", "tags": ["a", "b"], "price": 1.0},
        {"id": 2, "name": "Beta", "tags": [], "price": 2.25},
        {"id": "2", "name": "gamma", "price": None},
        {"id": 3, "name": "", "tags": ["c"], "meta": {}},
    ],
    "scalars": [1, 2, 3],
}

FILTER_TABLE = [
    # (path, expected value, source)
    ("$.items[?(@.id == $.wanted)].name", ["Beta", "gamma"], "ISSUE; JAYWAY (number == '2')"),
    ("$.items[?(@.price > $.limit)].id", [2], "ISSUE; JAYWAY (numbers compare numerically)"),
    ("$.items[?(@.name in $.names)].id", [1, "2"], "ISSUE (root array on the right of in)"),
    ("$.items[?(@.name =~ /b.*/i)].id", [2], "ISSUE; JAYWAY (=~ with flag i)"),
    ("$.items[?(@.name =~ /a.*a/)].id", [1], "JAYWAY (whole-text match)"),
    ("$.items[?(@.name =~ /lph/)].id", [], "JAYWAY (matches(), not find())"),
    ("$.items[?(@.name =~ /(al|B)\\w*\\)?/)].id", [1, 2], "JAYWAY (groups, escaped ')')"),
    ("$.items[?(@.id =~ /\\d/)].id", [1, 2, "2", 3], "JAYWAY (numbers match as their text)"),
    ("$.items[?(@.id in [1, 3])].name", ["alpha", ""], "ISSUE; JAYWAY"),
    ("$.items[?(@.id nin [1, 3])].name", ["Beta", "gamma"], "ISSUE; JAYWAY"),
    ("$.items[?(@.tags subsetof ['a', 'b', 'c'])].id", [1, 2, 3], "ISSUE; JAYWAY"),
    ("$.items[?(@.tags anyof ['b', 'c'])].id", [1, 3], "ISSUE; JAYWAY"),
    ("$.items[?(@.tags noneof ['b'])].id", [2, 3], "ISSUE; JAYWAY"),
    ("$.items[?(@.tags size 2)].id", [1], "ISSUE; JAYWAY (array size)"),
    ("$.items[?(@.name size 5)].id", [1, "2"], "ISSUE; JAYWAY (string length)"),
    ("$.items[?(@.tags empty true)].id", [2], "ISSUE; JAYWAY"),
    ("$.items[?(@.name empty true)].id", [3], "ISSUE; JAYWAY (empty string)"),
    ("$.items[?(@.meta empty true)].id", [3], "JAYWAY (empty object)"),
    ("$.items[?(@.tags empty false)].id", [1, 3], "ISSUE; JAYWAY"),
    ("$.items[?(@.tags contains 'c')].id", [3], "JAYWAY"),
    ("$.items[?(@.id == '2')].name", ["Beta", "gamma"], "JAYWAY (string equals number)"),
    ("$.items[?(@.id === 2)].name", ["Beta"], "JAYWAY (=== keeps types apart)"),
    ("$.items[?(@.price == 1)].id", [1], "JAYWAY (1.0 == 1 as BigDecimal)"),
    ("$.items[?(@.price == null)].id", ["2"], "JAYWAY (null equals null)"),
    ("$.items[?(@.missing != 1)].id", [1, 2, "2", 3], "UNSETTLED; JAYWAY (!= negates ==)"),
    ("$.items[?(@.missing == @.other)].id", [1, 2, "2", 3], "UNSETTLED; JAYWAY (undefined)"),
    ("$.items[?(@.tags)].id", [1, 2, 3], "AWS-PATHS; JAYWAY (existence)"),
    ("$.items[?(!@.tags)].id", ["2"], "JAYWAY (negated existence)"),
    ("$.items[?(@.tags exists false)].id", ["2"], "JAYWAY (exists operator)"),
    (
        "$.items[?((@.id == 1 || @.id == 3) && !(@.name == ''))].name",
        ["alpha"],
        "JAYWAY (grouping, negation)",
    ),
    ("$.items[?(@.id > 1 && @.id < 3)].name", ["Beta"], "JAYWAY (string '2' is not > 1)"),
    ("$.scalars[?(@ > 1)]", [], "AWS-PATHS (@ never matches scalar items)"),
    ("$.items[?(@.name > 'b')].id", ["2"], "JAYWAY (strings compare lexicographically)"),
]


def _pass_reading(path: str) -> dict[str, Any]:
    return {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"r.$": path}, "End": True}},
    }


@pytest.mark.parametrize(
    ("path", "expected", "source"), FILTER_TABLE, ids=[row[0] for row in FILTER_TABLE]
)
def test_jayway_filters_validate_and_select_as_aws(path: str, expected: Any, source: str) -> None:
    definition = _pass_reading(path)
    assert validate_definition(definition) == []
    result = StateMachine(definition).run(DOCUMENT, clock="virtual")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"r": expected}


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("InputPath", "$.items[?(@.id == $.wanted)]"),
        ("OutputPath", "$.items[?(@.name =~ /B.*/)]"),
    ],
)
def test_filters_are_accepted_in_input_and_output_paths(field: str, path: str) -> None:
    """Source: AWS-PATHS (InputPath and OutputPath are Paths, not reference paths); ISSUE."""
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", field: path, "End": True}}}
    assert validate_definition(definition) == []


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a)\\1", "back-references are not supported"),
        ("(?=a)b", "lookahead and lookbehind are not supported"),
        ("a++", "possessive quantifiers are not supported"),
    ],
)
def test_regexes_a_linear_engine_cannot_run_are_refused_with_the_reason(
    pattern: str, reason: str
) -> None:
    """Not AWS's behaviour (Java's engine has these): a documented limit of the safe engine,
    reported at validation (AWS's message for an invalid path) rather than at run time."""
    path = f"$.items[?(@.name =~ /{pattern}/)]"
    (diagnostic,) = validate_definition(_pass_reading(path))
    assert (diagnostic.code, diagnostic.location) == (
        "SCHEMA_VALIDATION_FAILED",
        "/States/P/Parameters",
    )
    with pytest.raises(QuerySyntaxError, match=re.escape(reason)):
        compile_path(path)


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    """(a+)+b against a long run of a's: exponential for a backtracking engine, linear here."""
    document = {"items": [{"name": "a" * 20_000 + "c"}]}
    definition = _pass_reading("$.items[?(@.name =~ /(a+)+b/)]")
    result = StateMachine(definition).run(document, clock="virtual")
    assert result.output == {"r": []}


FUNCTION_TABLE = [
    # (where the path is, path, error, cause, source)
    (
        "Parameters",
        "$.list.sum()",
        "States.Runtime",
        "The JSONPath '$.list.sum()' specified for the field 'r.$' could not be found in the "
        'input \'{"list":{"a":1}}\'',
        "AWS-FUNCTIONS (re:Post: sum() in Parameters)",
    ),
    (
        "InputPath",
        "$.list.length()",
        "States.Runtime",
        "Invalid path '$.list.length()' : No results for path: $['list']['length()']",
        "AWS-FUNCTIONS (a property named 'length()'; today's Jayway wording)",
    ),
]


@pytest.mark.parametrize(
    ("field", "path", "error", "cause", "source"),
    FUNCTION_TABLE,
    ids=[row[1] for row in FUNCTION_TABLE],
)
def test_path_functions_are_valid_and_read_as_property_names(
    field: str, path: str, error: str, cause: str, source: str
) -> None:
    state: dict[str, Any] = {"Type": "Pass", "End": True}
    if field == "Parameters":
        state["Parameters"] = {"r.$": path}
    else:
        state[field] = path
    definition = {"StartAt": "P", "States": {"P": state}}
    assert validate_definition(definition) == []
    result = StateMachine(definition).run({"list": {"a": 1}}, clock="virtual")
    assert (result.status, result.error) == ("FAILED", error)
    assert result.cause is not None
    assert result.cause.endswith(cause)


def test_a_property_whose_name_has_parentheses_is_read() -> None:
    result = StateMachine(_pass_reading("$.list.length()")).run(
        {"list": {"length()": 3}}, clock="virtual"
    )
    assert result.output == {"r": 3}


ITEMS_PATH_TABLE = [
    # (ItemsPath, valid?, source)
    ("$.items", True, "AWS-PATHS (one node)"),
    ("$.items[?(@.on == true)]", True, "AWS-PATHS (its reference-path example $.jar[?(@.a >= 5)])"),
    ("$.items[?(@.n > 1 && @.on)]", True, "AWS-PATHS (a filter with symbolic operators)"),
    ("$.items[*]", False, "AWS-PATHS (a reference path identifies one node: no wildcard)"),
    ("$..items", False, "AWS-PATHS (no deep scan)"),
    ("$.items[?(@.n in [1, 2])]", False, "AWS-PATHS (no lexical operators such as subsetof)"),
    ("$.items[?(@.name =~ /a.*/)]", False, "AWS-PATHS (no filtering by regular expression)"),
    ("$.items[?(@.n == $.wanted)]", False, "AWS-PATHS (no reference to another value)"),
]


@pytest.mark.parametrize(
    ("items_path", "valid", "source"), ITEMS_PATH_TABLE, ids=[row[0] for row in ITEMS_PATH_TABLE]
)
def test_items_path_is_a_reference_path(items_path: str, valid: bool, source: str) -> None:
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    definition = {
        "StartAt": "M",
        "States": {
            "M": {"Type": "Map", "ItemsPath": items_path, "ItemProcessor": processor, "End": True}
        },
    }
    diagnostics = validate_definition(definition)
    assert (diagnostics == []) is valid
    if valid:
        document = {"items": [{"on": True, "n": 1}, {"on": False, "n": 2}, {"on": True, "n": 3}]}
        result = StateMachine(definition).run(document, clock="virtual")
        expected = document["items"] if items_path == "$.items" else None
        if items_path == "$.items[?(@.on == true)]":
            expected = [{"on": True, "n": 1}, {"on": True, "n": 3}]
        if items_path == "$.items[?(@.n > 1 && @.on)]":
            # JAYWAY: "@.on" alone tests that the member exists, not that it is true.
            expected = [{"on": False, "n": 2}, {"on": True, "n": 3}]
        assert result.output == expected
    else:
        (diagnostic,) = diagnostics
        assert (
            diagnostic.message
            == "The value for the field 'ItemsPath' must be a valid ReferencePath"
        )
