"""A FastSMS stand-in: a local HTTP server speaking FastSMS's API, for tests and bench/.

It speaks `{url}/api` with `Token` and `Action` = Send, CheckMessageStatus, CheckCredits,
by GET or POST, form or query, and answers plain text as FastSMS does (an id or a negative
code per destination, one line each, in order). Knobs set the faults a real service shows;
every message it makes is recorded, so a caller can check that none was made twice.

Standard library only, so it loads as `tests.fastsms_standin` (bench/), as
`fastsms_standin` (tests, like fake_modem) or by file.
"""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.parse
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

NO_CREDITS = -100
INVALID_DESTINATION = -401
DAILY_LIMIT = -411
UNKNOWN_USER = -501
MAINTENANCE = -511

# The GSM 7-bit default alphabet; the extension table's characters take two septets.
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXT = set("^{}\\[~]|€\f")


def parts(text: str) -> int:
    """How many SMS parts a text takes: what FastSMS charges, one credit each."""
    if all(c in _GSM or c in _GSM_EXT for c in text):
        length, single, multi = sum(2 if c in _GSM_EXT else 1 for c in text), 160, 153
    else:
        length, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if length <= single else -(-length // multi)


@dataclass
class Made:
    """One message the stand-in made: what a real service would bill and send."""

    id: str
    destination: str
    source: str
    body: str
    at: float  # time.time()
    parts: int
    validity: str = ""
    status: str | None = None  # pinned by set_status; None: it follows the knobs


@dataclass
class Seen:
    """One request as it arrived, for checks on where the token travelled."""

    method: str
    path: str  # with its query string
    body: str


@dataclass
class FastSmsStandin:
    """Use as `with FastSmsStandin() as fast: ...` (or start()/stop()); `fast.url` is the
    base URL to configure. Change the knobs at any time, from any thread."""

    token: str = "test-token"
    credits: float = 1000.0  # each part costs 1; a message that cannot be paid: -100
    invalid: set[str] = field(default_factory=set)  # numbers answering -401
    max_per_number: int = 0  # messages one number may get (a "day"): above it, -411; 0 = any
    maintenance: bool = False  # every action answers -511
    delay: float = 0.0  # seconds to wait before answering (after making the message)
    drop_next: int = 0  # the next N Sends make their messages, then close without answering
    # Messages a second (all destinations). Above it the request is refused whole with
    # HTTP 429 and Retry-After: 1, as hosted HTTP APIs commonly do; FastSMS documents no
    # negative code for it, so a client must expect the HTTP status.
    max_per_second: float = 0.0
    deliver_after: float | None = 0.0  # seconds from Pending to Delivered; None = never
    failing: set[str] = field(default_factory=set)  # numbers whose messages go FAILED
    http_status: int = 0  # answer every request with this HTTP status (500, 503...); 0 = off
    answer_with: str | None = None  # answer every Send with this text (garbage, odd codes)
    made: list[Made] = field(default_factory=list, init=False)
    seen: list[Seen] = field(default_factory=list, init=False)
    lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _next_id: int = field(default=1_000_001, init=False, repr=False)
    _recent: deque[float] = field(default_factory=deque, init=False, repr=False)

    # -- running -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FastSmsStandin:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fastsms-standin", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FastSmsStandin:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what was made -----------------------------------------------------------------

    def made_to(self, number: str) -> list[Made]:
        number = number.removeprefix("+")
        with self.lock:
            return [m for m in self.made if m.destination == number]

    def twice(self) -> list[tuple[str, str]]:
        """(destination, body) pairs made more than once: what a caller must never see."""
        with self.lock:
            counts = Counter((m.destination, m.body) for m in self.made)
        return [key for key, n in counts.items() if n > 1]

    def set_status(self, message_id: str, word: str) -> None:
        """Pin a message's status word (any word, even one FastSMS never says)."""
        with self.lock:
            self._find(message_id).status = word

    # -- the API -----------------------------------------------------------------------

    def answer(self, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        """(HTTP status, body, headers) for one request's parameters."""
        with self.lock:
            if self.http_status:
                return self.http_status, "Service Unavailable", {}
            if self.maintenance:
                return 200, str(MAINTENANCE), {}
            if params.get("Token") != self.token:
                return 200, str(UNKNOWN_USER), {}
            action = params.get("Action", "")
            if action == "Send":
                return self._send(params)
            if action == "CheckMessageStatus":
                return 200, self._status(params.get("MessageID", "")), {}
            if action == "CheckCredits":
                return 200, f"{self.credits:.2f}", {}
            return 400, f"unknown Action {action!r}", {}

    def _send(self, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        if self.answer_with is not None:
            return 200, self.answer_with, {}
        destinations = [d.strip() for d in params.get("DestinationAddress", "").split(",")]
        if self.max_per_second and self._over_rate(len(destinations)):
            return 429, "Too Many Requests", {"Retry-After": "1"}
        body = params.get("Body", "")
        return 200, "\n".join(self._make(d, body, params) for d in destinations), {}

    def _over_rate(self, count: int) -> bool:
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) + count > self.max_per_second:
            return True
        self._recent.extend([now] * count)
        return False

    def _make(self, destination: str, body: str, params: dict[str, str]) -> str:
        """One destination's line: the new message's id, or a negative code."""
        if (
            not destination.isdigit()
            or not 10 <= len(destination) <= 15
            or destination in {n.removeprefix("+") for n in self.invalid}
        ):
            return str(INVALID_DESTINATION)
        if self.max_per_number and len(self.made_to(destination)) >= self.max_per_number:
            return str(DAILY_LIMIT)
        cost = parts(body)
        if self.credits < cost:
            return str(NO_CREDITS)
        self.credits -= cost
        message_id = str(self._next_id)
        self._next_id += 1
        self.made.append(
            Made(
                id=message_id,
                destination=destination,
                source=params.get("SourceAddress", ""),
                body=body,
                at=time.time(),
                parts=cost,
                validity=params.get("ValidityPeriod", ""),
            )
        )
        return message_id

    def _status(self, message_id: str) -> str:
        try:
            made = self._find(message_id)
        except KeyError:
            return "UNKNOWN"
        if made.status is not None:
            return made.status
        if self.deliver_after is None or time.time() - made.at < self.deliver_after:
            return "Pending"
        failed = made.destination in {n.removeprefix("+") for n in self.failing}
        return "FAILED" if failed else "Delivered"

    def _find(self, message_id: str) -> Made:
        for made in self.made:
            if made.id == message_id:
                return made
        raise KeyError(message_id)


def _handler_for(standin: FastSmsStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length).decode("utf-8", errors="replace"))

        def _serve(self, body: str) -> None:
            with standin.lock:
                standin.seen.append(Seen(self.command, self.path, body))
            where = urllib.parse.urlsplit(self.path)
            if where.path.rstrip("/") != "/api":
                self._reply(404, "Not Found", {})
                return
            params = dict(urllib.parse.parse_qsl(where.query, keep_blank_values=True))
            params.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
            status, text, headers = standin.answer(params)
            with standin.lock:
                drop = params.get("Action") == "Send" and standin.drop_next > 0
                if drop:
                    standin.drop_next -= 1
                delay = standin.delay
            if delay:
                time.sleep(delay)
            if drop:
                self.close_connection = True  # made the message; the answer never leaves
                return
            self._reply(status, text, headers)

        def _reply(self, status: int, text: str, headers: dict[str, str]) -> None:
            raw = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            # The client may have given up waiting (the delay knob), as with a real service.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the tests read `seen`, not stderr

    return Handler


if __name__ == "__main__":  # a stand-in to point a hand-run gateway at
    with FastSmsStandin() as fast:
        print(f"FastSMS stand-in at {fast.url} (token {fast.token!r}); Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
