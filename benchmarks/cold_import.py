"""The serverless functions' cold import: ``import handlers.worker`` (and the API and sweep
handlers) in a fresh interpreter, as a new Lambda container does before its first message.

Lambda's environment is set (``LAMBDA_TASK_ROOT``, ``AWS_LAMBDA_FUNCTION_NAME``): the X-Ray SDK,
which Powertools' Tracer imports, builds its sampling clients at import outside Lambda only, so
without it the figure would include work Lambda never does. The X-Ray SDK and boto3 are also
timed alone, to show which part of the figure is ours. The target (issue 9): the worker's
cold import under 300 ms.

    python benchmarks/cold_import.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
MODULES = {
    "handlers.worker": "the worker function",
    "handlers.api": "the API function",
    "handlers.sweep": "the sweep function",
    "aws_xray_sdk.core": "the X-Ray SDK alone (Powertools' Tracer imports it)",
    "boto3": "boto3 alone",
}
_TIMER = (
    "import time; started = time.perf_counter(); import {module}; "
    "print((time.perf_counter() - started) * 1000)"
)


def cold_import_ms(module: str) -> float:
    """Milliseconds to import ``module`` in a fresh interpreter with Lambda's environment."""
    environment = {
        **os.environ,
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "asl-benchmark",
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "TABLE_NAME": "asl-executions",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/asl-work",
    }
    answer = subprocess.run(  # noqa: S603 - this interpreter, our own one-liner
        [sys.executable, "-c", _TIMER.format(module=module)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(answer.stdout.strip())


def main() -> None:
    """Print min / median / max of each module's cold import."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    print(f"cold import in a fresh interpreter, {arguments.repeat} runs (ms: min / median / max)")
    medians = {}
    for module, what in MODULES.items():
        times = sorted(cold_import_ms(module) for _ in range(arguments.repeat))
        medians[module] = statistics.median(times)
        print(f"  {module:<20} {times[0]:7.0f} {medians[module]:7.0f} {times[-1]:7.0f}   {what}")
    verdict = "under" if medians["handlers.worker"] < TARGET_MS else "OVER"
    print(f"the worker's median cold import is {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
