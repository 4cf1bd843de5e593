"""Serving the console with waitress, alone or beside the daemon."""

from __future__ import annotations

import threading

from flask import Flask
from waitress.server import create_server
from waitress.wasyncore import close_all


def parse_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"web.listen must look like 127.0.0.1:8080, not {listen!r}")
    return host.strip("[]"), int(port)


class ConsoleServer:
    """A waitress server on its own thread; `port` is known once it is bound."""

    def __init__(self, app: Flask, host: str, port: int) -> None:
        # X-Forwarded-For reaches the app, which honours it only from web.trusted_proxies
        # (web/auth.py); waitress would drop it, as it trusts no proxy unless told one.
        self._server = create_server(
            app, host=host, port=port, threads=8, ident="smsgw", clear_untrusted_proxy_headers=False
        )
        self.port: int = self._server.effective_port
        self.host = host
        self._thread = threading.Thread(target=self._server.run, name="console", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # Workers finish their requests first, then the loop thread closes every socket
        # itself. Closing from this thread raced the loop: a worker ending a request after
        # close() wrote to the closed trigger (EBADF) and left its channel in the loop.
        self._server.task_dispatcher.shutdown()
        try:
            self._server.trigger.pull_trigger(lambda: close_all(self._server._map))
        except OSError:  # the trigger is closed already: the loop is gone, close what is left
            close_all(self._server._map)
        self._thread.join(timeout=5)
