"""/api/v1/alerts/<ref>/cap and /api/v1/alerts.atom: alerts for systems that speak CAP 1.2
(gateway/alerts/cap.py). Routes on the API's blueprint, as web/map.py's /api/v1/map, so
they share its bearer tokens, roles and JSON errors; any role may read them."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from gateway.core import users
from web import api
from web.context import config, engine

FEED_SIZE = 50  # newest alerts in the feed


@api.bp.route("/alerts/<ref>/cap")
@api.token_required("viewer")
def alert_cap(account: users.Account, ref: str) -> Any:
    from gateway.alerts import cap  # ElementTree: loaded by the first CAP request

    try:
        found = cap.cap_alert(engine(), ref)
    except cap.CapError as exc:
        raise api.ApiError(404, str(exc)) from None
    cfg = config()
    body = cap.to_xml(found, node=cfg.node, timezone=cfg.gateway.timezone)
    return Response(body, mimetype=cap.MEDIA_TYPE)


@api.bp.route("/alerts.atom")
@api.token_required("viewer")
def alerts_atom(account: users.Account) -> Any:
    from gateway.alerts import cap
    from gateway.alerts.cap_feed import ATOM_TYPE, atom_feed

    cfg = config()
    body = atom_feed(
        cap.recent(engine(), FEED_SIZE),
        node=cfg.node,
        self_url=url_for(".alerts_atom", _external=True),
        cap_url=lambda ref: url_for(".alert_cap", ref=ref, _external=True),
    )
    return Response(body, mimetype=ATOM_TYPE)
