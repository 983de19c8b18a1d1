"""A template's own Lambda functions, served in-process (interpreter.project.functions), and
what handlers print, captured per invocation (interpreter.adapters.handler_output)."""

from __future__ import annotations

import base64
import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from interpreter.adapters import handler_output
from interpreter.cli import main
from interpreter.project.errors import ProjectError
from interpreter.project.runner import load_state_machine, run_project

SAMPLE = Path(__file__).parents[2] / "samples" / "sam-order-app"
ORDER = json.loads((SAMPLE / "events" / "order.json").read_text("utf-8"))


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return str(path)


def test_the_sample_sam_project_runs_with_no_other_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(
        ["run", str(SAMPLE / "template.yaml"), "--input-file", str(SAMPLE / "events/order.json")]
    )
    captured = capsys.readouterr()
    assert status == 0
    assert json.loads(captured.out) == {
        "orderId": "o-1",
        "chargeId": "ch-o-1",
        "amount": 660,  # (3 x 120 + 2 x 95) cents, 20 % tax
        "currency": "EUR",
    }
    lines = captured.err.splitlines()
    assert "[sam-order-app-ValidateOrderFunction] validating order o-1 (2 items)" in lines
    charge = [line for line in lines if line.startswith("[sam-order-app-ChargePaymentFunction]")]
    assert charge[0].startswith("[sam-order-app-ChargePaymentFunction] START RequestId: ")
    assert "\tcharging 660 cents EUR for order o-1" in charge[1]
    assert charge[1].startswith("[sam-order-app-ChargePaymentFunction] [INFO]\t")
    assert charge[2].startswith("[sam-order-app-ChargePaymentFunction] END RequestId: ")
    assert "\tMemory Size: 256 MB" in charge[3]


def test_parameters_reach_the_functions_environment() -> None:
    result = run_project(
        str(SAMPLE / "template.yaml"), ORDER, parameters={"Currency": "USD", "CardLimit": "5"}
    )
    assert result.status == "FAILED"
    assert result.error == "PaymentNotCaptured"  # CardDeclined (660 > 500 cents), caught
    usd = run_project(str(SAMPLE / "template.yaml"), ORDER, parameters={"Currency": "USD"})
    assert usd.output["currency"] == "USD"


def test_function_environment_is_set_only_while_it_runs() -> None:
    seen: dict[str, str | None] = {}
    loaded = load_state_machine(str(SAMPLE / "template.yaml"))

    def spy(event: dict[str, object], context: object) -> dict[str, object]:
        seen["CURRENCY"] = os.environ.get("CURRENCY")
        return {"status": "CAPTURED", "chargeId": "c", "amount": 1, "currency": "x"}

    before = dict(os.environ)
    result = loaded.run(ORDER, lambdas={"ChargePaymentFunction": spy})
    assert result.status == "SUCCEEDED"
    assert seen == {"CURRENCY": None}  # a --lambda handler is not the template's function
    assert dict(os.environ) == before


