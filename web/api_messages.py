"""One message over the API: queue it (`POST /api/v1/messages`), follow it
(`GET /api/v1/messages/<id>`), and read received texts (`GET /api/v1/inbox`).

Routes on the API's blueprint (web/api.py), so they share its bearer tokens, roles, JSON
errors and OpenAPI document. A message goes into the same durable Outbox as `smsgw send`;
viewers see numbers masked, as everywhere else in the API.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import select

from gateway.core import audit, users
from gateway.core.models import InboundMessage, Message
from gateway.core.privacy import mask
from gateway.outbox.priorities import PRIORITIES
from web import api
from web.context import engine, services

MAX_TEXT = 1600  # characters: ten concatenated parts of GSM 7-bit, more than any alert needs


@api.bp.route("/messages", methods=["POST"])
@api.token_required("operator")
def send_message(account: users.Account) -> Any:
    body = api._body()
    to = api._number(api._text_field(body, "to"))
    text = api._text_field(body, "text")
    if not text.strip():
        api._fail(400, "text is empty")
    if len(text) > MAX_TEXT:
        api._fail(400, f"text is at most {MAX_TEXT} characters")
    priority = api._text_field(body, "priority", "normal")
    if priority not in PRIORITIES:
        api._fail(400, f"priority is one of {', '.join(PRIORITIES)}")
    msg_id = services().outbox.enqueue(to, text, priority)
    audit.record(
        engine(), account.username, "message-queued", f"api: message {msg_id} to {mask(to)}"
    )
    location = url_for(".message", msg_id=msg_id)
    return jsonify(id=msg_id, status="queued"), 201, {"Location": location}


@api.bp.route("/messages/<int:msg_id>")
@api.token_required("viewer")
def message(account: users.Account, msg_id: int) -> Any:
    with engine().connect() as conn:
        row = conn.execute(select(Message).where(Message.id == msg_id)).first()
    if row is None:
        api._fail(404, f"no message {msg_id}")
    return jsonify(
        id=row.id,
        to=row.to if account.can("operator") else mask(row.to),
        status=row.status,
        parts=row.parts,
        channel=row.channel,
        queued_at=api._iso(row.created_at),
        sent_at=api._iso(row.sent_at),
        delivered_at=api._iso(row.delivered_at),
        error=row.last_error,
    )


@api.bp.route("/inbox")
@api.token_required("viewer")
def inbox(account: users.Account) -> Any:
    """Oldest first from `since`, so a caller polls with the last `received_at` it saw."""
    args = request.args
    limit = args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= api.MAX_LIMIT:
        api._fail(400, f"limit is a whole number from 1 to {api.MAX_LIMIT}")
    query = select(InboundMessage).order_by(InboundMessage.received_at, InboundMessage.id)
    if args.get("since"):
        query = query.where(InboundMessage.received_at >= api._when(args["since"], "since"))
    with engine().connect() as conn:
        rows = conn.execute(query.limit(int(limit))).all()
    whole = account.can("operator")
    texts = [
        {
            "id": r.id,
            "from": r.sender if whole else mask(r.sender),
            "text": r.text,
            "received_at": api._iso(r.received_at),
            "complete": r.complete,
        }
        for r in rows
    ]
    return jsonify(messages=texts, count=len(texts))
