"""Definitions where users keep them (interpreter.project): YAML, templates, placeholders."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from interpreter.cli import main
from interpreter.project.errors import ProjectError
from interpreter.project.loader import LoadOptions, load_definition, open_project
from interpreter.project.yaml12 import load_yaml


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return str(path)


def definition_of(path: str, **options: Any) -> Any:
    machine = options.pop("machine", None)
    return json.loads(
        load_definition(path, machine=machine, options=LoadOptions(**options)).definition
    )


# ------------------------------------------------------------------ YAML 1.2


def test_yaml_scalars_follow_yaml_1_2_not_1_1() -> None:
    document = load_yaml(
        "a: Yes\nb: No\nc: on\nd: 012\ne: 0o12\nf: 0x1f\ng: 1:30\nh: 2024-01-01\n"
        "i: true\nj: FALSE\nk: ~\nl: 1.5\nm: 1_000\nn: y\n"
    )
    assert document == {
        "a": "Yes",
        "b": "No",
        "c": "on",
        "d": 12,
        "e": 10,
        "f": 31,
        "g": "1:30",
        "h": "2024-01-01",
        "i": True,
        "j": False,
        "k": None,
        "l": 1.5,
        "m": "1_000",
        "n": "y",
    }


def test_yaml_short_forms_become_long_forms() -> None:
    document = load_yaml(
        "a: !Ref Table\nb: !GetAtt Fn.Arn\nc: !Sub '${AWS::Region}'\n"
        "d: !Join ['-', [x, !Ref Y]]\ne: !If [IsProd, 1, 2]\nf: !GetAtt [Fn, Arn]\n"
    )
    assert document == {
        "a": {"Ref": "Table"},
        "b": {"Fn::GetAtt": ["Fn", "Arn"]},
        "c": {"Fn::Sub": "${AWS::Region}"},
        "d": {"Fn::Join": ["-", ["x", {"Ref": "Y"}]]},
        "e": {"Fn::If": ["IsProd", 1, 2]},
        "f": {"Fn::GetAtt": ["Fn", "Arn"]},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "the key 'a' appears twice in one mapping (line 2, column 1)"),
        ("a: [1\n", "not YAML: did not find expected ',' or ']' at line 2, column 1"),
        ("a: !Nope x\n", "unknown tag !Nope (line 1, column 4)"),
    ],
)
def test_bad_yaml_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ProjectError) as raised:
        load_yaml(text)
    assert str(raised.value) == message


def test_a_yaml_definition_file_runs_with_states_named_yes_and_no(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "choose.asl.yaml",
        """
        StartAt: Approved?
        States:
          Approved?:
            Type: Choice
            Choices:
              - Variable: $.approved
                BooleanEquals: true
                Next: Yes
            Default: No
          Yes:
            Type: Pass
            Result: approved
            End: true
          No:
            Type: Fail
            Error: Rejected
        """,
    )
    assert main(["run", path, "--input", '{"approved": true}']) == 0
    assert capsys.readouterr().out == '"approved"\n'
    assert main(["validate", path]) == 0
    assert capsys.readouterr().out == f"{path}: OK\n"


def test_yaml_definition_diagnostics_keep_aws_locations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "bad.asl.yml", "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: B\n"
    )
    assert main(["validate", path]) == 1
    assert f"{path}:/States/A/Next: ERROR MISSING_TRANSITION_TARGET" in capsys.readouterr().out


# ------------------------------------------------------------------ placeholders


def test_sub_fills_a_json_definitions_placeholders_even_unquoted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.asl.json",
        """
        {"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": ${Count},
          "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "${FnArn}", "End": true}}}, "End": true}}}
        """,
    )
    arn = "arn:aws:lambda:us-east-1:123456789012:function:work"
    definition = definition_of(path, substitutions={"Count": "3", "FnArn": arn})
    assert definition["States"]["M"]["MaxConcurrency"] == 3
    assert definition["States"]["M"]["ItemProcessor"]["States"]["T"]["Resource"] == arn


def test_an_unfilled_placeholder_names_itself_and_where_it_is(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.asl.json",
        '{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${FnArn}", '
        '"Parameters": {"Table": "${Table}"}, "End": true}}}',
    )
    with pytest.raises(ProjectError) as raised:
        load_definition(path)
    assert str(raised.value) == (
        f"{path}: the definition's placeholders ${{FnArn}}, ${{Table}} have no value "
        "(${FnArn} at /States/T/Resource; ${Table} at /States/T/Parameters/Table): give them "
        "with DefinitionSubstitutions or --sub FnArn=VALUE"
    )


def test_an_unfilled_unquoted_placeholder_gives_its_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.asl.json",
        '{"StartAt": "P",\n "States": {"P": {"Type": "Pass", "Result": ${N}, "End": true}}}',
    )
    with pytest.raises(ProjectError, match=r"\$\{N\} at line 2, column 45"):
        load_definition(path)


def test_asl_run_and_validate_refuse_an_unfilled_placeholder_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "m.asl.json",
        '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Greeting}", "End": true}}}',
    )
    assert main(["run", path]) == 2
    assert "--sub Greeting=VALUE" in capsys.readouterr().err
    assert main(["validate", path]) == 2
    assert "placeholder ${Greeting} has no value" in capsys.readouterr().err
    assert main(["run", path, "--sub", "Greeting=hello"]) == 0
    assert capsys.readouterr().out == '"hello"\n'


# ------------------------------------------------------------------ templates

SAM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Tags:
    Type: CommaDelimitedList
    Default: "a, b"
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Orders:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      DefinitionUri: statemachine/orders.asl.yaml
      DefinitionSubstitutions:
        FnArn: !GetAtt Worker.Arn
        TableName: !Ref Table
        QueueUrl: !Ref Queue
        Region: !Sub "${AWS::Region}/${AWS::AccountId}/${AWS::Partition}/${AWS::StackName}"
        Mode: !If [IsProd, fast, careful]
        FirstTag: !Select [0, !Ref Tags]
        Unused: !ImportValue SomethingElse
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
  Table:
    Type: AWS::Serverless::SimpleTable
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "orders-${Stage}"
"""

ORDERS_DEFINITION = """
StartAt: Work
States:
  Work:
    Type: Pass
    Parameters:
      fn: ${FnArn}
      table: ${TableName}
      queue: ${QueueUrl}
      where: ${Region}
      mode: ${Mode}
      tag: ${FirstTag}
    End: true
"""


def sam_project(tmp_path: Path) -> str:
    write(tmp_path, "statemachine/orders.asl.yaml", ORDERS_DEFINITION)
    return write(tmp_path, "template.yaml", SAM_TEMPLATE)


def test_a_sam_machine_from_definition_uri_with_substitutions(tmp_path: Path) -> None:
    path = sam_project(tmp_path)
    source = load_definition(path, options=LoadOptions(region="eu-west-1", stack_name="shop"))
    assert (source.label, source.name, source.state_machine_type) == (
        f"{path}#Orders",
        "Orders",
        "EXPRESS",
    )
    assert source.role_arn == "arn:aws:iam::123456789012:role/shop-OrdersRole"
    assert json.loads(source.definition)["States"]["Work"]["Parameters"] == {
        "fn": "arn:aws:lambda:eu-west-1:123456789012:function:shop-Worker",
        "table": "shop-Table",
        "queue": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dev",
        "where": "eu-west-1/123456789012/aws/shop",
        "mode": "careful",
        "tag": "a",
    }


def test_parameter_overrides_as_sam_takes_them(tmp_path: Path) -> None:
    path = sam_project(tmp_path)
    for overrides in (
        ["Stage=prod"],
        ["ParameterKey=Stage,ParameterValue=prod"],
        ["Stage=prod Tags=x,y"],
    ):
        from interpreter.project.loader import parse_assignments

        parameters = parse_assignments(overrides, "--parameter-overrides")
        parameters_of = definition_of(path, parameters=parameters)["States"]["Work"]["Parameters"]
        assert parameters_of["mode"] == "fast"
        assert parameters_of["queue"].endswith("/orders-prod")


def test_a_parameter_outside_its_allowed_values_is_refused(tmp_path: Path) -> None:
    path = sam_project(tmp_path)
    with pytest.raises(
        ProjectError, match=r"parameter Stage is 'test', not one of its AllowedValues"
    ):
        definition_of(path, parameters={"Stage": "test"})


def test_an_override_of_an_undeclared_parameter_is_refused(tmp_path: Path) -> None:
    path = sam_project(tmp_path)
    with pytest.raises(ProjectError, match="names Stag, which the template's Parameters"):
        definition_of(path, parameters={"Stag": "prod"})


def test_sub_overrides_a_template_substitution(tmp_path: Path) -> None:
    path = sam_project(tmp_path)
    parameters = definition_of(path, substitutions={"Mode": "manual"})["States"]["Work"][
        "Parameters"
    ]
    assert parameters["mode"] == "manual"


def test_an_unresolvable_template_value_names_itself_and_where(tmp_path: Path) -> None:
    write(tmp_path, "statemachine/orders.asl.yaml", ORDERS_DEFINITION + "# ${Unused}\n")
    path = write(
        tmp_path,
        "template.yaml",
        SAM_TEMPLATE.replace("tag: ${FirstTag}", "tag: ${Unused}"),
    )
    write(
        tmp_path,
        "statemachine/orders.asl.yaml",
        ORDERS_DEFINITION.replace("${FirstTag}", "${Unused}"),
    )
    with pytest.raises(ProjectError) as raised:
        load_definition(path)
    assert str(raised.value) == (
        "Fn::ImportValue SomethingElse is another stack's export, unknown to a local run (at "
        "Resources.Orders.Properties.DefinitionSubstitutions.Unused.Fn::ImportValue); give "
        "${Unused} a value with --sub Unused=VALUE"
    )
    assert (
        definition_of(path, substitutions={"Unused": "u"})["States"]["Work"]["Parameters"]["tag"]
        == "u"
    )


CFN_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Greeting": {"Type": "String"}},
    "Resources": {
        "FromString": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": {"Fn::Sub": "${AWS::StackName}-greeter"},
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "DefinitionString": {
                    "Fn::Sub": [
                        '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": '
                        '"${Greeting} ${Who} ${!Later}", "End": true}}}',
                        {"Who": "world"},
                    ]
                },
                "DefinitionSubstitutions": {"Later": "then"},
            },
        },
        "Joined": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineType": "EXPRESS",
                "DefinitionString": {
                    "Fn::Join": [
                        "",
                        [
                            '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "',
                            {"Ref": "AWS::URLSuffix"},
                            '", "End": true}}}',
                        ],
                    ]
                },
            },
        },
        "FromObject": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "Definition": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Result": {"Ref": "Topic"}, "End": True}},
                }
            },
        },
        "FromFile": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"DefinitionS3Location": "definitions/file.asl.json"},
        },
        "FromS3": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"DefinitionS3Location": {"Bucket": "b", "Key": "k.json"}},
        },
        "Skipped": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Condition": "Never",
            "Properties": {"Definition": {}},
        },
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "machine-role"}},
        "Topic": {"Type": "AWS::SNS::Topic"},
    },
    "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
}


