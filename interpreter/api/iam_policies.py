"""IAM's evaluation of identity-based policies, for the API's authorization (pure: no I/O).

The decision follows IAM's documented logic for one account: an explicit ``Deny`` in any
policy wins; otherwise an ``Allow`` is needed; a permissions boundary, when the principal has
one, must allow too (its ``Deny`` wins as well). The answer uses the words of IAM's policy
simulator (``allowed``, ``explicitDeny``, ``implicitDeny``).

What a statement matches:

* ``Action``/``NotAction``: ``service:Action`` patterns, case-insensitive, ``*`` and ``?``
  wildcards;
* ``Resource``/``NotResource``: ARN patterns, case-sensitive, with wildcards and the policy
  variables of the request's context (``${aws:username}``...; ``${*}``, ``${?}``, ``${$}``
  are the characters themselves);
* ``Condition``: the string, ARN, ``Bool`` and ``Null`` operators (with ``...IfExists``) on
  the context keys the request carries (:class:`AccessRequest`).

Fail closed: what cannot be evaluated here — another operator (numeric, date, IP address,
``ForAnyValue:``...), a context key the request does not carry, a policy variable it cannot
fill — makes an ``Allow`` statement grant nothing and a ``Deny`` statement deny. So a policy is
never read as more generous than IAM would read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, Literal

#: IAM's policy simulator's decisions.
Decision = Literal["allowed", "explicitDeny", "implicitDeny"]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERAL_VARIABLES: Final = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One permission to decide: an action (``states:StartExecution``) on a resource ARN, with
    the request's context keys (``aws:PrincipalArn``...; names are case-insensitive).

    ``known`` names the keys whose absence from ``context`` is a fact (AWS would not send them
    either: ``aws:username`` for a role); a condition on any other key cannot be told here.
    """

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    known: frozenset[str] = frozenset()

    def knows(self, key: str) -> bool:
        """Whether a condition on ``key`` can be evaluated for this request."""
        wanted = key.lower()
        return wanted in self.known or any(name.lower() == wanted for name in self.context)

    def value(self, key: str) -> str | Sequence[str] | None:
        """A context key's value, or None when the request does not carry it."""
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return value
        return None


def decide(
    policies: Iterable[Mapping[str, Any]],
    request: AccessRequest,
    *,
    boundary: Mapping[str, Any] | None = None,
) -> Decision:
    """IAM's decision on ``request`` for a principal with these identity ``policies`` (policy
    documents) and, when it has one, this permissions ``boundary``."""
    decision = _decision(policies, request)
    if boundary is None or decision == "explicitDeny":
        return decision
    limit = _decision([boundary], request)
    if limit == "explicitDeny":
        return "explicitDeny"
    return "allowed" if decision == "allowed" and limit == "allowed" else "implicitDeny"


def _decision(policies: Iterable[Mapping[str, Any]], request: AccessRequest) -> Decision:
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            effect = statement.get("Effect")
            if effect == "Deny" and _applies(statement, request, deny=True):
                return "explicitDeny"
            if effect == "Allow" and not allowed:
                allowed = _applies(statement, request, deny=False)
    return "allowed" if allowed else "implicitDeny"


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement")
    if isinstance(statements, Mapping):
        return [statements]
    if isinstance(statements, list):
        return [s for s in statements if isinstance(s, Mapping)]
    return []


def _applies(statement: Mapping[str, Any], request: AccessRequest, *, deny: bool) -> bool:
    """Whether the statement covers the request; where it cannot be told, what fails closed
    (a Deny applies, an Allow does not)."""
    if not _element_matches(statement, "Action", request.action, request, actions=True):
        return False
    resource = _element_matches(statement, "Resource", request.resource, request, actions=False)
    if resource is None:
        return deny
    if not resource:
        return False
    condition = statement.get("Condition")
    if condition is None:
        return True
    held = _conditions_hold(condition, request)
    return deny if held is None else held


