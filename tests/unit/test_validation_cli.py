"""``asl validate`` (interpreter.cli_validate) through the ``asl`` entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from interpreter.cli import main

VALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
INVALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "C", "Foo": 1}}}
SYNC_TASK = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync",
            "End": True,
        }
    },
}


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["validate", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "ok.asl.json", VALID)
    assert run(capsys, path) == (0, f"{path}: OK\n", "")


def test_invalid_file_prints_one_line_per_diagnostic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad.json", INVALID)
    status, out, _ = run(capsys, path)
    assert status == 1
    assert out.splitlines() == [
        f"{path}:/States/A: ERROR SCHEMA_VALIDATION_FAILED Field 'Foo' is not supported",
        f"{path}:/States/A/Next: ERROR MISSING_TRANSITION_TARGET Missing 'Next' target: C",
        f"{path}: ERROR MISSING_END_STATE Workflow has no terminal state",
    ]


def test_not_json_exits_2_with_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "broken.json", '{"StartAt": "A",\n  "States": ]')
    status, out, _ = run(capsys, path)
    assert status == 2
    assert out.startswith(f"{path}: ERROR INVALID_JSON_DESCRIPTION ")
    assert "line 2, column 13" in out


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    valid = write(tmp_path, "ok.json", VALID)
    missing = str(tmp_path / "missing.json")
    status, out, err = run(capsys, valid, missing)
    assert status == 2
    assert out == f"{valid}: OK\n"
    assert err.startswith(f"asl validate: cannot read {missing}: ")


def test_worst_status_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    valid = write(tmp_path, "ok.json", VALID)
    invalid = write(tmp_path, "bad.json", INVALID)
    broken = write(tmp_path, "broken.json", "{")
    assert run(capsys, valid, invalid)[0] == 1
    assert run(capsys, broken, invalid)[0] == 2
    assert run(capsys, invalid, broken)[0] == 2


def test_json_output_is_aws_response_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad.json", INVALID)
    status, out, _ = run(capsys, "--json", path)
    assert status == 1
    response = json.loads(out)
    assert set(response) == {"result", "diagnostics", "truncated"}
    assert response["result"] == "FAIL"
    assert response["diagnostics"][0] == {
        "severity": "ERROR",
        "code": "SCHEMA_VALIDATION_FAILED",
        "message": "Field 'Foo' is not supported",
        "location": "/States/A",
    }


def test_json_output_for_several_files_maps_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = write(tmp_path, "ok.json", VALID)
    invalid = write(tmp_path, "bad.json", INVALID)
    status, out, _ = run(capsys, "--json", valid, invalid)
    assert status == 1
    responses = json.loads(out)
    assert responses[valid] == {"result": "OK", "diagnostics": [], "truncated": False}
    assert responses[invalid]["result"] == "FAIL"


def test_type_express(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "sync.json", SYNC_TASK)
    assert run(capsys, path)[0] == 0
    status, out, _ = run(capsys, "--type", "express", path)
    assert status == 1
    assert "Express state machine does not support '.sync' service integration" in out


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(INVALID)))
    status, out, _ = run(capsys, "-")
    assert status == 1
    assert out.startswith("<stdin>:/States/A: ERROR SCHEMA_VALIDATION_FAILED")


def test_a_bad_type_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--type", "FAST", "x.json"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
