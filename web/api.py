"""The JSON API for integrations: send alerts, read sightings, manage subscribers, status.

A caller proves who it is with `Authorization: Bearer <token>` on every request; the
console's session cookie counts for nothing here, which is why the blueprint can be exempt
from CSRF. The token's user is the actor in the audit log and its role is checked as in
the console. Every error is `{"error": "..."}` with its status. web/openapi.json
describes all of it; a test keeps the document and the routes in step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from gateway.alerts.compose import Composed, TimePassed, compose_alert
from gateway.alerts.near import Near, NearError, near_alert, reached_by_text
from gateway.alerts.service import AlertInfo, Alerts, phase
from gateway.alerts.templates import Templates
from gateway.app.status import status_report
from gateway.core import audit, clock, tokens, users
from gateway.core.errors import GatewayError
from gateway.core.geo import BadLocation, places
from gateway.core.phone import InvalidNumber, normalise
from gateway.sightings.desk import STATUSES
from gateway.sightings.queries import as_json
from gateway.subscribers import search as subscriber_search
from gateway.subscribers.csv_rows import clean_name
from gateway.subscribers.service import Subscribers
from web.context import config, engine, services

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
OPENAPI = Path(__file__).with_name("openapi.json")
MAX_LIMIT = 500  # sightings in one answer
REALM = 'Bearer realm="smsgw"'


class ApiError(Exception):
    """Ends a request with {"error": message} and `status`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _fail(status: int, message: str) -> NoReturn:
    raise ApiError(status, message)