def _element_matches(
    statement: Mapping[str, Any], name: str, value: str, request: AccessRequest, *, actions: bool
) -> bool | None:
    """``Action``/``NotAction`` (or ``Resource``/``NotResource``) against ``value``; None when
    a pattern holds a variable the request cannot fill."""
    negated = f"Not{name}"
    if name in statement:
        patterns, negate = statement[name], False
    elif negated in statement:
        patterns, negate = statement[negated], True
    else:
        return False
    listed = [patterns] if isinstance(patterns, str) else list(patterns or [])
    unknown = False
    for pattern in listed:
        if not isinstance(pattern, str):
            continue
        filled = pattern if actions else _fill_variables(pattern, request)
        if filled is None:
            unknown = True
            continue
        if _wildcard(filled, ignore_case=actions).fullmatch(value):
            return not negate
    if unknown:
        return None
    return negate


def _fill_variables(pattern: str, request: AccessRequest) -> str | None:
    """``pattern`` with its policy variables replaced; None if one cannot be filled.
    Wildcards in a filled value are escaped (a user named ``a*`` matches only itself)."""
    missing = False

    def fill(found: re.Match[str]) -> str:
        nonlocal missing
        name = found.group(1)
        if name in _LITERAL_VARIABLES:
            return "\\" + _LITERAL_VARIABLES[name]
        value = request.value(name)
        if not isinstance(value, str):
            missing = True
            return ""
        return value.replace("*", "\\*").replace("?", "\\?")

    filled = _VARIABLE.sub(fill, pattern)
    return None if missing else filled


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """IAM's pattern (``*`` any run, ``?`` one character, ``\\*``/``\\?`` themselves) as a
    regular expression built character by character (nothing of the pattern is a regex)."""
    parts: list[str] = []
    escaped = False
    for character in pattern:
        if escaped:
            parts.append(re.escape(character))
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == "*":
            parts.append(".*")
        elif character == "?":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    if escaped:
        parts.append(re.escape("\\"))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


# ----------------------------------------------------------------------------- conditions

_STRING_OPERATORS: Final = {
    "StringEquals": (False, False, False),
    "StringNotEquals": (True, False, False),
    "StringEqualsIgnoreCase": (False, False, True),
    "StringNotEqualsIgnoreCase": (True, False, True),
    "StringLike": (False, True, False),
    "StringNotLike": (True, True, False),
    "ArnEquals": (False, True, False),
    "ArnLike": (False, True, False),
    "ArnNotEquals": (True, True, False),
    "ArnNotLike": (True, True, False),
}


def _conditions_hold(condition: Any, request: AccessRequest) -> bool | None:
    """Every operator's every key holds (True), one does not (False), or one cannot be told
    (None)."""
    if not isinstance(condition, Mapping):
        return None
    unknown = False
    for operator, keys in condition.items():
        if not isinstance(keys, Mapping):
            return None
        for key, expected in keys.items():
            held = _holds(str(operator), str(key), expected, request)
            if held is False:
                return False
            if held is None:
                unknown = True
    return None if unknown else True


def _holds(operator: str, key: str, expected: Any, request: AccessRequest) -> bool | None:
    wanted = [expected] if not isinstance(expected, list) else expected
    wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in wanted]
    if not request.knows(key):
        return None
    actual = request.value(key)
    if operator == "Null":
        return (actual is None) == (wanted[0].lower() == "true") if len(wanted) == 1 else None
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if actual is None:
        return True if if_exists else _absent(base)
    values = [actual] if isinstance(actual, str) else list(actual)
    if base == "Bool":
        return any(v.lower() == w.lower() for v in values for w in wanted)
    shape = _STRING_OPERATORS.get(base)
    if shape is None:
        return None
    negated, like, ignore_case = shape
    found = any(_compare(v, w, like=like, ignore_case=ignore_case) for v in values for w in wanted)
    return not found if negated else found


def _absent(operator: str) -> bool | None:
    """A condition on a key the request does not carry: a negated string or ARN operator
    holds (there is nothing to equal), a positive one does not; others cannot be told."""
    shape = _STRING_OPERATORS.get(operator)
    if shape is None:
        return False if operator == "Bool" else None
    return shape[0]


def _compare(value: str, pattern: str, *, like: bool, ignore_case: bool) -> bool:
    if like:
        return _wildcard(pattern, ignore_case=ignore_case).fullmatch(value) is not None
    return value.lower() == pattern.lower() if ignore_case else value == pattern
