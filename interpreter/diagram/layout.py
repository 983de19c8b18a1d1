"""Where each node and edge of a diagram goes: a layered (Sugiyama) layout, scope by scope.

A scope is laid out after its nested scopes, so a Parallel or Map node is a box big enough for
its branches (side by side) or its item processor; the layered layout of the scope then treats
it as one big node. Each labelled edge gets a node of its own for its label, so labels never
sit on states. Coordinates are pixels; a nested scope's are relative to its frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from interpreter.diagram.model import END, START, Diagram, Edge, Node, Scope
from interpreter.diagram.textsize import text_width

NAME_SIZE: Final = 13.0
DETAIL_SIZE: Final = 11.0
LABEL_SIZE: Final = 11.0
NAME_LINE: Final = 17.0
DETAIL_LINE: Final = 15.0
PAD_X: Final = 12.0
PAD_Y: Final = 8.0
MIN_WIDTH: Final = 112.0
MARKER: Final = 16.0
TOP_MARKER: Final = (58.0, 26.0)
HEADER: Final = 42.0
FRAME_LABEL: Final = 20.0
FRAME_PAD: Final = 12.0
FRAME_GAP: Final = 16.0
NODE_GAP: Final = 28.0
LAYER_GAP: Final = 34.0
MARGIN: Final = 8.0

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle: top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> Point:
        """The middle of the box."""
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass(frozen=True, slots=True)
class PlacedEdge:
    """An edge's route (first point on the source's border, last on the target's) and, when it
    has a label, where the label goes."""

    edge: Edge
    points: tuple[Point, ...]
    label_box: Box | None = None


@dataclass(frozen=True, slots=True)
class PlacedNode:
    """A node's box; for a Parallel or Map node, its nested scopes' frames too."""

    node: Node
    box: Box
    #: Frames of the nested scopes (relative to this scope), with their layouts.
    frames: tuple[tuple[Box, PlacedScope], ...] = ()


@dataclass(frozen=True, slots=True)
class PlacedScope:
    """A scope laid out in a ``width`` x ``height`` area."""

    scope: Scope
    width: float
    height: float
    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]


_Frames = tuple[tuple[Box, PlacedScope], ...]


def layout_diagram(diagram: Diagram) -> PlacedScope:
    """Lay out a whole diagram."""
    return _layout_scope(diagram.root, top=True)


def state_lines(node: Node) -> list[tuple[str, float, bool]]:
    """The lines of text a state shows: (text, font size, bold)."""
    subtitle = node.kind if not node.detail else f"{node.kind} · {node.detail}"
    lines = [(node.name, NAME_SIZE, True), (subtitle, DETAIL_SIZE, False)]
    if node.retry:
        lines.append((node.retry, DETAIL_SIZE, False))
    return lines


def _text_box(lines: Sequence[tuple[str, float, bool]]) -> tuple[float, float]:
    width = max(text_width(text, size, bold=bold) for text, size, bold in lines)
    height = sum(NAME_LINE if bold else DETAIL_LINE for _, _, bold in lines)
    return width, height


def _layout_scope(scope: Scope, *, top: bool) -> PlacedScope:
    sizes: list[tuple[float, float]] = []
    frames: dict[int, _Frames] = {}
    index = {node.id: position for position, node in enumerate(scope.nodes)}
    for position, node in enumerate(scope.nodes):
        size, node_frames = _node_size(node, top=top)
        sizes.append(size)
        if node_frames:
            frames[position] = node_frames
    links: list[tuple[int, int]] = []
    label_of: dict[int, int] = {}
    for edge_position, edge in enumerate(scope.edges):
        source, target = index[edge.source], index[edge.target]
        if edge.label:
            width = text_width(edge.label, LABEL_SIZE) + 10
            label_of[edge_position] = len(sizes)
            sizes.append((width, LABEL_SIZE + 7))
            links.extend([(source, label_of[edge_position]), (label_of[edge_position], target)])
        else:
            links.append((source, target))
    centers, routes = place(sizes, links)
    boxes = [Box(x - w / 2, y - h / 2, w, h) for (x, y), (w, h) in zip(centers, sizes, strict=True)]
    left = min(box.x for box in boxes) - MARGIN
    upper = min(box.y for box in boxes) - MARGIN
    boxes = [Box(b.x - left, b.y - upper, b.w, b.h) for b in boxes]
    routes = [[(x - left, y - upper) for x, y in route] for route in routes]
    placed_nodes = tuple(
        PlacedNode(node, boxes[position], frames.get(position, ()))
        for position, node in enumerate(scope.nodes)
    )
    placed_edges = _place_edges(scope.edges, index, label_of, boxes, routes)
    width = max(b.x + b.w for b in boxes) + MARGIN
    height = max(b.y + b.h for b in boxes) + MARGIN
    return PlacedScope(scope, width, height, placed_nodes, placed_edges)


def _node_size(
    node: Node, *, top: bool
) -> tuple[tuple[float, float], tuple[tuple[Box, PlacedScope], ...]]:
    if node.kind in (START, END):
        return (TOP_MARKER if top else (MARKER, MARKER)), ()
    text_w, text_h = _text_box(state_lines(node))
    if not node.groups:
        return (max(MIN_WIDTH, text_w + 2 * PAD_X), text_h + 2 * PAD_Y), ()
    inner = [_layout_scope(group, top=False) for group in node.groups]
    frames: list[tuple[Box, PlacedScope]] = []
    x = FRAME_PAD
    header = text_h + 2 * PAD_Y
    for placed in inner:
        frame = Box(x, header, placed.width, placed.height + FRAME_LABEL)
        frames.append((frame, placed))
        x += frame.w + FRAME_GAP
    width = max(x - FRAME_GAP + FRAME_PAD, text_w + 2 * PAD_X)
    height = header + max(frame.h for frame, _ in frames) + FRAME_PAD
    if width > x - FRAME_GAP + FRAME_PAD:  # centre the frames under a wide header
        shift = (width - (x - FRAME_GAP + FRAME_PAD)) / 2
        frames = [(Box(f.x + shift, f.y, f.w, f.h), p) for f, p in frames]
    return (width, height), tuple(frames)


def _place_edges(
    edges: Sequence[Edge],
    index: dict[str, int],
    label_of: dict[int, int],
    boxes: list[Box],
    routes: list[list[Point]],
) -> tuple[PlacedEdge, ...]:
    placed: list[PlacedEdge] = []
    link = 0
    for position, edge in enumerate(edges):
        source, target = boxes[index[edge.source]], boxes[index[edge.target]]
        if position in label_of:
            label = boxes[label_of[position]]
            middle = [*routes[link], label.center, *routes[link + 1]]
            link += 2
        else:
            label, middle = None, routes[link]
            link += 1
        points = _clip(source, target, middle)
        placed.append(PlacedEdge(edge, tuple(points), label))
    return tuple(placed)


def _clip(source: Box, target: Box, middle: list[Point]) -> list[Point]:
    first = middle[0] if middle else target.center
    last = middle[-1] if middle else source.center
    return [_leave(source, first), *middle, _enter(target, last)]


def _leave(box: Box, toward: Point) -> Point:
    """Where an edge leaves ``box`` toward ``toward``: its bottom side when going down."""
    if toward[1] > box.y + box.h:
        return _along(box, toward[0]), box.y + box.h
    return _border(box, toward)


def _enter(box: Box, coming_from: Point) -> Point:
    """Where an edge from ``coming_from`` enters ``box``: its top side when coming down."""
    if coming_from[1] < box.y:
        return _along(box, coming_from[0]), box.y
    return _border(box, coming_from)


def _along(box: Box, x: float) -> float:
    inset = min(box.w, box.h) / 2  # clear of rounded corners
    return min(max(x, box.x + inset), box.x + box.w - inset)


def _border(box: Box, toward: Point) -> Point:
    """Where the segment from ``box``'s centre to ``toward`` leaves the box."""
    cx, cy = box.center
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(
        (box.w / 2) / abs(dx) if dx else float("inf"),
        (box.h / 2) / abs(dy) if dy else float("inf"),
        1.0,
    )
    return cx + dx * scale, cy + dy * scale


