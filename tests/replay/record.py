"""Record replay fixtures: every call of the core for a few representative executions.

Run ``python tests/replay/record.py`` to (re)write ``tests/replay/histories/*.json`` after an
intentional change of behaviour; review the diff like any other change. Each fixture holds the
definition, the execution's identity (with its secret, so task tokens replay), and for every call
of the core the events delivered, the time, the resulting snapshot, commands and history events.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from interpreter.app import local_runner
from interpreter.core.engine import Transition
from interpreter.definition.compiler import compile_state_machine

HERE = Path(__file__).resolve().parent
START_MS = 1_700_000_000_000


class Boom(Exception):
    """The failure the fixtures' flaky handler raises."""


def _flaky() -> Any:
    calls = [0]

    def handler(event: Any, context: Any) -> Any:
        calls[0] += 1
        if calls[0] < 3:
            raise Boom(f"try {calls[0]}")
        return {"done": event}

    return handler


SCENARIOS: dict[str, dict[str, Any]] = {
    "retry_then_catch": {
        "definition": {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                    "Retry": [
                        {"ErrorEquals": ["Boom"], "MaxAttempts": 1, "JitterStrategy": "FULL"}
                    ],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "W"}],
                    "Next": "W",
                },
                "W": {"Type": "Wait", "Seconds": 30, "End": True},
            },
        },
        "input": {"order": 1},
        "lambdas": {"flaky": _flaky},
    },
    "map_and_parallel": {
        "definition": {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "M",
                            "States": {
                                "M": {
                                    "Type": "Map",
                                    "MaxConcurrency": 2,
                                    "ItemProcessor": {
                                        "StartAt": "Wait",
                                        "States": {
                                            "Wait": {
                                                "Type": "Wait",
                                                "SecondsPath": "$",
                                                "End": True,
                                            }
                                        },
                                    },
                                    "End": True,
                                }
                            },
                        },
                        {
                            "StartAt": "U",
                            "States": {
                                "U": {
                                    "Type": "Pass",
                                    "Parameters": {"id.$": "States.UUID()"},
                                    "End": True,
                                }
                            },
                        },
                    ],
                    "End": True,
                }
            },
        },
        "input": [3, 1, 2],
        "lambdas": {},
    },
    "jsonata_variables": {
        "definition": {
            "QueryLanguage": "JSONata",
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Pass",
                    "Assign": {"n": "{% $count($states.input) %}", "r": "{% $random() %}"},
                    "Next": "B",
                },
                "B": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% $n > 2 %}", "Next": "Big"}],
                    "Default": "Small",
                },
                "Big": {"Type": "Pass", "Output": "{% {'n': $n, 'r': $r} %}", "End": True},
                "Small": {"Type": "Fail", "Error": "Small", "Cause": "{% $string($n) %}"},
            },
        },
        "input": [1, 2, 3],
        "lambdas": {},
    },
}


def record(name: str, scenario: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario and return its fixture."""
    calls: list[dict[str, Any]] = []

    def recorder(events: list[dict[str, Any]] | None, now_ms: int, result: Transition) -> None:
        calls.append(
            {
                "events": events,
                "now_ms": now_ms,
                "snapshot": json.loads(json.dumps(result.snapshot)),
                "commands": json.loads(json.dumps(result.commands)),
                "history": json.loads(json.dumps(result.history)),
            }
        )

    lambdas = {fn: factory() for fn, factory in scenario["lambdas"].items()}
    runner = local_runner(lambdas=lambdas, clock="virtual", start_ms=START_MS)
    runner.run(
        compile_state_machine(scenario["definition"]),
        scenario["input"],
        state_machine_name=name,
        execution_name="replay",
        recorder=recorder,
    )
    return {"definition": scenario["definition"], "calls": calls}


def main() -> int:
    for name, scenario in SCENARIOS.items():
        fixture = record(name, scenario)
        path = HERE / "histories" / f"{name}.json"
        path.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path} ({len(fixture['calls'])} calls)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
