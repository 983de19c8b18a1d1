"""A diagram as a Mermaid flowchart (GitHub renders ```` ```mermaid ```` blocks in Markdown).

Parallel and Map states are subgraphs holding one subgraph per branch (or their item
processor); Catch edges are dotted and labelled with the error names, Choice edges with their
rule, the Default edge ``Default``. Nodes are declared inside their subgraphs first and every
edge afterwards, so Mermaid keeps each node in its own scope.
"""

from __future__ import annotations

from collections.abc import Iterator

from interpreter.diagram.model import CATCH, END, START, Diagram, Edge, Node, Scope

_INDENT = "    "
_CLASSES = (
    "classDef marker fill:#3b4252,stroke:#3b4252,color:#ffffff",
    "classDef task fill:#e8f0fe,stroke:#3367d6,color:#0b1f44",
    "classDef flow fill:#f5f5f5,stroke:#6b7280,color:#111827",
    "classDef succeed fill:#e6f4ea,stroke:#1e7b34,color:#0b2e13",
    "classDef fail fill:#fdecea,stroke:#b3261e,color:#410e0b",
)
_CLASS_OF = {"Task": "task", "Succeed": "succeed", "Fail": "fail", START: "marker", END: "marker"}


def to_mermaid(diagram: Diagram) -> str:
    """The Mermaid text of ``diagram`` (``flowchart TD``)."""
    lines = ["flowchart TD"]
    lines.extend(_declarations(diagram.root, 1, top=True))
    lines.extend(_INDENT + _edge(edge) for edge in _all_edges(diagram.root))
    lines.extend(_INDENT + line for line in _CLASSES)
    return "\n".join(lines) + "\n"


def _declarations(scope: Scope, depth: int, *, top: bool) -> Iterator[str]:
    pad = _INDENT * depth
    for node in scope.nodes:
        if node.groups:
            yield f'{pad}subgraph {node.id} ["{_group_title(node)}"]'
            yield f"{pad}{_INDENT}direction TB"
            for group in node.groups:
                yield f'{pad}{_INDENT}subgraph {group.id} ["{_escape(group.label)}"]'
                yield f"{pad}{_INDENT * 2}direction TB"
                yield from _declarations(group, depth + 2, top=False)
                yield f"{pad}{_INDENT}end"
            yield f"{pad}end"
        else:
            yield f"{pad}{_shape(node, top=top)}:::{_CLASS_OF.get(node.kind, 'flow')}"


def _all_edges(scope: Scope) -> Iterator[Edge]:
    yield from scope.edges
    for node in scope.nodes:
        for group in node.groups:
            yield from _all_edges(group)


def _shape(node: Node, *, top: bool) -> str:
    if node.is_marker:
        text = ("Start" if node.kind == START else "End") if top else " "
        return f'{node.id}(["{text}"])' if top else f'{node.id}(("{text}"))'
    label = _label(node)
    if node.kind == "Choice":
        return f'{node.id}{{{{"{label}"}}}}'
    if node.kind in ("Succeed", "Fail"):
        return f'{node.id}(["{label}"])'
    if node.kind == "Task":
        return f'{node.id}["{label}"]'
    return f'{node.id}("{label}")'


def _label(node: Node) -> str:
    subtitle = node.kind if not node.detail else f"{node.kind} · {node.detail}"
    lines = [_escape(node.name), f"<i>{_escape(subtitle)}</i>"]
    if node.retry:
        lines.append(_escape(node.retry))
    return "<br/>".join(lines)


def _group_title(node: Node) -> str:
    # Mermaid clips a subgraph title to one line.
    parts = [node.name, node.kind, node.detail, node.retry]
    return _escape(" · ".join(part for part in parts if part))


def _edge(edge: Edge) -> str:
    arrow = "-.->" if edge.kind == CATCH else "-->"
    if edge.label:
        return f'{edge.source} {arrow}|"{_escape(edge.label)}"| {edge.target}'
    return f"{edge.source} {arrow} {edge.target}"


def _escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label (Mermaid's ``#code;`` entities)."""
    text = text.replace("#", "#35;")
    for character, code in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;")):
        text = text.replace(character, code)
    return text
