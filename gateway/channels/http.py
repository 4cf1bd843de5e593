"""The few HTTP requests an adapter makes, on the standard library (no client to install).

Two failures differ in what they leave behind: `Unreachable` (no connection, or it broke
before the request was written) made nothing at the service, so sending again is safe;
`NoAnswer` (the request went, the answer did not come) may have made a message.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.channels.base import ProviderError, ProviderUnsure

TIMEOUT = 15.0  # seconds: a hosted service answers in well under one


class Unreachable(ProviderError):
    """No request reached the service: its fault, and safe to send again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, service=True, retry_after=30.0)


class NoAnswer(ProviderUnsure):
    """The request was sent; its answer was lost."""

    def __init__(self, message: str) -> None:
        super().__init__(message, service=True, retry_after=30.0)


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    headers: Mapping[str, str]

    def retry_after(self, default: float) -> float:
        """Seconds the service asked us to wait (its Retry-After header), at least one."""
        for key, value in self.headers.items():
            if key.lower() == "retry-after":
                try:
                    return max(float(value), 1.0)
                except ValueError:
                    break
        return default

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise ProviderError(
                f"the service answered HTTP {self.status} with something not JSON: "
                f"{self.body[:80]!r}",
                code=self.status,
            ) from None


def request(
    method: str,
    url: str,
    *,
    form: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    basic: tuple[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> Response:
    """One request; any HTTP status comes back as a Response (the adapter reads the
    service's error from it), only a network failure raises."""
    if query:
        url = f"{url}?{urllib.parse.urlencode(query)}"
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if basic is not None:
        token = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return Response(answer.status, _text(answer.read()), dict(answer.headers))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, _text(exc.read()), dict(exc.headers or {}))
    except urllib.error.URLError as exc:  # raised before the request was written
        raise Unreachable(f"cannot reach {_where(url)}: {exc.reason}") from None
    except TimeoutError as exc:
        raise NoAnswer(f"{_where(url)} did not answer in {timeout:.0f} s") from exc
    except (http.client.HTTPException, ConnectionError) as exc:
        raise NoAnswer(f"{_where(url)} dropped the connection: {exc}") from exc


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _where(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