def _json(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    reply = jsonify(error=message)
    reply.status_code = status
    reply.headers.update(headers or {})
    return reply


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return _json(exc.status, exc.message, exc.headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _json(exc.code or 500, exc.description or exc.name)


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _routing_error(exc: HTTPException) -> Any:
    """Unknown paths and methods under /api/v1 answer in JSON too; elsewhere, unchanged.
    (Routing fails before a blueprint is chosen, so only an app handler sees these.)"""
    if request.path != PREFIX and not request.path.startswith(PREFIX + "/"):
        return exc
    allowed = getattr(exc, "valid_methods", None)
    headers = {"Allow": ", ".join(allowed)} if allowed else None
    return _json(exc.code or 404, exc.description or exc.name, headers)


def _caller() -> users.Account:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send Authorization: Bearer <token>", {"WWW-Authenticate": REALM})
    account = tokens.account_for(engine(), token.strip())  # the Users page's or a named one
    if account is None:
        challenge = f'{REALM}, error="invalid_token"'
        raise ApiError(401, "the token is not valid", {"WWW-Authenticate": challenge})
    return account


View = Callable[..., Any]


def token_required(need: str) -> Callable[[View], View]:
    """The caller's account becomes the view's first argument; a lower role gets 403."""

    def wrap(view: View) -> View:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            account = _caller()
            if not account.can(need):
                _fail(403, f"this needs the {need} role; the token's user is a {account.role}")
            return view(account, *args, **kwargs)

        return inner

    return wrap


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        _fail(400, "the body must be a JSON object (Content-Type: application/json)")
    return body


def _text_field(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        _fail(400, f"{key} must be a string")
    return value


def _when(value: str, what: str) -> datetime:
    """ISO 8601; without a zone it is the gateway's local time. Naive UTC for services."""
    try:
        return clock.parse_local(value, config().gateway.timezone)
    except clock.BadTime:
        _fail(400, f"{what} must be an ISO 8601 time such as 2026-11-23T06:30:00Z")


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() + "Z" if when else None


def _subscribers() -> Subscribers:
    return services().subscribers


def _alerts() -> Alerts:
    return services().alerts


@bp.route("/")
@token_required("viewer")
def index(account: users.Account) -> Any:
    return jsonify(user=account.username, role=account.role, openapi=url_for(".openapi"))


@bp.route("/openapi.json")
def openapi() -> Any:
    """Public, like any API's documentation: it holds no data."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json")


def _composed(body: dict[str, Any]) -> Composed:
    """The shared compose step, once the JSON's types are checked; its errors in the
    words of the JSON's keys."""
    template = fields = None
    if "template" in body:
        fields = body.get("fields", {})
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            _fail(400, "fields must be an object of strings")
        template = _text_field(body, "template")
    text = _text_field(body, "text") if "template" not in body and "text" in body else None
    send_at = _text_field(body, "send_at") if body.get("send_at") else ""
    try:
        return compose_alert(
            Templates(engine()),
            text=text,
            template=template,
            fields=fields,
            send_at=send_at,
            zone=config().gateway.timezone,
        )
    except clock.BadTime:
        _fail(400, "send_at must be an ISO 8601 time such as 2026-11-23T06:30:00Z")
    except TimePassed:
        _fail(400, "send_at is in the past")


def _near(body: dict[str, Any]) -> Near | None:
    """`near`, `radius_km` and `include_unplaced`, checked as the CLI and the console
    check them (gateway/alerts/near.py)."""
    place = _text_field(body, "near") if body.get("near") is not None else None
    radius_km = body.get("radius_km")
    if radius_km is not None and (
        isinstance(radius_km, bool) or not isinstance(radius_km, int | float)
    ):
        _fail(400, "radius_km must be a number of km")
    unplaced = body.get("include_unplaced", False)
    if not isinstance(unplaced, bool):
        _fail(400, "include_unplaced must be true or false")
    if place is None and radius_km is None and not unplaced:
        return None  # the whole lists: no gazetteer to build
    try:
        return near_alert(place, radius_km, unplaced, places(config()))
    except NearError as exc:
        _fail(400, f"near: {exc}")


def _alert_json(info: AlertInfo, alerts: Alerts) -> dict[str, Any]:
    names = {x.id: x.name for x in alerts.subscribers.lists()}
    progress = alerts.progress(info.ref)
    return {
        "ref": info.ref,
        "status": phase(info, progress),
        "text": info.text,
        "lists": [names.get(i, str(i)) for i in info.list_ids],
        "recipients": info.recipients,
        "created_by": info.created_by,
        "created_at": _iso(info.created_at),
        "send_at": _iso(info.send_at),
        "progress": progress,
        "by_channel": alerts.by_channel([info.id])[info.id],  # "sim", a service, "email"
        "near": info.near.as_json() if info.near else None,
    }


@bp.route("/alerts", methods=["POST"])
@token_required("operator")
def send_alert(account: users.Account) -> Any:
    body = _body()
    lists = body.get("lists")
    if not isinstance(lists, list) or not lists or not all(isinstance(x, str) for x in lists):
        _fail(400, "lists must be a non-empty array of list names")
    alerts = _alerts()
    near = _near(body)
    try:
        draft = _composed(body)
        made = alerts.create(
            draft.text,
            lists,
            by=account.username,
            send_at=draft.send_at,
            near=near.centre if near else None,
            radius_km=near.radius_km if near else None,
            include_unplaced=near.include_unplaced if near else False,
            near_text=near.text if near else "",
        )
    except GatewayError as exc:
        _fail(400, str(exc))
    reply = _alert_json(made, alerts)
    if made.status == "scheduled":  # nobody is queued yet: say who it would reach now
        reply["recipients"] = len(reached_by_text(alerts.subscribers, made.list_ids, made.near))
    return jsonify(reply), 201, {"Location": url_for(".alert", ref=made.ref)}


@bp.route("/alerts/<ref>")
@token_required("viewer")
def alert(account: users.Account, ref: str) -> Any:
    alerts = _alerts()
    found = alerts.get(ref)
    if found is None:
        _fail(404, f"no alert {ref!r}")
    return jsonify(_alert_json(found, alerts))


@bp.route("/sightings")
@token_required("viewer")
def sightings(account: users.Account) -> Any:
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        _fail(400, f"status is one of {', '.join(STATUSES)}")
    limit = args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        _fail(400, f"limit is a whole number from 1 to {MAX_LIMIT}")
    since, until = (_when(args[k], k) if args.get(k) else None for k in ("since", "until"))
    found = services().sightings.search(
        status=status,
        registration=args.get("registration") or None,
        since=since,
        until=until,
        limit=int(limit),
    )
    whole = account.can("operator")  # viewers see numbers masked, as in the console
    return jsonify(sightings=[as_json(s, whole_numbers=whole) for s in found], count=len(found))


def _number(phone: str) -> str:
    try:
        return normalise(phone, config().gateway.country)
    except InvalidNumber as exc:
        _fail(400, str(exc))


def _person(number: str) -> subscriber_search.Person | None:
    found = subscriber_search.search(engine(), number, partial_numbers=False, limit=1).people
    return next((p for p in found if p.phone == number), None)


@bp.route("/subscribers", methods=["POST"])
@token_required("operator")
def add_subscriber(account: users.Account) -> Any:
    body = _body()
    number = _number(_text_field(body, "phone"))
    subs = _subscribers()
    target = subs.find_list(_text_field(body, "list"))
    if target is None:
        _fail(400, f"no list called {body['list']!r}")
    location = _text_field(body, "location", "")
    try:  # checked before anything is written
        subs.read_location(location)
    except BadLocation as exc:
        _fail(400, str(exc))
    known = _person(number)
    name = clean_name(_text_field(body, "name", ""))
    subs.join(number, target.name, name=name, method="officer", by=account.username)
    moved = subs.set_location(number, location) if location.strip() else ""
    person = _person(number)
    assert person is not None
    action = "subscriber-changed" if known else "subscriber-added"
    detail = f"api: subscriber {person.id}: joined {target.keyword}"
    if moved:
        detail += f"; {moved}"
    audit.record(engine(), account.username, action, detail)
    reply = {
        "id": person.id,
        "phone": number,
        "name": person.name,
        "list": target.name,
        "location": person.location,
    }
    return jsonify(reply), 200 if known else 201


@bp.route("/subscribers/<phone>", methods=["DELETE"])
@token_required("operator")
def remove_subscriber(account: users.Account, phone: str) -> Any:
    number = _number(phone)
    list_name = request.args.get("list", "").strip()
    erase = request.args.get("erase", "").lower() in ("1", "true", "yes")
    if bool(list_name) == erase:
        _fail(400, "give either ?list=NAME to take them off a list, or ?erase=true")
    person = _person(number)
    if person is None:
        _fail(404, f"no subscriber {number}")
    if erase:
        _subscribers().erase(number, by=account.username)  # the service audits it
        return jsonify(id=person.id, erased=True)
    target = _subscribers().find_list(list_name)
    if target is None or all(m.list_id != target.id for m in person.joined):
        _fail(404, f"{number} is not on a list called {list_name!r}")
    _subscribers().leave(number, target.name, method="officer", by=account.username)
    audit.record(
        engine(),
        account.username,
        "subscriber-changed",
        f"api: subscriber {person.id}: left {target.keyword}",
    )
    return jsonify(id=person.id, phone=number, list=target.name, removed=True)


@bp.route("/status")
@token_required("viewer")
def status(account: users.Account) -> Any:
    whole = account.can("operator")  # viewers see numbers masked, as in the console
    return jsonify(status_report(services(), whole_numbers=whole))
