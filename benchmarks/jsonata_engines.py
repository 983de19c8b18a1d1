"""Measure the JSONata engines on PyPI for correctness and speed.

Usage::

    python benchmarks/jsonata_engines.py                       # every engine importable here
    python benchmarks/jsonata_engines.py --engine jlens --engine jsonata-python
    python benchmarks/jsonata_engines.py --python jsonata-rs=/tmp/venv-jsonata-rs/bin/python
    python benchmarks/jsonata_engines.py --record-reference /tmp/jsonata-ref/node_modules

Engines measured: jsonata-python (pure Python), jsonatapy, jsonata-rs, zopyx-pyjsonata, jlens and
jsonata2py. jsonata-rs installs a top-level module named ``jsonata`` that overwrites
jsonata-python's, so it has to live in a virtualenv of its own: ``--python ENGINE=INTERPRETER``
runs that engine's measurement in another interpreter. Every engine runs in a subprocess of its
own, so one engine's crash or global state cannot disturb another's numbers.

Correctness is judged against the reference AWS documents for Step Functions: jsonata-js 2.0.6
("Step Functions supports JSONata version 2.0.6", AWS developer guide, *Transforming data with
JSONata*). Its answers are recorded in ``tests/unit/test_jsonata_semantics.json`` (the language
cases) and in ``benchmarks/jsonata_conformance_reference.json`` (every ``{% %}`` expression of the
conformance corpus, evaluated with the case's input as ``$states.input``). ``--record-reference
DIR`` re-records both with ``node``, ``DIR`` being a ``node_modules`` that holds jsonata 2.0.6.
Where the corpus pins AWS's own answer for an expression (a Pass state's ``Output``, a Map state's
``Items`` echoed by a bare Pass iterator), that answer is checked too.

A result is one of: a JSON value, *undefined*, a *function*, an *error* raised by the engine as a
JSONata error (at compile or evaluation time), or a *crash* (the engine raised something that is
not a JSONata error, or returned a value we cannot tell from another: e.g. ``None`` for both
``null`` and undefined). Two results match when they are the same kind and, for values, equal
(booleans are not numbers; 1 and 1.0 are the same JSON number); error codes are reported apart.

Speed: the time to compile typical expressions, and the time to evaluate them with a fresh
``$states`` binding each time (as the interpreter does: every state entry brings new data, so an
engine's per-call data conversion is part of the cost).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEMANTICS = ROOT / "tests" / "unit" / "test_jsonata_semantics.json"
CONFORMANCE_REFERENCE = ROOT / "benchmarks" / "jsonata_conformance_reference.json"
CASES = ROOT / "tests" / "conformance" / "cases"

ENGINES = [
    "jsonata-python",
    "jsonatapy",
    "jsonata-rs",
    "zopyx-pyjsonata",
    "jlens",
    "jsonata2py",
    "interpreter",  # our module on top of the chosen engine, for comparison
]

# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------


def _walk_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_strings(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_strings(item, f"{path}/{index}")


def _iter_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _iter_states(state[key].get("States", {}))
        for branch in state.get("Branches", []):
            yield from _iter_states(branch.get("States", {}))


def _aws_answer(case: dict[str, Any], state: dict[str, Any], path: str) -> dict[str, Any] | None:
    """AWS's recorded result for one expression, when the case pins it down by its input alone."""
    expected = case["expected"]
    states = case["definition"].get("States", {})
    if len(states) != 1 or expected.get("status") != "SUCCEEDED" or "output" not in expected:
        return None
    if state.get("Type") == "Pass" and path.endswith("/Output"):
        return {"kind": "value", "value": expected["output"]}
    processor = state.get("ItemProcessor", {}).get("States", {})
    bare_pass = len(processor) == 1 and all(
        s.get("Type") == "Pass" and "Output" not in s for s in processor.values()
    )
    if state.get("Type") == "Map" and bare_pass and "/Items/" in path:
        index = int(path.rsplit("/", 1)[1])
        return {"kind": "value", "value": expected["output"][index]}
    return None


