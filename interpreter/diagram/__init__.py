"""Diagrams of state machines: the graph model and its Mermaid and DOT renderings.

:func:`~interpreter.diagram.model.build_diagram` turns a compiled definition into a
:class:`~interpreter.diagram.model.Diagram`; :mod:`.mermaid` and :mod:`.dot` write it
out. ``asl graph`` writes them.
"""

from __future__ import annotations

from interpreter.diagram.model import Diagram


def render(diagram: Diagram, output_format: str, name: str = "StateMachine") -> str:
    """``diagram`` as ``mermaid`` or ``dot`` text."""
    if output_format == "dot":
        from interpreter.diagram.dot import to_dot

        return to_dot(diagram, name)
    from interpreter.diagram.mermaid import to_mermaid

    return to_mermaid(diagram)
