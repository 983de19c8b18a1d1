"""The layering DESIGN.md draws, enforced on every import in interpreter/ — module level, inside
functions and under ``TYPE_CHECKING`` alike — with no exceptions listed:

* ``core`` (the pure engine) imports nothing from ``runtime``, ``adapters``, ``api`` or the
  composition and entry points above them;
* ``runtime`` imports no adapter (adapters implement its ports; ``interpreter.app`` picks them);
* ``definition`` and ``query`` import no engine, runtime, adapter or API;
* no import cycle among the modules of ``interpreter/``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "interpreter"

#: Modules above every layer: the composition, the Python API and the command line.
_TOP = ("interpreter.app", "interpreter.machine", "interpreter.cli")

FORBIDDEN = {
    "interpreter.core": (
        "interpreter.runtime",
        "interpreter.adapters",
        "interpreter.api",
        *_TOP,
    ),
    "interpreter.runtime": ("interpreter.adapters", "interpreter.api", *_TOP),
    "interpreter.definition": (
        "interpreter.core",
        "interpreter.runtime",
        "interpreter.adapters",
        "interpreter.api",
        *_TOP,
    ),
    "interpreter.query": (
        "interpreter.core",
        "interpreter.runtime",
        "interpreter.adapters",
        "interpreter.api",
        *_TOP,
    ),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The interpreter module an import names (a submodule, else its package)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> Iterator[tuple[str, int]]:
    """Every interpreter module ``module`` imports, with the line, wherever the import is."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target is not None:
                    yield target, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}")
                if target is not None:
                    yield target, node.lineno


GRAPH = {module: sorted({target for target, _ in _imports(module)}) for module in MODULES}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_lies_below_it(layer: str) -> None:
    offences = [
        f"{module}:{line} imports {target}"
        for module in MODULES
        if _within(module, layer)
        for target, line in _imports(module)
        if any(_within(target, banned) for banned in FORBIDDEN[layer])
    ]
    assert offences == []


def _cycles() -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target == node:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    assert _cycles() == []


def test_the_checker_sees_imports_inside_functions() -> None:
    # A function-local import is an edge like any other (the engine once hid a cycle so).
    assert "interpreter.app" in GRAPH["interpreter.machine"]