def cfn_project(tmp_path: Path) -> str:
    write(
        tmp_path,
        "definitions/file.asl.json",
        '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
    )
    return write(tmp_path, "stack.json", json.dumps(CFN_TEMPLATE))


def test_cloudformation_state_machines_in_their_forms(tmp_path: Path) -> None:
    path = cfn_project(tmp_path)
    project = open_project(path, LoadOptions(parameters={"Greeting": "hello"}, stack_name="s"))
    assert project.machine_ids() == ["FromString", "Joined", "FromObject", "FromFile", "FromS3"]
    from_string = project.machine("FromString")
    assert from_string.name == "s-greeter"
    assert from_string.role_arn == "arn:aws:iam::123456789012:role/machine-role"
    assert json.loads(from_string.definition)["States"]["P"]["Result"] == "hello world then"
    joined = project.machine("Joined")
    assert joined.state_machine_type == "EXPRESS"
    assert json.loads(joined.definition)["States"]["P"]["Result"] == "amazonaws.com"
    topic = "arn:aws:sns:us-east-1:123456789012:s-Topic"
    assert json.loads(project.machine("FromObject").definition)["States"]["P"]["Result"] == topic
    assert json.loads(project.machine("FromFile").definition)["StartAt"] == "P"
    with pytest.raises(ProjectError, match=r"DefinitionS3Location names an S3 object"):
        project.machine("FromS3")


