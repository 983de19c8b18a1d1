"""Diagrams of state machines: the graph model and its Mermaid, DOT and SVG renderings.

:func:`~interpreter.diagram.model.build_diagram` turns a compiled definition into a
:class:`~interpreter.diagram.model.Diagram`; :mod:`.mermaid`, :mod:`.dot` and :mod:`.svg` write
it out (:mod:`.layout` places the SVG's nodes and edges). ``asl graph`` writes them.
"""

from __future__ import annotations

from interpreter.diagram.model import Diagram


def render(diagram: Diagram, output_format: str, name: str = "StateMachine") -> str:
    """``diagram`` as ``mermaid``, ``dot`` or ``svg`` text."""
    if output_format == "dot":
        from interpreter.diagram.dot import to_dot

        return to_dot(diagram, name)
    if output_format == "svg":
        from interpreter.diagram.svg import to_svg

        return to_svg(diagram, name)
    from interpreter.diagram.mermaid import to_mermaid

    return to_mermaid(diagram)
