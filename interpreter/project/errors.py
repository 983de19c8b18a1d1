"""The one exception type of :mod:`interpreter.project`."""

from __future__ import annotations


class ProjectError(ValueError):
    """A project file that cannot be read, parsed or resolved; the message says what and where."""
