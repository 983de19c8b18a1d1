"""Amazon Resource Names as Step Functions forms them, in one place (a bottom layer, like
:mod:`interpreter.limits`: pure string building, importable from anywhere)."""

from __future__ import annotations


def state_machine_arn(region: str, account: str, name: str) -> str:
    """``arn:aws:states:<region>:<account>:stateMachine:<name>``."""
    return f"arn:aws:states:{region}:{account}:stateMachine:{name}"


def execution_arn(
    region: str, account: str, machine_name: str, name: str, express_id: str | None = None
) -> str:
    """A Standard execution's ARN, or with ``express_id`` an Express one
    (``...:express:<machine>:<name>:<id>``: Express names need not be unique)."""
    prefix = f"arn:aws:states:{region}:{account}"
    if express_id is not None:
        return f"{prefix}:express:{machine_name}:{name}:{express_id}"
    return f"{prefix}:execution:{machine_name}:{name}"


def activity_arn(region: str, account: str, name: str) -> str:
    """``arn:aws:states:<region>:<account>:activity:<name>``."""
    return f"arn:aws:states:{region}:{account}:activity:{name}"


def map_run_arn(region: str, account: str, machine_name: str, label: str, run_id: str) -> str:
    """A Distributed Map run: ``...:mapRun:<machine>/<label>:<run id>``."""
    return f"arn:aws:states:{region}:{account}:mapRun:{machine_name}/{label}:{run_id}"


def lambda_function_arn(region: str, account: str, name: str) -> str:
    """An unqualified Lambda function ARN."""
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def default_role_arn(account: str) -> str:
    """The execution role local runs report when none is given."""
    return f"arn:aws:iam::{account}:role/asl-local"


def function_name_of(reference: str) -> str:
    """The function name in a name, a partial ARN or a full ARN (qualifier dropped)."""
    parts = reference.split(":")
    if len(parts) >= 7 and parts[0] == "arn":
        return parts[6]
    if len(parts) >= 3 and parts[1] == "function":
        return parts[2]
    return parts[0]