def place(
    sizes: Sequence[tuple[float, float]], links: Sequence[tuple[int, int]]
) -> tuple[list[Point], list[list[Point]]]:
    """Centres for nodes of the given sizes, and each link's bend points, by grandalf's
    Sugiyama layout. Node 0 is the scope's start marker: cycles are broken by a depth-first
    walk from it, so the flow reads top to bottom in the definition's order."""
    from grandalf.graphs import Edge as LinkEdge
    from grandalf.graphs import Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    vertices = [Vertex(position) for position in range(len(sizes))]
    for vertex, (width, height) in zip(vertices, sizes, strict=True):
        vertex.view = _NodeView(width, height)
    edges = []
    for source, target in links:
        edge = LinkEdge(vertices[source], vertices[target])
        edge.view = _EdgeView()
        edges.append(edge)
    graph = Graph(vertices, edges)
    right = 0.0
    for component in graph.C:  # one for a valid definition: every state is reachable
        layout = SugiyamaLayout(component)
        layout.xspace, layout.yspace = NODE_GAP, LAYER_GAP
        roots = [vertices[0]] if vertices[0] in component.sV else [component.sV[0]]
        layout.init_all(roots=roots)
        layout.draw(N=4)
        right = _shift_right_of(component.sV, component.sE, right)
    routes = []
    for edge in edges:
        points = list(edge.view.points)
        if points and points[0] != edge.v[0].view.xy:
            points.reverse()  # an edge the layout turned round to break a cycle
        routes.append([(float(x), float(y)) for x, y in points[1:-1]])
    return [vertex.view.xy for vertex in vertices], routes


def _shift_right_of(vertices: Any, edges: Any, right: float) -> float:
    """Move a component right of ``right``; return its new right side."""
    left = min(v.view.xy[0] - v.view.w / 2 for v in vertices)
    shift = right - left + (NODE_GAP if right else 0.0)
    for vertex in vertices:
        vertex.view.xy = (vertex.view.xy[0] + shift, vertex.view.xy[1])
    for edge in edges:
        edge.view.points = [(x + shift, y) for x, y in edge.view.points]
    return float(max(v.view.xy[0] + v.view.w / 2 for v in vertices))


class _NodeView:
    """What grandalf reads (``w``, ``h``) and writes (``xy``) for a vertex."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy: Point = (0.0, 0.0)


class _EdgeView:
    """What grandalf writes for an edge: its route from centre to centre."""

    def __init__(self) -> None:
        self.points: list[Point] = []

    def setpath(self, points: list[Point]) -> None:
        self.points = points