def conformance_cases() -> list[dict[str, Any]]:
    """Every ``{% %}`` expression of the corpus, with the case's input as ``$states.input``."""
    found: list[dict[str, Any]] = []
    for file in sorted(CASES.rglob("*.json")):
        case = json.loads(file.read_text())
        definition = case.get("definition")
        if not isinstance(definition, dict):
            continue
        for state_name, state in _iter_states(definition.get("States", {})):
            for path, text in _walk_strings(state, f"{file.parent.name}/{file.stem}/{state_name}"):
                if not (text.startswith("{%") and text.endswith("%}")):
                    continue
                entry = {
                    "id": path,
                    "expr": text[2:-2],
                    "states": {"input": case.get("input")},
                    "variables": {},
                }
                answer = _aws_answer(case, state, path)
                if answer is not None:
                    entry["aws"] = answer
                found.append(entry)
    return found


def semantics_cases() -> list[dict[str, Any]]:
    """The language cases, each with its full bindings."""
    data = json.loads(SEMANTICS.read_text())
    return [
        {
            "id": case["id"],
            "expr": case["expr"],
            "states": case.get("states", data["default_states"]),
            "variables": case.get("variables", data["default_variables"]),
            "expected": case.get("expected"),
        }
        for case in data["cases"]
    ]


# ---------------------------------------------------------------------------------------------
# The reference (jsonata-js under node)
# ---------------------------------------------------------------------------------------------

_NODE_RUNNER = r"""
const jsonata = require('jsonata');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  const out = [];
  for (const c of cases) {
    let expr;
    try { expr = jsonata(c.expr); }
    catch (e) {
      out.push({kind: 'error', phase: 'compile', code: e.code, message: e.message});
      continue;
    }
    try {
      const bindings = Object.assign({}, c.variables, {states: c.states});
      const r = await expr.evaluate(undefined, bindings);
      if (r === undefined) out.push({kind: 'undefined'});
      else if (typeof r === 'number' && !isFinite(r)) out.push({kind: 'nonfinite'});
      else if (typeof r === 'function' || (r && (r._jsonata_lambda || r._jsonata_function)))
        out.push({kind: 'function'});
      else out.push({kind: 'value', value: JSON.parse(JSON.stringify(r))});
    } catch (e) { out.push({kind: 'error', phase: 'evaluate', code: e.code, message: e.message}); }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def run_reference(node_modules: str, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluate ``cases`` with jsonata-js found in ``node_modules``."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not installed: cannot record the reference")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "runner.js"
        script.write_text(_NODE_RUNNER)
        env = dict(os.environ, NODE_PATH=node_modules)
        payload = json.dumps([{k: c[k] for k in ("expr", "states", "variables")} for c in cases])
        done = subprocess.run(  # noqa: S603 - fixed argv, our own script
            [node, str(script)], input=payload, capture_output=True, text=True, env=env, check=True
        )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def record_reference(node_modules: str) -> None:
    """Re-record the reference answers of both case sets."""
    data = json.loads(SEMANTICS.read_text())
    sem = semantics_cases()
    for raw, result in zip(data["cases"], run_reference(node_modules, sem), strict=True):
        raw["expected"] = _slim(result)
    SEMANTICS.write_text(_dump_cases(data))
    conf = conformance_cases()
    answers = run_reference(node_modules, conf)
    CONFORMANCE_REFERENCE.write_text(
        json.dumps(
            {
                "reference": "jsonata-js 2.0.6",
                "answers": {c["id"]: _slim(r) for c, r in zip(conf, answers, strict=True)},
            },
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )
    print(f"recorded {len(sem)} semantics and {len(conf)} conformance answers")


def _slim(result: dict[str, Any]) -> dict[str, Any]:
    """What a recorded answer keeps: the kind, the value or the error code (not the wording)."""
    return {k: v for k, v in result.items() if k in ("kind", "value", "code", "phase")}


def _dump_cases(data: dict[str, Any]) -> str:
    """The semantics file with one case a line, so a diff shows which answer changed."""
    head = {k: v for k, v in data.items() if k != "cases"}
    text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    lines = [json.dumps(c, ensure_ascii=False) for c in data["cases"]]
    return text + ',\n  "cases": [\n    ' + ",\n    ".join(lines) + "\n  ]\n}\n"


# ---------------------------------------------------------------------------------------------
# Engine adapters (run inside the worker subprocess)
# ---------------------------------------------------------------------------------------------


class Crash(Exception):
    """The engine failed in a way that is not a JSONata error."""


class JsonataFailure(Exception):
    """A JSONata error reported by the engine."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code