def test_a_parameter_without_default_must_be_given(tmp_path: Path) -> None:
    path = cfn_project(tmp_path)
    with pytest.raises(ProjectError) as raised:
        load_definition(path, machine="FromString")
    assert str(raised.value) == (
        "parameter Greeting has no Default: give it with --parameter-overrides Greeting=VALUE "
        "(used at Resources.FromString.Properties.DefinitionString.Fn::Sub)"
    )


def test_a_template_with_several_machines_needs_machine(tmp_path: Path) -> None:
    path = cfn_project(tmp_path)
    with pytest.raises(ProjectError, match=r"defines 5 state machines \(FromString, Joined, "):
        load_definition(path)
    with pytest.raises(ProjectError, match=r"has no state machine 'Nope' \(it has FromString"):
        load_definition(path, machine="Nope")


def test_asl_validate_checks_every_machine_of_a_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cfn_project(tmp_path)
    status = main(["validate", path, "--parameter-overrides", "Greeting=hi"])
    captured = capsys.readouterr()
    assert status == 2  # FromS3 cannot be read locally
    assert captured.out.splitlines() == [
        f"{path}#FromString: OK",
        f"{path}#Joined: OK",
        f"{path}#FromObject: OK",
        f"{path}#FromFile: OK",
    ]
    assert captured.err.startswith(
        f"asl validate: {path}#FromS3: Resources.FromS3.Properties.DefinitionS3Location names an "
        "S3 object"
    )


