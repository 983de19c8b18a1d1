"""Checking AWS Signature Version 4 on requests to ``asl serve --auth KEY_ID:SECRET``.

A local endpoint that runs ``aws-sdk:*`` Tasks with the operator's credentials (``--aws``) must
not run them for whoever can reach its port: with a key configured, every request must be signed
with it, as on AWS (boto3 and the AWS CLI sign with the key in their environment; use the same
pair, LocalStack-style: ``AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=...``). Refusals carry
AWS's codes and messages: ``MissingAuthenticationTokenException``, ``IncompleteSignatureException``,
``UnrecognizedClientException`` (another key), ``InvalidSignatureException`` (a wrong signature,
or a request signed more than 15 minutes away from now).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from interpreter.api.errors import StepFunctionsError, api_error

_ALGORITHM = "AWS4-HMAC-SHA256"
_SKEW = _dt.timedelta(minutes=15)
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$"
)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The one access key requests must be signed with."""

    access_key_id: str
    secret_access_key: str

    @classmethod
    def parse(cls, text: str) -> SigningKey:
        """``KEY_ID:SECRET`` (the secret may contain colons)."""
        key_id, colon, secret = text.partition(":")
        if not colon or not key_id or not secret:
            raise ValueError("expected KEY_ID:SECRET")
        return cls(key_id, secret)


def check_signature(
    key: SigningKey,
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    region: str,
    now: _dt.datetime | None = None,
) -> StepFunctionsError | None:
    """Why the request is refused (AWS's error), or None when it is signed with ``key``.

    ``headers`` have lower-case names.
    """
    authorization = headers.get("authorization")
    if not authorization:
        return api_error("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTHORIZATION.match(authorization.strip())
    amz_date = headers.get("x-amz-date", "")
    if match is None or not amz_date:
        return api_error(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
            "parameters, and the request an 'X-Amz-Date' header.",
        )
    credential, signed_names, signature = match.groups()
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return api_error("IncompleteSignatureException", f"Invalid credential: '{credential}'")
    key_id, day, scope_region, service, _ = parts
    if not hmac.compare_digest(key_id, key.access_key_id):
        return api_error(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    if scope_region != region:
        return api_error(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{scope_region}'.",
        )
    if service != "states":
        return api_error(
            "InvalidSignatureException", "Credential should be scoped to correct service: 'states'."
        )
    expired = _expired(amz_date, now or _dt.datetime.now(_dt.UTC))
    if expired is not None:
        return expired
    names = signed_names.split(";")
    if "host" not in names or any(name not in headers for name in names):
        return api_error(
            "IncompleteSignatureException", "The request must sign the Host header it sends."
        )
    canonical = _canonical_request(method, target, headers, names, body)
    scope = f"{day}/{scope_region}/{service}/aws4_request"
    to_sign = "\n".join(
        [_ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    expected = hmac.new(
        _signing_key(key.secret_access_key, day, scope_region, service),
        to_sign.encode(),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return api_error(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.",
        )
    return None


def _expired(amz_date: str, now: _dt.datetime) -> StepFunctionsError | None:
    try:
        signed = _dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.UTC)
    except ValueError:
        return api_error("IncompleteSignatureException", f"Invalid X-Amz-Date: '{amz_date}'")
    if abs(now - signed) <= _SKEW:
        return None
    shown = now.strftime("%Y%m%dT%H%M%SZ")
    bound = (now - _SKEW if signed < now else now + _SKEW).strftime("%Y%m%dT%H%M%SZ")
    relation = "earlier" if signed < now else "later"
    return api_error(
        "InvalidSignatureException",
        f"Signature expired: {amz_date} is now {relation} than {bound} ({shown} - 15 min.)",
    )


def _canonical_request(
    method: str, target: str, headers: Mapping[str, str], names: list[str], body: bytes
) -> str:
    split = urlsplit(target)
    path = quote(unquote(split.path or "/"), safe="/-_.~")
    query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(parse_qsl(split.query, keep_blank_values=True))
    )
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in names)
    payload = hashlib.sha256(body).hexdigest()
    return "\n".join([method, path, query, canonical_headers, ";".join(names), payload])


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
