"""interpreter.api.remote: boto3's Step Functions client, signed for a Lambda function URL."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3

from interpreter.api.remote import step_functions_client


def test_requests_are_signed_for_the_lambda_service() -> None:
    seen: list[dict[str, str]] = []

    class Capture(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(dict(self.headers))
            body = json.dumps({"stateMachines": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session = boto3.Session(
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-1"
        )
        client = step_functions_client(
            f"http://127.0.0.1:{server.server_address[1]}/", "eu-west-1", session
        )
        assert client.list_state_machines()["stateMachines"] == []
    finally:
        server.shutdown()
        server.server_close()
    (headers,) = seen
    assert headers["X-Amz-Target"] == "AWSStepFunctions.ListStateMachines"
    assert "Credential=AKIDEXAMPLE/" in headers["Authorization"]
    assert "/eu-west-1/lambda/aws4_request" in headers["Authorization"]