_UNDEFINED: Any = object()
_FUNCTION: Any = object()


class Adapter:
    """compile(text) -> handle; run(handle, bindings) -> JSON value, _UNDEFINED or _FUNCTION."""

    name = ""

    def compile(self, text: str) -> Any:
        raise NotImplementedError

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        raise NotImplementedError


class JsonataPython(Adapter):
    name = "jsonata-python"

    def __init__(self) -> None:
        import jsonata
        from jsonata import functions, utils

        self.jsonata, self.utils, self.functions = jsonata, utils.Utils, functions.Functions

    def compile(self, text: str) -> Any:
        try:
            expr = self.jsonata.Jsonata(text)
        except self.jsonata.JException as err:
            raise JsonataFailure(err.error, str(err)) from err
        expr.set_output_convert_nulls(False)
        return expr

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        null = self.utils.NULL_VALUE
        frame = {k: null if v is None else v for k, v in bindings.items()}
        try:
            result = handle.evaluate(None, frame)
        except self.jsonata.JException as err:
            raise JsonataFailure(err.error, str(err)) from err
        return self._plain(result)

    def _plain(self, value: Any) -> Any:
        if value is None:
            return _UNDEFINED
        if value is self.utils.NULL_VALUE:
            return None
        if self.utils.is_function(value) or self.functions.is_lambda(value):
            return _FUNCTION
        if isinstance(value, dict):
            return {k: self._plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._plain(v) for v in value]
        return value


class JsonataPy(Adapter):
    name = "jsonatapy"

    def __init__(self) -> None:
        import jsonatapy

        self.jsonatapy = jsonatapy

    def compile(self, text: str) -> Any:
        try:
            return self.jsonatapy.compile(text)
        except ValueError as err:
            raise JsonataFailure(_code_in(str(err)), str(err)) from err

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        # evaluate() answers None for both null and undefined; the JSON-text entry point keeps
        # them apart, at the price of a serialisation each way.
        try:
            text = handle.evaluate_json_or_none(None, bindings)
        except ValueError as err:
            raise JsonataFailure(_code_in(str(err)), str(err)) from err
        return _UNDEFINED if text is None else json.loads(text)


class JsonataRs(Adapter):
    name = "jsonata-rs"

    def __init__(self) -> None:
        import jsonata

        if not hasattr(jsonata, "set_output_convert_nulls") and not hasattr(
            jsonata.Jsonata, "set_output_convert_nulls"
        ):
            raise ImportError("the jsonata module here is not jsonata-rs")
        if not hasattr(jsonata, "__version__"):
            raise ImportError("the jsonata module here is jsonata-python, not jsonata-rs")
        self.jsonata = jsonata

    def compile(self, text: str) -> Any:
        try:
            expr = self.jsonata.Jsonata(text)
        except self.jsonata.JsonataError as err:
            raise JsonataFailure(err.code, str(err)) from err
        expr.set_output_convert_nulls(False)
        return expr

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        try:
            result = handle.evaluate(None, bindings)
        except self.jsonata.JsonataError as err:
            raise JsonataFailure(err.code, str(err)) from err
        return _UNDEFINED if result is self.jsonata.UNDEFINED else result


