"""Collection of the conformance cases (one test per case file).

Every ``*.json`` under the cases directory (``tests/conformance/cases`` or the directory given
with ``--conformance-dir PATH``) becomes one parametrisation of ``test_conformance_case``, with
the id ``group/casename``. A case that ``known_failures.skip_reason`` rejects is skipped with
that reason; a case listed in ``known_failures.KNOWN_FAILURES`` is ``xfail(strict=True)``.

The ``run_case`` fixture is ``runner.run_case`` (tests/conformance/runner.py, which drives the
engine), or ``runner.run_test_state_case`` for ``test_state`` cases (the TestState API); without
runner.py the cases are skipped with "engine not available".
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
# compare.py, known_failures.py and runner.py are imported as top-level modules by the tests
# of this directory, whatever pytest's import mode.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import known_failures  # noqa: E402  (needs the path above)

DEFAULT_CASES_DIR = HERE / "cases"
GROUP_PROPERTY = "conformance_group"


def cases_dir(config: pytest.Config) -> Path:
    """The directory whose cases this run collects."""
    option = config.getoption("--conformance-dir", default=None)
    return Path(option).resolve() if option else DEFAULT_CASES_DIR


def case_paths(root: Path) -> list[Path]:
    """Every case file under ``root``, in a stable order."""
    return sorted(root.rglob("*.json"))


def case_group(root: Path, path: Path) -> str:
    """The group of a case: its directory relative to the cases directory."""
    parent = path.parent.relative_to(root).as_posix()
    return parent if parent != "." else root.name


def load_case(path: Path) -> dict[str, Any]:
    """A case file's content."""
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_case_path" not in metafunc.fixturenames:
        return
    root = cases_dir(metafunc.config)
    if not root.is_dir():
        raise pytest.UsageError(f"--conformance-dir {root}: not a directory")
    params = []
    for path in case_paths(root):
        case = load_case(path)
        if case.get("kind") == "api_error":
            # Checked by test_api_errors.py, which reports them under their group too.
            continue
        marks: list[pytest.MarkDecorator] = []
        reason = known_failures.skip_reason(case)
        if reason is not None:
            marks.append(pytest.mark.skip(reason=reason))
        elif case.get("name", path.stem) in known_failures.KNOWN_FAILURES:
            known = known_failures.KNOWN_FAILURES[case.get("name", path.stem)]
            marks.append(pytest.mark.xfail(reason=known, strict=True))
        params.append(pytest.param(path, id=f"{case_group(root, path)}/{path.stem}", marks=marks))
    metafunc.parametrize("conformance_case_path", params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The per-group summary (tests/conftest.py) reads the group from the reports.
    root = cases_dir(config)
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        if "conformance_case_path" in callspec.params:
            path = callspec.params["conformance_case_path"]
            item.user_properties.append((GROUP_PROPERTY, case_group(root, path)))
        elif _is_api_error_case(callspec.params.get("case")):
            # test_api_errors.py: one recorded api_error case per test (the acceptance checks
            # of execution cases there are not counted twice).
            path = callspec.params["case"]["_path"]
            item.user_properties.append((GROUP_PROPERTY, path.parent.name))


def _is_api_error_case(case: Any) -> bool:
    return isinstance(case, dict) and case.get("kind") == "api_error" and "_path" in case


@pytest.fixture
def conformance_case(conformance_case_path: Path) -> dict[str, Any]:
    """The case being run."""
    return load_case(conformance_case_path)


@pytest.fixture(scope="session")
def run_case() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``runner.run_case(case) -> actual`` (the shape is documented on compare.compare_case).

    ``test_state`` cases go to ``runner.run_test_state_case``.
    """
    path = HERE / "runner.py"
    if not path.exists():
        pytest.skip("engine not available")
    spec = importlib.util.spec_from_file_location("runner", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("runner", module)
    spec.loader.exec_module(module)
    run_execution: Callable[[dict[str, Any]], dict[str, Any]] = module.run_case
    run_test_state: Callable[[dict[str, Any]], dict[str, Any]] = module.run_test_state_case

    def run(case: dict[str, Any]) -> dict[str, Any]:
        if case.get("kind") == "test_state":
            return run_test_state(case)
        return run_execution(case)

    return run