def test_asl_validate_names_the_logical_id_in_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "template.yaml",
        """
        Resources:
          Broken:
            Type: AWS::Serverless::StateMachine
            Properties:
              Definition:
                StartAt: A
                States:
                  A: {Type: Pass, Next: Nowhere}
        """,
    )
    assert main(["validate", path]) == 1
    assert capsys.readouterr().out.startswith(
        f"{path}#Broken:/States/A/Next: ERROR MISSING_TRANSITION_TARGET Missing 'Next' target"
    )
    assert main(["validate", "--json", path]) == 1
    assert json.loads(capsys.readouterr().out)["result"] == "FAIL"


def test_asl_run_runs_a_templates_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cfn_project(tmp_path)
    status = main(
        [
            "run",
            path,
            "--machine",
            "FromString",
            "--parameter-overrides",
            "Greeting=hey",
            "--json",
            "--stack-name",
            "demo",
            "--region",
            "eu-central-1",
            "--account",
            "111122223333",
        ]
    )
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["output"] == '"hey world then"'
    assert document["stateMachineArn"] == (
        "arn:aws:states:eu-central-1:111122223333:stateMachine:demo-greeter"
    )
    started = document["events"][0]["executionStartedEventDetails"]
    assert started["roleArn"] == "arn:aws:iam::111122223333:role/machine-role"


def test_asl_run_takes_the_templates_express_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cfn_project(tmp_path)
    assert main(["run", path, "--machine", "Joined", "--json"]) == 0
    assert ":express:Joined:" in json.loads(capsys.readouterr().out)["executionArn"]