class ZopyxPyjsonata(Adapter):
    name = "zopyx-pyjsonata"

    def __init__(self) -> None:
        from zopyx import pyjsonata

        self.mod = pyjsonata

    def compile(self, text: str) -> Any:
        try:
            return self.mod.Jsonata(text)
        except ValueError as err:
            raise JsonataFailure(_code_in(str(err)), str(err)) from err

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        try:
            result = handle.evaluate(self.mod.UNDEFINED, bindings)
        except ValueError as err:
            raise JsonataFailure(_code_in(str(err)), str(err)) from err
        except TypeError as err:
            if "unsupported JSONata value type" in str(err):
                return _FUNCTION
            raise
        return _UNDEFINED if result is self.mod.UNDEFINED else result


class Jlens(Adapter):
    name = "jlens"

    def __init__(self) -> None:
        import jlens

        self.jlens = jlens

    def compile(self, text: str) -> Any:
        try:
            return self.jlens.Expression(text)
        except self.jlens.JlensError as err:
            raise JsonataFailure(err.code, str(err)) from err

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        # evaluate() answers None for both null and undefined; evaluate_json() keeps them apart.
        try:
            text = handle.evaluate_json(None, bindings)
        except self.jlens.JlensError as err:
            raise JsonataFailure(err.code, str(err)) from err
        return _UNDEFINED if text is None else json.loads(text)


class Jsonata2Py(Adapter):
    name = "jsonata2py"

    def __init__(self) -> None:
        import jsonata2py

        self.mod = jsonata2py

    def compile(self, text: str) -> Any:
        try:
            return self.mod.compile(text)
        except self.mod.JsonataError as err:
            raise JsonataFailure(getattr(err, "error_code", None), str(err)) from err

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        frame = self.mod.JsonataBindings()
        for key, value in bindings.items():
            frame.bind_value(key, value)
        try:
            result = handle.evaluate(None, frame)
        except self.mod.JsonataError as err:
            raise JsonataFailure(getattr(err, "error_code", None), str(err)) from err
        if result is self.mod.MISSING:
            return _UNDEFINED
        if callable(result):
            return _FUNCTION
        return result


class Interpreter(Adapter):
    """Our own module (jlens underneath, $states as the lazily read root document)."""

    name = "interpreter"

    def __init__(self) -> None:
        sys.path.insert(0, str(ROOT))
        from interpreter.query import jsonata

        self.mod = jsonata

    def compile(self, text: str) -> Any:
        try:
            return self.mod.compile_jsonata(text)
        except self.mod.JsonataSyntaxError as err:
            raise JsonataFailure(err.jsonata_code, str(err)) from err

    def run(self, handle: Any, bindings: dict[str, Any]) -> Any:
        variables = {k: v for k, v in bindings.items() if k != "states"}
        try:
            result = handle.evaluate(bindings["states"], variables)
        except self.mod.JsonataEvaluationError as err:
            raise JsonataFailure(err.code, str(err)) from err
        if result is self.mod.UNDEFINED:
            return _UNDEFINED
        return _FUNCTION if result is self.mod.FUNCTION else result


ADAPTERS: dict[str, Callable[[], Adapter]] = {
    "jsonata-python": JsonataPython,
    "jsonatapy": JsonataPy,
    "jsonata-rs": JsonataRs,
    "zopyx-pyjsonata": ZopyxPyjsonata,
    "jlens": Jlens,
    "jsonata2py": Jsonata2Py,
    "interpreter": Interpreter,
}


def _code_in(message: str) -> str | None:
    """The JSONata error code (``S0207``, ``T2001``...) inside an engine's message."""
    for word in message.replace(":", " ").replace("@", " ").split():
        if len(word) == 5 and word[0] in "STDU" and word[1:].isdigit():
            return word
    return None


# ---------------------------------------------------------------------------------------------
# The worker: correctness and speed for one engine
# ---------------------------------------------------------------------------------------------


def _encode(value: Any) -> dict[str, Any]:
    if value is _UNDEFINED:
        return {"kind": "undefined"}
    if value is _FUNCTION:
        return {"kind": "function"}
    try:
        return {"kind": "value", "value": json.loads(json.dumps(value, allow_nan=False))}
    except (TypeError, ValueError) as err:
        return {"kind": "crash", "message": f"result is not JSON: {err}"}


