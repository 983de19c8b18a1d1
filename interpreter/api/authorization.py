"""Who may call which API action on which resource: authorization as Step Functions does it.

On AWS, IAM decides whether a caller may perform ``states:<Action>`` on the resource the
request names (a state machine, version, alias, execution, Map Run or activity ARN; ``*`` for
the actions that act on none), and actions that hand a role to the service also need
``iam:PassRole`` on it. This module is that mapping and the refusal:

* :func:`permissions` — the permissions one request needs, by the Service Authorization
  Reference's resource types for Step Functions;
* :class:`Authorizer` — the port that decides one permission for a caller (IAM is the
  authority: :class:`interpreter.adapters.iam_authorizer.IamAuthorizer` evaluates the caller's
  IAM policies);
* :func:`authorize` — every permission of a request checked; the first refused raises AWS's
  ``AccessDeniedException``: ``User: <caller> is not authorized to perform: states:<Action> on
  resource: <arn> because no identity-based policy allows the states:<Action> action``.

Callers are who the function URL's IAM authentication says they are
(``requestContext.authorizer.iam``), or, for a Task of the deployment that calls its own Step
Functions, the role the Task runs as.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from interpreter import arns
from interpreter.api.errors import StepFunctionsError, api_error
from interpreter.api.iam_policies import AccessRequest, Decision

#: The session name a Task's role is assumed with (what AWS shows as the caller's session).
TASK_SESSION: Final = "asl-interpreter"

#: The context keys a request carries when they apply (their absence is a fact).
_KNOWN_KEYS: Final = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:username",
        "aws:requestedregion",
        "aws:securetransport",
        "iam:passedtoservice",
    }
)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: ``arn`` as AWS names it in its messages (an IAM user, an
    assumed-role session ``arn:aws:sts::<account>:assumed-role/<role>/<session>``, the account's
    root), with its account and unique id when known."""

    arn: str
    account: str
    user_id: str | None = None

    @classmethod
    def of_role(cls, role_arn: str, session: str = TASK_SESSION) -> Caller:
        """The session of a role a Task runs as (the role's ARN, path and all, in)."""
        parts = role_arn.split(":", 5)
        account = parts[4] if len(parts) == 6 else ""
        name = role_arn.rsplit("/", 1)[-1]
        partition = parts[1] if len(parts) == 6 else "aws"
        return cls(f"arn:{partition}:sts::{account}:assumed-role/{name}/{session}", account)

    def context(self) -> dict[str, str]:
        """The global condition keys IAM sets for this caller."""
        keys = {"aws:PrincipalArn": self._principal_arn(), "aws:PrincipalAccount": self.account}
        kind = self.arn.split(":", 5)[-1]
        if kind.startswith("user/"):
            keys["aws:username"] = kind.rsplit("/", 1)[-1]
            keys["aws:PrincipalType"] = "User"
        elif kind.startswith("assumed-role/"):
            keys["aws:PrincipalType"] = "AssumedRole"
        elif kind == "root":
            keys["aws:PrincipalType"] = "Account"
        if self.user_id:
            keys["aws:userid"] = self.user_id
        return keys

    def _principal_arn(self) -> str:
        """``aws:PrincipalArn``: a session's role (without its path, which the session ARN does
        not carry), or the caller's own ARN."""
        parts = self.arn.split(":", 5)
        if len(parts) == 6 and parts[5].startswith("assumed-role/"):
            role = parts[5].split("/")[1]
            return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
        return self.arn


@dataclass(frozen=True, slots=True)
class Permission:
    """One permission a request needs: an IAM action on a resource ARN (``*``: on none)."""

    action: str
    resource: str


class Authorizer(Protocol):
    """Decides one permission for one caller (IAM's policy simulator's answers)."""

    def decide(self, caller: Caller, request: AccessRequest) -> Decision:
        """``allowed``, ``explicitDeny`` or ``implicitDeny``."""
        ...


