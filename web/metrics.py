"""GET /metrics: the gateway's numbers in the Prometheus text format.

Read from the database at each scrape (gateway.app.gauges), through a collector made for
the request, so nothing here counts anything between scrapes. A scraper proves itself
with an API token (`Authorization: Bearer`, as /api/v1), or asks from the machine itself:
a request straight to a loopback address needs no token. A request that came through a
proxy is never counted as local, even from 127.0.0.1, since a reverse proxy on the same
host would otherwise open /metrics to everyone it serves; such a proxy must send
X-Forwarded-For (or Forwarded / X-Real-IP), which every common one can.
"""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, request

from gateway.core import users
from web.context import engine

bp = Blueprint("metrics", __name__)
REALM = 'Bearer realm="smsgw"'
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def is_local() -> bool:
    """Straight from a loopback address, through no proxy."""
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _refused(message: str, challenge: str) -> Response:
    return Response(
        message + "\n",
        status=401,
        mimetype="text/plain",
        headers={"WWW-Authenticate": challenge},
    )


@bp.get("/metrics")
def metrics() -> Response:
    if not is_local():
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _refused("send Authorization: Bearer <token>", REALM)
        if users.by_api_token(engine(), token.strip()) is None:
            return _refused("the token is not valid", f'{REALM}, error="invalid_token"')
    from web import metrics_families  # prometheus_client: loaded by the first scrape

    body = metrics_families.exposition(engine())
    return Response(body, mimetype=None, content_type=metrics_families.CONTENT_TYPE)
