"""IAM's evaluation of identity policies (interpreter/api/iam_policies.py), rule by rule."""

from __future__ import annotations

from typing import Any

import pytest

from interpreter.api.iam_policies import AccessRequest, decide

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
KNOWN = frozenset({"aws:principalarn", "aws:username", "aws:requestedregion"})


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def request(
    action: str = "states:StartExecution", resource: str = MACHINE, **context: str
) -> AccessRequest:
    return AccessRequest(action, resource, context, KNOWN)


def test_nothing_allowed_is_an_implicit_deny() -> None:
    assert decide([], request()) == "implicitDeny"
    assert decide([policy(allow("states:DescribeExecution"))], request()) == "implicitDeny"


def test_an_allow_grants_and_an_explicit_deny_wins_in_any_policy() -> None:
    granted = policy(allow("states:StartExecution", MACHINE))
    assert decide([granted], request()) == "allowed"
    assert decide([granted, policy(deny("states:*"))], request()) == "explicitDeny"


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("states:*", "states:StartExecution", True),
        ("STATES:startexecution", "states:StartExecution", True),  # actions ignore case
        ("states:Start*", "states:StartSyncExecution", True),
        ("states:Describe?xecution", "states:DescribeExecution", True),
        ("states:Describe*", "states:StartExecution", False),
        ("*", "states:StopExecution", True),
        ("lambda:*", "states:StopExecution", False),
    ],
)
def test_action_patterns(pattern: str, action: str, matches: bool) -> None:
    decision = decide([policy(allow(pattern))], request(action))
    assert decision == ("allowed" if matches else "implicitDeny")


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        (MACHINE, True),
        ("arn:aws:states:*:123456789012:stateMachine:*", True),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:ord?rs", True),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:Orders", False),  # case matters
        ("arn:aws:states:us-east-1:123456789012:stateMachine:orders:*", False),
        ("arn:aws:states:us-east-1:123456789012:execution:orders:*", False),
        (["arn:aws:states:us-east-1:1:stateMachine:x", MACHINE], True),
    ],
)
def test_resource_patterns(pattern: Any, matches: bool) -> None:
    decision = decide([policy(allow("states:StartExecution", pattern))], request())
    assert decision == ("allowed" if matches else "implicitDeny")


def test_not_action_and_not_resource() -> None:
    everything_but_stop = policy({"Effect": "Allow", "NotAction": "states:Stop*", "Resource": "*"})
    assert decide([everything_but_stop], request()) == "allowed"
    assert decide([everything_but_stop], request("states:StopExecution")) == "implicitDeny"
    other = "arn:aws:states:us-east-1:123456789012:stateMachine:payroll"
    not_payroll = policy({"Effect": "Allow", "Action": "states:*", "NotResource": other})
    assert decide([not_payroll], request()) == "allowed"
    assert decide([not_payroll], request(resource=other)) == "implicitDeny"


def test_a_single_statement_object_is_read_as_a_list_of_one() -> None:
    assert decide([{"Statement": allow("states:*")}], request()) == "allowed"


def test_a_permissions_boundary_must_allow_too() -> None:
    granted = [policy(allow("states:*"))]
    narrow = policy(allow("states:Describe*"))
    assert decide(granted, request(), boundary=narrow) == "implicitDeny"
    assert decide(granted, request("states:DescribeExecution"), boundary=narrow) == "allowed"
    assert decide(granted, request(), boundary=policy(deny("*"))) == "explicitDeny"
    assert decide([], request(), boundary=policy(allow("*"))) == "implicitDeny"


def test_policy_variables_are_filled_from_the_context_and_escaped() -> None:
    own = policy(
        allow("states:StartExecution", "arn:aws:states:*:*:stateMachine:${aws:username}-*")
    )
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:alice-orders"
    assert decide([own], request(resource=machine, **{"aws:username": "alice"})) == "allowed"
    assert decide([own], request(resource=machine, **{"aws:username": "bob"})) == "implicitDeny"
    # A name holding a wildcard matches only itself.
    assert decide([own], request(resource=machine, **{"aws:username": "*"})) == "implicitDeny"


def test_an_unfillable_variable_grants_nothing_and_denies_fail_closed() -> None:
    pattern = "arn:aws:states:*:*:stateMachine:${aws:PrincipalTag/team}-*"
    assert decide([policy(allow("states:*", pattern))], request()) == "implicitDeny"
    granted = policy(allow("states:*"))
    assert decide([granted, policy(deny("states:*", pattern))], request()) == "explicitDeny"


def test_string_and_arn_conditions_on_known_keys() -> None:
    by_region = allow("states:*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    assert decide([policy(by_region)], request(**{"aws:RequestedRegion": "eu-west-1"})) == (
        "allowed"
    )
    assert decide([policy(by_region)], request(**{"aws:RequestedRegion": "us-east-1"})) == (
        "implicitDeny"
    )
    roles = allow(
        "states:*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops-*"}}
    )
    ops = {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ops-oncall"}
    assert decide([policy(roles)], request(**ops)) == "allowed"
    assert decide([policy(roles)], request(**{"aws:PrincipalArn": "arn:x"})) == "implicitDeny"


def test_a_condition_on_a_key_the_request_lacks_follows_iam() -> None:
    # aws:username is known to be absent (a role's session): positive operators fail,
    # negated ones hold, IfExists holds.
    equals = allow("states:*", Condition={"StringEquals": {"aws:username": "alice"}})
    not_equals = allow("states:*", Condition={"StringNotEquals": {"aws:username": "alice"}})
    if_exists = allow("states:*", Condition={"StringEqualsIfExists": {"aws:username": "alice"}})
    null = allow("states:*", Condition={"Null": {"aws:username": "true"}})
    assert decide([policy(equals)], request()) == "implicitDeny"
    assert decide([policy(not_equals)], request()) == "allowed"
    assert decide([policy(if_exists)], request()) == "allowed"
    assert decide([policy(null)], request()) == "allowed"


def test_conditions_that_cannot_be_told_grant_nothing_and_deny_fail_closed() -> None:
    unknown_key = {"StringNotEquals": {"aws:ResourceTag/team": "payroll"}}
    unknown_operator = {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
    granted = policy(allow("states:*"))
    for condition in (unknown_key, unknown_operator):
        assert decide([policy(allow("states:*", Condition=condition))], request()) == (
            "implicitDeny"
        )
        assert decide([granted, policy(deny("states:*", Condition=condition))], request()) == (
            "explicitDeny"
        )


def test_a_deny_whose_condition_does_not_hold_does_not_deny() -> None:
    granted = policy(allow("states:*"))
    elsewhere = deny("states:*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    here = request(**{"aws:RequestedRegion": "us-east-1"})
    assert decide([granted, policy(elsewhere)], here) == "allowed"
