"""A local HTTP server that answers the Anthropic Messages API (for end-to-end AI tests)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeAnthropic:
    def __init__(self, answer: str = "## Cause\nthe boundary\n\n## Fix\nuse >=",
                 gate: threading.Event | None = None, *, raw: bytes | None = None, status: int = 200,
                 content_type: str = "application/json") -> None:
        self.answer = answer
        self.gate = gate  # when given, answers only once it is set (to see what waits for the answer)
        self.raw = raw  # when given, the body sent as it is (a proxy's page, a broken answer), with status
        self.status = status
        self.content_type = content_type
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if outer.gate is not None:
                    outer.gate.wait(timeout=60)
                outer.requests.append({"path": self.path, "body": body,
                                       "auth": self.headers.get("x-api-key") or self.headers.get("authorization")})
                data = outer.raw if outer.raw is not None else json.dumps(
                    {"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
                     "stop_reason": "end_turn", "stop_sequence": None,
                     "content": [{"type": "text", "text": outer.answer}],
                     "usage": {"input_tokens": 1, "output_tokens": 1}}).encode()
                self.send_response(outer.status)
                self.send_header("content-type", outer.content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeAnthropic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
