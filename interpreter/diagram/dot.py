"""A diagram in Graphviz's DOT language, for users who have Graphviz (``dot -Tpng``).

Parallel and Map states are clusters holding one cluster per branch (or their item processor).
DOT edges join nodes, not clusters, so an edge into a group ends at its first branch's start
marker and is clipped at the cluster's border (``lhead``); an edge out of a group leaves from its
first branch's end marker (``ltail``).
"""

from __future__ import annotations

from collections.abc import Iterator

from interpreter.diagram.model import CATCH, START, Diagram, Edge, Node, Scope

_INDENT = "  "
_HEADER = (
    'graph [rankdir=TB, compound=true, fontname="Helvetica", fontsize=11, nodesep=0.4]',
    'node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", '
    'fillcolor="#f5f5f5", color="#6b7280"]',
    'edge [fontname="Helvetica", fontsize=10, color="#4b5563"]',
)
_STYLE_OF = {
    "Task": 'fillcolor="#e8f0fe", color="#3367d6", style="filled"',
    "Choice": 'shape=hexagon, style="filled"',
    "Succeed": 'fillcolor="#e6f4ea", color="#1e7b34"',
    "Fail": 'fillcolor="#fdecea", color="#b3261e"',
}


def to_dot(diagram: Diagram, name: str = "StateMachine") -> str:
    """The DOT text of ``diagram`` (a ``digraph``)."""
    groups = {node.id: node for node in diagram.nodes() if node.groups}
    lines = [f"digraph {_quote(name)} {{"]
    lines.extend(_INDENT + line for line in _HEADER)
    lines.extend(_scope(diagram.root, 1, top=True))
    lines.extend(_INDENT + _edge(edge, groups) for edge in _edges(diagram.root))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _scope(scope: Scope, depth: int, *, top: bool) -> Iterator[str]:
    pad = _INDENT * depth
    for node in scope.nodes:
        if not node.groups:
            yield f"{pad}{_quote(node.id)} [{_attributes(node, top=top)}]"
            continue
        yield f"{pad}subgraph {_quote('cluster_' + node.id)} {{"
        yield f'{pad}{_INDENT}label=<{_html_label(node)}>; style="rounded"; color="#9ca3af"'
        for group in node.groups:
            yield f"{pad}{_INDENT}subgraph {_quote('cluster_' + group.id)} {{"
            yield f"{pad}{_INDENT * 2}label={_quote(group.label)}; style=dashed"
            yield from _scope(group, depth + 2, top=False)
            yield f"{pad}{_INDENT}}}"
        yield f"{pad}}}"


def _edges(scope: Scope) -> Iterator[Edge]:
    yield from scope.edges
    for node in scope.nodes:
        for group in node.groups:
            yield from _edges(group)


def _attributes(node: Node, *, top: bool) -> str:
    if node.is_marker:
        if not top:
            return 'shape=point, width=0.12, color="#3b4252"'
        text = "Start" if node.kind == START else "End"
        return f'label="{text}", shape=ellipse, style=filled, fillcolor="#3b4252", fontcolor=white'
    style = _STYLE_OF.get(node.kind, "")
    return f"label=<{_html_label(node)}>" + (f", {style}" if style else "")


def _html_label(node: Node) -> str:
    subtitle = node.kind if not node.detail else f"{node.kind} · {node.detail}"
    lines = [f"<b>{_html(node.name)}</b>", f'<font point-size="9">{_html(subtitle)}</font>']
    if node.retry:
        lines.append(f'<font point-size="9">{_html(node.retry)}</font>')
    return "<br/>".join(lines)


def _edge(edge: Edge, groups: dict[str, Node]) -> str:
    source, target = edge.source, edge.target
    attributes: list[str] = []
    if source in groups:
        attributes.append(f"ltail={_quote('cluster_' + source)}")
        source = groups[source].groups[0].nodes[-1].id
    if target in groups:
        attributes.append(f"lhead={_quote('cluster_' + target)}")
        target = groups[target].groups[0].nodes[0].id
    if edge.label:
        attributes.append(f"label={_quote(edge.label)}")
    if edge.title:
        attributes.append(f"tooltip={_quote(edge.title)}")
    if edge.kind == CATCH:
        attributes.append("style=dashed")
    suffix = f" [{', '.join(attributes)}]" if attributes else ""
    return f"{_quote(source)} -> {_quote(target)}{suffix}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
