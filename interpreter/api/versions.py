"""State machine versions and aliases (a part of the Step Functions API).

A *version* is an immutable, numbered snapshot of a state machine's revision
(``<state machine ARN>:<n>``, numbered from 1 per state machine); an *alias*
(``<state machine ARN>:<name>``) routes executions to one version, or splits them between two by
weight. StartExecution, DescribeStateMachine and DescribeExecution accept and report them.

Both live in the state machine's record, so every store keeps them.
"""

from __future__ import annotations

import random
import re
from typing import Any

from interpreter.api.configuration import check_arn
from interpreter.api.errors import api_error
from interpreter.api.shapes import api_date, drop_none, page
from interpreter.runtime.ports import Clock, StateMachineRecord, Store

#: ``arn:aws:states:<region>:<account>:stateMachine:<name>`` and an optional ``:<qualifier>``.
_QUALIFIED = re.compile(r"^(arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+)(?::([^:]+))?$")
_ALIAS_NAME = re.compile(r"^(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]{1,80}$")


def split_arn(arn: str) -> tuple[str, str | None]:
    """``(state machine ARN, qualifier)``; the qualifier is a version number or an alias name."""
    match = _QUALIFIED.match(arn)
    if match is None:
        return arn, None
    return match.group(1), match.group(2)