def evaluate_case(adapter: Adapter, case: dict[str, Any]) -> dict[str, Any]:
    """One case through one engine, as a result record."""
    phase = "compile"
    try:
        handle = adapter.compile(case["expr"])
        phase = "evaluate"
        bindings = dict(case["variables"])
        bindings["states"] = case["states"]
        return _encode(adapter.run(handle, bindings))
    except JsonataFailure as err:
        return {"kind": "error", "phase": phase, "code": err.code, "message": str(err)[:200]}
    except RecursionError:
        return {"kind": "crash", "message": "RecursionError"}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:
        return {"kind": "crash", "message": f"{type(err).__name__}: {err}"[:200]}


SPEED_INPUT = {
    "x": 1,
    "id": "order-123",
    "name": "ada",
    "first": "Ada",
    "last": "Lovelace",
    "tags": ["a", "b", "c"],
    "values": list(range(1000)),
    "items": [{"name": f"item{i}", "price": i} for i in range(100)],
}

SPEED_WORKLOADS = {
    "path": "$states.input.x",
    "object": "{'id': $states.input.id, 'name': $uppercase($states.input.name), "
    "'tags': $states.input.tags, 'n': $count($states.input.tags)}",
    "sum1000": "$sum($states.input.values)",
    "concat": "'Hello, ' & $states.input.first & ' ' & $states.input.last & '!'",
    "filter": "$states.input.items[price > 50].name",
}

COMPILE_WORKLOAD = (
    "($total := $sum($states.input.items.price); "
    "{'count': $count($states.input.items), 'total': $total, "
    "'names': $map($states.input.items[price > 10], function($v) {$uppercase($v.name)}), "
    "'label': $states.input.first & ' ' & $states.input.last})"
)


