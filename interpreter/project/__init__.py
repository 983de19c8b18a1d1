"""Users' projects as they keep them: YAML definitions, SAM/CloudFormation templates, functions.

* :mod:`interpreter.project.loader` — :func:`~interpreter.project.loader.open_project` and
  :func:`~interpreter.project.loader.load_definition`: a definition from ``.asl.json``,
  ``.asl.yaml`` or a template's state machine, with its ``DefinitionSubstitutions`` filled.
* :mod:`interpreter.project.cloudformation` — parameters, conditions and intrinsic functions.
* :mod:`interpreter.project.yaml12` — YAML 1.2 scalars and CloudFormation's short-form tags.
* :mod:`interpreter.project.placeholders` — ``${Name}`` placeholders and their values.

Errors are :class:`~interpreter.project.errors.ProjectError` (a ``ValueError``) with a message that
names the file, the value and where it is.
"""
