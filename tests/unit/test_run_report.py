"""``asl run --report FILE.html`` (interpreter.viewer.report)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from interpreter.cli import main

SAMPLES = Path(__file__).parents[2] / "samples"


def report_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="asl-report">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_report_of_a_run_carries_the_graph_the_history_and_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "run.html"
    status = main(
        [
            "run",
            str(SAMPLES / "map-fanout.asl.json"),
            "--input-file",
            str(SAMPLES / "items.json"),
            "--clock",
            "virtual",
            "--name",
            "run-1",
            "--report",
            str(report),
        ]
    )
    assert status == 0
    assert capsys.readouterr().err == ""
    page = report.read_text("utf-8")
    assert "<title>run-1 · map-fanout · asl run report</title>" in page
    assert "https://" not in page  # self-contained: no CDN, no server
    assert ".asl-node.st-succeeded" in page  # the viewer's CSS, inlined
    assert "function analyse(" in page  # and its script
    data = report_data(page)
    assert data["execution"]["name"] == "run-1"
    assert data["execution"]["status"] == "SUCCEEDED"
    assert json.loads(data["execution"]["output"])["lines"] == 3
    assert json.loads(data["definition"])["StartAt"] == "PriceItems"
    assert 'data-state="Classify"' in data["graph"]
    types = [event["type"] for event in data["events"]]
    assert types[0] == "ExecutionStarted"
    assert types[-1] == "ExecutionSucceeded"
    assert all(isinstance(event["timestamp"], float) for event in data["events"])


def test_report_text_cannot_close_its_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "odd.asl.json"
    name = "</script><script>alert(1)</script>"
    definition.write_text(
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": name}}}), "utf-8"
    )
    report = tmp_path / "odd.html"
    status = main(["run", str(definition), "--clock", "virtual", "--report", str(report)])
    assert status == 1
    capsys.readouterr()
    page = report.read_text("utf-8")
    assert name not in page
    # The data block ends where it should: what it holds parses, whole.
    assert report_data(page)["execution"]["error"] == name


def test_an_unwritable_report_is_said_and_the_run_still_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "run",
            str(SAMPLES / "parallel-aggregation.asl.json"),
            "--input",
            '{"customerId": "c-1"}',
            "--report",
            str(tmp_path / "missing-dir" / "r.html"),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0
    assert "asl run: cannot write the report" in captured.err
    assert json.loads(captured.out)["account"]["id"] == "c-1"