def _per_call(func: Callable[[], Any], budget: float = 0.15, repeats: int = 3) -> float:
    """Best-of-``repeats`` seconds per call, each repeat running for about ``budget`` seconds."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= budget / 4 or calls >= 1 << 20:
            break
        calls *= 4
    calls = max(1, int(calls * budget / max(elapsed, 1e-9) / 1))
    best = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            func()
        best.append((time.perf_counter() - start) / calls)
    return min(best)


def measure_speed(adapter: Adapter) -> dict[str, Any]:
    """Compile and evaluation times in microseconds; None where the engine failed."""
    speed: dict[str, Any] = {}
    try:
        speed["compile"] = _per_call(lambda: adapter.compile(COMPILE_WORKLOAD)) * 1e6
    except Exception as err:
        speed["compile"] = None
        speed["compile_error"] = str(err)[:120]
    for name, text in SPEED_WORKLOADS.items():
        try:
            handle = adapter.compile(text)

            def once(handle: Any = handle) -> Any:
                # A fresh binding per call, as every state entry brings new data.
                return adapter.run(handle, {"states": {"input": dict(SPEED_INPUT)}})

            once()
            speed[name] = _per_call(once) * 1e6
        except Exception as err:
            speed[name] = None
            speed[f"{name}_error"] = str(err)[:120]
    return speed


def worker(engine: str) -> None:
    """Read cases on stdin, print this engine's results and timings as JSON."""
    payload = json.loads(sys.stdin.read())
    # Some engines print debugging text on stdout; keep stdout for the answer alone.
    answer, sys.stdout = sys.stdout, sys.stderr
    adapter = ADAPTERS[engine]()
    sys.setrecursionlimit(5000)
    out = {
        "semantics": [evaluate_case(adapter, c) for c in payload["semantics"]],
        "conformance": [evaluate_case(adapter, c) for c in payload["conformance"]],
        "speed": measure_speed(adapter) if payload["speed"] else {},
    }
    answer.write(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------------------------


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, 1 and 1.0 are one number, keys unordered."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def same_result(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether an engine's result matches the reference's (error codes compared apart)."""
    if actual["kind"] != expected["kind"]:
        return False
    if actual["kind"] == "value":
        return same_json(actual["value"], expected["value"])
    if actual["kind"] == "error":
        return actual.get("phase") == expected.get("phase")
    return True


def run_engine(engine: str, python: str, payload: str) -> dict[str, Any] | str:
    """One engine's results, or the reason it could not run."""
    done = subprocess.run(  # noqa: S603 - our own script, with an interpreter the user named
        [python, str(Path(__file__).resolve()), "--worker", engine],
        input=payload,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"did not run: {last[:160]}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    """Parse the command line and run the measurement (or the worker, or the recorder)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", action="append", choices=ENGINES)
    parser.add_argument("--python", action="append", default=[], metavar="ENGINE=PATH")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--details", action="store_true", help="list every mismatch")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--record-reference", metavar="NODE_MODULES")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.record_reference:
        record_reference(args.record_reference)
        return

    interpreters = dict(item.split("=", 1) for item in args.python)
    sem = semantics_cases()
    conf = conformance_cases()
    reference = json.loads(CONFORMANCE_REFERENCE.read_text())["answers"]
    payload = json.dumps({"semantics": sem, "conformance": conf, "speed": not args.no_speed})
    rows = []
    for engine in args.engine or ENGINES:
        result = run_engine(engine, interpreters.get(engine, sys.executable), payload)
        if isinstance(result, str):
            rows.append((engine, result))
            continue
        report = score(sem, conf, reference, result)
        rows.append((engine, report))
        if args.details:
            for line in report["mismatches"]:
                print(f"{engine}: {line}")
    print_table(rows, len(sem), len(conf), sum("aws" in c for c in conf))


def score(
    sem: list[dict[str, Any]],
    conf: list[dict[str, Any]],
    reference: dict[str, Any],
    result: dict[str, Any],
) -> dict[str, Any]:
    """Count matches against the reference and against AWS's recorded answers."""
    mismatches = []
    sem_ok = codes_ok = crashes = 0
    errors = 0
    for case, got in zip(sem, result["semantics"], strict=True):
        expected = case["expected"]
        crashes += got["kind"] == "crash"
        if same_result(got, expected):
            sem_ok += 1
            if got["kind"] == "error":
                errors += 1
                codes_ok += got.get("code") == expected.get("code")
        else:
            mismatches.append(f"{case['id']}: {case['expr']!r} expected {expected} got {got}")
    conf_ok = aws_ok = 0
    for case, got in zip(conf, result["conformance"], strict=True):
        crashes += got["kind"] == "crash"
        if same_result(got, reference[case["id"]]):
            conf_ok += 1
        else:
            mismatches.append(f"{case['id']}: {case['expr']!r} ref {reference[case['id']]} {got}")
        if "aws" in case:
            aws_ok += same_result(got, case["aws"])
    return {
        "semantics": sem_ok,
        "codes": f"{codes_ok}/{errors}",
        "conformance": conf_ok,
        "aws": aws_ok,
        "crashes": crashes,
        "speed": result["speed"],
        "mismatches": mismatches,
    }


def print_table(rows: list[tuple[str, Any]], n_sem: int, n_conf: int, n_aws: int) -> None:
    """A markdown table: one engine a row."""
    speed_cols = ["compile", *SPEED_WORKLOADS]
    head = [
        "engine",
        f"semantics /{n_sem}",
        "error codes",
        f"corpus vs ref /{n_conf}",
        f"corpus vs AWS /{n_aws}",
        "crashes",
        *[f"{c} µs" for c in speed_cols],
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for engine, report in rows:
        if isinstance(report, str):
            print(f"| {engine} | {report} |" + " |" * (len(head) - 2))
            continue
        speed = report["speed"]
        cells = [
            engine,
            str(report["semantics"]),
            report["codes"],
            str(report["conformance"]),
            str(report["aws"]),
            str(report["crashes"]),
            *[_fmt(speed.get(c)) for c in speed_cols],
        ]
        print("| " + " | ".join(cells) + " |")


def _fmt(value: float | None) -> str:
    if value is None:
        return "fail"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


if __name__ == "__main__":
    main()
