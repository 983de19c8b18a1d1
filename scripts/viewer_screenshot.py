"""Take docs/viewer.png: the viewer of ``asl serve`` on a sample execution, in headless Chromium.

    python scripts/viewer_screenshot.py [OUTPUT.png]

Runs samples/order-processing.asl.json with the sample handlers and a card that is declined
(ReserveStock retried, ChargeCard caught, RejectOrder failed), opens the execution in the viewer
and selects ChargeCard. Needs Debian's chromium and Playwright (the dev extras).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

from interpreter.api.server import make_server
from interpreter.app import local_service

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main(output: Path) -> None:
    """Write the screenshot to ``output``."""
    from playwright.sync_api import sync_playwright

    os.chdir(ROOT)  # relative paths in the handlers' stack traces shown on the page
    spec = importlib.util.spec_from_file_location("orders", "samples/handlers/orders.py")
    if spec is None or spec.loader is None:
        raise SystemExit("cannot load samples/handlers/orders.py")
    orders = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(orders)
    service = local_service(
        lambdas={
            "ReserveStock": orders.reserve_stock,
            "ChargeCard": orders.charge_card,
            "ReleaseStock": orders.release_stock,
        },
        clock="virtual",
    )
    definition = (ROOT / "samples/order-processing.asl.json").read_text("utf-8")
    machine = service.create_state_machine(
        "order-processing", definition, "arn:aws:iam::123456789012:role/demo"
    )["stateMachineArn"]
    order = {"order": {"id": "ord-2002", "total": 1250, "items": [{"sku": "desk", "quantity": 1}]}}
    execution = service.start_execution(machine, "ord-2002", json.dumps(order))["executionArn"]
    service.run_until_idle()
    server = make_server(service, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/#/execution/{quote(execution, safe='')}"
    profile = tempfile.mkdtemp()
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                headless=True,
                args=ARGS,
                viewport={"width": 1280, "height": 1040},
            )
            page = context.new_page()
            page.goto(url)
            page.locator('g.asl-node[data-state="ChargeCard"].st-caught').click()
            page.locator(".details h2", has_text="ChargeCard").wait_for()
            page.screenshot(path=str(output))
            context.close()
    finally:
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "viewer.png")
