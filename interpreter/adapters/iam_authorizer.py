"""The API's authorizer on AWS: the caller's IAM policies, read from IAM and evaluated.

IAM is the authority: the operator grants ``states:<Action>`` on state machine, execution and
activity ARNs in IAM policies, exactly as for AWS Step Functions, and :class:`IamAuthorizer`
decides each request with the policies IAM holds for the caller — a role's (the caller is a
session of it) or a user's and its groups' — inline and managed, and the permissions boundary
when there is one (:mod:`interpreter.api.iam_policies` evaluates them).

The documents are read with IAM's read actions (``iam:GetRole``, ``iam:ListRolePolicies``,
``iam:GetRolePolicy``, ``iam:ListAttachedRolePolicies``, ``iam:GetPolicy``,
``iam:GetPolicyVersion``, and the user and group equivalents) and kept ``ttl_s`` seconds per
principal, so a policy change takes effect within that time and a burst of requests costs IAM
one read. A failure to read them is not a decision: it propagates (the API answers 500, which
SDKs retry).

Who is never allowed here: a caller of another account (no resource policy grants it
anything), a federated user or any principal whose policies IAM cannot list. The account's root
user is allowed everything, as on AWS.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from interpreter.api.authorization import Caller
from interpreter.api.iam_policies import AccessRequest, Decision, decide


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    """What IAM holds for one principal: its identity policies and its boundary."""

    identity: tuple[dict[str, Any], ...]
    boundary: dict[str, Any] | None = None
    #: The entity's ARN, path and all (``aws:PrincipalArn``: a session's ARN has no path).
    arn: str | None = None


class IamAuthorizer:
    """An :class:`~interpreter.api.authorization.Authorizer` that asks IAM (see the module
    docstring). ``iam`` is a boto3 IAM client; ``account`` the deployment's account."""

    def __init__(
        self,
        iam: Any,
        *,
        account: str,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.iam = iam
        self.account = account
        self.ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, PrincipalPolicies | None]] = {}
        self._lock = threading.Lock()
        #: How many principals' policies were read from IAM (a measure of the cache).
        self.reads = 0

    def decide(self, caller: Caller, request: AccessRequest) -> Decision:
        """IAM's decision for ``caller`` on ``request``."""
        principal = _principal(caller.arn)
        if principal is None or caller.account != self.account:
            return "implicitDeny"
        kind, name = principal
        if kind == "root":
            return "allowed"
        policies = self._policies(kind, name)
        if policies is None:
            return "implicitDeny"
        if policies.arn is not None:
            context = {**request.context, "aws:PrincipalArn": policies.arn}
            request = dataclasses.replace(request, context=context)
        return decide(policies.identity, request, boundary=policies.boundary)

    def _policies(self, kind: str, name: str) -> PrincipalPolicies | None:
        key = (kind, name)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > now:
                return cached[1]
        read = self._read_role(name) if kind == "role" else self._read_user(name)
        with self._lock:
            self._cache[key] = (now + self.ttl_s, read)
            self.reads += 1
        return read

    # -- reading IAM

    def _read_role(self, name: str) -> PrincipalPolicies | None:
        try:
            role = self.iam.get_role(RoleName=name)["Role"]
        except self.iam.exceptions.NoSuchEntityException:
            return None
        inline = [
            self.iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            for policy in self._pages("list_role_policies", "PolicyNames", RoleName=name)
        ]
        attached = self._pages("list_attached_role_policies", "AttachedPolicies", RoleName=name)
        return PrincipalPolicies(
            tuple(_document(d) for d in [*inline, *self._managed(attached)]),
            self._boundary(role),
            role.get("Arn"),
        )

    def _read_user(self, name: str) -> PrincipalPolicies | None:
        try:
            user = self.iam.get_user(UserName=name)["User"]
        except self.iam.exceptions.NoSuchEntityException:
            return None
        documents = [
            self.iam.get_user_policy(UserName=name, PolicyName=policy)["PolicyDocument"]
            for policy in self._pages("list_user_policies", "PolicyNames", UserName=name)
        ]
        documents += self._managed(
            self._pages("list_attached_user_policies", "AttachedPolicies", UserName=name)
        )
        for group in self._pages("list_groups_for_user", "Groups", UserName=name):
            group_name = group["GroupName"]
            documents += [
                self.iam.get_group_policy(GroupName=group_name, PolicyName=policy)["PolicyDocument"]
                for policy in self._pages(
                    "list_group_policies", "PolicyNames", GroupName=group_name
                )
            ]
            documents += self._managed(
                self._pages(
                    "list_attached_group_policies", "AttachedPolicies", GroupName=group_name
                )
            )
        return PrincipalPolicies(
            tuple(_document(d) for d in documents), self._boundary(user), user.get("Arn")
        )

    def _managed(self, attached: Iterator[dict[str, Any]]) -> list[Any]:
        documents = []
        for policy in attached:
            arn = policy["PolicyArn"]
            version = self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            answer = self.iam.get_policy_version(PolicyArn=arn, VersionId=version)
            documents.append(answer["PolicyVersion"]["Document"])
        return documents

    def _boundary(self, entity: dict[str, Any]) -> dict[str, Any] | None:
        boundary = entity.get("PermissionsBoundary")
        if not boundary:
            return None
        return _document(
            self._managed(iter([{"PolicyArn": boundary["PermissionsBoundaryArn"]}]))[0]
        )

    def _pages(self, operation: str, member: str, **arguments: Any) -> Iterator[Any]:
        for page in self.iam.get_paginator(operation).paginate(**arguments):
            yield from page.get(member, [])


def _principal(arn: str) -> tuple[str, str] | None:
    """``(kind, name)`` of the IAM entity whose policies decide for ``arn``: ``role`` for a
    role or a session of it, ``user``, or ``root``; None for anything else."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if service == "iam" and resource == "root":
        return "root", ""
    if service == "iam" and resource.startswith(("user/", "role/")):
        kind, _, rest = resource.partition("/")
        return kind, rest.rsplit("/", 1)[-1]
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        return ("role", pieces[1]) if len(pieces) >= 3 else None
    return None


def _document(document: Any) -> dict[str, Any]:
    """A policy document as IAM's API returns it: already a dict (boto3 decodes it) or the
    URL-encoded JSON text of the raw API."""
    if isinstance(document, dict):
        return document
    text = str(document)
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {}
