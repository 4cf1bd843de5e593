"""A stand-in for Twilio's Messaging API on a loopback port, for the tests and bench/.

It answers as api.twilio.com does (Basic auth with the Account SID and auth token, 201
JSON with an SM... sid, Twilio's error JSON and codes) and can misbehave on purpose:
refuse numbers (21211 and friends), answer 429 (code 20429, Retry-After) above a rate,
answer late (a client timeout), make the message and drop the answer, answer 5xx. A
message moves queued -> sent -> delivered (or undelivered, for numbers marked failing);
when the request named a StatusCallback, each change is posted there as Twilio would,
signed with the auth token. Every message made is kept in `messages`, in order.

Standard library only, and signing done here by its own few lines (not the adapter's),
so bench/ can load it by path and a test of the console's check is not the adapter
agreeing with itself. (No `from __future__ import annotations`: dataclasses then look the
module up in sys.modules, where a module loaded by path is not.)
"""

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "standin-auth-token-0123456789ab"
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)(?P<rest>/.*)$")
_ERRORS = {
    21211: "The 'To' number {to} is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
}


def sign(url: str, params: list[tuple[str, str]], token: str) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted name+value pairs."""
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


@dataclass
class Made:
    """A message the stand-in made: what it was asked, and where it has got to."""

    sid: str
    to: str
    sender: str
    body: str
    created: datetime  # aware UTC, whole seconds as Twilio shows them
    callback: str = ""
    validity: str = ""
    status: str = "queued"
    error_code: int | None = None

    def as_json(self, account: str) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": account,
            "to": self.to,
            "from": self.sender,
            "body": self.body,
            "status": self.status,
            "error_code": self.error_code,
            "error_message": None,
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": format_datetime(self.created),
            "date_updated": format_datetime(self.created),
            "date_sent": None,
            "price": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{self.sid}.json",
        }


@dataclass
class Callback:
    """One status callback posted: where, what, and how the console answered."""

    url: str
    params: dict[str, str]
    answer: int  # HTTP status, or 0 when nothing answered


@dataclass
class TwilioStandin:
    """Use as a context manager; the knobs may be changed while it runs."""

    account: str = ACCOUNT
    token: str = TOKEN
    refuse: dict[str, int] = field(default_factory=dict)  # number -> 21211, 21610, 21614...
    failing: set[str] = field(default_factory=set)  # made, then undelivered (30003)
    max_per_second: float = 0.0  # 0 = no ceiling; above it: 429, code 20429
    delay: float = 0.0  # seconds before answering a send (after making the message)
    drop: bool = False  # make the message, then close the connection unanswered
    outage: int = 0  # an HTTP status (503) answered to every request, nothing made
    deliver_after: float = 0.2  # seconds from queued to delivered (sent halfway)
    balance: str = "20.50"
    # Posts callbacks here instead of to the URL's own host (a reverse proxy in front of
    # the console), still signing the URL it was given, as Twilio does.
    callbacks_via: str = ""
    messages: list[Made] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()  # when each recent send was asked
        self._by_sid: dict[str, Made] = {}
        self._due: list[tuple[float, int, str, str]] = []  # (when, n, sid, next status)
        self._count = itertools.count()
        self._wake = threading.Condition(self._lock)
        self._closing = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="twilio-standin", daemon=True
            ),
            threading.Thread(target=self._progress, name="twilio-standin-status", daemon=True),
        ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "TwilioStandin":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def made_to(self, number: str) -> list[Made]:
        with self._lock:
            return [m for m in self.messages if m.to == number]

    def by_sid(self, sid: str) -> Made | None:
        with self._lock:
            return self._by_sid.get(sid)

    def post_inbound(
        self, url: str, sender: str, body: str, to: str = "+447700900999", sid: str = ""
    ) -> tuple[int, str]:
        """A text to our number, posted to the console's sms hook as Twilio would."""
        sid = sid or "SM" + secrets.token_hex(16)
        params = {
            "ToCountry": "GB",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "To": to,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.account,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        return self._post_signed(url, params)

    # -- the API --------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], auth: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(HTTP status, JSON body, headers) for one request; see _handler."""
        if self.outage:
            return _error(self.outage, 20500, "Internal Server Error")
        found = _PATH.match(path)
        if not self._authorised(auth) or found is None or found["account"] != self.account:
            return _error(401, 20003, "Authenticate")
        rest = found["rest"]
        if method == "POST" and rest == "/Messages.json":
            return self._create(form)
        if method == "GET" and rest == "/Messages.json":
            return 200, self._list(query), {}
        if method == "GET" and rest == "/Balance.json":
            return (
                200,
                {"account_sid": self.account, "balance": self.balance, "currency": "GBP"},
                {},
            )
        sid = re.fullmatch(r"/Messages/(SM\w+)\.json", rest)
        made = self.by_sid(sid.group(1)) if method == "GET" and sid else None
        if made is None:
            return _error(404, 20404, f"The requested resource {path} was not found")
        with self._lock:
            return 200, made.as_json(self.account), {}

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        return hmac.compare_digest(header.encode(), f"Basic {expected}".encode())

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        now = time.monotonic()
        with self._lock:
            while self._sent and self._sent[0] <= now - 1.0:
                self._sent.popleft()
            if self.max_per_second and len(self._sent) >= self.max_per_second:
                status, body, _ = _error(429, 20429, "Too Many Requests")
                return status, body, {"Retry-After": "1"}
            self._sent.append(now)
        to = form.get("To", "")
        if not to or not form.get("From") or "Body" not in form:
            return _error(400, 21604, "A 'To', 'From' and 'Body' are required.")
        if to in self.refuse:
            code = self.refuse[to]
            return _error(400, code, _ERRORS.get(code, "Refused").format(to=to))
        made = Made(
            sid="SM" + secrets.token_hex(16),
            to=to,
            sender=form["From"],
            body=form["Body"],
            created=datetime.now(UTC).replace(microsecond=0),
            callback=form.get("StatusCallback", ""),
            validity=form.get("ValidityPeriod", ""),
        )
        with self._wake:
            self.messages.append(made)
            self._by_sid[made.sid] = made
            start = time.monotonic()
            self._schedule(start + self.deliver_after / 2, made.sid, "sent")
            final = "undelivered" if to in self.failing else "delivered"
            self._schedule(start + self.deliver_after, made.sid, final)
            return 201, made.as_json(self.account), {}

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        size = int(query.get("PageSize", "50"))
        with self._lock:
            found = [
                m
                for m in reversed(self.messages)  # newest first, as Twilio lists them
                if m.to == query.get("To", m.to) and m.sender == query.get("From", m.sender)
            ][:size]
            return {"messages": [m.as_json(self.account) for m in found], "page_size": size}

    # -- status progression and callbacks ----------------------------------------------

    def _schedule(self, when: float, sid: str, status: str) -> None:
        heapq.heappush(self._due, (when, next(self._count), sid, status))
        self._wake.notify_all()

    def _progress(self) -> None:
        while True:
            with self._wake:
                while not self._closing and (not self._due or self._due[0][0] > time.monotonic()):
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(wait)
                if self._closing:
                    return
                _, _, sid, status = heapq.heappop(self._due)
                made = self._by_sid[sid]
                made.status = status
                made.error_code = 30003 if status == "undelivered" else None
                callback = made.callback
                params = {
                    "SmsSid": sid,
                    "SmsStatus": status,
                    "MessageStatus": status,
                    "To": made.to,
                    "MessageSid": sid,
                    "AccountSid": self.account,
                    "From": made.sender,
                    "ApiVersion": "2010-04-01",
                }
                if made.error_code is not None:
                    params["ErrorCode"] = str(made.error_code)
            if callback:
                code, _ = self._post_signed(callback, params)
                with self._lock:
                    self.callbacks.append(Callback(callback, params, code))

    def _post_signed(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        """POST a form signed for `url`, to `url` or through `callbacks_via`."""
        target = url
        if self.callbacks_via:
            parts = urllib.parse.urlsplit(url)
            via = urllib.parse.urlsplit(self.callbacks_via)
            target = urllib.parse.urlunsplit(parts._replace(scheme=via.scheme, netloc=via.netloc))
        req = urllib.request.Request(
            target,
            data=urllib.parse.urlencode(params).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(url, list(params.items()), self.token),
                "User-Agent": "TwilioProxy/1.1",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()
        except OSError:
            return 0, ""


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return (
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        {},
    )


def _handler(standin: TwilioStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            auth = self.headers.get("Authorization", "")
            status, body, headers = standin.answer(method, url.path, query, form, auth)
            made = method == "POST" and status == 201
            if made and standin.drop:
                self.close_connection = True  # the message exists; its answer never comes
                return
            if made and standin.delay:
                time.sleep(standin.delay)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (`delay`)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read `messages` and `callbacks`, not a log

    return Handler