class VersionActions:
    """The version and alias actions of :class:`~interpreter.api.service.StepFunctionsService`."""

    store: Store
    clock: Clock

    def _machine(self, arn: str) -> StateMachineRecord:
        raise NotImplementedError

    def _publish(self, record: StateMachineRecord, description: str | None) -> str:
        """Publish the record's current revision (once: a published revision keeps its number)."""
        for number, version in record.versions.items():
            if version["revision_id"] == record.revision_id:
                return f"{record.arn}:{number}"
        number = str(max((int(n) for n in record.versions), default=0) + 1)
        entry: dict[str, Any] = {
            "revision_id": record.revision_id,
            "created_ms": self.clock.now_ms(),
        }
        if description is not None:
            entry["description"] = description
        record.versions[number] = entry
        if not self.store.update_state_machine(record):
            raise api_error(
                "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{record.arn}'"
            )
        return f"{record.arn}:{number}"

    def publish_state_machine_version(
        self,
        stateMachineArn: str,
        revisionId: str | None = None,
        description: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """PublishStateMachineVersion."""
        check_arn(stateMachineArn, "stateMachine")
        record = self._machine(stateMachineArn)
        if revisionId is not None and revisionId != record.revision_id:
            raise api_error(
                "ConflictException",
                f"Failed to publish the State Machine version for revision {revisionId}. "
                f"The current State Machine revision is {record.revision_id}.",
            )
        version_arn = self._publish(record, description)
        number = version_arn.rsplit(":", 1)[1]
        created = record.versions[number]["created_ms"]
        return {"creationDate": api_date(created), "stateMachineVersionArn": version_arn}

    def list_state_machine_versions(
        self,
        stateMachineArn: str,
        maxResults: int = 0,
        nextToken: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """ListStateMachineVersions (newest first)."""
        check_arn(stateMachineArn, "stateMachine")
        record = self._machine(stateMachineArn)
        entries = [
            {
                "stateMachineVersionArn": f"{record.arn}:{number}",
                "creationDate": api_date(version["created_ms"]),
            }
            for number, version in sorted(
                record.versions.items(), key=lambda item: int(item[0]), reverse=True
            )
        ]
        query = f"ListStateMachineVersions {record.arn}"
        listed, token = page(entries, maxResults, nextToken, query)
        return drop_none({"stateMachineVersions": listed, "nextToken": token})

    def delete_state_machine_version(
        self, stateMachineVersionArn: str, **_ignored: Any
    ) -> dict[str, Any]:
        """DeleteStateMachineVersion (no error for a version that is gone)."""
        base, number = split_arn(stateMachineVersionArn)
        record = self.store.get_state_machine(base)
        if record is None or number is None or number not in record.versions:
            return {}
        users = [
            f"{record.arn}:{name}"
            for name, alias in record.aliases.items()
            if any(
                route["stateMachineVersionArn"] == stateMachineVersionArn
                for route in alias["routing"]
            )
        ]
        if users:
            raise api_error(
                "ConflictException",
                "Version to be deleted must not be referenced by an alias. Current list of "
                f"aliases referencing this version: [{', '.join(users)}]",
            )
        del record.versions[number]
        self.store.update_state_machine(record)
        return {}

    # ------------------------------------------------------------------ aliases

    def _routing(self, base: str, routing: Any) -> list[dict[str, Any]]:
        if not isinstance(routing, list) or not 1 <= len(routing) <= 2:
            raise api_error(
                "ValidationException", "Routing configuration must contain one or two versions"
            )
        checked: list[dict[str, Any]] = []
        for route in routing:
            version_arn = route.get("stateMachineVersionArn") if isinstance(route, dict) else None
            weight = route.get("weight") if isinstance(route, dict) else None
            owner, number = split_arn(str(version_arn))
            if owner != base or number is None or not number.isdigit():
                # A version of another state machine (or no version at all) cannot be routed to.
                raise api_error(
                    "ValidationException",
                    "Routing configuration must contain versions of the alias's state machine: "
                    f"'{version_arn}'",
                )
            record = self.store.get_state_machine(owner)
            if record is None or number not in record.versions:
                raise api_error("ResourceNotFound", f"Resource not found: '{version_arn}'")
            if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
                raise api_error("ValidationException", "Routing weights must be from 0 to 100")
            checked.append({"stateMachineVersionArn": version_arn, "weight": weight})
        if sum(route["weight"] for route in checked) != 100:
            raise api_error("ValidationException", "Sum of routing weights must equal 100")
        if len({route["stateMachineVersionArn"] for route in checked}) != len(checked):
            raise api_error("ValidationException", "Routing versions must be distinct")
        return checked

    def create_state_machine_alias(
        self,
        name: str,
        routingConfiguration: list[Any],
        description: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """CreateStateMachineAlias."""
        if not _ALIAS_NAME.match(name):
            raise api_error("ValidationException", f"Invalid alias name: '{name}'")
        first = routingConfiguration[0] if routingConfiguration else {}
        base, _ = split_arn(str(first.get("stateMachineVersionArn", "")))
        record = self._machine(base)
        routing = self._routing(base, routingConfiguration)
        alias_arn = f"{base}:{name}"
        existing = record.aliases.get(name)
        if existing is not None:
            if existing["routing"] == routing and existing.get("description") == description:
                return {
                    "stateMachineAliasArn": alias_arn,
                    "creationDate": api_date(existing["created_ms"]),
                }
            raise api_error(
                "ConflictException", f"Alias with the name {name} already exists: '{alias_arn}'"
            )
        now = self.clock.now_ms()
        alias: dict[str, Any] = {"routing": routing, "created_ms": now, "updated_ms": now}
        if description is not None:
            alias["description"] = description
        record.aliases[name] = alias
        self.store.update_state_machine(record)
        return {"stateMachineAliasArn": alias_arn, "creationDate": api_date(now)}

    def _alias(self, alias_arn: str) -> tuple[StateMachineRecord, str]:
        check_arn(alias_arn, "stateMachine")
        base, name = split_arn(alias_arn)
        record = self.store.get_state_machine(base)
        if record is None or name is None or name not in record.aliases:
            raise api_error("ResourceNotFound", f"Resource not found: '{alias_arn}'")
        return record, name

    def describe_state_machine_alias(
        self, stateMachineAliasArn: str, **_ignored: Any
    ) -> dict[str, Any]:
        """DescribeStateMachineAlias."""
        record, name = self._alias(stateMachineAliasArn)
        alias = record.aliases[name]
        return drop_none(
            {
                "stateMachineAliasArn": stateMachineAliasArn,
                "name": name,
                "description": alias.get("description"),
                "routingConfiguration": alias["routing"],
                "creationDate": api_date(alias["created_ms"]),
                "updateDate": api_date(alias["updated_ms"]),
            }
        )

    def update_state_machine_alias(
        self,
        stateMachineAliasArn: str,
        description: str | None = None,
        routingConfiguration: list[Any] | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """UpdateStateMachineAlias."""
        if description is None and routingConfiguration is None:
            raise api_error(
                "ValidationException",
                "Either the description or the routing configuration must be specified",
            )
        record, name = self._alias(stateMachineAliasArn)
        alias = record.aliases[name]
        if routingConfiguration is not None:
            alias["routing"] = self._routing(record.arn, routingConfiguration)
        if description is not None:
            alias["description"] = description
        alias["updated_ms"] = self.clock.now_ms()
        self.store.update_state_machine(record)
        return {"updateDate": api_date(alias["updated_ms"])}

    def delete_state_machine_alias(
        self, stateMachineAliasArn: str, **_ignored: Any
    ) -> dict[str, Any]:
        """DeleteStateMachineAlias."""
        record, name = self._alias(stateMachineAliasArn)
        del record.aliases[name]
        self.store.update_state_machine(record)
        return {}

    def list_state_machine_aliases(
        self,
        stateMachineArn: str,
        maxResults: int = 0,
        nextToken: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """ListStateMachineAliases."""
        check_arn(stateMachineArn, "stateMachine")
        record = self._machine(stateMachineArn)
        entries = [
            {
                "stateMachineAliasArn": f"{record.arn}:{name}",
                "creationDate": api_date(alias["created_ms"]),
            }
            for name, alias in sorted(record.aliases.items())
        ]
        query = f"ListStateMachineAliases {record.arn}"
        listed, token = page(entries, maxResults, nextToken, query)
        return drop_none({"stateMachineAliases": listed, "nextToken": token})

    # ------------------------------------------------------------------ resolution

    def resolve(
        self, arn: str
    ) -> tuple[StateMachineRecord, StateMachineRecord, str | None, str | None]:
        """What an ARN given to StartExecution/DescribeStateMachine names: ``(the state machine,
        the revision to run, the version ARN or None, the alias ARN or None)``."""
        base, qualifier = split_arn(arn)
        record = self._machine(base)
        if qualifier is None:
            return record, record, None, None
        alias_arn = None
        if not qualifier.isdigit():
            alias = record.aliases.get(qualifier)
            if alias is None:
                raise api_error("ResourceNotFound", f"Resource not found: '{arn}'")
            alias_arn = arn
            routes = alias["routing"]
            # Traffic splitting, not security: the standard generator is what it needs.
            weights = [route["weight"] for route in routes]
            chosen = random.choices(routes, weights=weights)[0]  # noqa: S311
            qualifier = split_arn(chosen["stateMachineVersionArn"])[1] or ""
        version = record.versions.get(qualifier)
        revision = (
            self.store.get_state_machine_revision(base, version["revision_id"])
            if version is not None
            else None
        )
        if version is None or revision is None:
            raise api_error(
                "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{base}:{qualifier}'"
            )
        return record, revision, f"{base}:{qualifier}", alias_arn
