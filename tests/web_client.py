"""A console on a real HTTP server (waitress on a loopback port) and a real SQLite file,
and just enough of a browser to drive it without one: cookies, redirects, CSRF tokens."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from gateway.core import config, users
from web import create_app
from web.server import ConsoleServer

PASSWORD = "correct horse battery"


@dataclass
class Reply:
    status: int
    body: str
    url: str


class Browser:
    """Just enough of a browser: cookies, redirects, forms with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> Reply:
        return self._open(urllib.request.Request(self.base + path))

    def get_bytes(self, path: str) -> tuple[int, bytes]:
        """A download as it comes (a workbook, a PNG), with its status."""
        try:
            with self.opener.open(urllib.request.Request(self.base + path), timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def post(self, path: str, fields: dict[str, str]) -> Reply:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def _open(self, req: urllib.request.Request) -> Reply:
        try:
            with self.opener.open(req, timeout=10) as resp:
                return Reply(resp.status, resp.read().decode(), resp.url)
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.read().decode(), err.url)

    def csrf(self, path: str) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path).body)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def login(self, username: str, password: str = PASSWORD) -> Reply:
        token = self.csrf("/login")
        return self.post(
            "/login", {"username": username, "password": password, "csrf_token": token}
        )


def signed_in(base: str, username: str = "operator1", password: str = PASSWORD) -> Browser:
    """A browser logged in as `username` (one of the `console` fixture's users)."""
    browser = Browser(base)
    assert browser.login(username, password).status == 200
    return browser


@pytest.fixture
def console(engine: Engine, db_url: str) -> Iterator[str]:
    cfg = config.from_dict({"database": {"url": db_url}})
    for name in ("admin", "operator", "viewer"):
        users.add(engine, f"{name}1", PASSWORD, name)
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    yield server.url
    server.stop()
