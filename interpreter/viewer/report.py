"""``asl run --report FILE.html``: one self-contained HTML page of a run.

The page is the viewer's own (its CSS and script inlined) reading the run from a JSON block
instead of the API: the graph with each state's outcome and the path taken, the event history,
and every state's input, output, variables, retries and errors. It needs no server and no
network, so it works as a CI artifact or an attachment to a bug report.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from interpreter.core.history import to_json_text
from interpreter.definition.model import StateMachine as CompiledStateMachine
from interpreter.diagram.model import build_diagram
from interpreter.diagram.svg import to_svg
from interpreter.runtime.local import ExecutionResult
from interpreter.viewer.http import static_text


def report_html(
    *,
    state_machine_name: str,
    compiled: CompiledStateMachine,
    definition: Mapping[str, Any],
    result: ExecutionResult,
) -> str:
    """The report page of ``result``, a run of ``compiled`` (compiled from ``definition``)."""
    data = {
        "stateMachineName": state_machine_name,
        "definition": json.dumps(definition, ensure_ascii=False),
        "graph": to_svg(build_diagram(compiled, definition), state_machine_name, style=False),
        "execution": _described(result),
        "events": [{**event, "timestamp": event["timestamp"] / 1000} for event in result.history],
    }
    title = html.escape(f"{result.name} · {state_machine_name} · asl run report")
    return _PAGE.format(
        title=title,
        style=static_text("app.css"),
        data=_script_safe(json.dumps(data, ensure_ascii=False, default=str)),
        script=_script_safe(static_text("app.js")),
    )


def write_report(path: str | Path, **options: Any) -> None:
    """Write :func:`report_html` to ``path`` (raises OSError)."""
    Path(path).write_text(report_html(**options), encoding="utf-8")


def _described(result: ExecutionResult) -> dict[str, Any]:
    described: dict[str, Any] = {
        "executionArn": result.execution_arn,
        "stateMachineArn": result.state_machine_arn,
        "name": result.name,
        "status": result.status,
        "startDate": result.start_ms / 1000,
        "input": to_json_text(result.input),
    }
    if result.stop_ms is not None:
        described["stopDate"] = result.stop_ms / 1000
    if result.status == "SUCCEEDED":
        described["output"] = result.output_text
    if result.error is not None:
        described["error"] = result.error
    if result.cause is not None:
        described["cause"] = result.cause
    return described


def _script_safe(text: str) -> str:
    """Text that cannot end the <script> element it sits in."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">asl<span>run report</span></span>
  <nav id="crumbs" aria-label="Breadcrumb"></nav>
</header>
<main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
<div id="toast" role="status" aria-live="polite"></div>
<noscript><p class="panel">This report needs JavaScript to draw the run.</p></noscript>
<script type="application/json" id="asl-report">{data}</script>
<script>{script}</script>
</body>
</html>
"""
