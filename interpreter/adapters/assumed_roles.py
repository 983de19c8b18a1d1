"""The credentials Tasks run with: IAM roles assumed through STS, as Step Functions assumes them.

On AWS a Task calls services with the credentials of its state machine's role (``roleArn``),
and a Task's own ``Credentials.RoleArn`` is assumed *from* that role (the execution role must be
allowed to assume it, and the Task role must trust the execution role). :class:`AssumedRoles`
does the same for the serverless deployment: a *chain* of roles — the execution role, then the
Task's role when it names one — is assumed link by link, each link with the credentials of the
one before it; the first with the process's own credentials (the worker function's role, which
the template allows to assume only the operator's task roles).

Each chain's credentials are kept until shortly before they expire (``refresh_margin_s``), so
an execution role is assumed once an hour, not once per Task; the clients made for a chain
refresh them by themselves (botocore's refreshable credentials, asking this cache). Only
assumptions that succeeded are kept: a role that cannot be assumed is asked again next time.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

#: A chain of role ARNs: the execution role, then the Task's ``Credentials`` role if any.
RoleChain = tuple[str, ...]

#: How many chains are remembered (the oldest is forgotten first).
_MAX_CHAINS: Final = 512


class RoleAssumptionError(Exception):
    """A role of a chain could not be assumed (STS refused, or could not be reached)."""

    def __init__(self, role_arn: str, reason: str) -> None:
        super().__init__(f"Unable to assume the role '{role_arn}': {reason}")
        self.role_arn = role_arn
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Held:
    """One chain's temporary credentials and when they expire (epoch seconds)."""

    access_key: str
    secret_key: str
    token: str
    expires_s: float


class _Fixed(CredentialProvider):
    """Gives a botocore session the credentials it is built for (and nothing else)."""

    METHOD = "asl-assumed-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


class AssumedRoles:
    """Assumes role chains through STS and makes boto3 clients that act as them.

    ``sts_client(credentials, region)`` makes the STS client that assumes a chain's first link
    (``credentials`` None: the process's own) and each next one (the previous link's
    credentials); ``clock`` gives epoch seconds (tests move it).
    """

    def __init__(
        self,
        *,
        region: str,
        endpoint_url: str | None = None,
        session_name: str = "asl-interpreter",
        duration_s: int = 3600,
        refresh_margin_s: int = 300,
        clock: Callable[[], float] = time.time,
        sts_client: Callable[[Any, str], Any] | None = None,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self.session_name = session_name
        self.duration_s = duration_s
        self.refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._sts_client = sts_client or self._default_sts_client
        self._held: OrderedDict[RoleChain, _Held] = OrderedDict()
        self._sessions: dict[RoleChain, Any] = {}
        self._lock = threading.Lock()
        #: How many AssumeRole calls succeeded (a measure of the cache).
        self.assumptions = 0

    # -- credentials

    def ensure(self, chain: RoleChain) -> None:
        """Assume ``chain`` now unless its credentials are fresh; RoleAssumptionError if a link
        cannot be assumed."""
        self._credentials(chain)

    def _credentials(self, chain: RoleChain) -> _Held:
        if not chain:
            raise ValueError("an empty role chain")
        with self._lock:
            held = self._held.get(chain)
            if held is not None and self._clock() < held.expires_s - self.refresh_margin_s:
                self._held.move_to_end(chain)
                return held
        source = None if len(chain) == 1 else self._credentials(chain[:-1])
        held = self._assume(chain[-1], source)
        with self._lock:
            self._held[chain] = held
            self._held.move_to_end(chain)
            while len(self._held) > _MAX_CHAINS:
                forgotten, _ = self._held.popitem(last=False)
                self._sessions.pop(forgotten, None)
        return held

    def _assume(self, role_arn: str, source: _Held | None) -> _Held:
        sts = self._sts_client(source, self.region)
        try:
            answer = sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=self.session_name,
                DurationSeconds=self.duration_s,
            )
        except ClientError as problem:
            error = problem.response.get("Error", {})
            reason = f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}".rstrip(": ")
            raise RoleAssumptionError(role_arn, reason) from None
        except BotoCoreError as problem:
            raise RoleAssumptionError(role_arn, str(problem)) from None
        credentials = answer["Credentials"]
        expiration = credentials["Expiration"]
        if isinstance(expiration, str):
            expiration = datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        with self._lock:
            self.assumptions += 1
        return _Held(
            access_key=credentials["AccessKeyId"],
            secret_key=credentials["SecretAccessKey"],
            token=credentials["SessionToken"],
            expires_s=expiration.timestamp(),
        )

    def _default_sts_client(self, source: _Held | None, region: str) -> Any:
        import boto3

        options: dict[str, Any] = {"region_name": region, "endpoint_url": self.endpoint_url}
        if source is not None:
            options.update(
                aws_access_key_id=source.access_key,
                aws_secret_access_key=source.secret_key,
                aws_session_token=source.token,
            )
        # A session of its own: the process's credentials as they are now (boto3's default
        # session keeps the ones it first found).
        return boto3.session.Session().client("sts", **options)

    # -- clients

    def client(self, service_name: str, region: str, chain: RoleChain, config: Any = None) -> Any:
        """A boto3 client acting as the last role of ``chain`` (its credentials refresh
        themselves from this cache shortly before they expire)."""
        session = self._session(chain)
        return session.client(
            service_name, region_name=region, endpoint_url=self.endpoint_url, config=config
        )

    def _session(self, chain: RoleChain) -> Any:
        with self._lock:
            session = self._sessions.get(chain)
        if session is not None:
            return session
        import boto3
        import botocore.session

        core = botocore.session.Session()
        core.register_component(
            "credential_provider", CredentialResolver([_Fixed(self._refreshable(chain))])
        )
        session = boto3.Session(botocore_session=core)
        with self._lock:
            self._sessions[chain] = session
        return session

    def _refreshable(self, chain: RoleChain) -> RefreshableCredentials:
        def metadata() -> dict[str, str]:
            held = self._credentials(chain)
            expiry = datetime.datetime.fromtimestamp(held.expires_s, datetime.UTC)
            return {
                "access_key": held.access_key,
                "secret_key": held.secret_key,
                "token": held.token,
                "expiry_time": expiry.isoformat(),
            }

        def now() -> datetime.datetime:
            return datetime.datetime.fromtimestamp(self._clock(), datetime.UTC)

        first = metadata()
        return RefreshableCredentials(
            first["access_key"],
            first["secret_key"],
            first["token"],
            datetime.datetime.fromisoformat(first["expiry_time"]),
            metadata,
            _Fixed.METHOD,
            time_fetcher=now,
            advisory_timeout=self.refresh_margin_s,
            mandatory_timeout=self.refresh_margin_s // 2,
        )