#: Actions that act on no resource (the Resource element must be ``*``).
_ON_NO_RESOURCE: Final = frozenset(
    {"ListStateMachines", "ListActivities", "ValidateStateMachineDefinition", "TestState"}
)
#: Actions whose resource is the ARN the request names, by the member that names it (the first
#: present).
_NAMED_BY: Final[Mapping[str, tuple[str, ...]]] = {
    "DescribeStateMachine": ("stateMachineArn",),
    "UpdateStateMachine": ("stateMachineArn",),
    "DeleteStateMachine": ("stateMachineArn",),
    "StartExecution": ("stateMachineArn",),
    "StartSyncExecution": ("stateMachineArn",),
    "ListExecutions": ("stateMachineArn", "mapRunArn"),
    "PublishStateMachineVersion": ("stateMachineArn",),
    "ListStateMachineVersions": ("stateMachineArn",),
    "ListStateMachineAliases": ("stateMachineArn",),
    "DeleteStateMachineVersion": ("stateMachineVersionArn",),
    "DescribeStateMachineAlias": ("stateMachineAliasArn",),
    "UpdateStateMachineAlias": ("stateMachineAliasArn",),
    "DeleteStateMachineAlias": ("stateMachineAliasArn",),
    "DescribeExecution": ("executionArn",),
    "DescribeStateMachineForExecution": ("executionArn",),
    "GetExecutionHistory": ("executionArn",),
    "StopExecution": ("executionArn",),
    "RedriveExecution": ("executionArn",),
    "ListMapRuns": ("executionArn",),
    "DescribeMapRun": ("mapRunArn",),
    "UpdateMapRun": ("mapRunArn",),
    "DescribeActivity": ("activityArn",),
    "DeleteActivity": ("activityArn",),
    "GetActivityTask": ("activityArn",),
    "TagResource": ("resourceArn",),
    "UntagResource": ("resourceArn",),
    "ListTagsForResource": ("resourceArn",),
}
_CALLBACKS: Final = frozenset({"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"})
#: Actions that hand the service a role (``iam:PassRole`` on it, to Step Functions).
_PASSES_ROLE: Final = frozenset({"CreateStateMachine", "UpdateStateMachine", "TestState"})
_STATES_SERVICE: Final = "states.amazonaws.com"


def permissions(
    action: str,
    request: Mapping[str, Any],
    *,
    region: str,
    account: str,
    token_resource: Callable[[str], str],
) -> list[Permission]:
    """The permissions ``request`` for ``action`` needs. ``token_resource`` names what a task
    token belongs to: the activity of an activity task, the state machine of a callback's
    execution (``*`` for a token nobody issued)."""
    needed = [
        Permission(f"states:{action}", _resource(action, request, region, account, token_resource))
    ]
    role = request.get("roleArn")
    if action in _PASSES_ROLE and isinstance(role, str):
        needed.append(Permission("iam:PassRole", role))
    return needed


def _resource(
    action: str,
    request: Mapping[str, Any],
    region: str,
    account: str,
    token_resource: Callable[[str], str],
) -> str:
    if action in _ON_NO_RESOURCE:
        return "*"
    if action == "CreateStateMachine":
        return arns.state_machine_arn(region, account, str(request.get("name", "")))
    if action == "CreateActivity":
        return arns.activity_arn(region, account, str(request.get("name", "")))
    if action == "CreateStateMachineAlias":
        routes = request.get("routingConfiguration") or [{}]
        first = routes[0] if isinstance(routes[0], Mapping) else {}
        version = str(first.get("stateMachineVersionArn", ""))
        machine = version.rsplit(":", 1)[0] if version.count(":") >= 7 else version
        return f"{machine}:{request.get('name', '')}"
    if action in _CALLBACKS:
        return token_resource(str(request.get("taskToken", "")))
    for member in _NAMED_BY.get(action, ()):
        value = request.get(member)
        if isinstance(value, str):
            return value
    return "*"


def authorize(
    authorizer: Authorizer,
    caller: Caller | None,
    action: str,
    request: Mapping[str, Any],
    *,
    region: str,
    account: str,
    token_resource: Callable[[str], str],
) -> None:
    """Raise ``AccessDeniedException`` unless ``caller`` holds every permission the request
    needs (an unauthenticated caller holds none)."""
    needed = permissions(
        action, request, region=region, account=account, token_resource=token_resource
    )
    for permission in needed:
        if caller is None:
            raise access_denied("anonymous", permission, "implicitDeny")
        context: dict[str, str] = {
            **caller.context(),
            "aws:RequestedRegion": region,
            "aws:SecureTransport": "true",
        }
        if permission.action == "iam:PassRole":
            context["iam:PassedToService"] = _STATES_SERVICE
        access = AccessRequest(permission.action, permission.resource, context, _KNOWN_KEYS)
        decision = authorizer.decide(caller, access)
        if decision != "allowed":
            raise access_denied(caller.arn, permission, decision)


def access_denied(caller: str, permission: Permission, decision: Decision) -> StepFunctionsError:
    """AWS's refusal of one permission, worded as IAM words it."""
    if decision == "explicitDeny":
        reason = "with an explicit deny in an identity-based policy"
    else:
        reason = f"because no identity-based policy allows the {permission.action} action"
    message = (
        f"User: {caller} is not authorized to perform: {permission.action} on resource: "
        f"{permission.resource} {reason}"
    )
    return api_error("AccessDeniedException", message)
