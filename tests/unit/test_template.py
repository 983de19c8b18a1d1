"""template.yaml: a valid SAM template whose resources keep RELIABILITY.md's security rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation's short-form intrinsic functions (!Ref, !GetAtt...) as plain data."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _intrinsic)


def load() -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    return document


def test_it_is_a_sam_template_with_resources() -> None:
    template = load()
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Resources"]


def test_storage_is_encrypted_and_queues_have_dead_letter_queues() -> None:
    resources = load()["Resources"]
    tables = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables
    assert all(t["Properties"]["SSESpecification"]["SSEEnabled"] for t in tables)
    queues = {name: r for name, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    for name, queue in queues.items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") or properties.get("KmsMasterKeyId"), name
        is_dead_letter_queue = any(
            q["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
            == {"GetAtt": f"{name}.Arn"}
            for q in queues.values()
        )
        assert is_dead_letter_queue or "RedrivePolicy" in properties, name


def test_no_wildcard_actions_anywhere() -> None:
    # "*" appears only as the principal and resource of the resource policies that close the
    # engine's data (tests/security/test_least_privilege.py reads the translated policies).
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "Action: '*'" not in text
    assert 'Action: "*"' not in text
    assert not [line for line in text.splitlines() if line.strip().startswith("- '*'")]


def test_the_table_is_the_one_the_dynamodb_store_uses() -> None:
    from interpreter.adapters.dynamodb_store import table_definition

    (table,) = [r for r in load()["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    properties = table["Properties"]
    expected = table_definition("any")
    for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode"):
        assert properties[key] == expected[key], key


def test_cfn_lint_finds_nothing_wrong() -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE, ManualArgs(regions=["us-east-1"]))
    assert [str(match) for match in matches] == []


def test_each_function_runs_a_handler_that_exists_with_explicit_policies() -> None:
    import importlib

    resources = load()["Resources"]
    functions = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == {"ApiFunction", "WorkerFunction", "SweepFunction"}
    for name, function in functions.items():
        module, _, attribute = function["Properties"]["Handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), name
        # A role of its own, defined in the template (whose policies the security tests read).
        role = function["Properties"]["Role"]["GetAtt"].removesuffix(".Arn")
        assert resources[role]["Type"] == "AWS::IAM::Role", name


def test_the_work_queue_outlasts_six_worker_timeouts() -> None:
    resources = load()["Resources"]
    worker_timeout = resources["WorkerFunction"]["Properties"]["Timeout"]
    assert resources["WorkQueue"]["Properties"]["VisibilityTimeout"] >= 6 * worker_timeout


def test_the_lambda_requirements_are_the_project_s() -> None:
    import tomllib

    project = tomllib.loads((TEMPLATE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    expected = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["lambda"],
    ]
    lines = (TEMPLATE.parent / "requirements.txt").read_text(encoding="utf-8").splitlines()
    listed = [line for line in lines if line and not line.startswith("#")]
    assert listed == expected


def test_the_local_cloud_is_deployed_with_the_template_s_settings() -> None:
    # asl serve --serverless provisions and runs what template.yaml declares (one source of
    # truth: interpreter/cloud/settings.py); a change to one must be made to the other.
    from interpreter.cli import build_parser
    from interpreter.cloud.settings import CloudSettings
    from interpreter.cloud.supervisor import CloudOptions

    template = load()
    resources = template["Resources"]
    settings = CloudSettings()
    work = resources["WorkQueue"]["Properties"]
    assert work["VisibilityTimeout"] == settings.visibility_timeout_s
    assert work["RedrivePolicy"]["maxReceiveCount"] == settings.max_receive_count
    dead_letters = resources["WorkDeadLetterQueue"]["Properties"]
    assert dead_letters["MessageRetentionPeriod"] == settings.dead_letter_retention_s
    worker = resources["WorkerFunction"]["Properties"]
    assert worker["Events"]["Work"]["Properties"]["BatchSize"] == settings.batch_size
    assert worker["Timeout"] == settings.worker_timeout_s
    assert resources["ApiFunction"]["Properties"]["Timeout"] == settings.api_timeout_s
    sweep = resources["SweepFunction"]["Properties"]
    assert sweep["Timeout"] == settings.sweep_timeout_s
    (schedule,) = sweep["Events"].values()
    assert schedule["Properties"]["Schedule"] == f"rate({settings.sweep_rate_s // 60} minute)"
    interval = sweep["Environment"]["Variables"]["SWEEP_INTERVAL_SECONDS"]
    assert float(interval) == settings.sweep_interval_s == CloudOptions().sweep_interval_s
    serve = build_parser().parse_args(["serve", "--serverless"])
    assert serve.sweep_seconds == settings.sweep_interval_s
    assert template["Globals"]["Function"]["MemorySize"] == settings.memory_mb
    assert template["Parameters"]["RetentionDays"]["Default"] == settings.retention_days
