"""The diagram of a state machine: states as nodes, transitions as edges, scopes nested.

:func:`build_diagram` walks the compiled model (:mod:`interpreter.definition.model`) of a
validated definition. Each scope — the top level, each Parallel branch, a Map's item processor —
is a :class:`Scope` with its own start and end markers; a Parallel or Map node holds its inner
scopes as ``groups``. Edges carry their kind (``next``, ``choice``, ``default``, ``catch``,
``start``, ``end``) so that each renderer draws them its own way, and a short label (the Choice
rule, the caught error names) with the full text as ``title``.

Node ids (``n1``, ``n2``...) are safe in Mermaid and DOT; state names are unique across a whole
state machine (AWS requires it), so :meth:`Diagram.node_of` finds a state's node by its name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from interpreter.definition import model as M
from interpreter.diagram import labels

#: Node kinds of the markers (other nodes have their state's ``Type``).
START: Final = "start"
END: Final = "end"

#: Edge kinds.
NEXT: Final = "next"
CHOICE: Final = "choice"
DEFAULT: Final = "default"
CATCH: Final = "catch"


@dataclass(frozen=True, slots=True)
class Edge:
    """A transition (or a marker's link): ``source`` and ``target`` are node ids."""

    source: str
    target: str
    kind: str
    label: str = ""
    #: The label's full text when ``label`` is shortened (a tooltip).
    title: str = ""


@dataclass(frozen=True, slots=True)
class Node:
    """A state, or a scope's start or end marker."""

    id: str
    kind: str
    #: The state's name ("" for markers).
    name: str = ""
    #: What the state does, in a few words (``Lambda ReserveStock``, ``10 s``).
    detail: str = ""
    #: The state's Retry, in a few words (``↻ StockServiceBusy ×4``).
    retry: str = ""
    #: Parallel branches, or a Map's item processor.
    groups: tuple[Scope, ...] = ()

    @property
    def is_marker(self) -> bool:
        """Whether this is a start or end marker rather than a state."""
        return self.kind in (START, END)


@dataclass(frozen=True, slots=True)
class Scope:
    """The top level, a Parallel branch or a Map's item processor."""

    id: str
    #: ``""`` at the top level, ``Branch 1``, ``Item processor``...
    label: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True, slots=True)
class Diagram:
    """A whole state machine."""

    root: Scope
    comment: str | None = None
    _by_name: dict[str, Node] = field(default_factory=dict, compare=False, repr=False)

    def nodes(self) -> Iterator[Node]:
        """Every node, scopes in depth-first order."""
        yield from _nodes(self.root)

    def node_of(self, state_name: str) -> Node | None:
        """The node of the state named ``state_name``."""
        if not self._by_name:
            self._by_name.update((node.name, node) for node in self.nodes() if not node.is_marker)
        return self._by_name.get(state_name)


def _nodes(scope: Scope) -> Iterator[Node]:
    for node in scope.nodes:
        yield node
        for group in node.groups:
            yield from _nodes(group)


def build_diagram(machine: M.StateMachine, definition: Mapping[str, Any]) -> Diagram:
    """The diagram of a compiled state machine; ``definition`` is the validated document it
    was compiled from (for the source text of Choice rules and Task arguments)."""
    builder = _Builder()
    return Diagram(builder.scope(machine, definition, "s", ""), machine.comment)


class _Builder:
    def __init__(self) -> None:
        self.count = 0

    def new_id(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def scope(
        self, machine: M.StateMachine, spec: Mapping[str, Any], scope_id: str, label: str
    ) -> Scope:
        specs: Mapping[str, Any] = spec.get("States") or {}
        ids = {name: self.new_id() for name in machine.states}
        start, end = Node(f"{scope_id}_start", START), Node(f"{scope_id}_end", END)
        nodes = [start]
        edges = [Edge(start.id, ids[machine.start_at], START)]
        for name, state in machine.states.items():
            state_spec = specs.get(name) or {}
            nodes.append(self.node(ids[name], state, state_spec))
            edges.extend(_edges(ids, state, state_spec))
            if state.end or state.type in ("Succeed", "Fail"):
                edges.append(Edge(ids[name], end.id, END))
        nodes.append(end)
        return Scope(scope_id, label, tuple(nodes), tuple(edges))

    def node(self, node_id: str, state: M.State, spec: Mapping[str, Any]) -> Node:
        groups: tuple[Scope, ...] = ()
        if isinstance(state, M.ParallelState):
            branch_specs = spec.get("Branches") or [{}] * len(state.branches)
            groups = tuple(
                self.scope(branch, branch_spec, f"{node_id}_b{index}", f"Branch {index}")
                for index, (branch, branch_spec) in enumerate(
                    zip(state.branches, branch_specs, strict=False), start=1
                )
            )
        elif isinstance(state, M.MapState) and state.processor is not None:
            processor_spec = spec.get("ItemProcessor") or spec.get("Iterator") or {}
            distributed = state.processor_mode == "DISTRIBUTED"
            label = "Child workflow" if distributed else "Item processor"
            groups = (self.scope(state.processor, processor_spec, f"{node_id}_p", label),)
        retriers: tuple[M.Retrier, ...] = getattr(state, "retry", ())
        return Node(
            node_id,
            state.type,
            state.name,
            detail=labels.shorten(_detail(state, spec)),
            retry=labels.describe_retry(retriers),
            groups=groups,
        )


def _detail(state: M.State, spec: Mapping[str, Any]) -> str:
    if isinstance(state, M.TaskState):
        return labels.describe_resource(state.resource.arn, spec)
    if isinstance(state, M.WaitState):
        return labels.describe_wait(spec)
    if isinstance(state, M.MapState):
        return labels.describe_map(state, spec)
    if isinstance(state, M.FailState):
        return labels.describe_fail(spec)
    if isinstance(state, M.ParallelState):
        count = len(state.branches)
        return f"{count} branch" if count == 1 else f"{count} branches"
    return ""


def _edges(ids: Mapping[str, str], state: M.State, spec: Mapping[str, Any]) -> Iterator[Edge]:
    source = ids[state.name]
    if state.next is not None:
        yield Edge(source, ids[state.next], NEXT)
    if isinstance(state, M.ChoiceState):
        rules = spec.get("Choices") or []
        for index, branch in enumerate(state.choices):
            text = labels.describe_rule(rules[index] if index < len(rules) else None)
            yield _labelled(source, ids[branch.next], CHOICE, text)
        if state.default is not None:
            yield Edge(source, ids[state.default], DEFAULT, "Default")
    catchers: tuple[M.Catcher, ...] = getattr(state, "catch", ())
    for catcher in catchers:
        yield _labelled(source, ids[catcher.next], CATCH, ", ".join(catcher.error_equals))


def _labelled(source: str, target: str, kind: str, text: str) -> Edge:
    label = labels.shorten(text)
    return Edge(source, target, kind, label, text if label != text else "")
