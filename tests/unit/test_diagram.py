"""State-machine diagrams (interpreter.diagram) and ``asl graph``."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from interpreter.cli import main
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.validation import validate_and_load
from interpreter.diagram import labels, render
from interpreter.diagram.dot import to_dot
from interpreter.diagram.layout import Box, PlacedNode, PlacedScope, layout_diagram
from interpreter.diagram.mermaid import to_mermaid
from interpreter.diagram.model import Diagram, Scope, build_diagram
from interpreter.diagram.svg import to_svg
from interpreter.diagram.textsize import text_width

SAMPLES = sorted(Path(__file__).parents[2].joinpath("samples").glob("*.asl.json"))


def diagram_of(definition: Any) -> Diagram:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    parsed, diagnostics = validate_and_load(text)
    assert not [d for d in diagnostics if d.is_error], diagnostics
    assert isinstance(parsed, dict)
    return build_diagram(compile_state_machine(parsed), parsed)


def sample(name: str) -> Diagram:
    return diagram_of(Path(__file__).parents[2].joinpath("samples", name).read_text("utf-8"))


def edges_of(scope: Scope) -> list[tuple[str, str, str, str]]:
    """(source name, target name, kind, label) with markers as START/END."""
    names = {node.id: node.name or node.kind.upper() for node in scope.nodes}
    return [(names[e.source], names[e.target], e.kind, e.label) for e in scope.edges]


# ---------------------------------------------------------------- short texts


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.n", "NumericGreaterThanEquals": 10}, "$.n >= 10"),
        ({"Variable": "$.s", "StringEquals": "a\"b"}, '$.s == "a\\"b"'),
        ({"Variable": "$.a", "NumericLessThanPath": "$.b"}, "$.a < $.b"),
        ({"Variable": "$.t", "TimestampGreaterThan": "2024-01-01T00:00:00Z"},
         '$.t > "2024-01-01T00:00:00Z"'),
        ({"Variable": "$.ok", "BooleanEquals": False}, "$.ok == false"),
        ({"Variable": "$.sku", "StringMatches": "gift-*"}, '$.sku matches "gift-*"'),
        ({"Variable": "$.x", "IsPresent": False}, "$.x is absent"),
        ({"Variable": "$.x", "IsNull": True}, "$.x is null"),
        ({"Variable": "$.x", "IsNumeric": False}, "$.x is not numeric"),
        (
            {"And": [{"Variable": "$.a", "IsPresent": True},
                     {"Or": [{"Variable": "$.b", "NumericEquals": 1},
                             {"Variable": "$.b", "NumericEquals": 2}]}]},
            "$.a is present and ($.b == 1 or $.b == 2)",
        ),
        ({"Not": {"Variable": "$.s", "StringEquals": "x"}}, 'not ($.s == "x")'),
        ({"Condition": "{% $weight > 30 %}", "Next": "A"}, "$weight > 30"),
        ({"Condition": True, "Next": "A"}, "true"),
    ],
)  # fmt: skip
def test_describe_rule(rule: dict[str, Any], text: str) -> None:
    assert labels.describe_rule({**rule, "Next": "A"}) == text


@pytest.mark.parametrize(
    ("resource", "spec", "text"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:Charge", {}, "Lambda Charge"),
        ("arn:aws:lambda:us-east-1:123456789012:function:Charge:live", {}, "Lambda Charge"),
        ("arn:aws:states:::lambda:invoke", {"Parameters": {"FunctionName": "arn:aws:lambda:"
         "us-east-1:1:function:Pay:1"}}, "Lambda Pay"),
        ("arn:aws:states:::lambda:invoke", {"Arguments": {"FunctionName": "Pay"}}, "Lambda Pay"),
        ("arn:aws:states:::lambda:invoke", {}, "lambda:invoke"),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {}, "sqs:sendMessage · callback"),
        ("arn:aws:states:::states:startExecution.sync:2", {}, "states:startExecution · sync"),
        ("arn:aws:states:::aws-sdk:s3:getObject", {}, "SDK s3:getObject"),
        ("arn:aws:states:us-east-1:123456789012:activity:Approve", {}, "Activity Approve"),
        ("arn:aws:states:::unknown:thing", {}, "arn:aws:states:::unknown:thing"),
    ],
)  # fmt: skip
def test_describe_resource(resource: str, spec: dict[str, Any], text: str) -> None:
    assert labels.describe_resource(resource, spec) == text


def test_shorten_cuts_with_an_ellipsis_on_one_line() -> None:
    assert labels.shorten("a\n b") == "a b"
    cut = labels.shorten("x" * 100)
    assert len(cut) == labels.MAX_LABEL
    assert cut.endswith("…")


# ---------------------------------------------------------------- the model


def test_order_processing_edges_retry_and_markers() -> None:
    diagram = sample("order-processing.asl.json")
    assert edges_of(diagram.root) == [
        ("START", "ValidateOrder", "start", ""),
        ("ValidateOrder", "ReserveStock", "choice",
         "$.order.items[0] is present and $.order.tot…"),
        ("ValidateOrder", "RejectOrder", "default", "Default"),
        ("ReserveStock", "ChargeCard", "next", ""),
        ("ReserveStock", "RejectOrder", "catch", "OutOfStock"),
        ("ChargeCard", "OrderConfirmed", "next", ""),
        ("ChargeCard", "ReleaseStock", "catch", "States.ALL"),
        ("ReleaseStock", "RejectOrder", "next", ""),
        ("OrderConfirmed", "END", "end", ""),
        ("RejectOrder", "END", "end", ""),
    ]  # fmt: skip
    choice = diagram.root.edges[1]
    assert choice.title == "$.order.items[0] is present and $.order.total > 0"
    reserve = diagram.node_of("ReserveStock")
    assert reserve is not None
    assert reserve.retry == "↻ StockServiceBusy ×4"
    assert reserve.detail == "Lambda ReserveStock"


def test_parallel_branches_and_map_processors_are_nested_scopes() -> None:
    parallel = sample("parallel-aggregation.asl.json").node_of("Lookups")
    assert parallel is not None
    assert [group.label for group in parallel.groups] == ["Branch 1", "Branch 2", "Branch 3"]
    assert edges_of(parallel.groups[1]) == [
        ("START", "Orders", "start", ""),
        ("Orders", "END", "end", ""),
    ]
    mapped = sample("map-fanout.asl.json").node_of("PriceItems")
    assert mapped is not None
    assert mapped.detail == "Inline · $.items"
    (processor,) = mapped.groups
    assert processor.label == "Item processor"
    assert ("Classify", "ListPrice", "default", "Default") in edges_of(processor)


def test_distributed_map_and_nested_groups() -> None:
    diagram = diagram_of(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "P",
                        "States": {
                            "P": {
                                "Type": "Parallel",
                                "Branches": [
                                    {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}
                                ],
                                "End": True,
                            }
                        },
                    },
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                    "End": True,
                }
            },
        }
    )
    mapped = diagram.node_of("M")
    assert mapped is not None
    assert mapped.detail == "Distributed"
    assert mapped.retry == "↻ States.ALL ×2"
    assert mapped.groups[0].label == "Child workflow"
    inner = diagram.node_of("P")
    assert inner is not None
    assert inner.detail == "1 branch"
    ids = [node.id for node in diagram.nodes()]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------- Mermaid and DOT


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_mermaid_declares_every_node_once_and_links_only_declared_ones(path: Path) -> None:
    diagram = diagram_of(path.read_text("utf-8"))
    text = to_mermaid(diagram)
    assert text.startswith("flowchart TD\n")
    lines = [line.strip() for line in text.splitlines()]
    assert sum(line.startswith("subgraph ") for line in lines) == lines.count("end")
    declared = Counter(
        re.match(r"(?:subgraph )?([A-Za-z0-9_]+)", line).group(1)  # type: ignore[union-attr]
        for line in lines[1:]
        if line != "end"
        and not line.startswith(("direction", "classDef"))
        and "-->" not in line
        and "-.->" not in line
    )
    assert all(count == 1 for count in declared.values()), declared
    for node in diagram.nodes():
        assert declared[node.id] == 1
    for line in lines:
        if "-->" in line or "-.->" in line:
            source, *_, target = line.split()
            assert source in declared
            assert target in declared


def test_mermaid_styles_catch_edges_and_escapes_labels() -> None:
    diagram = diagram_of(
        {
            "StartAt": 'Say "hi" <b>#1</b>',
            "States": {
                'Say "hi" <b>#1</b>': {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                    "Catch": [{"ErrorEquals": ["A", "B"], "Next": "Oops"}],
                    "End": True,
                },
                "Oops": {"Type": "Fail"},
            },
        }
    )
    text = to_mermaid(diagram)
    assert 'n1 -.->|"A, B"| n2' in text
    assert "Say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt;<br/>" in text
    assert '"hi"' not in text


def test_dot_clusters_groups_and_dashes_catch_edges() -> None:
    text = to_dot(sample("parallel-aggregation.asl.json"), 'my "machine"')
    assert text.startswith('digraph "my \\"machine\\"" {')
    assert text.count("{") == text.count("}")
    assert 'subgraph "cluster_n1" {' in text
    assert 'subgraph "cluster_n1_b3" {' in text
    assert '"s_start" -> "n1_b1_start" [lhead="cluster_n1"]' in text
    assert '"n1_b1_end" -> "n2" [ltail="cluster_n1", label="States.ALL", style=dashed]' in text


# ---------------------------------------------------------------- asl graph


def graph(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["graph", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("output_format", ["mermaid", "dot", "svg"])
@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_asl_graph_renders_every_sample(
    path: Path, output_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = graph(capsys, str(path), "--format", output_format)
    assert (status, err) == (0, "")
    for state in json.loads(path.read_text("utf-8"))["States"]:
        assert state in out


def test_asl_graph_writes_the_format_its_file_suffix_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(SAMPLES[0])
    assert graph(capsys, source, "-o", str(tmp_path / "g.dot")) == (0, "", "")
    assert (tmp_path / "g.dot").read_text("utf-8").startswith("digraph")
    assert graph(capsys, source, "-o", str(tmp_path / "g.md")) == (0, "", "")
    assert (tmp_path / "g.md").read_text("utf-8").startswith("flowchart TD")


def test_asl_graph_reports_invalid_definitions_as_asl_validate_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.asl.json"
    bad.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}), "utf-8")
    status, out, err = graph(capsys, str(bad))
    assert (status, out) == (1, "")
    assert f"{bad}: ERROR MISSING_END_STATE Workflow has no terminal state" in err
    not_json = tmp_path / "broken.json"
    not_json.write_text("{", "utf-8")
    status, out, err = graph(capsys, str(not_json))
    assert (status, out) == (2, "")
    assert "INVALID_JSON_DESCRIPTION" in err
    status, out, err = graph(capsys, str(tmp_path / "missing.json"))
    assert (status, out) == (2, "")
    assert err.startswith("asl graph: cannot read")


# ---------------------------------------------------------------- SVG


LOOP = {
    "StartAt": "Submit",
    "States": {
        "Submit": {"Type": "Pass", "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
        "Poll": {"Type": "Pass", "Next": "Done?"},
        "Done?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "Finish"}],
            "Default": "Wait",
        },
        "Finish": {"Type": "Succeed"},
    },
}


def all_placed(placed: PlacedScope) -> list[tuple[PlacedScope, PlacedNode]]:
    found = []
    for node in placed.nodes:
        found.append((placed, node))
        for _, inner in node.frames:
            found.extend(all_placed(inner))
    return found


def overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def on_border(point: tuple[float, float], box: Box) -> bool:
    x, y = point
    inside = box.x - 0.5 <= x <= box.x + box.w + 0.5 and box.y - 0.5 <= y <= box.y + box.h + 0.5
    edge = min(abs(x - box.x), abs(x - box.x - box.w), abs(y - box.y), abs(y - box.y - box.h))
    return inside and edge < 0.5


@pytest.mark.parametrize("path", [*SAMPLES, "loop"], ids=lambda path: getattr(path, "name", path))
def test_layout_keeps_nodes_and_labels_apart_and_edges_on_borders(path: Path | str) -> None:
    diagram = diagram_of(LOOP if path == "loop" else Path(path).read_text("utf-8"))
    scopes = {id(scope): scope for scope, _ in all_placed(layout_diagram(diagram))}
    for scope in scopes.values():
        boxes = {node.node.id: node.box for node in scope.nodes}
        labels_ = [edge.label_box for edge in scope.edges if edge.label_box is not None]
        everything = [*boxes.values(), *labels_]
        for first, second in itertools.combinations(everything, 2):
            assert not overlap(first, second), (first, second)
        for edge in scope.edges:
            assert on_border(edge.points[0], boxes[edge.edge.source]), edge
            assert on_border(edge.points[-1], boxes[edge.edge.target]), edge
        for box in everything:
            assert box.x >= 0
            assert box.y >= 0
            assert box.x + box.w <= scope.width
            assert box.y + box.h <= scope.height


def test_layout_reads_top_down_from_start_at_even_through_a_loop() -> None:
    placed = layout_diagram(diagram_of(LOOP))
    y = {node.node.name or node.node.kind: node.box.y for node in placed.nodes}
    assert y["start"] < y["Submit"] < y["Wait"] < y["Poll"] < y["Done?"] < y["Finish"] < y["end"]


def test_group_nodes_hold_their_scopes_side_by_side() -> None:
    placed = layout_diagram(sample("parallel-aggregation.asl.json"))
    (lookups,) = [node for node in placed.nodes if node.node.name == "Lookups"]
    frames = [frame for frame, _ in lookups.frames]
    assert [inner.scope.label for _, inner in lookups.frames] == [
        "Branch 1",
        "Branch 2",
        "Branch 3",
    ]
    for left, right in itertools.pairwise(frames):
        assert left.x + left.w < right.x
        assert left.y == right.y
    for frame in frames:
        assert frame.x + frame.w <= lookups.box.w
        assert frame.y + frame.h <= lookups.box.h


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_svg_is_well_formed_with_a_focusable_group_per_state(path: Path) -> None:
    text = to_svg(diagram_of(path.read_text("utf-8")), path.stem)
    root = ElementTree.fromstring(text)  # noqa: S314 - our own output, not untrusted input
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{namespace}svg"
    states = {
        element.get("data-state"): element
        for element in root.iter(f"{namespace}g")
        if element.get("data-state") is not None
    }
    definition = json.loads(path.read_text("utf-8"))
    assert set(states) == set(state_names(definition))
    assert all(element.get("tabindex") == "0" for element in states.values())


def state_names(definition: dict[str, Any]) -> list[str]:
    names = []
    for name, state in definition["States"].items():
        names.append(name)
        for branch in state.get("Branches", []):
            names.extend(state_names(branch))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            names.extend(state_names(processor))
    return names


def test_svg_dashes_catch_edges_and_labels_them() -> None:
    text = to_svg(sample("order-processing.asl.json"))
    catch = re.findall(r'<g class="asl-edge asl-edge-catch"[^>]*>(.*?)</g>', text)
    assert len(catch) == 2
    assert all('marker-end="url(#asl-arrow-catch)"' in edge for edge in catch)
    assert ">OutOfStock</text>" in catch[0]
    assert ".asl-edge-catch>path{stroke:#b3261e;stroke-dasharray:5 4}" in text
    assert "<title>$.order.items[0] is present and $.order.total &gt; 0</title>" in text


def test_text_widths_follow_the_font() -> None:
    assert text_width("iiii", 13) < text_width("MMMM", 13)
    assert text_width("Task", 13) < text_width("Task", 13, bold=True)
    assert text_width("Task", 26) == 2 * text_width("Task", 13)
    assert text_width("漢", 13) > text_width("a", 13)


def test_asl_graph_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(SAMPLES[0])
    status, out, err = graph(capsys, source, "--format", "svg")
    assert (status, err) == (0, "")
    assert out.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert graph(capsys, source, "-o", str(tmp_path / "g.svg")) == (0, "", "")
    assert (tmp_path / "g.svg").read_text("utf-8") == out


CORPUS = Path(__file__).parents[1] / "conformance" / "cases"


def test_every_valid_definition_of_the_corpus_renders_in_every_format() -> None:
    seen: set[str] = set()
    for path in sorted(CORPUS.rglob("*.json")):
        case = json.loads(path.read_text("utf-8"))
        definition = case.get("definition")
        text = definition if isinstance(definition, str) else json.dumps(definition)
        if not definition or text in seen:
            continue
        seen.add(text)
        machine_type = case.get("state_machine_type") or "STANDARD"
        parsed, diagnostics = validate_and_load(text, state_machine_type=machine_type)
        if any(d.is_error for d in diagnostics) or not isinstance(parsed, dict):
            continue
        diagram = build_diagram(compile_state_machine(parsed), parsed)
        for output_format in ("mermaid", "dot", "svg"):
            assert render(diagram, output_format), path
    assert len(seen) > 300


def test_the_readmes_graph_is_what_asl_graph_draws(capsys: pytest.CaptureFixture[str]) -> None:
    readme = Path(__file__).parents[2].joinpath("README.md").read_text("utf-8")
    block = re.search(r"```mermaid\n(.*?)```", readme, re.S)
    assert block is not None
    sample_path = Path(__file__).parents[2] / "samples" / "order-processing.asl.json"
    status, out, _ = graph(capsys, str(sample_path))
    assert status == 0
    assert block.group(1) == out
