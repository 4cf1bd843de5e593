"""The JSON API over a real HTTP server: bearer tokens, roles, JSON errors, and an OpenAPI
document that names every route and nothing else."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from drama import mobile
from sighting_filing import received
from sqlalchemy import Engine
from web_client import Browser

from gateway.alerts.templates import Templates
from gateway.core import audit, config, users
from gateway.core.db import utcnow
from gateway.core.privacy import mask
from gateway.modems import status as modem_status
from gateway.outbox.queue import STATES, Outbox
from gateway.rota.service import Rota
from gateway.sightings.desk import Sightings
from gateway.subscribers import search as subscriber_search
from gateway.subscribers.service import Subscribers
from web import create_app

Reply = tuple[int, Any, Message]


def call(base: str, method: str, path: str, token: str | None = None, body: object = None) -> Reply:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


@pytest.fixture
def tokens(console: str, engine: Engine) -> dict[str, str]:
    return {a.role: users.new_api_token(engine, a.id) for a in users.all_users(engine)}


@pytest.fixture
def docking(engine: Engine) -> Subscribers:
    subs = Subscribers(engine)
    subs.add_list("Docking", "DOCKING")
    for i in range(3):
        subs.join(mobile(200 + i), "Docking", method="officer", by="test")
    return subs


def test_a_call_without_a_valid_token_is_refused(console: str, tokens: dict[str, str]) -> None:
    status, body, headers = call(console, "GET", "/api/v1/status")
    assert status == 401 and "Bearer" in body["error"]
    assert headers["WWW-Authenticate"] == 'Bearer realm="smsgw"'
    status, body, headers = call(console, "GET", "/api/v1/status", token="not-a-token")
    assert (status, body) == (401, {"error": "the token is not valid"})
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    status, body, _ = call(console, "GET", "/api/v1/", token=tokens["viewer"])
    assert status == 200 and body["user"] == "viewer1" and body["role"] == "viewer"


def test_the_console_session_cookie_is_no_key_to_the_api(console: str) -> None:
    browser = Browser(console)
    browser.login("admin1")
    reply = browser.get("/api/v1/status")
    assert reply.status == 401 and json.loads(reply.body)["error"]


def test_a_viewer_token_cannot_send(
    console: str, tokens: dict[str, str], docking: Subscribers
) -> None:
    body = {"lists": ["Docking"], "text": "POLICE ALERT: hare coursers near Docking"}
    status, reply, _ = call(console, "POST", "/api/v1/alerts", tokens["viewer"], body)
    assert status == 403 and "operator" in reply["error"]
    status, reply, _ = call(console, "GET", "/api/v1/status", tokens["viewer"])
    assert reply["alerts"] == [] and reply["messages"]["queued"] == 0


def test_an_operator_token_sends_an_alert_and_follows_it(
    console: str, engine: Engine, tokens: dict[str, str], docking: Subscribers
) -> None:
    body = {"lists": ["docking"], "text": "POLICE ALERT: silver pickup KX19 ABC at Docking"}
    status, made, headers = call(console, "POST", "/api/v1/alerts", tokens["operator"], body)
    assert status == 201, made
    assert made["recipients"] == 3 and made["status"] == "sending" and made["lists"] == ["Docking"]
    assert made["progress"]["queued"] == 3 and made["created_by"] == "operator1"
    assert headers["Location"] == f"/api/v1/alerts/{made['ref']}"
    assert Outbox(engine, config.OutboxConfig(), "test").counts()["queued"] == 3
    [entry] = audit.entries(engine, action="alert-sent")
    assert entry.actor == "operator1" and made["ref"] in entry.detail

    status, seen, _ = call(console, "GET", headers["Location"], tokens["viewer"])
    assert status == 200 and seen["progress"]["queued"] == 3 and seen["ref"] == made["ref"]
    status, missing, _ = call(console, "GET", "/api/v1/alerts/A999999", tokens["viewer"])
    assert status == 404 and "A999999" in missing["error"]


def test_an_alert_from_a_template_or_for_later(
    console: str, engine: Engine, tokens: dict[str, str], docking: Subscribers
) -> None:
    Templates(engine).add("vehicle", "Suspect {registration} near {place}", by="admin1")
    op = tokens["operator"]
    body: dict[str, Any] = {"lists": ["Docking"], "template": "vehicle"}
    status, reply, _ = call(console, "POST", "/api/v1/alerts", op, {**body, "fields": {}})
    assert status == 400 and "registration, place" in reply["error"]
    wrong = {**body, "fields": {"registration": 19, "place": "Docking"}}
    assert call(console, "POST", "/api/v1/alerts", op, wrong)[0] == 400  # strings only
    body["fields"] = {"registration": "kx19abc", "place": "Docking"}
    later = (utcnow() + timedelta(hours=2)).isoformat() + "Z"
    status, made, _ = call(console, "POST", "/api/v1/alerts", op, {**body, "send_at": later})
    assert status == 201 and made["text"] == "Suspect KX19 ABC near Docking"
    assert made["status"] == "scheduled" and made["recipients"] == 3
    assert made["send_at"] == later and made["progress"]["queued"] == 0

    past = {"lists": ["Docking"], "text": "x", "send_at": "2020-01-01T00:00:00Z"}
    for bad, error in [
        (past, "in the past"),
        ({**past, "send_at": "tomorrow"}, "ISO 8601"),
        ({"lists": ["Nowhere"], "text": "x"}, "no list called"),
        ({"lists": [], "text": "x"}, "lists"),
        ({"lists": ["Docking"]}, "give text"),
        ({"lists": ["Docking"], "template": "nope"}, "no template"),
    ]:
        status, reply, _ = call(console, "POST", "/api/v1/alerts", op, bad)
        assert status == 400 and error in reply["error"], (bad, reply)
    status, reply, _ = call(console, "POST", "/api/v1/alerts", op, ["not", "an", "object"])
    assert status == 400 and "JSON object" in reply["error"]


def test_sightings_are_listed_with_filters(
    console: str, engine: Engine, db_url: str, tokens: dict[str, str]
) -> None:
    cfg = config.from_dict({"database": {"url": db_url}})
    desk = Sightings(engine, cfg, Outbox(engine, cfg.outbox, cfg.node), Rota(engine))

    def file(sender: str, text: str) -> str:
        return desk.file(received(engine, sender, text)).ref

    first = file(mobile(301), "Silver Subaru KX19 ABC at Docking")
    middle = utcnow().isoformat() + "Z"
    second = file(mobile(302), "blue pickup yr68xyz heading to Bircham")
    third = file(mobile(301), "kx19abc again, lamping near Fring")
    desk.close(second, by="admin1")

    def refs(query: str, role: str = "operator") -> list[str]:
        status, body, _ = call(console, "GET", "/api/v1/sightings" + query, tokens[role])
        assert status == 200, body
        assert body["count"] == len(body["sightings"])
        return [s["ref"] for s in body["sightings"]]

    assert refs("") == [third, second, first]
    assert refs("?registration=kx19abc") == [third, first]
    assert refs("?status=closed") == [second]
    assert refs("?limit=1") == [third]
    assert refs("?since=" + urllib.parse.quote(middle)) == [third, second]
    assert refs("?until=" + urllib.parse.quote(middle)) == [first]
    _, body, _ = call(console, "GET", "/api/v1/sightings?limit=1", tokens["operator"])
    [row] = body["sightings"]
    assert row["from"] == mobile(301) and row["registrations"] == ["KX19 ABC"]
    _, body, _ = call(console, "GET", "/api/v1/sightings?limit=1", tokens["viewer"])
    assert body["sightings"][0]["from"] == mask(mobile(301)) == "+44****301"
    for bad in ("?status=lost", "?limit=0", "?limit=many", "?since=yesterday"):
        status, body, _ = call(console, "GET", "/api/v1/sightings" + bad, tokens["viewer"])
        assert status == 400 and body["error"], bad


def test_subscribers_are_added_removed_and_erased(
    console: str, engine: Engine, tokens: dict[str, str], docking: Subscribers
) -> None:
    op, number = tokens["operator"], mobile(400)
    path = "/api/v1/subscribers/" + urllib.parse.quote(number)
    new = {"phone": "07700 900400", "name": "Ann Keeper", "list": "DOCKING"}
    status, made, _ = call(console, "POST", "/api/v1/subscribers", op, new)
    assert status == 201 and made["phone"] == number and made["list"] == "Docking"
    assert call(console, "POST", "/api/v1/subscribers", op, new)[0] == 200  # known already
    for bad, error in [
        ({**new, "phone": "0770090"}, "not a possible number"),
        ({**new, "list": "Nowhere"}, "no list called"),
        ({"name": "no number", "list": "Docking"}, "phone"),
    ]:
        status, reply, _ = call(console, "POST", "/api/v1/subscribers", op, bad)
        assert status == 400 and error in reply["error"], bad
    assert call(console, "POST", "/api/v1/subscribers", tokens["viewer"], new)[0] == 403

    assert call(console, "DELETE", path, op)[0] == 400  # neither list nor erase
    assert call(console, "DELETE", "/api/v1/subscribers/12?list=Docking", op)[0] == 400
    status, gone, _ = call(console, "DELETE", path + "?list=Docking", op)
    assert status == 200 and gone["removed"] is True
    [person] = subscriber_search.search(engine, number).people
    assert person.joined == ()
    assert call(console, "DELETE", path + "?list=Docking", op)[0] == 404  # not on it now
    status, erased, _ = call(console, "DELETE", path + "?erase=true", op)
    assert status == 200 and erased == {"id": person.id, "erased": True}
    assert subscriber_search.search(engine, number).people == []
    assert call(console, "DELETE", path + "?erase=true", op)[0] == 404

    actions = [(e.action, e.detail) for e in reversed(audit.entries(engine, actor="operator1"))]
    assert actions == [
        ("subscriber-added", f"api: subscriber {person.id}: joined DOCKING"),
        ("subscriber-changed", f"api: subscriber {person.id}: joined DOCKING"),
        ("subscriber-changed", f"api: subscriber {person.id}: left DOCKING"),
        ("subscriber-erased", f"subscriber {person.id}"),
    ]


def test_status_has_the_shape_of_smsgw_status_json(
    console: str, engine: Engine, tokens: dict[str, str]
) -> None:
    modem_status.record(engine, "dongle1", "pi1", state="ready", rssi=20)
    status, body, _ = call(console, "GET", "/api/v1/status", tokens["viewer"])
    assert status == 200
    assert set(body) == {"messages", "modems", "on_duty", "alerts", "webhooks"}
    assert set(body["messages"]) == set(STATES)
    [modem] = body["modems"]
    assert (modem["name"], modem["state"], modem["bars"]) == ("dongle1", "ready", 4)


def test_unknown_paths_and_methods_answer_in_json(console: str, tokens: dict[str, str]) -> None:
    status, body, _ = call(console, "GET", "/api/v1/nothing-here", tokens["admin"])
    assert status == 404 and body["error"]
    status, body, headers = call(console, "DELETE", "/api/v1/status", tokens["admin"])
    assert status == 405 and body["error"] and "GET" in headers["Allow"]
    page = Browser(console).get("/nothing-here")  # the console's own 404 is left alone
    assert page.status == 404 and not page.body.startswith("{")


def _flask_paths(engine: Engine, db_url: str) -> set[tuple[str, str]]:
    app = create_app(config.from_dict({"database": {"url": db_url}}), engine=engine)
    found = set()
    for rule in app.url_map.iter_rules():
        # /metrics lives at the root; the document gives it its own `servers`
        if rule.endpoint == "metrics.metrics" or (
            rule.endpoint.startswith("api.") and rule.rule.startswith("/api/v1")
        ):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                found.add((path, method.lower()))
    return found


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_openapi_document_describes_every_route_and_no_other(
    console: str, engine: Engine, db_url: str
) -> None:
    status, doc, headers = call(console, "GET", "/api/v1/openapi.json")  # no token needed
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from the Users page",
    }
    documented = {
        (p, m) for p, ops in doc["paths"].items() for m in ops if m not in ("parameters", "servers")
    }
    assert documented == _flask_paths(engine, db_url)
    for ref in set(_refs(doc)):
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in doc["components"][section], ref
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method == "servers":
                continue
            assert op["operationId"] and {"200", "201"} & set(op["responses"]), (path, method)
            if op.get("security") != []:
                assert "401" in op["responses"], (path, method)


def test_an_alerts_progress_counts_the_opted_out_apart_and_says_when_it_is_finished(
    console: str, engine: Engine, tokens: dict[str, str], docking: Subscribers
) -> None:
    body = {"lists": ["Docking"], "text": "POLICE ALERT: hare coursers near Docking"}
    status, made, headers = call(console, "POST", "/api/v1/alerts", tokens["operator"], body)
    assert status == 201 and made["progress"]["opted_out"] == 0
    outbox = Outbox(engine, config.OutboxConfig(), "test")
    first, second, third = (outbox.claim("m1") for _ in range(3))
    assert first and second and third
    outbox.mark_sent(first.id, [1])
    outbox.mark_sent(second.id, [2])
    outbox.mark_opted_out(third.id, "opted out before sending")
    status, seen, _ = call(console, "GET", headers["Location"], tokens["viewer"])
    assert status == 200 and seen["status"] == "sent"
    progress = seen["progress"]
    assert (progress["sent"], progress["failed"], progress["opted_out"]) == (2, 0, 1)
    [listed] = call(console, "GET", "/api/v1/status", tokens["viewer"])[1]["alerts"]
    assert listed["status"] == "sent" and listed["progress"]["opted_out"] == 1


def test_a_subscriber_added_by_the_api_may_bring_a_location(
    console: str, engine: Engine, tokens: dict[str, str], docking: Subscribers
) -> None:
    op, number = tokens["operator"], mobile(401)
    new = {"phone": "07700 900401", "list": "DOCKING"}
    status, reply, _ = call(
        console, "POST", "/api/v1/subscribers", op, {**new, "location": "Atlantis"}
    )
    assert status == 400 and reply["error"]
    assert subscriber_search.search(engine, number).people == []  # nothing written
    status, made, _ = call(
        console, "POST", "/api/v1/subscribers", op, {**new, "location": "TF 783 385"}
    )
    assert status == 201 and made["location"] == "TF 783 385"
    [person] = subscriber_search.search(engine, number).people
    assert person.location == "TF 783 385"
    status, again, _ = call(console, "POST", "/api/v1/subscribers", op, new)  # none given: kept
    assert status == 200 and again["location"] == "TF 783 385"
    [entry, *_] = audit.entries(engine, actor="operator1")
    assert entry.detail == f"api: subscriber {person.id}: joined DOCKING"
    assert f"api: subscriber {person.id}: joined DOCKING; location set" in [
        e.detail for e in audit.entries(engine, actor="operator1")
    ]