def test_lambda_overrides_a_template_function_by_logical_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = write(
        tmp_path,
        "fake.py",
        """
        def charge(event, context):
            print("fake charge")
            return {"status": "CAPTURED", "chargeId": "fake", "amount": 0, "currency": "EUR"}
        """,
    )
    status = main(
        [
            "run",
            str(SAMPLE / "template.yaml"),
            "--input-file",
            str(SAMPLE / "events/order.json"),
            "--lambda",
            f"ChargePaymentFunction={handler}:charge",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0
    document = json.loads(captured.out)  # a handler's print() never reaches stdout
    assert json.loads(document["output"])["chargeId"] == "fake"
    assert "[sam-order-app-ChargePaymentFunction] fake charge" in captured.err.splitlines()


FUNCTIONS_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Environment:
      Variables:
        SHARED: from-globals
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: First
        States:
          First:
            Type: Task
            Resource: !GetAtt First.Arn
            Next: Second
          Second:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters:
              FunctionName: !Ref Second
              Payload.$: $
              LogType: Tail
            End: true
  First:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: first/
      Handler: app.handler
      MemorySize: 512
      Timeout: 30
      Layers: [!Ref Shared]
      Environment:
        Variables:
          OWN: first
  Second:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: second/
      Handler: src/app.handler
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: node/
      Handler: index.handler
"""


def functions_project(tmp_path: Path) -> str:
    write(
        tmp_path,
        "first/app.py",
        """
        import os
        import helper
        from shared import greeting

        def handler(event, context):
            return {
                "shared": os.environ["SHARED"],
                "own": os.environ["OWN"],
                "name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                "helper": helper.NAME,
                "greeting": greeting(),
                "memory": context.memory_limit_in_mb,
                "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 30000,
                "arn": context.invoked_function_arn,
            }
        """,
    )
    write(tmp_path, "first/helper.py", "NAME = 'first helper'\n")
    write(tmp_path, "layer/python/shared.py", "def greeting():\n    return 'hello from a layer'\n")
    write(tmp_path, "second/helper.py", "NAME = 'second helper'\n")
    write(
        tmp_path,
        "second/src/app.py",
        """
        import os
        import helper

        def handler(event, context):
            print("second sees", os.environ.get("OWN"))
            return {**event, "second": helper.NAME, "shared": os.environ["SHARED"]}
        """,
    )
    return write(tmp_path, "template.yaml", FUNCTIONS_TEMPLATE)


def test_functions_with_globals_layers_and_same_named_modules(tmp_path: Path) -> None:
    result = run_project(functions_project(tmp_path), {}, stack_name="demo")
    assert result.status == "SUCCEEDED", result.cause
    payload = result.output["Payload"]
    assert payload == {
        "shared": "from-globals",
        "own": "first",
        "name": "demo-First",
        "helper": "first helper",
        "greeting": "hello from a layer",
        "memory": 512,
        "remaining_ok": True,
        "arn": "arn:aws:lambda:us-east-1:123456789012:function:demo-First",
        "second": "second helper",
    }
    log = base64.b64decode(result.output["LogResult"]).decode()
    assert "\nsecond sees None\n" in log  # its own output, not First's environment
    assert "OWN" not in os.environ


def test_a_function_the_machine_calls_that_is_not_python_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = functions_project(tmp_path)
    text = Path(path).read_text("utf-8").replace("!Ref Second", "!Ref Node")
    Path(path).write_text(text, "utf-8")
    assert main(["run", path, "--stack-name", "demo"]) == 2
    assert capsys.readouterr().err == (
        "asl run: the state machine calls Node (demo-Node), which cannot run in-process: its "
        "runtime is nodejs20.x; asl runs Python functions in-process only. Serve it with "
        "--lambda Node=FILE.py:FUNCTION, or mock it with --mock-config\n"
    )


def test_an_unused_non_python_function_does_not_stop_a_run(tmp_path: Path) -> None:
    assert run_project(functions_project(tmp_path), {}).status == "SUCCEEDED"


def test_a_function_whose_module_cannot_be_imported_fails_as_lambda_reports_it(
    tmp_path: Path,
) -> None:
    path = functions_project(tmp_path)
    write(tmp_path, "first/app.py", "import not_installed_anywhere\n")
    result = run_project(path, {})
    assert result.status == "FAILED"
    assert result.error == "Runtime.ImportModuleError"
    assert json.loads(result.cause) == {
        "errorMessage": "Unable to import module 'app': No module named 'not_installed_anywhere'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": json.loads(result.cause)["requestId"],
        "stackTrace": [],
    }


def test_inline_code_runs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "template.yaml",
        """
        Resources:
          Machine:
            Type: AWS::StepFunctions::StateMachine
            Properties:
              Definition:
                StartAt: T
                States:
                  T: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              FunctionName: inline-fn
              Runtime: python3.11
              Handler: index.handler
              Code:
                ZipFile: |
                  def handler(event, context):
                      return {"doubled": event["n"] * 2}
        """,
    )
    assert run_project(path, {"n": 21}).output == {"doubled": 42}


def test_code_in_s3_is_refused_only_when_called(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "template.yaml",
        """
        Resources:
          Machine:
            Type: AWS::Serverless::StateMachine
            Properties:
              Definition:
                StartAt: T
                States:
                  T: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              CodeUri: s3://bucket/code.zip
        """,
    )
    with pytest.raises(
        ProjectError, match=r"its code s3://bucket/code.zip is not a local directory"
    ):
        run_project(path, {})
    assert run_project(path, {}, lambdas={"Fn": lambda event, context: "mine"}).output == "mine"


def test_a_failing_handler_logs_its_traceback_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = write(
        tmp_path,
        "m.asl.json",
        '{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": '
        '"arn:aws:lambda:us-east-1:123456789012:function:Boom", "End": true}}}',
    )
    handler = write(tmp_path, "boom.py", "def boom(event, context):\n    raise KeyError('x')\n")
    assert main(["run", definition, "--lambda", f"Boom={handler}:boom"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert "[Boom] [ERROR] KeyError: 'x'" in lines
    assert "[Boom] Traceback (most recent call last):" in lines
    assert any("raise KeyError('x')" in line for line in lines)


@pytest.fixture
def default_handler_logs() -> Iterator[None]:
    yield
    handler_output.configure("full")


@pytest.mark.parametrize(("mode", "shown"), [("output", ["[Hi] hello"]), ("off", [])])
@pytest.mark.usefixtures("default_handler_logs")
def test_handler_logs_modes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str, shown: list[str]
) -> None:
    definition = write(
        tmp_path,
        "m.asl.json",
        '{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": '
        '"arn:aws:lambda:us-east-1:123456789012:function:Hi", "End": true}}}',
    )
    handler = write(
        tmp_path, "hi.py", "def hi(event, context):\n    print('hello')\n    return 1\n"
    )
    assert main(["run", definition, "--lambda", f"Hi={handler}:hi", "--handler-logs", mode]) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err.splitlines()) == ("1\n", shown)
