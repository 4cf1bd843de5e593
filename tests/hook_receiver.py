"""A real local webhook receiver: answers each POST with the next scripted status (the
last one repeats), optionally holding each request until released; keeps what it got."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Got:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result

    def verifies(self, secret: bytes) -> bool:
        stamp = self.headers["X-Smsgw-Timestamp"]
        mac = hmac.new(secret, stamp.encode() + b"." + self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers["X-Smsgw-Signature"], f"sha256={mac}")


class Receiver:
    def __init__(self, codes: list[int], hold: threading.Event | None = None) -> None:
        self.codes = list(codes)
        self.hold = hold  # each request waits for it (at most 10 s) before answering
        self.got: list[Got] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append(Got(dict(self.headers.items()), body))
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/smsgw"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, type_: str) -> list[Got]:
        return [g for g in self.got if g.event["type"] == type_]
