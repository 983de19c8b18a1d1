"""A diagram as a standalone SVG document (laid out by :mod:`.layout`, no system package).

Every state is a ``<g class="asl-node" data-state="NAME">`` (focusable, with a ``<title>``),
so a page can colour states by their outcome and react to clicks: the viewer of ``asl serve``
and ``asl run --report`` embed this SVG and style it with ``status-*`` classes. Catch edges are
dashed, Choice edges carry their rule, the Default edge says ``Default``.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

from interpreter.diagram.layout import (
    DETAIL_LINE,
    FRAME_LABEL,
    LABEL_SIZE,
    NAME_LINE,
    PAD_Y,
    Box,
    PlacedEdge,
    PlacedNode,
    PlacedScope,
    Point,
    layout_diagram,
    state_lines,
)
from interpreter.diagram.model import CATCH, DEFAULT, END, START, Diagram

STYLE = """
.asl-graph{font-family:"Helvetica Neue",Helvetica,Arial,"Liberation Sans",sans-serif}
.asl-graph text{fill:#1f2937}
.asl-node>rect,.asl-node>polygon{fill:#f3f4f6;stroke:#6b7280;stroke-width:1.2}
.asl-type-task>rect{fill:#e8f0fe;stroke:#3367d6}
.asl-type-succeed>rect{fill:#e6f4ea;stroke:#1e7b34}
.asl-type-fail>rect{fill:#fdecea;stroke:#b3261e}
.asl-group>rect{fill:#fafafa;stroke:#9ca3af}
.asl-frame>rect{fill:none;stroke:#9ca3af;stroke-dasharray:4 3}
.asl-frame>text{fill:#4b5563;font-size:11px}
.asl-marker>circle,.asl-marker>rect{fill:#374151;stroke:none}
.asl-marker>circle.asl-ring{fill:none;stroke:#374151;stroke-width:1.5}
.asl-marker>text{fill:#ffffff;font-size:12px;font-weight:600}
.asl-name{font-size:13px;font-weight:600}
.asl-detail{font-size:11px;fill:#4b5563}
.asl-retry{font-size:11px;fill:#92400e}
.asl-edge>path{fill:none;stroke:#4b5563;stroke-width:1.3}
.asl-edge-catch>path{stroke:#b3261e;stroke-dasharray:5 4}
.asl-edge-default>path{stroke-dasharray:1 0}
.asl-edge>rect{fill:#ffffff;stroke:#d1d5db;stroke-width:0.8}
.asl-edge>text{font-size:11px;fill:#374151}
.asl-edge-catch>text{fill:#8c1d18}
.asl-edge-default>text{font-style:italic}
#asl-arrow path{fill:#4b5563}
#asl-arrow-catch path{fill:#b3261e}
""".strip()


def to_svg(diagram: Diagram, name: str = "StateMachine", *, style: bool = True) -> str:
    """The SVG document of ``diagram``; ``style=False`` leaves styling to the host page."""
    placed = layout_diagram(diagram)
    width, height = round(placed.width), round(placed.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="asl-graph" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(name)}</title>",
        "<defs>",
        _arrow("asl-arrow"),
        _arrow("asl-arrow-catch"),
        "</defs>",
    ]
    if style:
        parts.append(f"<style>{STYLE}</style>")
    parts.extend(_scope(placed, top=True))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _arrow(marker_id: str) -> str:
    return (
        f'<marker id="{marker_id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker>'
    )


def _scope(placed: PlacedScope, *, top: bool) -> Iterator[str]:
    for edge in placed.edges:
        yield _edge(edge)
    for node in placed.nodes:
        yield from _node(node, top=top)


def _node(placed: PlacedNode, *, top: bool) -> Iterator[str]:
    node, box = placed.node, placed.box
    if node.is_marker:
        yield _marker(node.kind, box, top=top)
        return
    classes = f"asl-node asl-type-{node.kind.lower()}" + (" asl-group" if placed.frames else "")
    yield (
        f'<g class="{classes}" data-state={quoteattr(node.name)} data-type="{node.kind}" '
        f'id="asl-{node.id}" tabindex="0" transform="translate({_n(box.x)},{_n(box.y)})">'
    )
    yield f"<title>{escape(node.name)} ({node.kind})</title>"
    if node.kind == "Choice":
        yield _choice_shape(box)
    else:
        radius = box.h / 2 if node.kind in ("Succeed", "Fail") and not placed.frames else 6
        yield f'<rect width="{_n(box.w)}" height="{_n(box.h)}" rx="{_n(radius)}"/>'
    yield from _lines(node, box)
    for frame, inner in placed.frames:
        yield f'<g class="asl-frame" transform="translate({_n(frame.x)},{_n(frame.y)})">'
        yield f'<rect width="{_n(frame.w)}" height="{_n(frame.h)}" rx="6"/>'
        yield f'<text x="8" y="14">{escape(inner.scope.label)}</text>'
        yield f'<g transform="translate(0,{_n(FRAME_LABEL)})">'
        yield from _scope(inner, top=False)
        yield "</g></g>"
    yield "</g>"


def _choice_shape(box: Box) -> str:
    notch = min(12.0, box.h / 2)
    w, h = box.w, box.h
    points = [(notch, 0), (w - notch, 0), (w, h / 2), (w - notch, h), (notch, h), (0, h / 2)]
    return f'<polygon points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in points)}"/>'


def _lines(node: object, box: Box) -> Iterator[str]:
    from interpreter.diagram.model import Node

    assert isinstance(node, Node)
    y = PAD_Y
    classes = ["asl-name", "asl-detail", "asl-retry"]
    for position, (text, size, bold) in enumerate(state_lines(node)):
        line = NAME_LINE if bold else DETAIL_LINE
        baseline = y + line - (line - size) / 2 - 2
        yield (
            f'<text class="{classes[min(position, 2)]}" x="{_n(box.w / 2)}" y="{_n(baseline)}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
        y += line


def _marker(kind: str, box: Box, *, top: bool) -> str:
    label = "Start" if kind == START else "End"
    x, y = box.center
    if top:
        return (
            f'<g class="asl-marker asl-{kind}"><rect x="{_n(box.x)}" y="{_n(box.y)}" '
            f'width="{_n(box.w)}" height="{_n(box.h)}" rx="{_n(box.h / 2)}"/>'
            f'<text x="{_n(x)}" y="{_n(y + 4)}" text-anchor="middle">{label}</text></g>'
        )
    radius = box.w / 2 if kind == START else box.w / 2 - 1
    ring = (
        f'<circle class="asl-ring" cx="{_n(x)}" cy="{_n(y)}" r="{_n(radius)}"/>'
        if kind == END
        else ""
    )
    inner = radius if kind == START else radius - 3
    return (
        f'<g class="asl-marker asl-{kind}"><title>{label}</title>{ring}'
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(inner)}"/></g>'
    )


def _edge(placed: PlacedEdge) -> str:
    edge = placed.edge
    arrow = "asl-arrow-catch" if edge.kind == CATCH else "asl-arrow"
    parts = [
        f'<g class="asl-edge asl-edge-{edge.kind}" data-source="{edge.source}" '
        f'data-target="{edge.target}">',
        f'<path d="{_path(placed.points)}" marker-end="url(#{arrow})"/>',
    ]
    if placed.label_box is not None:
        box = placed.label_box
        parts.append(
            f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" '
            'rx="3"/>'
        )
        x, y = box.center
        parts.append(
            f'<text x="{_n(x)}" y="{_n(y + LABEL_SIZE / 2 - 1.5)}" text-anchor="middle">'
            f"{escape(edge.label)}</text>"
        )
    if edge.title or edge.kind in (CATCH, DEFAULT):
        parts.append(f"<title>{escape(edge.title or edge.label)}</title>")
    parts.append("</g>")
    return "".join(parts)


def _path(points: tuple[Point, ...]) -> str:
    """Vertical-tangent cubic curves through the points (straight when level)."""
    (x0, y0), rest = points[0], points[1:]
    commands = [f"M{_n(x0)},{_n(y0)}"]
    for x1, y1 in rest:
        dy = (y1 - y0) / 2
        if abs(y1 - y0) < 1:
            commands.append(f"L{_n(x1)},{_n(y1)}")
        else:
            commands.append(f"C{_n(x0)},{_n(y0 + dy)} {_n(x1)},{_n(y1 - dy)} {_n(x1)},{_n(y1)}")
        x0, y0 = x1, y1
    return " ".join(commands)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
